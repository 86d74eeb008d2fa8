"""Data hub: the 12 methods, includes/fields, provider rules, stream cancel, agent gating."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from mesodesk.contract import (
    AgentStatus,
    ComboContractLeg,
    DataProviderType,
    LiveDataInclude,
    LiveQuoteFields,
    LiveUnderlying,
    StatusCode,
)
from mesodesk.sdk import MesoLiveApiException, MesoLiveControlHubClient, MesoLiveDataHubClient
from mesodesk.sdk._signalr import SignalRError
from mesodesk.sim.server import SimulatorServer
from tests.sim import test_orders
from tests.sim.test_orders import API_KEY, order, pcs_plan, send, tick

sim = test_orders.sim  # the fixture
SIM = DataProviderType.Simulated
SPX = LiveUnderlying(symbol="SPX")


def some_legs(server: SimulatorServer) -> list[int]:
    return [leg.id for leg in server.world.position_legs(1)]


async def wait_streams_zero(server: SimulatorServer) -> None:
    for _ in range(100):
        if server.context.active_streams == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{server.context.active_streams} streams still running")


async def test_leg_and_legs_snapshots_honour_includes(sim: SimulatorServer) -> None:
    leg_ids = some_legs(sim)
    async with MesoLiveDataHubClient(sim.url, API_KEY) as data:
        leg = await data.get_leg_snapshot(leg_id=leg_ids[0], include=LiveDataInclude.Prices,
                                          price_fields=LiveQuoteFields.Mark)
        assert leg.leg_id == leg_ids[0] and leg.prices is not None and leg.prices.mark is not None
        assert leg.prices.bid is None and leg.greeks is None and leg.pnls is None
        full = await data.get_leg_snapshot(leg_id=leg_ids[0])
        assert full.greeks is not None and full.greeks.mark is not None and full.pnls is not None
        legs = await data.get_legs_snapshot(leg_ids=leg_ids, include=LiveDataInclude.Greeks | LiveDataInclude.PnL)
        assert legs.leg_prices is None and set(legs.leg_greeks or {}) == set(leg_ids)
        assert set(legs.leg_pnls or {}) == set(leg_ids)
        for bad in ({"LegId": 9999}, {"LegIds": [leg_ids[0], 9999]}):
            method = "GetLegSnapshot" if "LegId" in bad else "GetLegsSnapshot"
            raw = await data.connection.invoke(method, bad)
            assert raw["Status"] == "NotFound", raw
        for method, bad in (("GetLegSnapshot", {"LegId": "x"}), ("GetLegsSnapshot", {"LegIds": []}),
                            ("GetLegSnapshot", {"LegId": 1, "Include": "Everything"}),
                            ("GetLegSnapshot", {"LegId": 1, "Provider": "Ibkr"})):
            raw = await data.connection.invoke(method, bad)
            assert raw["Status"] in ("InvalidArguments", "ProviderError"), (method, raw)


async def test_free_standing_methods_need_a_provider(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim)
    short, long_ = plan.legs["short_put"].contract, plan.legs["long_put"].contract
    async with MesoLiveDataHubClient(sim.url, API_KEY) as data:
        for call in (lambda: data.get_underlying_snapshot(underlying=SPX),
                     lambda: data.get_contract_snapshot(contract=short),
                     lambda: data.get_combo_contracts_snapshot(
                         contracts=[ComboContractLeg(contract=short, ratio=Decimal(-1))])):
            with pytest.raises(MesoLiveApiException) as info:
                await call()
            assert info.value.status == StatusCode.ProviderError and "Provider is required" in (info.value.message or "")
        und = await data.get_underlying_snapshot(underlying=SPX, provider=SIM, price_fields=LiveQuoteFields.Bid)
        assert und.symbol == "SPX" and und.prices is not None and und.prices.bid and und.prices.ask is None
        c = await data.get_contract_snapshot(contract=short, provider=SIM, include=LiveDataInclude.Greeks)
        assert c.prices is None and c.greeks is not None and c.greeks.mark.delta < 0  # type: ignore[union-attr,operator]
        combo = await data.get_combo_contracts_snapshot(contracts=[
            ComboContractLeg(contract=short, ratio=Decimal(-1)), ComboContractLeg(contract=long_, ratio=Decimal(1))],
            provider=SIM)
        prices = {i: p for i, p in (combo.contract_prices or {}).items()}
        assert combo.combo_prices is not None and combo.combo_prices.mark is not None
        assert combo.combo_prices.mark == prices[1].mark - prices[0].mark  # type: ignore[operator]
        assert combo.combo_prices.mark < 0  # a credit
        bad_contract = short.model_copy(update={"strike": None})
        for method, args in (
            ("GetUnderlyingSnapshot", {"Underlying": {"Symbol": "NOPE"}, "Provider": "Simulated"}),
            ("GetContractSnapshot", {"Contract": bad_contract.model_dump(by_alias=True, mode="json"),
                                     "Provider": "Simulated"}),
            ("GetComboContractsSnapshot", {"Contracts": [], "Provider": "Simulated"}),
            ("GetUnderlyingSnapshot", {"Underlying": {"Symbol": "SPX"}, "Provider": "Schwab"}),
        ):
            raw = await data.connection.invoke(method, args)
            assert raw["Status"] in ("NotFound", "InvalidArguments", "ProviderError"), (method, raw)
            assert raw["Status"] != "Success"


async def test_every_stream_yields_and_cancel_stops_server_work(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim)
    short = plan.legs["short_put"].contract
    leg_ids = some_legs(sim)
    async with MesoLiveDataHubClient(sim.url, API_KEY) as data:
        streams = [
            data.stream_leg_data(leg_id=leg_ids[0], include=LiveDataInclude.PnL),
            data.stream_legs_data(leg_ids=leg_ids, include=LiveDataInclude.Prices),
            data.stream_underlying_data(underlying=SPX, provider=SIM),
            data.stream_contract_data(contract=short, provider=SIM),
            data.stream_combo_contracts_data(contracts=[ComboContractLeg(contract=short, ratio=Decimal(-1))],
                                             provider=SIM),
            data.stream_position_data(position_id=1, include_position=LiveDataInclude.Prices,
                                      include_legs=LiveDataInclude.None_, include_leg_groups=LiveDataInclude.None_),
        ]
        for stream in streams:
            items = []
            async for item in stream:
                items.append(item)
                assert sim.context.active_streams >= 1
                if len(items) == 2:
                    break
                tick(sim)  # the next item needs a newer market
            await stream.aclose()  # type: ignore[attr-defined]  # sends CancelInvocation
            assert items[0].timestamp < items[1].timestamp  # type: ignore[attr-defined]
        first = items[0]
        assert first.position_prices is not None and first.leg_prices is None  # type: ignore[attr-defined]
        await wait_streams_zero(sim)


async def test_streams_coalesce_for_a_slow_client(sim: SimulatorServer) -> None:
    async with MesoLiveDataHubClient(sim.url, API_KEY) as data:
        stream = data.stream_underlying_data(underlying=SPX, provider=SIM, maxsize=1)
        got = []
        async for item in stream:
            got.append(item)
            if len(got) == 1:
                for _ in range(50):  # many ticks while the client is not reading
                    tick(sim, 1)
                await asyncio.sleep(0.3)
            else:
                break
        assert len(got) == 2 and sim.context.active_streams == 1
        await stream.aclose()  # type: ignore[attr-defined]
    await wait_streams_zero(sim)


async def test_provider_required_stream_fails_without_provider(sim: SimulatorServer) -> None:
    async with MesoLiveDataHubClient(sim.url, API_KEY) as data:
        with pytest.raises(SignalRError) as info:
            async for _ in data.stream_underlying_data(underlying=SPX):
                pass
        assert "Provider is required" in str(info.value)
    await wait_streams_zero(sim)


async def test_disconnected_agent_fails_data_and_orders(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim)
    async with MesoLiveDataHubClient(sim.url, API_KEY) as data, \
            MesoLiveControlHubClient(sim.url, API_KEY) as control:
        stream = data.stream_leg_data(leg_id=some_legs(sim)[0])
        with pytest.raises(SignalRError) as info:
            async for _ in stream:
                sim.context.agents.set_status(AgentStatus.Disconnected)
                tick(sim)
        assert "Disconnected" in str(info.value)
        with pytest.raises(MesoLiveApiException) as api:
            await data.get_position_snapshot(position_id=1, include_position=LiveDataInclude.All,
                                             include_legs=LiveDataInclude.All, include_leg_groups=LiveDataInclude.All)
        assert api.value.status == StatusCode.ProviderError
        with pytest.raises(MesoLiveApiException) as api:
            await send(control, plan, order())
        assert api.value.status == StatusCode.BrokerError
        sim.context.agents.set_status(AgentStatus.Connected)
        assert (await data.get_leg_snapshot(leg_id=some_legs(sim)[0])).prices is not None
        await send(control, plan, order())
