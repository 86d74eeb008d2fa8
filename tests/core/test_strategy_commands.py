"""StrategyCommands (Qt-free): local validation before any request, server ValidationErrors
as the same typed error, activation of a definition with problems refused."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from mesodesk.core.session import Session
from mesodesk.core.trading.json_locator import json_locations, local_errors, locate
from mesodesk.core.trading.strategies import StrategyCommands, StrategyValidationError
from mesodesk.lang import Dialect
from mesodesk.sim.seed import BROKER_ACCOUNT, PAPER_ACCOUNT, load_strategy_definition
from tests.conftest import API_KEY

DTE = "StrategyDefinition.Structure.Expirations[0].DTE"


def pcs() -> dict[str, Any]:
    return load_strategy_definition("spx_put_credit_spread.json")


@pytest.fixture
async def commands(simulator: Any) -> AsyncIterator[StrategyCommands]:
    session = Session(simulator.url, API_KEY, embedded=True)
    try:
        await session.start()
        yield StrategyCommands(session)
    finally:
        await session.stop()


def test_check_and_the_json_locator() -> None:
    commands = StrategyCommands(Session("http://127.0.0.1:9", API_KEY))
    assert commands.dialect is Dialect.MESOLIVE
    bad = pcs()
    bad["Structure"]["Expirations"][0]["DTE"] = "abc"
    text = json.dumps(bad, indent=2)
    data, errors = commands.check(text)
    assert data == bad and list(errors) == [DTE] and "unknown variable 'abc'" in errors[DTE][0]
    start, end = locate(json_locations(text), DTE) or (0, 0)
    assert text[start:end] == '"DTE"'
    assert commands.check("{")[0] is None and "line 1" in commands.check("{")[1]["$"][0]
    assert commands.check(json.dumps(pcs())) == (pcs(), {})
    v2 = dict(pcs(), MesoSimVersion="2.1")
    v2["Structure"]["Expirations"][0]["DTE"] = "abc"
    assert list(commands.check(json.dumps(v2))[1]) == ["StrategyDefinition.MesoSimVersion"]  # no v3 noise
    assert local_errors(json.dumps(dict(pcs(), StrategyName="")), "named above")[1] == {}


async def test_create_update_refused_locally_or_by_the_server(commands: StrategyCommands, simulator: Any) -> None:
    world = simulator.world
    assert commands.dialect is Dialect.SIMULATOR
    bad = pcs()
    bad["Structure"]["Expirations"][0]["DTE"] = "abc"
    before = copy.deepcopy(world.strategies[1])
    with pytest.raises(StrategyValidationError) as info:
        await commands.create(bad, name="x", accounts=[PAPER_ACCOUNT])
    assert not info.value.server and list(info.value.errors) == [DTE]
    with pytest.raises(StrategyValidationError) as info:
        await commands.update(1, bad)
    assert not info.value.server and len(world.strategies) == 3 and world.strategies[1] == before

    shape = pcs()
    shape["Structure"]["Legs"][0]["OptionType"] = "Straddle"  # checked by the server only
    with pytest.raises(StrategyValidationError) as info:
        await commands.update(1, shape)
    assert info.value.server and "StrategyDefinition.Structure.Legs[0].OptionType" in info.value.errors
    assert world.strategies[1] == before

    created = await commands.create(pcs(), name="  mine  ", accounts=[PAPER_ACCOUNT])
    assert created.name == "mine" and created.active_on_accounts == [PAPER_ACCOUNT]
    renamed = await commands.rename(created.id, "ours")
    assert renamed.name == "ours"
    with pytest.raises(StrategyValidationError) as info:
        await commands.rename(created.id, "  ")
    assert list(info.value.errors) == ["Name"]
    clone = await commands.clone(created.id)
    assert clone.name == "ours (copy)" and clone.active_on_accounts == []
    assert (await commands.delete(clone.id)).strategy_id == clone.id
    assert clone.id not in world.strategies


async def test_activation_of_a_stored_definition_with_problems_is_refused(commands: StrategyCommands,
                                                                          simulator: Any) -> None:
    world = simulator.world
    stored = world.strategies[3]
    broken = copy.deepcopy(stored.strategy_definition)
    broken["Exit"]["Conditions"] = ["mystery_var > 1"]
    world.save_strategy(stored.model_copy(update={"strategy_definition": broken}))
    with pytest.raises(StrategyValidationError) as info:
        await commands.activate(3, [PAPER_ACCOUNT, BROKER_ACCOUNT])
    assert "cannot be activated" in info.value.message
    assert list(info.value.errors) == ["StrategyDefinition.Exit.Conditions[0]"]
    assert world.strategies[3].active_on_accounts == stored.active_on_accounts
    assert (await commands.activate(3, [])).active_on_accounts == []  # deactivating is always allowed
    fixed = await commands.update(3, load_strategy_definition("spx_broken_wing_butterfly.json"),
                                  accounts=[PAPER_ACCOUNT])
    assert fixed.active_on_accounts == [PAPER_ACCOUNT]
