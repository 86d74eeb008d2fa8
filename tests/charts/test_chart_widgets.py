"""Chart widgets offscreen: redraw throttling, follow mode, export, the risk graph widget."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from mesodesk.core.history import COL, SeriesRecorder
from mesodesk.core.state import AppState
from mesodesk.quant.risk import RiskModel, crossings
from mesodesk.ui.charts.install import GREEK_PLOTS, POSITION_PLOTS
from mesodesk.ui.charts.risk_graph import RiskGraphWidget
from mesodesk.ui.charts.timeseries import TimeSeriesPanel
from mesodesk.ui.frame_scheduler import FrameScheduler
from tests.charts.rows import position_row, update
from tests.charts.test_risk import EXP, NOW, iron_condor, vertical

CURVES = 5  # underlying, pnl mark, drawdown + the bid/ask band's two edges


@pytest.fixture
def panel(qtbot) -> TimeSeriesPanel:
    widget = TimeSeriesPanel("position", POSITION_PLOTS)
    qtbot.addWidget(widget)
    widget.resize(800, 500)
    widget.show()
    return widget


def test_ticks_within_a_frame_cost_one_redraw(qtbot, panel: TimeSeriesPanel) -> None:
    recorder = SeriesRecorder(capacity=10_000)
    row = position_row(1, "PCS", "SPX", pnl=0.0)
    panel.set_source(recorder.buffer(1).view, "#1")
    frames = FrameScheduler()

    def frame() -> None:
        if 1 in recorder.poll([row]):
            panel.mark_dirty()
        panel.redraw()

    frames.add(frame)
    qtbot.waitUntil(lambda: panel.redraws == 0)
    base_calls = panel.set_data_calls
    # 200 stream ticks arrive before the frame fires: they coalesce into one sample, one redraw
    for i in range(1, 201):
        update(row, pnl=float(i), seconds=i)
        frames.request()
    qtbot.waitUntil(lambda: frames.frames >= 1, timeout=2000)
    assert panel.redraws == 1
    assert panel.set_data_calls - base_calls == CURVES
    # 500 samples recorded directly between two frames: still one redraw with every sample
    for i in range(201, 701):
        update(row, pnl=float(i % 37), seconds=i)
        recorder.poll([row])
        panel.mark_dirty()
        frames.request()
    qtbot.waitUntil(lambda: frames.frames >= 2, timeout=2000)
    assert panel.redraws == 2
    assert panel.set_data_calls - base_calls == 2 * CURVES
    assert panel.rows.shape[0] == 501
    x, _y = panel.curves["pnl"].getData()
    assert x.dtype == np.float64
    # a frame without new data draws nothing
    frames.request()
    qtbot.waitUntil(lambda: frames.frames >= 3, timeout=2000)
    assert panel.redraws == 2
    for plot in panel.plots:
        assert plot.clipToViewMode() and plot.downsampleMode()[1] is True


def test_hidden_panel_defers_redraw_until_shown(qtbot, panel: TimeSeriesPanel) -> None:
    recorder = SeriesRecorder(capacity=100)
    row = position_row(1, "PCS", "SPX", pnl=0.0)
    recorder.poll([row])
    panel.hide()
    panel.set_source(recorder.buffer(1).view)
    assert not panel.redraw() and panel.dirty
    panel.show()
    assert panel.redraws == 1 and not panel.dirty


def test_follow_turns_off_on_manual_range_and_back_on(panel: TimeSeriesPanel) -> None:
    recorder = SeriesRecorder(capacity=100)
    row = position_row(1, "PCS", "SPX", pnl=0.0)
    for i in range(50):
        update(row, pnl=float(i), seconds=60 * i)
        recorder.poll([row])
    panel.set_source(recorder.buffer(1).view)
    panel.redraw()
    assert panel.follow
    panel.plots[0].vb.sigRangeChangedManually.emit([True, True])
    assert not panel.follow and not panel.follow_button.isChecked()
    panel.window_combo.setCurrentIndex(1)  # 15 minutes, follow again
    assert panel.follow and panel.window_seconds == 900.0
    lo, hi = panel.plots[0].vb.viewRange()[0]
    last = panel.chart_time.x_of(panel.rows[-1:, COL["t"]])[0]  # the x axis is in trading time
    assert hi >= last - 1 and hi - lo == pytest.approx(900.0 * 1.02, rel=0.05)


def test_export_png_and_csv(tmp_path: Path, panel: TimeSeriesPanel) -> None:
    recorder = SeriesRecorder(capacity=100)
    row = position_row(1, "PCS", "SPX", pnl=0.0)
    for i in range(30):
        update(row, pnl=float(i) - 10, seconds=i)
        recorder.poll([row])
    panel.set_source(recorder.buffer(1).view)
    png = panel.export_png(tmp_path / "chart.png")
    image = QImage(str(png))
    assert not image.isNull() and image.width() >= 400 and image.height() >= 200
    assert panel.export_csv(tmp_path / "chart.csv") == 30
    with (tmp_path / "chart.csv").open() as fh:
        table = list(csv.reader(fh))
    assert table[0][:4] == ["time_utc", "t", "underlying", "pnl"]
    assert "pnl_bid" in table[0] and "drawdown" in table[0]
    assert len(table) == 31
    assert float(table[1][table[0].index("pnl")]) == -10.0
    assert float(table[-1][table[0].index("pnl")]) == 19.0


def test_greeks_panel_has_four_linked_plots(qtbot) -> None:
    widget = TimeSeriesPanel("greeks", GREEK_PLOTS)
    qtbot.addWidget(widget)
    assert [p.key for p in widget.specs] == ["delta", "gamma", "theta", "vega"]
    assert all(p.vb.linkedView(0) is widget.plots[0].vb for p in widget.plots[1:])


@pytest.fixture
def risk(qtbot) -> RiskGraphWidget:
    widget = RiskGraphWidget(AppState())
    qtbot.addWidget(widget)
    widget.resize(900, 560)
    widget.show()
    return widget


def test_risk_graph_widget_vertical(risk: RiskGraphWidget, tmp_path: Path) -> None:
    risk.set_model(RiskModel(vertical(), {"SPX": 6000.0}, NOW))
    assert risk.surface is not None and risk.surface.pnl.shape[1] == 400
    x, y = risk.curves["expiration"].getData()
    hand = 100 * (-np.maximum(5900 - x, 0) + 20.0 + np.maximum(5850 - x, 0) - 14.0)
    np.testing.assert_allclose(y, hand, atol=1e-9)
    assert risk.breakevens == pytest.approx([5894.0])
    assert risk.spot_line.value() == pytest.approx(6000.0)
    assert risk.curves["t0"].getData()[0] is not None
    assert risk.curves["tn0"].isVisible() and risk.curves["tn1"].isVisible()
    assert len(risk.surface.dates) == 4 and risk.surface.dates[-1] == EXP
    assert risk.days.maximum() == 32  # 32.25 days to the 16:00 ET settlement
    # what-ifs: vol shift moves T+0, never the expiration payoff
    t0_before = risk.curves["t0"].getData()[1].copy()
    computes = risk.computes
    risk.vol_shift.setValue(5.0)
    assert risk.computes == computes + 1
    assert not np.allclose(risk.curves["t0"].getData()[1], t0_before)
    np.testing.assert_allclose(risk.curves["expiration"].getData()[1], hand, atol=1e-9)
    risk.days.setValue(10)
    assert risk.surface.dates[0] == NOW + dt.timedelta(days=10)
    risk.price_shift.setValue(-2.0)
    assert risk.whatif_line.isVisible() and risk.whatif_line.value() == pytest.approx(5880.0)
    r = risk.readout_at()
    assert r["price"] == pytest.approx(5880.0)
    assert r["pnl_exp"] == pytest.approx(100 * (-(5900 - 5880) + 20.0 - 14.0))
    assert "Δ" in risk.readout.text()
    for line in (risk.title, risk.readout):  # their <b>…</b> is rendered, never shown as tags
        assert line.label.textFormat() == Qt.TextFormat.RichText
    risk.tn_check.setChecked(False)
    assert not risk.curves["tn0"].isVisible() and len(risk.surface.dates) == 2
    risk.reset()
    assert risk.price_shift.value() == 0 and risk.days.value() == 0
    assert risk.export_csv(tmp_path / "risk.csv") == 400
    lines = (tmp_path / "risk.csv").read_text().splitlines()
    assert len(lines) == 401 and lines[0].startswith("price,move_pct,T+0")
    image = QImage(str(risk.export_png(tmp_path / "risk.png")))
    assert not image.isNull() and image.width() >= 800


def test_risk_graph_widget_iron_condor(risk: RiskGraphWidget) -> None:
    risk.set_model(RiskModel(iron_condor(), {"SPX": 6000.0}, NOW))
    assert risk.breakevens == pytest.approx([5887.0, 6113.0])
    assert risk.t0_breakevens == crossings(risk.surface.prices, risk.surface.pnl[0])
    assert len(risk.be_labels) == 2
    _x, y = risk.curves["expiration"].getData()
    assert y.max() == pytest.approx(2600.0) and y.min() == pytest.approx(-7400.0)  # (50 - 13) x 200
    risk.set_model(None)
    assert risk.surface is None and not risk.spot_line.isVisible()
