"""Event hub client: on_event / on_* dispatch, replay, dedupe, ordering, cursor persistence.

Runs against a scripted event hub (real sockets) so the timing of replays, live
pushes and on-connect pushes is under the test's control.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mesodesk.contract import (
    AgentStatusEvent,
    ErrorEvent,
    ErrorState,
    MesoLiveEvent,
    OrderState,
    OrderUpdateEvent,
    event_type_of,
)
from mesodesk.sdk import ConnectionState, JsonFileEventCursorStore, MesoLiveEventHubClient
from tests.sdk.conftest import FAST, until
from tests.sdk.scripted import TOKEN, ScriptedServer, agent_event, new_event_id


def order_event(order_id: int, state: OrderState = OrderState.Working) -> OrderUpdateEvent:
    return OrderUpdateEvent(event_time=datetime.now(UTC), order_id=order_id, strategy_id=1,
                            strategy_name="S", state=state)


def error_event() -> ErrorEvent:
    return ErrorEvent(event_time=datetime.now(UTC), state=ErrorState.Raised, error_id=new_event_id(),
                      message="boom")


def client(server: ScriptedServer, **kw: Any) -> MesoLiveEventHubClient:
    return MesoLiveEventHubClient(server.url, TOKEN, **FAST, **kw)


async def test_on_event_receives_every_type_in_order_after_typed_handlers_registered_before(
    scripted: ScriptedServer,
) -> None:
    ev = scripted.events
    ev.append(agent_event("a"))
    ev.append(order_event(1))
    ev.append(error_event())
    calls: list[tuple[str, int]] = []
    c = client(scripted)
    c.on_order_update(lambda e: calls.append(("order", e.event_seq_id)))

    async def all_events(e: MesoLiveEvent) -> None:
        await asyncio.sleep(0)
        calls.append((event_type_of(e), e.event_seq_id))

    c.on_event(all_events)
    async with c:
        # connect() returns after the replay was delivered
        assert calls == [("OnAgentStatusChange", 1), ("order", 2), ("OnOrderUpdate", 2), ("OnError", 3)]
        await ev.publish(order_event(2, OrderState.Filled))
        await until(lambda: len(calls) == 6)
    assert calls[4:] == [("order", 4), ("OnOrderUpdate", 4)]
    assert c.last_event_seq_id == 4


async def test_typed_handlers_sync_async_removers_and_exceptions(
    scripted: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    def bad(e: AgentStatusEvent) -> None:
        raise RuntimeError("handler bug")

    async def good(e: AgentStatusEvent) -> None:
        seen.append(e.message)

    c = client(scripted)
    c.on_agent_status_change(bad)
    remove = c.on_agent_status_change(good)
    c.on_order_update(lambda e: seen.append(f"order {e.order_id}"))
    with caplog.at_level(logging.ERROR, "mesodesk.sdk.events"):
        async with c:
            await scripted.events.publish(agent_event("first"))
            await until(lambda: seen == ["first"])
            remove()
            await scripted.events.publish(agent_event("second"))
            await scripted.events.publish(order_event(7))
            await until(lambda: seen == ["first", "order 7"])
            assert c.state is ConnectionState.CONNECTED  # the connection lives on
    assert "handler bug" in caplog.text or "raised" in caplog.text


async def test_replay_is_paged_until_has_more_is_false(scripted: ScriptedServer) -> None:
    for i in range(25):
        scripted.events.append(order_event(i))
    seqs: list[int] = []
    c = client(scripted, replay_page_size=10)
    c.on_event(lambda e: seqs.append(e.event_seq_id))
    async with c:
        assert seqs == list(range(1, 26))
        # first replay: 0, 10, 20 (has_more false at 25); catch-up after subscribe: 25
        assert scripted.events.since_calls[:3] == [0, 10, 20]
        assert scripted.events.since_calls[-1] == 25


async def test_on_connect_pushes_repeating_replayed_events_are_delivered_once(scripted: ScriptedServer) -> None:
    ev = scripted.events
    ev.append(order_event(1))
    active_error = ev.append(error_event())  # active error, pushed again on every connect
    ev.on_connect_push.append(active_error)
    seen: list[Any] = []
    c = client(scripted)
    c.on_event(lambda e: seen.append(e.event_id))
    async with c:
        await asyncio.sleep(0.2)
        assert seen == [ev.log[0].event.event_id, active_error.event_id]


async def test_live_events_during_replay_are_buffered_and_delivered_in_seq_order(scripted: ScriptedServer) -> None:
    ev = scripted.events
    for i in range(3):
        ev.append(order_event(i))
    calls = {"n": 0}

    async def gate(since: int) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            ev.append(order_event(4))  # after the first page, before subscribing: only the catch-up has it
        if calls["n"] == 2:
            # catch-up replay (page [4] already computed): 5 and 6 go out live and reach the
            # client BEFORE the replay page does; they must still be delivered after 4.
            await ev.publish(order_event(5))
            await ev.publish(order_event(6))
            await asyncio.sleep(0.1)

    ev.replay_gate = gate
    seqs: list[int] = []
    c = client(scripted)
    c.on_event(lambda e: seqs.append(e.event_seq_id))
    async with c:
        assert seqs == [1, 2, 3, 4, 5, 6]
        await ev.publish(order_event(7))
        await until(lambda: seqs[-1] == 7)
    assert seqs == [1, 2, 3, 4, 5, 6, 7]


async def test_reconnect_replays_the_gap_then_resubscribes(scripted: ScriptedServer) -> None:
    ev = scripted.events
    ev.append(order_event(1))
    seqs: list[int] = []
    c = client(scripted)
    c.on_event(lambda e: seqs.append(e.event_seq_id))
    states: list[ConnectionState] = []
    c.add_state_listener(states.append)
    async with c:
        assert seqs == [1]
        await scripted.signalr.disconnect_all()
        # events published while the client is away: only the log has them
        ev.append(order_event(2))
        ev.append(order_event(3))
        await until(lambda: c.replay_count == 2)
        await ev.publish(order_event(4))
        await until(lambda: seqs == [1, 2, 3, 4])
        assert scripted.events.subscribe_calls == 2
        assert ConnectionState.RECONNECTING in states
        assert c.last_event_seq_id == 4


async def test_cursor_store_persists_and_resumes(scripted: ScriptedServer, tmp_path: Path) -> None:
    ev = scripted.events
    for i in range(4):
        ev.append(order_event(i))
    store = JsonFileEventCursorStore(tmp_path / "cursor.json")
    assert store.load() is None
    first: list[int] = []
    c = client(scripted, cursor_store=store)
    c.on_event(lambda e: first.append(e.event_seq_id))
    async with c:
        assert first == [1, 2, 3, 4]
        await ev.publish(order_event(5))
        await until(lambda: store.load() == 5)
    ev.append(order_event(6))
    second: list[int] = []
    c2 = client(scripted, cursor_store=JsonFileEventCursorStore(tmp_path / "cursor.json"))
    c2.on_event(lambda e: second.append(e.event_seq_id))
    async with c2:
        assert second == [6]
        assert scripted.events.since_calls[-2] == 5 or 5 in scripted.events.since_calls


async def test_start_at_latest_skips_history(scripted: ScriptedServer) -> None:
    ev = scripted.events
    ev.append(order_event(1))
    ev.append(order_event(2))
    seqs: list[int] = []
    c = client(scripted, since_event_seq_id=None)
    c.on_event(lambda e: seqs.append(e.event_seq_id))
    async with c:
        assert seqs == []
        assert c.last_event_seq_id == 2
        await ev.publish(order_event(3))
        await until(lambda: seqs == [3])


async def test_dedupe_window_is_bounded(scripted: ScriptedServer) -> None:
    for i in range(20):
        scripted.events.append(order_event(i))
    c = client(scripted, dedupe_window=5)
    async with c:
        assert len(c._seen) == 5
        assert c.delivered_count == 20


async def test_cursor_file_is_tolerant(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "cursor.json"
    store = JsonFileEventCursorStore(path)
    store.save(42)
    assert store.load() == 42
    path.write_text("not json")
    assert store.load() is None


async def test_subscribes_with_configured_strategies(scripted: ScriptedServer) -> None:
    c = client(scripted, strategies=[3, 5])
    async with c:
        assert c.strategies == [3, 5]
        assert scripted.events.subscribe_calls == 1


async def test_drop_during_replay_fails_the_replay_fast_and_resyncs(scripted: ScriptedServer) -> None:
    ev = scripted.events
    ev.append(order_event(1))
    calls = {"n": 0}

    async def gate(since: int) -> None:
        calls["n"] += 1
        if calls["n"] == 1:  # the first replay hangs; the server then drops the connection
            asyncio.get_running_loop().call_later(0.2, lambda: asyncio.ensure_future(scripted.signalr.disconnect_all()))
            await asyncio.sleep(3600)

    ev.replay_gate = gate
    seqs: list[int] = []
    c = client(scripted)  # invoke_timeout is 10 s: recovery must not wait for it
    c.on_event(lambda e: seqs.append(e.event_seq_id))
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    async with c:
        await until(lambda: seqs == [1] and c.replay_count >= 1, timeout=5)
    assert loop.time() - t0 < 5
