"""A prepared exec plan (entry, exit or adjustment) and the order lines a ticket sends for it.

The prepare result's ``LegGroupQtys`` are the **order** quantities (leg fill qty =
``LegQtys × GroupQty``): for an exit they close the held legs, so they have the
opposite sign of the position's. A line's ratios are those quantities over their
common unit; ``combos`` is how many of that unit the line trades. Pricing a line
always uses these ratios (:func:`mesodesk.core.trading.pricing.combo_quote`), never the
held quantities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from mesodesk.contract import (
    ConditionEvaluation,
    ExitSignalEvent,
    LiveLeg,
    OrderType,
    PreparePositionAdjustmentResult,
    PreparePositionEntryResult,
    PreparePositionExitResult,
    TimeInForce,
)
from mesodesk.quant.combos import combo_unit

ZERO = Decimal(0)
ONE = Decimal(1)
PRICED_TYPES = (OrderType.Limit, OrderType.StopLimit)
STOP_TYPES = (OrderType.Stop, OrderType.StopLimit)

AnyResult = PreparePositionEntryResult | PreparePositionExitResult | PreparePositionAdjustmentResult


class FlowKind(StrEnum):
    ENTRY = "entry"
    EXIT = "exit"
    ADJUSTMENT = "adjustment"


@dataclass
class PlanView:
    """One prepared exec plan, whatever the flow."""

    kind: FlowKind
    result: AnyResult
    paper: bool = False
    #: entry only: the QtyMultiplier the user chose (None = the prepared one)
    qty_multiplier: Decimal | None = None
    #: exit only: the position's latest exit signal when prepared (None: none received)
    exit_signal: ExitSignalEvent | None = None

    @property
    def exec_plan_id(self) -> int:
        return self.result.exec_plan_id

    @property
    def account(self) -> str:
        return self.result.broker_account_id

    @property
    def position_name(self) -> str:
        return self.result.position_name

    @property
    def title(self) -> str:
        r = self.result
        if isinstance(r, PreparePositionAdjustmentResult):
            return f"{r.operation.value} · {r.position_name}"
        verb = "Exit" if self.kind is FlowKind.EXIT else "New position"
        return f"{verb} · {r.position_name}"

    @property
    def position_id(self) -> int | None:
        r = self.result
        return None if isinstance(r, PreparePositionEntryResult) else r.position_id

    @property
    def legs(self) -> dict[str, LiveLeg]:
        """The result's legs: selected (entry, qty × QtyMultiplier), held (exit), order legs (adjustment)."""
        r = self.result
        if isinstance(r, PreparePositionEntryResult):
            return r.selected_legs
        if isinstance(r, PreparePositionExitResult):
            return r.position_legs
        return r.order_legs

    @property
    def groups(self) -> dict[int, list[str]]:
        return self.result.leg_groups

    @property
    def conditions(self) -> list[ConditionEvaluation]:
        r = self.result
        if isinstance(r, PreparePositionEntryResult):
            return [*r.abort_conditions, *r.entry_conditions]
        if isinstance(r, PreparePositionAdjustmentResult):
            return list(r.abort_conditions or [])
        return []

    @property
    def allowed(self) -> bool | None:
        r = self.result
        if isinstance(r, PreparePositionEntryResult):
            return r.entry_allowed
        if isinstance(r, PreparePositionAdjustmentResult):
            return r.adjustment_allowed
        return None

    @property
    def base_multiplier(self) -> Decimal | None:
        r = self.result
        return None if isinstance(r, PreparePositionExitResult) else r.qty_multiplier

    @property
    def scale(self) -> Decimal:
        """Entry QtyMultiplier override relative to the prepared one (1 = unchanged)."""
        base = self.base_multiplier
        if self.kind is not FlowKind.ENTRY or self.qty_multiplier is None or not base:
            return ONE
        return self.qty_multiplier / base

    @property
    def send_multiplier(self) -> Decimal | None:
        """``QtyMultiplier`` to send: entry flows only (exits and adjustments pass None)."""
        return self.qty_multiplier if self.kind is FlowKind.ENTRY else None

    def planned_qty(self, name: str) -> Decimal:
        """Signed quantity the plan's orders trade for leg ``name`` (+ buy, − sell)."""
        for group_id, names in self.groups.items():
            if name in names:
                qtys = self.result.leg_group_qtys.get(group_id)
                if qtys is not None and name in qtys.leg_qtys:
                    return qtys.leg_qtys[name] * qtys.group_qty * self.scale
        leg = self.legs.get(name)
        if leg is None:
            return ZERO
        # no LegGroupQtys for this leg: held legs close with the opposite sign
        return -leg.qty if self.kind is FlowKind.EXIT else leg.qty * self.scale

    def closes(self, name: str) -> bool:
        """Does the plan's order for leg ``name`` close (part of) a held leg?"""
        if self.kind is FlowKind.EXIT:
            return True
        if self.kind is FlowKind.ENTRY:
            return False
        leg = self.legs.get(name)
        return leg is not None and leg.id != 0

    def multiplier(self, name: str) -> Decimal:
        leg = self.legs.get(name)
        return (leg.live_contract.multiplier if leg is not None else None) or Decimal(100)


class LineStatus(StrEnum):
    """Where a line is in its life, as the ticket knows it (the order's state is the store's)."""

    NEW = "new"  # not sent yet
    SENDING = "sending"
    SENT = "sent"  # an order id: its state is in the store
    REFUSED = "refused"  # the server refused the call (no order)
    UNKNOWN = "unknown"  # outcome unknown: never re-sent with a new key


@dataclass
class OrderLine:
    """One order of a ticket: a leg group, or one leg of it after a split."""

    group_id: int
    leg_names: list[str]
    order_type: OrderType = OrderType.Limit
    tif: TimeInForce = TimeInForce.DAY
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    #: explicit combo count; None = what the plan has left (the server decides)
    qty: Decimal | None = None
    #: True once the user typed a price (the default then stops following the market)
    price_edited: bool = False
    idempotency_key: str | None = None
    #: every order id this line produced (a replace appends), the live one last
    order_ids: list[int] = field(default_factory=list)
    #: orders of earlier sends, set aside when the ticket went back to editing (rejected ones)
    history: list[int] = field(default_factory=list)
    status: LineStatus = LineStatus.NEW
    #: why the server refused the call (an order that was created and Rejected keeps its reason in the store)
    refusal: str | None = None

    @property
    def label(self) -> str:
        return f"Group {self.group_id}" if len(self.leg_names) > 1 else f"Group {self.group_id} · {self.leg_names[0]}"

    @property
    def order_id(self) -> int | None:
        return self.order_ids[-1] if self.order_ids else None


def line_ratios(plan: PlanView, line: OrderLine) -> tuple[dict[str, Decimal], Decimal]:
    """(signed per-combo ratios, default combo count) of a line: planned qtys over their unit."""
    planned = {n: plan.planned_qty(n) for n in line.leg_names}
    unit = combo_unit(list(planned.values()))
    ratios = {n: q / unit for n, q in planned.items() if q}
    return ratios, unit


def line_combos(plan: PlanView, line: OrderLine) -> Decimal:
    return line.qty if line.qty is not None else line_ratios(plan, line)[1]


def line_contracts(plan: PlanView, line: OrderLine) -> Decimal:
    """Contracts the line trades: the sum over its legs of |ratio| × combos."""
    ratios, _ = line_ratios(plan, line)
    combos = line_combos(plan, line)
    return sum((abs(r) * combos for r in ratios.values()), ZERO)


def field_errors(line: OrderLine) -> dict[str, str]:
    """Field-level problems of one line (``limit``/``stop``/``qty`` -> message)."""
    errors: dict[str, str] = {}
    if line.order_type in PRICED_TYPES and line.limit_price is None:
        errors["limit"] = f"A limit price is required for {line.order_type.value} orders"
    if line.order_type in STOP_TYPES and line.stop_price is None:
        errors["stop"] = f"A stop price is required for {line.order_type.value} orders"
    if line.qty is not None and line.qty <= 0:
        errors["qty"] = "Quantity must be greater than 0"
    return errors
