"""The per-user event log: contiguous ``EventSeqId``s, persisted before delivery.

``publish`` assigns the next sequence id and stores the event inside the
caller's transaction; delivery to connected clients happens after that
transaction commits, in sequence order, through one fan-out task. A rolled-back
transaction publishes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from mesodesk.contract import EventEnvelope, MesoLiveEvent, loads
from mesodesk.sim.store import Store

log = logging.getLogger("mesodesk.sim.events")

#: deliver(event_type, strategy_id or None, event) -> awaitable; set by the event hub.
Deliver = Callable[[str, int | None, MesoLiveEvent], Any]


def strategy_of(event: MesoLiveEvent) -> int | None:
    value = getattr(event, "strategy_id", None)
    return value if isinstance(value, int) else None


class EventLog:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.latest_seq = 0
        self._reload_latest()
        self._queue: asyncio.Queue[tuple[str, int | None, MesoLiveEvent]] | None = None
        self._task: asyncio.Task[None] | None = None
        self.deliver: Deliver | None = None
        self.listeners: list[Callable[[MesoLiveEvent], None]] = []

    # -- writing ------------------------------------------------------------------
    def publish(self, event: MesoLiveEvent) -> MesoLiveEvent:
        """Sequence and persist ``event`` (in the caller's transaction); deliver after commit."""
        with self.store.tx():
            seq = self.latest_seq + 1
            event = event.model_copy(update={"event_seq_id": seq})
            envelope = EventEnvelope.wrap(event)
            strategy_id = strategy_of(event)
            self.store.put("events", seq, envelope, strategy_id=strategy_id)
            self.latest_seq = seq
            self.store.after_rollback(self._reload_latest)
            self.store.after_commit(lambda: self._enqueue(envelope.event_type, strategy_id, event))
        return event

    def _reload_latest(self) -> None:
        self.latest_seq = int(self.store.raw_rows("SELECT MAX(id) FROM events")[0][0] or 0)

    def _enqueue(self, event_type: str, strategy_id: int | None, event: MesoLiveEvent) -> None:
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:
                log.exception("event listener failed")
        if self._queue is not None:
            self._queue.put_nowait((event_type, strategy_id, event))

    # -- reading -------------------------------------------------------------------
    def since(self, after_seq: int, limit: int, strategies: list[int] | None = None) -> list[EventEnvelope]:
        """Events with ``EventSeqId > after_seq`` in order, at most ``limit``.

        With ``strategies``, events of other strategies are skipped; events that belong
        to no strategy (agent status) are always included.
        """
        if strategies:
            marks = ", ".join("?" for _ in strategies)
            rows = self.store.raw_rows(
                f"SELECT data FROM events WHERE id > ? AND (strategy_id IS NULL OR strategy_id IN ({marks})) "
                "ORDER BY id LIMIT ?", (after_seq, *strategies, limit))
        else:
            rows = self.store.raw_rows("SELECT data FROM events WHERE id > ? ORDER BY id LIMIT ?", (after_seq, limit))
        return [EventEnvelope.model_validate(loads(data)) for (data,) in rows]

    # -- delivery -------------------------------------------------------------------
    def start(self) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._fan_out(), name="event-fan-out")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = self._queue = None

    async def _fan_out(self) -> None:
        assert self._queue is not None
        while True:
            event_type, strategy_id, event = await self._queue.get()
            if self.deliver is None:
                continue
            try:
                await self.deliver(event_type, strategy_id, event)
            except Exception:
                log.exception("delivering %s #%s failed", event_type, event.event_seq_id)
