"""The session-compressed time axis: mapping, breaks over closed hours, ET ticks.

The expected values come from an independent computation in this file: walking the
sessions of the NYSE calendar one by one (``_sessions``), not from the module's table.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mesodesk.core.trading_time import (
    ANCHOR,
    ChartTime,
    SessionTimeMap,
    closed_breaks,
    time_ticks,
)
from mesodesk.quant.calendar import ET, SESSION_SECONDS, UTC, is_trading_day, nyse_holidays, session_bounds
from mesodesk.ui.charts.decimate import peak_decimate

T_LO = dt.datetime(2024, 1, 1, tzinfo=UTC).timestamp()
T_HI = dt.datetime(2027, 12, 31, tzinfo=UTC).timestamp()
times = st.integers(int(T_LO * 1000), int(T_HI * 1000)).map(lambda ms: ms / 1000.0)


def _sessions(d0: dt.date, d1: dt.date) -> list[tuple[float, float]]:
    """(open, close) epoch seconds of every trading day in [d0, d1], by walking the days."""
    out = []
    d = d0
    while d <= d1:
        if d.weekday() < 5 and d not in nyse_holidays(d.year):
            o, c = session_bounds(d)
            out.append((o.timestamp(), c.timestamp()))
        d += dt.timedelta(days=1)
    return out


def _trading_seconds(a: float, b: float) -> float:
    """Session seconds in [a, b] (a <= b), by summing session overlaps."""
    da = dt.datetime.fromtimestamp(a, UTC).date() - dt.timedelta(days=1)
    db = dt.datetime.fromtimestamp(b, UTC).date() + dt.timedelta(days=1)
    return sum(max(0.0, min(b, c) - max(a, o)) for o, c in _sessions(da, db))


def _in_session(t: float) -> bool:
    d = dt.datetime.fromtimestamp(t, UTC).astimezone(ET).date()
    if not is_trading_day(d):
        return False
    o, c = session_bounds(d)
    return o.timestamp() <= t < c.timestamp()


@settings(max_examples=150, deadline=None)
@given(st.lists(times, min_size=2, max_size=40))
def test_the_mapping_is_monotonic_and_counts_only_session_seconds(ts: list[float]) -> None:
    t = np.sort(np.array(ts))
    x = SessionTimeMap().to_axis(t)
    assert (np.diff(x) >= 0).all()
    # the axis distance between two times is the trading time between them
    for a, b, xa, xb in zip(t[:-1], t[1:], x[:-1], x[1:], strict=True):
        assert abs((xb - xa) - _trading_seconds(float(a), float(b))) < 1e-3


@settings(max_examples=150, deadline=None)
@given(times, st.floats(0, 3 * 86400))
def test_closed_hours_have_zero_width(t: float, later: float) -> None:
    """Two times with no session second between them map to the same x."""
    m = SessionTimeMap()
    b = t + later
    if _trading_seconds(t, b) == 0.0:
        x = m.to_axis(np.array([t, b]))
        assert x[0] == x[1]


@settings(max_examples=200, deadline=None)
@given(times)
def test_round_trip_inside_sessions(t: float) -> None:
    m = SessionTimeMap()
    x = m.axis_of(t)
    back = m.time_of(x)
    if _in_session(t):
        assert abs(back - t) < 1e-5
    else:  # a closed instant maps to the boundary, which maps back to the next open
        assert _in_session(back) and back > t
        o, _ = next((o, c) for o, c in _sessions(dt.datetime.fromtimestamp(t, UTC).date() - dt.timedelta(days=1),
                                                   dt.datetime.fromtimestamp(t, UTC).date() + dt.timedelta(days=10))
                    if o > t)
        assert abs(back - o) < 1e-5


def test_weekends_and_holidays_are_skipped() -> None:
    m = SessionTimeMap()
    # Thanksgiving 2026 (Thu 26 Nov) is closed: Wed's close runs into Fri's open
    wed_o, wed_c = session_bounds(dt.date(2026, 11, 25))
    fri_o, fri_c = session_bounds(dt.date(2026, 11, 27))
    mon_o, _ = session_bounds(dt.date(2026, 11, 30))
    thanksgiving_noon = dt.datetime(2026, 11, 26, 12, tzinfo=ET).timestamp()
    saturday = dt.datetime(2026, 11, 28, 11, tzinfo=ET).timestamp()
    x = m.to_axis(np.array([wed_o.timestamp(), wed_c.timestamp(), thanksgiving_noon, fri_o.timestamp(),
                            fri_c.timestamp(), saturday, mon_o.timestamp()]))
    assert x[1] - x[0] == SESSION_SECONDS
    assert x[1] == x[2] == x[3]  # Wed close = Thanksgiving = Fri open
    assert x[4] - x[3] == SESSION_SECONDS
    assert x[4] == x[5] == x[6]  # Fri close = Saturday = Mon open
    # the anchor's open is x = 0, and every session is one SESSION_SECONDS further
    assert m.axis_of(session_bounds(ANCHOR)[0].timestamp()) == 0.0
    n_sessions = len(_sessions(ANCHOR, dt.date(2026, 11, 24)))
    assert x[0] == n_sessions * SESSION_SECONDS


def test_far_values_map_without_growing_the_table() -> None:
    m = SessionTimeMap()
    m.to_axis(np.array([dt.datetime(2026, 3, 2, 15, tzinfo=UTC).timestamp()]))
    days = len(m._days)
    t = dt.datetime(2031, 6, 2, 15, tzinfo=UTC).timestamp()
    x = m.axis_of(t)
    assert len(m._days) == days  # one far value is mapped on its own
    assert abs(m.time_of(x) - t) < 1e-5


@settings(max_examples=60, deadline=None)
@given(st.lists(times, min_size=2, max_size=60))
def test_breaks_are_where_closed_hours_lie_between_samples(ts: list[float]) -> None:
    t = np.unique(np.array(ts))
    breaks = set(closed_breaks(t, SessionTimeMap()).tolist())
    for i in range(1, t.size):
        closed = (t[i] - t[i - 1]) - _trading_seconds(float(t[i - 1]), float(t[i]))
        assert (i in breaks) == (closed >= 60.0), (i, closed)


def test_ticks_are_round_exchange_times_with_dates_at_session_starts() -> None:
    m = SessionTimeMap()
    o1, _ = session_bounds(dt.date(2026, 11, 30))  # Mon
    o2, c2 = session_bounds(dt.date(2026, 12, 1))  # Tue
    x0, x1 = m.axis_of(o1.timestamp() + 3 * 3600), m.axis_of(c2.timestamp() - 1)
    ticks = time_ticks(x0, x1, 12, m)
    assert ticks and len(ticks) <= 16
    days = [t for t in ticks if t.major]
    assert [t.label for t in days] == ["Tue 01 Dec"]
    assert days[0].x == m.axis_of(o2.timestamp())
    for tick in ticks:
        when = dt.datetime.fromtimestamp(m.time_of(tick.x), UTC).astimezone(ET)
        if not tick.major:
            assert tick.label == when.strftime("%H:%M")
            assert when.minute % 30 == 0 and when.second == 0
    # drawn to scale: midnight ET starts a day
    ticks = time_ticks(o1.timestamp(), c2.timestamp(), 10, None)
    majors = [t for t in ticks if t.major]
    assert [t.label for t in majors] == ["Tue 01 Dec"]
    assert dt.datetime.fromtimestamp(majors[0].x, UTC).astimezone(ET).time() == dt.time(0, 0)


def test_chart_time_draws_no_line_through_a_night() -> None:
    """A multi-day series: the drawn line breaks at each session boundary, on both axes, and
    the compressed axis shows every session at the same width."""
    sessions = _sessions(dt.date(2026, 11, 24), dt.date(2026, 12, 2))
    t = np.concatenate([np.arange(o, c, 15.0) for o, c in sessions])
    y = np.sin(t / 3000.0)
    for compressed in (True, False):
        ct = ChartTime(compressed=compressed)
        segments = ct.segments(t)
        assert len(segments) == len(sessions)
        x, yy = ct.drawn(t, y, segments, 4000, peak_decimate)
        assert x.size <= 4000 + len(sessions) * 4
        # every line segment (two consecutive finite points) lies inside one session
        finite = np.isfinite(yy)
        ta = ct.mapping.to_time(x) if compressed else x
        for i in np.flatnonzero(finite[:-1] & finite[1:]):
            assert abs((ta[i + 1] - ta[i]) - _trading_seconds(float(ta[i]), float(ta[i + 1]))) < 1.0
        if compressed:
            widths = [float(np.ptp(ct.x_of(t[s]))) for s in segments]
            assert max(widths) - min(widths) < 30.0
