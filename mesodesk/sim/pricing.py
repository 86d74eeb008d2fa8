"""Pricing blocks (prices, greeks, PnL) of legs, leg groups and positions from market quotes.

Conventions (recorded once in the contract models, applied here):
* Leg prices are per contract unit, as quoted.
* Leg greeks are the position contribution: per-unit greek x signed Qty x Multiplier
  (marker legs with Qty 0 report per-one-unit greeks); IV is in percent.
* Combo (leg group, position) prices are signed per unit of the combo, i.e. per
  ``QtyMultiplier``: positive = debit. The combo Bid is what selling it fetches
  (long legs at bid, short legs at ask); the Ask is what buying it costs.
* PnL under a basis marks every open leg at that basis' price; ``Realized`` is the
  tracked + user-set realized PnL of the legs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from mesodesk.contract import (
    LiveDataInclude,
    LiveGreeks,
    LiveGreekValues,
    LiveLeg,
    LivePnL,
    LivePrices,
    LiveQuoteFields,
    PositionDataEntry,
)
from mesodesk.sim.market import Market, OptionSpec, Quote

BASES = ("bid", "ask", "last", "mark")
_FLAG = {"bid": LiveQuoteFields.Bid, "ask": LiveQuoteFields.Ask, "last": LiveQuoteFields.Last,
         "mark": LiveQuoteFields.Mark}
ZERO = Decimal(0)


def d2(x: float) -> Decimal:
    return Decimal(f"{x:.2f}")


def d4(x: float) -> Decimal:
    return Decimal(f"{x:.4f}")


def leg_spec(leg: LiveLeg) -> OptionSpec:
    contract = leg.live_contract
    assert contract.expiration is not None and contract.strike is not None and contract.option_type is not None
    return OptionSpec(
        underlying=contract.underlying.symbol,
        root=contract.root or contract.underlying.symbol,
        option_type=contract.option_type.value,  # type: ignore[arg-type]
        expiration=contract.expiration.date(),
        strike=float(contract.strike),
    )


@dataclass
class LegValues:
    """Float working values of one leg, per basis."""

    leg: LiveLeg
    quote: Quote
    qty: float
    multiplier: float
    entry: float
    realized: float

    def price(self, basis: str) -> float:
        return float(getattr(self.quote, basis))

    def pnl(self, basis: str) -> float:
        return (self.price(basis) - self.entry) * self.qty * self.multiplier + self.realized

    def greek_scale(self) -> float:
        return (self.qty if self.qty != 0 else 1.0) * self.multiplier


def _prices(values: dict[str, float], fields: LiveQuoteFields, time: datetime) -> LivePrices:
    def pick(basis: str) -> Decimal | None:
        return d2(values[basis]) if fields & _FLAG[basis] else None

    mid = (values["bid"] + values["ask"]) / 2
    return LivePrices(bid=pick("bid"), ask=pick("ask"), last=pick("last"), mark=pick("mark"), mid=d2(mid),
                      updated_at=time)


def _greek_values(legs: Iterable[LegValues]) -> LiveGreekValues:
    delta = gamma = theta = vega = wvega = 0.0
    iv_weighted = weight = 0.0
    for lv in legs:
        scale = lv.greek_scale()
        q = lv.quote
        delta += q.delta * scale
        gamma += q.gamma * scale
        theta += q.theta * scale
        vega += q.vega * scale
        wvega += q.wvega * scale
        iv_weighted += q.iv * abs(scale)
        weight += abs(scale)
    iv = iv_weighted / weight if weight else 0.0
    return LiveGreekValues(delta=d4(delta), gamma=d4(gamma), theta=d4(theta), vega=d4(vega), wvega=d4(wvega),
                           rho=ZERO, iv=d2(iv))


def _greeks(legs: Sequence[LegValues], fields: LiveQuoteFields, time: datetime) -> LiveGreeks:
    # The simulator computes greeks from its model vol on every basis.
    values = _greek_values(legs)
    return LiveGreeks(
        bid=values if fields & LiveQuoteFields.Bid else None,
        ask=values if fields & LiveQuoteFields.Ask else None,
        last=values if fields & LiveQuoteFields.Last else None,
        mark=values if fields & LiveQuoteFields.Mark else None,
        updated_at=time,
    )


def _pnl(legs: Sequence[LegValues], fields: LiveQuoteFields, time: datetime) -> LivePnL:
    def pick(basis: str) -> Decimal | None:
        return d2(sum(lv.pnl(basis) for lv in legs)) if fields & _FLAG[basis] else None

    realized = sum(lv.realized for lv in legs)
    return LivePnL(bid=pick("bid"), ask=pick("ask"), last=pick("last"), mark=pick("mark"), realized=d2(realized),
                   updated_at=time)


def combo_prices(legs: Sequence[LegValues], units: float) -> dict[str, float]:
    """Signed per-combo-unit prices: positive = debit."""
    units = units or 1.0
    bid = ask = last = mark = 0.0
    for lv in legs:
        ratio = lv.qty / units
        q = lv.quote
        bid += ratio * (q.bid if ratio > 0 else q.ask)
        ask += ratio * (q.ask if ratio > 0 else q.bid)
        last += ratio * q.last
        mark += ratio * q.mark
    return {"bid": bid, "ask": ask, "last": last, "mark": mark}


class PositionPricer:
    """Prices a position's legs against the market, shaped by the stream args."""

    def __init__(self, market: Market) -> None:
        self.market = market

    def leg_values(self, legs: Sequence[LiveLeg]) -> list[LegValues]:
        live = [leg for leg in legs if leg.closed_at is None]
        quotes = self.market.quotes([leg_spec(leg) for leg in live]) if live else []
        return [
            LegValues(
                leg=leg,
                quote=quote,
                qty=float(leg.qty),
                multiplier=float(leg.live_contract.multiplier or 100),
                entry=float(leg.avg_entry_price),
                realized=float(leg.total_realized_pnl),
            )
            for leg, quote in zip(live, quotes, strict=True)
        ]

    def position_entry(
        self,
        position_id: int,
        underlying: str,
        legs: Sequence[LiveLeg],
        qty_multiplier: Decimal | None,
        *,
        include_position: LiveDataInclude = LiveDataInclude.All,
        include_legs: LiveDataInclude = LiveDataInclude.All,
        include_leg_groups: LiveDataInclude = LiveDataInclude.All,
        price_fields: LiveQuoteFields = LiveQuoteFields.All,
        greek_fields: LiveQuoteFields = LiveQuoteFields.All,
        pnl_fields: LiveQuoteFields = LiveQuoteFields.All,
    ) -> PositionDataEntry:
        values = self.leg_values(legs)
        closed_realized = sum(float(leg.total_realized_pnl) for leg in legs if leg.closed_at is not None)
        time = self.market.now
        units = float(qty_multiplier or 1)
        und = self.market.underlying_quote(underlying)
        entry = PositionDataEntry(
            position_id=position_id,
            timestamp=time,
            underlying_price=_prices({"bid": und.bid, "ask": und.ask, "last": und.last, "mark": und.mark},
                                     price_fields, time),
        )
        if include_position & LiveDataInclude.Prices:
            entry.position_prices = _prices(combo_prices(values, units), price_fields, time)
        if include_position & LiveDataInclude.Greeks:
            entry.position_greeks = _greeks(values, greek_fields, time)
        if include_position & LiveDataInclude.PnL:
            pnl = _pnl(values, pnl_fields, time)
            if closed_realized:
                pnl = _shift_pnl(pnl, closed_realized)
            entry.position_pnls = pnl
        if include_legs & LiveDataInclude.Prices:
            entry.leg_prices = {lv.leg.id: _prices(_quote_prices(lv.quote), price_fields, time) for lv in values}
        if include_legs & LiveDataInclude.Greeks:
            entry.leg_greeks = {lv.leg.id: _greeks([lv], greek_fields, time) for lv in values}
        if include_legs & LiveDataInclude.PnL:
            entry.leg_pnls = {lv.leg.id: _pnl([lv], pnl_fields, time) for lv in values}
        if include_leg_groups != LiveDataInclude.None_:
            groups: dict[int, list[LegValues]] = {}
            for lv in values:
                groups.setdefault(lv.leg.leg_group_id, []).append(lv)
            if include_leg_groups & LiveDataInclude.Prices:
                entry.leg_group_prices = {g: _prices(combo_prices(v, units), price_fields, time)
                                          for g, v in groups.items()}
            if include_leg_groups & LiveDataInclude.Greeks:
                entry.leg_group_greeks = {g: _greeks(v, greek_fields, time) for g, v in groups.items()}
            if include_leg_groups & LiveDataInclude.PnL:
                entry.leg_group_pnls = {g: _pnl(v, pnl_fields, time) for g, v in groups.items()}
        return entry


def _quote_prices(quote: Quote) -> dict[str, float]:
    return {"bid": quote.bid, "ask": quote.ask, "last": quote.last, "mark": quote.mark}


def _shift_pnl(pnl: LivePnL, realized: float) -> LivePnL:
    shift = d2(realized)
    return LivePnL(
        bid=None if pnl.bid is None else pnl.bid + shift,
        ask=None if pnl.ask is None else pnl.ask + shift,
        last=None if pnl.last is None else pnl.last + shift,
        mark=None if pnl.mark is None else pnl.mark + shift,
        realized=(pnl.realized or ZERO) + shift,
        updated_at=pnl.updated_at,
    )


@dataclass
class NamedBlocks:
    """Pricing blocks of prepared legs, keyed by leg NAME (prepare results) and leg group id."""

    leg_prices: dict[str, LivePrices]
    leg_greeks: dict[str, LiveGreeks]
    leg_group_prices: dict[int, LivePrices]
    leg_group_greeks: dict[int, LiveGreeks]
    position_greeks: LiveGreeks
    position_price: LivePrices
    underlying_price: LivePrices


def named_blocks(market: Market, underlying: str, legs: dict[str, LiveLeg], units: float = 1.0) -> NamedBlocks:
    """Prepare-result pricing of ``legs`` (open or not yet filled). Combo prices are per
    ``units`` of the combo (the plan's GroupQty), greeks scaled by each leg's signed qty."""
    names = list(legs)
    quotes = market.quotes([leg_spec(legs[n]) for n in names]) if names else []
    values = {
        n: LegValues(leg=legs[n], quote=q, qty=float(legs[n].qty),
                     multiplier=float(legs[n].live_contract.multiplier or 100), entry=0.0, realized=0.0)
        for n, q in zip(names, quotes, strict=True)
    }
    time = market.now
    every = LiveQuoteFields.All
    groups: dict[int, list[LegValues]] = {}
    for lv in values.values():
        groups.setdefault(lv.leg.leg_group_id, []).append(lv)
    und = market.underlying_quote(underlying)
    return NamedBlocks(
        leg_prices={n: _prices(_quote_prices(lv.quote), every, time) for n, lv in values.items()},
        leg_greeks={n: _greeks([lv], every, time) for n, lv in values.items()},
        leg_group_prices={g: _prices(combo_prices(v, units), every, time) for g, v in groups.items()},
        leg_group_greeks={g: _greeks(v, every, time) for g, v in groups.items()},
        position_greeks=_greeks(list(values.values()), every, time),
        position_price=_prices(combo_prices(list(values.values()), units), every, time),
        underlying_price=_prices({"bid": und.bid, "ask": und.ask, "last": und.last, "mark": und.mark}, every, time),
    )
