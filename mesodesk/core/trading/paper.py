"""Paper fills of a prepared plan (paper accounts): one fill price and commission per leg.

Prices start at the leg's live mid and **follow the market** until the trader types one
(or picks a quick price); "All at mid" makes every leg follow again. A typed price is
refused at the field when it is not a number, negative, or more than the option can be
worth; zero, outside the leg's bid/ask, or far from its mid needs an explicit
confirmation naming the leg, the price and the quote. The preview (combo price per
group, cash, realized P&L) comes from the ledger, as does everything else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from mesodesk.contract import ApplyPaperFillsResult, LivePrices, PaperFill
from mesodesk.core.errors import MesoLiveApiException
from mesodesk.core.session import Session
from mesodesk.core.trading.guards import GuardLimits, paper_fill_refusal, paper_fill_warning
from mesodesk.core.trading.ledger import LegFill, cash_of_fills, held_legs, realized_of_fills
from mesodesk.core.trading.outcome import UnknownListener, duplicate_result, new_key, watch_outcome
from mesodesk.core.trading.plan import OrderLine, PlanView, line_ratios
from mesodesk.core.trading.pricing import PriceInputError, leg_mid, parse_price

ZERO = Decimal(0)
PRICE_PLACES = 4


@dataclass
class PaperLeg:
    name: str
    qty: Decimal  # signed quantity the fill trades
    price: Decimal | None = None
    text: str = ""
    edited: bool = False
    commission: Decimal = ZERO
    commission_text: str = "0.00"
    error: str | None = None
    commission_error: str | None = None


@dataclass(frozen=True)
class GroupPrice:
    group_id: int
    price: Decimal | None  # signed per combo, as the group trades
    combos: Decimal


@dataclass(frozen=True)
class PaperPreview:
    groups: list[GroupPrice]
    cash: Decimal | None  # + received / − paid, commissions included
    realizes: Decimal | None  # None when nothing closes
    commission: Decimal
    complete: bool = True
    warnings: list[str] = field(default_factory=list)


def _text(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value.quantize(Decimal('0.0001')).normalize():f}" if value != value.quantize(Decimal("0.01")) \
        else f"{value:.2f}"


class PaperSheet:
    def __init__(self, plan: PlanView, quotes: Callable[[], dict[str, LivePrices]],
                 underlying: Callable[[], Decimal | None], limits: GuardLimits) -> None:
        self.plan = plan
        self.quotes = quotes
        self.underlying = underlying
        self.limits = limits
        self.legs: dict[str, PaperLeg] = {n: PaperLeg(n, plan.planned_qty(n)) for n in plan.legs}
        self.key: str | None = None  # the commit's idempotency key (kept while its outcome is unknown)
        self.follow_market()

    # -- prices ------------------------------------------------------------------------------------
    def follow_market(self) -> list[str]:
        """Move every unedited leg to its live mid; returns the legs that moved."""
        quotes = self.quotes()
        moved = []
        for leg in self.legs.values():
            if leg.edited:
                continue
            mid = leg_mid(quotes.get(leg.name))
            if mid is not None and mid != leg.price:
                leg.price, leg.text, leg.error = mid, _text(mid), None
                moved.append(leg.name)
        return moved

    def all_at_mid(self) -> None:
        for leg in self.legs.values():
            leg.edited = False
            leg.price = None
        self.follow_market()

    def set_price(self, name: str, text: str) -> str | None:
        """A typed fill price; returns the field's error (the leg keeps no price then)."""
        leg = self.legs[name]
        leg.text, leg.edited = text, True
        try:
            price = parse_price(text, places=PRICE_PLACES, signed=False, what="fill price")
        except PriceInputError as exc:
            leg.price, leg.error = None, str(exc)
            return leg.error
        if price is None:
            leg.price, leg.error = None, "A fill price is required"
            return leg.error
        refusal = paper_fill_refusal(price, self.plan.legs[name].live_contract, self.underlying())
        leg.price, leg.error = (None, refusal) if refusal else (price, None)
        return refusal

    def quick(self, name: str, kind: str) -> Decimal | None:
        """Bid / mid / ask of the leg as its fill price (it stops following the market)."""
        p = self.quotes().get(name)
        value = leg_mid(p) if kind == "mid" else getattr(p, kind, None) if p is not None else None
        if value is None:
            return None
        leg = self.legs[name]
        leg.price, leg.text, leg.edited, leg.error = value, _text(value), True, None
        return value

    def set_commission(self, name: str, text: str) -> str | None:
        leg = self.legs[name]
        leg.commission_text = text
        try:
            value = parse_price(text, places=2, signed=False, what="commission")
        except PriceInputError as exc:
            leg.commission_error = str(exc)
            return leg.commission_error
        leg.commission, leg.commission_error = value or ZERO, None
        return None

    # -- checks --------------------------------------------------------------------------------------
    def errors(self) -> dict[str, str]:
        out = {}
        for leg in self.legs.values():
            if leg.error or leg.price is None:
                out[leg.name] = leg.error or "A fill price is required"
            elif leg.commission_error:
                out[leg.name] = leg.commission_error
        return out

    def warnings(self) -> list[str]:
        quotes = self.quotes()
        out = []
        for leg in self.legs.values():
            if leg.price is None:
                continue
            w = paper_fill_warning(leg.name, leg.price, quotes.get(leg.name), self.limits)
            if w is not None:
                out.append(w)
        return out

    def fills(self) -> dict[str, PaperFill]:
        return {leg.name: PaperFill(price=leg.price, commission=leg.commission)
                for leg in self.legs.values() if leg.price is not None}

    def leg_fills(self) -> list[LegFill]:
        return [LegFill(leg.name, self.plan.planned_qty(leg.name), leg.price, leg.commission)
                for leg in self.legs.values() if leg.price is not None]

    def preview(self) -> PaperPreview:
        plan = self.plan
        groups = []
        for gid, names in plan.groups.items():
            ratios, combos = line_ratios(plan, OrderLine(gid, list(names)))
            prices = [self.legs[n].price for n in names if n in self.legs]
            price = None if any(p is None for p in prices) else sum(
                (ratios.get(n, ZERO) * (self.legs[n].price or ZERO) for n in names), ZERO)
            groups.append(GroupPrice(gid, price, combos))
        complete = not self.errors()
        fills = self.leg_fills()
        multipliers = {n: plan.multiplier(n) for n in plan.legs}
        held = held_legs(plan)
        return PaperPreview(
            groups=groups,
            cash=cash_of_fills(fills, multipliers) if complete else None,
            realizes=realized_of_fills(held, fills) if complete and held else None,
            commission=sum((leg.commission for leg in self.legs.values()), ZERO),
            complete=complete,
            warnings=self.warnings(),
        )

    # -- commit ----------------------------------------------------------------------------------------
    async def commit(self, session: Session, on_unknown: UnknownListener | None = None) -> ApplyPaperFillsResult:
        """``ApplyPaperFills`` with one key per sheet (a retry after an unknown outcome re-uses it)."""
        plan = self.plan
        for leg in self.legs.values():  # pinned: a retry with the same key must send the same fills
            leg.edited = True
        self.key = self.key or new_key("paper_fill_")
        call = session.control.apply_paper_fills(
            idempotency_key=self.key, broker_account_id=plan.account, exec_plan_id=plan.exec_plan_id,
            qty_multiplier=plan.send_multiplier, fills=self.fills())
        try:
            result: ApplyPaperFillsResult = await watch_outcome(session, call, on_unknown)
        except MesoLiveApiException as exc:
            duplicate = duplicate_result(exc)
            if duplicate is None:
                self.key = None  # refused: a corrected commit is a new request
                raise
            result = duplicate
        return result
