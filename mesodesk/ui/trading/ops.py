"""Async trading operations the windows run: prepare jobs with progress and
cancel, and idempotent calls whose unknown outcome is surfaced while the SDK
recovers it through the idempotency record.

Nothing here re-sends on its own: the SDK resolves an unknown outcome (and resends
once with the *same* key only when the server has no record of it). A caller that
retries after :class:`OutcomeUnknownError` must reuse the same idempotency key.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from mesodesk.contract import (
    MesoLiveEvent,
    PositionAdjustmentPreparationCompletedEvent,
    PositionAdjustmentPreparationFailedEvent,
    PositionEntryPreparationCompletedEvent,
    PositionEntryPreparationFailedEvent,
    PositionExitPreparationCompletedEvent,
    PositionExitPreparationFailedEvent,
    PreparationStatus,
)
from mesodesk.core.session import Session
from mesodesk.sdk import ConnectionState


def new_key(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex}"


@dataclass(frozen=True)
class PrepareKind:
    name: str  # entry | exit | adjustment
    start: str
    status: str
    cancel: str
    completed: type[MesoLiveEvent]
    failed: type[MesoLiveEvent]
    key_prefix: str


KINDS = {
    "entry": PrepareKind("entry", "start_prepare_position_entry", "get_prepare_position_entry_status",
                         "cancel_prepare_position_entry", PositionEntryPreparationCompletedEvent,
                         PositionEntryPreparationFailedEvent, "prep_entry_"),
    "exit": PrepareKind("exit", "start_prepare_position_exit", "get_prepare_position_exit_status",
                        "cancel_prepare_position_exit", PositionExitPreparationCompletedEvent,
                        PositionExitPreparationFailedEvent, "prep_exit_"),
    "adjustment": PrepareKind("adjustment", "start_prepare_position_adjustment",
                              "get_prepare_position_adjustment_status", "cancel_prepare_position_adjustment",
                              PositionAdjustmentPreparationCompletedEvent, PositionAdjustmentPreparationFailedEvent,
                              "prep_adj_"),
}


class PrepareFailed(Exception):
    pass


class PrepareCancelled(Exception):
    pass


async def watch_outcome(session: Session, call: Awaitable[Any], on_unknown: Callable[[bool], None]) -> Any:
    """Await an idempotent ``call``; while the Control hub is down during it, report
    ``on_unknown(True)`` ("outcome unknown — recovering") and ``on_unknown(False)`` once resolved."""
    dropped = False

    def listener(state: ConnectionState) -> None:
        nonlocal dropped
        if state != ConnectionState.CONNECTED and not dropped:
            dropped = True
            on_unknown(True)

    remove = session.control.add_state_listener(listener)
    try:
        return await call
    finally:
        remove()
        if dropped:
            on_unknown(False)


class PrepareJob:
    """One prepare job: start (idempotent), then the status poll and the completion
    event race; whichever reports a terminal state first wins. ``cancel()`` is best effort."""

    poll_interval = 0.25

    def __init__(self, session: Session, kind: str, args: dict[str, Any],
                 on_progress: Callable[[str], None], on_unknown: Callable[[bool], None]) -> None:
        self.session = session
        self.kind = KINDS[kind]
        self.args = {**args, "idempotency_key": args.get("idempotency_key") or new_key(self.kind.key_prefix)}
        self.on_progress = on_progress
        self.on_unknown = on_unknown
        self.job_id: str | None = None
        self._done: asyncio.Future[Any] | None = None
        self.source = ""  # "event" or "poll": which one delivered the result

    async def run(self) -> Any:
        loop = asyncio.get_running_loop()
        self._done = loop.create_future()
        remove = self.session.events.on_event(self._on_event)
        try:
            self.on_progress("Starting…")
            start = getattr(self.session.control, self.kind.start)
            started = await watch_outcome(self.session, start(**self.args), self.on_unknown)
            self.job_id = started.job_id
            self.on_progress(f"Job {self.job_id}: Pending")
            poller = asyncio.ensure_future(self._poll())
            try:
                return await self._done
            finally:
                poller.cancel()
        finally:
            remove()

    def _finish(self, result: Any = None, error: BaseException | None = None, source: str = "") -> None:
        if self._done is not None and not self._done.done():
            self.source = source
            if error is not None:
                self._done.set_exception(error)
            else:
                self._done.set_result(result)

    def _on_event(self, event: MesoLiveEvent) -> None:
        if self.job_id is None or getattr(event, "job_id", None) != self.job_id:
            return
        if isinstance(event, self.kind.completed):
            self._finish(event.result, source="event")  # type: ignore[attr-defined]
        elif isinstance(event, self.kind.failed):
            self._finish(error=PrepareFailed(event.error), source="event")  # type: ignore[attr-defined]

    async def _poll(self) -> None:
        status_of = getattr(self.session.control, self.kind.status)
        while True:
            try:
                status = await status_of(job_id=self.job_id)
            except asyncio.CancelledError:
                raise
            except Exception:  # a drop: the event or the next poll will tell
                await asyncio.sleep(self.poll_interval)
                continue
            if status.status == PreparationStatus.Completed:
                self._finish(status.result, source="poll")
                return
            if status.status == PreparationStatus.Failed:
                self._finish(error=PrepareFailed(status.error or "the build failed"), source="poll")
                return
            if status.status == PreparationStatus.Cancelled:
                self._finish(error=PrepareCancelled("cancelled"), source="poll")
                return
            self.on_progress(f"Job {self.job_id}: {status.status.value}")
            await asyncio.sleep(self.poll_interval)

    async def cancel(self) -> None:
        if self.job_id is not None:
            cancel = getattr(self.session.control, self.kind.cancel)
            try:
                await cancel(job_id=self.job_id)
            except Exception:
                pass  # best effort: the job may have just completed
        self._finish(error=PrepareCancelled("cancelled by the user"), source="user")


_BACKGROUND: set[asyncio.Future[Any]] = set()


def spawn(coro: Awaitable[Any]) -> asyncio.Future[Any]:
    """Run ``coro`` in the background, keeping a reference; failures are logged (→ error panel)."""
    task = asyncio.ensure_future(coro)
    _BACKGROUND.add(task)

    def done(t: asyncio.Future[Any]) -> None:
        _BACKGROUND.discard(t)
        if not t.cancelled() and t.exception() is not None:
            logging.getLogger("mesodesk.ui.trading").error("trading task failed", exc_info=t.exception())

    task.add_done_callback(done)
    return task
