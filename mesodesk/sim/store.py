"""SQLite persistence for the simulator.

Every entity is stored as its wire JSON (the contract model) plus the few
columns the simulator filters on. The database runs in WAL mode with
``synchronous=FULL``: a write is acknowledged to a client only after its
transaction committed, so a ``kill -9`` loses no acknowledged write.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from mesodesk.contract import dumps, loads

M = TypeVar("M", bound=BaseModel)

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


class Store:
    """A small document store over one SQLite file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path) if str(path) != ":memory:" else path
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._depth = 0
        self._after_commit: list[Callable[[], None]] = []
        self._after_rollback: list[Callable[[], None]] = []
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._create()

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
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._db.execute("ROLLBACK")
                    self._after_commit.clear()
                    callbacks, self._after_rollback = self._after_rollback, []
                    for callback in callbacks:
                        callback()
                raise
            self._depth -= 1
            if self._depth == 0:
                self._db.execute("COMMIT")
                self._after_rollback.clear()
                callbacks, self._after_commit = self._after_commit, []
                for callback in callbacks:
                    callback()

    def after_rollback(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` if the current transaction rolls back (to undo in-memory state)."""
        with self._lock:
            if self._depth > 0:
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
