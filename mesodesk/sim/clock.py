"""Simulated time: :class:`TradingClock` (a sped-up, optionally session-only clock) and
:class:`ManualClock` (moves only when told to)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from mesodesk.quant.calendar import add_trading_seconds, as_utc, is_market_open

__all__ = ["ManualClock", "TradingClock"]


class TradingClock:
    """Simulated UTC time running ``speed`` times faster than ``clock`` (seconds).

    With ``skip_closed=True`` (default) simulated time only runs during regular
    sessions: the elapsed simulated seconds are session seconds, nights, weekends
    and holidays are jumped over, and a ``start`` outside a session is moved to
    the next open. With ``skip_closed=False`` time runs continuously and the walk
    simply stands still while the market is closed.

    ``speed=0`` plus :meth:`advance` (or :class:`ManualClock`) gives a manual,
    fully deterministic clock for tests. ``set_speed`` changes the speed (0 pauses)
    without a jump.
    """

    def __init__(
        self,
        start: dt.datetime,
        speed: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        skip_closed: bool = True,
    ) -> None:
        start = as_utc(start)
        self._skip_closed = skip_closed
        self._start = add_trading_seconds(start, 0.0) if skip_closed else start
        self._speed = float(speed)
        self._clock = clock
        self._t0 = clock()
        self._offset = 0.0

    @property
    def start(self) -> dt.datetime:
        return self._start

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def skip_closed(self) -> bool:
        return self._skip_closed

    def elapsed(self) -> float:
        """Simulated seconds since ``start`` (session seconds when ``skip_closed``)."""
        return self._offset + (self._clock() - self._t0) * self._speed

    def now(self) -> dt.datetime:
        e = self.elapsed()
        if self._skip_closed:
            return add_trading_seconds(self._start, e)
        return self._start + dt.timedelta(seconds=e)

    def advance(self, seconds: float) -> None:
        """Move simulated time forward by ``seconds`` (session seconds when ``skip_closed``)."""
        if seconds < 0:
            raise ValueError("a trading clock cannot go backwards")
        self._offset += seconds

    def set_speed(self, speed: float) -> None:
        now = self._clock()
        self._offset += (now - self._t0) * self._speed
        self._t0 = now
        self._speed = float(speed)

    def is_market_open(self, at: dt.datetime | None = None) -> bool:
        return is_market_open(self.now() if at is None else at)


class ManualClock(TradingClock):
    """A clock that only moves through :meth:`advance`."""

    def __init__(self, start: dt.datetime, *, skip_closed: bool = True) -> None:
        super().__init__(start, speed=0.0, clock=lambda: 0.0, skip_closed=skip_closed)
