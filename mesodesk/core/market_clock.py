"""The market clock: the server's time as the console knows it, and the NYSE market state.

The console has no clock of the server's: the embedded simulator runs at an accelerated
clock (60x by default) and jumps from the close (16:00 ET) straight to the next open. So
:class:`ServerClock` derives server time from what the server sends -- the ``Timestamp``
of streamed position data (several a second) and the ``SnapshotTime`` of the session's
heartbeat (every few seconds). Event times are not used: a replay after a reconnect
carries old times.

Between two updates the clock runs on at the observed rate (server seconds per wall
second), but never further than about two update intervals past the last update and
never past the next session boundary (a close or an open): the server may jump, pause
or stop, and the clock must not say something the server has not said. It never runs
backwards. When nothing was heard from a real server, the computer's clock stands in
(a real MesoLive runs in real time); for the simulator the time stays unknown.

:class:`MarketClockReadout` turns the clock into the status bar's words. Qt-free.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from mesodesk.quant.calendar import (
    ET,
    UTC,
    as_utc,
    et_date,
    is_trading_day,
    next_trading_day,
    session_bounds,
    trading_seconds_between,
)

log = logging.getLogger("mesodesk.market_clock")

__all__ = [
    "MarketClockReadout",
    "MarketStatus",
    "Readout",
    "ServerClock",
    "format_duration",
    "next_open",
    "session_of",
]


# --------------------------------------------------------------------------- calendar helpers
def session_of(t: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    """The regular session (open, close) that ``t`` falls in, or None when the market is closed."""
    t = as_utc(t)
    d = et_date(t)
    if not is_trading_day(d):
        return None
    o, c = session_bounds(d)
    return (o, c) if o <= t < c else None


def next_open(t: dt.datetime) -> dt.datetime:
    """The first session open after ``t`` (``t`` itself when it is an open)."""
    t = as_utc(t)
    d = et_date(t)
    if is_trading_day(d):
        o, _ = session_bounds(d)
        if t <= o:
            return o
    return session_bounds(next_trading_day(d))[0]


def next_boundary(t: dt.datetime) -> dt.datetime:
    """The next time the market opens or closes after ``t``."""
    session = session_of(t)
    return session[1] if session is not None else next_open(t)


def format_duration(seconds: float) -> str:
    """``1h 12m``, ``12m``, ``<1m`` (rounded down to the minute, as a countdown)."""
    minutes = int(max(seconds, 0.0) // 60)
    if minutes < 1:
        return "<1m"
    hours, minutes = divmod(minutes, 60)
    if hours >= 24:
        days, hours = divmod(hours, 24)
        return f"{days}d {hours}h"
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def _et_text(t: dt.datetime, *, seconds: bool = False) -> str:
    return as_utc(t).astimezone(ET).strftime("%a %H:%M:%S" if seconds else "%a %H:%M") + " ET"


# --------------------------------------------------------------------------- the clock
@dataclass(frozen=True)
class MarketStatus:
    """The market as of the clock's estimate of server time."""

    now: dt.datetime  # UTC
    is_open: bool
    closes_at: dt.datetime | None  # while open
    opens_at: dt.datetime | None  # while closed: the next open
    from_server: bool  # False: the computer's clock stands in for a real server's
    rate: float | None  # server seconds per wall second, when measured

    def seconds_to_close(self) -> float | None:
        return None if self.closes_at is None else (self.closes_at - self.now).total_seconds()

    def seconds_to_open(self) -> float | None:
        return None if self.opens_at is None else (self.opens_at - self.now).total_seconds()


@dataclass(frozen=True)
class Skip:
    """The server jumped over closed hours: from ``closed_at`` straight to ``opened_at``."""

    closed_at: dt.datetime
    opened_at: dt.datetime
    number: int


class ServerClock:
    """Server time from the timestamps the server sends (see the module docstring).

    ``observe`` is cheap (called for every streamed entry); ``now``/``status`` are for a
    display that reads them about once a second. ``monotonic`` and ``wall`` are injectable
    for tests.
    """

    #: wall seconds of updates the rate is measured over (and at least this much)
    rate_window_s = 10.0
    min_rate_span_s = 1.0
    #: closed time between two updates that makes a "skip" (and breaks nothing shorter)
    min_skip_s = 60.0
    #: a real server not heard from for this long: the computer's clock stands in
    stale_s = 15.0

    def __init__(self, *, wall_fallback: bool = False, monotonic: Callable[[], float] = time.monotonic,
                 wall: Callable[[], dt.datetime] = lambda: dt.datetime.now(UTC)) -> None:
        self.wall_fallback = wall_fallback
        self._monotonic = monotonic
        self._wall = wall
        self._last: tuple[float, float] | None = None  # (server epoch seconds, monotonic)
        self._window: deque[tuple[float, float]] = deque()
        self._gap = 0.25  # typical wall seconds between updates (EMA)
        self._shown = -float("inf")
        self.rate: float | None = None
        self.observations = 0
        self.skip: Skip | None = None

    def reset(self) -> None:
        """Forget everything (another server, another world)."""
        self._last = None
        self._window.clear()
        self._shown = -float("inf")
        self.rate = None
        self.skip = None

    # -- input -----------------------------------------------------------------------------
    def observe(self, server_time: dt.datetime | None) -> None:
        """The server said it is ``server_time`` (ignored when not newer than what it said before)."""
        if server_time is None:
            return
        s = as_utc(server_time).timestamp()
        w = self._monotonic()
        last = self._last
        if last is not None and s <= last[0]:
            return  # the same tick again, or an older one arriving late
        self.observations += 1
        if last is not None:
            ls, lw = last
            self._gap += 0.2 * (min(w - lw, 30.0) - self._gap)
            self._check_skip(ls, s, w - lw)
        self._last = (s, w)
        window = self._window
        window.append((s, w))
        while len(window) > 2 and w - window[1][1] >= self.rate_window_s:
            window.popleft()
        s0, w0 = window[0]
        if w - w0 >= self.min_rate_span_s:
            self.rate = (s - s0) / (w - w0)

    def _check_skip(self, ls: float, s: float, wall_elapsed: float) -> None:
        if s - ls < self.min_skip_s:
            return  # too short to hold that much closed time (the common case: cheap)
        a, b = dt.datetime.fromtimestamp(ls, UTC), dt.datetime.fromtimestamp(s, UTC)
        closed = (s - ls) - trading_seconds_between(a, b)
        if closed < self.min_skip_s:
            return
        expected = (self.rate if self.rate is not None else 1.0) * wall_elapsed
        if (s - ls) - expected < 0.5 * closed:
            return  # the server lived through the closed hours (a real server, in real time)
        session = session_of(a)
        closed_at = session[1] if session is not None else a
        opened = session_of(b)
        opened_at = opened[0] if opened is not None else b
        number = self.skip.number + 1 if self.skip is not None else 1
        self.skip = Skip(closed_at, opened_at, number)
        self._window.clear()  # the rate is measured within one stretch of server time
        log.info("the server skipped the closed hours: %s -> %s", _et_text(closed_at), _et_text(opened_at))

    # -- output ----------------------------------------------------------------------------
    def now(self) -> dt.datetime | None:
        """The estimated server time (UTC), or None when unknown."""
        last = self._last
        w = self._monotonic()
        if last is None or (self.wall_fallback and w - last[1] > self.stale_s):
            return self._wall() if self.wall_fallback else None
        ls, lw = last
        estimate = ls
        if self.rate is not None and self.rate > 0:
            horizon = max(2.0 * self._gap, 0.5)
            estimate = ls + self.rate * min(w - lw, horizon)
            cap = next_boundary(dt.datetime.fromtimestamp(ls, UTC)).timestamp()
            estimate = min(estimate, max(cap, ls))
        estimate = max(estimate, self._shown)
        self._shown = estimate
        return dt.datetime.fromtimestamp(estimate, UTC)

    def from_server(self) -> bool:
        last = self._last
        return last is not None and not (self.wall_fallback and self._monotonic() - last[1] > self.stale_s)

    def status(self) -> MarketStatus | None:
        now = self.now()
        if now is None:
            return None
        session = session_of(now)
        return MarketStatus(now=now, is_open=session is not None, closes_at=session[1] if session else None,
                            opens_at=None if session else next_open(now), from_server=self.from_server(),
                            rate=self.rate)


# --------------------------------------------------------------------------- the words
@dataclass(frozen=True)
class Readout:
    time_text: str  # "Tue 10:42 ET"
    state_text: str  # "Open · closes in 1h 12m" | "Closed · opens Mon 09:30 ET"
    tooltip: str
    is_open: bool | None


class MarketClockReadout:
    """What the status bar shows of a :class:`ServerClock`.

    When the server skipped the closed hours (the simulator), the next reading shows the
    market closed at the close -- for ``hold_s`` of screen time from the first time it is
    read, so a display refreshing once a second always shows it -- then the open.
    """

    hold_s = 1.5

    def __init__(self, clock: ServerClock, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._monotonic = monotonic
        self._announced = 0
        self._hold_until = -float("inf")

    def read(self) -> Readout:
        skip = self.clock.skip
        now_wall = self._monotonic()
        if skip is not None and skip.number > self._announced:
            self._announced = skip.number
            self._hold_until = now_wall + self.hold_s
        if skip is not None and now_wall < self._hold_until:
            return Readout(
                _et_text(skip.closed_at), f"Closed · opens {_et_text(skip.opened_at)}",
                f"Market closed at {_et_text(skip.closed_at)}; the simulator skips closed hours "
                f"and went on at {_et_text(skip.opened_at)}", False)
        status = self.clock.status()
        if status is None:
            return Readout("–– ET", "", "Exchange time (ET): waiting for the server's first timestamp", None)
        fast = status.rate is not None and status.rate > 2.0
        time_text = _et_text(status.now, seconds=not fast)
        if status.is_open:
            assert status.closes_at is not None
            state = f"Open · closes in {format_duration(status.seconds_to_close() or 0.0)}"
        else:
            assert status.opens_at is not None
            state = f"Closed · opens {_et_text(status.opens_at)}"
        if not status.from_server:
            source = "this computer's clock (nothing heard from the server yet)"
        elif fast:
            source = f"the server's timestamps (its clock runs at {status.rate:.0f}× real time)"
        else:
            source = "the server's timestamps"
        tip = (f"Exchange time (America/New_York) from {source}. NYSE regular session 09:30–16:00 ET; "
               "weekends and exchange holidays closed.")
        return Readout(time_text, state, tip, status.is_open)
