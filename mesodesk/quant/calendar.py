"""The NYSE trading calendar (shared by the simulator and the console): holidays, regular sessions, trading time.

Sessions are 09:30-16:00 America/New_York on weekdays that are not full-day NYSE
holidays (standing rules; early closes and one-off closures are not modelled).
"Trading time" counts only regular-session seconds. A naive datetime is UTC.
numpy is imported by the first business-day count or offset, not with this module: the console
formats times in ET at start-up without it.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "AM_SETTLED_ROOTS",
    "ET",
    "SESSION_CLOSE",
    "SESSION_OPEN",
    "SESSION_SECONDS",
    "TRADING_SECONDS_PER_YEAR",
    "UTC",
    "add_months",
    "add_trading_seconds",
    "as_utc",
    "et_date",
    "expiration_datetime",
    "is_market_open",
    "is_trading_day",
    "next_trading_day",
    "nyse_holidays",
    "previous_or_same_trading_day",
    "session_bounds",
    "session_close_after",
    "third_friday",
    "trading_seconds_between",
]

ET = ZoneInfo("America/New_York")
UTC = dt.UTC
SESSION_OPEN = dt.time(9, 30)
SESSION_CLOSE = dt.time(16, 0)
SESSION_SECONDS = 6.5 * 3600.0
TRADING_SECONDS_PER_YEAR = 252 * SESSION_SECONDS
AM_SETTLED_ROOTS = frozenset({"SPX", "RUT"})


def _easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> dt.date:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _observed(d: dt.date) -> dt.date:
    if d.weekday() == 5:
        return d - dt.timedelta(days=1)
    if d.weekday() == 6:
        return d + dt.timedelta(days=1)
    return d


@lru_cache(maxsize=256)
def nyse_holidays(year: int) -> frozenset[dt.date]:
    """Full-day NYSE closures of ``year`` by the exchange's standing rules
    (early closes and one-off closures are not modelled)."""
    days = {
        _nth_weekday(year, 1, 0, 3),  # Martin Luther King Jr. Day
        _nth_weekday(year, 2, 0, 3),  # Washington's Birthday
        _easter(year) - dt.timedelta(days=2),  # Good Friday
        _last_weekday(year, 5, 0),  # Memorial Day
        _observed(dt.date(year, 7, 4)),
        _nth_weekday(year, 9, 0, 1),  # Labor Day
        _nth_weekday(year, 11, 3, 4),  # Thanksgiving
        _observed(dt.date(year, 12, 25)),
    }
    new_year = dt.date(year, 1, 1)
    if new_year.weekday() != 5:  # a Saturday New Year is not observed on Dec 31
        days.add(_observed(new_year))
    if year >= 2022:
        days.add(_observed(dt.date(year, 6, 19)))  # Juneteenth
    return frozenset(days)


@lru_cache(maxsize=1)
def _busday_calendar() -> np.busdaycalendar:
    import numpy as np

    hol = sorted(d for y in range(1990, 2101) for d in nyse_holidays(y))
    return np.busdaycalendar(weekmask="1111100", holidays=np.array(hol, dtype="datetime64[D]"))


def is_trading_day(d: dt.date) -> bool:
    return d.weekday() < 5 and d not in nyse_holidays(d.year)


def next_trading_day(d: dt.date, n: int = 1) -> dt.date:
    """The ``n``-th trading day after ``d`` (``n >= 1``)."""
    import numpy as np

    out = np.busday_offset(np.datetime64(d, "D"), n, roll="backward", busdaycal=_busday_calendar())
    return out.astype(dt.date)  # type: ignore[no-any-return]


def previous_or_same_trading_day(d: dt.date) -> dt.date:
    import numpy as np

    out = np.busday_offset(np.datetime64(d, "D"), 0, roll="backward", busdaycal=_busday_calendar())
    return out.astype(dt.date)  # type: ignore[no-any-return]


@lru_cache(maxsize=4096)
def session_bounds(d: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The regular session of ET date ``d`` as UTC datetimes (even if not a trading day)."""
    o = dt.datetime.combine(d, SESSION_OPEN, tzinfo=ET).astimezone(UTC)
    c = dt.datetime.combine(d, SESSION_CLOSE, tzinfo=ET).astimezone(UTC)
    return o, c


def as_utc(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def et_date(t: dt.datetime) -> dt.date:
    return as_utc(t).astimezone(ET).date()


def is_market_open(t: dt.datetime) -> bool:
    """Whether ``t`` (naive = UTC) falls in a regular session [09:30, 16:00) ET."""
    t = as_utc(t)
    d = et_date(t)
    if not is_trading_day(d):
        return False
    o, c = session_bounds(d)
    return o <= t < c


def session_close_after(t: dt.datetime) -> dt.datetime:
    """The close (UTC) of the session ``t`` belongs to: the same day's 16:00 ET when ``t`` is
    before it on a trading day, else the next trading day's. A DAY order placed at ``t``
    expires there."""
    t = as_utc(t)
    d = et_date(t)
    if is_trading_day(d):
        close = session_bounds(d)[1]
        if t < close:
            return close
    return session_bounds(next_trading_day(d))[1]


def _session_position(t: dt.datetime) -> tuple[dt.date, float]:
    """ET date of ``t`` and the session seconds already elapsed on it (0..SESSION_SECONDS)."""
    d = et_date(t)
    if not is_trading_day(d):
        return d, 0.0
    o, _ = session_bounds(d)
    return d, min(max((t - o).total_seconds(), 0.0), SESSION_SECONDS)


def trading_seconds_between(a: dt.datetime, b: dt.datetime) -> float:
    """Regular-session seconds in ``[a, b)``; negative if ``b < a``."""
    import numpy as np

    a, b = as_utc(a), as_utc(b)
    if b < a:
        return -trading_seconds_between(b, a)
    da, pa = _session_position(a)
    db, pb = _session_position(b)
    if da == db:
        return pb - pa
    first = (SESSION_SECONDS if is_trading_day(da) else 0.0) - pa
    between = int(
        np.busday_count(
            np.datetime64(da + dt.timedelta(days=1), "D"),
            np.datetime64(db, "D"),
            busdaycal=_busday_calendar(),
        )
    )
    return first + between * SESSION_SECONDS + pb


def add_trading_seconds(start: dt.datetime, seconds: float) -> dt.datetime:
    """The instant ``seconds`` of regular-session time after ``start`` (``seconds >= 0``).

    A ``start`` outside a session is first moved to the next open, and a result
    that lands exactly on a close is reported as the next session's open, so the
    result is always inside a session.
    """
    start = as_utc(start)
    d = et_date(start)
    o, c = session_bounds(d)
    if not is_trading_day(d) or start >= c:
        d = next_trading_day(d)
        pos = 0.0
    else:
        pos = max((start - o).total_seconds(), 0.0)
    seconds = max(float(seconds), 0.0)
    remaining = SESSION_SECONDS - pos
    if seconds < remaining:
        offset = pos + seconds
    else:
        full, offset = divmod(seconds - remaining, SESSION_SECONDS)
        d = next_trading_day(d, int(full) + 1)
    o, c = session_bounds(d)
    out = o + dt.timedelta(seconds=offset)
    # microsecond rounding can land exactly on the close
    return out if out < c else session_bounds(next_trading_day(d))[0]


def expiration_datetime(root: str, expiration: dt.date) -> dt.datetime:
    """Settlement instant (UTC): 09:30 ET for AM-settled roots (SPX, RUT), else 16:00 ET."""
    o, c = session_bounds(expiration)
    return o if root in AM_SETTLED_ROOTS else c


def third_friday(year: int, month: int) -> dt.date:
    return _nth_weekday(year, month, 4, 3)


def add_months(d: dt.date, n: int) -> tuple[int, int]:
    """(year, month) ``n`` months after ``d``'s month."""
    m = d.month - 1 + n
    return d.year + m // 12, m % 12 + 1
