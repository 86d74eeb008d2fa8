"""A session-compressed time axis: trading time <-> wall time, from the NYSE calendar.

A chart over several days drawn to scale is mostly nights and weekends. On the
compressed axis ``x`` counts only regular-session seconds (09:30-16:00 ET on trading
days, :mod:`mesodesk.quant.calendar`) since a fixed anchor, so a session is always
6.5 h wide and closed hours have zero width: every instant of a night, weekend or
holiday maps to the boundary between the session before it and the one after it.

* :class:`SessionTimeMap` maps epoch seconds to ``x`` (monotonic, fixed: appending data
  never moves what is drawn) and back (exact inside sessions; a boundary maps to the
  next session's open);
* :func:`closed_breaks` finds where consecutive samples straddle closed hours, so a line
  is never drawn through a night -- computed from the timestamps alone, so live rows and
  rows reloaded from SQLite are drawn alike;
* :func:`time_ticks` places and labels the time axis' ticks in exchange time (ET), for
  the compressed axis or one drawn to scale.

Qt-free; epoch seconds are float64 UTC.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mesodesk.quant.calendar import (
    ET,
    SESSION_SECONDS,
    UTC,
    is_trading_day,
    next_trading_day,
    session_bounds,
    trading_seconds_between,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: the time zone every chart time axis and time readout shows (and says)
ZONE_LABEL = "ET"
#: x = 0 at this session's open (a Monday, a trading day)
ANCHOR = dt.date(2000, 1, 3)
#: times outside this range are clamped into it (the calendar's range)
_MIN_DATE, _MAX_DATE = dt.date(2000, 1, 3), dt.date(2099, 12, 1)
#: closed time between two samples that breaks the line between them
MIN_BREAK_SECONDS = 60.0
_DAY = 86400.0


def _epoch(d: dt.date) -> float:
    return dt.datetime.combine(d, dt.time(), tzinfo=UTC).timestamp()


_MIN_T, _MAX_T = _epoch(_MIN_DATE), _epoch(_MAX_DATE)


class SessionTimeMap:
    """Epoch seconds <-> session-compressed axis seconds (see the module docstring).

    A table of the sessions around the times seen so far (their opens in epoch seconds
    and their index since :data:`ANCHOR`) grows on demand; lookups are vectorised.
    """

    def __init__(self) -> None:
        self._days: list[dt.date] = []
        self._opens: FloatArray = np.empty(0)
        self._k0 = 0  # session index (since ANCHOR) of self._days[0]

    # -- the session table ---------------------------------------------------------------
    def _cover_dates(self, lo: dt.date, hi: dt.date) -> None:
        lo = max(lo - dt.timedelta(days=10), _MIN_DATE)
        hi = min(hi + dt.timedelta(days=10), _MAX_DATE)
        if self._days and self._days[0] <= lo and self._days[-1] >= hi:
            return
        if self._days:
            lo, hi = min(lo, self._days[0]), max(hi, self._days[-1])
        first = lo if is_trading_day(lo) else next_trading_day(lo)
        days: list[dt.date] = []
        d = first
        while d <= hi:
            days.append(d)
            d = next_trading_day(d)
        self._days = days
        self._opens = np.array([session_bounds(x)[0].timestamp() for x in days], dtype=np.float64)
        self._k0 = _session_index(first)

    def _cover_times(self, t: FloatArray) -> None:
        if t.size:
            lo, hi = float(np.min(t)), float(np.max(t))
            self._cover_dates(dt.datetime.fromtimestamp(lo, UTC).date(), dt.datetime.fromtimestamp(hi, UTC).date())

    # -- mapping -----------------------------------------------------------------------------
    #: at most this many values outside the table are mapped one by one; more grow the table
    _SCALAR_LIMIT = 64

    def to_axis(self, t: FloatArray | float) -> FloatArray:
        """Axis seconds of epoch times ``t`` (monotonic; closed hours have zero width)."""
        t = np.clip(np.atleast_1d(np.asarray(t, dtype=np.float64)), _MIN_T, _MAX_T)
        n = len(self._days)
        inside = (t >= self._opens[0]) & (t < self._opens[-1] + _DAY) if n else np.zeros(t.shape, dtype=bool)
        if not inside.all() and np.count_nonzero(~inside) > self._SCALAR_LIMIT:
            self._cover_times(t)
            inside = np.ones(t.shape, dtype=bool)
        i = np.maximum(np.searchsorted(self._opens, t, side="right") - 1, 0) if n or inside.any() else None
        out: FloatArray = np.empty(t.shape, dtype=np.float64)
        if i is not None:
            into = np.clip(t - self._opens[i], 0.0, SESSION_SECONDS)
            out[...] = (self._k0 + i) * SESSION_SECONDS + into
        for idx in zip(*np.nonzero(~inside), strict=True):
            out[idx] = _axis_of_scalar(float(t[idx]))
        return out

    def to_time(self, x: FloatArray | float) -> FloatArray:
        """Epoch times of axis seconds ``x`` (a session boundary maps to the next session's open)."""
        x = np.clip(np.atleast_1d(np.asarray(x, dtype=np.float64)), 0.0, _max_axis())
        k = np.floor(x / SESSION_SECONDS).astype(np.intp)
        j = k - self._k0
        inside = (j >= 0) & (j < len(self._days))
        if not inside.all() and np.count_nonzero(~inside) > self._SCALAR_LIMIT:
            self._cover_sessions(int(k.min()), int(k.max()))
            j = k - self._k0
            inside = np.ones(x.shape, dtype=bool)
        out: FloatArray = np.empty(x.shape, dtype=np.float64)
        if len(self._days):
            out[...] = self._opens[np.clip(j, 0, len(self._days) - 1)] + (x - k * SESSION_SECONDS)
        for idx in zip(*np.nonzero(~inside), strict=True):
            out[idx] = _open_of_session(int(k[idx])) + float(x[idx]) - int(k[idx]) * SESSION_SECONDS
        return out

    def _cover_sessions(self, k_lo: int, k_hi: int) -> None:
        self._cover_dates(_session_date(k_lo), _session_date(k_hi))

    def axis_of(self, t: float) -> float:
        return float(self.to_axis(t)[0])

    def time_of(self, x: float) -> float:
        return float(self.to_time(x)[0])

    def session_opens(self, t0: float, t1: float) -> FloatArray:
        """Epoch opens of the sessions that open in ``(t0, t1]`` (the boundaries a chart of that
        span has between its sessions)."""
        if not (math.isfinite(t0) and math.isfinite(t1)) or t1 <= t0:
            return np.empty(0)
        self._cover_times(np.array([t0, t1]))
        lo = int(np.searchsorted(self._opens, t0, side="right"))
        hi = int(np.searchsorted(self._opens, t1, side="right"))
        out: FloatArray = self._opens[lo:hi].copy()
        return out


def _session_date(k: int) -> dt.date:
    """The trading day of session index ``k`` (0 = :data:`ANCHOR`)."""
    return ANCHOR if k <= 0 else next_trading_day(ANCHOR, k)


def _session_index(d: dt.date) -> int:
    """The session index of trading day ``d``."""
    return round(trading_seconds_between(session_bounds(ANCHOR)[0], session_bounds(d)[0]) / SESSION_SECONDS)


def _open_of_session(k: int) -> float:
    return session_bounds(_session_date(k))[0].timestamp()


def _axis_of_scalar(t: float) -> float:
    """:meth:`SessionTimeMap.to_axis` of one time, without the table."""
    when = dt.datetime.fromtimestamp(t, UTC)
    d = when.astimezone(ET).date()
    if not is_trading_day(d):
        return _session_index(next_trading_day(d)) * SESSION_SECONDS
    o, _ = session_bounds(d)
    return _session_index(d) * SESSION_SECONDS + min(max(t - o.timestamp(), 0.0), SESSION_SECONDS)


_MAX_AXIS: list[float] = []


def _max_axis() -> float:
    """The axis value of the calendar's last supported day (computed once)."""
    if not _MAX_AXIS:
        _MAX_AXIS.append(_axis_of_scalar(_MAX_T))
    return _MAX_AXIS[0]


def closed_breaks(t: FloatArray, mapping: SessionTimeMap, min_closed: float = MIN_BREAK_SECONDS) -> IntArray:
    """Indices ``i`` such that closed hours (at least ``min_closed`` seconds of them) lie between
    samples ``i - 1`` and ``i``: the line is broken there. ``t`` ascending epoch seconds."""
    t = np.asarray(t, dtype=np.float64)
    if t.size < 2:
        return np.empty(0, dtype=np.intp)
    wall = np.diff(t)
    candidates = np.flatnonzero(wall >= min_closed)  # cheap pre-filter: most steps are short
    if not candidates.size:
        return np.empty(0, dtype=np.intp)
    x = mapping.to_axis(np.concatenate((t[candidates], t[candidates + 1])))
    m = candidates.size
    closed = wall[candidates] - (x[m:] - x[:m])
    out: IntArray = candidates[closed >= min_closed] + 1
    return out


# --------------------------------------------------------------------------- ticks
@dataclass(frozen=True)
class Tick:
    x: float  # axis coordinate
    label: str
    major: bool  # a day (session) tick, labelled with the date


_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200)
_DAY_STEPS = (1, 2, 5, 10, 20, 40, 60, 120, 250)


def _et(t: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, UTC).astimezone(ET)


def _time_label(t: float, step: float) -> str:
    return _et(t).strftime("%H:%M:%S" if step < 60 else "%H:%M")


def _day_label(t: float) -> str:
    return _et(t).strftime("%a %d %b")


def time_ticks(x0: float, x1: float, max_ticks: int, mapping: SessionTimeMap | None) -> list[Tick]:
    """Ticks for the axis range ``[x0, x1]``: at most about ``max_ticks``, at round exchange
    (ET) times, the first of each day labelled with its date.

    ``mapping`` None: the axis is epoch seconds drawn to scale (days start at ET midnight);
    else the session-compressed axis of ``mapping`` (days start at the session open).
    """
    if not (math.isfinite(x0) and math.isfinite(x1)) or x1 <= x0 or max_ticks < 1:
        return []
    x0, x1 = max(x0, 0.0 if mapping is not None else _MIN_T), min(x1, _MAX_T)
    if x1 <= x0:
        return []
    span = x1 - x0
    day_len = SESSION_SECONDS if mapping is not None else _DAY
    raw = span / max_ticks
    if raw > _STEPS[-1]:
        return _day_ticks(x0, x1, raw / day_len, mapping)
    step = next((s for s in _STEPS if s >= raw), _STEPS[-1])
    if mapping is None:
        return _scale_ticks(x0, x1, float(step))
    return _session_ticks(x0, x1, float(step), mapping)


def _day_ticks(x0: float, x1: float, days_per_tick: float, mapping: SessionTimeMap | None) -> list[Tick]:
    every = next((s for s in _DAY_STEPS if s >= days_per_tick), _DAY_STEPS[-1])
    ticks: list[Tick] = []
    if mapping is not None:
        k0, k1 = math.ceil(x0 / SESSION_SECONDS), math.floor(x1 / SESSION_SECONDS)
        ks = [k for k in range(k0 - k0 % every, k1 + 1, every) if k >= k0]
        if ks:
            opens = mapping.to_time(np.array(ks, dtype=np.float64) * SESSION_SECONDS)
            ticks = [Tick(k * SESSION_SECONDS, _day_label(float(t)), True) for k, t in zip(ks, opens, strict=True)]
        return ticks
    d = _et(x0).date()
    end = _et(x1).date()
    while d <= end:
        t = dt.datetime.combine(d, dt.time(), tzinfo=ET).timestamp()
        if x0 <= t <= x1 and d.toordinal() % every == 0:
            ticks.append(Tick(t, _day_label(t), True))
        d += dt.timedelta(days=1)
    return ticks


def _aligned(start: float, stop: float, step: float, day_start: float) -> FloatArray:
    """Multiples of ``step`` after ``day_start`` (an ET midnight) in ``[start, stop]``."""
    first = day_start + math.ceil((start - day_start) / step) * step
    if first > stop:
        return np.empty(0)
    out: FloatArray = first + step * np.arange(int((stop - first) // step) + 1, dtype=np.float64)
    return out


def _scale_ticks(x0: float, x1: float, step: float) -> list[Tick]:
    ticks: list[Tick] = []
    d = _et(x0).date()
    while True:
        midnight = dt.datetime.combine(d, dt.time(), tzinfo=ET).timestamp()
        nxt = dt.datetime.combine(d + dt.timedelta(days=1), dt.time(), tzinfo=ET).timestamp()
        if midnight > x1:
            break
        for t in _aligned(max(x0, midnight), min(x1, nxt - 1e-6), step, midnight):
            t = float(t)
            major = t == midnight
            ticks.append(Tick(t, _day_label(t) if major else _time_label(t, step), major))
        d += dt.timedelta(days=1)
    return ticks


def _session_ticks(x0: float, x1: float, step: float, mapping: SessionTimeMap) -> list[Tick]:
    ticks: list[Tick] = []
    k0, k1 = math.floor(x0 / SESSION_SECONDS), math.floor(x1 / SESSION_SECONDS)
    opens = mapping.to_time(np.arange(k0, k1 + 1, dtype=np.float64) * SESSION_SECONDS)
    for k, o in zip(range(k0, k1 + 1), opens, strict=True):
        o = float(o)
        base = k * SESSION_SECONDS
        if x0 <= base <= x1:
            ticks.append(Tick(base, _day_label(o), True))
        midnight = dt.datetime.combine(_et(o).date(), dt.time(), tzinfo=ET).timestamp()
        lo = max(x0, base) - base + o
        hi = min(x1, base + SESSION_SECONDS) - base + o
        for t in _aligned(lo, hi, step, midnight):
            t = float(t)
            # the open is the day's tick and the close the next day's: keep clear of both
            if o + 0.5 * step <= t <= o + SESSION_SECONDS - 0.5 * step:
                ticks.append(Tick(base + (t - o), _time_label(t, step), False))
    return ticks


# --------------------------------------------------------------------------- a chart's time axis
Decimator = Callable[[FloatArray, FloatArray, int], tuple[FloatArray, FloatArray]]


class ChartTime:
    """How a time chart places its samples: ``x`` is epoch seconds drawn to scale, or
    session-compressed axis seconds (:class:`SessionTimeMap`) when :attr:`compressed`.

    Either way the line breaks where closed hours lie between two samples, and each
    session is decimated on its own, so a break survives any decimation.
    """

    def __init__(self, compressed: bool = True) -> None:
        self.compressed = compressed
        self.mapping = SessionTimeMap()

    def x_of(self, t: FloatArray) -> FloatArray:
        t = np.asarray(t, dtype=np.float64)
        return self.mapping.to_axis(t) if self.compressed else t

    def t_of(self, x: float) -> float:
        return self.mapping.time_of(x) if self.compressed else float(x)

    def window(self, seconds: float) -> float:
        """A follow window of ``seconds`` in axis units: on the compressed axis "1 day" is a session."""
        return min(seconds, SESSION_SECONDS) if self.compressed and seconds >= _DAY else seconds

    def ticks(self, x0: float, x1: float, max_ticks: int) -> list[Tick]:
        return time_ticks(x0, x1, max_ticks, self.mapping if self.compressed else None)

    def boundaries(self, t0: float, t1: float) -> FloatArray:
        """Axis positions of the session boundaries inside the data span ``[t0, t1]`` (compressed
        axis only: drawn to scale, the nights themselves show where sessions end)."""
        if not self.compressed:
            return np.empty(0)
        return self.mapping.to_axis(self.mapping.session_opens(t0, t1))

    def label(self) -> str:
        suffix = " · closed hours hidden" if self.compressed else ""
        return f"Exchange time ({ZONE_LABEL}){suffix}"

    def breaks(self, t: FloatArray) -> IntArray:
        """Indices ``i`` of ``t`` (ascending) with closed hours between samples ``i - 1`` and ``i``."""
        return closed_breaks(t, self.mapping)

    def segments(self, t: FloatArray) -> list[slice]:
        """``t`` (ascending) cut where closed hours lie between two samples."""
        cuts = closed_breaks(t, self.mapping).tolist()
        edges = [0, *cuts, int(np.asarray(t).size)]
        return [slice(a, b) for a, b in itertools.pairwise(edges) if b > a]

    def drawn(self, t: FloatArray, y: FloatArray, segments: list[slice], max_points: int,
              decimate: Decimator) -> tuple[FloatArray, FloatArray]:
        """The (x, y) to draw: each segment decimated to its share of ``max_points``, a NaN
        between segments (the line breaks there), ``x`` on this axis."""
        n = int(np.asarray(t).size)
        if len(segments) <= 1:
            dt_, dy = decimate(t, y, max_points)
            return self.x_of(dt_), dy
        xs: list[FloatArray] = []
        ys: list[FloatArray] = []
        for seg in segments:
            share = max(4, int(max_points * (seg.stop - seg.start) / max(n, 1)))
            st, sy = decimate(t[seg], y[seg], share)
            if xs:
                xs.append(st[:1])  # the break: no line from the previous session to this one
                ys.append(np.array([np.nan]))
            xs.append(st)
            ys.append(sy)
        return self.x_of(np.concatenate(xs)), np.concatenate(ys)
