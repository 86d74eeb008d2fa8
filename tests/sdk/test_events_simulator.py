"""Event hub methods and the gap-free event pipeline against the simulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mesodesk.contract import (
    GetEventsSinceArgs,
    GetEventsSinceResult,
    GetLatestEventSeqIdResult,
    MesoLiveEvent,
    PaperFill,
    StatusCode,
    SubscribeToStrategiesArgs,
    event_type_of,
)
from mesodesk.sdk import (
    ConnectionState,
    JsonFileEventCursorStore,
    MesoLiveApiException,
    MesoLiveControlHubClient,
    MesoLiveEventHubClient,
)
from tests.sdk.conftest import FAST, until
from tests.sdk.test_control_simulator import PAPER, mid, prepared_entry


async def paper_fill(simulator: Any, control: MesoLiveControlHubClient, name: str) -> Any:
    result = await prepared_entry(simulator, control, name)
    fills = {leg: PaperFill(price=abs(mid(result.leg_prices[leg]))) for legs in result.leg_groups.values()
             for leg in legs}
    return await control.apply_paper_fills(broker_account_id=PAPER, exec_plan_id=result.exec_plan_id, fills=fills)


async def test_event_hub_methods(events: MesoLiveEventHubClient) -> None:
    latest = await events.get_latest_event_seq_id()
    assert isinstance(latest, GetLatestEventSeqIdResult) and latest.latest_event_seq_id >= 0
    page = await events.get_events_since(since_event_seq_id=0, limit=5)
    assert isinstance(page, GetEventsSinceResult) and len(page.events) <= 5
    assert page.latest_event_seq_id == latest.latest_event_seq_id or page.latest_event_seq_id >= 0
    sub = await events.subscribe_to_strategies(strategies=[1, 99999])
    assert sub.successful_strategies == [1] and sub.failed_strategies == [99999]
    unsub = await events.unsubscribe_from_strategies(strategies=[1])
    assert unsub.successful_strategies == [1]
    everything = await events.subscribe_to_strategies(SubscribeToStrategiesArgs(strategies=None))
    assert 1 in everything.successful_strategies


async def test_event_hub_error_paths(events: MesoLiveEventHubClient) -> None:
    # bypass local validation to see the server's answer
    with pytest.raises(MesoLiveApiException) as info:
        await events.get_events_since(GetEventsSinceArgs.model_construct(since_event_seq_id=-1, limit=None,
                                                                         strategies=None))
    assert info.value.status == StatusCode.InvalidArguments and info.value.method == "GetEventsSince"
    with pytest.raises(MesoLiveApiException) as info:
        await events.get_events_since(GetEventsSinceArgs.model_construct(since_event_seq_id=0, limit=5000,
                                                                         strategies=None))
    assert info.value.status == StatusCode.InvalidArguments


async def test_paper_trade_events_exactly_once_in_order(simulator: Any, control: MesoLiveControlHubClient,
                                                        api_key: str) -> None:
    seen: list[MesoLiveEvent] = []
    typed: list[str] = []
    ev = MesoLiveEventHubClient(simulator.url, api_key, **FAST)
    ev.on_event(seen.append)
    ev.on_order_update(lambda e: typed.append("order"))
    ev.on_position_entry_preparation_completed(lambda e: typed.append("prepared"))
    async with ev:
        start = len(seen)
        applied = await paper_fill(simulator, control, "events once")
        await until(lambda: ev.last_event_seq_id == simulator.events.latest_seq)
        new = seen[start:]
        types = [event_type_of(e) for e in new]
        assert "OnPositionEntryPreparationCompleted" in types and "OnOrderUpdate" in types
        assert "OnPositionUpdate" in types and "OnLegUpdate" in types
        assert "prepared" in typed and "order" in typed
        assert applied.position_id
    seqs = [e.event_seq_id for e in seen]
    assert seqs == sorted(seqs) and len({e.event_id for e in seen}) == len(seen)
    assert seqs == list(range(1, simulator.events.latest_seq + 1))  # all events, no gaps, no repeats


async def test_reconnect_replays_missed_events_without_gaps(simulator: Any, control: MesoLiveControlHubClient,
                                                            api_key: str) -> None:
    seen: list[MesoLiveEvent] = []
    ev = MesoLiveEventHubClient(simulator.url, api_key, **FAST)
    ev.on_event(seen.append)
    async with ev:
        await paper_fill(simulator, control, "before drop")
        await until(lambda: ev.last_event_seq_id == simulator.events.latest_seq)
        # drop only the event hub connection, then produce events while it is away
        for conn in simulator.signalr.connections:
            if conn.hub.name == "event":
                await conn.close(allow_reconnect=True)
        await paper_fill(simulator, control, "while away")
        await until(lambda: ev.replay_count >= 2 and ev.state is ConnectionState.CONNECTED)
        await paper_fill(simulator, control, "after reconnect")
        await until(lambda: ev.last_event_seq_id == simulator.events.latest_seq)
    seqs = [e.event_seq_id for e in seen]
    assert seqs == list(range(1, simulator.events.latest_seq + 1))
    assert len({e.event_id for e in seen}) == len(seen)


async def test_cursor_store_resumes_after_restart(simulator: Any, control: MesoLiveControlHubClient,
                                                  api_key: str, tmp_path: Path) -> None:
    store_path = tmp_path / "cursor.json"
    first = MesoLiveEventHubClient(simulator.url, api_key, cursor_store=JsonFileEventCursorStore(store_path), **FAST)
    async with first:
        await paper_fill(simulator, control, "run 1")
        await until(lambda: first.last_event_seq_id == simulator.events.latest_seq)
    saved = JsonFileEventCursorStore(store_path).load()
    assert saved == simulator.events.latest_seq
    await paper_fill(simulator, control, "offline")  # happens while no client runs
    seen: list[int] = []
    second = MesoLiveEventHubClient(simulator.url, api_key, cursor_store=JsonFileEventCursorStore(store_path),
                                    **FAST)
    second.on_event(lambda e: seen.append(e.event_seq_id))
    async with second:
        assert seen == list(range(saved + 1, simulator.events.latest_seq + 1))  # replayed before connect returned
