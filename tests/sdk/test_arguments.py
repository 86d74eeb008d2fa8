"""SDK arguments: strict names (refused before anything is sent), friendly values, errors
that name the Python argument, and results readable by the reference SDK's PascalCase names."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from mesodesk.contract import (
    GetPositionSnapshotArgs,
    ListPositionsArgs,
    LiveDataInclude,
    LivePosition,
    LivePositionDetails,
    LivePositionState,
    LiveUnderlying,
    StreamPositionDataArgs,
)
from mesodesk.sdk import (
    ArgumentProblem,
    MesoLiveArgumentError,
    MesoLiveControlHubClient,
    MesoLiveDataHubClient,
    MesoLiveError,
)

PAPER = "ML10001"


# -- what reached the simulator ---------------------------------------------------------------
@pytest.fixture
def received(simulator: Any) -> Iterator[Counter[str]]:
    """Hub method name -> how many invocations the simulator's hubs ran (every hub)."""
    counts: Counter[str] = Counter()
    for hub in simulator.signalr._hubs.values():
        for name, handler in list(hub.methods.items()):

            def counting(*args: Any, _fn: Callable[..., Any] = handler.fn, _name: str = name) -> Any:
                counts[_name] += 1
                return _fn(*args)

            hub.methods[name] = dataclasses.replace(handler, fn=counting)
    yield counts


@pytest.fixture
def sent(control: MesoLiveControlHubClient, data: MesoLiveDataHubClient) -> list[str]:
    """Hub methods the two clients handed to their connections (invocations and streams)."""
    names: list[str] = []
    for client in (control, data):
        connection = client.connection
        invoke, stream = connection.invoke, connection.stream

        def spy_invoke(method: str, *args: Any, _invoke: Any = invoke, **kwargs: Any) -> Awaitable[Any]:
            names.append(method)
            return _invoke(method, *args, **kwargs)  # type: ignore[no-any-return]

        def spy_stream(method: str, *args: Any, _stream: Any = stream, **kwargs: Any) -> Any:
            names.append(method)
            return _stream(method, *args, **kwargs)

        connection.invoke = spy_invoke  # type: ignore[method-assign]
        connection.stream = spy_stream  # type: ignore[method-assign]
    return names


def refused(exc_info: pytest.ExceptionInfo[MesoLiveArgumentError]) -> str:
    exc = exc_info.value
    assert isinstance(exc, TypeError) and isinstance(exc, ValueError) and isinstance(exc, MesoLiveError)
    return str(exc)


# -- strict names -------------------------------------------------------------------------------
async def test_misspelled_filter_is_refused_before_sending(
    control: MesoLiveControlHubClient, received: Counter[str], sent: list[str]
) -> None:
    with pytest.raises(MesoLiveArgumentError) as info:
        await control.list_positions(stat="Closed")
    text = refused(info)
    assert text.startswith("list_positions() got an unexpected argument 'stat': did you mean 'state'?")
    assert "allowed: live_strategy_id, live_exec_plan_id, broker_account_id, state, limit, continuation_token" in text
    assert info.value.method == "list_positions"
    assert info.value.argument == "stat" and info.value.suggestion == "state"
    assert sent == [] and received["ListPositions"] == 0  # nothing left the client, nothing arrived

    # the corrected call filters (every seeded position is open)
    assert len((await control.list_positions()).items) == 4
    assert (await control.list_positions(state="Closed")).items == []
    assert received["ListPositions"] == 2 and sent == ["ListPositions", "ListPositions"]


@pytest.mark.parametrize(
    ("method", "kwargs", "typed", "suggestion"),
    [
        ("list_orders", {"exec_plan": 8}, "exec_plan", "exec_plan_id"),
        ("list_positions", {"broker_account": PAPER}, "broker_account", "broker_account_id"),
        ("list_positions", {"BrokerAccount": PAPER}, "BrokerAccount", "BrokerAccountId"),  # PascalCase typed
        ("list_positions", {"liveStrategyId": 1}, "liveStrategyId", "live_strategy_id"),  # camelCase is not a spelling
        ("list_positions", {"timout": 5}, "timout", "timeout"),  # the method's own parameter
        ("start_prepare_position_exit", {"positon_id": 1}, "positon_id", "position_id"),
        ("get_position", {"id": 1}, "id", "position_id"),
        ("list_positions", {"foo": 1}, "foo", None),
    ],
)
async def test_unknown_argument_names_the_argument_and_suggests(
    control: MesoLiveControlHubClient, received: Counter[str], sent: list[str],
    method: str, kwargs: dict[str, Any], typed: str, suggestion: str | None,
) -> None:
    with pytest.raises(MesoLiveArgumentError) as info:
        await getattr(control, method)(**kwargs)
    text = refused(info)
    assert text.startswith(f"{method}() got an unexpected argument '{typed}'"), text
    assert info.value.suggestion == suggestion
    if suggestion:
        assert f"did you mean '{suggestion}'?" in text
    assert "Field required" not in text and "PositionId" not in text  # not the wire field, not pydantic's words
    assert sent == [] and sum(received.values()) == 0


async def test_iter_filters_are_checked_at_the_call(
    control: MesoLiveControlHubClient, received: Counter[str], sent: list[str]
) -> None:
    with pytest.raises(MesoLiveArgumentError, match=r"^iter_positions\(\) got an unexpected argument 'foo' "):
        control.iter_positions(foo=1)  # raised at the call: no iteration needed
    with pytest.raises(MesoLiveArgumentError, match="'limit': did you mean 'page_size'"):
        control.iter_positions(limit=2)
    assert sent == [] and sum(received.values()) == 0
    assert [p.id async for p in control.iter_positions(page_size=1, broker_account_id=PAPER)] == [1, 3]


async def test_pascal_case_arguments_as_in_the_reference(control: MesoLiveControlHubClient) -> None:
    snake = await control.list_positions(broker_account_id=PAPER, state="Open")
    pascal = await control.list_positions(BrokerAccountId=PAPER, State="Open")
    assert [p.id for p in pascal.items] == [p.id for p in snake.items] == [1, 3]
    with pytest.raises(MesoLiveArgumentError, match=r"got argument 'state' twice \(as 'state' and as 'State'\)"):
        await control.list_positions(state="Open", State="Closed")


async def test_nested_unknown_argument(data: MesoLiveDataHubClient, received: Counter[str]) -> None:
    contract = {"contract_type": "Options", "underlying": "SPX", "option_type": "Put",
                "expiration": datetime(2030, 1, 18, tzinfo=UTC), "strik": Decimal(5000)}
    with pytest.raises(MesoLiveArgumentError) as info:
        await data.get_contract_snapshot(contract=contract, provider="Simulated")
    text = refused(info)
    assert "got an unexpected argument 'contract.strik': did you mean 'strike'?" in text
    assert "allowed in contract: contract_type, underlying, root, option_type, expiration, strike, multiplier" in text
    assert sum(received.values()) == 0


async def test_args_model_and_kwargs_together(control: MesoLiveControlHubClient) -> None:
    with pytest.raises(MesoLiveArgumentError, match=r"^list_positions\(\) takes an args model or keyword"):
        await control.list_positions(ListPositionsArgs(), state="Open")
    with pytest.raises(MesoLiveArgumentError, match=r"expected a ListPositionsArgs .* got dict; for a mapping"):
        await control.list_positions({"State": "Open"})  # type: ignore[arg-type]


# -- errors name the Python argument; enums list their values --------------------------------------
async def test_validation_errors_name_the_python_argument(
    control: MesoLiveControlHubClient, received: Counter[str]
) -> None:
    with pytest.raises(MesoLiveArgumentError) as info:
        await control.start_prepare_position_adjustment(position_id=1, condition="true")
    text = refused(info)
    assert text == ("start_prepare_position_adjustment() missing required argument 'operation' "
                    "(one of: AddLegs, RemoveLegs, MoveLeg, UpdateVars)")
    assert info.value.problems[0] == ArgumentProblem(
        "missing", "operation", text.split("() ", 1)[1], allowed=("AddLegs", "RemoveLegs", "MoveLeg", "UpdateVars"))

    with pytest.raises(MesoLiveArgumentError) as info:
        await control.list_positions(state="Archived")
    assert refused(info) == ("list_positions() got an invalid value for argument 'state': "
                             "Input should be 'Open' or 'Closed' (got 'Archived')")

    with pytest.raises(MesoLiveArgumentError) as info:
        await control.get_executions(execution_ids=[1, "two"])
    assert "invalid value for argument 'execution_ids[1]'" in refused(info)

    with pytest.raises(MesoLiveArgumentError) as info:  # several problems: one line each
        await control.start_prepare_position_exit(positon_id=5, data_provider="nope")
    text = refused(info)
    assert text.splitlines()[0] == "start_prepare_position_exit() got 2 bad arguments:"
    assert "  - got an unexpected argument 'positon_id': did you mean 'position_id'?" in text
    assert "  - got an invalid value for argument 'data_provider': Input should be" in text
    assert "missing" not in text  # position_id is missing because it was misspelled: said once
    assert sum(received.values()) == 0


async def test_enum_names_in_any_case(control: MesoLiveControlHubClient) -> None:
    assert len((await control.list_positions(state="open")).items) == 4
    assert len((await control.list_positions(State="OPEN")).items) == 4
    assert len((await control.list_positions(state=LivePositionState.Open)).items) == 4


# -- friendly data arguments ---------------------------------------------------------------------
async def test_include_defaults_to_all(data: MesoLiveDataHubClient) -> None:
    snap = await data.get_position_snapshot(position_id=1)
    assert snap.position_prices is not None and snap.position_greeks is not None and snap.position_pnls is not None
    assert snap.leg_prices and snap.leg_group_prices
    async with data.stream_position_data(position_id=1) as stream:
        async for entry in stream:
            assert entry.position_prices is not None and entry.leg_prices and entry.leg_group_prices
            break
    assert StreamPositionDataArgs(position_id=1).include_legs is LiveDataInclude.All


async def test_include_none_means_none(data: MesoLiveDataHubClient) -> None:
    snap = await data.get_position_snapshot(position_id=1, include_legs=None, include_leg_groups="none",
                                            include_position=["prices", "PnL"])
    assert snap.leg_prices is None and snap.leg_greeks is None and snap.leg_group_prices is None
    assert snap.position_prices is not None and snap.position_pnls is not None and snap.position_greeks is None


async def test_bad_include_lists_the_allowed_values(data: MesoLiveDataHubClient, sent: list[str]) -> None:
    with pytest.raises(MesoLiveArgumentError) as info:
        data.stream_position_data(position_id=1, include_legs="Pricess")
    assert refused(info) == (
        "stream_position_data() got an invalid value for argument 'include_legs': 'Pricess' is not a member of "
        "LiveDataInclude (allowed: None, Prices, Greeks, PnL, All; several as \"A, B\" or a list)")
    assert sent == []


async def test_underlying_shorthand(data: MesoLiveDataHubClient) -> None:
    snap = await data.get_underlying_snapshot(underlying="SPX", provider="simulated")
    assert snap.symbol == "SPX" and snap.prices is not None
    with pytest.raises(MesoLiveArgumentError, match=r"invalid value for argument 'underlying\.symbol'"):
        await data.get_underlying_snapshot(underlying="", provider="Simulated")


def test_the_models_themselves_are_unchanged() -> None:
    """Strictness and shorthands are the SDK's: the shared models (and so the simulator's
    parsing of what it receives) still ignore unknown properties."""
    assert ListPositionsArgs.model_validate({"Stat": "Closed"}) == ListPositionsArgs()
    assert GetPositionSnapshotArgs.model_validate({"PositionId": 1}).include_leg_groups is LiveDataInclude.All
    with pytest.raises(ValueError):
        LiveUnderlying.model_validate("SPX")


# -- results by the reference's spelling ------------------------------------------------------------
async def test_results_read_by_reference_spelling(control: MesoLiveControlHubClient) -> None:
    page = await control.list_positions(BrokerAccountId=PAPER)  # as a reference script would write it
    assert page.ContinuationToken is None
    position = page.Items[0]
    assert isinstance(position, LivePosition)
    assert (position.Id, position.Name, position.State) == (position.id, position.name, position.state)
    assert position.BrokerAccountId == PAPER and position.LiveStrategyId == position.live_strategy_id
    details = await control.get_position(PositionId=position.Id)
    assert isinstance(details, LivePositionDetails)
    assert details.Legs[0].Name == details.legs[0].name and details.LegGroups == details.leg_groups
    assert details.RealizedPnL == details.realized_pnl and details.PositionPnLs == details.position_pnls
    with pytest.raises(AttributeError, match=r"LivePosition.Name is a read-only alias; assign .name instead"):
        position.Name = "renamed"
    with pytest.raises(AttributeError, match="Nmae"):
        _ = position.Nmae
    assert "Name" in dir(position)


def test_reference_spelling_leaves_models_alone() -> None:
    position = LivePosition(id=1, state="Open", created_at=datetime(2026, 1, 2, tzinfo=UTC), name="P",
                            broker_account_id=PAPER, live_strategy_id=2, strategy_name="S")
    position.name = "Q"
    assert position.Name == "Q"
    for clone in (pickle.loads(pickle.dumps(position)), copy.copy(position), copy.deepcopy(position),
                  position.model_copy()):
        assert clone == position and clone.Name == "Q"
    assert position.model_dump(by_alias=True)["Name"] == "Q"
    assert "Name" not in position.__dict__
