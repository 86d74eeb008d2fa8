"""Issue 18, findings 1-4 against a real simulator and the SDK: definitions over an expression
limit are refused with InvalidArguments naming the limit (never InternalError), validation
runs off the event loop, a broken stored strategy only ever affects itself (its ErrorEvent),
and preparing an entry of one gives a clear error."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from mesodesk.contract import ErrorEvent, ErrorState, LiveStrategy, PreparationStatus, StatusCode
from mesodesk.lang.limits import MAX_EXPRESSION_TERMS, MAX_STRATEGY_EXPRESSIONS
from mesodesk.sdk import MesoLiveControlHubClient, MesoLiveEventHubClient
from mesodesk.sdk.errors import MesoLiveApiException
from mesodesk.sim.hubs import strategies as strategies_hub
from mesodesk.sim.seed import PAPER_ACCOUNT, load_strategy_definition
from mesodesk.sim.server import SimulatorServer
from tests.sim.test_prepare import ENTRY, wait_done

LIMIT_NAMES = ("expression length limit", "expression size limit", "nesting depth limit", "expression count limit",
               "strategy expression size limit")


def pcs(conditions: list[str]) -> dict[str, Any]:
    definition = load_strategy_definition("spx_put_credit_spread.json")
    definition["Entry"]["Conditions"] = conditions
    return definition


def chain(terms: int, op: str = "+") -> str:
    """``1 op 1 op ...`` with ``terms`` operands, compared with 0 (a condition)."""
    return op.join(["1"] * terms) + " > 0"


def nine_kb(i: int) -> str:
    """~9.6 KB of 30 groups of 50 distinct variables (the size of finding 3's conditions)."""
    return "+".join("(" + "+".join(f"v{i}_{g}_{j}" for j in range(50)) + ")" for g in range(30)) + " > 0"


async def until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


def store(sim: SimulatorServer, name: str, definition: dict[str, Any]) -> LiveStrategy:
    """A strategy as an older simulator version may have stored it (no validation now)."""
    world = sim.context.world
    with world.store.tx():
        strategy = LiveStrategy(id=world.next_id("strategy"), name=name, strategy_definition=definition,
                                active_on_accounts=[PAPER_ACCOUNT], created_at=datetime.now(UTC))
        world.save_strategy(strategy)
    return strategy


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize(("conditions", "limit"), [
    ([chain(990)], "expression size limit of 1,000 terms"),
    ([chain(4_999)], "expression length limit of 4,000 characters"),
    ([chain(990, " and ")], "expression length limit of 4,000 characters"),
    ([chain(600, " and ")], "expression size limit of 1,000 terms"),
    ([nine_kb(k) for k in range(40)], "strategy expression size limit of 32,000 characters"),
    (["nav > 0"] * (MAX_STRATEGY_EXPRESSIONS + 1), "expression count limit of 500 expressions"),
    (["(" * 120 + "1" + ")" * 120 + " > 0"], "nesting depth limit of 100 levels"),
], ids=["990-terms", "4999-terms", "990-and", "600-and", "40x9.6KB", "501-conditions", "120-parentheses"])
async def test_definitions_over_a_limit_are_refused_naming_it(simulator: SimulatorServer, api_key: str,
                                                              conditions: list[str], limit: str) -> None:
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        before = (await control.get_strategy(strategy_id=1)).strategy_definition
        for call in (lambda: control.create_strategy(strategy_definition=pcs(conditions), name="too big"),
                     lambda: control.update_strategy(strategy_id=1, strategy_definition=pcs(conditions))):
            with pytest.raises(MesoLiveApiException) as info:
                await call()
            assert info.value.status == StatusCode.InvalidArguments
            assert limit in (info.value.message or "")
            assert any(limit in m for messages in info.value.validation_errors.values() for m in messages)
        assert (await control.get_strategy(strategy_id=1)).strategy_definition == before
        names = [s.name for s in (await control.list_strategies()).items]
        assert "too big" not in names


async def test_chains_at_the_limit_are_accepted_and_evaluated(simulator: SimulatorServer, api_key: str) -> None:
    operands = (MAX_EXPRESSION_TERMS - 1) // 2  # with "> k": just within the term limit
    sums = ["+".join(["1"] * operands) + f" > {operands - 1}", "+".join(["1"] * operands) + f" > {operands}"]
    logic = [" and ".join(["1"] * (operands - 1)) + " and false", " or ".join(["nil"] * (operands - 1)) + " or nav"]
    simulator.context.jobs.delay = 0
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        strategy = await control.create_strategy(strategy_definition=pcs(sums + logic), name="long chains")
        started = await control.start_prepare_position_entry(**{**ENTRY, "strategy_id": strategy.id})
        status = await wait_done(control.get_prepare_position_entry_status, started.job_id)
    assert status.status == PreparationStatus.Completed and status.result is not None
    evaluated = status.result.entry_conditions
    assert [c.error for c in evaluated] == [None] * 4
    # operands > operands - 1; operands > operands; 1 and ... and false; nil or ... or nav (nav > 0)
    assert [c.result for c in evaluated] == [True, False, False, True]


async def test_validation_runs_off_the_event_loop(simulator: SimulatorServer, api_key: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[int] = []
    validate = strategies_hub.validate_definition

    def spy(*args: Any, **kwargs: Any) -> dict[str, list[str]]:
        threads.append(threading.get_ident())
        return validate(*args, **kwargs)

    monkeypatch.setattr(strategies_hub, "validate_definition", spy)
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        await control.create_strategy(strategy_definition=pcs(["nav > 0"]), name="off the loop")
        with pytest.raises(MesoLiveApiException):
            await control.update_strategy(strategy_id=1, strategy_definition=pcs([chain(990)]))
    assert len(threads) == 2 and threading.get_ident() not in threads


# ------------------------------------------------------------------ the signal loop


async def test_a_broken_strategy_only_affects_itself(simulator: SimulatorServer, api_key: str,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    """Finding 2: strategies before the healthy one raised in the loop and stopped its ErrorEvent."""
    caplog.set_level(logging.ERROR, logger="mesodesk.sim.signals")
    shape = pcs(["nav > 0"])
    shape["Entry"]["Concurrency"] = 5  # not an object: raises while the entry signal is evaluated
    broken = store(simulator, "broken shape", shape)
    chained = store(simulator, "601 terms", pcs([chain(601)]))  # accepted by older versions
    healthy = store(simulator, "healthy", pcs(["no_such_variable > 1"]))
    errors: list[ErrorEvent] = []
    events = MesoLiveEventHubClient(simulator.url, api_key, strategies=None, since_event_seq_id=None)
    events.on_error(errors.append)

    def raised(strategy: LiveStrategy) -> list[ErrorEvent]:
        return [e for e in errors if e.strategy_id == strategy.id and e.state == ErrorState.Raised]

    async with events:
        await until(lambda: bool(raised(healthy)) and bool(raised(broken)) and bool(raised(chained)))
        assert [e.statement for e in raised(healthy)] == ["no_such_variable > 1"]
        assert "unknown variable 'no_such_variable'" in (raised(healthy)[0].message or "")
        (shape_error,) = raised(broken)
        assert shape_error.statement == "(entry signal)" and "AttributeError" in (shape_error.message or "")
        assert shape_error.broker_account_id == PAPER_ACCOUNT
        (chain_error,) = raised(chained)
        assert "expression size limit" in (chain_error.message or "")
        assert "recursion" not in (chain_error.message or "")

        await simulator.context.signals.stop()
        for _ in range(3):
            simulator.context.signals.evaluate_once()
        logged = [r for r in caplog.records if f"entry:{broken.id}:" in r.getMessage()]
        assert len(logged) == 1  # once while it keeps failing, not once per pass

        fixed = broken.model_copy(update={"strategy_definition": pcs(["nav > 0"])})
        with simulator.context.world.store.tx():
            simulator.context.world.save_strategy(fixed)
        simulator.context.signals.evaluate_once()
        await until(lambda: any(e.strategy_id == broken.id and e.state == ErrorState.Cleared for e in errors))
        assert [e.error_id for e in errors if e.strategy_id == broken.id] == [shape_error.error_id] * 2
    assert not raised(healthy)[1:]


async def test_preparing_an_entry_of_an_over_limit_strategy_says_why(simulator: SimulatorServer,
                                                                     api_key: str) -> None:
    definition = pcs(["nav > 0"])
    definition["Structure"]["Legs"][0]["Qty"] = "-" + chain(601).replace(" > 0", "") + " + 600"
    strategy = store(simulator, "601 terms in a Qty", definition)
    simulator.context.jobs.delay = 0
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        started = await control.start_prepare_position_entry(**{**ENTRY, "strategy_id": strategy.id})
        status = await wait_done(control.get_prepare_position_entry_status, started.job_id)
    assert status.status == PreparationStatus.Failed
    assert "expression size limit" in (status.error or "") and "recursion" not in (status.error or "")
    assert "internal error" not in (status.error or "")
