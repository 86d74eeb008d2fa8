"""The risk graph's inputs from the store (Qt-free): open legs, spots, server time, the
positions' realized P&L and the live P&L the curves are calibrated to.

Realized P&L comes from the positions (their one owner, :attr:`PositionRow.realized_pnl`),
never from summing the legs the console happens to hold (closed legs are not loaded).
The curves are **total P&L**: realized + open legs' value − their cost. At ``now`` and the
current spot the T+0 curve equals the live P&L the Positions blotter shows.

A graph's scope is the selected positions, or every open position of an account or of a
strategy (:class:`RiskScope`); it can be beta-weighted to an index
(:mod:`mesodesk.quant.beta_weighting`). Prices are the blotter's "Und. price" field
(:attr:`PositionRow.underlying_price`), written with the blotter's formatter
(:func:`price_text`); deltas and thetas in the header are the blotter's position greeks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

import numpy as np

from mesodesk.core.formatting import fmt_number
from mesodesk.core.state import AppState, PositionRow
from mesodesk.quant.beta_weighting import DEFAULT_BETAS, beta_weighted_delta, relative_beta
from mesodesk.quant.risk import RiskLeg, RiskModel, settlement_time

DEFAULT_IV = 0.20


@dataclass(frozen=True)
class RiskInputs:
    legs: list[RiskLeg]
    spots: dict[str, float]
    now: dt.datetime
    realized: float
    #: the positions' live total P&L (mark), when every open position has one
    live_pnl: float | None
    open_positions: int
    closed_positions: int
    reference: str | None
    #: underlying -> beta against :attr:`reference` (the index) when beta-weighted
    betas: dict[str, float] | None = None
    #: the scope's IV (decimal, in index terms when beta-weighted): sizes the default x-range
    iv: float | None = None
    #: why the graph is not beta-weighted although that was asked (no price for the index)
    note: str = ""
    #: the reference underlying's price as the Positions blotter writes it (when it was built)
    price_text: str = ""
    #: the position whose Und. price that is (None: a snapshot's)
    price_position: int | None = None
    position_ids: list[int] = field(default_factory=list)

    def current_price_text(self, state: AppState) -> str:
        """:attr:`price_text` as the blotter writes it now (the row may have ticked since)."""
        row = state.positions.get(self.price_position) if self.price_position is not None else None
        return price_text(row.underlying_price) if row is not None and row.underlying_price is not None \
            else self.price_text

    def model(self) -> RiskModel | None:
        """The model, or None when there is nothing to price (no open legs with a spot)."""
        if not self.legs or not self.spots:
            return None
        model = RiskModel(self.legs, self.spots, self.now, reference=self.reference, realized=self.realized,
                          betas=self.betas, iv=self.iv)
        if self.live_pnl is not None:
            at_spot = model.surface(np.zeros(1), [self.now], greeks=False).pnl[0, 0]
            model.pnl_offset = self.live_pnl - float(at_spot)
        return model


def _f(value: Decimal | None, default: float = 0.0) -> float:
    return default if value is None else float(value)


def price_text(value: Decimal | float | None) -> str:
    """A price as the Positions blotter's "Und. price" column writes it."""
    return fmt_number(2)(value)


def index_row(state: AppState, index: str) -> PositionRow | None:
    """The open position on ``index`` with the newest data: its Und. price is the index price."""
    best: PositionRow | None = None
    for row in state.positions.values():
        if row.is_open and row.underlying == index and row.underlying_price is not None and (
                best is None or (row.server_time or dt.datetime.min.replace(tzinfo=dt.UTC))
                > (best.server_time or dt.datetime.min.replace(tzinfo=dt.UTC))):
            best = row
    return best


def index_price(state: AppState, index: str, quoted: Mapping[str, float] | None = None) -> tuple[
        float | None, PositionRow | None]:
    """The price of ``index``: an open position's on it (and that row), else ``quoted[index]``
    (a snapshot, :class:`mesodesk.core.index_quotes.IndexQuotes`), else None."""
    held = index_row(state, index)
    if held is not None and held.underlying_price is not None:
        return float(held.underlying_price), held
    price = (quoted or {}).get(index)
    return (price if price is not None and price > 0 else None), None


def risk_inputs(state: AppState, position_ids: Iterable[int], *, index: str | None = None,
                betas: Mapping[str, float] | None = None, quoted: Mapping[str, float] | None = None) -> RiskInputs:
    """The inputs of a risk graph of ``position_ids``; beta-weighted to ``index`` when given, with
    ``betas`` against the S&P 500 (:func:`mesodesk.quant.beta_weighting.betas_from_settings`) and
    ``quoted`` index prices for an index no open position is on."""
    wanted = list(dict.fromkeys(position_ids))
    spots: dict[str, float] = {}
    now: dt.datetime | None = None
    realized = 0.0
    live = 0.0
    live_known = True
    opened = closed = 0
    reference: str | None = None
    for pid in wanted:
        row = state.positions.get(pid)
        if row is None:
            continue
        if reference is None and row.underlying:
            reference = row.underlying
        realized += _f(row.realized_pnl)
        if not row.is_open:
            closed += 1
            continue
        opened += 1
        if row.underlying and row.underlying_price is not None:
            spots.setdefault(row.underlying, float(row.underlying_price))  # the first position's, as in the header
        if row.server_time is not None and (now is None or row.server_time > now):
            now = row.server_time
        if row.pnl_mark is None:
            live_known = False
        else:
            live += float(row.pnl_mark)
    now = now or dt.datetime.now(dt.UTC)
    open_ids = {pid for pid in wanted if (r := state.positions.get(pid)) is not None and r.is_open}
    price_row = state.positions.get(next((p for p in wanted if p in open_ids), -1))
    shown_price = price_row.underlying_price if price_row is not None else None
    price_position = price_row.id if price_row is not None else None
    note = ""
    relative: dict[str, float] | None = None
    if index is not None:
        price, held = index_price(state, index, quoted)
        if price is None:
            note = f"not beta-weighted: no {index} price yet"
        else:
            reference = index
            shown_price = held.underlying_price if held is not None else Decimal(str(price))
            price_position = held.id if held is not None else None
            spots[index] = price
            table = DEFAULT_BETAS if betas is None else betas
            relative = {u: relative_beta(u, index, table) for u in {*spots, index}}
    legs: list[RiskLeg] = []
    for leg_row in state.legs.values():
        if leg_row.position_id not in open_ids or not leg_row.is_open:
            continue
        leg = leg_row.leg
        c = leg.live_contract
        underlying = c.underlying.symbol or leg.underlying
        if c.strike is None or c.option_type is None or c.expiration is None:
            # a stock/index leg: a zero-strike call that is already "expired" is worth S
            legs.append(RiskLeg(0.0, True, float(leg.qty), now - dt.timedelta(days=1), 0.0,
                                entry=float(leg.avg_entry_price), multiplier=_f(c.multiplier, 1.0),
                                underlying=underlying, name=leg.name))
            continue
        greeks = leg_row.greeks.mark if leg_row.greeks is not None else None
        iv = float(greeks.iv) / 100.0 if greeks is not None and greeks.iv else DEFAULT_IV
        legs.append(RiskLeg(
            strike=float(c.strike), is_call=c.option_type.value == "Call", qty=float(leg.qty),
            expiration=settlement_time(c.root or underlying, c.expiration), iv=iv,
            entry=float(leg.avg_entry_price), multiplier=_f(c.multiplier, 100.0),
            underlying=underlying, name=leg.name,
        ))
    return RiskInputs(legs=legs, spots=spots, now=now, realized=realized,
                      live_pnl=live if (live_known and opened) else None,
                      open_positions=opened, closed_positions=closed, reference=reference,
                      betas=relative, iv=_scope_iv(state, open_ids, relative), note=note,
                      price_text=price_text(shown_price) if shown_price is not None else "",
                      price_position=price_position,
                      position_ids=wanted)


def _scope_iv(state: AppState, open_ids: set[int], betas: dict[str, float] | None) -> float | None:
    """The positions' streamed IV (the blotter's "IV %"), weighted by their open option contracts
    (|qty × multiplier|, as the simulator weights legs) and divided by their beta when weighted."""
    weights: dict[int, float] = dict.fromkeys(open_ids, 0.0)
    for leg_row in state.legs.values():
        contract = leg_row.leg.live_contract
        if leg_row.position_id in weights and leg_row.is_open and contract.strike is not None:
            weights[leg_row.position_id] += abs(float(leg_row.leg.qty)) * float(contract.multiplier or 100)
    total = weight_sum = 0.0
    for pid, weight in weights.items():
        row = state.positions.get(pid)
        iv = row.greek("iv") if row is not None else None
        if row is None or not iv or weight <= 0:
            continue
        beta = betas.get(row.underlying or "", 1.0) if betas is not None else 1.0
        total += float(iv) / 100.0 / beta * weight
        weight_sum += weight
    return total / weight_sum if weight_sum else None


# -- scopes ------------------------------------------------------------------------------------

ScopeKind = Literal["selection", "account", "strategy"]


@dataclass(frozen=True)
class RiskScope:
    """What a risk graph shows: the selected positions, or the open positions of an account
    (``key`` its id) or of a strategy (``key`` its id, as text)."""

    kind: ScopeKind
    key: str = ""
    label: str = "Selected positions"


SELECTION = RiskScope("selection")


def scope_choices(state: AppState) -> list[RiskScope]:
    """The selection, then every account and strategy that has an open position."""
    accounts: set[str] = set()
    strategies: dict[str, str] = {}
    for row in state.positions.values():
        if not row.is_open:
            continue
        accounts.add(row.summary.broker_account_id)
        sid = row.summary.live_strategy_id
        if sid is not None:
            strategies[str(sid)] = row.summary.strategy_name or f"Strategy {sid}"
    return [SELECTION,
            *(RiskScope("account", a, f"Account {a}") for a in sorted(accounts)),
            *(RiskScope("strategy", k, f"Strategy {n}") for k, n in sorted(strategies.items(), key=lambda i: i[1]))]


def scope_positions(state: AppState, scope: RiskScope, selected: Iterable[int] = ()) -> list[int]:
    """The position ids of ``scope`` (the open ones for an account or strategy), in id order."""
    if scope.kind == "selection":
        return list(dict.fromkeys(selected))
    out = []
    for pid, row in state.positions.items():
        if not row.is_open:
            continue
        key = row.summary.broker_account_id if scope.kind == "account" else str(row.summary.live_strategy_id)
        if key == scope.key:
            out.append(pid)
    return sorted(out)


# -- beta-weighted header totals ----------------------------------------------------------------

@dataclass(frozen=True)
class BetaTotals:
    """The header of a beta-weighted graph: Σ delta × (price / index price) × beta over the open
    positions (the blotter's delta and Und. price), and Σ theta. ``delta`` is None without an
    index price; ``unpriced`` counts open positions left out (no delta or price yet)."""

    index: str
    index_price: float | None
    delta: float | None
    theta: float
    unpriced: int


def beta_weighted_totals(state: AppState, position_ids: Iterable[int], index: str,
                         betas: Mapping[str, float], quoted: Mapping[str, float] | None = None) -> BetaTotals:
    price_of_index, _held = index_price(state, index, quoted)
    delta = 0.0
    theta = 0.0
    unpriced = 0
    for pid in dict.fromkeys(position_ids):
        row = state.positions.get(pid)
        if row is None or not row.is_open:
            continue
        theta += float(row.greek("theta") or 0)
        d, price = row.greek("delta"), row.underlying_price
        if d is None or price is None or price_of_index is None:
            unpriced += 1
            continue
        delta += beta_weighted_delta(float(d), float(price), price_of_index,
                                     relative_beta(row.underlying or "", index, betas))
    return BetaTotals(index, price_of_index, delta if price_of_index is not None else None, theta, unpriced)
