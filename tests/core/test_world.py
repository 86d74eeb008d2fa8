"""Worlds (mesodesk.core.world): identity and folders, old files, and -- against real simulators with
real files -- notification cursors that never cross from one world to another and a cursor ahead of
the server that is reset with one log line."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesodesk.contract import AgentStatus
from mesodesk.core.history import HistoryStore
from mesodesk.core.notify_feed import Arrival, NotificationFeed, Phase, notify_cursor_path
from mesodesk.core.session import Session
from mesodesk.core.world import World, account_fingerprint, data_root, normalize_url, world_folder
from mesodesk.core.world_legacy import adopt_legacy_cursor, adopt_legacy_history
from mesodesk.sim.dialect import WireDialect
from mesodesk.sim.server import SimulatorServer

API_KEY = "test-key-0123456789"
SAFE = re.compile(r"^[A-Za-z0-9._-]+$")


# --------------------------------------------------------------------------- identity
@pytest.mark.parametrize(("typed", "normal"), [
    ("HTTPS://Api.Example.com:443/", "https://api.example.com"),
    ("https://api.example.com", "https://api.example.com"),
    ("http://127.0.0.1:8080/mesolive/", "http://127.0.0.1:8080/mesolive"),
    ("http://LOCALHOST:80", "http://localhost"),
    (" https://api.example.com/?x=1#f ", "https://api.example.com"),
    ("http://[::1]:5000/", "http://[::1]:5000"),
])
def test_one_spelling_per_server(typed: str, normal: str) -> None:
    assert normalize_url(typed) == normal
    assert World.server(typed) == World.server(normal) and World.server(typed).key == World.server(normal).key


def test_the_embedded_world_is_its_resolved_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "data")
    a = World.embedded(Path("data") / "simulator")
    assert a.locator == str((tmp_path / "data" / "simulator").resolve())
    assert World.embedded(tmp_path / "link" / "simulator") == a  # the same folder by another path
    assert World.embedded(tmp_path / "other" / "simulator") != a
    assert a.key.startswith("embedded-data-simulator-") and a.label == f"embedded simulator ({a.locator})"


def test_the_account_is_part_of_a_servers_world_and_never_shows_the_key() -> None:
    url = "https://api.example.com"
    one, two = account_fingerprint(url, "key-one-secret"), account_fingerprint(url, "key-two-secret")
    assert one != two and len(one) == 12 and account_fingerprint(url + "/", "key-one-secret") == one
    assert one != hashlib.sha256(b"key-one-secret").hexdigest()[:12]  # salted: not the key's plain hash
    worlds = {World.server(url, one), World.server(url, two), World.server(url)}
    assert len({w.key for w in worlds}) == 3
    for w in worlds:
        assert "secret" not in w.key and "secret" not in w.label


locators = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=60)


@given(locators, locators, st.sampled_from(["embedded", "server"]), st.text(max_size=12))
def test_keys_are_filesystem_safe_stable_and_distinct(a: str, b: str, kind: str, account: str) -> None:
    wa, wb = World(kind, a, account), World(kind, b, account)  # type: ignore[arg-type]
    for w in (wa, wb):
        assert SAFE.match(w.key) and len(w.key) <= 70 and w.key not in (".", "..")
        assert World(w.kind, w.locator, w.account).key == w.key
    assert (wa.key == wb.key) == (a == b)


def test_per_world_data_lives_under_the_data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = World.server("https://api.example.com")
    monkeypatch.setenv("MESODESK_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.delenv("MESODESK_DATA_DIR", raising=False)
    assert data_root(tmp_path / "cfg") == tmp_path / "cfg" / "data"  # an isolated config dir (tests)
    monkeypatch.setenv("MESODESK_DATA_DIR", str(tmp_path / "data"))  # the app: --data-dir
    assert data_root(tmp_path / "cfg") == tmp_path / "data"
    assert world_folder(world, data_root(tmp_path / "cfg")) == tmp_path / "data" / "worlds" / world.key


# --------------------------------------------------------------------------- files from before worlds
def test_a_remote_servers_old_files_are_adopted_once(tmp_path: Path) -> None:
    url = "https://API.example.com/"
    world = World.server(url, "acc")
    (tmp_path / "history-api.example.com.sqlite3").write_bytes(b"h")
    (tmp_path / "history-api.example.com.sqlite3-wal").write_bytes(b"w")
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / f"notify-cursor-{hashlib.sha1(url.encode()).hexdigest()[:12]}.json").write_text('{"LastEventSeqId": 7}')
    history = world_folder(world, tmp_path) / "history.sqlite3"
    adopt_legacy_history(world, tmp_path, history)
    assert history.read_bytes() == b"h" and Path(f"{history}-wal").read_bytes() == b"w"
    assert not (tmp_path / "history-api.example.com.sqlite3").exists()
    cursor = world_folder(world, tmp_path) / "notify-cursor.json"
    adopt_legacy_cursor(world, cfg, cursor, url)
    assert json.loads(cursor.read_text()) == {"LastEventSeqId": 7} and not list(cfg.iterdir())
    other = World.server(url, "another account")  # the first account took them
    adopt_legacy_history(other, tmp_path, world_folder(other, tmp_path) / "history.sqlite3")
    assert not world_folder(other, tmp_path).exists()


@pytest.mark.parametrize("world", [World.embedded("/data/a/simulator"), World.server("http://127.0.0.1:5000")])
def test_files_shared_by_many_worlds_are_left_alone_and_said_once(tmp_path: Path, world: World,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    local = tmp_path / "history-local.sqlite3"
    local.write_bytes(b"mixed")
    embedded = cfg / "notify-cursor-embedded.json"
    embedded.write_text('{"LastEventSeqId": 53}')
    by_url = cfg / f"notify-cursor-{hashlib.sha1(b'http://127.0.0.1:5000').hexdigest()[:12]}.json"
    by_url.write_text('{"LastEventSeqId": 9}')
    history = world_folder(world, tmp_path) / "history.sqlite3"
    cursor = world_folder(world, tmp_path) / "notify-cursor.json"
    with caplog.at_level(logging.INFO, "mesodesk.world"):
        adopt_legacy_history(world, tmp_path, history)
        adopt_legacy_cursor(world, cfg, cursor, "http://127.0.0.1:5000")
    assert not history.exists() and not cursor.exists()
    assert local.read_bytes() == b"mixed" and embedded.exists() and by_url.exists()
    said = [r.getMessage() for r in caplog.records]
    assert any("history-local.sqlite3" in m and "not using" in m for m in said)
    assert any("notify-cursor-embedded.json" in m for m in said) == (world.kind == "embedded")


def test_a_history_file_of_another_world_is_moved_aside_not_mixed(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "history.sqlite3"
    sample = (1.0, 6000.0, 10.0, 9.0, 11.0, 0.1, 0.01, -1.0, 2.0)
    store = HistoryStore(path, world_key="world-a")
    store.append(1, sample)
    store.close()
    again = HistoryStore(path, world_key="world-a")  # its own file: kept
    assert again.load(1).result(10).shape == (1, 9)
    again.close()
    with caplog.at_level(logging.WARNING, "mesodesk.history"):
        other = HistoryStore(path, world_key="world-b")
    assert other.load(1).result(10).shape == (0, 9)
    other.close()
    assert "belongs to world world-a" in caplog.text
    aside = tmp_path / "history.world-world-a.sqlite3"
    with sqlite3.connect(aside) as db:
        assert db.execute("SELECT COUNT(*) FROM samples").fetchone() == (1,)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE name = 'world'").fetchone() == ("world-b",)


# --------------------------------------------------------------------------- real simulators, real files
async def until(predicate: Callable[[], object], timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, f"condition not met within {timeout} s"
        await asyncio.sleep(0.02)


@dataclass
class Opened:
    server: SimulatorServer
    session: Session
    feed: NotificationFeed
    arrivals: list[tuple[int, Arrival]] = field(default_factory=list)

    def status(self, message: str) -> int:
        """One OnAgentStatusChange on the simulator; its EventSeqId."""
        self.server.context.agents.set_status(
            AgentStatus.Degraded if self.server.context.agents.info.status != AgentStatus.Degraded
            else AgentStatus.Connected, message)
        return int(self.server.context.events.latest_seq)

    async def delivered(self, seq: int) -> None:
        await until(lambda: any(s == seq for s, _ in self.arrivals), timeout=20)


@asynccontextmanager
async def opened(sim_dir: Path, config_dir: Path, world_of: Callable[[SimulatorServer], World],
                 seed: int = 42) -> AsyncIterator[Opened]:
    """A simulator on ``sim_dir`` and a session with its notification feed, as the console has them."""
    server = SimulatorServer(sim_dir, API_KEY, seed=seed, speed=60.0, tick_interval=0.05,
                             wire_dialect=WireDialect.from_env())
    await server.start(port=0)
    await server.context.signals.stop()  # the test makes every event
    world = world_of(server)
    session = Session(server.url, API_KEY, embedded=world.kind == "embedded", world=world)
    feed = NotificationFeed.for_session(session, config_dir)
    o = Opened(server, session, feed)
    feed.subscribe(lambda event, arrival: o.arrivals.append((event.event_seq_id, arrival)))
    feed.start()
    try:
        await session.start()
        await until(lambda: session.events.replay_count >= 1 and feed.phase() is Phase.LIVE, timeout=20)
        yield o
    finally:
        feed.close()
        await session.stop()
        await server.stop()


def embedded(server: SimulatorServer) -> World:
    return World.embedded(server.data_dir)


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One user's config and data: both worlds are opened from it, one after the other."""
    monkeypatch.setenv("MESODESK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("MESODESK_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "config"


async def _first_then_second(tmp_path: Path, config_dir: Path, second: Callable[[SimulatorServer], World]) -> None:
    async with opened(tmp_path / "a" / "simulator", config_dir, embedded) as a:
        for i in range(6):
            seq = a.status(f"world A #{i}")
        await a.delivered(seq)
    first_cursor = notify_cursor_path(config_dir, a.session.world)
    assert json.loads(first_cursor.read_text())["LastEventSeqId"] == seq >= 6
    async with opened(tmp_path / "b" / "simulator", config_dir, second, seed=7) as b:
        b.arrivals.clear()
        seqs = [b.status(f"world B #{i}") for i in range(3)]
        await b.delivered(seqs[-1])
        # world B's first events are news, whatever world A's cursor was
        assert [a for s, a in b.arrivals if s in seqs] == [Arrival.LIVE] * 3
        assert seqs[0] <= seq  # (they share numbers with world A's events)
        assert b.feed.loaded_cursor is None  # nothing of world A: a first run of world B
        assert notify_cursor_path(config_dir, b.session.world) != first_cursor
    assert json.loads(first_cursor.read_text())["LastEventSeqId"] == seq  # world A's cursor untouched


async def test_two_data_folders_never_share_a_notification_cursor(tmp_path: Path, config_dir: Path) -> None:
    await _first_then_second(tmp_path, config_dir, embedded)


async def test_the_embedded_simulator_and_a_second_server_never_share_a_cursor(tmp_path: Path,
                                                                              config_dir: Path) -> None:
    await _first_then_second(tmp_path, config_dir, lambda server: World.server(server.url, "acc"))


async def test_a_cursor_ahead_of_the_server_is_reset_and_the_first_events_are_announced(
        tmp_path: Path, config_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    sim = tmp_path / "data" / "simulator"
    world = World.embedded(sim)
    cursor = notify_cursor_path(config_dir, world)
    cursor.parent.mkdir(parents=True)
    cursor.write_text(json.dumps({"LastEventSeqId": 500}))  # the folder was deleted and made anew
    # a first run of the new folder made two events before mesodesk opened it
    server = SimulatorServer(sim, API_KEY, seed=3, wire_dialect=WireDialect.from_env())
    await server.start(port=0)
    await server.context.signals.stop()
    server.context.agents.set_status(AgentStatus.Degraded, "before mesodesk opened")
    server.context.agents.set_status(AgentStatus.Connected, "before mesodesk opened, 2")
    latest = int(server.context.events.latest_seq)
    await server.stop()
    assert latest < 500
    with caplog.at_level(logging.WARNING, "mesodesk.notify"):
        async with opened(sim, config_dir, lambda _server: world, seed=3) as o:
            replayed = list(o.arrivals)
            seqs = [o.status(f"live #{i}") for i in range(2)]
            await o.delivered(seqs[-1])
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and f"notification cursor 500 is ahead of the latest event {latest}" in warnings[0]
    assert world.label in warnings[0]
    # the history of the new world is shown as missed ("while you were away"), the rest live
    assert [s for s, a in replayed if a is Arrival.AWAY] == list(range(1, latest + 1))
    assert [(s, a) for s, a in o.arrivals if s in seqs] == [(s, Arrival.LIVE) for s in seqs]
    assert json.loads(cursor.read_text()) == {"LastEventSeqId": seqs[-1]}
