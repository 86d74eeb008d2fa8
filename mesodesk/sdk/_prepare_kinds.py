"""What :class:`~mesodesk.sdk.MesoLiveControlHubClient` knows about its idempotent calls and
prepare jobs: the three prepare kinds (hub methods, status models, completion events), the
result type of each idempotent operation, and :class:`IdempotencyOutcome`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from mesodesk.contract import (
    ApplyPaperFillsResult,
    CancelOrderResult,
    CancelPrepareResult,
    GetPreparePositionAdjustmentStatusArgs,
    GetPreparePositionAdjustmentStatusResult,
    GetPreparePositionEntryStatusArgs,
    GetPreparePositionEntryStatusResult,
    GetPreparePositionExitStatusArgs,
    GetPreparePositionExitStatusResult,
    IdempotencyOperation,
    IdempotencyRecord,
    IdempotencyRecordStatus,
    PreparationStatus,
    PreparePositionAdjustmentArgs,
    PreparePositionEntryArgs,
    PreparePositionExitArgs,
    SendOrderResult,
    StartPrepareResult,
    WireModel,
)
from mesodesk.sdk._wire import reader

__all__ = ["RESULT_TYPES", "IdempotencyOutcome", "result_from_record"]

@dataclass(frozen=True)
class _PrepareKind:
    name: str  # "entry", "exit", "adjustment"
    start: str  # hub methods
    status: str
    status_args: type[WireModel]
    status_result: type[WireModel]
    completed: str  # event callbacks
    failed: str


_PREPARE_KINDS: dict[type[WireModel], _PrepareKind] = {
    PreparePositionEntryArgs: _PrepareKind(
        "entry", "StartPreparePositionEntry", "GetPreparePositionEntryStatus", GetPreparePositionEntryStatusArgs,
        GetPreparePositionEntryStatusResult,
        "on_position_entry_preparation_completed", "on_position_entry_preparation_failed"),
    PreparePositionExitArgs: _PrepareKind(
        "exit", "StartPreparePositionExit", "GetPreparePositionExitStatus", GetPreparePositionExitStatusArgs,
        GetPreparePositionExitStatusResult,
        "on_position_exit_preparation_completed", "on_position_exit_preparation_failed"),
    PreparePositionAdjustmentArgs: _PrepareKind(
        "adjustment", "StartPreparePositionAdjustment", "GetPreparePositionAdjustmentStatus",
        GetPreparePositionAdjustmentStatusArgs, GetPreparePositionAdjustmentStatusResult,
        "on_position_adjustment_preparation_completed", "on_position_adjustment_preparation_failed"),
}
_TERMINAL = (PreparationStatus.Completed, PreparationStatus.Failed, PreparationStatus.Cancelled)


#: result model of each idempotent operation (to rebuild ``ResponseData``)
RESULT_TYPES: dict[IdempotencyOperation, type[WireModel]] = {
    IdempotencyOperation.StartPreparePositionEntry: StartPrepareResult,
    IdempotencyOperation.StartPreparePositionExit: StartPrepareResult,
    IdempotencyOperation.StartPreparePositionAdjustment: StartPrepareResult,
    IdempotencyOperation.CancelPreparePositionEntry: CancelPrepareResult,
    IdempotencyOperation.CancelPreparePositionExit: CancelPrepareResult,
    IdempotencyOperation.CancelPreparePositionAdjustment: CancelPrepareResult,
    IdempotencyOperation.SendOrder: SendOrderResult,
    IdempotencyOperation.CancelOrder: CancelOrderResult,
    IdempotencyOperation.ApplyPaperFills: ApplyPaperFillsResult,
}



@dataclass(frozen=True)
class IdempotencyOutcome:
    """What the server recorded for an ``IdempotencyKey`` (see :meth:`MesoLiveControlHubClient.idempotency_outcome`).

    ``status`` is ``None`` when the server has no record: the request never arrived
    (or failed argument validation), so re-sending it with the same key is safe.
    ``data`` is the typed result of a ``Completed`` call (e.g. :class:`SendOrderResult`).
    """

    idempotency_key: str
    status: IdempotencyRecordStatus | None
    record: IdempotencyRecord | None = None
    data: Any = None

    @property
    def found(self) -> bool:
        """Whether the server knows the key."""
        return self.record is not None

    @property
    def completed(self) -> bool:
        """The call completed: ``data`` holds its result."""
        return self.status == IdempotencyRecordStatus.Completed

    @property
    def failed(self) -> bool:
        """The call failed (``record`` says why)."""
        return self.status == IdempotencyRecordStatus.Failed

    @property
    def processing(self) -> bool:
        """The server is still executing the call."""
        return self.status == IdempotencyRecordStatus.Processing


def result_from_record(record: IdempotencyRecord, result_type: type[WireModel] | None = None) -> Any:
    """The typed result of a ``Completed`` record, rebuilt from ``ResponseData``
    (falling back to ``JobId``/``LiveOrderIds`` when the server stored no data)."""
    model = result_type or RESULT_TYPES.get(record.operation)
    if model is None:
        return None
    if record.response_data:  # the server's own serialization of Data: read it as tolerantly
        return reader(model).read(orjson.loads(record.response_data))
    if model is StartPrepareResult and record.job_id:
        return StartPrepareResult(job_id=record.job_id)
    if model is SendOrderResult and record.live_order_ids is not None:
        return SendOrderResult(order_ids=record.live_order_ids)
    return None


