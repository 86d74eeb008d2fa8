"""DAY orders end at the close of their session, as ``Expired`` (state and event); GTC orders stay.

Real simulator over real sockets and a real SQLite file, with an accelerated clock run through
the close (it jumps from 16:00 ET to the next open), and across a restart of the simulator
after the close. The close instants are written here by hand (EST/EDT), not computed by the
calendar code under test.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from mesodesk.contract import OrderState, OrderType, OrderUpdateEvent, TimeInForce
from mesodesk.quant.calendar import session_close_after
from mesodesk.sdk import MesoLiveControlHubClient, MesoLiveEventHubClient
from mesodesk.sim.clock import TradingClock
from mesodesk.sim.market import Market
from mesodesk.sim.server import SimulatorServer
from tests.sim.test_orders import API_KEY, natural, order, pcs_plan, send

pytestmark = pytest.mark.timeout(120)

UTC = dt.UTC
# Tuesday 2025-03-04 (EST, UTC-5): the session closes at 21:00 UTC; the next opens Wednesday 14:30 UTC
BEFORE_CLOSE = dt.datetime(2025, 3, 4, 20, 50, tzinfo=UTC)  # 15:50 ET
CLOSE = dt.datetime(2025, 3, 4, 21, 0, tzinfo=UTC)
NEXT_OPEN = dt.datetime(2025, 3, 5, 14, 30, tzinfo=UTC)


async def order_events(url: str, order_id: int) -> list[OrderUpdateEvent]:
    async with MesoLiveEventHubClient(url, API_KEY, strategies=[]) as events:
        replay = await events.get_events_since(since_event_seq_id=0, limit=1000)
    return [e.event for e in replay.events
            if isinstance(e.event, OrderUpdateEvent) and e.event.order_id == order_id]


async def resting_day_and_gtc(server: SimulatorServer, control: MesoLiveControlHubClient) -> tuple[int, int, object]:
    """A plan for 2 combos: one DAY and one GTC limit for 1 combo each, asking for far more credit
    than the market pays (never marketable). Together they reserve the whole plan."""
    plan = pcs_plan(server, multiplier=2)
    cost, _ = natural(server, plan)
    far = cost - 5
    day = await send(control, plan, order(OrderType.Limit, limit_price=far, qty=Decimal(1)))
    gtc = await send(control, plan, order(OrderType.Limit, limit_price=far, qty=Decimal(1),
                                          time_in_force=TimeInForce.GTC))
    return day, gtc, plan


async def until_state(control: MesoLiveControlHubClient, order_id: int, state: OrderState,
                      timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while (await control.get_order(order_id=order_id)).state != state:
        assert asyncio.get_running_loop().time() < deadline, f"order {order_id} never became {state}"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("skip_closed", [True, False], ids=["jumps-to-next-open", "runs-through-the-night"])
async def test_a_day_order_expires_at_the_close_and_a_gtc_order_keeps_working(
        tmp_path: Path, skip_closed: bool) -> None:
    clock = TradingClock(BEFORE_CLOSE, speed=0.0, skip_closed=skip_closed)  # frozen while the orders go in
    market = Market(seed=11, clock=clock, deterministic=True)
    server = SimulatorServer(tmp_path / "sim", API_KEY, market=market, tick_interval=0.05)
    await server.start(port=0)
    try:
        async with MesoLiveControlHubClient(server.url, API_KEY) as control:
            day, gtc, plan = await resting_day_and_gtc(server, control)
            assert (await control.get_order(order_id=day)).state == OrderState.Working
            clock.set_speed(1800.0)  # ten simulated minutes in a third of a second: through the close
            await until_state(control, day, OrderState.Expired)
            now = server.market.now
            assert now >= (NEXT_OPEN if skip_closed else CLOSE)  # the clock is past the close already
            expired = await control.get_order(order_id=day)
            assert expired.last_updated == CLOSE and expired.cum_qty == 0
            assert (await control.get_order(order_id=gtc)).state == OrderState.Working
            # the expired order no longer reserves its leg group; the GTC one still does
            again = await send(control, plan, order(OrderType.Limit, limit_price=expired.limit_price, qty=Decimal(1)))
            assert (await control.get_order(order_id=again)).state == OrderState.Working
            too_many = await send(control, plan, order(OrderType.Limit, limit_price=expired.limit_price,
                                                       qty=Decimal(1)))
            assert (await control.get_order(order_id=too_many)).state == OrderState.Rejected
            clock.set_speed(0.0)
        states = [(e.state, e.event_time) for e in await order_events(server.url, day)]
        assert states == [(OrderState.Working, expired.created_at), (OrderState.Expired, CLOSE)]
        assert all(e.state != OrderState.Expired for e in await order_events(server.url, gtc))
    finally:
        await server.stop()


async def test_a_restart_after_the_close_expires_the_day_order_at_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "sim"
    first = SimulatorServer(data_dir, API_KEY, market=Market(seed=11, clock=TradingClock(BEFORE_CLOSE, speed=0.0)),
                            tick_interval=1000.0)
    await first.start(port=0)
    try:
        async with MesoLiveControlHubClient(first.url, API_KEY) as control:
            day, gtc, _ = await resting_day_and_gtc(first, control)
            assert (await control.get_order(order_id=day)).state == OrderState.Working
    finally:
        await first.stop()
    # the restart resumes simulated time from the saved clock or the wall clock, whichever is later:
    # past this close. No market tick runs (1000 s interval): the expiry happens at start-up.
    second = SimulatorServer(data_dir, API_KEY, seed=11, speed=0.0, tick_interval=1000.0)
    assert second.market.now > CLOSE
    await second.start(port=0)
    try:
        assert second.ticker.version == 0
        async with MesoLiveControlHubClient(second.url, API_KEY) as control:
            expired = await control.get_order(order_id=day)
            assert expired.state == OrderState.Expired and expired.last_updated == CLOSE
            assert (await control.get_order(order_id=gtc)).state == OrderState.Working
        events = await order_events(second.url, day)
        assert [(e.state, e.event_time) for e in events][-1] == (OrderState.Expired, CLOSE)
        assert OrderState.Cancelled not in {e.state for e in events}
    finally:
        await second.stop()


@pytest.mark.parametrize(("placed", "close"), [
    (dt.datetime(2025, 3, 4, 15, 0, tzinfo=UTC), CLOSE),  # in the session
    (dt.datetime(2025, 3, 4, 13, 0, tzinfo=UTC), CLOSE),  # before the open: that day's session
    (CLOSE, dt.datetime(2025, 3, 5, 21, 0, tzinfo=UTC)),  # at the close: the next session's
    (dt.datetime(2025, 3, 7, 23, 0, tzinfo=UTC), dt.datetime(2025, 3, 10, 20, 0, tzinfo=UTC)),  # Fri night -> Mon (EDT)
    (dt.datetime(2025, 4, 17, 20, 30, tzinfo=UTC), dt.datetime(2025, 4, 21, 20, 0, tzinfo=UTC)),  # Good Friday
])
def test_the_close_a_day_order_belongs_to(placed: dt.datetime, close: dt.datetime) -> None:
    assert session_close_after(placed) == close
