"""Idempotent hub methods: one outcome per ``IdempotencyKey``, recorded atomically with it.

``execute`` runs an optional async ``before`` phase (validation, simulated broker
latency; no writes) and then the synchronous ``commit`` phase inside one SQLite
transaction that also writes the ``Completed`` record. So either the effects and
the record are both durable, or neither is: a retry after a crash can never
apply an operation twice.

* same key, same request, in flight -> ``Conflict``
* same key, same request, completed -> ``DuplicateRequest`` carrying the original ``Data``
* same key, same request, failed -> the original failure again
* same key, different request -> ``Conflict``
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from mesodesk.contract import (
    ALL_METHODS,
    IdempotencyOperation,
    IdempotencyRecord,
    IdempotencyRecordStatus,
    PreparePositionAdjustmentResult,
    PreparePositionEntryResult,
    PreparePositionExitResult,
    StatusCode,
    WireModel,
    dumps,
    loads,
    request_hash,
)
from mesodesk.sim.dialect import WireDialect
from mesodesk.sim.hubs.api import ApiFailure
from mesodesk.sim.store import Store

T = TypeVar("T")

#: fields of the record derived from a successful result (LiveOrderIds, LiveExecPlanId, JobId, ...)
Describe = Callable[[Any], dict[str, Any]]


#: the result model of each idempotent operation (its members are named like their hub methods)
RESULT_MODELS: dict[str, Any] = {m.name: m.result_model for m in ALL_METHODS if m.idempotent}
#: what a prepare job's ``JobResult`` holds once it completed
JOB_RESULT_MODELS: dict[IdempotencyOperation, type[WireModel]] = {
    IdempotencyOperation.StartPreparePositionEntry: PreparePositionEntryResult,
    IdempotencyOperation.StartPreparePositionExit: PreparePositionExitResult,
    IdempotencyOperation.StartPreparePositionAdjustment: PreparePositionAdjustmentResult,
}


def _typed(model: Any, raw: Any) -> Any:
    """``raw`` (wire JSON the simulator stored) as ``model``, or as it is if it does not fit."""
    if raw is None or not (isinstance(model, type) and issubclass(model, BaseModel)):
        return raw
    try:
        return model.model_validate(raw)
    except ValidationError:
        return raw


class IdempotencyService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.records: dict[str, IdempotencyRecord] = store.load_all("idempotency", IdempotencyRecord)
        self._in_flight: dict[str, str] = {}
        # A Processing record can only survive a crash if the process died mid-call; since
        # effects commit together with the Completed record, nothing of it was applied.
        for record in list(self.records.values()):
            if record.status == IdempotencyRecordStatus.Processing:
                self._save(record.model_copy(update={
                    "status": IdempotencyRecordStatus.Failed, "updated_at": datetime.now(UTC),
                    "error_message": "interrupted by a server restart before completion; nothing was applied",
                    "response_status": StatusCode.InternalError,
                }))

    def get(self, key: str) -> IdempotencyRecord | None:
        return self.records.get(key)

    def update(self, key: str, **fields: Any) -> IdempotencyRecord | None:
        """Amend a record (e.g. a prepare job's JobStatus/JobResult as the job progresses)."""
        record = self.records.get(key)
        if record is None:
            return None
        record = record.model_copy(update={**fields, "updated_at": datetime.now(UTC)})
        self._save(record)
        return record

    def _save(self, record: IdempotencyRecord) -> None:
        self.store.after_rollback(self._reload)  # e.g. a full disk at COMMIT: no phantom record
        self.store.put("idempotency", record.idempotency_key, record)
        self.records[record.idempotency_key] = record

    def _reload(self) -> None:
        self.records = self.store.load_all("idempotency", IdempotencyRecord)

    @staticmethod
    def response_data(record: IdempotencyRecord) -> Any:
        """The original response's ``Data``, typed as the operation's result (so it is written
        in the server's wire dialect, like any result)."""
        raw = loads(record.response_data) if record.response_data else None
        return _typed(RESULT_MODELS.get(record.operation.value), raw)

    @classmethod
    def for_wire(cls, record: IdempotencyRecord, dialect: WireDialect) -> IdempotencyRecord:
        """``record`` as a server speaking ``dialect`` would report it: its JSON ``ResponseData``
        and ``JobResult`` (stored as documented) rewritten in that dialect."""
        if dialect.is_default:
            return record
        update: dict[str, Any] = {}
        if record.response_data:
            update["response_data"] = dialect.dumps(cls.response_data(record)).decode()
        if record.job_result is not None:
            update["job_result"] = _typed(JOB_RESULT_MODELS.get(record.operation), record.job_result)
        return record.model_copy(update=update)

    def _replay(self, record: IdempotencyRecord, digest: str) -> None:
        if record.request_hash != digest:
            raise ApiFailure(StatusCode.Conflict, f"IdempotencyKey {record.idempotency_key!r} was already used "
                             "for a different request", code="IdempotencyKeyReused")
        if record.status == IdempotencyRecordStatus.Completed:
            raise ApiFailure(StatusCode.DuplicateRequest, "already completed for this IdempotencyKey",
                             code="DuplicateRequest", data=self.response_data(record))
        if record.status == IdempotencyRecordStatus.Failed:
            raise ApiFailure(record.response_status or StatusCode.InternalError,
                             record.response_message or record.error_message or "the original request failed",
                             code="OriginalRequestFailed")

    async def execute(
        self,
        operation: IdempotencyOperation,
        args: WireModel,
        commit: Callable[[], T],
        *,
        before: Callable[[], Awaitable[None]] | None = None,
        describe: Describe | None = None,
    ) -> T:
        key: str = args.idempotency_key  # type: ignore[attr-defined]
        digest = request_hash(args)
        if key in self._in_flight:
            if self._in_flight[key] != digest:
                raise ApiFailure(StatusCode.Conflict, f"IdempotencyKey {key!r} is in use by a different request",
                                 code="IdempotencyKeyReused")
            raise ApiFailure(StatusCode.Conflict, "a request with this IdempotencyKey is still processing",
                             code="Processing")
        existing = self.records.get(key)
        if existing is not None:
            self._replay(existing, digest)
        now = datetime.now(UTC)
        processing = IdempotencyRecord(idempotency_key=key, operation=operation,
                                       status=IdempotencyRecordStatus.Processing, created_at=now, updated_at=now,
                                       request_hash=digest)
        self._in_flight[key] = digest
        try:
            try:
                if before is not None:
                    await before()
                with self.store.tx():
                    result = commit()
                    fields = describe(result) if describe is not None else {}
                    self._save(processing.model_copy(update={
                        "status": IdempotencyRecordStatus.Completed, "updated_at": datetime.now(UTC),
                        "response_status": StatusCode.Success, "response_data": dumps(result).decode(), **fields,
                    }))
                return result
            except ApiFailure as failure:
                if failure.status != StatusCode.InvalidArguments:
                    self._save(processing.model_copy(update={
                        "status": IdempotencyRecordStatus.Failed, "updated_at": datetime.now(UTC),
                        "error_message": failure.message, "response_status": failure.status,
                        "response_message": failure.message, "response_error": failure.error,
                    }))
                raise
        finally:
            self._in_flight.pop(key, None)
