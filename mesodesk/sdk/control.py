"""Control hub client (/hubs/control/v1): accounts, strategies, positions, prepare jobs, orders."""

from __future__ import annotations

from typing import Any, ClassVar, cast

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
    PreparePositionAdjustmentArgs,
    PreparePositionEntryArgs,
    PreparePositionExitArgs,
    RenameStrategyArgs,
    SendOrderArgs,
    SendOrderResult,
    StartPrepareResult,
    UpdateStrategyArgs,
)
from mesodesk.sdk._hub import HubClient, build_args
from mesodesk.sdk._idempotency import with_idempotency_key
from mesodesk.sdk._paging import PagingMixin


class MesoLiveControlHubClient(PagingMixin, HubClient):
    """Control hub client (/hubs/control/v1): accounts, strategies, positions, prepare jobs, orders.

    Every method takes its args model, or keyword arguments that build it, and
    raises :class:`~mesodesk.sdk.errors.MesoLiveApiException` on a non-Success status.
    """

    HUB: ClassVar[str] = "control"

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
        return cast(StartPrepareResult, await self._invoke("StartPreparePositionEntry", args, StartPrepareResult, timeout))

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
        return cast(CancelPrepareResult, await self._invoke("CancelPreparePositionEntry", args, CancelPrepareResult, timeout))

    async def start_prepare_position_exit(
        self, args: PreparePositionExitArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> StartPrepareResult:
        """``StartPreparePositionExit``: Returns JobId.

        ``IdempotencyKey`` defaults to a fresh ``prep_exit_<uuid>`` key.
        """
        args = build_args(PreparePositionExitArgs, args, with_idempotency_key(PreparePositionExitArgs, args, kwargs, "prep_exit_"))
        return cast(StartPrepareResult, await self._invoke("StartPreparePositionExit", args, StartPrepareResult, timeout))

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
        return cast(CancelPrepareResult, await self._invoke("CancelPreparePositionExit", args, CancelPrepareResult, timeout))

    async def start_prepare_position_adjustment(
        self, args: PreparePositionAdjustmentArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> StartPrepareResult:
        """``StartPreparePositionAdjustment``: Returns JobId.

        ``IdempotencyKey`` defaults to a fresh ``prep_adj_<uuid>`` key.
        """
        args = build_args(PreparePositionAdjustmentArgs, args, with_idempotency_key(PreparePositionAdjustmentArgs, args, kwargs, "prep_adj_"))
        return cast(StartPrepareResult, await self._invoke("StartPreparePositionAdjustment", args, StartPrepareResult, timeout))

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
        return cast(CancelPrepareResult, await self._invoke("CancelPreparePositionAdjustment", args, CancelPrepareResult, timeout))

    async def apply_paper_fills(
        self, args: ApplyPaperFillsArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> ApplyPaperFillsResult:
        """``ApplyPaperFills``: Paper accounts (MesoLive).

        ``IdempotencyKey`` defaults to a fresh ``paper_fill_<uuid>`` key.
        """
        args = build_args(ApplyPaperFillsArgs, args, with_idempotency_key(ApplyPaperFillsArgs, args, kwargs, "paper_fill_"))
        return cast(ApplyPaperFillsResult, await self._invoke("ApplyPaperFills", args, ApplyPaperFillsResult, timeout))

    async def send_order(
        self, args: SendOrderArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> SendOrderResult:
        """``SendOrder``: Usually called per leg group.

        ``IdempotencyKey`` defaults to a fresh ``send_order_<uuid>`` key.
        """
        args = build_args(SendOrderArgs, args, with_idempotency_key(SendOrderArgs, args, kwargs, "send_order_"))
        return cast(SendOrderResult, await self._invoke("SendOrder", args, SendOrderResult, timeout))

    async def cancel_order(
        self, args: CancelOrderArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> CancelOrderResult:
        """``CancelOrder``: Rejects cancel for filled orders.

        ``IdempotencyKey`` defaults to a fresh ``cancel_order_<uuid>`` key.
        """
        args = build_args(CancelOrderArgs, args, with_idempotency_key(CancelOrderArgs, args, kwargs, "cancel_order_"))
        return cast(CancelOrderResult, await self._invoke("CancelOrder", args, CancelOrderResult, timeout))

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
