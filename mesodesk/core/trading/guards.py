"""Precautionary checks before anything is sent: order guards (IB-style) and paper-fill guards.

A guard never blocks on its own: it produces a sentence the confirm step shows and
the trader must accept. Input that cannot be right (a malformed number, a negative or
impossible leg price) is refused at the field instead (see :mod:`pricing` and
:func:`paper_fill_refusal`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mesodesk.contract import LiveContract, LivePrices, MesoOptionType
from mesodesk.core.formatting import fmt_money as money
from mesodesk.core.trading.ledger import order_value
from mesodesk.core.trading.plan import PRICED_TYPES, OrderLine, PlanView, line_combos, line_ratios
from mesodesk.core.trading.pricing import ComboQuote, direction, leg_mid, signed_words

ZERO = Decimal(0)


@dataclass(frozen=True)
class GuardLimits:
    """Size above ``size_multiple`` × the prepared size, order value above ``max_notional``,
    a price farther than ``far_from_mid_pct`` % of the mid (at least ``far_from_mid_min``)
    from the mid; paper fills farther than that from the leg's mid, or outside its bid/ask."""

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

    def far(self, mid: Decimal) -> Decimal:
        return max(abs(mid) * Decimal(str(self.far_from_mid_pct)) / 100, Decimal(str(self.far_from_mid_min)))


def reference_price(line: OrderLine, quote: ComboQuote) -> Decimal | None:
    """The price a line's order would trade at: its limit, else its stop, else the natural price."""
    if line.order_type in PRICED_TYPES and line.limit_price is not None:
        return line.limit_price
    if line.stop_price is not None:
        return line.stop_price
    return quote.ask


def guard_warnings(plan: PlanView, line: OrderLine, quote: ComboQuote, limits: GuardLimits) -> list[str]:
    warnings: list[str] = []
    _ratios, default_combos = line_ratios(plan, line)
    combos = line_combos(plan, line)
    if default_combos and combos > default_combos * Decimal(str(limits.size_multiple)):
        warnings.append(f"{line.label}: size {combos:f} combos is more than {limits.size_multiple:g}× "
                        f"the prepared size ({default_combos:f})")
    price = reference_price(line, quote)
    notional = order_value(plan, line, price)
    if notional > Decimal(str(limits.max_notional)):
        warnings.append(f"{line.label}: order value {money(notional)} is above the "
                        f"{money(limits.max_notional)} limit")
    limit = line.limit_price if line.order_type in PRICED_TYPES else None
    if limit is not None and quote.mid is not None:
        if direction(limit) != direction(quote.mid) and quote.mid != 0:
            warnings.append(f"{line.label}: the limit is a {signed_words(limit)} but the market is a "
                            f"{signed_words(quote.mid)} (mid): check the sign")
        elif abs(limit - quote.mid) > limits.far(quote.mid):
            warnings.append(f"{line.label}: limit {signed_words(limit)} is far from the mid "
                            f"{signed_words(quote.mid)} (more than {limits.far(quote.mid):.2f} away)")
    return warnings


# ------------------------------------------------------------------ paper fills


def price_ceiling(contract: LiveContract, underlying_price: Decimal | None) -> Decimal | None:
    """The most one unit of an option can be worth: a put its strike, a call the underlying."""
    if contract.option_type is MesoOptionType.Put and contract.strike is not None:
        return contract.strike
    if contract.option_type is MesoOptionType.Call and underlying_price is not None:
        return underlying_price
    return None


def paper_fill_refusal(price: Decimal, contract: LiveContract, underlying_price: Decimal | None) -> str | None:
    """Why a typed leg fill price is impossible (refused at the field), or None."""
    if price < 0:
        return "A fill price cannot be negative"
    ceiling = price_ceiling(contract, underlying_price)
    if ceiling is not None and price > ceiling:
        what = "its strike" if contract.option_type is MesoOptionType.Put else "the underlying"
        return f"{price:,.2f} is more than this option can be worth ({what}: {ceiling:,.2f})"
    return None


def paper_fill_warning(name: str, price: Decimal, quote: LivePrices | None, limits: GuardLimits) -> str | None:
    """A fill that needs an explicit confirmation: zero, outside the leg's bid/ask, or far from its mid."""
    quote_text = "no quote"
    if quote is not None and quote.bid is not None and quote.ask is not None:
        quote_text = f"bid {quote.bid:,.2f} / ask {quote.ask:,.2f}"
    if price == 0:
        return f"{name}: fill at 0.00 ({quote_text})"
    if quote is None or quote.bid is None or quote.ask is None:
        return None
    if price < quote.bid or price > quote.ask:
        return f"{name}: fill {price:,.2f} is outside the market ({quote_text})"
    mid = leg_mid(quote)
    if mid is not None and abs(price - mid) > limits.far(mid):
        return f"{name}: fill {price:,.2f} is far from the mid {mid:,.2f} ({quote_text})"
    return None
