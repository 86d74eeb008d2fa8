"""The simulator's SQLite file when something is wrong with it: damaged, empty, another program's,
a folder; and a full disk. Real files throughout.

A file the simulator cannot use is refused with one :class:`StorageError` line naming the file and
what is wrong, and is left byte for byte as it was (never reseeded). A full disk is answered with a
"storage full" error (code ``StorageFull``), logged once, and nothing of the refused write stays,
neither in the file nor in memory.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesodesk.contract import LiveStrategy, StatusCode
from mesodesk.sdk import MesoLiveApiException, MesoLiveControlHubClient
from mesodesk.sim.seed import load_strategy_definition
from mesodesk.sim.server import DB_NAME, SimulatorServer
from mesodesk.sim.store import StorageError, StorageFull, Store
from mesodesk.sim.world import World
from tests.sim.test_orders import API_KEY


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a freshly seeded simulator database (closed cleanly: no WAL beside it)."""
    folder = tmp_path_factory.mktemp("seeded")
    server = SimulatorServer(folder, API_KEY, seed=5)
    server.store.close()
    return (folder / DB_NAME).read_bytes()


def _other_program(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    db.execute("INSERT INTO notes (text) VALUES ('mine')")
    db.commit()
    db.close()


def _newer_schema(path: Path) -> None:
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.commit()
    db.close()


@pytest.mark.parametrize(("make", "words"), [
    (lambda p, seeded: p.write_bytes(b""), "is empty (0 bytes"),
    (lambda p, seeded: p.write_bytes(os.urandom(8192)), "is not an SQLite database"),
    (lambda p, seeded: p.write_text("name,qty\nSPX,1\n"), "is not an SQLite database"),
    (lambda p, seeded: p.write_bytes(seeded[: len(seeded) // 2]), "is damaged"),
    (lambda p, seeded: p.write_bytes(seeded[:100]), "is damaged"),
    (lambda p, seeded: _other_program(p), "is an SQLite database but not a simulator database"),
    (lambda p, seeded: _newer_schema(p), "has schema version 99"),
], ids=["zero-length", "garbage", "text", "truncated-half", "header-only", "other-program", "newer-schema"])
def test_an_unusable_file_is_refused_in_one_line_and_left_unchanged(tmp_path: Path, seeded_db: bytes,
                                                                     make: object, words: str) -> None:
    path = tmp_path / DB_NAME
    make(path, seeded_db)  # type: ignore[operator]
    before, listing = path.read_bytes(), sorted(os.listdir(tmp_path))
    with pytest.raises(StorageError) as info:
        SimulatorServer(tmp_path, API_KEY, seed=5)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and words in message, message
    assert "left unchanged" in message and "choose another data folder" in message
    assert path.read_bytes() == before  # never reseeded, never switched to WAL
    assert sorted(os.listdir(tmp_path)) == listing


def test_a_folder_in_place_of_the_database_is_refused(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).mkdir()
    with pytest.raises(StorageError, match=r"is a folder, not a file"):
        Store(tmp_path / DB_NAME)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_a_read_only_folder_is_refused_in_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(StorageError) as info:
            Store(folder / DB_NAME)
        assert "\n" not in str(info.value) and str(folder / DB_NAME) in str(info.value)
    finally:
        folder.chmod(0o755)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=10**9))
def test_a_truncated_copy_is_refused_or_holds_the_same_world(tmp_path_factory: pytest.TempPathFactory,
                                                             seeded_db: bytes, cut: int) -> None:
    """A copy cut short anywhere: refused and unchanged, or (only when the lost bytes did not
    matter) it opens with every strategy, account and position of the original."""
    cut %= len(seeded_db)
    folder = tmp_path_factory.mktemp("cut")
    original = folder / "original.sqlite3"
    original.write_bytes(seeded_db)
    expected = World(Store(original))
    path = folder / DB_NAME
    path.write_bytes(seeded_db[:cut])
    try:
        store = Store(path)
    except StorageError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)
        assert path.read_bytes() == seeded_db[:cut]
        return
    assert store.integrity_check() == "ok"
    world = World(store)
    assert world.strategies == expected.strategies and world.accounts == expected.accounts
    assert world.positions == expected.positions and world.legs == expected.legs


def test_a_new_database_appears_whole(tmp_path: Path) -> None:
    """Created under a temporary name and renamed: the file at the database's path is never an
    empty one we left (an empty file there is refused, so this must hold). A leftover of an
    interrupted creation is discarded."""
    path = tmp_path / DB_NAME
    leftover = tmp_path / (DB_NAME + ".new")
    leftover.write_bytes(b"half-made")
    store = Store(path)
    assert not leftover.exists()
    assert path.read_bytes()[:16] == b"SQLite format 3\x00"
    assert store.meta_get("schema_version") == "1"
    store.close()
    Store(path).close()  # and it opens again


# -- a full disk -----------------------------------------------------------------------------
def _fill_up(store: Store) -> None:
    """No page beyond the ones the file has: SQLite answers SQLITE_FULL, as on a full disk."""
    pages = store.raw_rows("PRAGMA page_count")[0][0]
    store.raw_rows(f"PRAGMA max_page_count = {pages}")


def _make_room(store: Store) -> None:
    store.raw_rows("PRAGMA max_page_count = 1073741823")


async def test_a_full_disk_says_storage_full_logs_once_and_keeps_nothing_of_the_refused_write(
        simulator: SimulatorServer, api_key: str, caplog: pytest.LogCaptureFixture) -> None:
    store = simulator.store
    definition = load_strategy_definition("spx_iron_condor.json")
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        _fill_up(store)
        caplog.set_level(logging.INFO, logger="mesodesk.sim")
        failures: list[MesoLiveApiException] = []
        created = 0
        for _ in range(200):  # the last pages fill up after a few strategies
            try:
                await control.create_strategy(strategy_definition=definition, name=f"S{created}")
                created += 1
            except MesoLiveApiException as exc:
                failures.append(exc)
                if len(failures) == 3:
                    break
        assert len(failures) == 3, f"never full after {created} strategies"
        for failure in failures:
            assert failure.status == StatusCode.InternalError
            assert failure.error.code == "StorageFull", failure.error
            assert (failure.message or "").startswith("storage full: "), failure.message
        full_logs = [r for r in caplog.records if r.name == "mesodesk.sim.store" and r.levelno >= logging.ERROR]
        assert len(full_logs) == 1 and "storage full" in full_logs[0].getMessage()

        # what clients see is what the file holds: the refused strategies are nowhere
        listed = {s.id: s.name for s in (await control.list_strategies(limit=1000)).items}
        on_disk = {key: LiveStrategy.model_validate_json(data).name
                   for key, data in store.raw_rows("SELECT id, data FROM strategies")}
        assert listed == on_disk and len(listed) == 3 + created

        # the market keeps ticking (its clock is saved every 40 ticks) without a traceback per tick
        version = simulator.ticker.version
        while simulator.ticker.version < version + 81:
            await simulator.ticker.wait_newer(simulator.ticker.version)
        assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]
        assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1

        _make_room(store)
        again = await control.create_strategy(strategy_definition=definition, name="after")
        assert again.id in {key for (key,) in store.raw_rows("SELECT id FROM strategies")}


def test_a_failed_commit_leaves_memory_equal_to_the_file_and_the_store_usable(tmp_path: Path) -> None:
    """When COMMIT itself fails (as on a full disk while the journal is written) the transaction
    is rolled back, the in-memory world re-read, and the next write works. A deferred foreign key
    makes COMMIT fail on demand; SQLite keeps such a transaction open, as it may on SQLITE_FULL."""
    store = Store(tmp_path / DB_NAME)
    world = World(store)
    store.raw_rows("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    store.raw_rows("CREATE TABLE child (parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)")
    definition = load_strategy_definition("spx_iron_condor.json")

    def strategy(sid: int) -> LiveStrategy:
        return LiveStrategy(id=sid, name=f"S{sid}", strategy_definition=definition,
                            created_at="2026-01-02T00:00:00Z")  # type: ignore[arg-type]

    with pytest.raises(sqlite3.IntegrityError), store.tx():
        world.save_strategy(strategy(1))
        store.raw_rows("INSERT INTO child VALUES (42)")  # checked at COMMIT
    assert world.strategies == store.load_all("strategies", LiveStrategy) == {}
    world.save_strategy(strategy(2))  # the store is not stuck inside the failed transaction
    assert set(store.load_all("strategies", LiveStrategy)) == set(world.strategies) == {2}


def test_storage_full_is_logged_once_then_every_few_minutes(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / DB_NAME)
    _fill_up(store)
    caplog.set_level(logging.INFO, logger="mesodesk.sim.store")

    def errors() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]

    for i in range(5):
        with pytest.raises(StorageFull, match=r"^storage full: "):
            store.put("events", i, {"blob": "x" * 20_000})
    store.put("events", 1, {"blob": ""})  # a small write still fits between the refused ones
    with pytest.raises(StorageFull):
        store.put("events", 2, {"blob": "x" * 20_000})
    assert len(errors()) == 1 and "1 change(s) refused" in errors()[0]
    assert store.raw_rows("SELECT id FROM events") == [(1,)]
    monkeypatch.setattr("mesodesk.sim.store.FULL_LOG_INTERVAL", 0.0)  # "a few minutes later"
    with pytest.raises(StorageFull):
        store.put("events", 3, {"blob": "x" * 20_000})
    assert len(errors()) == 2 and "6 change(s) refused since the last message" in errors()[1]
