"""A chart's work follows what changes on screen: new rows only, pixel-sized moves, nothing hidden.

Counted, never timed: rows reduced by the decimator, ``setData`` calls, risk recomputes.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow

from mesodesk.core.history import COL, COLUMNS, RingBuffer
from mesodesk.ui.charts.decimate import PixelDecimator
from mesodesk.ui.charts.install import POSITION_PLOTS
from mesodesk.ui.charts.timeseries import TimeSeriesPanel
from tests.ui.aio import run, until
from tests.ui.console import console, unexpected_errors

T0 = 1.8e9
EIGHT_HOURS = 8 * 3600


def _no_breaks(t: np.ndarray) -> np.ndarray:
    return np.empty(0, dtype=np.intp)


def _identity(t: np.ndarray) -> np.ndarray:
    return np.asarray(t, dtype=np.float64)


def _feed(dec: PixelDecimator, t: np.ndarray, v: np.ndarray, width: float, start: int = 0) -> bool:
    return dec.update(t, start, width, "key", lambda i, j: v[i:j], _identity, _no_breaks)


def _buckets_by_hand(t: np.ndarray, v: np.ndarray, width: float) -> list[tuple[float, float, float, float, int]]:
    """(first t, last t, min, max, rows) per bucket of ``width``: a plain loop, NaN ignored."""
    out: list[list[float]] = []
    for ti, vi in zip(t.tolist(), v.tolist(), strict=True):
        key = math.floor(ti / width)
        if out and out[-1][5] == key:
            b = out[-1]
            b[1] = ti
            if not math.isnan(vi):
                b[2] = vi if math.isnan(b[2]) else min(b[2], vi)
                b[3] = vi if math.isnan(b[3]) else max(b[3], vi)
            b[4] += 1
        else:
            out.append([ti, ti, vi, vi, 1, key])
    return [(b[0], b[1], b[2], b[3], int(b[4])) for b in out]


def _drawn_by_hand(t: np.ndarray, v: np.ndarray, width: float) -> tuple[list[float], list[float]]:
    xs: list[float] = []
    ys: list[float] = []
    for first, last, lo, hi, rows in _buckets_by_hand(t, v, width):
        xs.append(first)
        ys.append(lo)
        if rows > 1:
            xs.append(last)
            ys.append(hi)
    xs.append(float(t[-1]))
    ys.append(float(v[-1]))
    return xs, ys


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(st.floats(0.05, 40.0), min_size=2, max_size=300),
       chunks=st.lists(st.integers(1, 40), min_size=1, max_size=30),
       nan_every=st.integers(0, 7), width_exp=st.integers(-1, 6))
def test_appending_in_chunks_draws_what_one_pass_by_hand_draws(steps, chunks, nan_every, width_exp) -> None:
    t = T0 + np.cumsum(np.asarray(steps))
    v = np.sin(np.arange(t.size) * 0.7) * 100 + np.arange(t.size)
    if nan_every:
        v[::nan_every + 1] = np.nan
    width = 2.0 ** width_exp
    dec = PixelDecimator()
    end = 0
    for chunk in [*chunks, t.size]:
        end = min(t.size, end + chunk)
        _feed(dec, t[:end], v[:end, None], width)
        if end == t.size:
            break
    x, y = dec.drawn()
    want_x, want_y = _drawn_by_hand(t, v, width)
    np.testing.assert_array_equal(x, want_x)
    np.testing.assert_array_equal(y[:, 0], want_y)
    assert dec.rebuilds == 1  # appends never rebuild


def test_one_new_row_on_eight_hours_reduces_a_bucket_not_the_history() -> None:
    t = T0 + np.arange(EIGHT_HOURS, dtype=np.float64)  # a sample a second
    v = np.cumsum(np.random.default_rng(3).standard_normal((t.size, 3)), axis=0)
    width = 64.0  # about a pixel of 8 h on a 450-pixel chart
    dec = PixelDecimator()
    _feed(dec, t, v, width)
    assert dec.rows_reduced == EIGHT_HOURS
    for extra in range(1, 11):  # ten more samples, one at a time
        before = dec.rows_reduced
        tt = np.append(t, t[-1] + np.arange(1, extra + 1))
        vv = np.vstack((v, np.full((extra, 3), 1.0)))
        _feed(dec, tt, vv, width)
        assert dec.rows_reduced - before <= width + 1  # the open bucket's rows and the new one
    assert dec.rebuilds == 1
    before = dec.rows_reduced
    assert not _feed(dec, tt, vv, width)  # nothing new: nothing reduced
    assert dec.rows_reduced == before
    # a full ring buffer dropping its oldest rows, or a sliding window: no rebuild either
    _feed(dec, tt[500:], vv[500:], width)
    _feed(dec, tt, vv, width, start=1000)
    assert dec.rebuilds == 1
    # rows inserted in front (stored history merged): rebuilt from the rows
    older = np.concatenate((T0 - np.arange(100, 0, -1.0), tt))
    _feed(dec, older, np.vstack((np.zeros((100, 3)), vv)), width)
    assert dec.rebuilds == 2


def _eight_hours() -> RingBuffer:
    buffer = RingBuffer(50_000)
    rows = np.zeros((EIGHT_HOURS, len(COLUMNS)))
    rows[:, COL["t"]] = T0 + np.arange(EIGHT_HOURS, dtype=np.float64)
    rng = np.random.default_rng(1)
    for name in ("underlying", "pnl", "pnl_bid", "pnl_ask", "drawdown"):
        rows[:, COL[name]] = np.cumsum(rng.standard_normal(EIGHT_HOURS))
    buffer.extend(rows)
    return buffer


def _append(buffer: RingBuffer, seconds: float, pnl: float) -> None:
    row = np.array(buffer.last(), copy=True)
    row[COL["t"]] += seconds
    row[COL["pnl"]] = pnl
    buffer.append(row)


def test_frames_without_change_on_screen_hand_nothing_to_the_plots(qtbot) -> None:
    panel = TimeSeriesPanel("position", POSITION_PLOTS)
    qtbot.addWidget(panel)
    panel.resize(900, 600)
    panel.show()
    qtbot.waitExposed(panel)
    buffer = _eight_hours()
    panel.set_source(buffer.view)
    assert panel.redraw()
    assert panel.live.decimator.rows_reduced == EIGHT_HOURS
    calls, reduced = panel.set_data_calls, panel.live.decimator.rows_reduced
    for _ in range(50):  # frames with nothing new
        panel.mark_dirty()
        assert not panel.redraw()
    assert panel.set_data_calls == calls and panel.live.decimator.rows_reduced == reduced
    # a new sample a millisecond later at the same value: not a pixel of difference, nothing drawn
    last_pnl = float(buffer.last()[COL["pnl"]])
    _append(buffer, 0.001, last_pnl)
    panel.mark_dirty()
    assert not panel.redraw() and panel.set_data_calls == calls
    assert panel.live.decimator.rows_reduced - reduced < 200  # its bucket, not 8 h of rows
    # a jump far beyond a pixel: every curve is redrawn once, from the cached buckets
    _append(buffer, 0.001, last_pnl + 1e4)
    panel.mark_dirty()
    reduced = panel.live.decimator.rows_reduced
    assert panel.redraw()
    assert panel.set_data_calls - calls == 5  # underlying, P/L, drawdown, the band's two edges
    assert panel.live.decimator.rows_reduced - reduced < 200
    assert panel.live.decimator.rebuilds == 1
    _x, y = panel.curves["pnl"].getData()
    assert y[-1] == last_pnl + 1e4 and np.nanmax(y) == np.nanmax(buffer.view()[:, COL["pnl"]])
    assert len(y) <= 2 * panel.plots[0].vb.width() + 3  # about two points per pixel column


def test_a_chart_behind_another_tab_or_in_a_minimised_window_does_no_work(qtbot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    panel = TimeSeriesPanel("position", POSITION_PLOTS)
    docks = [QDockWidget("Chart"), QDockWidget("Other")]
    docks[0].setWidget(panel)
    docks[1].setWidget(QLabel("other"))
    for dock in docks:
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    window.tabifyDockWidget(docks[0], docks[1])
    window.resize(900, 600)
    window.show()
    qtbot.waitExposed(window)
    buffer = _eight_hours()
    docks[1].raise_()
    qtbot.waitUntil(lambda: panel.visibleRegion().isEmpty())
    assert panel.isVisible()  # Qt calls a dock behind a tab visible
    panel.set_source(buffer.view)
    assert not panel.redraw() and panel.dirty
    assert panel.set_data_calls == 0 and panel.live.decimator.rows_reduced == 0
    docks[0].raise_()
    qtbot.waitUntil(lambda: not panel.visibleRegion().isEmpty())
    assert panel.redraw() and panel.set_data_calls == 5
    window.showMinimized()
    qtbot.waitUntil(window.isMinimized)
    _append(buffer, 60.0, 1e4)
    panel.mark_dirty()
    assert not panel.redraw() and panel.set_data_calls == 5


def test_hidden_charts_and_risk_graph_skip_work_and_catch_up_when_shown(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            w = c.window
            charts = w.charts
            await w.wait_until_live(min_updates=2)
            pid = int(w.positions_model.key_at(0))
            assert w.views["positions"].select_key(pid)
            w.docks["positionChart"].raise_()  # the greeks chart and the risk graph are behind it
            await until(lambda: charts.position_chart.redraws >= 2)
            greeks, computes = charts.greeks_chart.redraws, charts.risk_graph.computes
            samples = len(charts.recorder.buffer(pid))
            await until(lambda: len(charts.recorder.buffer(pid)) >= samples + 8 and charts.frames > 10)
            assert charts.greeks_chart.redraws == greeks and charts.greeks_chart.set_data_calls == greeks * 4
            assert charts.risk_graph.computes == computes  # the position streamed; hidden: not recomputed
            w.docks["riskGraph"].raise_()
            await until(lambda: charts.risk_graph.computes > computes)  # caught up once shown
            w.docks["greeksChart"].raise_()
            await until(lambda: charts.greeks_chart.redraws > greeks)
            assert not unexpected_errors(c.errors)

    run(qloop, scenario(), timeout=120)


def test_risk_graph_redraws_its_curves_only_when_they_move_by_a_pixel(qtbot) -> None:
    from mesodesk.core.state import AppState
    from mesodesk.quant.risk import RiskModel
    from mesodesk.ui.charts.risk_graph import RiskGraphWidget
    from tests.charts.test_risk import NOW, vertical

    risk = RiskGraphWidget(AppState())
    qtbot.addWidget(risk)
    risk.resize(900, 560)
    risk.show()
    qtbot.waitExposed(risk)
    risk.set_model(RiskModel(vertical(), {"SPX": 6000.0}, NOW))
    qtbot.waitUntil(lambda: risk.plot.vb.viewRange()[0][1] > 5000)  # auto-ranged on the curves
    draws, legend = risk.curve_draws, list(risk.legend.items)
    _px_w, px_h = risk.plot.vb.viewPixelSize()
    # the same inputs again, and a spot a hundredth of a cent away: nothing moves by a pixel
    risk.set_model(RiskModel(vertical(), {"SPX": 6000.0}, NOW))
    risk.set_model(RiskModel(vertical(), {"SPX": 6000.0001}, NOW))
    assert risk.computes >= 3 and risk.curve_draws == draws
    assert list(risk.legend.items) == legend  # not rebuilt either
    # the readout still follows the exact model (what-if spot is the new one)
    assert risk.readout_at()["price"] == 6000.0001
    # a vol shift moves T+0 by far more than a pixel: drawn
    before = risk.curves["t0"].getData()[1].copy()
    risk.vol_shift.setValue(5.0)
    assert risk.curve_draws == draws + 1
    assert np.nanmax(np.abs(risk.curves["t0"].getData()[1] - before)) >= px_h
