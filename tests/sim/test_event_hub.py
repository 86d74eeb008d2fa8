"""Event hub: subscriptions, live fan-out in EventSeqId order, replay paging and filters,
on-connect push, agent status events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from mesodesk.contract import (
    AgentStatus,
    AgentStatusEvent,
    EntrySignalEvent,
    LegStatus,
    LiveStrategy,
    OrderState,
    PositionStatus,
    SignalState,
)
from mesodesk.sdk import MesoLiveControlHubClient, MesoLiveEventHubClient
from mesodesk.sdk._signalr import SignalRConnection
from mesodesk.sim.hubs.admin import ADMIN_HUB_PATH
from mesodesk.sim.server import SimulatorServer
from tests.sim import test_orders
from tests.sim.test_orders import API_KEY, order, pcs_plan, send

sim = test_orders.sim  # the fixture


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


def collect(client: MesoLiveEventHubClient) -> list[Any]:
    seen: list[Any] = []
    for register in (client.on_order_update, client.on_leg_update, client.on_position_update,
                     client.on_agent_status_change, client.on_entry_signal):
        register(seen.append)
    return seen


async def test_order_leg_position_updates_arrive_in_seq_order(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim)
    events = MesoLiveEventHubClient(sim.url, API_KEY, strategies=[plan.strategy_id], since_event_seq_id=None)
    seen = collect(events)
    async with events, MesoLiveControlHubClient(sim.url, API_KEY) as control:
        sub = await events.subscribe_to_strategies(strategies=[plan.strategy_id, 777])
        assert sub.successful_strategies == [plan.strategy_id] and sub.failed_strategies == [777]
        start = (await events.get_latest_event_seq_id()).latest_event_seq_id
        await send(control, plan, order())
        await until(lambda: any(getattr(e, "status", None) == PositionStatus.Created for e in seen))
    kinds = [(type(e).__name__, getattr(e, "state", None) or getattr(e, "status", None)) for e in seen]
    assert kinds == [("OrderUpdateEvent", OrderState.Working), ("OrderUpdateEvent", OrderState.Filled),
                     ("LegUpdateEvent", LegStatus.Created), ("LegUpdateEvent", LegStatus.Created),
                     ("PositionUpdateEvent", PositionStatus.Created)]
    seqs = [e.event_seq_id for e in seen]
    assert seqs == list(range(start + 1, start + 6))
    filled = seen[1]
    assert filled.filled_qty == Decimal(-1) and filled.remaining_qty == 0 and filled.fill_price is not None
    assert filled.strategy_id == plan.strategy_id and filled.exec_plan_id == plan.id


async def test_subscription_scopes(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim)  # strategy 1
    all_events = MesoLiveEventHubClient(sim.url, API_KEY, strategies=None, since_event_seq_id=None)
    other = MesoLiveEventHubClient(sim.url, API_KEY, strategies=[2], since_event_seq_id=None)
    none = MesoLiveEventHubClient(sim.url, API_KEY, strategies=[], since_event_seq_id=None)
    got_all, got_other, got_none = collect(all_events), collect(other), collect(none)
    async with all_events, other, none, MesoLiveControlHubClient(sim.url, API_KEY) as control:
        everything = await all_events.subscribe_to_strategies(strategies=None)
        assert set(everything.successful_strategies) == set(sim.world.strategies)
        assert (await other.subscribe_to_strategies(strategies=[2])).successful_strategies == [2]
        empty = await none.subscribe_to_strategies(strategies=[])
        assert empty.successful_strategies == [] and empty.failed_strategies == []
        await send(control, plan, order())
        # a strategy created later is covered by Strategies=null
        new = LiveStrategy(id=sim.world.next_id("strategy"), name="Later", strategy_definition={},
                           created_at=sim.market.now)
        sim.world.save_strategy(new)
        sim.events.publish(EntrySignalEvent(event_time=sim.market.now, state=SignalState.On, strategy_id=new.id,
                                            strategy_name=new.name, broker_account_id="U7654321"))
        await until(lambda: any(isinstance(e, EntrySignalEvent) for e in got_all))
        assert len(got_all) == 6
        await asyncio.sleep(0.1)
        assert got_other == [] and got_none == []
        gone = await all_events.unsubscribe_from_strategies(strategies=None)
        assert new.id in gone.successful_strategies
        bad = await other.unsubscribe_from_strategies(strategies=[2, 555])
        assert bad.successful_strategies == [2] and bad.failed_strategies == [555]
        await send(control, pcs_plan(sim, name="second"), order())
        await asyncio.sleep(0.2)
        assert len(got_all) == 6
        raw = await all_events.connection.invoke("SubscribeToStrategies", {"Strategies": "all"})
        assert raw["Status"] == "InvalidArguments"


async def test_agent_status_goes_to_every_connection(sim: SimulatorServer) -> None:
    admin = SignalRConnection(sim.url + ADMIN_HUB_PATH, access_token_factory=lambda: API_KEY)
    await admin.start()
    try:
        events = MesoLiveEventHubClient(sim.url, API_KEY, strategies=[], since_event_seq_id=None)
        seen = collect(events)  # no strategy subscription at all
        async with events:
            reply = await admin.invoke("SetAgentStatus", {"Status": "Degraded", "Message": "slow feed"})
            assert reply["Status"] == "Success" and reply["Data"]["Status"] == "Degraded"
            await until(lambda: bool(seen))
            assert isinstance(seen[0], AgentStatusEvent) and seen[0].status == AgentStatus.Degraded
            assert seen[0].message == "slow feed"
            bad = await admin.invoke("SetAgentStatus", {"Status": "Sleepy"})
            assert bad["Status"] == "InvalidArguments"
            assert (await admin.invoke("GetAgentStatus", {}))["Data"]["Status"] == "Degraded"
    finally:
        await admin.stop()


async def test_get_events_since_pages_and_filters(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim)  # strategy 1
    other = pcs_plan(sim, name="s2")
    other.strategy_id = 2
    sim.context.broker.save_plan(other)
    sim.context.agents.set_status(AgentStatus.Degraded)  # an event without a strategy
    async with MesoLiveEventHubClient(sim.url, API_KEY, strategies=[], since_event_seq_id=None) as events, \
            MesoLiveControlHubClient(sim.url, API_KEY) as control:
        await send(control, plan, order())
        await send(control, other, order())
        latest = (await events.get_latest_event_seq_id()).latest_event_seq_id
        assert latest == 11
        pages, cursor = [], 0
        while True:
            page = await events.get_events_since(since_event_seq_id=cursor, limit=4)
            pages.append(page)
            if not page.has_more:
                break
            cursor = page.events[-1].event_seq_id
        assert [len(p.events) for p in pages] == [4, 4, 3]
        seqs = [e.event_seq_id for p in pages for e in p.events]
        assert seqs == list(range(1, 12)) and all(p.latest_event_seq_id == 11 for p in pages)
        assert pages[0].events[0].event_type == "OnAgentStatusChange"
        only2 = await events.get_events_since(since_event_seq_id=0, strategies=[2])
        assert {e.event.strategy_id for e in only2.events if e.event_type != "OnAgentStatusChange"} == {2}
        assert len(only2.events) == 6
        none = await events.get_events_since(since_event_seq_id=0, strategies=[])
        assert [e.event_type for e in none.events] == ["OnAgentStatusChange"]
        assert (await events.get_events_since(since_event_seq_id=latest)).events == []
        default = await events.get_events_since(since_event_seq_id=0)
        assert len(default.events) == 11 and not default.has_more
        for bad in ({"SinceEventSeqId": -1}, {"SinceEventSeqId": 0, "Limit": 0},
                    {"SinceEventSeqId": 0, "Limit": 1001}, {"SinceEventSeqId": "x"}, {}):
            raw = await events.connection.invoke("GetEventsSince", bad)
            assert raw["Status"] == "InvalidArguments", bad


async def test_replay_after_reconnect_gives_exactly_the_missed_events(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim, multiplier=2)
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        first = MesoLiveEventHubClient(sim.url, API_KEY, strategies=None, since_event_seq_id=None)
        seen = collect(first)
        async with first:
            await send(control, plan, order(qty=Decimal(1)))
            await until(lambda: len(seen) == 5)
            cursor = seen[-1].event_seq_id
        await send(control, plan, order(qty=Decimal(1)))  # while disconnected
        again = MesoLiveEventHubClient(sim.url, API_KEY, strategies=None, since_event_seq_id=cursor)
        replayed = collect(again)
        async with again:  # connect() returns after the replay was delivered
            replay = await again.get_events_since(since_event_seq_id=cursor)
            await send(control, plan, order(qty=Decimal(0) + 1))  # nothing left: a Rejected order, live
            await until(lambda: len(replayed) == 5)
    assert [e.event_seq_id for e in replay.events] == list(range(cursor + 1, cursor + 5))
    assert [e.event_type for e in replay.events] == ["OnOrderUpdate", "OnOrderUpdate", "OnLegUpdate", "OnLegUpdate"]
    assert [e.event_seq_id for e in replayed] == list(range(cursor + 1, cursor + 6))
    assert replayed[-1].state == OrderState.Rejected


class _Signals:
    def __init__(self, events: list[Any]) -> None:
        self.events = events

    def active_signals(self) -> list[Any]:
        return [e for e in self.events if isinstance(e, EntrySignalEvent)]

    def active_errors(self) -> list[Any]:
        return []


async def test_on_connect_push_keeps_original_ids(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    signal = sim.events.publish(EntrySignalEvent(event_time=sim.market.now, state=SignalState.On, strategy_id=1,
                                                 strategy_name="x", broker_account_id="U7654321"))
    monkeypatch.setattr(sim.context, "signals", _Signals([signal]))  # restored before the server stops
    events = MesoLiveEventHubClient(sim.url, API_KEY, strategies=[], since_event_seq_id=None)
    seen = collect(events)
    await events.connect()
    try:
        await until(lambda: bool(seen))
    finally:
        await events.close()
    assert seen[0].event_id == signal.event_id and seen[0].event_seq_id == signal.event_seq_id
    assert sim.events.latest_seq == signal.event_seq_id  # no new sequence id
