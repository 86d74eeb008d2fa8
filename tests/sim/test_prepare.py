"""The strategy builder (pure) and the prepare jobs end to end through the SDK."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mesodesk.contract import (
    LiveLegSelectionConstraint,
    LivePositionState,
    LiveUnderlying,
    PositionAdjustmentOperation,
    PreparationStatus,
    StatusCode,
)
from mesodesk.sdk import MesoLiveApiException, MesoLiveControlHubClient
from mesodesk.sim.clock import ManualClock
from mesodesk.sim.execplans import ExecPlan, ExecPlanKind, LegAction
from mesodesk.sim.market import Market
from mesodesk.sim.seed import BROKER_ACCOUNT, PAPER_ACCOUNT, load_strategy_definition
from mesodesk.sim.server import SimulatorServer
from mesodesk.sim.strategy import BuildError, StrategyBuilder, spec_key

C = LiveLegSelectionConstraint
WEDNESDAY = dt.datetime(2025, 3, 12, 15, 0, tzinfo=dt.UTC)  # 11:00 ET


def pcs() -> dict[str, Any]:
    return load_strategy_definition("spx_put_credit_spread.json")


def structure(legs: list[dict[str, Any]], dte: Any = "45", lo: Any = "35", hi: Any = "55",
              roots: list[str] | None = None) -> dict[str, Any]:
    definition = pcs()
    definition["Structure"] = {
        "Expirations": [{"Name": "exp", "DTE": dte, "Min": lo, "Max": hi,
                         "Roots": {"Include": roots or ["SPXW", "SPX"], "Exclude": None}}],
        "Legs": legs,
    }
    definition["Entry"].update(VarDefines={}, AbortConditions=[])
    definition["Exit"].update(ProfitTarget="500", StopLoss="1000")  # no initial_credit without its VarDefines
    definition["Adjustment"]["ConditionalAdjustments"] = {}
    return definition


def leg(name: str, selector: dict[str, Any], qty: str = "-1", option_type: str = "Put",
        group: str | None = "1") -> dict[str, Any]:
    out = {"Name": name, "Qty": qty, "OptionType": option_type, "ExpirationName": "exp",
           "StrikeSelector": selector}
    if group is not None:
        out["LegGroupId"] = group
    return out


@pytest.fixture
def market() -> Market:
    return Market(seed=11, clock=ManualClock(WEDNESDAY))


def build(market: Market, definition: dict[str, Any], constraint: C = C.UniqueInPosition,
          taken: set[Any] | None = None) -> Any:
    return StrategyBuilder(market).build_entry(definition, "SPX", {"nav": 100000.0, "pos_in_flight": 0.0},
                                               constraint, taken or set())


# ------------------------------------------------------------------ builder


def test_delta_selector_picks_the_closest_delta_and_strike_price_arithmetic(market: Market) -> None:
    result = build(market, pcs())
    short, long_ = result.legs["short_put"], result.legs["long_put"]
    chain = market.chain_arrays("SPX", short.spec.root, short.spec.expiration, "Put")
    best = chain.strikes[int(np.argmin(np.abs(np.abs(chain.delta) - 0.20)))]
    assert short.spec.strike == best
    assert long_.spec.strike == short.spec.strike - 25
    assert short.qty == Decimal(-1) and long_.qty == Decimal(1)
    assert short.leg_group_id == long_.leg_group_id == 1
    assert 35 <= market.dte(short.spec.expiration) <= 55
    assert result.vars["initial_credit"] == Decimal(f"{short.quote.mark - long_.quote.mark:.6f}").normalize()
    assert [c.result for c in result.abort_conditions] == [False]
    assert result.entry_allowed and result.qty_multiplier == 1


def test_legs_resolve_in_dependency_order_and_expressions_see_other_legs(market: Market) -> None:
    definition = structure([
        leg("wing", {"StrikePrice": "leg_body_strike - 2 * 25"}, qty="1"),
        leg("body", {"Delta": "-30"}, qty="-2"),
        leg("upper", {"StrikePrice": "leg_body_strike + abs(leg_body_qty) * 25"}, qty="leg_wing_qty", group="2"),
    ])
    result = build(market, definition)
    assert list(result.legs) == ["wing", "body", "upper"]  # definition order kept
    body = result.legs["body"].spec.strike
    assert result.legs["wing"].spec.strike == body - 50
    assert result.legs["upper"].spec.strike == body + 50
    assert result.legs["upper"].qty == 1 and result.legs["upper"].leg_group_id == 2


def test_roots_include_is_a_priority_list(market: Market) -> None:
    listed = market.expirations("SPX")
    both = sorted({d for r, d in listed if r == "SPX"} & {d for r, d in listed if r == "SPXW"})
    day = both[0]
    dte = market.dte(day)
    for roots, expected in ((["SPX", "SPXW"], "SPX"), (["SPXW", "SPX"], "SPXW")):
        definition = structure([leg("p", {"Delta": "-20"})], dte=str(dte), lo=str(dte), hi=str(dte), roots=roots)
        chosen = build(market, definition).legs["p"].spec
        assert (chosen.root, chosen.expiration) == (expected, day)


def test_dte_bounds_are_respected_or_the_build_fails(market: Market) -> None:
    definition = structure([leg("p", {"Delta": "-20"})], dte="45", lo="50", hi="60")
    assert 50 <= market.dte(build(market, definition).legs["p"].spec.expiration) <= 60
    definition = structure([leg("p", {"Delta": "-20"})], dte="45", lo="1000", hi="2000")
    with pytest.raises(BuildError, match="no listed SPX expiration"):
        build(market, definition)


def test_fully_unique_skips_contracts_in_use_and_unique_in_position(market: Market) -> None:
    definition = structure([leg("a", {"Delta": "-20"}), leg("b", {"Delta": "-20"}, qty="1")])
    free = build(market, definition, C.None_)
    assert free.legs["a"].spec == free.legs["b"].spec  # None allows duplicates
    unique = build(market, definition, C.UniqueInPosition)
    assert unique.legs["a"].spec == free.legs["a"].spec and unique.legs["b"].spec != unique.legs["a"].spec
    used = {spec_key(free.legs["a"].spec)}
    fully = build(market, definition, C.FullyUnique, taken=used)
    assert spec_key(fully.legs["a"].spec) not in used and spec_key(fully.legs["b"].spec) not in used
    # a contract used elsewhere does not matter under UniqueInPosition
    assert build(market, definition, C.UniqueInPosition, taken=used).legs["a"].spec == free.legs["a"].spec


def test_price_selectors_and_min_max_bounds(market: Market) -> None:
    definition = structure([leg("p", {"MidPrice": "5"}), leg("q", {"Delta": "-20", "Min": "5", "Max": "12"})])
    result = build(market, definition, C.None_)
    p = result.legs["p"]
    chain = market.chain_arrays("SPX", p.spec.root, p.spec.expiration, "Put")
    assert abs(p.quote.mid - 5) == pytest.approx(float(np.min(np.abs(chain.mid - 5))))
    assert 5 <= abs(result.legs["q"].quote.delta) * 100 <= 12


def test_qty_multiplier_conditions_and_complex_selector(market: Market) -> None:
    definition = pcs()
    definition["Entry"]["QtyMultiplier"] = "floor(nav / 40000)"
    definition["Entry"]["Conditions"] = ["underlying_price < 0", "pos_delta == 0"]
    definition["Entry"]["AbortConditions"] = ["pos_delta > 1000000", "nonexistent > 1"]
    result = build(market, definition)
    assert result.qty_multiplier == 2
    assert [c.result for c in result.entry_conditions] == [False, True]
    assert result.abort_conditions[1].result is None and "nonexistent" in (result.abort_conditions[1].error or "")
    assert result.entry_allowed is False  # an abort condition that fails to evaluate blocks the entry
    definition["Structure"]["Legs"][0]["StrikeSelector"] = {"Complex": {"Statement": "x", "Target": 1}}
    with pytest.raises(BuildError, match="Complex"):
        build(market, definition)


# ------------------------------------------------------------------ prepare jobs

ENTRY = {"strategy_id": 1, "broker_account_id": PAPER_ACCOUNT, "position_name": "PCS new",
         "leg_selection_constraint": C.FullyUnique, "underlying": LiveUnderlying(symbol="SPX")}


async def wait_done(get: Any, job_id: str) -> Any:
    for _ in range(200):
        status = await get(job_id=job_id)
        if status.status in (PreparationStatus.Completed, PreparationStatus.Failed, PreparationStatus.Cancelled):
            return status
        await asyncio.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish")


def events(sim: SimulatorServer, event_type: str) -> list[Any]:
    return [e.event for e in sim.context.events.since(0, 1000) if e.event_type == event_type]


async def _fails(coro: Any, status: StatusCode) -> MesoLiveApiException:
    with pytest.raises(MesoLiveApiException) as info:
        await coro
    assert info.value.status == status, info.value
    return info.value


async def test_entry_prepare_end_to_end(simulator: SimulatorServer, api_key: str) -> None:
    simulator.context.jobs.delay = 0.05
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        started = await control.start_prepare_position_entry(idempotency_key="prep_entry_e2e", **ENTRY)
        assert simulator.context.jobs.get(started.job_id) is not None
        status = await wait_done(control.get_prepare_position_entry_status, started.job_id)
        assert status.status == PreparationStatus.Completed and status.error is None
        result = status.result
        assert result is not None
        assert result.strategy_id == 1 and result.broker_account_id == PAPER_ACCOUNT
        assert result.position_name == "PCS new" and result.strategy_name == "SPX Put Credit Spread 45DTE"
        assert set(result.selected_legs) == {"short_put", "long_put"}
        for name, live_leg in result.selected_legs.items():
            assert live_leg.id == 0 and live_leg.live_position_id == 0 and live_leg.name == name
            contract = live_leg.live_contract
            assert contract.root in ("SPX", "SPXW") and contract.multiplier == 100
            assert contract.underlying.symbol == "SPX" and contract.underlying.contract_type == "Index"
            assert set(result.leg_prices) == set(result.leg_greeks) == {"short_put", "long_put"}
        short, long_ = result.selected_legs["short_put"], result.selected_legs["long_put"]
        assert long_.live_contract.strike == short.live_contract.strike - 25
        assert result.leg_groups == {1: ["short_put", "long_put"]}
        assert result.leg_group_qtys[1].leg_qtys == {"short_put": -1, "long_put": 1}
        assert result.leg_group_qtys[1].group_qty == result.qty_multiplier == 1
        assert "initial_credit" in result.vars and result.entry_allowed
        assert result.position_price.mid is not None and result.position_price.mid < 0  # a credit
        assert result.underlying_price.mark is not None and result.position_greeks.mark is not None
        assert result.leg_group_prices[1].mid == result.position_price.mid

        # FullyUnique: not a contract already held on the paper account
        held = {(leg.live_contract.root, leg.live_contract.strike, leg.live_contract.expiration)
                for leg in simulator.world.legs.values() if leg.account_id == PAPER_ACCOUNT}
        assert all((leg.live_contract.root, leg.live_contract.strike, leg.live_contract.expiration) not in held
                   for leg in result.selected_legs.values())

        plan = simulator.store.get("exec_plans", result.exec_plan_id, ExecPlan)
        assert plan is not None and plan.kind == ExecPlanKind.Entry and plan.position_id is None
        assert plan.job_id == started.job_id and plan.qty_multiplier == 1
        assert {n: (p.qty, p.action) for n, p in plan.legs.items()} == {
            "short_put": (-1, LegAction.Open), "long_put": (1, LegAction.Open)}
        assert plan.vars == result.vars

        completed = events(simulator, "OnPositionEntryPreparationCompleted")
        assert [e.job_id for e in completed] == [started.job_id]
        assert completed[0].result.exec_plan_id == result.exec_plan_id

        # same key -> DuplicateRequest carrying the same JobId; key reused differently -> Conflict
        error = await _fails(control.start_prepare_position_entry(idempotency_key="prep_entry_e2e", **ENTRY),
                             StatusCode.DuplicateRequest)
        assert error.data.job_id == started.job_id
        await _fails(control.start_prepare_position_entry(
            idempotency_key="prep_entry_e2e", **{**ENTRY, "position_name": "other"}), StatusCode.Conflict)
        record = await control.get_idempotency_record(idempotency_key="prep_entry_e2e")
        assert record.job_id == started.job_id and record.job_status == PreparationStatus.Completed
        assert record.live_exec_plan_id == result.exec_plan_id


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"strategy_id": 999}, StatusCode.NotFound, None),
        ({"broker_account_id": "NOPE"}, StatusCode.NotFound, None),
        ({"underlying": LiveUnderlying(symbol="TSLA")}, StatusCode.InvalidArguments, "Underlying.Symbol"),
        ({"data_provider": "Ibkr"}, StatusCode.ProviderError, None),
    ],
)
async def test_entry_prepare_bad_input(simulator: SimulatorServer, api_key: str, changes: dict[str, Any],
                                       status: StatusCode, field: str | None) -> None:
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        error = await _fails(control.start_prepare_position_entry(**{**ENTRY, **changes}), status)
        if field:
            assert field in error.validation_errors
        raw = await control.connection.invoke("StartPreparePositionEntry", {"IdempotencyKey": "bad key!"})
        assert raw["Status"] == "InvalidArguments"
        await _fails(control.get_prepare_position_entry_status(job_id="job_nope"), StatusCode.NotFound)


async def test_failed_build_publishes_a_failed_event(simulator: SimulatorServer, api_key: str) -> None:
    simulator.context.jobs.delay = 0
    definition = structure([leg("p", {"Delta": "-20"})], dte="1500", lo="1000", hi="2000")
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        strategy = await control.create_strategy(strategy_definition=definition, name="far away")
        started = await control.start_prepare_position_entry(**{**ENTRY, "strategy_id": strategy.id})
        status = await wait_done(control.get_prepare_position_entry_status, started.job_id)
    assert status.status == PreparationStatus.Failed and status.result is None
    assert "expiration" in (status.error or "")
    failed = events(simulator, "OnPositionEntryPreparationFailed")
    assert [e.job_id for e in failed] == [started.job_id] and failed[0].error == status.error


async def test_cancel_a_running_job(simulator: SimulatorServer, api_key: str) -> None:
    simulator.context.jobs.delay = 30
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        started = await control.start_prepare_position_entry(**ENTRY)
        await asyncio.sleep(0.05)
        running = await control.get_prepare_position_entry_status(job_id=started.job_id)
        assert running.status == PreparationStatus.Running
        cancelled = await control.cancel_prepare_position_entry(idempotency_key="cancel_1", job_id=started.job_id)
        assert cancelled.status == PreparationStatus.Cancelled
        error = await _fails(control.cancel_prepare_position_entry(idempotency_key="cancel_1",
                                                                   job_id=started.job_id),
                             StatusCode.DuplicateRequest)
        assert error.data.status == PreparationStatus.Cancelled
        again = await control.cancel_prepare_position_entry(job_id=started.job_id)
        assert again.status == PreparationStatus.Cancelled
        status = await control.get_prepare_position_entry_status(job_id=started.job_id)
        assert status.status == PreparationStatus.Cancelled and status.result is None
        await _fails(control.cancel_prepare_position_entry(job_id="job_missing"), StatusCode.NotFound)
        await _fails(control.cancel_prepare_position_exit(job_id=started.job_id), StatusCode.NotFound)
        # a finished job is not cancelled: the answer is its terminal status
        simulator.context.jobs.delay = 0
        done = await control.start_prepare_position_entry(**ENTRY)
        await wait_done(control.get_prepare_position_entry_status, done.job_id)
        late = await control.cancel_prepare_position_entry(job_id=done.job_id)
        assert late.status == PreparationStatus.Completed
    assert not events(simulator, "OnPositionEntryPreparationCompleted")[1:]


async def test_exit_prepare(simulator: SimulatorServer, api_key: str) -> None:
    simulator.context.jobs.delay = 0
    position = simulator.world.positions[1]
    held = [leg for leg in simulator.world.position_legs(1) if leg.closed_at is None]
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        started = await control.start_prepare_position_exit(position_id=1)
        status = await wait_done(control.get_prepare_position_exit_status, started.job_id)
        assert status.status == PreparationStatus.Completed, status.error
        result = status.result
        assert result.position_id == 1 and result.position_name == position.name
        assert {n: leg.id for n, leg in result.position_legs.items()} == {leg.name: leg.id for leg in held}
        assert result.leg_group_qtys[1].leg_qtys == {leg.name: -leg.qty for leg in held}
        assert set(result.leg_prices) == {leg.name for leg in held}
        plan = simulator.store.get("exec_plans", result.exec_plan_id, ExecPlan)
        assert plan.kind == ExecPlanKind.Exit and plan.position_id == 1 and plan.qty_multiplier == 1
        assert {p.existing_leg_id: (p.qty, p.action) for p in plan.legs.values()} == {
            leg.id: (-leg.qty, LegAction.Close) for leg in held}
        assert events(simulator, "OnPositionExitPreparationCompleted")[0].result.exec_plan_id == plan.id

        await _fails(control.start_prepare_position_exit(position_id=999), StatusCode.NotFound)
        await _fails(control.start_prepare_position_exit(position_id=1, data_provider="TastyTrade"),
                     StatusCode.ProviderError)
        simulator.world.save_position(position.model_copy(update={"state": LivePositionState.Closed}))
        error = await _fails(control.start_prepare_position_exit(position_id=1), StatusCode.Conflict)
        assert "closed" in (error.message or "")
        await _fails(control.get_prepare_position_exit_status(job_id="job_x"), StatusCode.NotFound)
        # an exit job is not an entry job
        await _fails(control.get_prepare_position_entry_status(job_id=started.job_id), StatusCode.NotFound)


def adjustable() -> dict[str, Any]:
    definition = pcs()
    definition["Adjustment"]["ConditionalAdjustments"] = {
        "pos_delta > 8": {"MoveLegAdjustment": {"LegName": "short_put", "StrikeSelector": {"Delta": "-10"}}},
        "leg_long_put_qty > 0": {"RemoveLegsAdjustment": {"LegNames": ["long_put"]}},
        "pos_pnl < -100": {"AddLegsAdjustment": {"Legs": [
            {"Name": "hedge", "Qty": "1", "OptionType": "Put", "ExpirationName": "exp",
             "StrikeSelector": {"StrikePrice": "leg_long_put_strike - 50"}}]}},
        "days_in_trade > 1": {"UpdateVarsAdjustment": {"VarDefines": {"initial_credit": "3.5",
                                                                      "dit_at_adjust": "days_in_trade"}}},
    }
    return definition


async def _adjust(control: MesoLiveControlHubClient, operation: str, condition: str) -> Any:
    started = await control.start_prepare_position_adjustment(position_id=1, operation=operation,
                                                              condition=condition)
    status = await wait_done(control.get_prepare_position_adjustment_status, started.job_id)
    assert status.status == PreparationStatus.Completed, status.error
    return status.result


async def test_adjustment_prepare_move_remove_add(simulator: SimulatorServer, api_key: str) -> None:
    simulator.context.jobs.delay = 0
    held = {leg.name: leg for leg in simulator.world.position_legs(1) if leg.closed_at is None}
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        await control.update_strategy(strategy_id=1, strategy_definition=adjustable())
        move = await _adjust(control, "MoveLeg", "pos_delta > 8")
        assert move.operation == PositionAdjustmentOperation.MoveLeg and move.condition == "pos_delta > 8"
        old = held["short_put"]
        assert set(move.order_legs) == {"short_put:close", "short_put"}
        closing, new = move.order_legs["short_put:close"], move.order_legs["short_put"]
        assert closing.id == old.id and closing.qty == -old.qty
        assert new.id == 0 and new.qty == old.qty and new.live_contract.strike != old.live_contract.strike
        assert abs(move.leg_greeks["short_put"].mark.delta / new.qty) == pytest.approx(10, abs=3)
        plan = simulator.store.get("exec_plans", move.exec_plan_id, ExecPlan)
        assert plan.kind == ExecPlanKind.Adjustment and plan.operation == PositionAdjustmentOperation.MoveLeg
        assert plan.legs["short_put:close"].action == LegAction.Close
        assert plan.legs["short_put:close"].existing_leg_id == old.id
        assert plan.legs["short_put"].action == LegAction.Move and plan.legs["short_put"].replaces_leg_id == old.id
        assert plan.leg_groups == {old.leg_group_id: ["short_put:close", "short_put"]}

        remove = await _adjust(control, "RemoveLegs", "leg_long_put_qty > 0")
        assert {n: leg.qty for n, leg in remove.order_legs.items()} == {"long_put": -held["long_put"].qty}

        add = await _adjust(control, "AddLegs", "pos_pnl < -100")
        hedge = add.order_legs["hedge"]
        assert hedge.qty == 2  # Qty 1 x the position's QtyMultiplier 2
        assert hedge.live_contract.strike == held["long_put"].live_contract.strike - 50
        assert hedge.leg_group_id == 2 and add.adjustment_allowed is True
        assert simulator.store.get("exec_plans", add.exec_plan_id, ExecPlan).legs["hedge"].action == LegAction.Open

        error = await _fails(control.start_prepare_position_adjustment(
            position_id=1, operation="MoveLeg", condition="no such condition"), StatusCode.InvalidArguments)
        assert "Condition" in error.validation_errors
        error = await _fails(control.start_prepare_position_adjustment(
            position_id=1, operation="RemoveLegs", condition="pos_delta > 8"), StatusCode.InvalidArguments)
        assert "Operation" in error.validation_errors
        await _fails(control.start_prepare_position_adjustment(
            position_id=999, operation="MoveLeg", condition="pos_delta > 8"), StatusCode.NotFound)
        await _fails(control.get_prepare_position_adjustment_status(job_id="job_x"), StatusCode.NotFound)
        await _fails(control.cancel_prepare_position_adjustment(job_id="job_x"), StatusCode.NotFound)
    assert len(events(simulator, "OnPositionAdjustmentPreparationCompleted")) == 3


async def test_update_vars_is_applied_at_completion(simulator: SimulatorServer, api_key: str) -> None:
    simulator.context.jobs.delay = 0
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        await control.update_strategy(strategy_id=1, strategy_definition=adjustable())
        result = await _adjust(control, "UpdateVars", "days_in_trade > 1")
        assert result.order_legs == {} and result.vars["initial_credit"] == Decimal("3.5")
        details = await control.get_position(position_id=1)
        assert details.vars["initial_credit"] == Decimal("3.5")
        assert details.vars["dit_at_adjust"] > 5  # the seeded position is 6 days old
        assert simulator.store.get("exec_plans", result.exec_plan_id, ExecPlan).status == "Done"


async def test_jobs_survive_a_restart_and_interrupted_ones_fail(tmp_path: Path, api_key: str) -> None:
    server = SimulatorServer(tmp_path / "sim", api_key, seed=5, tick_interval=0.05)
    server.context.jobs.delay = 0
    await server.start(port=0)
    async with MesoLiveControlHubClient(server.url, api_key) as control:
        done = await control.start_prepare_position_entry(**ENTRY)
        before = await wait_done(control.get_prepare_position_entry_status, done.job_id)
        server.context.jobs.delay = 60
        stuck = await control.start_prepare_position_exit(position_id=2)
    await server.stop()
    server = SimulatorServer(tmp_path / "sim", api_key, seed=5, tick_interval=0.05)
    await server.start(port=0)
    try:
        async with MesoLiveControlHubClient(server.url, api_key) as control:
            after = await control.get_prepare_position_entry_status(job_id=done.job_id)
            assert after.status == PreparationStatus.Completed
            assert after.result.model_dump() == before.result.model_dump()
            failed = await control.get_prepare_position_exit_status(job_id=stuck.job_id)
            assert failed.status == PreparationStatus.Failed and "restart" in (failed.error or "")
        assert [e.job_id for e in events(server, "OnPositionExitPreparationFailed")] == [stuck.job_id]
    finally:
        await server.stop()


async def test_broker_account_positions_are_prepared_too(simulator: SimulatorServer, api_key: str) -> None:
    simulator.context.jobs.delay = 0
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        started = await control.start_prepare_position_entry(**{**ENTRY, "strategy_id": 2,
                                                               "broker_account_id": BROKER_ACCOUNT,
                                                               "data_provider": "Simulated"})
        status = await wait_done(control.get_prepare_position_entry_status, started.job_id)
    assert status.status == PreparationStatus.Completed
    assert status.result.leg_groups == {1: ["short_put", "long_put"], 2: ["short_call", "long_call"]}


async def test_cancel_exit_and_adjustment_jobs(simulator: SimulatorServer, api_key: str) -> None:
    simulator.context.jobs.delay = 30
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        exit_job = await control.start_prepare_position_exit(position_id=2)
        adjust_job = await control.start_prepare_position_adjustment(position_id=1, operation="MoveLeg",
                                                                     condition="pos_delta > 8 * units")
        assert (await control.cancel_prepare_position_exit(job_id=exit_job.job_id)).status == "Cancelled"
        cancelled = await control.cancel_prepare_position_adjustment(job_id=adjust_job.job_id)
        assert cancelled.status == PreparationStatus.Cancelled
        assert (await control.get_prepare_position_exit_status(job_id=exit_job.job_id)).status == "Cancelled"
        status = await control.get_prepare_position_adjustment_status(job_id=adjust_job.job_id)
        assert status.status == PreparationStatus.Cancelled
        await _fails(control.cancel_prepare_position_adjustment(job_id=exit_job.job_id), StatusCode.NotFound)
    assert not events(simulator, "OnPositionExitPreparationCompleted")
    assert not events(simulator, "OnPositionAdjustmentPreparationCompleted")
