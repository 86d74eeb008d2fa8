"""The notification history on disk, one file per world (Qt-free).

Every entry of the notification center -- its event, the text it showed (a folded
flapping signal says "flipped 14× …"), the events folded into it, read or not,
"while you were away" or not -- is kept in ``<data root>/worlds/<world key>/notifications.sqlite3``
(:func:`history_path`), so the history survives a restart and never mixes worlds.

One worker thread owns the SQLite connection: it first reads the stored entries
(:attr:`~NotificationHistory.loaded`, a Future: oldest first, in time order; reading and
describing 2,000 entries takes ~0.3 s, which the GUI thread never waits for), then writes
what :meth:`~NotificationHistory.put` and :meth:`~NotificationHistory.clear` queued (under a
lock, cheap for the caller) in one transaction every ``flush_interval`` seconds and at
:meth:`~NotificationHistory.close`. The file keeps the
newest ``limit`` entries. A file that cannot be read is moved aside with one WARNING and a
new history starts; a failed write is logged once and the history goes on in memory.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import sqlite3
import threading
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from mesodesk.contract import EVENT_CALLBACKS, MesoLiveEvent, dumps
from mesodesk.core.notices import Notice, Severity, describe
from mesodesk.core.world import World, data_root, world_folder

log = logging.getLogger("mesodesk.notify")

__all__ = ["HISTORY_FILE", "NotificationHistory", "history_path"]

#: the notification history's file in its world's folder
HISTORY_FILE = "notifications.sqlite3"
DEFAULT_LIMIT = 2000

_SCHEMA = """CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY,
    time TEXT NOT NULL,
    seq INTEGER NOT NULL,
    received TEXT NOT NULL,
    callback TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    severity TEXT NOT NULL,
    away INTEGER NOT NULL,
    read INTEGER NOT NULL,
    event BLOB NOT NULL,
    folded BLOB NOT NULL
)"""
_COLUMNS = ("key", "time", "seq", "received", "callback", "title", "body", "severity", "away", "read", "event",
            "folded")


def history_path(config_dir: str | os.PathLike[str], world: World) -> Path:
    """``<data root>/worlds/<world key>/notifications.sqlite3`` (:func:`mesodesk.core.world.data_root`)."""
    return world_folder(world, data_root(config_dir)) / HISTORY_FILE


def _event_json(notice: Notice) -> bytes:
    return orjson.dumps({"callback": notice.callback, "event": orjson.loads(dumps(notice.event))})


def _event_of(blob: bytes) -> tuple[str, MesoLiveEvent]:
    data = orjson.loads(blob)
    callback = str(data["callback"])
    return callback, EVENT_CALLBACKS[callback].model.model_validate(data["event"])


def _row(notice: Notice) -> tuple[Any, ...]:
    folded = orjson.dumps([orjson.loads(_event_json(f)) for f in notice.folded])
    return (notice.key, notice.time.astimezone(UTC).isoformat(), notice.seq,
            notice.received.astimezone(UTC).isoformat(), notice.callback, notice.title, notice.body,
            notice.severity.value, int(notice.away), int(notice.read), _event_json(notice), folded)


def _notice(row: sqlite3.Row) -> Notice:
    """The entry as it was shown: the event described again (target, level key), its stored text on top."""
    _callback, event = _event_of(row["event"])
    notice = describe(event)
    notice.key, notice.seq = row["key"], int(row["seq"])
    notice.title, notice.body = row["title"], row["body"]
    notice.severity = Severity(row["severity"])
    notice.time = datetime.fromisoformat(row["time"])
    notice.received = datetime.fromisoformat(row["received"])
    notice.away, notice.read = bool(row["away"]), bool(row["read"])
    notice.actions = ()  # an old entry's buttons would act on what was true then
    for data in orjson.loads(row["folded"]):
        folded = describe(EVENT_CALLBACKS[data["callback"]].model.model_validate(data["event"]))
        notice.folded.append(folded)
    if notice.folded:
        notice.level_on = notice.folded[-1].level_on
    return notice


class NotificationHistory:
    """The notification center's entries in a SQLite file, written by one worker thread."""

    def __init__(self, path: str | os.PathLike[str], *, limit: int = DEFAULT_LIMIT,
                 flush_interval: float = 1.0) -> None:
        self.path = Path(path)
        self.limit = limit
        self.flush_interval = flush_interval
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[Any, ...]] = {}
        self._cleared = False
        self._commands: queue.Queue[tuple[str, Future[Any] | None]] = queue.Queue()
        self._write_failed = False
        self._closed = False
        self.writes = 0  # transactions committed
        self._db = self._open()
        #: the entries stored when the file was opened, oldest first; read by the worker (it owns the file)
        self.loaded: Future[list[Notice]] = Future()
        self._thread = threading.Thread(target=self._run, name="mesodesk-notify-history", daemon=True)
        self._thread.start()

    @classmethod
    def for_world(cls, config_dir: str | os.PathLike[str], world: World, **kwargs: Any) -> NotificationHistory:
        return cls(history_path(config_dir, world), **kwargs)

    # -- caller side -------------------------------------------------------------------------
    def load(self, timeout: float | None = 30.0) -> list[Notice]:
        """:attr:`loaded`, waited for: the entries stored when the file was opened, oldest first
        (by time, then ``EventSeqId``). The UI takes :attr:`loaded`'s callback instead of waiting."""
        return list(self.loaded.result(timeout))

    def _read(self) -> list[Notice]:
        rows = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM entries").fetchall()
        notices: list[Notice] = []
        skipped = 0
        for row in rows:
            try:
                notices.append(_notice(row))
            except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
                skipped += 1
        if skipped:
            log.warning("%d notification history entries of %s could not be read (a newer version's?): skipped",
                        skipped, self.path)
        notices.sort(key=lambda n: (n.time, n.seq))
        return notices[-self.limit:] if self.limit else notices

    def put(self, notice: Notice) -> None:
        """Store ``notice`` as it is now (new, folded into, read): written on the next flush."""
        row = _row(notice)
        with self._lock:
            self._pending[notice.key] = row

    def clear(self) -> None:
        """Forget every stored entry (and what was queued)."""
        with self._lock:
            self._pending.clear()
            self._cleared = True

    def flush(self) -> Future[int]:
        """Write what is queued now; the Future resolves with the number of rows written."""
        fut: Future[int] = Future()
        if self._closed:
            fut.set_result(0)
            return fut
        self._commands.put(("flush", fut))
        return fut

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued and close the file."""
        if self._closed:
            return
        self._closed = True
        self._commands.put(("close", None))
        self._thread.join(timeout)

    # -- the file ---------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, check_same_thread=False)  # loaded here, then only the worker uses it
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(_SCHEMA)
        db.execute("CREATE INDEX IF NOT EXISTS entries_time ON entries (time, seq)")
        db.commit()
        return db

    def _open(self) -> sqlite3.Connection:
        """Open (or make) the file; one that is not a readable history is moved aside."""
        try:
            db = self._connect()
            db.execute("SELECT count(*) FROM entries").fetchone()
            return db
        except sqlite3.DatabaseError as exc:
            aside = self.path.with_name(f"{self.path.stem}.unreadable{self.path.suffix}")
            log.warning("notification history %s cannot be read (%s): moved to %s; starting a new history",
                        self.path, exc, aside.name)
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.replace(f"{self.path}{suffix}", f"{aside}{suffix}")
            return self._connect()

    # -- worker side -------------------------------------------------------------------------------
    def _run(self) -> None:
        db = self._db
        try:
            try:
                self.loaded.set_result(self._read())
            except Exception as exc:  # an unreadable file was moved aside at open; this is a bug: say it
                self.loaded.set_exception(exc)
            while True:
                try:
                    command, fut = self._commands.get(timeout=self.flush_interval)
                except queue.Empty:
                    self._write(db)
                    continue
                written = self._write(db)
                if fut is not None:
                    fut.set_result(written)
                if command == "close":
                    break
        finally:
            with contextlib.suppress(sqlite3.Error):
                db.close()

    def _write(self, db: sqlite3.Connection) -> int:
        with self._lock:
            rows, self._pending = list(self._pending.values()), {}
            cleared, self._cleared = self._cleared, False
        if not rows and not cleared:
            return 0
        try:
            with db:
                if cleared:
                    db.execute("DELETE FROM entries")
                db.executemany(f"INSERT OR REPLACE INTO entries ({', '.join(_COLUMNS)}) "
                               f"VALUES ({', '.join('?' * len(_COLUMNS))})", rows)
                if self.limit:
                    db.execute("DELETE FROM entries WHERE key NOT IN "
                               "(SELECT key FROM entries ORDER BY time DESC, seq DESC LIMIT ?)", (self.limit,))
        except sqlite3.Error as exc:
            if not self._write_failed:
                self._write_failed = True
                log.warning("could not write the notification history %s: %s (kept in memory only)",
                            self.path, exc)
            return 0
        self.writes += 1
        return len(rows)
