"""An event logger process: every Event Hub event as one JSON line, exactly once, in order.

``python -m tests.reliability.event_logger URL OUT.jsonl [--store log|json]``

* ``--store log`` (default): the output file is its own cursor store (``load()`` = the
  ``EventSeqId`` of the last complete line; ``save()`` does nothing: the line IS the
  checkpoint), so even a SIGKILL between writing a line and saving a cursor cannot repeat
  or lose an event.
* ``--store json``: a :class:`~mesodesk.sdk.JsonFileEventCursorStore` next to the output
  (``OUT.cursor.json``): exact across clean stops and server restarts; a SIGKILL of this
  process between a line and the cursor save would repeat that one event.

SIGTERM/SIGINT stop it cleanly. It prints ``ready`` once the first replay was delivered.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from mesodesk.contract import MesoLiveEvent, event_type_of
from mesodesk.sdk import ConnectTimeoutError, JsonFileEventCursorStore, MesoLiveEventHubClient

KEY_ENV = "MESODESK_RELIABILITY_KEY"


class JsonLinesEventLog:
    """An append-only JSON-lines event log that is also an ``EventCursorStore``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = -1

    def load(self) -> int | None:
        """The ``EventSeqId`` of the last complete line (a torn last line is cut off first)."""
        if not self.path.exists():
            return None
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end < len(data):  # killed in the middle of a write: drop the torn tail
            with open(self.path, "r+b") as f:
                f.truncate(end)
        lines = data[:end].splitlines()
        return int(json.loads(lines[-1])["seq"]) if lines else None

    def save(self, event_seq_id: int) -> None:
        """Nothing to do: the line written by :meth:`append` is the checkpoint."""

    def append(self, event: MesoLiveEvent) -> None:
        if self._fd < 0:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        line = json.dumps({"seq": event.event_seq_id, "id": str(event.event_id), "type": event_type_of(event),
                           "delivery": event.delivery}) + "\n"
        os.write(self._fd, line.encode())  # one write() per event


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out", type=Path)
    parser.add_argument("--store", choices=("log", "json"), default="log")
    args = parser.parse_args(argv)
    log = JsonLinesEventLog(args.out)
    store: Any = log if args.store == "log" else JsonFileEventCursorStore(args.out.with_suffix(".cursor.json"))
    if args.store == "log":
        log.load()  # cut a torn tail before appending
    client = MesoLiveEventHubClient(args.url, os.environ[KEY_ENV], cursor_store=store, since_event_seq_id=0,
                                    reconnect_backoff=lambda attempt: 0.05 if attempt else 0.0,
                                    connect_timeout=5.0, invoke_timeout=10.0)
    client.on_event(log.append)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    while True:  # the server may be restarting right now
        try:
            await client.connect()
            break
        except ConnectTimeoutError:
            if stop.is_set():
                return 0
    print("ready", flush=True)
    await stop.wait()
    await client.close()
    print(json.dumps({"delivered": client.delivered_count, "suppressed": client.suppressed_count}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
