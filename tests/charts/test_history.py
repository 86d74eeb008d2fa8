"""Ring buffers, sampling, drawdown and the SQLite history (batched writes, survives a restart)."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import numpy as np
import pytest

from mesodesk.core.history import COL, COLUMNS, FIELDS, HistoryStore, RingBuffer, SeriesRecorder, sample_of
from tests.charts.rows import T0, position_row, update


def test_ring_buffer_wraps_in_order_at_capacity() -> None:
    ring = RingBuffer(5, width=2)
    for i in range(3):
        ring.append((i, i * 10))
    assert len(ring) == 3
    np.testing.assert_array_equal(ring.view()[:, 0], [0, 1, 2])
    for i in range(3, 12):
        ring.append((i, i * 10))
    assert len(ring) == 5 and ring.total == 12 and ring.capacity == 5
    np.testing.assert_array_equal(ring.view()[:, 0], [7, 8, 9, 10, 11])
    np.testing.assert_array_equal(ring.view()[:, 1], [70, 80, 90, 100, 110])
    assert ring.last()[0] == 11
    assert ring.view().dtype == np.float64
    # extend with more than the capacity keeps the newest rows
    ring.extend(np.column_stack((np.arange(20.0), np.arange(20.0))))
    np.testing.assert_array_equal(ring.view()[:, 0], [15, 16, 17, 18, 19])
    ring.clear()
    assert len(ring) == 0 and ring.view().shape == (0, 2)


def test_ring_buffer_memory_is_fixed() -> None:
    ring = RingBuffer(1000)
    before = ring._data.nbytes
    for i in range(5000):
        ring.append(np.full(len(COLUMNS), float(i)))
    assert ring._data.nbytes == before and len(ring) == 1000
    assert ring.view()[0, 0] == 4000.0


def test_recorder_samples_changed_rows_and_tracks_drawdown() -> None:
    row = position_row(1, "PCS", "SPX", pnl=100.0, delta=1.5, seconds=0)
    rec = SeriesRecorder(capacity=100)
    assert rec.poll([row]) == {1}
    assert rec.poll([row]) == set()  # nothing new
    for i, pnl in enumerate((150.0, 120.0, 90.0, 160.0, 140.0), start=1):
        update(row, pnl=pnl, seconds=i)
        assert rec.poll([row]) == {1}
    view = rec.buffer(1).view()
    np.testing.assert_array_equal(view[:, COL["pnl"]], [100, 150, 120, 90, 160, 140])
    np.testing.assert_array_equal(view[:, COL["drawdown"]], [0, 0, 30, 60, 0, 20])
    np.testing.assert_array_equal(view[:, COL["pnl_bid"]], [90, 140, 110, 80, 150, 130])
    assert rec.drawdown(1) == 20.0 and rec.max_drawdown(1) == 60.0 and rec.peaks[1] == 160.0
    assert view[0, COL["t"]] == T0.timestamp()


def test_sample_of_missing_values_are_nan() -> None:
    row = position_row(2, "IC", "SPX", pnl=5.0)
    row.data.position_greeks = None
    s = sample_of(row)
    assert s is not None and len(s) == len(FIELDS)
    assert math.isnan(s[COL["delta"]]) and s[COL["pnl"]] == 5.0


def test_history_is_batched_and_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "data" / "history.sqlite3"
    store = HistoryStore(path, flush_interval=60.0)  # only explicit flushes / close write
    rec = SeriesRecorder(capacity=1000, store=store)
    row = position_row(7, "PCS", "SPX", pnl=10.0)
    rec.poll([row])
    caller = threading.get_ident()
    for i in range(1, 200):
        update(row, pnl=10.0 + i, seconds=i)
        rec.poll([row])
    assert store.writes == 0  # nothing written on the caller's thread
    assert store.flush().result(timeout=10) == 200
    assert store.writes == 1 and store.rows_written == 200
    assert threading.get_ident() == caller
    update(row, pnl=-5.0, seconds=500)
    rec.poll([row])
    store.close()  # flushes the pending row

    again = HistoryStore(path)
    try:
        rows = again.load(7).result(timeout=10)
        assert rows.shape == (201, len(FIELDS))
        np.testing.assert_array_equal(rows[:3, COL["pnl"]], [10, 11, 12])
        assert rows[-1, COL["pnl"]] == -5.0
        assert (np.diff(rows[:, 0]) > 0).all()
        thinned = again.load(7, max_points=50).result(timeout=10)
        assert thinned.shape[0] == 50 and thinned[0, 0] == rows[0, 0] and thinned[-1, 0] == rows[-1, 0]
        assert again.positions().result(timeout=10) == [7]
        # a new session: live samples first, then the stored history goes in front of them
        fresh = SeriesRecorder(capacity=1000, store=again)
        update(row, pnl=0.0, seconds=600)
        fresh.poll([row])
        fresh.merge_history(7, rows)
        view = fresh.buffer(7).view()
        assert view.shape[0] == 202
        assert view[-1, COL["pnl"]] == 0.0 and view[0, COL["pnl"]] == 10.0
        assert fresh.peaks[7] == 209.0  # max over the whole trade
        assert view[-1, COL["drawdown"]] == 209.0
    finally:
        again.close()


def test_timed_flush_writes_in_the_background(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3", flush_interval=0.05)
    try:
        store.append(1, (1.0, 2.0, 3.0, math.nan, math.nan, 0.1, 0.0, 1.0, -2.0))
        deadline = 200
        while store.rows_written == 0 and deadline:
            threading.Event().wait(0.02)
            deadline -= 1
        assert store.rows_written == 1
        loaded = store.load(1).result(timeout=10)
        assert math.isnan(loaded[0, COL["pnl_bid"]]) and loaded[0, COL["vega"]] == -2.0
    finally:
        store.close()
    with pytest.raises(RuntimeError):
        store.load(1).result(timeout=1)
