"""The exactly-once rule of the notifications (Qt-free): live, away and seen events, the replay end,
the persisted notification cursor and its key; plus a clean-interpreter import without Qt."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from mesodesk.contract import AgentStatus, MesoLiveEvent
from mesodesk.core.errors import ConnectionState
from mesodesk.core.notify_feed import (
    CURSOR_SAVE_SECONDS,
    Arrival,
    NotificationFeed,
    Phase,
    asyncio_call_later,
    notify_cursor_path,
)
from mesodesk.core.world import World
from mesodesk.sdk import JsonFileEventCursorStore
from tests.core.factories import agent_event


class FakeEvents:
    """The event client as the feed sees it; ``replay()`` plays the SDK's on-connect sync."""

    def __init__(self) -> None:
        self.state = ConnectionState.DISCONNECTED
        self.replay_count = 0
        #: the server's latest EventSeqId at this sync (None: the replay did not tell yet)
        self.server_latest_event_seq_id: int | None = None
        self.state_listeners: list[Callable[[ConnectionState], Any]] = []
        self.handlers: list[Callable[[MesoLiveEvent], None]] = []

    def add_state_listener(self, listener: Callable[[ConnectionState], Any]) -> Callable[[], None]:
        self.state_listeners.append(listener)
        return lambda: self.state_listeners.remove(listener)

    def on_event(self, handler: Callable[[MesoLiveEvent], None]) -> Callable[[], None]:
        self.handlers.append(handler)
        return lambda: self.handlers.remove(handler)

    def set_state(self, state: ConnectionState) -> None:
        self.state = state
        for listener in list(self.state_listeners):
            listener(state)

    def deliver(self, *seqs: int) -> None:
        for seq in seqs:
            event = agent_event(AgentStatus.Degraded, seq=seq)
            for handler in list(self.handlers):
                handler(event)

    def connect(self, *replayed: int, ok: bool = True, latest: int | None = None) -> None:
        """CONNECTED, the replayed events, then (unless the replay failed) the replay counter.
        ``latest``: the server's latest EventSeqId the replay reports (default: the last replayed)."""
        self.set_state(ConnectionState.CONNECTED)
        self.server_latest_event_seq_id = None
        if ok:
            self.server_latest_event_seq_id = latest if latest is not None else max(replayed, default=None)
        self.deliver(*replayed)
        if ok:
            self.replay_count += 1


class Clock:
    """A manual :data:`CallLater`."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pending: list[list[Any]] = []  # [due, callback, live]

    def call_later(self, delay: float, callback: Callable[[], None]) -> Callable[[], None]:
        entry: list[Any] = [self.now + delay, callback, True]
        self.pending.append(entry)
        return lambda: entry.__setitem__(2, False)

    def advance(self, seconds: float) -> None:
        end = self.now + seconds
        while True:
            due = sorted((e for e in self.pending if e[2] and e[0] <= end), key=lambda e: e[0])
            if not due:
                break
            entry = due[0]
            entry[2] = False
            self.now = entry[0]
            entry[1]()
        self.now = end
        self.pending = [e for e in self.pending if e[2]]

    @property
    def active(self) -> int:
        return sum(1 for e in self.pending if e[2])


class MemoryCursor:
    def __init__(self, value: int | None = None, fail: bool = False) -> None:
        self.value = value
        self.fail = fail
        self.saves: list[int] = []

    def load(self) -> int | None:
        return self.value

    def save(self, event_seq_id: int) -> None:
        if self.fail:
            raise OSError("disk full")
        self.value = event_seq_id
        self.saves.append(event_seq_id)


class Recorder:
    def __init__(self, feed: NotificationFeed) -> None:
        self.arrivals: list[tuple[int, Arrival]] = []
        self.replay_ends = 0
        feed.subscribe(lambda event, arrival: self.arrivals.append((event.event_seq_id, arrival)))
        feed.add_replay_end_listener(self._ended)

    def _ended(self) -> None:
        self.replay_ends += 1

    def take(self) -> list[tuple[int, Arrival]]:
        out, self.arrivals = self.arrivals, []
        return out


def make(cursor: MemoryCursor | None = None) -> tuple[FakeEvents, Clock, MemoryCursor, NotificationFeed, Recorder]:
    events, clock, cursor = FakeEvents(), Clock(), cursor or MemoryCursor()
    feed = NotificationFeed(events, cursor, call_later=clock.call_later)
    recorder = Recorder(feed)
    feed.start()
    return events, clock, cursor, feed, recorder


S, A, L = Arrival.SEEN, Arrival.AWAY, Arrival.LIVE


def test_first_run_shows_no_history_then_live_events() -> None:
    events, clock, cursor, feed, rec = make()
    assert feed.phase() is Phase.LIVE and feed.loaded_cursor is None
    events.connect(1, 2, 3)
    assert rec.take() == [(1, S), (2, S), (3, S)]  # no cursor: the server's history predates this install
    assert rec.replay_ends == 0
    clock.advance(0.1)
    assert rec.replay_ends == 1 and feed.phase() is Phase.LIVE and clock.active <= 1
    events.deliver(4, 2)  # 2 again under a fresh EventId: a re-pushed state, not news
    assert rec.take() == [(4, L), (2, S)]
    assert cursor.saves == []
    clock.advance(CURSOR_SAVE_SECONDS)
    assert cursor.saves == [4] and feed.high_water == 4


def test_restart_shows_only_what_came_after_the_cursor_as_away() -> None:
    events, clock, _cursor, feed, rec = make(MemoryCursor(5))
    events.set_state(ConnectionState.CONNECTED)
    assert feed.phase() is Phase.INITIAL and feed.syncing
    events.deliver(3, 4, 5, 6, 7)
    events.replay_count += 1
    assert rec.take() == [(3, S), (4, S), (5, S), (6, A), (7, A)]
    clock.advance(0.1)
    assert rec.replay_ends == 1
    events.deliver(8)
    assert rec.take() == [(8, L)]


def test_a_reconnect_replays_as_away_and_ends_once() -> None:
    events, clock, _cursor, feed, rec = make(MemoryCursor(2))
    events.connect(1, 2, 3)
    clock.advance(0.5)
    rec.take()
    assert rec.replay_ends == 1
    events.set_state(ConnectionState.RECONNECTING)
    events.connect(3, 4, 5)  # 3 was processed already (the SDK would dedupe it; the feed does by seq)
    assert feed.phase() is Phase.LIVE  # the fake's replay finished synchronously
    assert rec.take() == [(3, S), (4, A), (5, A)]
    clock.advance(0.1)
    assert rec.replay_ends == 2
    clock.advance(5)
    assert rec.replay_ends == 2 and clock.active == 0  # the poll stopped


def test_a_failed_replay_keeps_events_away_until_the_next_sync() -> None:
    events, clock, _cursor, feed, rec = make(MemoryCursor(0))
    events.connect(1)
    clock.advance(0.1)
    rec.take()
    events.set_state(ConnectionState.RECONNECTING)
    events.connect(ok=False)  # GetEventsSince failed: the SDK delivers live events only
    events.deliver(2, 3)
    assert feed.phase() is Phase.AWAY and rec.take() == [(2, A), (3, A)]
    clock.advance(3)
    assert rec.replay_ends == 1  # still polling
    events.set_state(ConnectionState.RECONNECTING)
    events.connect(4)
    assert rec.take() == [(4, A)]
    clock.advance(0.1)
    assert rec.replay_ends == 2 and feed.phase() is Phase.LIVE


def test_start_while_connected_begins_a_sync() -> None:
    events, clock, cursor = FakeEvents(), Clock(), MemoryCursor(1)
    events.state = ConnectionState.CONNECTED
    feed = NotificationFeed(events, cursor, call_later=clock.call_later)
    rec = Recorder(feed)
    feed.start()
    feed.start()  # idempotent
    assert len(events.handlers) == 1 and feed.phase() is Phase.INITIAL
    events.deliver(1, 2)
    events.replay_count += 1
    clock.advance(0.1)
    assert rec.take() == [(1, S), (2, A)] and rec.replay_ends == 1


def test_handler_errors_are_logged_and_the_others_still_run(caplog: pytest.LogCaptureFixture) -> None:
    events, clock, _cursor, feed, rec = make()
    events.connect()
    clock.advance(0.1)

    def boom(_event: MesoLiveEvent, _arrival: Arrival) -> None:
        raise RuntimeError("boom")

    remove = feed.subscribe(boom)
    feed.subscribe(lambda e, a: rec.arrivals.append((-e.event_seq_id, a)))
    events.deliver(9)
    assert rec.take() == [(9, L), (-9, L)]
    assert "notifying AgentStatusEvent failed" in caplog.text
    remove()
    remove()  # twice is harmless


def test_the_cursor_is_saved_at_most_once_a_second_and_on_close() -> None:
    events, clock, cursor, feed, _rec = make(MemoryCursor(0))
    events.connect()
    clock.advance(0.1)
    for seq in range(1, 6):  # a sustained stream: 5 events over 2 s
        events.deliver(seq)
        clock.advance(0.4)
    assert cursor.saves == [3]  # throttled (1 s after the first change), not postponed until the stream stops
    events.deliver(6)
    feed.close()
    assert cursor.saves == [3, 6] and events.handlers == [] and events.state_listeners == []
    feed.save_cursor()
    assert cursor.saves == [3, 6]  # unchanged: not written again
    clock.advance(5)
    assert clock.active == 0


def test_a_cursor_that_cannot_be_saved_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    events, clock, cursor, feed, _rec = make(MemoryCursor(0, fail=True))
    events.connect(1)
    clock.advance(2)
    feed.close()
    assert "could not save the notification cursor" in caplog.text and cursor.value == 0


def test_a_cursor_ahead_of_the_server_is_reset_and_the_worlds_history_is_announced(
        caplog: pytest.LogCaptureFixture) -> None:
    events, clock, cursor, _feed, rec = make(MemoryCursor(53))  # another world's cursor
    with caplog.at_level(logging.WARNING, "mesodesk.notify"):
        events.connect(1, 2, 3)
    assert rec.take() == [(1, A), (2, A), (3, A)]  # old behaviour: all SEEN (at or below 53)
    clock.advance(0.1)
    events.deliver(4)
    assert rec.take() == [(4, L)]  # old behaviour: SEEN up to #53
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "ahead of the latest event 3" in warnings[0].getMessage()
    assert cursor.saves[0] == 0  # the reset is persisted at once
    clock.advance(CURSOR_SAVE_SECONDS)
    assert cursor.value == 4


def test_a_cursor_ahead_of_an_empty_server_lets_its_first_live_events_through(
        caplog: pytest.LogCaptureFixture) -> None:
    events, clock, cursor, _feed, rec = make(MemoryCursor(53))
    with caplog.at_level(logging.WARNING, "mesodesk.notify"):
        events.connect(latest=0)
        clock.advance(0.1)
    assert rec.replay_ends == 1 and "ahead of the latest event 0" in caplog.text and cursor.value == 0
    events.deliver(1, 2)
    assert rec.take() == [(1, L), (2, L)]


def test_a_cursor_at_or_behind_the_server_is_kept(caplog: pytest.LogCaptureFixture) -> None:
    for loaded, latest in ((5, 5), (5, 9)):
        events, _clock, _cursor, feed, rec = make(MemoryCursor(loaded))
        events.connect(*range(1, latest + 1))
        assert rec.take() == [(seq, S if seq <= loaded else A) for seq in range(1, latest + 1)]
        assert feed.loaded_cursor == loaded
    assert "ahead" not in caplog.text


def test_the_cursor_waits_for_the_servers_latest_id(caplog: pytest.LogCaptureFixture) -> None:
    """A failed replay tells nothing about the server: no reset on a guess."""
    events, clock, _cursor, feed, _rec = make(MemoryCursor(53))
    events.connect(ok=False)
    clock.advance(1)
    assert feed.loaded_cursor == 53 and "ahead" not in caplog.text
    events.set_state(ConnectionState.RECONNECTING)
    events.connect(1, latest=1)
    assert feed.loaded_cursor == 0 and "ahead of the latest event 1" in caplog.text


def test_the_cursor_file_is_per_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESODESK_DATA_DIR", str(tmp_path / "data"))
    one, two = World.embedded(tmp_path / "a" / "simulator"), World.embedded(tmp_path / "b" / "simulator")
    remote = World.server("https://mesolive.example.com", "1a2b3c4d5e6f")
    paths = {notify_cursor_path(tmp_path / "cfg", w) for w in (one, two, remote, World.server(remote.locator))}
    assert len(paths) == 4
    assert notify_cursor_path(tmp_path / "cfg", one) == tmp_path / "data" / "worlds" / one.key / "notify-cursor.json"


def test_for_session_persists_in_its_worlds_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESODESK_DATA_DIR", str(tmp_path / "data"))
    events, clock = FakeEvents(), Clock()
    world = World.embedded(tmp_path / "sim")
    session = SimpleNamespace(url="http://127.0.0.1:5000", world=world, events=events)
    feed = NotificationFeed.for_session(session, tmp_path / "cfg", call_later=clock.call_later)
    assert isinstance(feed.cursor, JsonFileEventCursorStore)
    path = tmp_path / "data" / "worlds" / world.key / "notify-cursor.json"
    assert feed.cursor.path == path
    feed.start()
    events.connect(1)
    events.deliver(2)
    feed.close()
    assert json.loads(path.read_text()) == {"LastEventSeqId": 2}
    again = NotificationFeed.for_session(session, tmp_path / "cfg", call_later=clock.call_later)
    assert again.loaded_cursor == 2 and again.high_water == 2


def test_the_default_timer_is_the_asyncio_loop() -> None:
    async def scenario() -> list[str]:
        fired: list[str] = []
        asyncio_call_later(0.01, lambda: fired.append("a"))
        cancel = asyncio_call_later(0.01, lambda: fired.append("b"))
        cancel()
        await asyncio.sleep(0.05)
        return fired

    assert asyncio.run(scenario()) == ["a"]


def test_the_notification_core_runs_in_a_clean_interpreter_without_qt() -> None:
    """Import (and use) the moved modules with every Qt binding blocked: nothing may need Qt."""
    code = """
import sys
for name in ("PySide6", "PyQt5", "PyQt6", "shiboken6", "qasync", "pyqtgraph", "superqt"):
    sys.modules[name] = None  # any import of them raises ImportError
from datetime import UTC, datetime
from mesodesk.contract import AgentConnector, AgentStatus, AgentStatusEvent
from mesodesk.core import event_text, notices, notify_feed
event = AgentStatusEvent(status=AgentStatus.Degraded, message="lag", connector=AgentConnector.Simulated,
                         event_time=datetime.now(UTC), event_seq_id=1)
assert notices.describe(event).title == "Simulated agent degraded"
assert event_text.summarize(event) == ("Simulated agent degraded: lag", "warning")
assert notify_feed.Arrival.AWAY == "away"
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "superqt", "pyqtgraph")
                and sys.modules[m] is not None)
print(",".join(loaded))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
