"""Chart frames per second: 4 live series of N points (default 1,000,000) appended and panned.

Ours: the product's greeks panel (``TimeSeriesPanel``: visible span only, peak decimation,
clipToView, float64 time axis) over the product's ring buffer. Baseline, same run: a plain
pyqtgraph layout of 4 plots that re-sets the whole arrays every frame (what a naive live
chart does). Each frame appends a batch of points, pans a one-hour window, and paints
synchronously.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from mesodesk.bench._util import figure


def _data(points: int) -> Any:
    from mesodesk.core.history import COL, COLUMNS, RingBuffer

    buffer = RingBuffer(points, len(COLUMNS))
    rows = np.zeros((points, len(COLUMNS)))
    rows[:, COL["t"]] = T0 + np.arange(points, dtype=np.float64)
    rng = np.random.default_rng(1)
    for name in SERIES:
        rows[:, COL[name]] = np.cumsum(rng.standard_normal(points))
    buffer.extend(rows)
    return buffer


T0 = 1.7e9
SERIES = ("delta", "gamma", "theta", "vega")
WINDOW = 3600.0


class _OurChart:
    def __init__(self, buffer: Any) -> None:
        from mesodesk.ui.charts.install import GREEK_PLOTS
        from mesodesk.ui.charts.timeseries import TimeSeriesPanel

        self.panel = TimeSeriesPanel("bench", GREEK_PLOTS)
        self.panel.resize(1200, 800)
        self.panel.window_seconds = WINDOW  # follow a one-hour window: every frame pans
        self.panel.set_source(buffer.view)
        self.panel.show()
        self.viewport = self.panel.glw.viewport()

    def frame(self) -> None:
        self.panel.mark_dirty()
        self.panel.redraw(force=True)

    def close(self) -> None:
        self.panel.close()
        self.panel.deleteLater()


class _NaiveChart:
    def __init__(self, buffer: Any) -> None:
        import pyqtgraph as pg

        self.buffer = buffer
        self.glw = pg.GraphicsLayoutWidget()
        self.glw.resize(1200, 800)
        self.curves = []
        for row, _name in enumerate(SERIES):
            plot = self.glw.addPlot(row=row, col=0)
            self.curves.append((plot, plot.plot()))
        self.glw.show()
        self.viewport = self.glw.viewport()

    def frame(self) -> None:
        from mesodesk.core.history import COL

        rows = self.buffer.view()
        t = rows[:, COL["t"]]
        for (plot, curve), name in zip(self.curves, SERIES, strict=True):
            curve.setData(t, rows[:, COL[name]])
            plot.setXRange(t[-1] - WINDOW, t[-1], padding=0.01)

    def close(self) -> None:
        self.glw.close()
        self.glw.deleteLater()


def _fps(points: int, seconds: float, chart_class: Any, batch: int = 1000) -> dict[str, Any]:
    from PySide6.QtWidgets import QApplication

    from mesodesk.core.history import COL, COLUMNS

    app = QApplication.instance()
    assert app is not None
    buffer = _data(points)
    chart = chart_class(buffer)
    app.processEvents()
    last_t = float(buffer.view()[-1, COL["t"]])
    rng = np.random.default_rng(2)
    frames = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        rows = np.zeros((batch, len(COLUMNS)))
        rows[:, COL["t"]] = last_t + 1 + np.arange(batch, dtype=np.float64)
        last_t = float(rows[-1, COL["t"]])
        for name in SERIES:
            rows[:, COL[name]] = rng.standard_normal(batch)
        buffer.extend(rows)
        chart.frame()
        chart.viewport.repaint()
        app.processEvents()
        frames += 1
    elapsed = time.perf_counter() - start
    chart.close()
    app.processEvents()
    return {"fps": round(frames / elapsed, 1), "frames": frames, "points_per_series": points,
            "appended_per_frame": batch}


def run(points: int, seconds: float) -> dict[str, Any]:
    from PySide6.QtWidgets import QApplication

    from mesodesk.ui.gc_timer import GuiGarbageCollector

    _ = QApplication.instance() or QApplication([])
    collector = GuiGarbageCollector()  # as the app runs
    try:
        ours = _fps(points, seconds, _OurChart)
        naive = _fps(points, seconds, _NaiveChart)
    finally:
        collector.stop()
    return figure(ours, {"naive_pyqtgraph_full_setdata": naive}, ours["fps"] / naive["fps"] if naive["fps"] else None,
                  target_fps=30, ratio_means="our fps ÷ naive fps")
