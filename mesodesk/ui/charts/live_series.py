"""What a following time-series panel draws, kept up to date at the cost of what is new.

:class:`LiveDecimation` holds a :class:`~mesodesk.ui.charts.decimate.PixelDecimator` over the
panel's columns (curves, and each band's low/high edge) with buckets about a pixel wide on
the panel's x axis, and says whether a frame changes anything on screen: a finished bucket
(a new pixel column), or the open bucket's min/max or the last value moving by a pixel or
more. :class:`BandFill` fills between a band's edges from the drawn arrays in one path.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtGui import QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from mesodesk.core.history import COL
from mesodesk.core.trading_time import ChartTime, closed_breaks
from mesodesk.ui.charts.decimate import PixelDecimator

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


def bucket_width(span: float, pixels: float) -> float:
    """About one pixel of ``span`` axis units over ``pixels``, rounded up to a power of two (so a
    growing span changes the width, and rebuilds the buckets, only when it doubles)."""
    if not (span > 0 and math.isfinite(span)):
        return 1.0
    return float(2.0 ** math.ceil(math.log2(span / max(pixels, 64.0))))


class LiveDecimation:
    """Per-pixel min/max of the drawn columns, updated with the rows appended since the last frame.

    ``columns``: the curves' column names; ``bands``: (a, b) column pairs drawn as a band
    (its low edge ``fmin(a, b)``, its high edge ``fmax(a, b)``). Drawn values come in that
    order: the curves', then each band's low and high edge.
    """

    def __init__(self, columns: Sequence[str], bands: Sequence[tuple[str, str]]) -> None:
        self.columns = [COL[c] for c in columns]
        self.bands = [(COL[a], COL[b]) for a, b in bands]
        self.decimator = PixelDecimator()
        self._drawn_state: FloatArray | None = None
        self._drawn_x = math.nan

    @property
    def width(self) -> int:
        return len(self.columns) + 2 * len(self.bands)

    def reset(self) -> None:
        self.decimator.reset()
        self._drawn_state = None

    def update(self, rows: FloatArray, start: int, span: float, pixels: float, chart_time: ChartTime) -> bool:
        """Reduce the new rows of ``rows[start:]``; True when finished buckets changed."""
        t = rows[:, COL["t"]]

        def values(i: int, j: int) -> FloatArray:
            part = rows[i:j]
            out = [part[:, c] for c in self.columns]
            for a, b in self.bands:
                out += [np.fmin(part[:, a], part[:, b]), np.fmax(part[:, a], part[:, b])]
            return np.column_stack(out) if out else np.empty((j - i, 0))

        def breaks(times: FloatArray) -> IntArray:
            return closed_breaks(times, chart_time.mapping)

        return self.decimator.update(t, start, bucket_width(span, pixels), chart_time.compressed, values,
                                     chart_time.x_of, breaks)

    def moved(self, changed: bool, y_pixel: FloatArray, x_pixel: float) -> bool:
        """Whether the drawing differs by a pixel or more from the last one drawn: ``changed``
        (finished buckets), else the open bucket's min/max and the last value, per drawn
        column against ``y_pixel`` (that column's plot's data units per pixel), and the last x."""
        if self.decimator.empty:
            return self._drawn_state is not None
        if changed or self._drawn_state is None:
            return True
        state = self.decimator.open_state()
        if state.shape != self._drawn_state.shape:
            return True
        with np.errstate(invalid="ignore"):
            tolerance = np.tile(y_pixel, 3)
            same = (np.abs(state - self._drawn_state) < tolerance) | (np.isnan(state) & np.isnan(self._drawn_state))
        return not bool(same.all()) or not abs(self.decimator.last_x - self._drawn_x) < x_pixel

    def drawn(self) -> tuple[FloatArray, FloatArray]:
        """(x, values) to hand the curves; remembers them as drawn."""
        if self.decimator.empty:
            self._drawn_state = None
            return np.empty(0), np.empty((0, self.width))
        self._drawn_state = self.decimator.open_state()
        self._drawn_x = self.decimator.last_x
        return self.decimator.drawn()


class BandFill(QGraphicsPathItem):
    """The filled area between a band's low and high edge (one polygon per unbroken run)."""

    def __init__(self) -> None:
        super().__init__()
        self.setPen(QPen(pg.mkColor(0, 0, 0, 0), 0))
        self.setZValue(-1)

    def set_band(self, x: FloatArray, lo: FloatArray, hi: FloatArray) -> None:
        path = QPainterPath()
        good = np.isfinite(x) & np.isfinite(lo) & np.isfinite(hi)
        idx = np.flatnonzero(good)
        if idx.size:
            runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)
            for run in runs:
                if run.size < 2:
                    continue
                px = np.concatenate((x[run], x[run][::-1]))
                py = np.concatenate((lo[run], hi[run][::-1]))
                path.addPath(pg.arrayToQPath(px, py, connect="all"))
        self.setPath(path)
