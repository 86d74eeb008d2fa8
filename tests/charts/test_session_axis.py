"""Multi-day time charts: the same gaps live and after a restart (SQLite), no line through a
night, the session-compressed axis and its ET labels, the toggle."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from mesodesk.core.history import COL, HistoryStore, SeriesRecorder
from mesodesk.quant.calendar import ET, SESSION_SECONDS, UTC, next_trading_day, session_bounds
from mesodesk.ui.charts.install import POSITION_PLOTS
from mesodesk.ui.charts.timeseries import MAX_DRAWN_POINTS, TimeSeriesPanel
from tests.charts.rows import position_row, update

FIRST_DAY = dt.date(2026, 11, 24)  # Tue; Thu 26 is Thanksgiving, then a weekend


def _session_days(n: int) -> list[dt.date]:
    days, d = [], FIRST_DAY
    for _ in range(n):
        days.append(d)
        d = next_trading_day(d)
    return days


def _simulated_samples(days: list[dt.date], step: float = 15.0) -> list[tuple[float, float]]:
    """(seconds after the first open, P/L) as a 60x simulator streams them: every ``step`` s of
    session time, straight from each close to the next open, P/L walking on."""
    t0 = session_bounds(days[0])[0]
    rng = np.random.default_rng(7)
    out, pnl = [], 100.0
    for d in days:
        o, c = session_bounds(d)
        for s in np.arange(0.0, SESSION_SECONDS, step):
            pnl += float(rng.normal(0, 3))
            out.append(((o - t0).total_seconds() + s, round(pnl, 2)))
        del c
    return out


def _panel(qtbot, compressed: bool) -> TimeSeriesPanel:
    panel = TimeSeriesPanel("position", POSITION_PLOTS)
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    panel.show()
    panel.set_compressed(compressed)
    return panel


def _drawn(panel: TimeSeriesPanel, column: str = "pnl") -> tuple[np.ndarray, np.ndarray]:
    curve = panel.curves[column]
    return np.asarray(curve.xData, dtype=np.float64), np.asarray(curve.yData, dtype=np.float64)


def _times_of(panel: TimeSeriesPanel, x: np.ndarray) -> np.ndarray:
    return panel.chart_time.mapping.to_time(x) if panel.compressed else x


def _lines_through_closed_hours(panel: TimeSeriesPanel) -> list[tuple[str, str]]:
    """Drawn line pieces (two consecutive finite points) whose ends lie in different sessions."""
    x, y = _drawn(panel)
    t = _times_of(panel, x)
    ok = np.isfinite(y)
    bad = []
    for i in np.flatnonzero(ok[:-1] & ok[1:]):
        a, b = (dt.datetime.fromtimestamp(float(v), UTC).astimezone(ET) for v in (t[i], t[i + 1]))
        if a.date() != b.date():
            bad.append((a.isoformat(), b.isoformat()))
    return bad


def _breaks(panel: TimeSeriesPanel) -> int:
    """Places where the drawn line stops and starts again (NaN runs between finite points)."""
    _x, y = _drawn(panel)
    finite = np.flatnonzero(np.isfinite(y))
    return int(np.count_nonzero(np.diff(finite) > 1))


@pytest.mark.parametrize("compressed", [True, False])
def test_gaps_are_the_same_live_and_reloaded_from_sqlite(qtbot, tmp_path: Path, compressed: bool) -> None:
    """Three sessions over Thanksgiving streamed live (redrawn as they come, as the console
    does), then the console restarts and reloads them from the SQLite history: both draw the
    same points, and neither draws a line through a night or the holiday."""
    days = _session_days(3)
    t0 = session_bounds(days[0])[0]
    samples = _simulated_samples(days)
    assert len(samples) > MAX_DRAWN_POINTS  # decimated, as a long history is
    path = tmp_path / "history.sqlite3"
    store = HistoryStore(path, flush_interval=60.0)
    live = SeriesRecorder(store=store)
    row = position_row(1, "IC", "SPX", pnl=samples[0][1])
    live_panel = _panel(qtbot, compressed)
    live_panel.set_source(live.buffer(1).view, "#1")
    for i, (seconds, pnl) in enumerate(samples):
        update(row, pnl=pnl, seconds=(t0 - dt.datetime(2026, 11, 20, 15, 0, tzinfo=UTC)).total_seconds() + seconds)
        live.poll([row])
        if i % 500 == 0:  # frames while the data streams in
            live_panel.mark_dirty()
            live_panel.redraw()
    live_panel.mark_dirty()
    live_panel.redraw()
    assert live_panel.rows.shape[0] == len(samples)
    store.close()

    reopened = HistoryStore(path)
    restarted = SeriesRecorder(store=reopened)
    restarted.merge_history(1, reopened.load(1, restarted.capacity).result(timeout=10))
    reopened.close()
    reloaded_panel = _panel(qtbot, compressed)
    reloaded_panel.set_source(restarted.buffer(1).view, "#1")
    reloaded_panel.redraw()

    np.testing.assert_array_equal(live_panel.rows[:, :COL["drawdown"]], reloaded_panel.rows[:, :COL["drawdown"]])
    for column in ("pnl", "underlying", "drawdown"):
        lx, ly = _drawn(live_panel, column)
        rx, ry = _drawn(reloaded_panel, column)
        np.testing.assert_array_equal(lx, rx)
        np.testing.assert_array_equal(ly, ry)  # NaN breaks at the same places
    for panel in (live_panel, reloaded_panel):
        assert _lines_through_closed_hours(panel) == []
        assert _breaks(panel) == len(days) - 1  # one break per night (the holiday included)


def test_compressed_axis_gives_every_session_the_same_width_and_a_separator(qtbot) -> None:
    days = _session_days(4)
    t0 = session_bounds(days[0])[0]
    recorder = SeriesRecorder()
    row = position_row(1, "IC", "SPX", pnl=0.0)
    base = (t0 - dt.datetime(2026, 11, 20, 15, 0, tzinfo=UTC)).total_seconds()
    for seconds, pnl in _simulated_samples(days, step=60.0):
        update(row, pnl=pnl, seconds=base + seconds)
        recorder.poll([row])
    panel = _panel(qtbot, True)
    panel.set_source(recorder.buffer(1).view, "#1")
    panel.redraw()
    x, _y = _drawn(panel)
    # 4 sessions take 4 x 6.5 h of axis, not the 6 calendar days they span
    assert np.nanmax(x) - np.nanmin(x) == pytest.approx(4 * SESSION_SECONDS, abs=120)
    opens = [session_bounds(d)[0].timestamp() for d in days[1:]]
    expected = tuple(panel.chart_time.mapping.to_axis(np.array(opens)).tolist())
    for separators in panel.separators:
        assert separators.positions == expected
        assert all(line.isVisible() for line in separators.lines[:len(expected)])
    # tick labels: real ET dates and times, the axis says its zone
    axis = panel.plots[-1].getAxis("bottom")
    assert "(ET)" in axis.labelText and "closed hours hidden" in axis.labelText
    levels = axis.tickValues(float(np.nanmin(x)), float(np.nanmax(x)), 900)
    values = [v for _spacing, vs in levels for v in vs]
    labels = axis.tickStrings(values, 1.0, 1.0)
    assert values and all(labels)
    for value, label in zip(values, labels, strict=True):
        when = dt.datetime.fromtimestamp(panel.chart_time.t_of(value), UTC).astimezone(ET)
        assert label in (when.strftime("%a %d %b"), when.strftime("%H:%M"), when.strftime("%H:%M:%S"))
    assert {"Tue 24 Nov", "Wed 25 Nov", "Fri 27 Nov", "Mon 30 Nov"} <= set(labels)
    # the crosshair read-out names the zone too
    panel._hover = float(x[len(x) // 2])
    panel._update_labels()
    assert " ET" in panel.labels[0].text


def test_toggling_keeps_the_viewed_span_and_says_so(qtbot) -> None:
    days = _session_days(2)
    t0 = session_bounds(days[0])[0]
    recorder = SeriesRecorder()
    row = position_row(1, "IC", "SPX", pnl=0.0)
    base = (t0 - dt.datetime(2026, 11, 20, 15, 0, tzinfo=UTC)).total_seconds()
    for seconds, pnl in _simulated_samples(days, step=60.0):
        update(row, pnl=pnl, seconds=base + seconds)
        recorder.poll([row])
    panel = _panel(qtbot, True)
    panel.set_source(recorder.buffer(1).view, "#1")
    panel.redraw()
    # look at the second session's first hour by hand
    o2 = session_bounds(days[1])[0].timestamp()
    x = panel.chart_time.mapping.to_axis(np.array([o2, o2 + 3600]))
    panel.plots[0].setXRange(float(x[0]), float(x[1]), padding=0)
    panel.set_follow(False)
    seen: list[bool] = []
    panel.sig_compress_changed.connect(seen.append)
    assert panel.compress_action in panel.plots[0].vb.menu.actions()
    panel.compress_action.trigger()
    assert seen == [False] and not panel.compressed
    lo, hi = panel.plots[0].vb.viewRange()[0]
    assert lo == pytest.approx(o2, abs=1) and hi == pytest.approx(o2 + 3600, abs=1)
    assert "(ET)" in panel.plots[-1].getAxis("bottom").labelText
    assert "hidden" not in panel.plots[-1].getAxis("bottom").labelText
    assert all(not s.positions for s in panel.separators)  # to scale, the night itself shows the gap
    assert _lines_through_closed_hours(panel) == []
