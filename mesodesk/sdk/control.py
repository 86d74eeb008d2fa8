"""Control hub client (/hubs/control/v1): accounts, strategies, positions, prepare jobs, orders."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, cast, overload

from mesodesk.contract import (
    ApplyPaperFillsArgs,
    ApplyPaperFillsResult,
    CancelOrderArgs,
    CancelOrderResult,
    CancelPreparePositionAdjustmentArgs,
    CancelPreparePositionEntryArgs,
    CancelPreparePositionExitArgs,
    CancelPrepareResult,
    CreateStrategyArgs,
    DeleteStrategyArgs,
    DeleteStrategyResult,
    GetAccountArgs,
    GetExecutionArgs,
    GetExecutionsArgs,
    GetExecutionsResult,
    GetIdempotencyRecordArgs,
    GetLegArgs,
    GetLegsArgs,
    GetLegsResult,
    GetOrderArgs,
    GetPositionArgs,
    GetPreparePositionAdjustmentStatusArgs,
    GetPreparePositionAdjustmentStatusResult,
    GetPreparePositionEntryStatusArgs,
    GetPreparePositionEntryStatusResult,
    GetPreparePositionExitStatusArgs,
    GetPreparePositionExitStatusResult,
    GetStrategyArgs,
    IdempotencyRecord,
    IdempotencyRecordStatus,
    ListAccountsArgs,
    ListAccountsResult,
    ListAgentsArgs,
    ListAgentsResult,
    ListExecutionsArgs,
    ListExecutionsResult,
    ListLegsArgs,
    ListLegsResult,
    ListOrdersArgs,
    ListOrdersResult,
    ListPositionsArgs,
    ListPositionsResult,
    ListStrategiesArgs,
    ListStrategiesResult,
    LiveAccount,
    LiveExecution,
    LiveLeg,
    LivePositionDetails,
    LiveStrategy,
    Order,
    PreparationStatus,
    PreparePositionAdjustmentArgs,
    PreparePositionAdjustmentResult,
    PreparePositionEntryArgs,
    PreparePositionEntryResult,
    PreparePositionExitArgs,
    PreparePositionExitResult,
    RenameStrategyArgs,
    SendOrderArgs,
    SendOrderResult,
    StartPrepareResult,
    StatusCode,
    UpdateStrategyArgs,
    WireModel,
)
from mesodesk.sdk._hub import HubClient, build_args
from mesodesk.sdk._idempotency import (
    LostPrepareJob,
    PrepareJobOutcome,
    looks_lost,
    restart_key,
    with_idempotency_key,
)
from mesodesk.sdk._paging import PagingMixin
from mesodesk.sdk._prepare_kinds import (
    _PREPARE_KINDS,
    _TERMINAL,
    IdempotencyOutcome,
    _PrepareKind,
    result_from_record,
)
from mesodesk.sdk._signalr import ConnectionLostError, InvocationTimeout, NotConnectedError
from mesodesk.sdk.errors import (
    DuplicateRequestError,
    IdempotencyFailedError,
    IdempotencyKeyReusedError,
    MesoLiveApiException,
    OutcomeUnknownError,
    api_exception,
)

if TYPE_CHECKING:
    from mesodesk.sdk.events import MesoLiveEventHubClient

log = logging.getLogger("mesodesk.sdk.control")

P = TypeVar("P")
PrepareArgs = PreparePositionEntryArgs | PreparePositionExitArgs | PreparePositionAdjustmentArgs


_UNKNOWN_OUTCOME = (InvocationTimeout, ConnectionLostError, NotConnectedError)


class MesoLiveControlHubClient(PagingMixin, HubClient):
    """Control hub client (/hubs/control/v1): accounts, strategies, positions, prepare jobs, orders.

    Every method takes its args model, or keyword arguments that build it (snake_case
    or the reference's PascalCase names; an unknown or invalid one raises
    :class:`~mesodesk.sdk.MesoLiveArgumentError` before anything is sent), and
    raises :class:`~mesodesk.sdk.errors.MesoLiveApiException` on a non-Success status.

    The nine idempotent methods (``start_prepare_*``, ``cancel_prepare_*``,
    ``send_order``, ``cancel_order``, ``apply_paper_fills``) generate an
    ``IdempotencyKey`` with the documented prefix when none is given, and never
    resend blindly: when the outcome of a call is unknown (timeout, or the
    connection dropped in flight) they wait for the reconnection and ask
    ``GetIdempotencyRecord``: ``Processing`` -> poll, ``Completed`` -> return the
    recorded result, ``Failed`` -> raise :class:`IdempotencyFailedError`, no record
    -> the request never arrived: resend once with the same key. Recovery gives up
    after ``recovery_timeout`` seconds with :class:`OutcomeUnknownError`.

    A key that was used before raises a typed error (both are
    :class:`MesoLiveApiException` s): :class:`DuplicateRequestError` when it already
    completed this same request (nothing was done again; ``e.result`` is the original
    typed result) and :class:`IdempotencyKeyReusedError` when it belongs to a different
    request (this one was not executed; ``e.record``/``e.result`` describe the owner).
    With ``on_duplicate="return"`` a duplicate returns the original result instead.

    :meth:`prepare_and_wait` starts a prepare job and waits for its outcome (the
    ``...Preparation*`` event first, status polls as a backup), starting it again under
    a new key when a server restart lost it.

    Args (besides :class:`HubClient`'s):
        recovery_timeout: how long an idempotent call may spend recovering.
        recovery_poll_interval: delay between ``GetIdempotencyRecord`` polls.
        on_duplicate: ``"raise"`` (default) :class:`DuplicateRequestError`, or ``"return"``
            the original result as if the call had just succeeded (raised anyway when the
            original result cannot be had).
    """

    HUB: ClassVar[str] = "control"

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        recovery_timeout: float = 120.0,
        recovery_poll_interval: float = 0.25,
        on_duplicate: Literal["raise", "return"] = "raise",
        **kwargs: Any,
    ) -> None:
        super().__init__(base_url, api_key, **kwargs)
        if on_duplicate not in ("raise", "return"):
            raise ValueError('on_duplicate must be "raise" or "return"')
        self.recovery_timeout = recovery_timeout
        self.recovery_poll_interval = recovery_poll_interval
        self.on_duplicate: Literal["raise", "return"] = on_duplicate

    # -- idempotency ---------------------------------------------------------------------
    async def idempotency_outcome(self, idempotency_key: str, *, timeout: float | None = None) -> IdempotencyOutcome:
        """The recorded outcome of ``idempotency_key``: status plus the typed result.

        A missing record (``NotFound``) gives ``IdempotencyOutcome(status=None)``;
        other failures raise :class:`MesoLiveApiException`.
        """
        try:
            record = await self.get_idempotency_record(idempotency_key=idempotency_key, timeout=timeout)
        except MesoLiveApiException as exc:
            if exc.status == StatusCode.NotFound:
                return IdempotencyOutcome(idempotency_key, None)
            raise
        data = result_from_record(record) if record.status == IdempotencyRecordStatus.Completed else None
        return IdempotencyOutcome(idempotency_key, record.status, record, data)

    async def _invoke_idempotent(self, method: str, args: WireModel, result_type: type[WireModel],
                                 timeout: float | None) -> Any:
        try:
            try:
                return await self._invoke(method, args, result_type, timeout)
            except _UNKNOWN_OUTCOME as exc:
                if isinstance(exc, NotConnectedError):
                    raise  # never sent: nothing to recover
                log.warning("%s outcome unknown (%s); recovering through GetIdempotencyRecord", method, exc)
                return await self._recover(method, args, result_type, timeout, exc)
        except MesoLiveApiException as exc:
            if type(exc) is not MesoLiveApiException:
                raise  # already typed (IdempotencyFailedError)
            typed = await self._typed_api_error(exc, args, result_type)
            if isinstance(typed, DuplicateRequestError) and self.on_duplicate == "return" and typed.result is not None:
                log.info("%s %s: DuplicateRequest; returning the original result", method, typed.idempotency_key)
                return typed.result
            if typed is exc:
                raise
            raise typed from None

    async def _typed_api_error(self, exc: MesoLiveApiException, args: WireModel,
                               result_type: type[WireModel]) -> MesoLiveApiException:
        """:class:`DuplicateRequestError`/:class:`IdempotencyKeyReusedError` with the original typed
        result (from the envelope, else from ``GetIdempotencyRecord``), or ``exc`` itself."""
        key: str | None = getattr(args, "idempotency_key", None)
        typed = api_exception(exc.method, exc.status, exc.message, exc.error, exc.data, idempotency_key=key)
        if type(typed) is MesoLiveApiException:
            return exc
        if key is not None and (isinstance(typed, IdempotencyKeyReusedError) or typed.data is None):
            try:
                outcome = await self.idempotency_outcome(key, timeout=10.0)
            except Exception as lookup:  # best effort: the typed error is raised anyway
                log.info("GetIdempotencyRecord(%s) for the %s answer failed: %s", key, exc.method, lookup)
            else:
                record = outcome.record
                result = (result_from_record(record, None if isinstance(typed, IdempotencyKeyReusedError)
                                             else result_type) if record is not None and outcome.completed else None)
                if isinstance(typed, IdempotencyKeyReusedError):
                    typed.record, typed.result = record, result
                elif result is not None:
                    typed.data = result
        return typed

    async def _recover(self, method: str, args: WireModel, result_type: type[WireModel],
                       timeout: float | None, cause: BaseException) -> Any:
        key: str = args.idempotency_key  # type: ignore[attr-defined]  # every idempotent args model has it
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.recovery_timeout
        resent = False

        def remaining() -> float:
            left = deadline - loop.time()
            if left <= 0:
                raise OutcomeUnknownError(method, key, "recovery timed out") from cause
            return left

        while True:
            try:
                await self.wait_connected(remaining())
            except TimeoutError:
                raise OutcomeUnknownError(method, key, "no reconnection in time") from cause
            try:
                outcome = await self.idempotency_outcome(key, timeout=min(remaining(), timeout or 30.0))
            except _UNKNOWN_OUTCOME:
                await asyncio.sleep(min(self.recovery_poll_interval, remaining()))
                continue
            if outcome.completed:
                log.info("%s %s: recovered the recorded result", method, key)
                return result_from_record(outcome.record, result_type) if outcome.record else None
            if outcome.failed:
                assert outcome.record is not None
                raise IdempotencyFailedError(method, outcome.record)
            if outcome.processing:
                await asyncio.sleep(min(self.recovery_poll_interval, remaining()))
                continue
            # No record: the request never reached the server. Resending with the same key is safe.
            if resent:
                raise OutcomeUnknownError(method, key, "the server has no record even after a resend") from cause
            resent = True
            log.info("%s %s: the server has no record; resending with the same key", method, key)
            try:
                return await self._invoke(method, args, result_type, timeout)
            except MesoLiveApiException as exc:
                if exc.status == StatusCode.DuplicateRequest and exc.data is not None:
                    return exc.data  # the resend raced the original: same outcome
                if exc.status == StatusCode.Conflict and getattr(exc.error, "code", None) == "Processing":
                    # The original is still executing (the server keeps in-flight calls unrecorded
                    # until they finish): the resend was refused without effect. Poll again.
                    resent = False
                    await asyncio.sleep(min(self.recovery_poll_interval, remaining()))
                    continue
                raise
            except _UNKNOWN_OUTCOME:
                await asyncio.sleep(min(self.recovery_poll_interval, remaining()))
                continue

    # -- prepare jobs --------------------------------------------------------------------
    @overload
    async def prepare_and_wait(
        self, args: PreparePositionEntryArgs, /, *, events: MesoLiveEventHubClient | None = ...,
        timeout: float = ..., poll_interval: float = ..., max_restarts: int = ...,
    ) -> PrepareJobOutcome[PreparePositionEntryResult]: ...

    @overload
    async def prepare_and_wait(
        self, args: PreparePositionExitArgs, /, *, events: MesoLiveEventHubClient | None = ...,
        timeout: float = ..., poll_interval: float = ..., max_restarts: int = ...,
    ) -> PrepareJobOutcome[PreparePositionExitResult]: ...

    @overload
    async def prepare_and_wait(
        self, args: PreparePositionAdjustmentArgs, /, *, events: MesoLiveEventHubClient | None = ...,
        timeout: float = ..., poll_interval: float = ..., max_restarts: int = ...,
    ) -> PrepareJobOutcome[PreparePositionAdjustmentResult]: ...

    async def prepare_and_wait(
        self,
        args: PrepareArgs,
        /,
        *,
        events: MesoLiveEventHubClient | None = None,
        timeout: float = 120.0,
        poll_interval: float = 2.0,
        max_restarts: int = 3,
    ) -> PrepareJobOutcome[Any]:
        """Start a prepare job and wait until it completes, fails or is cancelled.

        ``args`` is a :class:`PreparePositionEntryArgs`, :class:`PreparePositionExitArgs` or
        :class:`PreparePositionAdjustmentArgs` (its ``IdempotencyKey`` is used as given). With
        ``events`` (a connected :class:`MesoLiveEventHubClient`) the job's
        ``...PreparationCompleted``/``...Failed`` event ends the wait; the job status is polled
        every ``poll_interval`` seconds as a backup (without ``events``: polled only, first
        after 0.25 s, then backing off to ``poll_interval``).

        A job lost to a server restart (its status is ``NotFound``, or ``Failed`` saying it was
        interrupted by a restart) cannot be resumed: the same key would only answer
        ``DuplicateRequest``. It is started again under a new key (``<key>:r1``, ``:r2`` ...; at
        most ``max_restarts`` times), logged at WARNING, and listed in the outcome's ``restarts``.

        Returns a :class:`PrepareJobOutcome` (``.completed``/``.result``, ``.failed``/``.error``,
        ``.restarted``). Raises :class:`OutcomeUnknownError` (a ``TimeoutError``) when the job
        has not finished within ``timeout`` seconds, and what ``StartPrepare*`` raises.
        """
        kind = _PREPARE_KINDS.get(type(args))
        if kind is None:
            raise TypeError(f"prepare_and_wait takes PreparePositionEntryArgs, PreparePositionExitArgs or "
                            f"PreparePositionAdjustmentArgs, not {type(args).__name__}")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        finished: dict[str, tuple[PreparationStatus, Any, str | None]] = {}  # job id -> what its event said
        wake = asyncio.Event()

        def on_completed(event: Any) -> None:
            finished[event.job_id] = (PreparationStatus.Completed, event.result, None)
            wake.set()

        def on_failed(event: Any) -> None:
            finished[event.job_id] = (PreparationStatus.Failed, None, event.error)
            wake.set()

        removers: list[Callable[[], None]] = []
        if events is not None:  # registered before the start: a fast job's event must not be missed
            removers = [getattr(events, kind.completed)(on_completed), getattr(events, kind.failed)(on_failed)]
        restarts: list[LostPrepareJob] = []
        current = args
        try:
            while True:
                key: str = current.idempotency_key
                left = deadline - loop.time()
                if left <= 0:
                    raise OutcomeUnknownError(kind.start, key, "no time left to start the prepare job again")
                started = await self._invoke_idempotent(kind.start, current, StartPrepareResult, left)
                job_id = started.job_id
                status, result, error, via = await self._wait_job(
                    kind, job_id, finished, wake, deadline, poll_interval, events is not None)
                lost = status is None or (status == PreparationStatus.Failed and looks_lost(error))
                if not lost:
                    assert status is not None
                    return PrepareJobOutcome(job_id, key, status, result, error, via, tuple(restarts))
                reason = error or "the server no longer knows the job"
                if len(restarts) >= max_restarts:
                    return PrepareJobOutcome(job_id, key, status or PreparationStatus.Failed, None,
                                             f"lost to a server restart {len(restarts) + 1} times: {reason}",
                                             via, tuple(restarts))
                restarts.append(LostPrepareJob(key, job_id, reason))
                new_key = restart_key(args.idempotency_key, len(restarts))
                current = current.model_copy(update={"idempotency_key": new_key})
                log.warning("prepare %s job %s (key %s) was lost to a server restart (%s); starting it again "
                            "under key %s", kind.name, job_id, key, reason, new_key)
        finally:
            for remove in removers:
                remove()

    async def _wait_job(
        self, kind: _PrepareKind, job_id: str, finished: dict[str, tuple[PreparationStatus, Any, str | None]],
        wake: asyncio.Event, deadline: float, poll_interval: float, have_events: bool,
    ) -> tuple[PreparationStatus | None, Any, str | None, Literal["event", "poll"]]:
        """Wait for job ``job_id``: ``(status, result, error, via)``; status ``None`` = the server
        does not know the job (lost)."""
        loop = asyncio.get_running_loop()
        interval = poll_interval if have_events else min(0.25, poll_interval)
        while True:
            if job_id in finished:
                status, result, error = finished[job_id]
                return status, result, error, "event"
            left = deadline - loop.time()
            if left <= 0:
                raise OutcomeUnknownError(kind.start, job_id, "the prepare job did not finish in time; ask "
                                                              f"{kind.status} later")
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), min(interval, left))
            if job_id in finished:
                continue
            try:
                raw = await self._invoke(kind.status, kind.status_args(job_id=job_id), kind.status_result,
                                         min(10.0, max(0.1, deadline - loop.time())))
            except MesoLiveApiException as exc:
                if exc.status == StatusCode.NotFound:
                    return None, None, str(exc.message or exc), "poll"
                raise
            except _UNKNOWN_OUTCOME as exc:  # reconnecting, or a slow answer: poll again
                log.info("polling prepare job %s: %s", job_id, exc)
                continue
            finally:
                interval = min(poll_interval, interval * 2)
            if raw.status in _TERMINAL:
                return raw.status, raw.result, raw.error, "poll"

    async def get_idempotency_record(
        self, args: GetIdempotencyRecordArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> IdempotencyRecord:
        """``GetIdempotencyRecord``: Recover outcomes after unknown results.
        """
        args = build_args(GetIdempotencyRecordArgs, args, kwargs)
        return cast(IdempotencyRecord, await self._invoke("GetIdempotencyRecord", args, IdempotencyRecord, timeout))

    async def list_agents(
        self, args: ListAgentsArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> ListAgentsResult:
        """``ListAgents``: Connected providers/connectors.
        """
        args = build_args(ListAgentsArgs, args, kwargs)
        return cast(ListAgentsResult, await self._invoke("ListAgents", args, ListAgentsResult, timeout))

    async def list_accounts(
        self, args: ListAccountsArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> ListAccountsResult:
        """``ListAccounts``: Paged; token is opaque.
        """
        args = build_args(ListAccountsArgs, args, kwargs)
        return cast(ListAccountsResult, await self._invoke("ListAccounts", args, ListAccountsResult, timeout))

    async def get_account(
        self, args: GetAccountArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> LiveAccount:
        """``GetAccount``.
        """
        args = build_args(GetAccountArgs, args, kwargs)
        return cast(LiveAccount, await self._invoke("GetAccount", args, LiveAccount, timeout))

    async def create_strategy(
        self, args: CreateStrategyArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> LiveStrategy:
        """``CreateStrategy``: Requires StrategyDefinition payload.
        """
        args = build_args(CreateStrategyArgs, args, kwargs)
        return cast(LiveStrategy, await self._invoke("CreateStrategy", args, LiveStrategy, timeout))

    async def update_strategy(
        self, args: UpdateStrategyArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> LiveStrategy:
        """``UpdateStrategy``.
        """
        args = build_args(UpdateStrategyArgs, args, kwargs)
        return cast(LiveStrategy, await self._invoke("UpdateStrategy", args, LiveStrategy, timeout))

    async def rename_strategy(
        self, args: RenameStrategyArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> LiveStrategy:
        """``RenameStrategy``.
        """
        args = build_args(RenameStrategyArgs, args, kwargs)
        return cast(LiveStrategy, await self._invoke("RenameStrategy", args, LiveStrategy, timeout))

    async def delete_strategy(
        self, args: DeleteStrategyArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> DeleteStrategyResult:
        """``DeleteStrategy``.
        """
        args = build_args(DeleteStrategyArgs, args, kwargs)
        return cast(DeleteStrategyResult, await self._invoke("DeleteStrategy", args, DeleteStrategyResult, timeout))

    async def list_strategies(
        self, args: ListStrategiesArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> ListStrategiesResult:
        """``ListStrategies``: Paged; filter by ActiveOnAccounts.
        """
        args = build_args(ListStrategiesArgs, args, kwargs)
        return cast(ListStrategiesResult, await self._invoke("ListStrategies", args, ListStrategiesResult, timeout))

    async def get_strategy(
        self, args: GetStrategyArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> LiveStrategy:
        """``GetStrategy``.
        """
        args = build_args(GetStrategyArgs, args, kwargs)
        return cast(LiveStrategy, await self._invoke("GetStrategy", args, LiveStrategy, timeout))

    async def list_positions(
        self, args: ListPositionsArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> ListPositionsResult:
        """``ListPositions``: Filter by LiveStrategyId, LiveExecPlanId, BrokerAccountId.
        """
        args = build_args(ListPositionsArgs, args, kwargs)
        return cast(ListPositionsResult, await self._invoke("ListPositions", args, ListPositionsResult, timeout))

    async def get_position(
        self, args: GetPositionArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> LivePositionDetails:
        """``GetPosition``: Detailed view (legs, vars, pricing blocks).
        """
        args = build_args(GetPositionArgs, args, kwargs)
        return cast(LivePositionDetails, await self._invoke("GetPosition", args, LivePositionDetails, timeout))

    async def list_legs(
        self, args: ListLegsArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> ListLegsResult:
        """``ListLegs``: Paged.
        """
        args = build_args(ListLegsArgs, args, kwargs)
        return cast(ListLegsResult, await self._invoke("ListLegs", args, ListLegsResult, timeout))

    async def get_leg(
        self, args: GetLegArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> LiveLeg:
        """``GetLeg``.
        """
        args = build_args(GetLegArgs, args, kwargs)
        return cast(LiveLeg, await self._invoke("GetLeg", args, LiveLeg, timeout))

    async def get_legs(
        self, args: GetLegsArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> GetLegsResult:
        """``GetLegs``: Batch get.
        """
        args = build_args(GetLegsArgs, args, kwargs)
        return cast(GetLegsResult, await self._invoke("GetLegs", args, GetLegsResult, timeout))

    async def start_prepare_position_entry(
        self, args: PreparePositionEntryArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> StartPrepareResult:
        """``StartPreparePositionEntry``: Returns JobId.

        ``IdempotencyKey`` defaults to a fresh ``prep_entry_<uuid>`` key.
        """
        args = build_args(PreparePositionEntryArgs, args, with_idempotency_key(PreparePositionEntryArgs, args, kwargs, "prep_entry_"))
        return cast(StartPrepareResult, await self._invoke_idempotent("StartPreparePositionEntry", args, StartPrepareResult, timeout))

    async def get_prepare_position_entry_status(
        self, args: GetPreparePositionEntryStatusArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> GetPreparePositionEntryStatusResult:
        """``GetPreparePositionEntryStatus``: Poll job status.
        """
        args = build_args(GetPreparePositionEntryStatusArgs, args, kwargs)
        return cast(GetPreparePositionEntryStatusResult, await self._invoke("GetPreparePositionEntryStatus", args, GetPreparePositionEntryStatusResult, timeout))

    async def cancel_prepare_position_entry(
        self, args: CancelPreparePositionEntryArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> CancelPrepareResult:
        """``CancelPreparePositionEntry``: Best-effort cancel.

        ``IdempotencyKey`` defaults to a fresh ``cancel_prep_entry_<uuid>`` key.
        """
        args = build_args(CancelPreparePositionEntryArgs, args, with_idempotency_key(CancelPreparePositionEntryArgs, args, kwargs, "cancel_prep_entry_"))
        return cast(CancelPrepareResult, await self._invoke_idempotent("CancelPreparePositionEntry", args, CancelPrepareResult, timeout))

    async def start_prepare_position_exit(
        self, args: PreparePositionExitArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> StartPrepareResult:
        """``StartPreparePositionExit``: Returns JobId.

        ``IdempotencyKey`` defaults to a fresh ``prep_exit_<uuid>`` key.
        """
        args = build_args(PreparePositionExitArgs, args, with_idempotency_key(PreparePositionExitArgs, args, kwargs, "prep_exit_"))
        return cast(StartPrepareResult, await self._invoke_idempotent("StartPreparePositionExit", args, StartPrepareResult, timeout))

    async def get_prepare_position_exit_status(
        self, args: GetPreparePositionExitStatusArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> GetPreparePositionExitStatusResult:
        """``GetPreparePositionExitStatus``.
        """
        args = build_args(GetPreparePositionExitStatusArgs, args, kwargs)
        return cast(GetPreparePositionExitStatusResult, await self._invoke("GetPreparePositionExitStatus", args, GetPreparePositionExitStatusResult, timeout))

    async def cancel_prepare_position_exit(
        self, args: CancelPreparePositionExitArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> CancelPrepareResult:
        """``CancelPreparePositionExit``.

        ``IdempotencyKey`` defaults to a fresh ``cancel_prep_exit_<uuid>`` key.
        """
        args = build_args(CancelPreparePositionExitArgs, args, with_idempotency_key(CancelPreparePositionExitArgs, args, kwargs, "cancel_prep_exit_"))
        return cast(CancelPrepareResult, await self._invoke_idempotent("CancelPreparePositionExit", args, CancelPrepareResult, timeout))

    async def start_prepare_position_adjustment(
        self, args: PreparePositionAdjustmentArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> StartPrepareResult:
        """``StartPreparePositionAdjustment``: Returns JobId.

        ``IdempotencyKey`` defaults to a fresh ``prep_adj_<uuid>`` key.
        """
        args = build_args(PreparePositionAdjustmentArgs, args, with_idempotency_key(PreparePositionAdjustmentArgs, args, kwargs, "prep_adj_"))
        return cast(StartPrepareResult, await self._invoke_idempotent("StartPreparePositionAdjustment", args, StartPrepareResult, timeout))

    async def get_prepare_position_adjustment_status(
        self, args: GetPreparePositionAdjustmentStatusArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> GetPreparePositionAdjustmentStatusResult:
        """``GetPreparePositionAdjustmentStatus``.
        """
        args = build_args(GetPreparePositionAdjustmentStatusArgs, args, kwargs)
        return cast(GetPreparePositionAdjustmentStatusResult, await self._invoke("GetPreparePositionAdjustmentStatus", args, GetPreparePositionAdjustmentStatusResult, timeout))

    async def cancel_prepare_position_adjustment(
        self, args: CancelPreparePositionAdjustmentArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> CancelPrepareResult:
        """``CancelPreparePositionAdjustment``.

        ``IdempotencyKey`` defaults to a fresh ``cancel_prep_adj_<uuid>`` key.
        """
        args = build_args(CancelPreparePositionAdjustmentArgs, args, with_idempotency_key(CancelPreparePositionAdjustmentArgs, args, kwargs, "cancel_prep_adj_"))
        return cast(CancelPrepareResult, await self._invoke_idempotent("CancelPreparePositionAdjustment", args, CancelPrepareResult, timeout))

    async def apply_paper_fills(
        self, args: ApplyPaperFillsArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> ApplyPaperFillsResult:
        """``ApplyPaperFills``: Paper accounts (MesoLive).

        ``IdempotencyKey`` defaults to a fresh ``paper_fill_<uuid>`` key.
        """
        args = build_args(ApplyPaperFillsArgs, args, with_idempotency_key(ApplyPaperFillsArgs, args, kwargs, "paper_fill_"))
        return cast(ApplyPaperFillsResult, await self._invoke_idempotent("ApplyPaperFills", args, ApplyPaperFillsResult, timeout))

    async def send_order(
        self, args: SendOrderArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> SendOrderResult:
        """``SendOrder``: Usually called per leg group.

        ``IdempotencyKey`` defaults to a fresh ``send_order_<uuid>`` key.
        """
        args = build_args(SendOrderArgs, args, with_idempotency_key(SendOrderArgs, args, kwargs, "send_order_"))
        return cast(SendOrderResult, await self._invoke_idempotent("SendOrder", args, SendOrderResult, timeout))

    async def cancel_order(
        self, args: CancelOrderArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> CancelOrderResult:
        """``CancelOrder``: Rejects cancel for filled orders.

        ``IdempotencyKey`` defaults to a fresh ``cancel_order_<uuid>`` key.
        """
        args = build_args(CancelOrderArgs, args, with_idempotency_key(CancelOrderArgs, args, kwargs, "cancel_order_"))
        return cast(CancelOrderResult, await self._invoke_idempotent("CancelOrder", args, CancelOrderResult, timeout))

    async def get_order(
        self, args: GetOrderArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> Order:
        """``GetOrder``.
        """
        args = build_args(GetOrderArgs, args, kwargs)
        return cast(Order, await self._invoke("GetOrder", args, Order, timeout))

    async def list_orders(
        self, args: ListOrdersArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> ListOrdersResult:
        """``ListOrders``: Paged by ExecPlanId.
        """
        args = build_args(ListOrdersArgs, args, kwargs)
        return cast(ListOrdersResult, await self._invoke("ListOrders", args, ListOrdersResult, timeout))

    async def list_executions(
        self, args: ListExecutionsArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> ListExecutionsResult:
        """``ListExecutions``.
        """
        args = build_args(ListExecutionsArgs, args, kwargs)
        return cast(ListExecutionsResult, await self._invoke("ListExecutions", args, ListExecutionsResult, timeout))

    async def get_execution(
        self, args: GetExecutionArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> LiveExecution:
        """``GetExecution``.
        """
        args = build_args(GetExecutionArgs, args, kwargs)
        return cast(LiveExecution, await self._invoke("GetExecution", args, LiveExecution, timeout))

    async def get_executions(
        self, args: GetExecutionsArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> GetExecutionsResult:
        """``GetExecutions``: Batch get.
        """
        args = build_args(GetExecutionsArgs, args, kwargs)
        return cast(GetExecutionsResult, await self._invoke("GetExecutions", args, GetExecutionsResult, timeout))
