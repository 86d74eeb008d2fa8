"""Realized P&L and what an order is worth, computed one way for every window.

Cost basis follows MesoLive's leg accounting: ``LiveLeg.AvgEntryPrice`` is the average
price per unit *including* the opening commission (spread per unit), so a fill that
closes ``c`` units of a held leg realizes::

    (fill price − AvgEntryPrice) × sign(held qty) × c × multiplier − closing commission

rounded to cents per leg, and an opening fill realizes nothing (its commission goes
into the basis). The position's realized P&L is the sum over its legs. "Realizes if
filled" on a ticket, the paper-fill preview and the confirm step all come from
:func:`realized_of_fills` / :func:`realized_at_combo_price`; the tests check them
against an independent ledger of cash flows.

For entries, :func:`payoff_risk` gives max profit, max loss and the buying-power
effect of a defined-risk structure from its exact expiration payoff.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from mesodesk.contract import LivePrices, MesoOptionType
from mesodesk.core.trading.plan import FlowKind, OrderLine, PlanView, line_combos, line_ratios
from mesodesk.core.trading.pricing import CENT, leg_mid

ZERO = Decimal(0)


def _sign(x: Decimal) -> int:
    return (x > 0) - (x < 0)


@dataclass(frozen=True)
class HeldLeg:
    """A leg as held: signed quantity, basis per unit (commission included), contract multiplier."""

    name: str
    qty: Decimal
    avg_entry: Decimal
    multiplier: Decimal = Decimal(100)


@dataclass(frozen=True)
class LegFill:
    """A fill of one leg: signed quantity (+ buy), price per unit (≥ 0), commission (≥ 0)."""

    name: str
    qty: Decimal
    price: Decimal
    commission: Decimal = ZERO


def leg_realized(held: HeldLeg | None, fill: LegFill) -> Decimal:
    """What one fill realizes on the leg it trades (0 for an opening fill)."""
    if held is None or held.qty == 0 or fill.qty == 0 or _sign(fill.qty) == _sign(held.qty):
        return ZERO
    closing = min(abs(fill.qty), abs(held.qty))
    pnl = (fill.price - held.avg_entry) * _sign(held.qty) * closing * held.multiplier - fill.commission
    return pnl.quantize(CENT)


def realized_of_fills(held: Mapping[str, HeldLeg], fills: Iterable[LegFill]) -> Decimal:
    """Realized P&L of a set of leg fills against the held legs."""
    return sum((leg_realized(held.get(f.name), f) for f in fills), ZERO)


def held_legs(plan: PlanView) -> dict[str, HeldLeg]:
    """The held legs a plan's orders close, keyed by the plan's leg names.

    Exit: every position leg as held. Adjustment: the order legs that close a held leg
    carry the held leg with the closing quantity, so the held quantity is its negation.
    """
    out: dict[str, HeldLeg] = {}
    for name, leg in plan.legs.items():
        if not plan.closes(name):
            continue
        qty = leg.qty if plan.kind is FlowKind.EXIT else -leg.qty
        out[name] = HeldLeg(name, qty, leg.avg_entry_price, plan.multiplier(name))
    return out


@dataclass(frozen=True)
class Realization:
    """What filling a line at a price realizes. ``exact`` is False when the split of the combo
    price over its legs had to be assumed (a combo that both closes and opens legs)."""

    amount: Decimal
    exact: bool = True


def realized_at_combo_price(plan: PlanView, line: OrderLine, price: Decimal | None,
                            leg_quotes: Mapping[str, LivePrices], commission: Decimal = ZERO) -> Realization | None:
    """What filling ``line`` at the signed combo ``price`` realizes; None when nothing closes.

    When every leg of the line closes a held leg the answer does not depend on how the
    combo price splits over the legs: ``−combos × multiplier × (price − Σ ratio × basis)``
    minus the commission. When the line also opens legs (a MoveLeg), the opening legs are
    assumed to fill at their mid and the rest of the price goes to the closing legs
    (``exact=False``).
    """
    if price is None:
        return None
    held = held_legs(plan)
    ratios, _ = line_ratios(plan, line)
    closing = [n for n in ratios if n in held]
    if not closing:
        return None
    combos = line_combos(plan, line)
    opening = [n for n in ratios if n not in held]
    exact = not opening
    close_price = price
    for name in opening:
        mid = leg_mid(leg_quotes.get(name))
        if mid is None:
            return None
        close_price -= ratios[name] * mid
    # one closing leg: its price is determined; several: the combo formula is linear in the total
    total = ZERO
    for name in closing:
        h = held[name]
        total += ratios[name] * h.avg_entry * h.multiplier
    mult = held[closing[0]].multiplier
    amount = -combos * (close_price * mult - total) - commission
    return Realization(amount.quantize(CENT), exact)


def order_value(plan: PlanView, line: OrderLine, price: Decimal | None) -> Decimal:
    """|combo price| × combos × multiplier: the cash the order moves before commissions."""
    if price is None:
        return ZERO
    return abs(price) * line_combos(plan, line) * plan.multiplier(line.leg_names[0])


def cash_of_fills(fills: Iterable[LegFill], multipliers: Mapping[str, Decimal]) -> Decimal:
    """Cash the fills move: ``+`` received, ``−`` paid (commissions paid)."""
    return sum((-(f.qty * f.price * multipliers.get(f.name, Decimal(100))) - f.commission for f in fills), ZERO)


# ------------------------------------------------------------------ entry risk


@dataclass(frozen=True)
class PayoffRisk:
    """Max profit and max loss at expiration (None = unlimited), and the buying-power effect
    of a defined-risk structure (= the max loss; None when the risk is undefined)."""

    max_profit: Decimal | None
    max_loss: Decimal | None

    @property
    def buying_power(self) -> Decimal | None:
        return None if self.max_loss is None else max(-self.max_loss, ZERO)


def payoff_risk(plan: PlanView, line: OrderLine, price: Decimal | None,
                commission: Decimal = ZERO) -> PayoffRisk | None:
    """Exact expiration extremes of one opening line bought at ``price`` (signed per combo)."""
    return combined_payoff_risk(plan, [(line, price)], commission)


def combined_payoff_risk(plan: PlanView, lines: list[tuple[OrderLine, Decimal | None]],
                         commission: Decimal = ZERO) -> PayoffRisk | None:
    """Exact expiration extremes of opening lines filled at their prices, as one position.

    An iron condor sent as two verticals loses at most its wider side, not the sum of both:
    the payoff is summed over every leg before its extremes are taken. Defined for option legs
    of one underlying and one expiration; the payoff is piecewise linear in the underlying
    with kinks at the strikes, so the extremes are at a kink or unbounded beyond the last one.
    None when not defined (mixed expirations, non-options, a missing price).
    """
    terms: list[tuple[Decimal, Decimal, bool]] = []  # (signed quantity in units, strike, is call)
    cash = ZERO  # per multiplier unit: − what the combos cost
    contracts = []
    for line, price in lines:
        if price is None:
            return None
        ratios, _ = line_ratios(plan, line)
        combos = line_combos(plan, line)
        for name, ratio in ratios.items():
            leg = plan.legs.get(name)
            if leg is None:
                return None
            c = leg.live_contract
            if c.strike is None or c.option_type is None or c.expiration is None:
                return None
            contracts.append(c)
            terms.append((ratio * combos, c.strike, c.option_type is MesoOptionType.Call))
        cash -= price * combos
    if not terms:
        return None
    if len({c.expiration for c in contracts}) != 1 or len({c.underlying.symbol for c in contracts}) != 1:
        return None
    mult = plan.multiplier(lines[0][0].leg_names[0])

    def value(s: Decimal) -> Decimal:
        total = cash
        for qty, strike, is_call in terms:
            total += qty * (max(s - strike, ZERO) if is_call else max(strike - s, ZERO))
        return total * mult - commission

    kinks = sorted({ZERO, *(strike for _, strike, _ in terms)})
    values = [value(k) for k in kinks]
    slope = sum((qty for qty, _, is_call in terms if is_call), ZERO)  # beyond the last strike
    return PayoffRisk(max_profit=None if slope > 0 else max(values), max_loss=None if slope < 0 else min(values))
