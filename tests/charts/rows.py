"""Real PositionRow objects (wire models) for history and rollup tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from mesodesk.contract import (
    LiveGreeks,
    LiveGreekValues,
    LivePnL,
    LivePosition,
    LivePositionDetails,
    LivePositionState,
    LivePrices,
    PositionDataEntry,
)
from mesodesk.core.state import PositionRow

T0 = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def D(x: float) -> Decimal:
    return Decimal(str(x))


def position_row(pid: int, strategy: str, underlying: str, *, pnl: float, realized: float = 0.0,
                 delta: float = 0.0, gamma: float = 0.0, theta: float = 0.0, vega: float = 0.0,
                 open_: bool = True, spot: float = 6000.0, seconds: float = 0.0) -> PositionRow:
    summary = LivePosition(id=pid, state=LivePositionState.Open if open_ else LivePositionState.Closed,
                           created_at=T0, name=f"P{pid}", broker_account_id="ML10001", live_strategy_id=pid % 3,
                           strategy_name=strategy)
    details = LivePositionDetails(**summary.model_dump(), underlying=underlying)
    row = PositionRow(summary, details)
    update(row, pnl=pnl, realized=realized, delta=delta, gamma=gamma, theta=theta, vega=vega, spot=spot,
           seconds=seconds)
    return row


def update(row: PositionRow, *, pnl: float, realized: float = 0.0, delta: float = 0.0, gamma: float = 0.0,
           theta: float = 0.0, vega: float = 0.0, spot: float = 6000.0, seconds: float = 0.0,
           spread: float = 10.0) -> PositionRow:
    when = T0 + timedelta(seconds=seconds)
    values = LiveGreekValues(delta=D(delta), gamma=D(gamma), theta=D(theta), vega=D(vega), iv=D(15))
    row.data = PositionDataEntry(
        position_id=row.id, timestamp=when,
        underlying_price=LivePrices(bid=D(spot - 0.5), ask=D(spot + 0.5), mark=D(spot)),
        position_pnls=LivePnL(bid=D(pnl - spread), ask=D(pnl + spread), mark=D(pnl), realized=D(realized)),
        position_greeks=LiveGreeks(mark=values),
    )
    row.updates += 1
    row.received_at = when
    return row
