"""Orders through the SDK against the simulated broker: fills, rests, clips, stops, cancel,
replace, rejections, exits and MoveLeg, over real sockets and a real SQLite file.

The market is deterministic (ManualClock): the tests move it with ``clock.advance`` and
``server.ticker.tick()``; background ticks (every 1000 s) never interfere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from mesodesk.contract import (
    LegGroupOrder,
    LiveContract,
    LivePositionState,
    LiveUnderlying,
    MesoContractType,
    MesoOptionType,
    OrderState,
    OrderType,
    PositionAdjustmentOperation,
    StatusCode,
    TimeInForce,
)
from mesodesk.sdk import MesoLiveApiException, MesoLiveControlHubClient
from mesodesk.sim.broker import Broker
from mesodesk.sim.clock import ManualClock
from mesodesk.sim.execplans import ExecPlan, ExecPlanKind, ExecPlanStatus, LegAction, PlannedLeg
from mesodesk.sim.market import Market
from mesodesk.sim.seed import BROKER_ACCOUNT, PAPER_ACCOUNT
from mesodesk.sim.server import SimulatorServer

API_KEY = "test-key-0123456789"
START = dt.datetime(2025, 3, 4, 15, 0, tzinfo=dt.UTC)  # Tuesday 10:00 ET


# --------------------------------------------------------------------------- helpers
def make_server(data_dir: Path, seed: int = 11) -> SimulatorServer:
    market = Market(seed=seed, clock=ManualClock(START), deterministic=True)
    return SimulatorServer(data_dir, API_KEY, market=market, tick_interval=1000.0)


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[SimulatorServer]:
    server = make_server(tmp_path / "sim")
    await server.start(port=0)
    try:
        yield server
    finally:
        await server.stop()


def option(server: SimulatorServer, option_type: str, strike: float, expiration: dt.date, root: str) -> LiveContract:
    return LiveContract(
        contract_type=MesoContractType.Options,
        underlying=LiveUnderlying(symbol="SPX", contract_type=MesoContractType.Index),
        root=root, option_type=MesoOptionType(option_type),
        expiration=dt.datetime(expiration.year, expiration.month, expiration.day, 21, 0, tzinfo=dt.UTC),
        strike=Decimal(f"{strike:g}"), multiplier=Decimal(100),
    )


def save_plan(server: SimulatorServer, plan: ExecPlan) -> ExecPlan:
    broker: Broker = server.context.broker
    with server.store.tx():
        broker.save_plan(plan)
    return plan


def pcs_plan(server: SimulatorServer, account: str = BROKER_ACCOUNT, multiplier: int = 1,
             name: str = "Test PCS") -> ExecPlan:
    """An entry plan for a 20-delta / 25-wide SPX put credit spread (one leg group)."""
    m = server.market
    chosen = m.select_expiration("SPX", 45, 30, 60, roots_include=["SPXW", "SPX"])
    assert chosen is not None
    root, exp = chosen
    short = m.find_by_delta("SPX", root, exp, "Put", -20)
    long_strike = m.nearest_strike("SPX", exp, short.strike - 25)
    legs = {
        "short_put": PlannedLeg(name="short_put", contract=option(server, "Put", short.strike, exp, root),
                                qty=Decimal(-1), leg_group_id=1),
        "long_put": PlannedLeg(name="long_put", contract=option(server, "Put", long_strike, exp, root),
                               qty=Decimal(1), leg_group_id=1),
    }
    return save_plan(server, ExecPlan(
        id=server.world.next_id("exec_plan"), kind=ExecPlanKind.Entry, strategy_id=1,
        strategy_name=server.world.strategies[1].name, broker_account_id=account, position_name=name,
        underlying="SPX", created_at=server.market.now, qty_multiplier=Decimal(multiplier), legs=legs,
        leg_groups={1: ["short_put", "long_put"]},
    ))


def long_put_plan(server: SimulatorServer, delta: float = -25) -> ExecPlan:
    m = server.market
    root, exp = m.select_expiration("SPX", 20, 10, 30, roots_include=["SPXW"])  # type: ignore[misc]
    spec = m.find_by_delta("SPX", root, exp, "Put", delta)
    legs = {"lp": PlannedLeg(name="lp", contract=option(server, "Put", spec.strike, exp, root), qty=Decimal(1),
                             leg_group_id=1)}
    return save_plan(server, ExecPlan(
        id=server.world.next_id("exec_plan"), kind=ExecPlanKind.Entry, strategy_id=2,
        strategy_name=server.world.strategies[2].name, broker_account_id=BROKER_ACCOUNT, position_name="Long put",
        underlying="SPX", created_at=server.market.now, legs=legs, leg_groups={1: ["lp"]},
    ))


def natural(server: SimulatorServer, plan: ExecPlan, group: int = 1) -> tuple[Decimal, Decimal]:
    """(natural combo cost, mark) per one unit of the plan's group ratios."""
    from mesodesk.sim.broker import BrokerOrder

    names = plan.leg_groups[group]
    probe = BrokerOrder.model_construct(leg_ratios={n: plan.legs[n].qty for n in names},
                                        leg_contracts={n: plan.legs[n].contract for n in names})
    cost, mark, _ = server.context.broker.natural(probe)
    return cost, mark


def order(order_type: OrderType = OrderType.Market, legs: list[str] | None = None, **kw: Any) -> LegGroupOrder:
    return LegGroupOrder(order_type=order_type, leg_names=legs or ["short_put", "long_put"], **kw)


def tick(server: SimulatorServer, seconds: float = 60.0) -> None:
    server.market.clock.advance(seconds)
    server.ticker.tick()


async def send(control: MesoLiveControlHubClient, plan: ExecPlan, lgo: LegGroupOrder, **kw: Any) -> int:
    result = await control.send_order(broker_account_id=plan.broker_account_id, exec_plan_id=plan.id,
                                      leg_group_id=kw.pop("leg_group_id", 1), leg_group_order=lgo, **kw)
    assert len(result.order_ids) == 1
    return result.order_ids[0]


def raw_send(plan: ExecPlan, **lgo: Any) -> dict[str, Any]:
    return {"IdempotencyKey": "k-raw", "BrokerAccountId": plan.broker_account_id, "ExecPlanId": plan.id,
            "LegGroupId": 1, "LegGroupOrder": {"LegNames": ["short_put", "long_put"], **lgo}}


# --------------------------------------------------------------------------- fills
async def test_marketable_limit_fills_at_natural_and_builds_the_position(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim, multiplier=2)
    cost, _ = natural(sim, plan)
    assert cost < 0  # a credit spread
    limit = cost + Decimal("0.10")  # asks for less credit than the market gives: marketable
    account_before = sim.world.accounts[BROKER_ACCOUNT]
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        order_id = await send(control, plan, order(OrderType.Limit, limit_price=limit))
        o = await control.get_order(order_id=order_id)
        assert o.state == OrderState.Filled and o.side == "S"
        assert o.qty == Decimal(-2) and o.cum_qty == Decimal(-2)
        assert o.avg_fill_price == cost and o.avg_fill_price <= limit and o.filled_at is not None
        execs = (await control.list_executions(order_id=order_id)).items
        assert {e.leg_name: e.qty for e in execs} == {"short_put": Decimal(-2), "long_put": Decimal(2)}
        assert all(e.commission == Decimal("3.00") for e in execs)
        assert sum(e.qty * e.price for e in execs) == 2 * cost  # leg prices add up to the combo price
        positions = (await control.list_positions(live_exec_plan_id=plan.id)).items
        assert len(positions) == 1 and positions[0].state == LivePositionState.Open
        assert positions[0].name == "Test PCS" and positions[0].qty_multiplier == Decimal(2)
        details = await control.get_position(position_id=positions[0].id)
        legs = {leg.name: leg for leg in details.legs}
        by_leg = {e.leg_name: e for e in execs}
        # AvgEntryPrice includes commission per unit: 1.50/contract = 0.015 per share
        assert legs["long_put"].avg_entry_price == by_leg["long_put"].price + Decimal("0.015")
        assert legs["short_put"].avg_entry_price == by_leg["short_put"].price - Decimal("0.015")
        assert {e.leg_id for e in execs} == {leg.id for leg in details.legs}
        account = await control.get_account(broker_account_id=BROKER_ACCOUNT)
    width = plan.legs["short_put"].contract.strike - plan.legs["long_put"].contract.strike  # type: ignore[operator]
    assert account.active_positions == account_before.active_positions + 1
    assert account.maintenance_margin_req == account_before.maintenance_margin_req + width * 100 * 2
    assert account.cash == account_before.cash - 2 * cost * 100 - 6  # credit received, commission paid
    assert sim.context.broker.load_plan(plan.id).status == ExecPlanStatus.Done


async def test_resting_limit_fills_when_the_market_reaches_it(sim: SimulatorServer) -> None:
    plan = long_put_plan(sim)
    cost, _ = natural(sim, plan)
    limit = cost - Decimal("0.50")
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        order_id = await send(control, plan, order(OrderType.Limit, legs=["lp"], limit_price=limit,
                                                   time_in_force=TimeInForce.GTC))
        assert (await control.get_order(order_id=order_id)).state == OrderState.Working
        filled_at_step = None
        for step in range(300):
            tick(sim, 1800)
            now_cost, _ = natural(sim, plan)
            state = (await control.get_order(order_id=order_id)).state
            if now_cost > limit:
                assert state == OrderState.Working, f"filled at step {step} although {now_cost} > {limit}"
            else:
                assert state == OrderState.Filled
                filled_at_step = step
                break
        assert filled_at_step is not None and filled_at_step > 0
        o = await control.get_order(order_id=order_id)
        assert o.avg_fill_price is not None and o.avg_fill_price <= limit


async def test_large_orders_fill_in_clips_across_ticks(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim, multiplier=25)
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        order_id = await send(control, plan, order())
        o = await control.get_order(order_id=order_id)
        assert o.state == OrderState.PartiallyFilled and o.cum_qty == Decimal(-10)
        sim.ticker.tick()
        assert (await control.get_order(order_id=order_id)).cum_qty == Decimal(-20)
        sim.ticker.tick()
        o = await control.get_order(order_id=order_id)
        assert o.state == OrderState.Filled and o.cum_qty == Decimal(-25)
        execs = (await control.list_executions(order_id=order_id, limit=1000)).items
        assert len(execs) == 6
        position = (await control.list_positions(live_exec_plan_id=plan.id)).items[0]
        legs = {leg.name: leg.qty for leg in (await control.get_position(position_id=position.id)).legs}
        assert legs == {"short_put": Decimal(-25), "long_put": Decimal(25)}


async def test_stop_orders_trigger_on_the_combo_mark(sim: SimulatorServer) -> None:
    plan = long_put_plan(sim)
    cost, mark = natural(sim, plan)
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        far = await send(control, plan, order(OrderType.StopLimit, legs=["lp"], stop_price=mark * 3,
                                              limit_price=mark * 4, qty=Decimal("0.5")))
        sim.ticker.tick()
        assert (await control.get_order(order_id=far)).state == OrderState.Working
        hit = await send(control, plan, order(OrderType.Stop, legs=["lp"], stop_price=mark - 1, qty=Decimal("0.5")))
        o = await control.get_order(order_id=hit)
        assert o.state == OrderState.Filled and o.avg_fill_price == cost


async def test_day_orders_expire_gtc_orders_stay(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim, multiplier=2)
    cost, _ = natural(sim, plan)
    far = cost - 5  # asks for 5 more credit: never marketable
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        day = await send(control, plan, order(OrderType.Limit, limit_price=far, qty=Decimal(1)))
        gtc = await send(control, plan, order(OrderType.Limit, limit_price=far, qty=Decimal(1),
                                              time_in_force=TimeInForce.GTC))
        tick(sim, 7 * 3600)  # into the next session
        assert (await control.get_order(order_id=day)).state == OrderState.Expired
        assert (await control.get_order(order_id=gtc)).state == OrderState.Working


# --------------------------------------------------------------------------- cancel / replace
async def test_cancel_working_and_refuse_cancel_of_filled(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim, multiplier=2)
    cost, _ = natural(sim, plan)
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        resting = await send(control, plan, order(OrderType.Limit, limit_price=cost - 5, qty=Decimal(1)))
        result = await control.cancel_order(order_id=resting)
        assert result.state == OrderState.Cancelled
        with pytest.raises(MesoLiveApiException) as info:
            await control.cancel_order(order_id=resting)
        assert info.value.status == StatusCode.Conflict
        filled = await send(control, plan, order(qty=Decimal(1)))
        assert (await control.get_order(order_id=filled)).state == OrderState.Filled
        with pytest.raises(MesoLiveApiException) as info:
            await control.cancel_order(order_id=filled)
        assert info.value.status == StatusCode.Conflict and "Filled" in (info.value.message or "")
        with pytest.raises(MesoLiveApiException) as info:
            await control.cancel_order(order_id=9999)
        assert info.value.status == StatusCode.NotFound
        raw = await control.connection.invoke("CancelOrder", {"IdempotencyKey": "c-bad", "OrderId": "x"})
        assert raw["Status"] == "InvalidArguments"


async def test_replace_cancels_the_original_and_keeps_history(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim)
    cost, _ = natural(sim, plan)
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        original = await send(control, plan, order(OrderType.Limit, limit_price=cost - 5))
        # a rejected replacement (too large) leaves the original working
        rejected = await send(control, plan, order(OrderType.Limit, limit_price=cost, qty=Decimal(3)),
                              replaces_order=original)
        assert (await control.get_order(order_id=rejected)).state == OrderState.Rejected
        assert (await control.get_order(order_id=original)).state == OrderState.Working
        new = await send(control, plan, order(OrderType.Limit, limit_price=cost + Decimal("0.05")),
                         replaces_order=original)
        assert (await control.get_order(order_id=original)).state == OrderState.Cancelled
        assert (await control.get_order(order_id=new)).state == OrderState.Filled
        history = (await control.list_orders(exec_plan_id=plan.id)).items
        assert [o.order_id for o in history] == [original, rejected, new]
        with pytest.raises(MesoLiveApiException) as info:
            await send(control, plan, order(), replaces_order=new)
        assert info.value.status == StatusCode.Conflict
        with pytest.raises(MesoLiveApiException) as info:
            await send(control, plan, order(), replaces_order=424242)
        assert info.value.status == StatusCode.NotFound
    assert sim.context.broker.orders[new].replaces_order_id == original


# --------------------------------------------------------------------------- rejections and bad input
async def test_rejections_carry_a_reason(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim)
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        too_big = await send(control, plan, order(qty=Decimal(5)))
        o = await control.get_order(order_id=too_big)
        assert o.state == OrderState.Rejected
        rejection = sim.context.broker.order_rejection(too_big)
        assert rejection is not None and "quantity too large" in rejection.reason
        not_in_group = await send(control, plan, order(legs=["short_put", "nope"]))
        assert "not in leg group" in sim.context.broker.order_rejection(not_in_group).reason  # type: ignore[union-attr]
        wrong_group = await send(control, plan, order(), leg_group_id=7)
        assert sim.context.broker.order_rejection(wrong_group).code == "UnknownLegGroup"  # type: ignore[union-attr]
        plan.status = ExecPlanStatus.Cancelled
        save_plan(sim, plan)
        cancelled = await send(control, plan, order())
        assert "Cancelled" in sim.context.broker.order_rejection(cancelled).reason  # type: ignore[union-attr]
        assert (await control.list_orders(state=OrderState.Rejected)).items
        assert not (await control.list_positions(live_exec_plan_id=plan.id)).items


@pytest.mark.parametrize("order_type", [OrderType.Limit, OrderType.Stop, OrderType.Market])
async def test_a_rejected_order_has_the_side_and_signed_qty_of_its_price(
        sim: SimulatorServer, order_type: OrderType) -> None:
    """Side "S" and a negative Qty for a credit, as for an accepted order (the plan has 1 combo)."""
    plan = pcs_plan(sim)
    cost, mark = natural(sim, plan)
    assert cost < 0 and mark < 0  # a credit spread
    price = {OrderType.Limit: {"limit_price": cost}, OrderType.Stop: {"stop_price": mark - 1},
             OrderType.Market: {}}[order_type]
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        too_big = await send(control, plan, order(order_type, qty=Decimal(5), **price))
        o = await control.get_order(order_id=too_big)
        assert o.state == OrderState.Rejected
        assert (o.side, o.qty, o.cum_qty) == ("S", Decimal(-5), Decimal(0))
        assert not o.cum_qty.is_signed()  # a zero never has a sign
        debit = await send(control, plan, order(OrderType.Limit, qty=Decimal(5), limit_price=-cost))
        d = await control.get_order(order_id=debit)
        assert (d.state, d.side, d.qty) == (OrderState.Rejected, "B", Decimal(5))


async def test_bad_send_order_input_is_refused_without_side_effects(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim)
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        cases = [
            ({**raw_send(plan, OrderType="Limit")}, "InvalidArguments"),  # no LimitPrice
            ({**raw_send(plan, OrderType="Stop")}, "InvalidArguments"),  # no StopPrice
            ({**raw_send(plan, OrderType="Market", Qty=-2)}, "InvalidArguments"),
            ({**raw_send(plan, OrderType="Bogus")}, "InvalidArguments"),
            ({**raw_send(plan, OrderType="Market"), "ExecPlanId": "abc"}, "InvalidArguments"),
            ({**raw_send(plan, OrderType="Market"), "QtyMultiplier": -1}, "InvalidArguments"),
            ({**raw_send(plan, OrderType="Market"), "IdempotencyKey": "bad key!"}, "InvalidArguments"),
            ({**raw_send(plan, OrderType="Market"), "ExecPlanId": 9999}, "NotFound"),
            ({**raw_send(plan, OrderType="Market"), "BrokerAccountId": "NOPE"}, "NotFound"),
            ({**raw_send(plan, OrderType="Market"), "BrokerAccountId": PAPER_ACCOUNT}, "NotSupported"),
        ]
        for n, (payload, status) in enumerate(cases):
            payload["IdempotencyKey"] = payload["IdempotencyKey"] if status == "InvalidArguments" and n == 6 \
                else f"bad-{n}"
            raw = await control.connection.invoke("SendOrder", payload)
            assert raw["Status"] == status, (n, raw)
        assert (await control.list_orders()).items == []
        for bad in ({"OrderId": "x"}, {}, [1]):
            raw = await control.connection.invoke("GetOrder", bad)
            assert raw["Status"] == "InvalidArguments"
        with pytest.raises(MesoLiveApiException) as info:
            await control.get_order(order_id=12345)
        assert info.value.status == StatusCode.NotFound
        assert len((await control.list_accounts()).items) >= 2  # still serving


async def test_list_orders_and_executions_page_and_filter(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim, multiplier=3)
    other = pcs_plan(sim, name="Other")
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        ids = [await send(control, plan, order(qty=Decimal(1))) for _ in range(3)]
        other_id = await send(control, other, order())
        first = await control.list_orders(exec_plan_id=plan.id, limit=2)
        assert [o.order_id for o in first.items] == ids[:2] and first.continuation_token
        second = await control.list_orders(exec_plan_id=plan.id, limit=2, continuation_token=first.continuation_token)
        assert [o.order_id for o in second.items] == ids[2:] and second.continuation_token is None
        assert [o.order_id for o in (await control.list_orders(broker_account_id=BROKER_ACCOUNT)).items] == \
            [*ids, other_id]
        assert (await control.list_orders(broker_account_id=PAPER_ACCOUNT)).items == []
        execs = (await control.list_executions(exec_plan_id=plan.id)).items
        assert len(execs) == 6
        one = await control.get_execution(execution_id=execs[0].execution_id)
        assert one == execs[0]
        batch = await control.get_executions(execution_ids=[execs[1].execution_id, 99999, execs[0].execution_id])
        assert [e.execution_id for e in batch.executions] == [execs[1].execution_id, execs[0].execution_id]
        by_leg = (await control.list_executions(leg_id=execs[0].leg_id)).items
        assert len(by_leg) == 3 and {e.leg_id for e in by_leg} == {execs[0].leg_id}
        with pytest.raises(MesoLiveApiException) as info:
            await control.get_execution(execution_id=99999)
        assert info.value.status == StatusCode.NotFound
        raw = await control.connection.invoke("ListOrders", {"Limit": 0})
        assert raw["Status"] == "InvalidArguments"
        raw = await control.connection.invoke("ListExecutions", {"ContinuationToken": "???"})
        assert raw["Status"] == "InvalidArguments"
        raw = await control.connection.invoke("GetExecutions", {"ExecutionIds": "nope"})
        assert raw["Status"] == "InvalidArguments"


# --------------------------------------------------------------------------- exits and adjustments
def exit_plan(server: SimulatorServer, position_id: int, kind: ExecPlanKind = ExecPlanKind.Exit) -> ExecPlan:
    position = server.world.positions[position_id]
    legs = {leg.name: PlannedLeg(name=leg.name, contract=leg.live_contract, qty=-leg.qty, leg_group_id=1,
                                 action=LegAction.Close, existing_leg_id=leg.id)
            for leg in server.world.position_legs(position_id) if leg.closed_at is None}
    return save_plan(server, ExecPlan(
        id=server.world.next_id("exec_plan"), kind=kind, strategy_id=position.live_strategy_id,
        strategy_name=position.strategy_name, broker_account_id=position.broker_account_id,
        position_id=position_id, position_name=position.name, underlying="SPX", created_at=server.market.now,
        legs=legs, leg_groups={1: list(legs)},
    ))


async def test_exit_closes_legs_and_realizes_pnl(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim, multiplier=2)
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        await send(control, plan, order())
        position_id = sim.context.broker.load_plan(plan.id).position_id
        entry_legs = {leg.name: leg for leg in sim.world.position_legs(position_id)}
        tick(sim, 3 * 3600)
        xplan = exit_plan(sim, position_id)
        exit_id = await send(control, xplan, order(), leg_group_id=1)
        assert (await control.get_order(order_id=exit_id)).state == OrderState.Filled
        details = await control.get_position(position_id=position_id)
        assert details.state == LivePositionState.Closed and details.closed_at is not None
        execs = {e.leg_name: e for e in (await control.list_executions(order_id=exit_id)).items}
        expected = Decimal(0)
        for leg in details.legs:
            assert leg.qty == 0 and leg.closed_at is not None
            entry = entry_legs[leg.name]
            e = execs[leg.name]
            pnl = (e.price - entry.avg_entry_price) * (1 if entry.qty > 0 else -1) * abs(entry.qty) * 100 - e.commission
            assert leg.tracked_realized_pnl == pnl.quantize(Decimal("0.01"))
            expected += leg.tracked_realized_pnl
        assert details.realized_pnl == expected
        assert sim.context.broker.load_plan(xplan.id).status == ExecPlanStatus.Done
        rejected = await send(control, xplan, order())  # nothing left: the plan is Done
        assert (await control.get_order(order_id=rejected)).state == OrderState.Rejected
        assert sim.context.broker.order_rejection(rejected).code == "ExecPlanDone"  # type: ignore[union-attr]


async def test_move_leg_closes_the_old_leg_and_opens_the_new(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim)
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        await send(control, plan, order())
        position_id = sim.context.broker.load_plan(plan.id).position_id
        old = next(leg for leg in sim.world.position_legs(position_id) if leg.name == "short_put")
        new_strike = float(old.live_contract.strike) - 50  # type: ignore[arg-type]
        exp = old.live_contract.expiration.date()  # type: ignore[union-attr]
        position = sim.world.positions[position_id]
        move = save_plan(sim, ExecPlan(
            id=sim.world.next_id("exec_plan"), kind=ExecPlanKind.Adjustment, strategy_id=position.live_strategy_id,
            strategy_name=position.strategy_name, broker_account_id=BROKER_ACCOUNT, position_id=position_id,
            position_name=position.name, underlying="SPX", created_at=sim.market.now,
            operation=PositionAdjustmentOperation.MoveLeg, legs={
                "short_put:old": PlannedLeg(name="short_put", contract=old.live_contract, qty=Decimal(1),
                                            leg_group_id=1, action=LegAction.Close, existing_leg_id=old.id),
                "short_put": PlannedLeg(name="short_put", contract=option(sim, "Put", new_strike, exp,
                                                                           old.live_contract.root or "SPXW"),
                                        qty=Decimal(-1), leg_group_id=1, action=LegAction.Move,
                                        replaces_leg_id=old.id),
            }, leg_groups={1: ["short_put:old", "short_put"]},
        ))
        await send(control, move, order(legs=["short_put:old", "short_put"]))
        legs = (await control.get_position(position_id=position_id)).legs
        by_id = {leg.id: leg for leg in legs}
        assert by_id[old.id].closed_at is not None and by_id[old.id].qty == 0
        new = [leg for leg in legs if leg.name == "short_put" and leg.closed_at is None]
        assert len(new) == 1 and new[0].live_contract.strike == Decimal(f"{new_strike:g}") and new[0].qty == -1
        assert (await control.get_position(position_id=position_id)).state == LivePositionState.Open
        assert sim.context.broker.load_plan(move.id).status == ExecPlanStatus.Done
