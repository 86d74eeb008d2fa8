"""Prepare jobs (entry, exit, adjustment): start idempotently, then race the status poll
against the completion event; progress and cancel for the window."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
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
from mesodesk.core.errors import ConnectionState, MesoLiveApiException, OutcomeUnknownError
from mesodesk.core.session import Session
from mesodesk.core.trading.outcome import UnknownListener, new_key, watch_outcome
from mesodesk.core.trading.plan import AnyResult, FlowKind

ProgressListener = Callable[[str], None]


@dataclass(frozen=True)
class PrepareKind:
    kind: FlowKind
    start: str
    status: str
    cancel: str
    completed: type[MesoLiveEvent]
    failed: type[MesoLiveEvent]
    key_prefix: str


KINDS: dict[FlowKind, PrepareKind] = {
    FlowKind.ENTRY: PrepareKind(
        FlowKind.ENTRY, "start_prepare_position_entry", "get_prepare_position_entry_status",
        "cancel_prepare_position_entry", PositionEntryPreparationCompletedEvent,
        PositionEntryPreparationFailedEvent, "prep_entry_"),
    FlowKind.EXIT: PrepareKind(
        FlowKind.EXIT, "start_prepare_position_exit", "get_prepare_position_exit_status",
        "cancel_prepare_position_exit", PositionExitPreparationCompletedEvent,
        PositionExitPreparationFailedEvent, "prep_exit_"),
    FlowKind.ADJUSTMENT: PrepareKind(
        FlowKind.ADJUSTMENT, "start_prepare_position_adjustment", "get_prepare_position_adjustment_status",
        "cancel_prepare_position_adjustment", PositionAdjustmentPreparationCompletedEvent,
        PositionAdjustmentPreparationFailedEvent, "prep_adj_"),
}


class PrepareFailed(Exception):
    """The server could not build the plan (the message says why)."""


class PrepareCancelled(Exception):
    pass


class PrepareJob:
    """One prepare job. ``await run()`` returns the result; ``cancel()`` is best effort.

    The start call is idempotent; after it, the status poll and the completion event race
    and whichever reports a terminal state first wins (``source`` says which).
    """

    poll_interval = 0.25
    #: seconds without an answer about the job (the hub down) before its outcome is reported unknown
    give_up_after = 60.0

    def __init__(self, session: Session, kind: FlowKind, args: dict[str, Any],
                 on_progress: ProgressListener | None = None, on_unknown: UnknownListener | None = None) -> None:
        self.session = session
        self.kind = KINDS[kind]
        self.args = {**args, "idempotency_key": args.get("idempotency_key") or new_key(self.kind.key_prefix)}
        self.on_progress = on_progress or (lambda _text: None)
        self.on_unknown = on_unknown
        self.job_id: str | None = None
        self._done: asyncio.Future[Any] | None = None
        self.source = ""  # "event", "poll" or "user"

    @property
    def idempotency_key(self) -> str:
        return str(self.args["idempotency_key"])

    async def run(self) -> AnyResult:
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
                result: AnyResult = await self._done
                return result
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
            self._finish(getattr(event, "result", None), source="event")
        elif isinstance(event, self.kind.failed):
            self._finish(error=PrepareFailed(getattr(event, "error", None) or "the build failed"), source="event")

    async def _poll(self) -> None:
        status_of = getattr(self.session.control, self.kind.status)
        loop = asyncio.get_running_loop()
        down_since: float | None = None
        while True:
            try:
                status = await status_of(job_id=self.job_id)
            except asyncio.CancelledError:
                raise
            except MesoLiveApiException as exc:  # e.g. NotFound: the server no longer knows the job
                self._finish(error=PrepareFailed(exc.message or str(exc)), source="poll")
                return
            except Exception as exc:  # a drop: the event or the next poll will tell, unless it stays down
                down_since = loop.time() if down_since is None else down_since
                closed = self.session.control.state == ConnectionState.DISCONNECTED
                if closed or loop.time() - down_since > self.give_up_after:
                    self._finish(error=OutcomeUnknownError(self.kind.status, self.idempotency_key,
                                                           f"no answer about job {self.job_id}: {exc}"),
                                 source="poll")
                    return
                await asyncio.sleep(self.poll_interval)
                continue
            down_since = None
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
            except Exception:  # best effort: the job may have just completed
                pass
        self._finish(error=PrepareCancelled("cancelled by the user"), source="user")
