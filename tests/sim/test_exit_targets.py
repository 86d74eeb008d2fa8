"""Exit targets and adjustment triggers of multi-lot positions (issue 22, defect 3).

``ProfitTarget``/``StopLoss`` are dollars of the whole position, compared with ``pos_pnl``
(MesoSim: "the loss of our overall structure"), and Entry.VarDefines are evaluated again
on the filled position [D]. The bundled put credit spread states its targets per spread
times the spreads held, so a 25-lot's targets are 25 times a 1-lot's. Everything is
entered through the real prepare → SendOrder path on a frozen market; the expected
values are computed here from the raw executions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mesodesk.contract import (
    ConditionType,
    ExitSignalEvent,
    LegGroupOrder,
    LiveLegSelectionConstraint,
    LiveUnderlying,
    OrderType,
    PositionAdjustmentOperation,
    SignalState,
)
from mesodesk.sdk import MesoLiveControlHubClient
from mesodesk.sim.execplans import ExecPlanStatus
from mesodesk.sim.position_env import position_env
from mesodesk.sim.seed import BROKER_ACCOUNT, load_strategy_definition
from mesodesk.sim.server import SimulatorServer
from mesodesk.sim.strategy import evaluate_condition
from tests.sim import test_orders
from tests.sim.test_orders import API_KEY, natural
from tests.sim.test_trading_day import wait_job

sim = test_orders.sim  # the fixture: deterministic market, clock moved only by the test
PCS = 1  # the seeded put credit spread strategy
CENT = Decimal("0.01")


async def enter(sim: SimulatorServer, control: MesoLiveControlHubClient, lots: int) -> tuple[int, Decimal]:
    """Enter ``lots`` spreads of the bundled PCS with a marketable limit (clips of 10 at the same
    prices: the clock does not move). Returns (position id, credit per spread per share from the
    executions, net of commissions)."""
    job = await control.start_prepare_position_entry(
        position_name=f"PCS x{lots}", strategy_id=PCS, broker_account_id=BROKER_ACCOUNT,
        leg_selection_constraint=LiveLegSelectionConstraint.None_, underlying=LiveUnderlying(symbol="SPX"))
    result = await wait_job(control.get_prepare_position_entry_status, job.job_id)
    plan = sim.context.broker.load_plan(result.exec_plan_id)
    cost, _ = natural(sim, plan)
    sent = await control.send_order(
        broker_account_id=BROKER_ACCOUNT, exec_plan_id=plan.id, leg_group_id=1, qty_multiplier=Decimal(lots),
        leg_group_order=LegGroupOrder(order_type=OrderType.Limit, leg_names=["short_put", "long_put"],
                                      limit_price=cost))
    until_done(sim, plan.id)
    executions = (await control.list_executions(order_id=sent.order_ids[0])).items
    assert sum(abs(e.qty) for e in executions) == 2 * lots
    cash = sum((-e.qty * e.price for e in executions), Decimal(0))  # per share, all spreads
    commissions = sum((e.commission for e in executions), Decimal(0))
    credit = cash / lots - commissions / (100 * lots)
    [position] = (await control.list_positions(live_exec_plan_id=plan.id)).items
    return position.id, credit


def until_done(sim: SimulatorServer, exec_plan_id: int) -> None:
    """Tick (the clock stands still) until every clip of the plan's orders filled."""
    for _ in range(10):
        if sim.context.broker.load_plan(exec_plan_id).status == ExecPlanStatus.Done:
            return
        sim.ticker.tick()
    assert sim.context.broker.load_plan(exec_plan_id).status == ExecPlanStatus.Done


def exit_results(sim: SimulatorServer, after: int) -> dict[int, Any]:
    out = {}
    for envelope in sim.context.events.since(after, 10_000):
        event = envelope.event
        if isinstance(event, ExitSignalEvent) and event.state == SignalState.On:
            out[event.position_id] = event.exit_signal_result
    return out


async def force_exit_signals(control: MesoLiveControlHubClient) -> None:
    """An always-true exit condition: every PCS position's exit signal turns On and carries the
    profit target and stop loss the simulator computed for it (the bundled targets unchanged)."""
    definition = load_strategy_definition("spx_put_credit_spread.json")
    definition["Exit"]["Conditions"] = ["days_in_trade >= 0"]
    await control.update_strategy(strategy_id=PCS, strategy_definition=definition)


async def test_targets_scale_with_the_lots(sim: SimulatorServer) -> None:
    sim.context.jobs.delay = 0.0
    await sim.context.signals.stop()
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        entered = {lots: await enter(sim, control, lots) for lots in (1, 2, 25)}
        for lots, (position_id, credit) in entered.items():
            # Entry.VarDefines were evaluated again on the filled position: the fills' credit per spread
            initial = sim.world.positions[position_id].vars["initial_credit"]
            assert abs(initial - credit) <= Decimal("0.000001"), (lots, initial, credit)
        await force_exit_signals(control)
        start = sim.context.events.latest_seq
        sim.context.signals.evaluate_once()
    results = exit_results(sim, start)
    targets = {}
    for lots, (position_id, credit) in entered.items():
        r = results[position_id]
        # the definition: initial_credit * 100 * abs(leg_short_put_qty) * 0.5 (and * 2), by hand
        assert r.profit_target == (credit * 100 * lots * Decimal("0.5")).quantize(CENT), lots
        assert r.stop_loss == (credit * 100 * lots * 2).quantize(CENT), lots
        targets[lots] = (r.profit_target, r.stop_loss)
    one_pt, one_sl = targets[1]
    assert targets[2] == (2 * one_pt, 2 * one_sl)
    assert targets[25] == (25 * one_pt, 25 * one_sl)


async def test_a_two_lot_takes_profit_at_half_its_max_profit(sim: SimulatorServer) -> None:
    """Max profit of a credit spread = the net credit of every spread held. The old 1-lot target of a
    2-lot fired at 25 % of it; the target is 50 %."""
    sim.context.jobs.delay = 0.0
    await sim.context.signals.stop()
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        position_id, credit = await enter(sim, control, 2)
        max_profit = credit * 100 * 2

        async def book_pnl(fraction: str) -> dict[int, Any]:
            """Book realized P&L so that the position's P&L is ``fraction`` of its max profit."""
            details = await control.get_position(position_id=position_id)
            assert details.position_pnls is not None and details.position_pnls.mark is not None
            leg = next(leg for leg in sim.world.position_legs(position_id) if leg.name == "short_put")
            now = details.position_pnls.mark - (leg.user_set_realized_pnl or 0)
            wanted = (max_profit * Decimal(fraction)).quantize(CENT)
            sim.world.save_leg(leg.model_copy(update={"user_set_realized_pnl": wanted - now}))
            start = sim.context.events.latest_seq
            sim.context.signals.evaluate_once()
            return exit_results(sim, start)

        assert position_id not in await book_pnl("0.45")  # above 25 %, below 50 %: nothing fires
        fired = await book_pnl("0.55")
    r = fired[position_id]
    assert r.profit_target_hit and not r.stop_loss_hit
    assert r.profit_target == (max_profit / 2).quantize(CENT)
    assert r.position_pnl == (max_profit * Decimal("0.55")).quantize(CENT)


async def test_per_position_and_per_unit_variables(sim: SimulatorServer) -> None:
    """pos_* and leg greeks/qty scale with the lots, leg prices do not; the bundled delta trigger is
    per spread, so a 25-lot adjusts exactly when a 1-lot of the same spread would."""
    sim.context.jobs.delay = 0.0
    await sim.context.signals.stop()
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        one, _ = await enter(sim, control, 1)
        many, _ = await enter(sim, control, 25)
    env1 = position_env(sim.context, sim.world.positions[one])
    env25 = position_env(sim.context, sim.world.positions[many])
    for name in ("leg_short_put_price", "leg_long_put_price", "leg_short_put_strike", "leg_short_put_iv"):
        assert env25[name] == env1[name], name
    assert (env1["leg_short_put_qty"], env25["leg_short_put_qty"]) == (-1, -25)
    for name in ("pos_delta", "pos_theta", "pos_vega", "pos_pnl", "leg_short_put_delta", "leg_long_put_theta"):
        assert abs(env25[name] - 25 * env1[name]) <= 1e-6 * max(1.0, abs(env25[name])), name
    [trigger] = load_strategy_definition("spx_put_credit_spread.json")["Adjustment"]["ConditionalAdjustments"]
    assert trigger == "pos_delta > 8 * units"
    for threshold in (-1000.0, env1["pos_delta"] - 0.01, env1["pos_delta"] + 0.01, 1000.0):
        statement = trigger.replace("8", repr(threshold), 1)
        results = {evaluate_condition(statement, env, ConditionType.Adjustment).result for env in (env1, env25)}
        assert len(results) == 1, (statement, results)


def test_seeded_positions_keep_the_per_spread_credit(sim: SimulatorServer) -> None:
    """The seed writes initial_credit as the definition computes it on a filled position: per
    spread, per share, net of commissions (from the legs' cost basis)."""
    for position in sim.world.positions.values():
        if position.live_strategy_id != PCS:
            continue
        legs = sim.world.position_legs(position.id)
        lots = abs(next(leg.qty for leg in legs if leg.name == "short_put"))
        assert lots == position.qty_multiplier and lots > 1
        credit = sum((-leg.qty * leg.avg_entry_price for leg in legs), Decimal(0)) / lots
        assert position.vars["initial_credit"] == credit


async def test_targets_follow_the_position_through_a_move_leg(sim: SimulatorServer) -> None:
    """A MoveLeg keeps the moved leg's quantity: the 25-lot's targets stay 25 × the 1-lot's and
    initial_credit (an entry variable) is unchanged."""
    sim.context.jobs.delay = 0.0
    await sim.context.signals.stop()
    [trigger] = load_strategy_definition("spx_put_credit_spread.json")["Adjustment"]["ConditionalAdjustments"]
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        entered = {lots: await enter(sim, control, lots) for lots in (1, 25)}
        for position_id, _ in entered.values():
            job = await control.start_prepare_position_adjustment(
                position_id=position_id, operation=PositionAdjustmentOperation.MoveLeg, condition=trigger)
            move = await wait_job(control.get_prepare_position_adjustment_status, job.job_id)
            await control.send_order(
                broker_account_id=BROKER_ACCOUNT, exec_plan_id=move.exec_plan_id, leg_group_id=1,
                leg_group_order=LegGroupOrder(order_type=OrderType.Market, leg_names=list(move.order_legs)))
            until_done(sim, move.exec_plan_id)
        await force_exit_signals(control)
        sim.context.signals.evaluate_once()
        # back to the bundled definition: the signals turn Off, with the targets evaluated now
        start = sim.context.events.latest_seq
        await control.update_strategy(strategy_id=PCS,
                                      strategy_definition=load_strategy_definition("spx_put_credit_spread.json"))
        sim.context.signals.evaluate_once()
    off = {}
    for envelope in sim.context.events.since(start, 10_000):
        if isinstance(envelope.event, ExitSignalEvent) and envelope.event.state == SignalState.Off:
            off[envelope.event.position_id] = envelope.event.exit_signal_result
    for lots, (position_id, credit) in entered.items():
        legs = [leg for leg in sim.world.position_legs(position_id) if leg.name == "short_put"]
        assert len(legs) == 2 and sum(leg.qty for leg in legs if leg.closed_at is None) == -lots  # moved
        assert abs(sim.world.positions[position_id].vars["initial_credit"] - credit) <= Decimal("0.000001")
        assert off[position_id].profit_target == (credit * 100 * lots * Decimal("0.5")).quantize(CENT)
    assert off[entered[25][0]].profit_target == 25 * off[entered[1][0]].profit_target
    assert off[entered[25][0]].stop_loss == 25 * off[entered[1][0]].stop_loss
