"""Streaming time-series panels: stacked, x-linked pyqtgraph plots over a ring buffer.

Data intake never touches the plots: the owner appends to a ring buffer and calls
:meth:`TimeSeriesPanel.mark_dirty`; the frame scheduler calls :meth:`redraw`, which
does one ``setData`` per curve only when something changed (and the panel is
visible). Speed settings after the pyqtgraph notes: float64 x (epoch seconds),
``setClipToView(True)``, ``setDownsampling(auto=True, mode="peak")``, pen width 1,
no antialias, ``skipFiniteCheck`` when the column has no NaN.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mesodesk.core.history import COL
from mesodesk.ui.charts.decimate import peak_decimate
from mesodesk.ui.charts.style import ChartColors, chart_colors, fmt_value, style_plot

FloatArray = npt.NDArray[np.float64]

#: follow-mode windows (seconds of data shown; 0 = the whole trade)
#: points handed to pyqtgraph per curve per redraw (about two per pixel of a wide chart)
MAX_DRAWN_POINTS = 4000

WINDOWS = (("All", 0.0), ("15 min", 900.0), ("1 hour", 3600.0), ("1 day", 86400.0))


@dataclass(frozen=True)
class SeriesSpec:
    column: str
    name: str
    color: str  # a ChartColors attribute, or "greeks.<name>"
    places: int = 2
    fill: bool = False  # filled down to zero (drawdown)


@dataclass(frozen=True)
class PlotSpec:
    key: str
    title: str
    series: tuple[SeriesSpec, ...]
    band: tuple[str, str] | None = None  # (low column, high column) filled band
    stretch: int = 1


def _color(colors: ChartColors, name: str) -> Any:
    if name.startswith("greeks."):
        return colors.greeks[name.split(".", 1)[1]]
    return getattr(colors, name)


class TimeSeriesPanel(QWidget):
    """A toolbar (follow, window, fit, export) over stacked x-linked plots with a crosshair."""

    sig_export_requested = Signal(str)  # "png" | "csv"

    def __init__(self, name: str, plots: Sequence[PlotSpec], parent: QWidget | None = None,
                 theme: str = "dark") -> None:
        super().__init__(parent)
        self.setObjectName(f"{name}Chart")
        self.name = name
        self.specs = list(plots)
        self.colors = chart_colors(theme)
        self._source: Callable[[], FloatArray | None] = lambda: None
        self._rows: FloatArray = np.empty((0, len(COL)))
        self._dirty = False
        self.follow = True
        self.window_seconds = 0.0
        self.redraws = 0
        self.set_data_calls = 0
        self._hover: float | None = None
        self._hover_plot: int | None = None

        self.title = QLabel("No position selected")
        self.title.setObjectName(f"{name}ChartTitle")
        self.stats = QLabel("")
        self.stats.setObjectName(f"{name}ChartStats")
        self.follow_button = QToolButton()
        self.follow_button.setObjectName(f"{name}Follow")
        self.follow_button.setText("Follow")
        self.follow_button.setCheckable(True)
        self.follow_button.setChecked(True)
        self.follow_button.setToolTip("Keep the latest data in view (pan or zoom turns it off)")
        self.follow_button.toggled.connect(self.set_follow)
        self.window_combo = QComboBox()
        self.window_combo.setObjectName(f"{name}Window")
        for label, seconds in WINDOWS:
            self.window_combo.addItem(label, seconds)
        self.window_combo.setToolTip("Time window shown while following")
        self.window_combo.currentIndexChanged.connect(self._window_changed)
        fit = QToolButton()
        fit.setText("Fit")
        fit.setToolTip("Auto-range every plot")
        fit.clicked.connect(self.fit)
        png = QToolButton()
        png.setText("PNG…")
        png.setObjectName(f"{name}ExportPng")
        png.setToolTip("Save the chart as a PNG image")
        png.clicked.connect(lambda: self._ask_export("png"))
        csv_button = QToolButton()
        csv_button.setText("CSV…")
        csv_button.setObjectName(f"{name}ExportCsv")
        csv_button.setToolTip("Save the chart data as CSV")
        csv_button.clicked.connect(lambda: self._ask_export("csv"))

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(self.title)
        bar.addStretch(1)
        bar.addWidget(self.stats)
        bar.addSpacing(12)
        for w in (self.follow_button, self.window_combo, fit, png, csv_button):
            bar.addWidget(w)

        self.glw = pg.GraphicsLayoutWidget()
        self.glw.setObjectName(f"{name}Plots")
        self.glw.ci.setSpacing(0)
        self.plots: list[pg.PlotItem] = []
        self.curves: dict[str, pg.PlotDataItem] = {}
        self._curve_specs: list[tuple[pg.PlotDataItem, SeriesSpec]] = []
        self._band_curves: list[tuple[pg.PlotDataItem, pg.PlotDataItem, str, str, pg.FillBetweenItem]] = []
        self.labels: list[pg.LabelItem] = []
        self.vlines: list[pg.InfiniteLine] = []
        self.hlines: list[pg.InfiniteLine] = []
        self._build_plots()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.glw, 1)
        self._mouse_proxy = pg.SignalProxy(self.glw.scene().sigMouseMoved, rateLimit=60, slot=self._mouse_moved)
        self.apply_colors(self.colors)

    # -- construction ----------------------------------------------------------------
    def _build_plots(self) -> None:
        first: pg.PlotItem | None = None
        for row, spec in enumerate(self.specs):
            plot = self.glw.addPlot(row=row, col=0, axisItems={"bottom": pg.DateAxisItem(utcOffset=None)})
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            plot.setMenuEnabled(True)
            plot.getAxis("left").setWidth(64)
            plot.vb.sigRangeChangedManually.connect(self._manual_range)
            plot.vb.sigXRangeChanged.connect(self._view_moved)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            if row < len(self.specs) - 1:
                plot.getAxis("bottom").setStyle(showValues=False)
                plot.getAxis("bottom").setHeight(4)
            self.glw.ci.layout.setRowStretchFactor(row, spec.stretch)
            if spec.band is not None:
                lo = plot.plot(name=f"{spec.band[0]}")
                hi = plot.plot(name=f"{spec.band[1]}")
                fill = pg.FillBetweenItem(lo, hi)
                plot.addItem(fill)
                self._band_curves.append((lo, hi, spec.band[0], spec.band[1], fill))
            for series in spec.series:
                curve = plot.plot(name=series.name)
                self.curves[series.column] = curve
                self._curve_specs.append((curve, series))
            label = pg.LabelItem(justify="left")
            label.setParentItem(plot.vb)
            label.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(6, 0))
            self.labels.append(label)
            vline = pg.InfiniteLine(angle=90, movable=False)
            hline = pg.InfiniteLine(angle=0, movable=False)
            for line in (vline, hline):
                line.setVisible(False)
                plot.addItem(line, ignoreBounds=True)
            self.vlines.append(vline)
            self.hlines.append(hline)
            self.plots.append(plot)

    def apply_colors(self, colors: ChartColors) -> None:
        self.colors = colors
        self.glw.setBackground(colors.background)
        for plot in self.plots:
            style_plot(plot, colors, grid=False)
        for curve, series in self._curve_specs:
            color = _color(colors, series.color)
            curve.setPen(pg.mkPen(color, width=1))
            if series.fill:
                curve.setFillLevel(0.0)
                curve.setBrush(pg.mkBrush(colors.drawdown_fill))
        for lo, hi, _a, _b, fill in self._band_curves:
            edge = pg.mkPen((*colors.band[:3], 110), width=1)
            lo.setPen(edge)
            hi.setPen(edge)
            fill.setBrush(pg.mkBrush(colors.band))
        for line in (*self.vlines, *self.hlines):
            line.setPen(pg.mkPen(colors.crosshair, width=1, style=Qt.PenStyle.DashLine))
        self._update_labels()

    def set_theme(self, theme: str) -> None:
        self.apply_colors(chart_colors(theme))

    # -- data -------------------------------------------------------------------------
    def set_source(self, source: Callable[[], FloatArray | None], title: str = "") -> None:
        """Where ``redraw`` reads its rows (``COLUMNS`` layout, oldest first)."""
        self._source = source
        self.title.setText(title or "No position selected")
        self.follow_button.setChecked(True)
        self.mark_dirty()

    def mark_dirty(self) -> None:
        self._dirty = True

    @property
    def dirty(self) -> bool:
        return self._dirty

    @property
    def rows(self) -> FloatArray:
        return self._rows

    def redraw(self, *, force: bool = False) -> bool:
        """One ``setData`` per curve if the data changed since the last redraw; False if nothing to do."""
        if not self._dirty or (not force and not self.isVisible()):
            return False
        self._dirty = False
        rows = self._source()
        if rows is None:
            rows = np.empty((0, len(COL)))
        self._rows = rows
        # Hand pyqtgraph only what can be seen (the followed window, or the viewed range with a
        # margin), peak-decimated to about two points per pixel: a 1,000,000-row history costs
        # the same per frame as a short one.
        drawn = rows[self._drawn_span(rows[:, COL["t"]])]
        t = np.ascontiguousarray(drawn[:, COL["t"]], dtype=np.float64)
        for curve, series in self._curve_specs:
            self._set(curve, t, drawn[:, COL[series.column]])
        for lo, hi, a, b, _fill in self._band_curves:
            ya, yb = drawn[:, COL[a]], drawn[:, COL[b]]
            self._set(lo, t, np.fmin(ya, yb))
            self._set(hi, t, np.fmax(ya, yb))
        self.redraws += 1
        if self.follow:
            self._follow(rows[:, COL["t"]])
        self._update_labels()
        return True

    def _drawn_span(self, t: FloatArray) -> slice:
        n = t.size
        if not n:
            return slice(0, 0)
        if self.follow and self.window_seconds > 0:
            return slice(int(np.searchsorted(t, t[-1] - self.window_seconds * 1.05)), n)
        if not self.follow:
            x0, x1 = self.plots[0].vb.viewRange()[0]
            width = x1 - x0
            lo = int(np.searchsorted(t, x0 - width))
            hi = int(np.searchsorted(t, x1 + width, side="right"))
            return slice(max(0, lo - 1), min(n, hi + 1))
        return slice(0, n)

    def _view_moved(self, *_: Any) -> None:
        if not self.follow:  # panned or zoomed by hand: redraw the newly visible span next frame
            self.mark_dirty()

    def _set(self, curve: pg.PlotDataItem, x: FloatArray, y: FloatArray) -> None:
        x, y = peak_decimate(x, np.ascontiguousarray(y, dtype=np.float64), MAX_DRAWN_POINTS)
        finite = bool(np.isfinite(y).all())
        curve.setData(x, y, connect="all" if finite else "finite", skipFiniteCheck=finite)
        self.set_data_calls += 1

    # -- follow / range ------------------------------------------------------------------
    def set_follow(self, on: bool) -> None:
        self.follow = bool(on)
        if self.follow_button.isChecked() != self.follow:
            self.follow_button.setChecked(self.follow)
        if self.follow and self._rows.shape[0]:
            self._follow(self._rows[:, COL["t"]])

    def _window_changed(self, index: int) -> None:
        self.window_seconds = float(self.window_combo.itemData(index) or 0.0)
        self.set_follow(True)

    def _manual_range(self, *_: Any) -> None:
        self.set_follow(False)

    def _follow(self, t: FloatArray) -> None:
        if not t.size:
            return
        for plot in self.plots:
            plot.vb.setAutoVisible(y=True)
        if self.window_seconds > 0:
            end = float(t[-1])
            self.plots[0].setXRange(end - self.window_seconds, end, padding=0.01)
            for plot in self.plots:
                plot.enableAutoRange(axis="y")
        else:
            for plot in self.plots:
                plot.enableAutoRange()

    def fit(self) -> None:
        for plot in self.plots:
            plot.enableAutoRange()

    # -- crosshair -------------------------------------------------------------------------
    def _mouse_moved(self, event: Any) -> None:
        pos = event[0]
        self._hover = None
        self._hover_plot = None
        for i, plot in enumerate(self.plots):
            if plot.sceneBoundingRect().contains(pos):
                point = plot.vb.mapSceneToView(pos)
                self._hover = float(point.x())
                self._hover_plot = i
                self.hlines[i].setPos(point.y())
                break
        for i, (v, h) in enumerate(zip(self.vlines, self.hlines, strict=True)):
            v.setVisible(self._hover is not None)
            h.setVisible(self._hover_plot == i)
            if self._hover is not None:
                v.setPos(self._hover)
        self._update_labels()

    def leaveEvent(self, event: Any) -> None:
        self._hover = None
        for line in (*self.vlines, *self.hlines):
            line.setVisible(False)
        self._update_labels()
        super().leaveEvent(event)

    def index_at(self, x: float | None) -> int | None:
        rows = self._rows
        if not rows.shape[0]:
            return None
        if x is None:
            return rows.shape[0] - 1
        t = rows[:, COL["t"]]
        i = int(np.searchsorted(t, x))
        if i <= 0:
            return 0
        if i >= t.size:
            return t.size - 1
        return i if abs(t[i] - x) < abs(t[i - 1] - x) else i - 1

    def _update_labels(self) -> None:
        i = self.index_at(self._hover)
        when = ""
        if i is not None:
            stamp = dt.datetime.fromtimestamp(self._rows[i, COL["t"]], dt.UTC).astimezone()
            when = stamp.strftime("%Y-%m-%d %H:%M:%S")
        for label, spec in zip(self.labels, self.specs, strict=True):
            parts = [f"<b>{spec.title}</b>"]
            if spec is self.specs[0] and when:
                parts.append(f"<span style='color:{self.colors.crosshair}'>{when}</span>")
            for series in spec.series:
                value = self._rows[i, COL[series.column]] if i is not None else float("nan")
                parts.append(f"<span style='color:{_color(self.colors, series.color)}'>{series.name} "
                             f"{fmt_value(value, series.places)}</span>")
            if spec.band is not None and i is not None:
                a, b = (self._rows[i, COL[c]] for c in spec.band)
                parts.append(f"<span style='color:{self.colors.crosshair}'>bid/ask {fmt_value(min(a, b))} / "
                             f"{fmt_value(max(a, b))}</span>")
            label.setText("&nbsp;&nbsp;".join(parts), color=self.colors.foreground, size="8pt")

    # -- export ------------------------------------------------------------------------------
    def export_png(self, path: Path) -> Path:
        path = Path(path)
        if not self.grab().save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        return path

    def export_csv(self, path: Path) -> int:
        """Write the shown series (time as ISO UTC and epoch seconds); returns the number of data rows."""
        self.redraw(force=True)
        columns = ["t"] + [s.column for s in (x for p in self.specs for x in p.series)]
        for spec in self.specs:
            if spec.band is not None:
                columns += [c for c in spec.band if c not in columns]
        rows = self._rows
        with Path(path).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["time_utc", *columns])
            for r in rows:
                stamp = dt.datetime.fromtimestamp(r[COL["t"]], dt.UTC).isoformat()
                writer.writerow([stamp, *("" if np.isnan(r[COL[c]]) else repr(float(r[COL[c]])) for c in columns)])
        return int(rows.shape[0])

    def _ask_export(self, kind: str) -> None:
        filters = {"png": "PNG image (*.png)", "csv": "CSV (*.csv)"}
        path, _ = QFileDialog.getSaveFileName(self, f"Export chart as {kind.upper()}", f"{self.name}.{kind}",
                                              filters[kind])
        if path:
            self.export_png(Path(path)) if kind == "png" else self.export_csv(Path(path))

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.redraw()
