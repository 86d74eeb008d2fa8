"""The simulator's foundation methods through the SDK, over real sockets and a real SQLite file."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from mesodesk.contract import (
    LiveDataInclude,
    LivePositionState,
    LiveQuoteFields,
    StatusCode,
)
from mesodesk.sdk import (
    MesoLiveApiException,
    MesoLiveControlHubClient,
    MesoLiveDataHubClient,
    SignalRAuthError,
)
from mesodesk.sim.server import SimulatorServer


async def test_list_accounts_has_paper_and_broker(simulator: SimulatorServer, api_key: str) -> None:
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        page = await control.list_accounts()
        accounts = {a.broker_account_id: a for a in page.items}
    assert len(accounts) >= 2
    assert any(a.is_paper_account for a in accounts.values())
    assert any(not a.is_paper_account for a in accounts.values())
    assert all(a.net_liquidation_value and a.net_liquidation_value > 0 for a in accounts.values())
    assert sum(a.active_positions for a in accounts.values()) == 4


async def test_paging_follows_continuation_tokens(simulator: SimulatorServer, api_key: str) -> None:
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        first = await control.list_positions(limit=3)
        assert len(first.items) == 3 and first.continuation_token
        second = await control.list_positions(limit=3, continuation_token=first.continuation_token)
        assert second.continuation_token is None
        everything = [p async for p in control.iter_positions(page_size=1)]
    assert [p.id for p in everything] == [p.id for p in first.items + second.items]
    assert len(everything) == 4


async def test_get_position_has_legs_and_pricing(simulator: SimulatorServer, api_key: str) -> None:
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        positions = [p async for p in control.iter_positions(state=LivePositionState.Open)]
        details = await control.get_position(position_id=positions[0].id)
    assert details.legs and all(leg.live_position_id == details.id for leg in details.legs)
    assert details.underlying == "SPX"
    assert details.position_pnls is not None and details.position_pnls.mark is not None
    assert details.position_greeks is not None and details.position_greeks.mark is not None
    assert set(details.leg_prices or {}) == {leg.id for leg in details.legs}
    for leg in details.legs:
        prices = (details.leg_prices or {})[leg.id]
        assert prices.bid is not None and prices.ask is not None and prices.bid <= prices.ask
        assert leg.live_contract.root in {"SPX", "SPXW"}
    # PnL(mark) is the sum of the legs' PnL(mark).
    leg_pnl = sum(((details.leg_pnls or {})[leg.id].mark or Decimal(0)) for leg in details.legs)
    assert abs(leg_pnl - details.position_pnls.mark) <= Decimal("0.05")


async def test_unknown_position_is_not_found(simulator: SimulatorServer, api_key: str) -> None:
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        with pytest.raises(MesoLiveApiException) as info:
            await control.get_position(position_id=99999)
    assert info.value.status == StatusCode.NotFound
    assert info.value.method == "GetPosition"


async def test_bad_arguments_get_invalid_arguments_with_field_paths(simulator: SimulatorServer, api_key: str) -> None:
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        raw = await control.connection.invoke("GetPosition", {"PositionId": "not-a-number"})
        assert raw["Status"] == "InvalidArguments"
        assert "PositionId" in raw["Error"]["ValidationErrors"]
        raw = await control.connection.invoke("ListPositions", {"Limit": -5})
        assert raw["Status"] == "InvalidArguments" and "Limit" in raw["Error"]["ValidationErrors"]
        raw = await control.connection.invoke("ListAccounts", {"ContinuationToken": "garbage!"})
        assert raw["Status"] == "InvalidArguments"
        raw = await control.connection.invoke("ListAccounts", [1, 2])
        assert raw["Status"] == "InvalidArguments"
        # the server is still fine afterwards
        assert len((await control.list_accounts()).items) >= 2


async def test_stream_position_data_moves_and_honours_includes(simulator: SimulatorServer, api_key: str) -> None:
    async with MesoLiveControlHubClient(simulator.url, api_key) as control, \
            MesoLiveDataHubClient(simulator.url, api_key) as data:
        position = [p async for p in control.iter_positions()][0]
        marks = []
        async for entry in data.stream_position_data(
            position_id=position.id,
            include_position=LiveDataInclude.PnL | LiveDataInclude.Greeks,
            include_legs=LiveDataInclude.Prices,
            include_leg_groups=LiveDataInclude.None_,
            price_fields=LiveQuoteFields.Bid | LiveQuoteFields.Ask,
        ):
            assert entry.position_id == position.id
            assert entry.position_prices is None  # not requested
            assert entry.leg_greeks is None and entry.leg_group_prices is None
            assert entry.position_pnls is not None and entry.position_greeks is not None
            assert entry.leg_prices
            any_leg = next(iter(entry.leg_prices.values()))
            assert any_leg.bid is not None and any_leg.last is None and any_leg.mark is None
            marks.append(entry.position_pnls.mark)
            if len(set(marks)) >= 3:
                break
        assert len(set(marks)) >= 3


async def test_leaving_a_stream_cancels_it_on_the_server(simulator: SimulatorServer, api_key: str) -> None:
    async with MesoLiveDataHubClient(simulator.url, api_key) as data:
        for _ in range(3):
            async for _entry in data.stream_position_data(
                position_id=1, include_position=LiveDataInclude.All, include_legs=LiveDataInclude.None_,
                include_leg_groups=LiveDataInclude.None_,
            ):
                assert simulator.context.active_streams >= 1
                break
        for _ in range(100):
            if simulator.context.active_streams == 0:
                break
            await asyncio.sleep(0.05)
        assert simulator.context.active_streams == 0


async def test_wrong_token_is_refused(simulator: SimulatorServer) -> None:
    client = MesoLiveControlHubClient(simulator.url, "wrong-key")
    with pytest.raises(SignalRAuthError):
        await client.connect()
    await client.close()


async def test_restart_keeps_state(tmp_path: Path, api_key: str) -> None:
    server = SimulatorServer(tmp_path / "sim", api_key, seed=1, tick_interval=0.05)
    await server.start(port=0)
    async with MesoLiveControlHubClient(server.url, api_key) as control:
        before = {p.id: await control.get_position(position_id=p.id) async for p in control.iter_positions()}
    await server.stop()
    server = SimulatorServer(tmp_path / "sim", api_key, seed=2, tick_interval=0.05)
    await server.start(port=0)
    try:
        assert server.store.integrity_check() == "ok"
        async with MesoLiveControlHubClient(server.url, api_key) as control:
            after = {p.id: await control.get_position(position_id=p.id) async for p in control.iter_positions()}
    finally:
        await server.stop()
    assert after.keys() == before.keys()
    for position_id, details in before.items():
        assert [(leg.id, leg.name, leg.avg_entry_price, leg.live_contract.strike) for leg in details.legs] == [
            (leg.id, leg.name, leg.avg_entry_price, leg.live_contract.strike) for leg in after[position_id].legs
        ]


async def test_get_legs_batch_and_bad_input(simulator: SimulatorServer, api_key: str) -> None:
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        legs = [leg async for leg in control.iter_legs(position_id=1)]
        result = await control.get_legs(leg_ids=[legs[1].id, 99999, legs[0].id])
        assert [leg.id for leg in result.legs] == [legs[1].id, legs[0].id]  # request order, unknown omitted
        raw = await control.connection.invoke("GetLegs", {"LegIds": "1,2"})
        assert raw["Status"] == "InvalidArguments" and "LegIds" in raw["Error"]["ValidationErrors"]
        raw = await control.connection.invoke("GetLegs", {"LegIds": list(range(2000))})
        assert raw["Status"] == "InvalidArguments"


async def test_restart_continues_the_price_walk(tmp_path: Path, api_key: str) -> None:
    server = SimulatorServer(tmp_path / "sim", api_key, seed=5, tick_interval=0.01)
    await server.start(port=0)
    await asyncio.sleep(0.5)  # many ticks: the walk moves away from its starting spot
    await server.stop()
    spot_before = server.market.spot("SPX")
    restarted = SimulatorServer(tmp_path / "sim", api_key, seed=99, tick_interval=0.01)
    try:
        assert restarted.market.spot("SPX") == spot_before
        assert restarted.market.now >= server.market.now
    finally:
        restarted.store.close()
