"""Peak decimation: keep each bucket's min and max so spikes survive, at a bounded point count.

:func:`peak_decimate` reduces a whole series; :class:`PixelDecimator` keeps the buckets of a
growing series so each new row is reduced once (a live chart's frame costs what is new).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def peak_decimate(t: FloatArray, y: FloatArray, max_points: int) -> tuple[FloatArray, FloatArray]:
    """Return at most ``max_points`` (t, y) pairs: per bucket its min and max, in time order.

    NaNs are ignored within a bucket (an all-NaN bucket stays NaN, keeping gaps visible).
    """
    n = t.size
    if n <= max_points or max_points < 4:
        return t, y
    buckets = max_points // 2
    size = -(-n // buckets)  # ceil
    pad = buckets * size - n
    yy = np.concatenate([y, np.full(pad, np.nan)]) if pad else y
    tt = np.concatenate([t, np.full(pad, t[-1])]) if pad else t
    blocks = yy.reshape(buckets, size)
    times = tt.reshape(buckets, size)
    with np.errstate(all="ignore"):
        all_nan = np.isnan(blocks).all(axis=1)
        filled_lo = np.where(np.isnan(blocks), np.inf, blocks)
        filled_hi = np.where(np.isnan(blocks), -np.inf, blocks)
        i_lo = filled_lo.argmin(axis=1)
        i_hi = filled_hi.argmax(axis=1)
    rows = np.arange(buckets)
    first, second = np.minimum(i_lo, i_hi), np.maximum(i_lo, i_hi)
    out_t = np.empty(buckets * 2)
    out_y = np.empty(buckets * 2)
    out_t[0::2], out_t[1::2] = times[rows, first], times[rows, second]
    out_y[0::2], out_y[1::2] = blocks[rows, first], blocks[rows, second]
    out_y[np.repeat(all_nan, 2)] = np.nan
    return out_t, out_y


IntArray = npt.NDArray[np.intp]
XMap = Callable[[FloatArray], FloatArray]
Breaks = Callable[[FloatArray], IntArray]
Values = Callable[[int, int], FloatArray]


@dataclass
class _Buckets:
    """Reduced buckets, in order: first row time, first/last x, per-column min/max, rows, break before."""

    t0: FloatArray
    xa: FloatArray
    xb: FloatArray
    lo: FloatArray  # (buckets, columns)
    hi: FloatArray
    rows: IntArray
    brk: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.t0.size)

    def take(self, part: slice) -> _Buckets:
        return _Buckets(self.t0[part], self.xa[part], self.xb[part], self.lo[part], self.hi[part],
                        self.rows[part], self.brk[part])

    def join(self, other: _Buckets) -> _Buckets:
        return _Buckets(*(np.concatenate((a, b)) for a, b in zip(self.arrays(), other.arrays(), strict=True)))

    def arrays(self) -> tuple[Any, ...]:
        return (self.t0, self.xa, self.xb, self.lo, self.hi, self.rows, self.brk)


class PixelDecimator:
    """Per-bucket min and max of a growing, time-ordered table, each row reduced once.

    Buckets are ``width`` wide on the x axis (about a pixel), aligned to multiples of it,
    and also end where the line breaks (closed hours), so appending rows only touches the
    last, open bucket: :meth:`update` reduces the open bucket's rows and the new ones, and
    keeps the finished buckets. Rows dropped at the front (a sliding window, a full ring
    buffer) drop whole buckets. Anything else -- another width or x mapping, rows inserted
    or replaced, the span reaching further back -- rebuilds from the rows (counted in
    :attr:`rebuilds`). :attr:`rows_reduced` counts the rows reduced, for tests.
    """

    def __init__(self) -> None:
        self.rows_reduced = 0
        self.rebuilds = 0
        self.reset()

    def reset(self) -> None:
        self.width = 0.0
        self._key: Any = None
        self._done: _Buckets | None = None  # finished buckets
        self._open: _Buckets | None = None  # the last bucket, still growing (one entry)
        self._last_row: FloatArray | None = None
        self._last_t = math.nan
        self._last_x = math.nan

    @property
    def empty(self) -> bool:
        return self._open is None

    def update(self, t: FloatArray, start: int, width: float, key: Any, values: Values, x_of: XMap,
               breaks: Breaks) -> bool:
        """Bring the buckets up to date with rows ``start:`` (``t`` ascending, ``values(i, j)`` the
        columns of rows ``i:j``). Returns True when finished buckets were added or rebuilt (the
        drawing changed by at least a bucket), False when only the open bucket moved."""
        n = int(t.size)
        if n <= start:
            changed = not self.empty
            self.reset()
            return changed
        if width != self.width or key != self._key or self.empty or not self._consistent(t, start):
            self.width, self._key = width, key
            self._done = None
            self._open = None
            self.rebuilds += 1
            self._reduce(t, start, n, values, x_of, breaks)
            return True
        assert self._open is not None
        self._drop_front(float(t[start]))
        if t[-1] == self._last_t:
            return False
        i_open = int(np.searchsorted(t, self._open.t0[0]))
        before = len(self._done) if self._done is not None else 0
        self._reduce(t, i_open, n, values, x_of, breaks)
        return (len(self._done) if self._done is not None else 0) != before

    def _first_t(self) -> float:
        assert self._open is not None
        return float(self._done.t0[0]) if self._done is not None and len(self._done) else float(self._open.t0[0])

    def _covered(self) -> int:
        assert self._open is not None
        done = int(self._done.rows.sum()) if self._done is not None else 0
        return done + int(self._open.rows[0])

    def _consistent(self, t: FloatArray, start: int) -> bool:
        """The rows reduced so far are still there, unchanged in number, and the span starts no earlier."""
        first = self._first_t()
        if t[start] < first:
            return False  # the span reaches further back: rebuild
        i_first = int(np.searchsorted(t, first))
        i_last = int(np.searchsorted(t, self._last_t))
        if i_last >= t.size or t[i_last] != self._last_t:
            return False
        if i_first < t.size and t[i_first] == first:
            return i_last - i_first + 1 == self._covered()
        return True  # the first bucket's rows were dropped: _drop_front cuts it

    def _drop_front(self, t_start: float) -> None:
        if self._done is None or not len(self._done) or self._done.t0[0] >= t_start:
            return
        keep = int(np.searchsorted(self._done.t0, t_start))
        # a bucket that lost some rows goes too (its successor starts at or after t_start)
        self._done = self._done.take(slice(keep, None))

    def _reduce(self, t: FloatArray, i: int, j: int, values: Values, x_of: XMap, breaks: Breaks) -> None:
        """Reduce rows ``i:j`` (the open bucket's and the new ones) into buckets; all but the last are done."""
        ts = t[i:j]
        x = x_of(ts)
        v = np.asarray(values(i, j), dtype=np.float64).reshape(ts.size, -1)
        brk = np.zeros(ts.size, dtype=bool)
        before = max(i - 1, 0)  # the row before, if any: a break may lie between it and row i
        cuts = breaks(t[before:j])  # indices into t[before:j] (>= 1): a break before that row
        brk[cuts - (i - before)] = True  # a rebuild from row 0 breaks at every night too
        bucket = np.floor(x / self.width)
        new = brk.copy()
        new[0] = True
        new[1:] |= bucket[1:] != bucket[:-1]
        starts = np.flatnonzero(new)
        ends = np.append(starts[1:], ts.size)
        with np.errstate(invalid="ignore"):
            lo = np.fmin.reduceat(v, starts, axis=0)
            hi = np.fmax.reduceat(v, starts, axis=0)
        fresh = _Buckets(ts[starts], x[starts], x[ends - 1], lo, hi, (ends - starts).astype(np.intp), brk[starts])
        done = fresh.take(slice(0, len(fresh) - 1))
        self._done = done if self._done is None else self._done.join(done)
        self._open = fresh.take(slice(len(fresh) - 1, None))
        self._last_row = v[-1].copy()
        self._last_t = float(ts[-1])
        self._last_x = float(x[-1])
        self.rows_reduced += int(ts.size)

    def open_state(self) -> FloatArray:
        """The open bucket's min, max and the last row's values (what can move without a new bucket)."""
        assert self._open is not None and self._last_row is not None
        return np.concatenate((self._open.lo[0], self._open.hi[0], self._last_row))

    @property
    def last_x(self) -> float:
        return self._last_x

    def drawn(self) -> tuple[FloatArray, FloatArray]:
        """(x, values) to draw: per bucket its min then its max (one point for a one-row bucket),
        a NaN row before a bucket after a break, and the last row last (the line ends on it)."""
        if self._open is None or self._last_row is None:
            return np.empty(0), np.empty((0, 0))
        b = self._open if self._done is None else self._done.join(self._open)
        k, columns = b.lo.shape
        xs = np.column_stack((b.xa, b.xa, b.xb)).ravel()
        ys = np.stack((np.full((k, columns), np.nan), b.lo, b.hi), axis=1).reshape(3 * k, columns)
        keep = np.column_stack((b.brk, np.ones(k, dtype=bool), b.rows > 1)).ravel()
        keep[0] = False  # no break before the first point
        x = np.append(xs[keep], self._last_x)
        y = np.vstack((ys[keep], self._last_row[None, :]))
        return x, y
