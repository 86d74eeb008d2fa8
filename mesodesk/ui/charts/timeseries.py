"""Streaming time-series panels: stacked, x-linked pyqtgraph plots over a ring buffer.

Data intake never touches the plots: the owner appends to a ring buffer and calls
:meth:`TimeSeriesPanel.mark_dirty`; the frame scheduler calls :meth:`redraw`, which
does one ``setData`` per curve only when something changed on screen (and the panel
can be seen: :func:`~mesodesk.ui.charts.on_screen.on_screen`). Speed settings after the pyqtgraph notes: float64 x (epoch seconds),
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
from PySide6.QtGui import QAction
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
from mesodesk.core.trading_time import ZONE_LABEL, ChartTime
from mesodesk.quant.calendar import ET
from mesodesk.ui.charts.decimate import peak_decimate
from mesodesk.ui.charts.live_series import BandFill, LiveDecimation
from mesodesk.ui.charts.on_screen import on_screen
from mesodesk.ui.charts.session_axis import SessionAxisItem, SessionSeparators, boundaries_of
from mesodesk.ui.charts.style import ChartColors, chart_colors, fmt_value, style_plot
from mesodesk.ui.steady_label import LineLabel

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
    sig_compress_changed = Signal(bool)  # the user turned "Hide closed hours" on or off

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
        #: time on the x axis: session-compressed (closed hours hidden) or to scale
        self.chart_time = ChartTime(compressed=True)
        self.compress_action = QAction("Hide closed hours", self)
        self.compress_action.setObjectName(f"{name}CompressAction")
        self.compress_action.setCheckable(True)
        self.compress_action.setChecked(True)
        self.compress_action.setToolTip("Session-compressed time axis: nights, weekends and holidays take "
                                        "no width (a dotted line marks each new session)")
        self.compress_action.toggled.connect(self._compress_toggled)

        self.title = QLabel("No position selected")
        self.title.setObjectName(f"{name}ChartTitle")
        # its text changes with every sample: a layout-free line (a label that may change size
        # makes the whole window re-lay out its docks), as wide as the toolbar leaves it, elided
        self.stats = LineLabel("")
        self.stats.setObjectName(f"{name}ChartStats")
        self.stats.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
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
        bar.addWidget(self.stats, 1)
        bar.addSpacing(12)
        self.compress_button = QToolButton()
        self.compress_button.setObjectName(f"{name}Compress")
        self.compress_action.setIconText("Sessions")  # the toolbar button's text
        self.compress_button.setDefaultAction(self.compress_action)
        for w in (self.follow_button, self.window_combo, self.compress_button, fit, png, csv_button):
            bar.addWidget(w)

        self.glw = pg.GraphicsLayoutWidget()
        self.glw.setObjectName(f"{name}Plots")
        self.glw.ci.setSpacing(0)
        self.plots: list[pg.PlotItem] = []
        self.curves: dict[str, pg.PlotDataItem] = {}
        self._curve_specs: list[tuple[pg.PlotDataItem, SeriesSpec]] = []
        self._band_curves: list[tuple[pg.PlotDataItem, pg.PlotDataItem, str, str, BandFill]] = []
        self.labels: list[pg.LabelItem] = []
        self.vlines: list[pg.InfiniteLine] = []
        self.hlines: list[pg.InfiniteLine] = []
        self.separators: list[SessionSeparators] = []
        self._build_plots()
        # following: each frame reduces only the new rows, and draws only what moved by a pixel
        self.live = LiveDecimation([s.column for _c, s in self._curve_specs], [(a, b) for _l, _h, a, b, _f
                                                                                in self._band_curves])
        vbs = [plot.vb for plot in self.plots]
        self._drawn_plots = [vbs.index(c.getViewBox()) for c, _s in self._curve_specs]
        self._drawn_plots += [vbs.index(lo.getViewBox()) for lo, *_ in self._band_curves for _edge in (0, 1)]
        self._manual_key: Any = None
        self._label_texts: list[tuple[str, str]] = []

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
            plot = self.glw.addPlot(row=row, col=0, axisItems={"bottom": SessionAxisItem(self.chart_time)})
            plot.vb.menu.addSeparator()
            plot.vb.menu.addAction(self.compress_action)
            self.separators.append(SessionSeparators(plot))
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
            else:
                plot.getAxis("bottom").show_zone_label(self.chart_time.label())
            self.glw.ci.layout.setRowStretchFactor(row, spec.stretch)
            if spec.band is not None:
                lo = plot.plot(name=f"{spec.band[0]}")
                hi = plot.plot(name=f"{spec.band[1]}")
                fill = BandFill()
                plot.addItem(fill, ignoreBounds=True)
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
        for separators in self.separators:
            separators.set_color(colors.crosshair)
        self._update_labels()

    def set_theme(self, theme: str) -> None:
        self.apply_colors(chart_colors(theme))

    # -- data -------------------------------------------------------------------------
    def set_source(self, source: Callable[[], FloatArray | None], title: str = "") -> None:
        """Where ``redraw`` reads its rows (``COLUMNS`` layout, oldest first)."""
        self._source = source
        self.live.reset()
        self._manual_key = None
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
        """The source's rows now (a view): what the chart shows, or will once it is on screen."""
        rows = self._source()
        return rows if rows is not None else np.empty((0, len(COL)))

    def redraw(self, *, force: bool = False) -> bool:
        """Bring the curves up to date if the data changed since the last redraw and the panel is on
        screen (``force``: even when it is not). False when nothing was handed to the plots.

        Hand pyqtgraph only what can be seen (the followed window, or the viewed range with a
        margin), about two points per pixel column: a 1,000,000-row history costs the same per
        frame as a short one. Following, a frame reduces only the rows appended since the last
        one and draws only when the drawing moves by a pixel (:mod:`.live_series`).
        """
        if not self._dirty or (not force and not on_screen(self)):
            return False
        self._dirty = False
        rows = self._source()
        if rows is None:
            rows = np.empty((0, len(COL)))
        self._rows = rows
        span = self._drawn_span(rows[:, COL["t"]])
        if not (self._draw_followed(rows, span.start) if self.follow else self._draw_viewed(rows, span)):
            self._update_labels()
            return False
        boundaries = boundaries_of(self.chart_time, rows[:, COL["t"]])
        for separators in self.separators:
            separators.show(boundaries)
        self.redraws += 1
        if self.follow:
            self._follow(rows[:, COL["t"]])
        self._update_labels()
        return True

    def _drawn_span(self, t: FloatArray) -> slice:
        n = t.size
        if not n:
            return slice(0, 0)
        ct = self.chart_time
        if self.follow and self.window_seconds > 0:
            end = ct.x_of(t[-1:])[0]
            return slice(int(np.searchsorted(t, ct.t_of(end - ct.window(self.window_seconds) * 1.05))), n)
        if not self.follow:
            x0, x1 = self.plots[0].vb.viewRange()[0]
            width = x1 - x0
            lo = int(np.searchsorted(t, ct.t_of(x0 - width)))
            hi = int(np.searchsorted(t, ct.t_of(x1 + width), side="right"))
            return slice(max(0, lo - 1), min(n, hi + 1))
        return slice(0, n)

    def _view_moved(self, *_: Any) -> None:
        if not self.follow:  # panned or zoomed by hand: redraw the newly visible span next frame
            self.mark_dirty()

    def _draw_followed(self, rows: FloatArray, start: int) -> bool:
        t = rows[:, COL["t"]]
        ct = self.chart_time
        if self.window_seconds > 0:
            span = ct.window(self.window_seconds) * 1.05
        else:
            span = float(np.ptp(ct.x_of(t[[0, -1]]))) if t.size else 0.0
        pixels = float(self.plots[0].vb.width()) or 1000.0
        changed = self.live.update(rows, start, span, pixels, ct)
        sizes = [plot.vb.viewPixelSize() for plot in self.plots]
        y_pixel = np.array([sizes[i][1] for i in self._drawn_plots], dtype=np.float64)
        if not self.live.moved(changed, y_pixel, float(sizes[0][0])):
            return False
        x, values = self.live.drawn()
        for k, (curve, _series) in enumerate(self._curve_specs):
            self._set_xy(curve, x, values[:, k])
        k = len(self._curve_specs)
        for lo, hi, _a, _b, fill in self._band_curves:
            self._set_xy(lo, x, values[:, k])
            self._set_xy(hi, x, values[:, k + 1])
            fill.set_band(x, values[:, k], values[:, k + 1])
            k += 2
        self._manual_key = None
        return True

    def _draw_viewed(self, rows: FloatArray, span: slice) -> bool:
        """Not following: the viewed range with a margin, decimated at once; nothing to do while
        only rows after it arrive."""
        t = rows[:, COL["t"]]
        key = (span.start, span.stop, float(t[span.stop - 1]) if span.stop > span.start else None,
               tuple(self.plots[0].vb.viewRange()[0]), self.chart_time.compressed)
        if key == self._manual_key:
            return False
        self._manual_key = key
        self.live.reset()
        drawn = rows[span]
        t = np.ascontiguousarray(drawn[:, COL["t"]], dtype=np.float64)
        sessions = self.chart_time.segments(t)  # lines break over closed hours, live or reloaded alike
        for curve, series in self._curve_specs:
            self._set(curve, t, drawn[:, COL[series.column]], sessions)
        for lo, hi, a, b, fill in self._band_curves:
            ya, yb = drawn[:, COL[a]], drawn[:, COL[b]]
            self._set(lo, t, np.fmin(ya, yb), sessions)
            self._set(hi, t, np.fmax(ya, yb), sessions)
            fill.set_band(lo.xData, lo.yData, hi.yData)
        return True

    def _set_xy(self, curve: pg.PlotDataItem, x: FloatArray, y: FloatArray) -> None:
        y = np.ascontiguousarray(y, dtype=np.float64)
        finite = bool(np.isfinite(y).all())
        curve.setData(x, y, connect="all" if finite else "finite", skipFiniteCheck=finite)
        self.set_data_calls += 1

    def _set(self, curve: pg.PlotDataItem, t: FloatArray, y: FloatArray, sessions: list[slice]) -> None:
        x, y = self.chart_time.drawn(t, np.ascontiguousarray(y, dtype=np.float64), sessions, MAX_DRAWN_POINTS,
                                     peak_decimate)
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
            end = float(self.chart_time.x_of(t[-1:])[0])
            self.plots[0].setXRange(end - self.chart_time.window(self.window_seconds), end, padding=0.01)
            for plot in self.plots:
                plot.enableAutoRange(axis="y")
        else:
            for plot in self.plots:
                plot.enableAutoRange()

    def fit(self) -> None:
        for plot in self.plots:
            plot.enableAutoRange()

    # -- time axis ------------------------------------------------------------------------
    @property
    def compressed(self) -> bool:
        return self.chart_time.compressed

    def set_compressed(self, on: bool) -> None:
        """Hide closed hours (session-compressed axis) or draw time to scale; keeps the viewed span."""
        self.compress_action.setChecked(bool(on))  # -> _compress_toggled when it changes

    def _compress_toggled(self, on: bool) -> None:
        if on == self.chart_time.compressed:
            return
        x0, x1 = self.plots[0].vb.viewRange()[0]
        t0, t1 = self.chart_time.t_of(x0), self.chart_time.t_of(x1)
        self.chart_time.compressed = on
        self.plots[-1].getAxis("bottom").show_zone_label(self.chart_time.label())
        if not self.follow and t1 > t0:
            x = self.chart_time.x_of(np.array([t0, t1]))
            self.plots[0].setXRange(float(x[0]), float(x[1]), padding=0)
        self.mark_dirty()
        self.redraw(force=True)  # follows the latest data again when following
        self.sig_compress_changed.emit(on)

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
        x = self.chart_time.t_of(x)
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
            stamp = dt.datetime.fromtimestamp(self._rows[i, COL["t"]], dt.UTC).astimezone(ET)
            when = stamp.strftime("%a %Y-%m-%d %H:%M:%S ") + ZONE_LABEL
        if len(self._label_texts) != len(self.labels):
            self._label_texts = [("", "")] * len(self.labels)
        for index, (label, spec) in enumerate(zip(self.labels, self.specs, strict=True)):
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
            text = ("&nbsp;&nbsp;".join(parts), self.colors.foreground)
            if self._label_texts[index] != text:  # a label re-lays out its text: only when it changed
                self._label_texts[index] = text
                label.setText(text[0], color=text[1], size="8pt")

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
