"""The ticket's data: a prepared plan (entry, exit or adjustment), its order lines, the
combo-price arithmetic, the precautionary guards and the price conventions.

Conventions (from the contract): combo prices are signed per combo unit, positive =
debit (you pay), negative = credit (you receive). Every order buys the combo *as
defined*, so the natural (marketable) price is the combo's ``Ask`` and a passive one
its ``Bid``. Leg prices are per contract unit and positive.

Nothing here touches Qt: the widgets render these objects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from mesodesk.contract import (
    TERMINAL_ORDER_STATES,
    ConditionEvaluation,
    LiveLeg,
    LivePrices,
    OrderState,
    OrderType,
    PreparePositionAdjustmentResult,
    PreparePositionEntryResult,
    PreparePositionExitResult,
    TimeInForce,
)

ZERO = Decimal(0)
TICK = Decimal("0.05")
PRICED_TYPES = (OrderType.Limit, OrderType.StopLimit)
STOP_TYPES = (OrderType.Stop, OrderType.StopLimit)


# ------------------------------------------------------------------ formatting
def fmt_price(value: Decimal | None, places: int = 2) -> str:
    return "–" if value is None else f"{value:,.{places}f}"


def side_word(value: Decimal | None) -> str:
    """The signed-price convention in words: positive = debit, negative = credit."""
    if value is None:
        return ""
    return "debit" if value > 0 else ("credit" if value < 0 else "even")


def fmt_signed(value: Decimal | None) -> str:
    """``1.85 debit`` / ``1.85 credit``."""
    if value is None:
        return "–"
    return f"{abs(value):,.2f} {side_word(value)}"


def fmt_money(value: Decimal | float | None) -> str:
    if value is None:
        return "–"
    v = Decimal(str(value))
    sign = "-" if v < 0 else ""
    return f"{sign}${abs(v):,.2f}"


def round_tick(value: Decimal, mode: str = "nearest", tick: Decimal = TICK) -> Decimal:
    """Round a combo price to the tick: ``up`` (more debit), ``down`` or ``nearest``."""
    rounding = {"up": ROUND_CEILING, "down": ROUND_FLOOR}.get(mode, ROUND_HALF_UP)
    return ((value / tick).quantize(Decimal(1), rounding=rounding) * tick).quantize(Decimal("0.01"))


def parse_price(text: str) -> Decimal | None:
    text = text.strip().replace(",", "")
    if not text or text in ("-", "+", "."):
        return None
    try:
        return Decimal(text)
    except ArithmeticError:
        return None


# ------------------------------------------------------------------ the plan
AnyResult = PreparePositionEntryResult | PreparePositionExitResult | PreparePositionAdjustmentResult


@dataclass
class PlanView:
    """One prepared exec plan, whatever the flow (``entry``, ``exit`` or ``adjustment``)."""

    kind: str
    result: AnyResult
    paper: bool = False
    #: entry only: the QtyMultiplier the user chose (None = the prepared one)
    qty_multiplier: Decimal | None = None

    @property
    def exec_plan_id(self) -> int:
        return self.result.exec_plan_id

    @property
    def account(self) -> str:
        return self.result.broker_account_id

    @property
    def title(self) -> str:
        r = self.result
        if isinstance(r, PreparePositionAdjustmentResult):
            return f"{r.operation.value} · {r.position_name}"
        verb = "Exit" if self.kind == "exit" else "New position"
        return f"{verb} · {r.position_name}"

    @property
    def position_id(self) -> int | None:
        return getattr(self.result, "position_id", None)

    @property
    def legs(self) -> dict[str, LiveLeg]:
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
        return getattr(self.result, "qty_multiplier", None)

    @property
    def scale(self) -> Decimal:
        """Entry QtyMultiplier override relative to the prepared one (1 = unchanged)."""
        base = self.base_multiplier
        if self.kind != "entry" or self.qty_multiplier is None or not base:
            return Decimal(1)
        return self.qty_multiplier / base

    @property
    def send_multiplier(self) -> Decimal | None:
        """``SendOrderArgs.QtyMultiplier``: entry flows only (exits and adjustments pass None)."""
        return self.qty_multiplier if self.kind == "entry" else None

    def planned_qty(self, name: str) -> Decimal:
        """Signed quantity the plan trades for leg ``name``."""
        for group_id, names in self.groups.items():
            if name in names:
                qtys = self.result.leg_group_qtys.get(group_id)
                if qtys is not None and name in qtys.leg_qtys:
                    return qtys.leg_qtys[name] * qtys.group_qty * self.scale
        leg = self.legs.get(name)
        return leg.qty * self.scale if leg is not None else ZERO

    def multiplier(self, name: str) -> Decimal:
        leg = self.legs.get(name)
        return (leg.live_contract.multiplier if leg is not None else None) or Decimal(100)


def _gcd(values: list[Decimal]) -> Decimal:
    vals = [abs(v) for v in values if v]
    if not vals or any(v != v.to_integral_value() for v in vals):
        return Decimal(1)
    g = 0
    for v in vals:
        g = math.gcd(g, int(v))
    return Decimal(g or 1)


# ------------------------------------------------------------------ order lines
@dataclass
class OrderLine:
    """One order of the ticket: a leg group (or part of one after a split)."""

    group_id: int
    leg_names: list[str]
    order_type: OrderType = OrderType.Limit
    tif: TimeInForce = TimeInForce.DAY
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    #: explicit combo count; None = what the plan has left (the server decides)
    qty: Decimal | None = None
    idempotency_key: str | None = None
    order_id: int | None = None
    order_ids: list[int] = field(default_factory=list)
    state: OrderState | None = None
    filled: Decimal = ZERO
    avg_fill: Decimal | None = None
    rejection: str | None = None
    unknown: bool = False  # an unresolved unknown outcome: never re-sent with a new key

    @property
    def label(self) -> str:
        return f"Group {self.group_id}" if len(self.leg_names) > 1 else f"Group {self.group_id} · {self.leg_names[0]}"

    @property
    def working(self) -> bool:
        return self.order_id is not None and self.state is not None and self.state not in TERMINAL_ORDER_STATES

    @property
    def done(self) -> bool:
        return self.state == OrderState.Filled

    @property
    def sendable(self) -> bool:
        """Not sent yet (or rejected, so a corrected order may go out)."""
        return not self.unknown and (self.order_id is None or self.state == OrderState.Rejected)


def line_ratios(plan: PlanView, line: OrderLine) -> tuple[dict[str, Decimal], Decimal]:
    """(signed per-combo ratios, default combo count) of a line: planned qtys over their gcd."""
    planned = {n: plan.planned_qty(n) for n in line.leg_names}
    g = _gcd(list(planned.values()))
    ratios = {n: q / g for n, q in planned.items() if q}
    return ratios, g


def line_combos(plan: PlanView, line: OrderLine) -> Decimal:
    return line.qty if line.qty is not None else line_ratios(plan, line)[1]


@dataclass
class ComboQuote:
    bid: Decimal | None = None
    ask: Decimal | None = None
    mid: Decimal | None = None
    mark: Decimal | None = None


def combo_quote(ratios: dict[str, Decimal], legs: dict[str, LivePrices]) -> ComboQuote:
    """Signed combo prices from per-leg quotes: bought legs at ask / sold at bid for ``ask``."""
    bid = ask = mark = ZERO
    for name, ratio in ratios.items():
        p = legs.get(name)
        if p is None or p.bid is None or p.ask is None:
            return ComboQuote()
        bid += ratio * (p.bid if ratio > 0 else p.ask)
        ask += ratio * (p.ask if ratio > 0 else p.bid)
        mark += ratio * (p.mark if p.mark is not None else (p.bid + p.ask) / 2)
    return ComboQuote(bid=bid, ask=ask, mid=(bid + ask) / 2, mark=mark)


def leg_mid(p: LivePrices | None) -> Decimal | None:
    if p is None:
        return None
    if p.mid is not None:
        return p.mid
    if p.bid is not None and p.ask is not None:
        return (p.bid + p.ask) / 2
    return p.mark


def reference_price(line: OrderLine, quote: ComboQuote) -> Decimal | None:
    """The price a line's order would trade at: its limit, else stop, else the natural price."""
    if line.order_type in PRICED_TYPES and line.limit_price is not None:
        return line.limit_price
    if line.order_type in STOP_TYPES and line.stop_price is not None:
        return line.stop_price
    return quote.ask


def line_size(plan: PlanView, line: OrderLine) -> Decimal:
    """Contracts the line trades (sum over legs of |ratio| x combos)."""
    ratios, _ = line_ratios(plan, line)
    combos = line_combos(plan, line)
    return sum((abs(r) * combos for r in ratios.values()), ZERO)


def line_notional(plan: PlanView, line: OrderLine, price: Decimal | None) -> Decimal:
    """Order value: |combo price| x combos x contract multiplier."""
    if price is None:
        return ZERO
    mult = plan.multiplier(line.leg_names[0])
    return abs(price) * line_combos(plan, line) * mult


def exit_pnl(plan: PlanView, line: OrderLine, price: Decimal | None) -> Decimal | None:
    """Realized PnL of closing the line's legs at ``price`` (signed per combo, debit > 0).

    cash of the exit (-price x combos x mult) minus the entry cost of the closed part
    (AvgEntryPrice includes commission)."""
    if plan.kind != "exit" or price is None:
        return None
    ratios, _ = line_ratios(plan, line)
    combos = line_combos(plan, line)
    total = -price * combos * plan.multiplier(line.leg_names[0])
    for name, ratio in ratios.items():
        leg = plan.legs.get(name)
        if leg is None:
            return None
        total += ratio * combos * leg.avg_entry_price * plan.multiplier(name)
    return total


# ------------------------------------------------------------------ validation and guards
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


@dataclass(frozen=True)
class GuardLimits:
    """IB-style precautionary settings: size above ``size_multiple`` x the default size,
    order value above ``max_notional``, price farther than ``far_from_mid_pct`` % of the
    combo's mid (at least ``far_from_mid_min``) from the mid."""

    size_multiple: float = 5.0
    max_notional: float = 100_000.0
    far_from_mid_pct: float = 20.0
    far_from_mid_min: float = 0.10

    @classmethod
    def from_settings(cls, trading: dict[str, Any]) -> GuardLimits:
        defaults = cls()
        values = {}
        for name in ("size_multiple", "max_notional", "far_from_mid_pct", "far_from_mid_min"):
            try:
                values[name] = float(trading.get(name, getattr(defaults, name)))
            except (TypeError, ValueError):
                values[name] = getattr(defaults, name)
        return cls(**values)


def guard_warnings(plan: PlanView, line: OrderLine, quote: ComboQuote, limits: GuardLimits) -> list[str]:
    warnings: list[str] = []
    _ratios, default_combos = line_ratios(plan, line)
    combos = line_combos(plan, line)
    if default_combos and combos > default_combos * Decimal(str(limits.size_multiple)):
        warnings.append(f"{line.label}: size {combos:f} combos is more than {limits.size_multiple:g}× "
                        f"the prepared size ({default_combos:f})")
    price = reference_price(line, quote)
    notional = line_notional(plan, line, price)
    if notional > Decimal(str(limits.max_notional)):
        warnings.append(f"{line.label}: order value {fmt_money(notional)} is above the "
                        f"{fmt_money(limits.max_notional)} limit")
    if line.order_type in PRICED_TYPES and line.limit_price is not None and quote.mid is not None:
        far = max(abs(quote.mid) * Decimal(str(limits.far_from_mid_pct)) / 100, Decimal(str(limits.far_from_mid_min)))
        if abs(line.limit_price - quote.mid) > far:
            warnings.append(f"{line.label}: limit {line.limit_price:.2f} is far from mid {quote.mid:.2f} "
                            f"(more than {far:.2f})")
    return warnings
