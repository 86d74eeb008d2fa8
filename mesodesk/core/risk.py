"""The risk graph's inputs from the store (Qt-free): open legs, spots, server time, the
positions' realized P&L and the live P&L the curves are calibrated to.

Realized P&L comes from the positions (their one owner, :attr:`PositionRow.realized_pnl`),
never from summing the legs the console happens to hold (closed legs are not loaded).
The curves are **total P&L**: realized + open legs' value − their cost. At ``now`` and the
current spot the T+0 curve equals the live P&L the Positions blotter shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from mesodesk.core.state import AppState
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

    def model(self) -> RiskModel | None:
        """The model, or None when there is nothing to price (no open legs with a spot)."""
        if not self.legs or not self.spots:
            return None
        model = RiskModel(self.legs, self.spots, self.now, reference=self.reference, realized=self.realized)
        if self.live_pnl is not None:
            at_spot = model.surface(np.zeros(1), [self.now], greeks=False).pnl[0, 0]
            model.pnl_offset = self.live_pnl - float(at_spot)
        return model


def _f(value: Decimal | None, default: float = 0.0) -> float:
    return default if value is None else float(value)


def risk_inputs(state: AppState, position_ids: Iterable[int]) -> RiskInputs:
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
            spots[row.underlying] = float(row.underlying_price)
        if row.server_time is not None and (now is None or row.server_time > now):
            now = row.server_time
        if row.pnl_mark is None:
            live_known = False
        else:
            live += float(row.pnl_mark)
    now = now or dt.datetime.now(dt.UTC)
    open_ids = {pid for pid in wanted if (r := state.positions.get(pid)) is not None and r.is_open}
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
                      open_positions=opened, closed_positions=closed, reference=reference)
