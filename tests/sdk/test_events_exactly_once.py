"""Exactly-once, in-order events across restarts: the on-connect re-push of active signals/errors,
where delivery starts (history, active state, live only) and how each event is marked.

The scripted hub controls exactly what is pushed on connect; the simulator variants reproduce
the reported cases (a restart with ``JsonFileEventCursorStore`` re-delivering the active
signals out of order; a default client replaying old exit signals unmarked).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mesodesk.contract import (
    EntrySignalEvent,
    ErrorEvent,
    ErrorState,
    ExitSignalEvent,
    MesoLiveEvent,
    OrderState,
    OrderUpdateEvent,
    SignalState,
    event_type_of,
)
from mesodesk.sdk import JsonFileEventCursorStore, MesoLiveEventHubClient
from tests.sdk.conftest import FAST, until
from tests.sdk.scripted import TOKEN, ScriptedServer, agent_event, new_event_id


def order_event(order_id: int) -> OrderUpdateEvent:
    return OrderUpdateEvent(event_time=datetime.now(UTC), order_id=order_id, strategy_id=1, strategy_name="S",
                            state=OrderState.Working)


def entry_signal(strategy_id: int = 1) -> EntrySignalEvent:
    return EntrySignalEvent(event_time=datetime.now(UTC), state=SignalState.On, strategy_id=strategy_id,
                            strategy_name="S", broker_account_id="U1")


def error_event() -> ErrorEvent:
    return ErrorEvent(event_time=datetime.now(UTC), state=ErrorState.Raised, error_id=new_event_id(), message="x")


def client(server: ScriptedServer, **kw: Any) -> MesoLiveEventHubClient:
    return MesoLiveEventHubClient(server.url, TOKEN, **FAST, **kw)


def recorder(c: MesoLiveEventHubClient) -> list[tuple[int, str]]:
    seen: list[tuple[int, str]] = []
    c.on_event(lambda e: seen.append((e.event_seq_id, e.delivery)))
    return seen


async def test_restart_with_a_cursor_store_never_repeats_the_on_connect_push(scripted: ScriptedServer,
                                                                             tmp_path: Path) -> None:
    ev = scripted.events
    ev.append(order_event(1))
    signal = ev.append(entry_signal())  # 2: active, pushed on every connect with its original ids
    ev.append(order_event(2))
    ev.on_connect_push.append(signal)
    store = JsonFileEventCursorStore(tmp_path / "cursor.json")
    first = client(scripted, cursor_store=store)
    seen1 = recorder(first)
    async with first:
        assert seen1 == [(1, "replay"), (2, "replay"), (3, "replay")]
        await ev.publish(order_event(3))
        await until(lambda: len(seen1) == 4)
    assert seen1[-1] == (4, "live") and store.load() == 4
    # restarts (a clean stop, then the same as a fresh process would do): nothing at or below 4 again
    for run in range(3):
        ev.append(order_event(10 + run))  # published while no client runs
        again = client(scripted, cursor_store=JsonFileEventCursorStore(tmp_path / "cursor.json"))
        seen = recorder(again)
        async with again:
            await asyncio.sleep(0.1)
            assert seen == [(5 + run, "replay")], seen  # the push of #2 is not delivered again, not out of order
            assert again.suppressed_count >= 1
    assert JsonFileEventCursorStore(tmp_path / "cursor.json").load() == 7


async def test_reconnect_never_repeats_the_push_even_beyond_the_dedupe_window(scripted: ScriptedServer) -> None:
    ev = scripted.events
    signal = ev.append(entry_signal())
    ev.on_connect_push.append(signal)
    for i in range(5):
        ev.append(order_event(i))
    c = client(scripted, dedupe_window=1)  # EventId memory alone would forget #1
    seqs: list[int] = []
    c.on_event(lambda e: seqs.append(e.event_seq_id))
    async with c:
        for _ in range(2):
            await scripted.signalr.disconnect_all()
            ev.append(order_event(99))
            await until(lambda: seqs[-1] == len(ev.log))
    assert seqs == list(range(1, len(ev.log) + 1))


async def test_start_at_latest_delivers_the_active_state_once_as_a_snapshot(scripted: ScriptedServer,
                                                                           tmp_path: Path) -> None:
    ev = scripted.events
    old_signal = ev.append(entry_signal())  # 1
    ev.append(order_event(1))  # 2: history, not state
    error = ev.append(error_event())  # 3: active error
    ev.on_connect_push.extend([error, old_signal])  # pushed in any order
    store = JsonFileEventCursorStore(tmp_path / "cursor.json")
    c = client(scripted, since_event_seq_id=None, cursor_store=store)
    events: list[MesoLiveEvent] = []
    c.on_event(events.append)
    async with c:
        assert [(e.event_seq_id, e.delivery, e.replayed) for e in events] == [(1, "snapshot", True),
                                                                              (3, "snapshot", True)]
        await ev.publish(order_event(4))
        await until(lambda: len(events) == 3)
        await scripted.signalr.disconnect_all()  # a reconnect pushes them again: not delivered again
        await until(lambda: c.replay_count == 2)
        await ev.publish(order_event(5))
        await until(lambda: len(events) == 4)
    assert [(e.event_seq_id, e.delivery) for e in events[2:]] == [(4, "live"), (5, "live")]
    # a restart with the stored cursor: no snapshot again
    again = client(scripted, since_event_seq_id=None, cursor_store=JsonFileEventCursorStore(tmp_path / "cursor.json"))
    seen = recorder(again)
    async with again:
        await asyncio.sleep(0.1)
    assert seen == []


async def test_live_only_delivers_nothing_from_before_the_connection(scripted: ScriptedServer) -> None:
    ev = scripted.events
    signal = ev.append(entry_signal())
    ev.append(order_event(1))
    ev.on_connect_push.append(signal)
    c = client(scripted, since_event_seq_id=None, active_state=False)
    seen = recorder(c)
    async with c:
        await asyncio.sleep(0.1)
        assert seen == []
        await ev.publish(order_event(2))
        await until(lambda: seen == [(3, "live")])


async def test_a_default_client_marks_the_history_as_replayed(simulator: Any, api_key: str) -> None:
    """The reported case: old exit signals reach a trading handler on connect, now marked."""
    simulator.context.signals.evaluate_once()  # raises the seeded signals (an exit signal among them)
    exits: list[ExitSignalEvent] = []
    async with MesoLiveEventHubClient(simulator.url, api_key, **FAST) as ev:
        ev.on_exit_signal(exits.append)
        await ev.connection.stop()  # connect() already replayed: check with a fresh client below
    fresh = MesoLiveEventHubClient(simulator.url, api_key, **FAST)
    fresh.on_exit_signal(exits.append)
    async with fresh:
        assert exits and all(e.replayed and e.delivery == "replay" for e in exits)


async def test_simulator_restart_with_json_cursor_store_is_exactly_once_in_order(simulator: Any, api_key: str,
                                                                                  tmp_path: Path) -> None:
    """The reported case: every restart re-delivered the active signals (3, 4, 5 after 41...45)."""
    simulator.context.signals.evaluate_once()
    active = [e.event_seq_id for e in simulator.context.signals.active_signals()]
    assert active, "the seeded world raises signals"
    path = tmp_path / "cursor.json"
    delivered: list[tuple[int, str]] = []
    for run in range(4):
        c = MesoLiveEventHubClient(simulator.url, api_key, cursor_store=JsonFileEventCursorStore(path), **FAST)
        c.on_event(lambda e: delivered.append((e.event_seq_id, event_type_of(e))))
        async with c:
            simulator.events.publish(entry_signal().model_copy(update={"strategy_id": 1}))  # more events flow
            await until(lambda c=c: c.last_event_seq_id == simulator.events.latest_seq)  # type: ignore[misc]
            if run == 1:
                await simulator.signalr.disconnect_all()  # and a reconnect within the run
                await until(lambda c=c: c.replay_count == 2)  # type: ignore[misc]
    seqs = [seq for seq, _ in delivered]
    assert seqs == list(range(1, simulator.events.latest_seq + 1))


async def test_drop_during_the_replay_delivers_nothing_past_the_gap(scripted: ScriptedServer) -> None:
    """An event broadcast while the replay is interrupted must not move the cursor past missed events."""
    ev = scripted.events
    ev.append(order_event(1))
    calls = {"n": 0}

    async def gate(since: int) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the second connect: 2..4 are not replayed yet when #5 goes out to everybody
            for i in range(3):
                ev.append(order_event(10 + i))
            late = ev.append(agent_event("broadcast"))
            assert ev.hub is not None
            for conn in ev.hub.connections:
                await conn.send("OnAgentStatusChange", late.model_dump(mode="json", by_alias=True))
            await asyncio.sleep(0.05)
            asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(scripted.signalr.disconnect_all()))
            await asyncio.sleep(3600)

    c = client(scripted)
    seqs: list[int] = []
    c.on_event(lambda e: seqs.append(e.event_seq_id))
    async with c:
        assert seqs == [1]
        ev.replay_gate = gate
        await scripted.signalr.disconnect_all()
        await until(lambda: calls["n"] >= 3 and seqs == [1, 2, 3, 4, 5], timeout=10)
    assert seqs == [1, 2, 3, 4, 5]
