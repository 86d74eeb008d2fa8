"""Every Data hub method through the real SDK against the simulator; stream cancellation/bounds."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from mesodesk.contract import (
    ComboContractLeg,
    ComboContractsDataEntry,
    ContractDataEntry,
    DataProviderType,
    GetComboContractsSnapshotResult,
    GetContractSnapshotResult,
    GetLegSnapshotResult,
    GetLegsSnapshotResult,
    GetPositionSnapshotResult,
    GetUnderlyingSnapshotResult,
    LegDataEntry,
    LegsDataEntry,
    LiveDataInclude,
    LiveUnderlying,
    PositionDataEntry,
    StatusCode,
    StreamPositionDataArgs,
    UnderlyingDataEntry,
)
from mesodesk.sdk import (
    MesoLiveApiException,
    MesoLiveControlHubClient,
    MesoLiveDataHubClient,
    SignalRStreamError,
)
from tests.sdk.conftest import until

SIM = DataProviderType.Simulated
SPX = LiveUnderlying(symbol="SPX")
ALL = LiveDataInclude.All


def position_args(position_id: int = 1) -> dict[str, Any]:
    return {"position_id": position_id, "include_position": ALL, "include_legs": ALL, "include_leg_groups": ALL}


async def status_of(call: Any) -> StatusCode:
    with pytest.raises(MesoLiveApiException) as info:
        await call
    return info.value.status


async def a_contract(control: MesoLiveControlHubClient) -> Any:
    leg = await control.get_leg(leg_id=1)
    return leg.live_contract


# -- snapshots ------------------------------------------------------------------------
async def test_position_snapshot(data: MesoLiveDataHubClient) -> None:
    snap = await data.get_position_snapshot(**position_args())
    assert isinstance(snap, GetPositionSnapshotResult) and snap.position_id == 1
    assert await status_of(data.get_position_snapshot(**position_args(99999))) == StatusCode.NotFound


async def test_leg_and_legs_snapshot(data: MesoLiveDataHubClient) -> None:
    leg = await data.get_leg_snapshot(leg_id=1)
    assert isinstance(leg, GetLegSnapshotResult) and leg.prices is not None
    legs = await data.get_legs_snapshot(leg_ids=[1, 2])
    assert isinstance(legs, GetLegsSnapshotResult) and set(legs.leg_prices or {}) == {1, 2}
    assert await status_of(data.get_leg_snapshot(leg_id=99999)) == StatusCode.NotFound
    assert await status_of(data.get_legs_snapshot(leg_ids=[1, 99999])) == StatusCode.NotFound


async def test_underlying_snapshot(data: MesoLiveDataHubClient) -> None:
    snap = await data.get_underlying_snapshot(underlying=SPX, provider=SIM)
    assert isinstance(snap, GetUnderlyingSnapshotResult) and snap.symbol == "SPX" and snap.prices is not None
    assert await status_of(data.get_underlying_snapshot(underlying=LiveUnderlying(symbol="NOPE"), provider=SIM)) \
        == StatusCode.NotFound
    # provider-required method without a provider
    assert await status_of(data.get_underlying_snapshot(underlying=SPX)) in (
        StatusCode.InvalidArguments, StatusCode.ProviderError)


async def test_contract_and_combo_snapshot(data: MesoLiveDataHubClient, control: MesoLiveControlHubClient) -> None:
    contract = await a_contract(control)
    snap = await data.get_contract_snapshot(contract=contract, provider=SIM)
    assert isinstance(snap, GetContractSnapshotResult) and snap.prices is not None
    combo = await data.get_combo_contracts_snapshot(
        contracts=[ComboContractLeg(contract=contract, ratio=Decimal(-1))], provider=SIM)
    assert isinstance(combo, GetComboContractsSnapshotResult) and combo.combo_prices is not None
    bad = contract.model_copy(update={"underlying": LiveUnderlying(symbol="NOPE")})
    assert await status_of(data.get_contract_snapshot(contract=bad, provider=SIM)) in (
        StatusCode.NotFound, StatusCode.InvalidArguments)
    assert await status_of(data.get_combo_contracts_snapshot(
        contracts=[ComboContractLeg(contract=contract, ratio=Decimal(1))])) in (
        StatusCode.InvalidArguments, StatusCode.ProviderError)


# -- streams ------------------------------------------------------------------------------
async def test_stream_position_data_leaving_the_loop_cancels(simulator: Any, data: MesoLiveDataHubClient) -> None:
    items: list[PositionDataEntry] = []
    async for entry in data.stream_position_data(StreamPositionDataArgs(**position_args())):
        items.append(entry)
        if len(items) == 3:
            break
    assert all(isinstance(i, PositionDataEntry) and i.position_id == 1 for i in items)
    await until(lambda: simulator.context.active_streams == 0)  # CancelInvocation reached the server


async def test_stream_cancelling_the_consumer_task_cancels(simulator: Any, data: MesoLiveDataHubClient) -> None:
    got = asyncio.Event()

    async def consume() -> None:
        async for _ in data.stream_leg_data(leg_id=1):
            got.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got.wait(), 5)
    assert simulator.context.active_streams == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await until(lambda: simulator.context.active_streams == 0)


async def test_stream_aclose_and_async_with(simulator: Any, data: MesoLiveDataHubClient,
                                           control: MesoLiveControlHubClient) -> None:
    contract = await a_contract(control)
    async with data.stream_contract_data(contract=contract, provider=SIM) as stream:
        first = await stream.__anext__()
        assert isinstance(first, ContractDataEntry)
        assert stream.method == "StreamContractData"
    await until(lambda: simulator.context.active_streams == 0)
    stream2 = data.stream_underlying_data(underlying=SPX, provider=SIM)
    assert isinstance(await stream2.__anext__(), UnderlyingDataEntry)
    await stream2.aclose()
    await until(lambda: simulator.context.active_streams == 0)


async def test_other_streams_yield_typed_items(simulator: Any, data: MesoLiveDataHubClient,
                                               control: MesoLiveControlHubClient) -> None:
    contract = await a_contract(control)
    async with data.stream_legs_data(leg_ids=[1, 2]) as legs:
        assert isinstance(await legs.__anext__(), LegsDataEntry)
    async with data.stream_combo_contracts_data(
            contracts=[ComboContractLeg(contract=contract, ratio=Decimal(-1))], provider=SIM) as combo:
        assert isinstance(await combo.__anext__(), ComboContractsDataEntry)
    async with data.stream_leg_data(leg_id=2) as leg:
        assert isinstance(await leg.__anext__(), LegDataEntry)
    await until(lambda: simulator.context.active_streams == 0)


async def test_stream_error_raises(data: MesoLiveDataHubClient) -> None:
    with pytest.raises(SignalRStreamError) as info:
        async for _ in data.stream_position_data(**position_args(99999)):
            pass
    assert "NotFound" in str(info.value)


async def test_slow_consumer_gets_latest_values_bounded(simulator: Any, data: MesoLiveDataHubClient) -> None:
    stream = data.stream_underlying_data(underlying=SPX, provider=SIM, maxsize=2)
    try:
        first = await stream.__anext__()
        await asyncio.sleep(1.0)  # the simulator ticks every 50 ms; at most 2 items are buffered
        buffered = stream._stream._buf
        assert len(buffered) <= 2
        latest = await stream.__anext__()
        assert latest.timestamp is None or first.timestamp is None or latest.timestamp >= first.timestamp
    finally:
        await stream.aclose()
