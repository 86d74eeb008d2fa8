"""A console session sees a DAY order expire at the simulated close: the store's order row turns
Expired (last update at the close), the event log has the event, and its notification says so.
Real simulator, accelerated clock run through 16:00 ET; the GTC order of the same plan keeps working."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from mesodesk.contract import LegGroupOrder, OrderState, OrderType, OrderUpdateEvent, TimeInForce
from mesodesk.core.notices import Severity, describe
from mesodesk.core.session import Session
from mesodesk.sim.clock import TradingClock
from mesodesk.sim.market import Market
from mesodesk.sim.server import SimulatorServer
from tests.sim.test_day_orders import BEFORE_CLOSE, CLOSE
from tests.sim.test_orders import API_KEY, natural, pcs_plan

pytestmark = pytest.mark.timeout(120)


async def until(predicate: Callable[[], object], timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met"
        await asyncio.sleep(0.02)


async def test_the_console_store_and_notification_show_the_expiry(tmp_path: Path) -> None:
    clock = TradingClock(BEFORE_CLOSE, speed=0.0)
    server = SimulatorServer(tmp_path / "sim", API_KEY, market=Market(seed=11, clock=clock, deterministic=True),
                             tick_interval=0.05)
    await server.start(port=0)
    session = Session(server.url, API_KEY, embedded=True)
    try:
        await session.start()
        plan = pcs_plan(server, multiplier=2)
        cost, _ = natural(server, plan)
        ids = {}
        for tif in (TimeInForce.DAY, TimeInForce.GTC):
            sent = await session.control.send_order(
                broker_account_id=plan.broker_account_id, exec_plan_id=plan.id, leg_group_id=1,
                leg_group_order=LegGroupOrder(order_type=OrderType.Limit, time_in_force=tif, limit_price=cost - 5,
                                              qty=Decimal(1), leg_names=["short_put", "long_put"]))
            ids[tif] = sent.order_ids[0]
        orders = session.state.orders
        await until(lambda: all((r := orders.get(i)) is not None and r.state == OrderState.Working
                                for i in ids.values()))
        clock.set_speed(1800.0)
        await until(lambda: orders[ids[TimeInForce.DAY]].state == OrderState.Expired)
        clock.set_speed(0.0)
        day = orders[ids[TimeInForce.DAY]]
        assert day.last_updated == CLOSE and day.order is not None and day.order.cum_qty == 0
        assert not day.order.cum_qty.is_signed()
        assert orders[ids[TimeInForce.GTC]].state == OrderState.Working
        [event] = [r.event for r in session.state.events.values() if isinstance(r.event, OrderUpdateEvent)
                   and r.event.order_id == day.order_id and r.event.state == OrderState.Expired]
        notice = describe(event)
        assert notice.title == f"Order #{day.order_id} expired" and notice.severity is Severity.WARNING
        assert notice.important
    finally:
        await session.stop()
        await server.stop()
