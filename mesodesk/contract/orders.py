"""Orders, executions and paper fills."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from .base import IdempotencyKey, UtcDatetime, WireModel
from .common import Page, PagedArgs
from .enums import OrderState, OrderType, TimeInForce
from .market import LiveContract

__all__ = [
    "ApplyPaperFillsArgs",
    "ApplyPaperFillsResult",
    "CancelOrderArgs",
    "CancelOrderResult",
    "GetExecutionArgs",
    "GetExecutionsArgs",
    "GetExecutionsResult",
    "GetOrderArgs",
    "LegGroupOrder",
    "ListExecutionsArgs",
    "ListExecutionsResult",
    "ListOrdersArgs",
    "ListOrdersResult",
    "LiveExecution",
    "Order",
    "OrderRejectionInfo",
    "OrderSide",
    "PaperFill",
    "SendOrderArgs",
    "SendOrderResult",
]

#: ``Order.Side``: "B" buy, "S" sell.
OrderSide = Literal["B", "S"]


class LegGroupOrder(WireModel):
    """The order of one leg group.

    * ``LegNames``: the legs of this group (from the prepare result's ``LegGroups``).
    * ``Qty``: number of combos; null = ``LegGroupQtys[group].GroupQty`` of the prepare
      result. ``LegQtys``: optional per-leg override of the signed ratio.
    * Prices are per one combo unit and signed: positive = debit (pay),
      negative = credit (receive). ``LimitPrice`` is required for Limit/StopLimit,
      ``StopPrice`` for Stop/StopLimit (Portal rule: a price is required).
    """

    order_type: OrderType
    time_in_force: TimeInForce = TimeInForce.DAY
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    leg_names: list[str] = Field(min_length=1)
    qty: Decimal | None = Field(default=None, gt=0)
    leg_qtys: dict[str, Decimal] | None = None

    @model_validator(mode="after")
    def _check_prices(self) -> LegGroupOrder:
        if self.order_type in (OrderType.Limit, OrderType.StopLimit) and self.limit_price is None:
            raise ValueError(f"LimitPrice is required for {self.order_type.value} orders")
        if self.order_type in (OrderType.Stop, OrderType.StopLimit) and self.stop_price is None:
            raise ValueError(f"StopPrice is required for {self.order_type.value} orders")
        return self


class SendOrderArgs(WireModel):
    """``SendOrder`` args: one SendOrder per leg group. Nullable fields default to None."""

    idempotency_key: IdempotencyKey
    replaces_order: int | None = None
    broker_account_id: str
    exec_plan_id: int
    qty_multiplier: Decimal | None = None
    leg_group_id: int
    leg_group_order: LegGroupOrder


class SendOrderResult(WireModel):
    """``{OrderIds}`` (matches ``IdempotencyRecord.LiveOrderIds``); one id per SendOrder
    today, a list to allow brokers that split a combo.
    """

    order_ids: list[int]


class CancelOrderArgs(WireModel):
    """``CancelOrder`` args: ``{IdempotencyKey, OrderId, BrokerAccountId?}``."""

    idempotency_key: IdempotencyKey
    order_id: int
    broker_account_id: str | None = None


class CancelOrderResult(WireModel):
    """The order state after the cancel request (usually ``Cancelled``, or still working
    while the broker confirms). Cancelling a Filled/Cancelled/Rejected order answers
    ``StatusCode.Conflict``.
    """

    order_id: int
    state: OrderState


class OrderRejectionInfo(WireModel):
    """Why a broker rejected an order: ``{Code?, Reason, Provider?}``."""

    code: str | None = None
    reason: str
    provider: str | None = None


class Order(WireModel):
    """An order. ``Qty``/``CumQty`` are signed (negative = sell).

    ``FilledAt`` is null until the order is (partially) filled.
    """

    order_id: int
    created_at: UtcDatetime
    filled_at: UtcDatetime | None = None
    exec_plan_id: int
    broker_account_id: str
    leg_group_id: int
    state: OrderState
    side: OrderSide
    qty: Decimal
    cum_qty: Decimal
    avg_fill_price: Decimal | None = None
    last_fill_price: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    order_type: OrderType
    time_in_force: TimeInForce
    last_updated: UtcDatetime


class GetOrderArgs(WireModel):
    """``GetOrder`` args: ``{OrderId}``. Result: ``Order``."""

    order_id: int


class ListOrdersArgs(PagedArgs):
    """``ListOrders`` filters (paged): ``ExecPlanId``, ``BrokerAccountId`` and ``State``, all optional."""

    exec_plan_id: int | None = None
    broker_account_id: str | None = None
    state: OrderState | None = None


class ListOrdersResult(Page[Order]):
    """Paged ``Order`` items."""


class LiveExecution(WireModel):
    """An execution (fill). ``Price`` excludes commission; ``Qty`` is signed."""

    execution_id: int
    order_id: int
    leg_id: int
    leg_name: str | None = None
    exec_plan_id: int
    broker_account_id: str
    contract: LiveContract
    qty: Decimal
    price: Decimal
    commission: Decimal = Decimal(0)
    executed_at: UtcDatetime
    broker_exec_id: str | None = None


class ListExecutionsArgs(PagedArgs):
    """``ListExecutions`` filters (paged): ``ExecPlanId``/``OrderId``/``LegId``/``BrokerAccountId``."""

    exec_plan_id: int | None = None
    order_id: int | None = None
    leg_id: int | None = None
    broker_account_id: str | None = None


class ListExecutionsResult(Page[LiveExecution]):
    """Paged ``LiveExecution`` items."""


class GetExecutionArgs(WireModel):
    """Result: ``LiveExecution``."""

    execution_id: int


class GetExecutionsArgs(WireModel):
    """Batch get."""

    execution_ids: list[int] = Field(max_length=1000)


class GetExecutionsResult(WireModel):
    """``{Executions}`` in request order; unknown ids are omitted."""

    executions: list[LiveExecution]


class PaperFill(WireModel):
    """Fill of one leg. ``Qty`` null = the full prepared leg qty (LegQtys * GroupQty);
    ``Commission`` null = 0. ``Price`` is per unit, excludes commission, positive (the
    sign comes from the leg qty).
    """

    price: Decimal
    qty: Decimal | None = None
    commission: Decimal | None = None


class ApplyPaperFillsArgs(WireModel):
    """Fills for a paper account's exec plan, keyed by leg name. ``LegGroupId`` null = all
    groups of the exec plan.
    """

    idempotency_key: IdempotencyKey
    broker_account_id: str
    exec_plan_id: int
    leg_group_id: int | None = None
    qty_multiplier: Decimal | None = None
    fills: dict[str, PaperFill] = Field(min_length=1)


class ApplyPaperFillsResult(WireModel):
    """The (already filled) orders and executions created for the fills, and the affected
    position.
    """

    exec_plan_id: int
    position_id: int | None = None
    order_ids: list[int] = Field(default_factory=list)
    execution_ids: list[int] = Field(default_factory=list)
