"""Log every event to a JSON-lines file, each exactly once, across restarts.

    python -m mesodesk.examples.event_logger [--log FILE] [--cursor FILE] [--seconds S]
                                             [--server URL --api-key-env VAR]

The Event hub client keeps the last ``EventSeqId`` it delivered in a cursor file
(:class:`~mesodesk.sdk.JsonFileEventCursorStore`); a stored cursor wins over
``since_event_seq_id``, so a new run starts right after it: the client replays what was missed
with ``GetEventsSince`` (those events carry ``event.replayed``), subscribes, and goes live; after
a dropped connection it does the same again. Signals the server pushes again on every connect
are not delivered twice. Run it, stop it, run it again: the log grows by exactly the events in between.

One gap is left to the logger: a crash *after* a line was written but *before* the cursor was
saved. The next run would get that event again, so the logger also remembers the last
``EventSeqId`` in its own file and skips anything at or below it. The log file is the truth;
the cursor only saves the replay.

Against a server it runs ``--seconds`` (0: until Ctrl+C). Offline it shows the restarts: it
runs three times against one in-process simulator, with trading activity while it is stopped
and a dropped connection while it runs, then checks the log (every ``EventSeqId`` once, none
missing).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from mesodesk.contract import (
    LiveLegSelectionConstraint,
    LiveUnderlying,
    MesoLiveEvent,
    PreparationStatus,
    event_type_of,
)
from mesodesk.examples._common import Endpoint, endpoint, parser
from mesodesk.sdk import JsonFileEventCursorStore, MesoLiveControlHubClient, MesoLiveEventHubClient


class EventLog:
    """An append-only JSON-lines file of events that never writes an ``EventSeqId`` twice."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.last_seq = 0
        if path.exists():  # the last line that was written completely
            for line in path.read_text(encoding="utf-8").splitlines():
                with contextlib.suppress(ValueError, KeyError):
                    self.last_seq = max(self.last_seq, int(json.loads(line)["EventSeqId"]))
        self.written = 0

    def write(self, event: MesoLiveEvent) -> None:
        if event.event_seq_id <= self.last_seq:
            return  # delivered again after a crash between this write and the cursor save
        record = {"EventType": event_type_of(event), "Replayed": event.replayed,
                  **event.model_dump(mode="json", by_alias=True)}
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
            f.flush()
            os.fsync(f.fileno())  # on disk before the SDK saves the cursor past it
        self.last_seq = event.event_seq_id
        self.written += 1


async def run_logger(ep: Endpoint, log_path: Path, cursor_path: Path, seconds: float,
                     during: Any = None) -> int:
    """One run of the logger: connect, catch up, log live events for ``seconds``, stop."""
    log = EventLog(log_path)
    events = MesoLiveEventHubClient(ep.url, ep.api_key, cursor_store=JsonFileEventCursorStore(cursor_path),
                                    **ep.options)
    events.on_event(log.write)
    start = log.last_seq
    async with events:  # returns once the replay since the cursor was delivered
        print(f"run: the log ended at #{start}; caught up to #{events.last_event_seq_id}")
        if during is not None:
            await during()
        if seconds > 0:
            await asyncio.sleep(seconds)
        else:
            await asyncio.Event().wait()  # until Ctrl+C
    print(f"run: wrote {log.written} events, cursor at #{events.last_event_seq_id}")
    return log.written


async def make_activity(ep: Endpoint, n: int, when: str = "while the logger was stopped") -> None:
    """Offline: start ``n`` entry preparations; each publishes an event when it completes."""
    async with MesoLiveControlHubClient(ep.url, ep.api_key, **ep.options) as control:
        account = [a async for a in control.iter_accounts(is_paper_account=True)][0]
        strategy = [s async for s in control.iter_strategies(active_on_accounts=[account.broker_account_id])][0]
        symbol = str(strategy.strategy_definition.get("Underlying") or "SPX")
        for _ in range(n):
            job = await control.start_prepare_position_entry(
                position_name=f"{strategy.name} (logger example)", strategy_id=strategy.id,
                broker_account_id=account.broker_account_id, underlying=LiveUnderlying(symbol=symbol),
                leg_selection_constraint=LiveLegSelectionConstraint.None_)
            for _ in range(100):
                status = await control.get_prepare_position_entry_status(job_id=job.job_id)
                if status.status in (PreparationStatus.Completed, PreparationStatus.Failed,
                                     PreparationStatus.Cancelled):
                    break
                await asyncio.sleep(0.05)
    print(f"(offline: {n} entry preparation{'s' if n > 1 else ''} {when})")


def check(log_path: Path) -> tuple[int, int, int]:
    """Every ``EventSeqId`` of the log once, ascending, none missing: (count, first, last)."""
    seqs = [json.loads(line)["EventSeqId"] for line in log_path.read_text(encoding="utf-8").splitlines()]
    if not seqs:
        raise SystemExit("the log is empty")
    if seqs != list(range(seqs[0], seqs[-1] + 1)):
        raise SystemExit(f"the log has gaps or duplicates: {seqs}")
    return len(seqs), seqs[0], seqs[-1]


async def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__ or "")
    p.add_argument("--log", type=Path, help="JSON-lines event log (default: events.jsonl; offline: a temp file)")
    p.add_argument("--cursor", type=Path, help="cursor file (default: LOG with .cursor.json)")
    p.add_argument("--seconds", type=float, default=None,
                   help="how long one run logs live events (0: until Ctrl+C; default 0, offline 1)")
    args = p.parse_args(argv)
    async with endpoint(args) as ep:
        with tempfile.TemporaryDirectory(prefix="mesodesk-events-") as tmp:
            log_path = args.log or (Path(tmp) / "events.jsonl" if ep.offline else Path("events.jsonl"))
            cursor_path = args.cursor or log_path.with_suffix(".cursor.json")
            print(f"log {log_path}, cursor {cursor_path}")
            if not ep.offline:
                await run_logger(ep, log_path, cursor_path, args.seconds or 0)
                return 0
            seconds = 1.0 if args.seconds is None else args.seconds
            drop = ep.drop_connections
            assert drop is not None
            await run_logger(ep, log_path, cursor_path, seconds)           # first run: the history
            await make_activity(ep, 2)                                      # while stopped
            await run_logger(ep, log_path, cursor_path, seconds,            # catches up, then a drop
                             during=lambda: _drop_then_activity(ep, drop))
            await make_activity(ep, 1)
            await run_logger(ep, log_path, cursor_path, seconds)
            count, first, last = check(log_path)
            print(f"log: {count} events, #{first}..#{last}, each exactly once")
    return 0


async def _drop_then_activity(ep: Endpoint, drop: Any) -> None:
    print("(offline: dropping every connection while the logger runs)")
    await drop()
    await make_activity(ep, 1, "while the logger reconnects")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(asyncio.run(main()))
