"""The store consumes lean stream items (float market values): the rows read the same Decimals
as from the pydantic items, realized P&L stays a Decimal, and the session streams lean items."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from mesodesk.contract import (
    LiveContract,
    LiveGreekValues,
    LiveLeg,
    LivePosition,
    LivePositionState,
    LiveUnderlying,
    MesoContractType,
    PositionDataEntry,
)
from mesodesk.core import store
from mesodesk.core.formatting import fmt_money, fmt_number, fmt_price
from mesodesk.core.session import Session
from mesodesk.core.state import AppState, LegRow, PositionRow, market_decimal
from mesodesk.sdk._stream import exact_loads
from mesodesk.sdk.lean import LeanGreekValues, LeanPositionData, LeanPrices, lean_reader
from tests.conftest import API_KEY

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
LEGS = (11, 12, 13)
GREEKS = ("delta", "gamma", "theta", "vega", "iv")


def state_with_position() -> AppState:
    state = AppState()
    state.positions.upsert(1, PositionRow(LivePosition(
        id=1, state=LivePositionState.Open, created_at=NOW, name="P1", broker_account_id="ML1", live_strategy_id=1,
        strategy_name="S", qty_multiplier=Decimal(1))))
    contract = LiveContract(contract_type=MesoContractType.Index, underlying=LiveUnderlying(symbol="SPX"))
    for leg_id in LEGS:
        state.legs.upsert(leg_id, LegRow(LiveLeg(
            id=leg_id, name=f"L{leg_id}", live_contract=contract, leg_group_id=1, created_at=NOW, live_position_id=1,
            account_id="ML1", underlying="SPX", qty=Decimal(-1), avg_entry_price=Decimal(1))))
    return state


def wire_text(value: Any) -> bytes:
    """JSON with each Decimal written as its own text, as the server writes numbers."""
    def default(obj: Any) -> Any:
        if isinstance(obj, Decimal):
            return orjson.Fragment(format(obj, "f").encode())
        raise TypeError
    return orjson.dumps(value, default=default)


money = st.decimals(min_value=Decimal("-1e7"), max_value=Decimal("1e7"), allow_nan=False, allow_infinity=False,
                    places=2)
ratio = st.decimals(min_value=Decimal("-1e4"), max_value=Decimal("1e4"), allow_nan=False, allow_infinity=False,
                    places=6)


@st.composite
def wire_entries(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A StreamPositionData item (wire names, Decimal values) and the values it carries."""
    values: dict[str, Any] = {
        "spot": draw(money), "pnl": draw(money), "realized": draw(money),
        "greeks": {g: draw(ratio) for g in GREEKS},
        "legs": {leg: {"mark": draw(money), "pnl": draw(money), "delta": draw(ratio)} for leg in LEGS},
    }
    g = values["greeks"]
    entry = {
        "PositionId": 1, "Timestamp": "2026-11-24T15:00:01.5Z",
        "UnderlyingPrice": {"Bid": values["spot"] - 1, "Ask": values["spot"] + 1, "Mark": values["spot"]},
        "PositionPnLs": {"Mark": values["pnl"], "Realized": values["realized"]},
        "PositionGreeks": {"Mark": {"Delta": g["delta"], "Gamma": g["gamma"], "Theta": g["theta"], "Vega": g["vega"],
                                    "IV": g["iv"]}},
        "LegPrices": {str(k): {"Mark": v["mark"]} for k, v in values["legs"].items()},
        "LegPnLs": {str(k): {"Mark": v["pnl"]} for k, v in values["legs"].items()},
        "LegGreeks": {str(k): {"Mark": {"Delta": v["delta"]}} for k, v in values["legs"].items()},
    }
    return entry, values


@settings(max_examples=100, deadline=None)
@given(wire_entries())
def test_rows_read_the_wire_values_from_lean_items(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    entry, values = case
    data = wire_text(entry)
    lean = lean_reader(LeanPositionData).decode(data)
    assert isinstance(lean, LeanPositionData)
    lean_state, exact_state = state_with_position(), state_with_position()
    assert store.apply_stream_entry(lean_state, 1, lean, NOW)
    assert store.apply_stream_entry(exact_state, 1, PositionDataEntry.model_validate(exact_loads(data)), NOW)
    for state in (lean_state, exact_state):
        row = state.positions[1]
        assert row.pnl_mark == values["pnl"] and isinstance(row.pnl_mark, Decimal)
        assert row.realized == values["realized"] and isinstance(row.realized, Decimal)  # a result: Decimal
        assert row.underlying_price == values["spot"]
        assert all(row.greek(g) == values["greeks"][g] for g in GREEKS)
        assert row.server_time == datetime(2026, 11, 24, 15, 0, 1, 500000, tzinfo=UTC)
        for leg_id, leg_values in values["legs"].items():
            leg = state.legs[leg_id]
            assert leg.mark == leg_values["mark"] and leg.pnl_mark == leg_values["pnl"]
            assert leg.greek("delta") == leg_values["delta"] and isinstance(leg.greek("delta"), Decimal)
    assert isinstance(lean_state.positions[1].data, LeanPositionData)
    assert lean_state.stream_updates == exact_state.stream_updates == 1


def test_a_closed_position_takes_no_lean_item() -> None:
    state = state_with_position()
    row = state.positions[1]
    row.summary = row.summary.model_copy(update={"state": LivePositionState.Closed})
    lean = lean_reader(LeanPositionData).decode(b'{"PositionId":1,"PositionPnLs":{"Mark":5.5}}')
    assert lean is not None and not store.apply_stream_entry(state, 1, lean, NOW)
    assert row.data is None and state.stream_updates == 0


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), allow_nan=False, allow_infinity=False,
                   places=4), st.integers(0, 4))
def test_a_float_market_value_formats_as_its_decimal(value: Decimal, places: int) -> None:
    """Formatting rounds the wire value, never its binary float (2.675 is 2.67499… as a float)."""
    as_float = float(value)
    assert market_decimal(as_float) == value
    assert fmt_price(as_float, places) == fmt_price(value, places) == fmt_price(market_decimal(as_float), places)
    assert fmt_money(as_float) == fmt_money(value)
    assert fmt_number(places)(as_float) == fmt_number(places)(value)
    assert fmt_price(2.675) == "2.68" and fmt_price(Decimal("2.675")) == "2.68"


async def test_the_session_streams_lean_items_into_the_store(simulator: Any) -> None:
    session = Session(simulator.url, API_KEY)
    session.heartbeat_interval = 0.2
    try:
        await session.start()
        state = session.state
        deadline = asyncio.get_running_loop().time() + 20
        while not (state.positions and all(r.data is not None for r in state.positions.values() if r.is_open)
                   and all(leg.prices is not None for leg in state.legs.values() if leg.is_open)):
            assert asyncio.get_running_loop().time() < deadline, "no stream data"
            await asyncio.sleep(0.05)
        snapshot = await session.data.get_position_snapshot(position_id=1)
        row = state.positions[1]
        assert isinstance(row.data, LeanPositionData) and isinstance(row.data.underlying_price, LeanPrices)
        assert isinstance(row.pnl_mark, Decimal) and isinstance(row.greek("delta"), Decimal)
        assert row.realized_pnl is None or isinstance(row.realized_pnl, Decimal)
        assert set(row.data.leg_prices or {}) == set(snapshot.leg_prices or {})  # the same legs as the snapshot
        leg_row = state.legs[next(iter(row.data.leg_prices or {}))]
        assert isinstance(leg_row.prices, LeanPrices) and isinstance(leg_row.mark, Decimal)
        from mesodesk.core.trading.desk import TradingDesk

        greeks = TradingDesk(session).position_greeks(1)  # the ticket's greeks: a pydantic model again
        assert isinstance(greeks, LiveGreekValues) and not isinstance(greeks, LeanGreekValues)
        assert greeks.delta == row.greek("delta")
    finally:
        await session.stop()
