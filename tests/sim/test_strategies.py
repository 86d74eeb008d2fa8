"""Strategy CRUD through the SDK over real sockets, and definition validation by field path."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from mesodesk.contract import StatusCode
from mesodesk.sdk import MesoLiveApiException, MesoLiveControlHubClient
from mesodesk.sim.hubs.strategies import validate_definition
from mesodesk.sim.seed import BROKER_ACCOUNT, PAPER_ACCOUNT, load_strategy_definition
from mesodesk.sim.server import SimulatorServer


def pcs() -> dict[str, Any]:
    return load_strategy_definition("spx_put_credit_spread.json")


async def _fails(coro: Any, status: StatusCode) -> MesoLiveApiException:
    with pytest.raises(MesoLiveApiException) as info:
        await coro
    assert info.value.status == status, info.value
    return info.value


async def test_create_get_and_list_with_paging_and_account_filter(simulator: SimulatorServer,
                                                                  api_key: str) -> None:
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        created = await control.create_strategy(strategy_definition=pcs(), active_on_accounts=[BROKER_ACCOUNT],
                                                description="mine")
        assert created.name == "SPX Put Credit Spread 45DTE"
        assert created.description == "mine"
        assert created.active_on_accounts == [BROKER_ACCOUNT]
        assert created.strategy_definition["Structure"] == pcs()["Structure"]
        fetched = await control.get_strategy(strategy_id=created.id)
        assert fetched.model_dump() == created.model_dump()
        named = await control.create_strategy(strategy_definition=pcs(), name="Override")
        assert named.name == "Override" and named.active_on_accounts == []

        first = await control.list_strategies(limit=2)
        assert len(first.items) == 2 and first.continuation_token
        rest = await control.list_strategies(limit=2, continuation_token=first.continuation_token)
        ids = [s.id for s in first.items + rest.items]
        while rest.continuation_token:
            rest = await control.list_strategies(limit=2, continuation_token=rest.continuation_token)
            ids += [s.id for s in rest.items]
        assert ids == sorted(ids) and {created.id, named.id} <= set(ids) and len(ids) == 5

        broker = await control.list_strategies(active_on_accounts=[BROKER_ACCOUNT])
        assert created.id in {s.id for s in broker.items}
        assert named.id not in {s.id for s in broker.items}
        assert all(BROKER_ACCOUNT in s.active_on_accounts for s in broker.items)


async def test_v2_definition_is_refused_with_a_v3_message(simulator: SimulatorServer, api_key: str) -> None:
    definition = pcs()
    definition["MesoSimVersion"] = "2.9.1"
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        error = await _fails(control.create_strategy(strategy_definition=definition), StatusCode.InvalidArguments)
    messages = error.validation_errors["StrategyDefinition.MesoSimVersion"]
    assert "v3" in messages[0]


async def test_validation_errors_are_keyed_by_field_path(simulator: SimulatorServer, api_key: str) -> None:
    definition = pcs()
    legs = definition["Structure"]["Legs"]
    del legs[0]["Qty"]
    legs[0]["OptionType"] = "Straddle"
    legs[1]["ExpirationName"] = "nope"
    legs[1]["StrikeSelector"] = {"Delta": "-10", "StrikePrice": "5000"}
    definition["Exit"]["ProfitTarget"] = "initial_credit * "
    definition["Entry"]["Conditions"] = ["leg_foo_strike > 1"]
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        error = await _fails(control.create_strategy(strategy_definition=definition), StatusCode.InvalidArguments)
        errors = error.validation_errors
        assert set(errors) >= {
            "StrategyDefinition.Structure.Legs[0].Qty",
            "StrategyDefinition.Structure.Legs[0].OptionType",
            "StrategyDefinition.Structure.Legs[1].ExpirationName",
            "StrategyDefinition.Structure.Legs[1].StrikeSelector",
            "StrategyDefinition.Exit.ProfitTarget",
            "StrategyDefinition.Entry.Conditions[0]",
        }
        assert "unknown expiration 'nope'" in errors["StrategyDefinition.Structure.Legs[1].ExpirationName"][0]
        assert "leg_foo_strike" in errors["StrategyDefinition.Entry.Conditions[0]"][0]
        assert "position" in errors["StrategyDefinition.Exit.ProfitTarget"][0]
        # nothing was stored
        assert len((await control.list_strategies()).items) == 3


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d.pop("StrategyName"), "StrategyDefinition.StrategyName"),
        (lambda d: d.update(StrategyName="x" * 129), "StrategyDefinition.StrategyName"),
        (lambda d: d["Structure"].pop("Legs"), "StrategyDefinition.Structure.Legs"),
        (lambda d: d["Structure"].update(Expirations=[]), "StrategyDefinition.Structure.Expirations"),
        (lambda d: d["Structure"]["Legs"][1].update(Name="short_put"), "StrategyDefinition.Structure.Legs[1].Name"),
        (lambda d: d["Structure"]["Legs"][0].update(StrikeSelector={}),
         "StrategyDefinition.Structure.Legs[0].StrikeSelector"),
        (lambda d: d["Structure"]["Legs"][0].update(StrikeSelector={"Statement": "5000"}),
         "StrategyDefinition.Structure.Legs[0].StrikeSelector.Statement"),
        (lambda d: d["Structure"]["Legs"][0].update(StrikeSelector={"StrikePrice": "leg_long_put_strike + 25"}),
         "StrategyDefinition.Structure.Legs"),  # short_put <-> long_put cycle
        (lambda d: d["Adjustment"]["ConditionalAdjustments"].update({"pos_delta > 1": {}}),
         "StrategyDefinition.Adjustment.ConditionalAdjustments[pos_delta > 1]"),
        (lambda d: d["Adjustment"]["ConditionalAdjustments"]["pos_delta > 8 * units"]["MoveLegAdjustment"].update(
            LegName="ghost"),
         "StrategyDefinition.Adjustment.ConditionalAdjustments[pos_delta > 8 * units].MoveLegAdjustment.LegName"),
        (lambda d: d.update(Symbol="TSLA"), "StrategyDefinition.Symbol"),
        (lambda d: d["Settings"]["Core"].update(LegSelectionConstraint="Sometimes"),
         "StrategyDefinition.Settings.Core.LegSelectionConstraint"),
    ],
)
def test_validate_definition_paths(mutate: Any, path: str) -> None:
    definition = copy.deepcopy(pcs())
    mutate(definition)
    assert path in validate_definition(definition)


def test_bundled_definitions_are_valid() -> None:
    for name in ("spx_put_credit_spread.json", "spx_iron_condor.json", "spx_broken_wing_butterfly.json"):
        assert validate_definition(load_strategy_definition(name)) == {}


async def test_unknown_account_and_clone_and_backtest_import(simulator: SimulatorServer, api_key: str) -> None:
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        error = await _fails(control.create_strategy(strategy_definition=pcs(),
                                                     active_on_accounts=[PAPER_ACCOUNT, "ML-NOPE"]),
                             StatusCode.InvalidArguments)
        assert "ActiveOnAccounts[1]" in error.validation_errors
        clone = await control.create_strategy(clone_strategy_id=1)
        original = await control.get_strategy(strategy_id=1)
        assert clone.id != 1 and clone.name == f"{original.name} (copy)"
        assert clone.strategy_definition == original.strategy_definition and clone.active_on_accounts == []
        await _fails(control.create_strategy(clone_strategy_id=999), StatusCode.NotFound)
        error = await _fails(control.create_strategy(backtest_id="BT-123", meso_sim_instance="mesosim-1"),
                             StatusCode.NotSupported)
        assert "StrategyDefinition" in (error.message or "")
        kept = await control.create_strategy(strategy_definition=pcs(), backtest_id="BT-1")
        assert kept.backtest_id == "BT-1"


async def test_unknown_variable_is_refused_on_create_and_update(simulator: SimulatorServer, api_key: str) -> None:
    """Defect 11: "DTE": "abc" used to be stored and fail only at the next entry."""
    definition = pcs()
    definition["Structure"]["Expirations"][0]["DTE"] = "abc"
    path = "StrategyDefinition.Structure.Expirations[0].DTE"
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        before = await control.get_strategy(strategy_id=1)
        assert len(before.active_on_accounts) == 2
        error = await _fails(control.create_strategy(strategy_definition=definition, name="abc"),
                             StatusCode.InvalidArguments)
        assert list(error.validation_errors) == [path]
        assert "unknown variable 'abc'" in error.validation_errors[path][0]
        error = await _fails(control.update_strategy(strategy_id=1, strategy_definition=definition),
                             StatusCode.InvalidArguments)
        assert list(error.validation_errors) == [path] and path in (error.message or "")
        after = await control.get_strategy(strategy_id=1)
        assert after.strategy_definition == before.strategy_definition and after.updated_at == before.updated_at
        assert len((await control.list_strategies()).items) == 3
        # the same at other evaluation points: a VarDefines used before it is defined, an exit
        # condition on a variable nothing sets, an adjustment on an unknown leg variable
        definition = pcs()
        definition["Entry"]["Conditions"] = ["initial_credit > 1"]
        definition["Exit"]["Conditions"] = ["mystery_var > 1"]
        definition["Adjustment"]["ConditionalAdjustments"]["leg_ghost_delta > 1"] = {
            "RemoveLegsAdjustment": {"LegNames": ["long_put"]}}
        error = await _fails(control.update_strategy(strategy_id=1, strategy_definition=definition),
                             StatusCode.InvalidArguments)
        assert set(error.validation_errors) == {
            "StrategyDefinition.Entry.Conditions[0]", "StrategyDefinition.Exit.Conditions[0]",
            "StrategyDefinition.Adjustment.ConditionalAdjustments[leg_ghost_delta > 1]"}


async def test_update_and_rename(simulator: SimulatorServer, api_key: str) -> None:
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        definition = pcs()
        definition["Exit"]["ProfitTarget"] = "123"
        updated = await control.update_strategy(strategy_id=1, strategy_definition=definition,
                                                active_on_accounts=[PAPER_ACCOUNT], description="new text")
        assert updated.strategy_definition["Exit"]["ProfitTarget"] == "123"
        assert updated.active_on_accounts == [PAPER_ACCOUNT] and updated.description == "new text"
        assert updated.updated_at is not None and updated.name == "SPX Put Credit Spread 45DTE"
        bad = pcs()
        bad["Structure"]["Legs"][0]["StrikeSelector"] = {"Delta": "(("}
        error = await _fails(control.update_strategy(strategy_id=1, strategy_definition=bad),
                             StatusCode.InvalidArguments)
        assert "StrategyDefinition.Structure.Legs[0].StrikeSelector.Delta" in error.validation_errors
        await _fails(control.update_strategy(strategy_id=1, active_on_accounts=["nobody"]),
                     StatusCode.InvalidArguments)
        await _fails(control.update_strategy(strategy_id=404, description="x"), StatusCode.NotFound)
        assert (await control.get_strategy(strategy_id=1)).strategy_definition["Exit"]["ProfitTarget"] == "123"

        renamed = await control.rename_strategy(strategy_id=1, name="PCS renamed")
        assert renamed.name == "PCS renamed"
        assert (await control.get_strategy(strategy_id=1)).name == "PCS renamed"
        await _fails(control.rename_strategy(strategy_id=404, name="x"), StatusCode.NotFound)
        raw = await control.connection.invoke("RenameStrategy", {"StrategyId": 1, "Name": "x" * 200})
        assert raw["Status"] == "InvalidArguments" and "Name" in raw["Error"]["ValidationErrors"]


async def test_delete_refuses_open_positions_and_persists(tmp_path: Path, api_key: str) -> None:
    server = SimulatorServer(tmp_path / "sim", api_key, seed=3, tick_interval=0.05)
    await server.start(port=0)
    try:
        async with MesoLiveControlHubClient(server.url, api_key) as control:
            error = await _fails(control.delete_strategy(strategy_id=1), StatusCode.Conflict)
            assert "open positions" in (error.message or "")
            created = await control.create_strategy(strategy_definition=pcs(), name="temp")
            kept = await control.create_strategy(strategy_definition=pcs(), name="kept")
            assert (await control.delete_strategy(strategy_id=created.id)).strategy_id == created.id
            await _fails(control.get_strategy(strategy_id=created.id), StatusCode.NotFound)
            await _fails(control.delete_strategy(strategy_id=created.id), StatusCode.NotFound)
    finally:
        await server.stop()
    server = SimulatorServer(tmp_path / "sim", api_key, seed=3, tick_interval=0.05)
    await server.start(port=0)
    try:
        async with MesoLiveControlHubClient(server.url, api_key) as control:
            ids = {s.id for s in (await control.list_strategies()).items}
            assert kept.id in ids and created.id not in ids
            assert (await control.get_strategy(strategy_id=kept.id)).name == "kept"
    finally:
        await server.stop()
