"""Exactly-once events across restarts: an event logger process with a cursor store is stopped
and restarted four times (a clean stop, SIGKILL of the simulator, SIGKILL of the logger, SIGKILL
of both) while paper fills and orders make events flow and the simulator's signal evaluator keeps
signals active (re-pushed on every connect with their original ids). Afterwards the logger's
output must be exactly ``GetEventsSince`` from 0: every event once, in ``EventSeqId`` order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mesodesk.sdk import MesoLiveControlHubClient, MesoLiveEventHubClient

from .conftest import API_KEY, FAST, KEY_ENV, SimProcess, prepare_plans
from .workload import Ledger, idempotent_write

ROOT = Path(__file__).resolve().parents[2]


class LoggerProcess:
    """``python -m tests.reliability.event_logger`` (restartable; SIGTERM = clean stop)."""

    def __init__(self, url: str, out: Path, store: str) -> None:
        self.url, self.out, self.store = url, out, store
        self.proc: asyncio.subprocess.Process | None = None
        self.stderr = out.with_suffix(".stderr")
        self.starts = self.kills = self.stops = 0

    async def start(self) -> None:
        with open(self.stderr, "ab") as err:  # noqa: ASYNC230  # tiny, local
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.reliability.event_logger", self.url, str(self.out),
                "--store", self.store, cwd=ROOT, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=err, env={**os.environ, KEY_ENV: API_KEY})
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        assert line.strip() == b"ready", f"logger did not start: {line!r} (see {self.stderr})"
        self.starts += 1

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        self.kills += 1

    async def stop(self) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        self.proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(self.proc.communicate(), 30)
        assert self.proc.returncode == 0, f"logger exited with {self.proc.returncode} (see {self.stderr})"
        self.stops += 1
        return dict(json.loads(out.decode().strip().splitlines()[-1]))

    def lines(self) -> list[dict[str, Any]]:
        if not self.out.exists():
            return []
        return [json.loads(line) for line in self.out.read_text().splitlines() if line.strip()]

    async def ensure_stopped(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


async def all_events(url: str) -> list[tuple[int, str, str]]:
    """``GetEventsSince`` from 0, every page: (EventSeqId, EventId, EventType)."""
    found: list[tuple[int, str, str]] = []
    async with MesoLiveEventHubClient(url, API_KEY, strategies=[], since_event_seq_id=None,
                                      active_state=False) as reader:
        since = 0
        while True:
            page = await reader.get_events_since(since_event_seq_id=since, limit=1000)
            found += [(e.event_seq_id, str(e.event.event_id), e.event_type) for e in page.events]
            if not page.has_more or not page.events:
                return found
            since = page.events[-1].event_seq_id


async def run_logger_restarts(sim_factory: Any, tmp_path: Path, figures: dict[str, Any], store: str,
                              plan: list[str]) -> None:
    data_dir = tmp_path / "sim"
    papers, brokers = prepare_plans(data_dir, paper=40, broker=40)
    sim: SimProcess = sim_factory(data_dir)
    url = await sim.start()
    started = time.monotonic()
    logger = LoggerProcess(url, tmp_path / "events.jsonl", store)
    control = MesoLiveControlHubClient(url, API_KEY, recovery_timeout=60.0, **FAST)
    await control.connect()
    ledger = Ledger()
    stop = asyncio.Event()

    async def writer() -> None:  # events flow: each paper fill/order gives order, leg and position updates
        i = 0
        while not stop.is_set() and (papers or brokers):
            op = "paper" if (i % 2 == 0 and papers) or not brokers else "order"
            await idempotent_write(control, ledger, op, f"once-{op}-{i}", papers.pop(0) if op == "paper"
                                   else brokers.pop(0))
            i += 1
            await asyncio.sleep(0.15)

    await logger.start()
    task = asyncio.create_task(writer())
    stats: list[dict[str, Any]] = []
    try:
        await asyncio.sleep(2.5)  # the signal evaluator (every 2 s) has raised signals: pushed on every connect
        for step in plan:
            assert not task.done(), task.exception()
            if step == "stop-logger":  # a clean stop of the client
                stats.append(await logger.stop())
                await asyncio.sleep(0.4)  # events happen while it is away
                await logger.start()
            elif step == "kill-logger":
                await logger.kill()
                await asyncio.sleep(0.4)
                await logger.start()
            elif step == "kill-sim":  # the logger reconnects by itself
                await sim.kill()
                await asyncio.sleep(0.3)
                await sim.start()
            elif step == "term-sim":
                await sim.terminate()
                await asyncio.sleep(0.3)
                await sim.start()
            elif step == "kill-both":
                await asyncio.gather(sim.kill(), logger.kill())
                await asyncio.sleep(0.3)
                await sim.start()
                await logger.start()
            else:
                raise AssertionError(step)
            await asyncio.wait_for(control.wait_connected(), 30)
            await asyncio.sleep(0.8)  # events flow again before the next restart
        stop.set()
        await asyncio.wait_for(task, 60)
        published = await all_events(url)
        async with asyncio.timeout(30):  # the logger catches up with the last events
            while (logger.lines() or [{"seq": 0}])[-1]["seq"] < published[-1][0]:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        stats.append(await logger.stop())
        expected = await all_events(url)  # the signal evaluator may have published more meanwhile
    finally:
        stop.set()
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        await control.close()
        await logger.ensure_stopped()

    got = logger.lines()
    assert len(got) >= len(published)
    assert [(line["seq"], line["id"], line["type"]) for line in got] == expected[:len(got)], \
        "the logger's output differs from GetEventsSince(0): events lost, repeated or out of order"
    signals = [line for line in got if line["type"] in ("OnEntrySignal", "OnExitSignal")]
    assert signals, "no signal was active: the on-connect re-push was not exercised"
    assert {line["delivery"] for line in got} >= {"live", "replay"}
    assert logger.starts == 1 + sum(step in ("stop-logger", "kill-logger", "kill-both") for step in plan)
    figures.update(store=store, restarts=len(plan), plan=plan, events_checked=len(got), events_lost=0,
                   events_repeated=0, signal_events=len(signals), writes=len(ledger.acks),
                   suppressed_repushes=sum(s.get("suppressed", 0) for s in stats),
                   seconds=round(time.monotonic() - started, 1))


@pytest.mark.timeout(240)
async def test_event_logger_exactly_once_across_restarts_and_kills(sim_factory: Any, tmp_path: Path,
                                                                   figures: dict[str, Any]) -> None:
    """The output file is the logger's cursor: exact even when the logger itself is SIGKILLed."""
    await run_logger_restarts(sim_factory, tmp_path, figures, "log",
                              ["stop-logger", "kill-sim", "kill-logger", "kill-both"])


@pytest.mark.timeout(240)
async def test_json_cursor_store_exactly_once_across_restarts(sim_factory: Any, tmp_path: Path,
                                                              figures: dict[str, Any]) -> None:
    """``JsonFileEventCursorStore`` (the issue's setup): clean stops of the logger and SIGKILL/SIGTERM of
    the simulator never repeat the re-pushed active signals nor deliver them out of order."""
    await run_logger_restarts(sim_factory, tmp_path, figures, "json",
                              ["stop-logger", "kill-sim", "stop-logger", "term-sim"])
