"""The signal evaluator: level-triggered signals, evaluation errors, auto UpdateVars, persistence."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

from mesodesk.contract import ErrorState, LivePositionState, SignalState
from mesodesk.sdk import MesoLiveControlHubClient
from mesodesk.sim.seed import BROKER_ACCOUNT, load_strategy_definition
from mesodesk.sim.server import SimulatorServer

BWB = 3  # seeded strategy 3 has exactly one open position, id 3


def bwb(**exit_changes: Any) -> dict[str, Any]:
    definition = load_strategy_definition("spx_broken_wing_butterfly.json")
    definition["Exit"].update(exit_changes)
    return definition


def unset_vars(definition: dict[str, Any], *names: str) -> dict[str, Any]:
    """Make ``names`` user variables that only an UpdateVars adjustment which never runs sets: the
    definition is valid, but expressions using them fail to evaluate on a position that lacks them."""
    never = {"UpdateVarsAdjustment": {"VarDefines": dict.fromkeys(names, "0")}}
    definition["Adjustment"]["ConditionalAdjustments"]["pos_delta > 1000000"] = never
    return definition


def new_events(sim: SimulatorServer, after: int, event_type: str, **match: Any) -> list[Any]:
    out = []
    for envelope in sim.context.events.since(after, 10_000):
        event = envelope.event
        if envelope.event_type == event_type and all(getattr(event, k) == v for k, v in match.items()):
            out.append(event)
    return out


async def quiet(sim: SimulatorServer) -> None:
    """Stop the periodic loop: the test drives evaluate_once()."""
    await sim.context.signals.stop()


async def update(sim: SimulatorServer, api_key: str, strategy_id: int, definition: dict[str, Any],
                 **extra: Any) -> None:
    async with MesoLiveControlHubClient(sim.url, api_key) as control:
        await control.update_strategy(strategy_id=strategy_id, strategy_definition=definition, **extra)


async def test_exit_signal_on_then_off(simulator: SimulatorServer, api_key: str) -> None:
    await quiet(simulator)
    signals = simulator.context.signals
    await update(simulator, api_key, BWB, bwb(ProfitTarget="-1000000", StopLoss="1000000", MaxDaysInTrade=400))
    start = simulator.context.events.latest_seq
    signals.evaluate_once()
    signals.evaluate_once()  # level-triggered: no second On
    on = new_events(simulator, start, "OnExitSignal", position_id=3)
    assert [e.state for e in on] == [SignalState.On]
    result = on[0].exit_signal_result
    assert result.profit_target_hit and not result.stop_loss_hit and not result.max_days_in_trade_hit
    assert result.profit_target == Decimal("-1000000") and result.days_in_trade >= 9
    assert result.position_pnl is not None and on[0].broker_account_id == "ML10001"
    assert on[0].event_id in {e.event_id for e in signals.active_signals()}

    mid = simulator.context.events.latest_seq
    await update(simulator, api_key, BWB, bwb(ProfitTarget="1000000", StopLoss="1000000", MaxDaysInTrade=400))
    signals.evaluate_once()
    off = new_events(simulator, mid, "OnExitSignal", position_id=3)
    assert [e.state for e in off] == [SignalState.Off]
    assert not [e for e in signals.active_signals() if getattr(e, "position_id", None) == 3]


async def test_stop_loss_max_days_and_closing_the_position(simulator: SimulatorServer, api_key: str) -> None:
    await quiet(simulator)
    signals = simulator.context.signals
    await update(simulator, api_key, BWB, bwb(ProfitTarget="1000000", StopLoss="50000", MaxDaysInTrade=2))
    leg = simulator.world.position_legs(3)[0]  # book a large realized loss on the position
    simulator.world.save_leg(leg.model_copy(update={"user_set_realized_pnl": Decimal(-100000)}))
    start = simulator.context.events.latest_seq
    signals.evaluate_once()
    (on,) = new_events(simulator, start, "OnExitSignal", position_id=3)
    assert on.exit_signal_result.stop_loss_hit and on.exit_signal_result.max_days_in_trade_hit
    assert on.exit_signal_result.position_pnl < -50000 and not on.exit_signal_result.profit_target_hit
    position = simulator.world.positions[3]
    simulator.world.save_position(position.model_copy(update={"state": LivePositionState.Closed}))
    signals.evaluate_once()
    states = [e.state for e in new_events(simulator, start, "OnExitSignal", position_id=3)]
    assert states == [SignalState.On, SignalState.Off]


async def test_failing_expression_raises_then_clears_an_error(simulator: SimulatorServer, api_key: str) -> None:
    await quiet(simulator)
    signals = simulator.context.signals
    await update(simulator, api_key, BWB, unset_vars(bwb(Conditions=["mystery_var > 1"]), "mystery_var"))
    start = simulator.context.events.latest_seq
    signals.evaluate_once()
    signals.evaluate_once()
    (raised,) = new_events(simulator, start, "OnError", position_id=3)
    assert raised.state == ErrorState.Raised and raised.statement == "mystery_var > 1"
    assert raised.condition_type == "Exit" and "mystery_var" in (raised.message or "")
    assert raised.error_id in {e.error_id for e in signals.active_errors()}

    position = simulator.world.positions[3]
    simulator.world.save_position(position.model_copy(update={"vars": {**position.vars, "mystery_var": Decimal(0)}}))
    signals.evaluate_once()
    events = new_events(simulator, start, "OnError", position_id=3)
    assert [e.state for e in events] == [ErrorState.Raised, ErrorState.Cleared]
    assert events[1].error_id == raised.error_id and events[1].event_id != raised.event_id
    assert raised.error_id not in {e.error_id for e in signals.active_errors()}


async def test_adjustment_signals_in_alphabetical_order(simulator: SimulatorServer, api_key: str) -> None:
    await quiet(simulator)
    move = {"MoveLegAdjustment": {"LegName": "body", "StrikeSelector": {"Delta": "-25"}}}
    definition = bwb()
    definition["Adjustment"]["ConditionalAdjustments"] = {
        "pos_delta > -1000000": move, "days_in_trade > 0": move, "pos_delta > 1000000": move}
    await update(simulator, api_key, BWB, definition)
    start = simulator.context.events.latest_seq
    simulator.context.signals.evaluate_once()
    on = new_events(simulator, start, "OnAdjustmentSignal", position_id=3)
    assert [e.condition.statement for e in on] == ["days_in_trade > 0", "pos_delta > -1000000"]
    assert all(e.state == SignalState.On and e.adjustment_time_ok and e.condition.result for e in on)
    assert "pos_delta" in on[1].condition.values

    definition["Adjustment"]["ConditionalAdjustments"] = {"days_in_trade > 1000": move, "pos_delta > -1000000": move}
    await update(simulator, api_key, BWB, definition)
    mid = simulator.context.events.latest_seq
    simulator.context.signals.evaluate_once()
    off = new_events(simulator, mid, "OnAdjustmentSignal", position_id=3)
    assert [(e.condition.statement, e.state) for e in off] == [("days_in_trade > 0", SignalState.Off)]


async def test_update_vars_only_adjustment_runs_automatically(simulator: SimulatorServer, api_key: str) -> None:
    await quiet(simulator)
    definition = bwb()
    definition["Adjustment"]["ConditionalAdjustments"] = {
        "days_in_trade > 0": {"UpdateVarsAdjustment": {"VarDefines": {"marker": "42", "pnl_then": "pos_pnl"}}},
        "1 > 0": {"UpdateVarsAdjustment": {"VarDefines": {"broken": "nope_var + 1"}}},
    }
    await update(simulator, api_key, BWB, unset_vars(definition, "nope_var"))
    start = simulator.context.events.latest_seq
    simulator.context.signals.evaluate_once()
    simulator.context.signals.evaluate_once()
    started = new_events(simulator, start, "OnAutoUpdateVarsAdjustmentStarted", position_id=3)
    assert sorted(e.condition for e in started) == ["1 > 0", "days_in_trade > 0"]
    (completed,) = new_events(simulator, start, "OnAutoUpdateVarsAdjustmentCompleted", position_id=3)
    assert completed.condition == "days_in_trade > 0" and completed.vars["marker"] == Decimal(42)
    (failed,) = new_events(simulator, start, "OnAutoUpdateVarsAdjustmentFailed", position_id=3)
    assert "nope_var" in failed.error
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        details = await control.get_position(position_id=3)
    assert details.vars["marker"] == Decimal(42) and "pnl_then" in details.vars


async def test_entry_signal_follows_conditions_and_activation(simulator: SimulatorServer, api_key: str) -> None:
    await quiet(simulator)
    definition = load_strategy_definition("spx_put_credit_spread.json")
    definition["Entry"].update(Conditions=["underlying_price > 0"], Schedule={"Every": "day"})
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        strategy = await control.create_strategy(strategy_definition=definition, name="entry test",
                                                 active_on_accounts=[BROKER_ACCOUNT])
        never = dict(definition, Entry={**definition["Entry"], "Conditions": ["underlying_price < 0"]})
        silent = await control.create_strategy(strategy_definition=never, name="never",
                                               active_on_accounts=[BROKER_ACCOUNT])
    start = simulator.context.events.latest_seq
    simulator.context.signals.evaluate_once()
    (on,) = new_events(simulator, start, "OnEntrySignal", strategy_id=strategy.id)
    assert on.state == SignalState.On and on.broker_account_id == BROKER_ACCOUNT
    result = on.entry_signal_result
    assert result.entry_allowed and result.schedule_ok and result.reentry_ok and result.concurrency_ok
    assert result.conditions[0].result is True
    assert not new_events(simulator, start, "OnEntrySignal", strategy_id=silent.id)

    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        await control.update_strategy(strategy_id=strategy.id, active_on_accounts=[])
    simulator.context.signals.evaluate_once()
    states = [e.state for e in new_events(simulator, start, "OnEntrySignal", strategy_id=strategy.id)]
    assert states == [SignalState.On, SignalState.Off]


async def test_active_signals_and_errors_survive_a_restart(tmp_path: Path, api_key: str) -> None:
    server = SimulatorServer(tmp_path / "sim", api_key, seed=9, tick_interval=0.05)
    await server.start(port=0)
    try:
        await quiet(server)
        await update(server, api_key, BWB, unset_vars(bwb(ProfitTarget="-1000000", Conditions=["mystery_var > 1"]),
                                                      "mystery_var"))
        server.context.signals.evaluate_once()
        signal_ids = {e.event_id for e in server.context.signals.active_signals()}
        error_ids = {e.error_id for e in server.context.signals.active_errors()}
        assert signal_ids and error_ids
    finally:
        await server.stop()
    server = SimulatorServer(tmp_path / "sim", api_key, seed=9, tick_interval=0.05)
    await server.start(port=0)
    try:
        await quiet(server)
        assert {e.event_id for e in server.context.signals.active_signals()} == signal_ids
        assert {e.error_id for e in server.context.signals.active_errors()} == error_ids
        start = server.context.events.latest_seq
        server.context.signals.evaluate_once()
        assert not new_events(server, start, "OnExitSignal", position_id=3)  # still On: nothing new
        assert not new_events(server, start, "OnError", position_id=3)
    finally:
        await server.stop()


async def test_periodic_loop_evaluates_on_its_own(simulator: SimulatorServer, api_key: str) -> None:
    await quiet(simulator)
    await update(simulator, api_key, BWB, bwb(ProfitTarget="-1000000"))
    start = simulator.context.events.latest_seq
    simulator.context.signals.interval = 0.05
    simulator.context.signals.start()
    for _ in range(100):
        if new_events(simulator, start, "OnExitSignal", position_id=3):
            break
        await asyncio.sleep(0.02)
    assert new_events(simulator, start, "OnExitSignal", position_id=3)


async def test_bundled_iron_condor_with_its_call_side_closed_evaluates_without_errors(simulator: SimulatorServer) -> None:
    """The bundled strategies scale targets and delta triggers by ``units`` (an entry variable),
    not by a leg's quantity: a condor whose call side was closed (a partial exit) has no
    ``leg_short_call_*`` variables, and must still be evaluated, not raise an error every pass."""
    await quiet(simulator)
    world, signals = simulator.world, simulator.context.signals
    ic = next(p for p in world.positions.values() if p.name == "IC 30DTE #1")
    assert ic.vars["units"] == 1
    now = simulator.context.market.now
    for leg in world.position_legs(ic.id):
        if leg.name.endswith("_call"):
            world.save_leg(leg.model_copy(update={"closed_at": now, "qty": Decimal(0)}))
    start = simulator.context.events.latest_seq
    signals.evaluate_once()
    assert new_events(simulator, start, "OnError", position_id=ic.id) == []
    assert not any(e.position_id == ic.id for e in signals.active_errors() if hasattr(e, "position_id"))
