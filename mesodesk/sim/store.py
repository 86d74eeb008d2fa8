"""SQLite persistence for the simulator.

Every entity is stored as its wire JSON (the contract model) plus the few
columns the simulator filters on. The database runs in WAL mode with
``synchronous=FULL``: a write is acknowledged to a client only after its
transaction committed, so a ``kill -9`` loses no acknowledged write.

A new database is created under a temporary name and moved into place once its
schema committed, so the file at :attr:`Store.path` is never one we left empty: an
existing file that is empty, not SQLite, damaged or not a simulator database is
refused with :class:`StorageError` (one line: the file, what is wrong, what to do)
and left unchanged. A write that finds the disk full raises :class:`StorageFull`
(logged once, then every few minutes while it lasts) and leaves nothing half-applied.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from mesodesk.contract import dumps, loads

M = TypeVar("M", bound=BaseModel)

log = logging.getLogger("mesodesk.sim.store")

SQLITE_HEADER = b"SQLite format 3\x00"
#: a full disk is logged once, then at most this often (seconds) while writes keep failing
FULL_LOG_INTERVAL = 300.0

# table -> (key column type, extra indexed columns)
TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "accounts": ("TEXT", ()),
    "agents": ("TEXT", ()),
    "strategies": ("INTEGER", ()),
    "exec_plans": ("INTEGER", ("position_id",)),
    "positions": ("INTEGER", ("strategy_id", "account_id", "exec_plan_id")),
    "legs": ("INTEGER", ("position_id",)),
    "orders": ("INTEGER", ("exec_plan_id",)),
    "executions": ("INTEGER", ("order_id",)),
    "jobs": ("TEXT", ()),
    "idempotency": ("TEXT", ()),
    "events": ("INTEGER", ("strategy_id",)),
}

SCHEMA_VERSION = 1


class StorageError(Exception):
    """The database cannot be used. The message is one line: the file, what is wrong, what to do."""


class StorageFull(StorageError):
    """A write failed because the disk (or the database's size limit) is full; nothing of it was applied."""


def _refused(path: Path, problem: str) -> StorageError:
    return StorageError(f"the simulator database {path} {problem}; it was left unchanged: move it away "
                        "(or delete it to start a new simulated world) or choose another data folder")


def _cannot_open(path: Path, exc: sqlite3.Error) -> StorageError:
    """``exc`` (raised while opening ``path``) as one line saying what to do."""
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith("SQLITE_FULL"):
        return StorageFull(f"storage full: cannot open the simulator database {path} ({exc}); free disk space")
    if name.startswith("SQLITE_NOTADB"):
        return _refused(path, f"is not an SQLite database ({exc})")
    if name.startswith("SQLITE_CORRUPT"):
        return _refused(path, f"is damaged ({exc})")
    return StorageError(f"cannot open the simulator database {path} ({exc}): the folder and the file must "
                        "be readable and writable (SQLite keeps its journal next to the file); fix the "
                        "permissions or choose another data folder")


class Store:
    """A small document store over one SQLite file (``":memory:"`` for a throwaway one)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path) if str(path) != ":memory:" else path
        self._lock = threading.RLock()
        self._depth = 0
        self._after_commit: list[Callable[[], None]] = []
        self._after_rollback: list[Callable[[], None]] = []
        self._full_logged_at: float | None = None
        self._full_refused = 0
        existing = isinstance(self.path, Path) and self.path.exists()
        self._db: sqlite3.Connection
        if existing:
            self._check_existing(Path(path))
        elif isinstance(self.path, Path):
            self._create_file(self.path)
        try:
            self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
            if existing:  # checked before the first write (switching to WAL writes to the file)
                self._check_contents(Path(path))
            self._set_pragmas()
            self._create()
        except BaseException as exc:
            with contextlib.suppress(AttributeError, sqlite3.Error):
                self._db.close()  # a WAL file's -wal/-shm go with it
            if isinstance(exc, sqlite3.Error):
                raise _cannot_open(Path(path), exc) from exc
            raise

    def _set_pragmas(self) -> None:
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")

    @staticmethod
    def _check_existing(path: Path) -> None:
        """Refuse, without opening it with SQLite, a file that cannot be one of our databases."""
        if path.is_dir():
            raise StorageError(f"the simulator database {path} is a folder, not a file; move it away or "
                               "choose another data folder")
        try:
            with open(path, "rb") as f:
                header = f.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise StorageError(f"cannot read the simulator database {path} ({exc.strerror or exc}); fix its "
                               "permissions or choose another data folder") from exc
        if not header:
            raise _refused(path, "is empty (0 bytes; a database this simulator made never is)")
        if header != SQLITE_HEADER:
            raise _refused(path, "is not an SQLite database")

    def _check_contents(self, path: Path) -> None:
        """Refuse a damaged file or another program's database before writing anything to it."""
        problems = [" ".join(str(row[0]).split()) for row in self._db.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            raise _refused(path, f"is damaged ({'; '.join(problems)})")
        tables = {str(row[0]) for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = self.meta_get("schema_version") if "meta" in tables else None
        if version is None:
            raise _refused(path, "is an SQLite database but not a simulator database")
        if not version.isdigit() or int(version) > SCHEMA_VERSION:
            raise _refused(path, f"has schema version {version}, newer than this mesodesk understands "
                                 f"({SCHEMA_VERSION}); update mesodesk")

    def _create_file(self, path: Path) -> None:
        """Create an empty database under a temporary name and move it into place."""
        new = path.with_name(path.name + ".new")
        for leftover in (new, new.with_name(new.name + "-wal"), new.with_name(new.name + "-shm")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        try:
            self._db = sqlite3.connect(str(new), isolation_level=None, check_same_thread=False)
            try:
                self._set_pragmas()
                self._create()
            finally:
                self._db.close()
            try:  # a link never replaces a database another simulator created meanwhile
                os.link(new, path)
            except FileExistsError:
                pass
            except OSError:  # a file system without hard links
                os.replace(new, path)
            with contextlib.suppress(FileNotFoundError):
                new.unlink()
        except (sqlite3.Error, OSError) as exc:
            with contextlib.suppress(OSError):
                new.unlink()
            if isinstance(exc, sqlite3.Error):
                raise _cannot_open(path, exc) from exc
            raise StorageError(f"cannot create the simulator database {path} ({exc.strerror or exc}); "
                               "fix the folder's permissions or choose another data folder") from exc
        with contextlib.suppress(OSError):  # the rename survives a power loss
            folder = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)

    def _create(self) -> None:
        with self.tx():
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            for table, (key_type, columns) in TABLES.items():
                extra = "".join(f", {c}" for c in columns)
                self._db.execute(
                    f"CREATE TABLE IF NOT EXISTS {table} (id {key_type} PRIMARY KEY{extra}, data TEXT NOT NULL)"
                )
                for column in columns:
                    self._db.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_{column} ON {table}({column})")
            if self.meta_get("schema_version") is None:
                self.meta_set("schema_version", str(SCHEMA_VERSION))

    @contextmanager
    def tx(self) -> Iterator[None]:
        """A (re-entrant) write transaction; commits when the outermost block exits."""
        with self._lock:
            if self._depth == 0:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException as exc:
                self._depth -= 1
                if self._depth == 0:
                    self._rollback()
                if isinstance(exc, sqlite3.Error) and self._is_full(exc):
                    raise self._storage_full(exc) from exc
                raise
            self._depth -= 1
            if self._depth == 0:
                try:
                    self._db.execute("COMMIT")
                except sqlite3.Error as exc:  # e.g. the disk filled up while writing the journal
                    self._rollback()
                    if self._is_full(exc):
                        raise self._storage_full(exc) from exc
                    raise
                self._after_rollback.clear()
                callbacks, self._after_commit = self._after_commit, []
                for callback in callbacks:
                    callback()

    def _rollback(self) -> None:
        """End the failed transaction (SQLite may have rolled it back already) and undo in-memory state."""
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
        self._after_commit.clear()
        callbacks, self._after_rollback = self._after_rollback, []
        for callback in callbacks:
            callback()

    @staticmethod
    def _is_full(exc: sqlite3.Error) -> bool:
        return str(getattr(exc, "sqlite_errorname", "")).startswith("SQLITE_FULL")

    def _storage_full(self, exc: sqlite3.Error) -> StorageFull:
        """The error a write reports on a full disk; logged once, then at most every
        :data:`FULL_LOG_INTERVAL` seconds with the number of writes refused meanwhile."""
        self._full_refused += 1
        now = time.monotonic()
        if self._full_logged_at is None or now - self._full_logged_at >= FULL_LOG_INTERVAL:
            self._full_logged_at = now
            log.error("storage full: cannot write to %s (%s); %d change(s) refused%s; free disk space",
                      self.path, exc, self._full_refused, "" if self._full_refused == 1 else " since the last message")
            self._full_refused = 0
        return StorageFull(f"storage full: the simulator could not save this change ({exc}); nothing of it "
                           "was applied; free disk space on its data folder and retry")

    def after_rollback(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` if the current transaction rolls back (to undo in-memory state)."""
        with self._lock:
            if self._depth > 0 and callback not in self._after_rollback:
                self._after_rollback.append(callback)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the current transaction commits (at once outside one);
        dropped if it rolls back. Use it to publish what a transaction wrote."""
        with self._lock:
            if self._depth == 0:
                callback()
            else:
                self._after_commit.append(callback)

    # -- meta and counters -------------------------------------------------
    def meta_get(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def meta_set(self, key: str, value: str) -> None:
        with self.tx():
            self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def next_id(self, counter: str, start: int = 1) -> int:
        """Allocate the next integer id of ``counter`` (inside the caller's transaction)."""
        with self.tx():
            current = self.meta_get(f"seq:{counter}")
            value = start if current is None else int(current) + 1
            self.meta_set(f"seq:{counter}", str(value))
            return value

    # -- documents -----------------------------------------------------------
    def put(self, table: str, key: Any, model: BaseModel | dict[str, Any], **index: Any) -> None:
        columns = TABLES[table][1]
        unknown = set(index) - set(columns)
        if unknown:
            raise KeyError(f"{table} has no indexed columns {sorted(unknown)}")
        names = ["id", *columns, "data"]
        values = [key, *(index.get(c) for c in columns), dumps(model).decode()]
        placeholders = ", ".join("?" for _ in names)
        with self.tx():
            self._db.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(names)}) VALUES ({placeholders})", values)

    def delete(self, table: str, key: Any) -> None:
        with self.tx():
            self._db.execute(f"DELETE FROM {table} WHERE id = ?", (key,))

    def get(self, table: str, key: Any, model: type[M]) -> M | None:
        row = self._db.execute(f"SELECT data FROM {table} WHERE id = ?", (key,)).fetchone()
        return None if row is None else model.model_validate(loads(row[0]))

    def load_all(self, table: str, model: type[M]) -> dict[Any, M]:
        rows = self._db.execute(f"SELECT id, data FROM {table} ORDER BY id").fetchall()
        return {key: model.model_validate(loads(data)) for key, data in rows}

    def raw_rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return list(self._db.execute(sql, params).fetchall())

    def integrity_check(self) -> str:
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
