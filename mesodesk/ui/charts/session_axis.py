"""The time axis of the streaming charts: exchange-time (ET) ticks on a session-compressed
or to-scale axis, and thin separators at the session boundaries.

The mapping, the breaks and the tick placement are Qt-free (:mod:`mesodesk.core.trading_time`);
this module only draws them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from mesodesk.core.trading_time import ChartTime, FloatArray

#: pixels one tick label needs (the date labels are the widest)
TICK_LABEL_PX = 90
#: more session boundaries than this in the data: no separators (they would be a comb)
MAX_SEPARATORS = 60


class SessionAxisItem(pg.AxisItem):
    """A bottom axis showing ``chart_time``'s x as exchange times, dates at day starts."""

    def __init__(self, chart_time: ChartTime, **kwargs: Any) -> None:
        super().__init__("bottom", **kwargs)
        self.chart_time = chart_time
        self._labels: dict[float, str] = {}
        self.enableAutoSIPrefix(False)  # epoch seconds are not "x1e+09"

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, list[float]]]:
        ticks = self.chart_time.ticks(float(minVal), float(maxVal), max(1, int(size // TICK_LABEL_PX)))
        self._labels = {t.x: t.label for t in ticks}
        majors = [t.x for t in ticks if t.major]
        minors = [t.x for t in ticks if not t.major]
        span = float(maxVal - minVal) or 1.0
        return [(span, majors), (span / max(len(minors), 1), minors)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [self._labels.get(v, "") for v in values]

    def show_zone_label(self, text: str) -> None:
        """Name the axis (its zone): the label sits under the tick labels."""
        self.setLabel(text)
        self.label.setToolTip("Times are exchange time, America/New_York")


class SessionSeparators:
    """Thin vertical lines at the session boundaries of one plot (compressed axis only)."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        self.lines: list[pg.InfiniteLine] = []
        self._shown: tuple[float, ...] = ()
        self._pen = pg.mkPen("#808080", width=1, style=Qt.PenStyle.DotLine)

    def set_color(self, color: Any) -> None:
        self._pen = pg.mkPen(color, width=1, style=Qt.PenStyle.DotLine)
        for line in self.lines:
            line.setPen(self._pen)

    def show(self, xs: FloatArray) -> None:
        """Separators at ``xs`` (nothing changes when the boundaries are the same as before)."""
        wanted = tuple(float(x) for x in xs) if xs.size <= MAX_SEPARATORS else ()
        if wanted == self._shown:
            return
        self._shown = wanted
        while len(self.lines) < len(wanted):
            line = pg.InfiniteLine(angle=90, movable=False, pen=self._pen)
            line.setZValue(-10)
            self.plot.addItem(line, ignoreBounds=True)
            self.lines.append(line)
        for i, line in enumerate(self.lines):
            if i < len(wanted):
                line.setPos(wanted[i])
                line.setVisible(True)
            else:
                line.setVisible(False)

    @property
    def positions(self) -> tuple[float, ...]:
        return self._shown


def boundaries_of(chart_time: ChartTime, t: FloatArray) -> FloatArray:
    """Axis positions of the session boundaries within the samples ``t``."""
    if t.size < 2:
        return np.empty(0)
    return chart_time.boundaries(float(t[0]), float(t[-1]))
