"""Per-position time series: fixed-size ring buffers in memory, SQLite history on disk.

Qt-free. The chart side polls :class:`SeriesRecorder` once per frame; it samples
every position whose streamed row changed (``PositionRow.updates``), appends one
row to that position's :class:`RingBuffer` and hands the sample to the
:class:`HistoryStore`, whose single worker thread owns the SQLite connection and
writes batches (once a second by default). Nothing blocks on SQLite in the caller:
``append`` only takes a lock and extends a list; ``load`` returns a Future.

A sample row holds the :data:`FIELDS` as float64 (NaN where the stream had no
value); ``t`` is the server timestamp in epoch seconds (the simulator's market
clock, which may run faster than the wall clock). Position ids mean something only
inside one world (:mod:`mesodesk.core.world`): one file per world, stamped with its key.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger("mesodesk.history")

FloatArray = npt.NDArray[np.float64]

#: stored columns, in order
FIELDS = ("t", "underlying", "pnl", "pnl_bid", "pnl_ask", "delta", "gamma", "theta", "vega")
#: in-memory columns: the stored ones plus the intra-trade drawdown (max PnL so far - PnL)
COLUMNS = (*FIELDS, "drawdown")
COL = {name: i for i, name in enumerate(COLUMNS)}
DEFAULT_CAPACITY = 50_000


# --------------------------------------------------------------------------- ring buffer
class RingBuffer:
    """A fixed-capacity 2-D float64 ring: appends overwrite the oldest rows when full.

    Storage is a linear area of twice the capacity: rows are appended at the end and,
    when the end is reached, the newest ``capacity`` rows are moved to the front (one
    copy per ``capacity`` appends, amortised O(1) per row). So ``view()`` is always a
    contiguous slice — never a copy — and a chart can redraw a full buffer every frame.
    """

    def __init__(self, capacity: int, width: int = len(COLUMNS)) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.capacity = int(capacity)
        self.width = int(width)
        self._data = np.full((2 * self.capacity, self.width), np.nan, dtype=np.float64)
        self._end = 0  # one past the newest row in _data
        self._size = 0
        self.total = 0  # rows ever appended

    def __len__(self) -> int:
        return self._size

    def clear(self) -> None:
        self._end = self._size = 0

    def _make_room(self, rows: int) -> None:
        if self._end + rows > self._data.shape[0]:
            keep = min(self._size, self.capacity - rows)
            self._data[:keep] = self._data[self._end - keep:self._end]
            self._end = self._size = keep

    def append(self, row: Iterable[float] | FloatArray) -> None:
        self._make_room(1)
        self._data[self._end] = np.asarray(row, dtype=np.float64)
        self._end += 1
        self._size = min(self._size + 1, self.capacity)
        self.total += 1

    def extend(self, rows: FloatArray) -> None:
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, self.width)
        n = rows.shape[0]
        self.total += n
        if n >= self.capacity:
            self._data[: self.capacity] = rows[-self.capacity:]
            self._end = self._size = self.capacity
            return
        self._make_room(n)
        self._data[self._end:self._end + n] = rows
        self._end += n
        self._size = min(self._size + n, self.capacity)

    def view(self) -> FloatArray:
        """The rows oldest-first, as a read-only view (no copy)."""
        out = self._data[self._end - self._size:self._end]
        out.flags.writeable = False
        return out

    def column(self, name: str) -> FloatArray:
        return self.view()[:, COL[name]]

    def last(self) -> FloatArray | None:
        if not self._size:
            return None
        row: FloatArray = self._data[self._end - 1]
        return row


def with_drawdown(rows: FloatArray, peak: float = -math.inf) -> tuple[FloatArray, float]:
    """``rows`` (FIELDS columns) plus a drawdown column from the running PnL maximum."""
    rows = np.asarray(rows, dtype=np.float64).reshape(-1, len(FIELDS))
    pnl = rows[:, COL["pnl"]]
    filled = np.where(np.isnan(pnl), -np.inf, pnl)
    running = np.maximum.accumulate(np.concatenate(([peak], filled)))[1:]
    with np.errstate(invalid="ignore"):
        dd = np.where(np.isfinite(running) & ~np.isnan(pnl), running - pnl, np.nan)
    new_peak = float(running[-1]) if running.size else peak
    return np.column_stack((rows, dd)), new_peak


# --------------------------------------------------------------------------- sampling
def _f(value: Any) -> float:
    return math.nan if value is None else float(value)


def sample_of(row: Any) -> tuple[float, ...] | None:
    """One :data:`FIELDS` sample of a ``PositionRow`` (None when it has no time yet)."""
    data = getattr(row, "data", None)
    when = getattr(data, "timestamp", None) if data is not None else None
    when = when or getattr(row, "received_at", None)
    if when is None:
        return None
    pnl = row._pnl()
    bid = getattr(pnl, "bid", None) if pnl is not None else None
    ask = getattr(pnl, "ask", None) if pnl is not None else None
    return (
        when.timestamp(), _f(row.underlying_price), _f(row.pnl_mark), _f(bid), _f(ask),
        _f(row.greek("delta")), _f(row.greek("gamma")), _f(row.greek("theta")), _f(row.greek("vega")),
    )


class SeriesRecorder:
    """Every position's recent series in ring buffers, fed by polling the state rows."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, store: HistoryStore | None = None) -> None:
        self.capacity = capacity
        self.store = store
        self.buffers: dict[int, RingBuffer] = {}
        self.peaks: dict[int, float] = {}
        self._seen: dict[int, int] = {}
        self.loaded: set[int] = set()
        self.samples = 0

    def buffer(self, position_id: int) -> RingBuffer:
        buf = self.buffers.get(position_id)
        if buf is None:
            buf = self.buffers[position_id] = RingBuffer(self.capacity)
        return buf

    def poll(self, rows: Iterable[Any]) -> set[int]:
        """Sample every row whose ``updates`` counter moved; returns the changed position ids."""
        changed: set[int] = set()
        for row in rows:
            updates = getattr(row, "updates", 0)
            if not updates or self._seen.get(row.id) == updates:
                continue
            self._seen[row.id] = updates
            sample = sample_of(row)
            if sample is not None and self.record(row.id, sample):
                changed.add(row.id)
        return changed

    def record(self, position_id: int, sample: tuple[float, ...]) -> bool:
        buf = self.buffer(position_id)
        last = buf.last()
        if last is not None and sample[0] <= last[0]:
            return False  # same server snapshot again (or out of order)
        pnl = sample[COL["pnl"]]
        peak = self.peaks.get(position_id, -math.inf)
        if not math.isnan(pnl):
            peak = max(peak, pnl)
            self.peaks[position_id] = peak
        dd = peak - pnl if math.isfinite(peak) and not math.isnan(pnl) else math.nan
        buf.append((*sample, dd))
        self.samples += 1
        if self.store is not None:
            self.store.append(position_id, sample)
        return True

    def merge_history(self, position_id: int, history: FloatArray) -> None:
        """Put stored samples older than the in-memory ones in front of them (recomputing drawdown)."""
        self.loaded.add(position_id)
        history = np.asarray(history, dtype=np.float64).reshape(-1, len(FIELDS))
        buf = self.buffer(position_id)
        live = buf.view()[:, : len(FIELDS)]
        if live.shape[0]:
            history = history[history[:, 0] < live[0, 0]]
        rows = np.concatenate((history, live)) if history.shape[0] else live.copy()
        full, peak = with_drawdown(rows)
        buf.clear()
        buf.extend(full)
        if math.isfinite(peak):
            self.peaks[position_id] = peak

    def drawdown(self, position_id: int) -> float | None:
        buf = self.buffers.get(position_id)
        last = buf.last() if buf is not None else None
        if last is None or math.isnan(last[COL["drawdown"]]):
            return None
        return float(last[COL["drawdown"]])

    def max_drawdown(self, position_id: int) -> float | None:
        buf = self.buffers.get(position_id)
        if buf is None or not len(buf):
            return None
        dd = buf.column("drawdown")
        return None if np.all(np.isnan(dd)) else float(np.nanmax(dd))


# --------------------------------------------------------------------------- SQLite store
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS samples (
    position_id INTEGER NOT NULL,
    {", ".join(f"{name} REAL" for name in FIELDS)},
    PRIMARY KEY (position_id, t)
) WITHOUT ROWID
"""

#: ``world``: the key of the world the samples belong to
_META_SCHEMA = "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)"


class HistoryStore:
    """A SQLite file of samples, owned by one worker thread; writes are batched.

    ``append`` is cheap and thread-safe (a list append under a lock); the worker
    writes the pending rows every ``flush_interval`` seconds in one transaction.
    ``load``/``flush`` return Futures resolved on the worker thread.
    """

    def __init__(self, path: Path, flush_interval: float = 1.0, *, on_error: Callable[[BaseException], None] | None = None,
                 world_key: str | None = None) -> None:
        """``world_key``: the world the samples belong to (:attr:`mesodesk.core.world.World.key`),
        stored in the file; a file of another world is moved aside, never mixed (see :meth:`_open`)."""
        self.path = Path(path)
        self.world_key = world_key
        self.flush_interval = flush_interval
        self._pending: list[tuple[float, ...]] = []
        self._lock = threading.Lock()
        self._commands: queue.Queue[tuple[str, Any, Future[Any] | None]] = queue.Queue()
        self._on_error = on_error
        self.writes = 0  # transactions committed
        self.rows_written = 0
        self._ready: Future[None] = Future()
        self._thread = threading.Thread(target=self._run, name="mesodesk-history", daemon=True)
        self._closed = False
        self._thread.start()
        self._ready.result(timeout=10)

    # -- caller side -----------------------------------------------------------------
    def append(self, position_id: int, sample: tuple[float, ...]) -> None:
        with self._lock:
            self._pending.append((position_id, *sample))

    def flush(self) -> Future[int]:
        return self._submit("flush", None)

    def load(self, position_id: int, max_points: int | None = None) -> Future[FloatArray]:
        """All stored samples of a position, oldest first (evenly thinned to ``max_points``)."""
        return self._submit("load", (position_id, max_points))

    def positions(self) -> Future[list[int]]:
        return self._submit("positions", None)

    def max_drawdowns(self, position_ids: Iterable[int]) -> Future[dict[int, float]]:
        """Position id -> maximum drawdown (running P&L peak − P&L) over all its stored samples,
        for the positions that have P&L samples; computed in SQL, one query."""
        return self._submit("max_drawdowns", sorted(set(position_ids)))

    def close(self, timeout: float = 10.0) -> None:
        if self._closed:
            return
        self._closed = True
        self._commands.put(("close", None, None))
        self._thread.join(timeout)

    def _submit(self, command: str, arg: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        if self._closed:
            fut.set_exception(RuntimeError("history store is closed"))
            return fut
        self._commands.put((command, arg, fut))
        return fut

    # -- worker side -------------------------------------------------------------------
    def _run(self) -> None:
        try:
            db = self._open()
        except BaseException as exc:
            self._ready.set_exception(exc)
            return
        self._ready.set_result(None)
        try:
            while True:
                try:
                    command, arg, fut = self._commands.get(timeout=self.flush_interval)
                except queue.Empty:
                    self._write(db)
                    continue
                if command == "close":
                    self._write(db)
                    break
                try:
                    result = self._handle(db, command, arg)
                except BaseException as exc:
                    if fut is not None:
                        fut.set_exception(exc)
                else:
                    if fut is not None:
                        fut.set_result(result)
        finally:
            with contextlib.suppress(sqlite3.Error):
                db.close()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(_SCHEMA)
        db.execute(_META_SCHEMA)
        db.commit()
        return db

    def _open(self) -> sqlite3.Connection:
        """Open the file and check whose it is: a file without a world key (new, or from before keys)
        is stamped with :attr:`world_key`; a file stamped with another world's key is renamed to
        ``<name>.world-<its key>.sqlite3`` (kept for inspection) and a fresh file is started."""
        db = self._connect()
        if self.world_key is None:
            return db
        row = db.execute("SELECT value FROM meta WHERE name = 'world'").fetchone()
        if row is not None and row[0] != self.world_key:
            db.close()
            aside = self.path.with_name(f"{self.path.stem}.world-{row[0]}{self.path.suffix}")
            log.warning("chart history %s belongs to world %s, not %s: moved to %s; starting a new history",
                        self.path, row[0], self.world_key, aside.name)
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.replace(f"{self.path}{suffix}", f"{aside}{suffix}")
            db = self._connect()
            row = None
        if row is None:
            with db:
                db.execute("INSERT INTO meta (name, value) VALUES ('world', ?)", (self.world_key,))
        return db

    def _handle(self, db: sqlite3.Connection, command: str, arg: Any) -> Any:
        if command == "flush":
            return self._write(db)
        self._write(db)  # reads see everything appended before them
        if command == "load":
            position_id, max_points = arg
            cur = db.execute(f"SELECT {', '.join(FIELDS)} FROM samples WHERE position_id = ? ORDER BY t",
                             (position_id,))
            rows = cur.fetchall()
            out = np.array(rows, dtype=np.float64).reshape(-1, len(FIELDS)) if rows else np.empty((0, len(FIELDS)))
            if max_points and out.shape[0] > max_points:
                idx = np.linspace(0, out.shape[0] - 1, max_points).round().astype(np.intp)
                out = out[np.unique(idx)]
            return out
        if command == "positions":
            return [int(r[0]) for r in db.execute("SELECT DISTINCT position_id FROM samples ORDER BY position_id")]
        if command == "max_drawdowns":
            return self._max_drawdowns(db, arg)
        raise ValueError(command)

    @staticmethod
    def _max_drawdowns(db: sqlite3.Connection, position_ids: list[int]) -> dict[int, float]:
        out: dict[int, float] = {}
        for i in range(0, len(position_ids), 500):  # stay under SQLite's host-parameter limit
            chunk = position_ids[i:i + 500]
            rows = db.execute(
                "SELECT position_id, MAX(peak - pnl) FROM (SELECT position_id, pnl, MAX(pnl) OVER "
                "(PARTITION BY position_id ORDER BY t ROWS UNBOUNDED PRECEDING) AS peak FROM samples "
                f"WHERE pnl IS NOT NULL AND position_id IN ({', '.join('?' * len(chunk))})) GROUP BY position_id",
                chunk)
            out.update({int(pid): float(dd) for pid, dd in rows if dd is not None})
        return out

    def _write(self, db: sqlite3.Connection) -> int:
        with self._lock:
            rows, self._pending = self._pending, []
        if not rows:
            return 0
        try:
            with db:
                db.executemany(
                    f"INSERT OR REPLACE INTO samples (position_id, {', '.join(FIELDS)}) "
                    f"VALUES ({', '.join('?' * (len(FIELDS) + 1))})",
                    [tuple(None if isinstance(v, float) and math.isnan(v) else v for v in r) for r in rows],
                )
        except sqlite3.Error as exc:
            log.warning("history write failed: %s", exc)
            if self._on_error is not None:
                self._on_error(exc)
            return 0
        self.writes += 1
        self.rows_written += len(rows)
        return len(rows)
