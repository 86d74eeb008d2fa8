"""The market clock from simulated server timestamps: open, at the close, over the night
jump, weekends and holidays, a paused server, a real server in real time."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesodesk.core.market_clock import MarketClockReadout, ServerClock, format_duration, next_open
from mesodesk.quant.calendar import ET, UTC, is_trading_day


def et(y: int, mo: int, d: int, h: int, mi: int, s: float = 0.0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=ET).astimezone(UTC) + dt.timedelta(seconds=s)


class Wall:
    """A hand-moved monotonic clock."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def simulator_ticks(clock: ServerClock, wall: Wall, start: dt.datetime, ticks: int, *, speed: float = 60.0,
                    interval: float = 0.25) -> dt.datetime:
    """A simulator ticking every ``interval`` wall seconds at ``speed``: ``ticks`` observations."""
    t = start
    for _ in range(ticks):
        clock.observe(t)
        wall.t += interval
        t += dt.timedelta(seconds=speed * interval)
    wall.t -= interval
    return t - dt.timedelta(seconds=speed * interval)


def test_open_market_interpolates_at_the_observed_rate_but_not_past_the_updates() -> None:
    wall = Wall()
    clock = ServerClock(monotonic=wall)
    readout = MarketClockReadout(clock, monotonic=wall)
    assert clock.now() is None and readout.read().state_text == ""  # the simulator: unknown until it speaks
    last = simulator_ticks(clock, wall, et(2026, 12, 2, 10, 0), 40)  # Wed 10:00 ET, 10 s of wall time
    assert clock.rate == pytest.approx(60.0)
    wall.t += 0.2
    assert clock.now() == last + dt.timedelta(seconds=12)
    wall.t += 30.0  # the server went quiet: the clock stops about two updates past the last one
    held = clock.now()
    assert held is not None and last < held <= last + dt.timedelta(seconds=0.5 * 60)
    clock.observe(last - dt.timedelta(seconds=1))  # an older, late update changes nothing
    assert clock.now() == held
    status = clock.status()
    assert status is not None and status.is_open and status.closes_at == et(2026, 12, 2, 16, 0)
    r = readout.read()
    remaining = (et(2026, 12, 2, 16, 0) - held).total_seconds()
    assert r.state_text == f"Open · closes in {format_duration(remaining)}"
    assert r.time_text == held.astimezone(ET).strftime("%a %H:%M") + " ET"  # 60x: minutes, not seconds
    assert r.is_open is True and "60×" in r.tooltip


def test_at_the_close_the_market_reads_closed_until_the_next_open() -> None:
    wall = Wall()
    clock = ServerClock(monotonic=wall)
    readout = MarketClockReadout(clock, monotonic=wall)
    last = simulator_ticks(clock, wall, et(2026, 12, 2, 15, 58), 8)
    assert last == et(2026, 12, 2, 15, 59, 45)
    wall.t += 5.0  # interpolation would pass 16:00: it stops at the close
    assert clock.now() == et(2026, 12, 2, 16, 0)
    r = readout.read()
    assert r.state_text == "Closed · opens Thu 09:30 ET" and r.is_open is False
    assert r.time_text == "Wed 16:00 ET"


def test_the_night_jump_shows_the_close_then_the_open() -> None:
    wall = Wall()
    clock = ServerClock(monotonic=wall)
    readout = MarketClockReadout(clock, monotonic=wall)
    simulator_ticks(clock, wall, et(2026, 12, 2, 15, 50), 40)  # up to 15:59:45
    assert readout.read().is_open is True
    wall.t += 0.25
    clock.observe(et(2026, 12, 3, 9, 30, 0.5))  # the simulator skipped the night
    assert clock.skip is not None
    assert (clock.skip.closed_at, clock.skip.opened_at) == (et(2026, 12, 2, 16, 0), et(2026, 12, 3, 9, 30))
    # the first reading after the jump says the market closed (even though the server is past it) ...
    first = readout.read()
    assert first.is_open is False and first.state_text == "Closed · opens Thu 09:30 ET"
    assert first.time_text == "Wed 16:00 ET" and "skips closed hours" in first.tooltip
    t = et(2026, 12, 3, 9, 30, 0.5)
    for _ in range(4):  # the simulator ticks on for a second of wall time
        wall.t += 0.25
        t += dt.timedelta(seconds=15)
        clock.observe(t)
    assert readout.read().is_open is False  # a 1 Hz display shows it for at least one refresh
    for _ in range(4):
        wall.t += 0.25
        t += dt.timedelta(seconds=15)
        clock.observe(t)
    after = readout.read()  # the hold is over: the open market
    assert after.is_open is True and after.state_text.startswith("Open · closes in 6h 2")
    assert after.time_text.startswith("Thu 09:3")
    assert clock.rate == pytest.approx(60.0)  # measured after the jump, not across it


@pytest.mark.parametrize(("last_tick", "opens", "text"), [
    (et(2026, 12, 4, 15, 59, 50), et(2026, 12, 7, 9, 30), "Closed · opens Mon 09:30 ET"),  # Friday -> Monday
    (et(2026, 11, 25, 15, 59, 50), et(2026, 11, 27, 9, 30), "Closed · opens Fri 09:30 ET"),  # Thanksgiving
    (et(2026, 12, 24, 15, 59, 50), et(2026, 12, 28, 9, 30), "Closed · opens Mon 09:30 ET"),  # Christmas Friday
])
def test_weekends_and_holidays(last_tick: dt.datetime, opens: dt.datetime, text: str) -> None:
    wall = Wall()
    clock = ServerClock(monotonic=wall)
    readout = MarketClockReadout(clock, monotonic=wall)
    simulator_ticks(clock, wall, last_tick - dt.timedelta(seconds=150), 11)
    wall.t += 1.0
    status = clock.status()
    assert status is not None and not status.is_open and status.opens_at == opens
    assert readout.read().state_text == text
    wall.t += 0.25
    clock.observe(opens + dt.timedelta(seconds=5))
    assert clock.skip is not None and clock.skip.opened_at == opens
    assert readout.read().state_text == text  # the jump shows the close first


def test_a_paused_simulator_holds_its_time() -> None:
    wall = Wall()
    clock = ServerClock(monotonic=wall)
    t = et(2026, 12, 2, 11, 0)
    for _ in range(20):
        clock.observe(t)  # speed 0: every tick has the same time
        wall.t += 0.25
    wall.t += 10
    assert clock.now() == t


def test_a_real_server_in_real_time() -> None:
    wall = Wall()
    saturday = et(2026, 12, 5, 12, 0)
    now = {"t": saturday}
    clock = ServerClock(wall_fallback=True, monotonic=wall, wall=lambda: now["t"])
    readout = MarketClockReadout(clock, monotonic=wall)
    r = readout.read()  # nothing heard yet: the computer's clock stands in
    assert r.state_text == "Closed · opens Mon 09:30 ET" and "this computer's clock" in r.tooltip
    # heartbeats every 3 s across a close: no skip, the state flips at 16:00
    t = et(2026, 12, 7, 15, 59, 50)
    for _ in range(6):
        clock.observe(t)
        wall.t += 3.0
        t += dt.timedelta(seconds=3)
    assert clock.skip is None and clock.rate == pytest.approx(1.0)
    r = readout.read()
    assert r.state_text == "Closed · opens Tue 09:30 ET" and r.time_text.endswith(" ET")
    assert r.time_text.count(":") == 2  # real time: seconds shown
    wall.t += 60  # silent for a minute: back to the computer's clock
    now["t"] = et(2026, 12, 7, 17, 0)
    assert clock.now() == now["t"]


@settings(max_examples=200, deadline=None)
@given(st.integers(int(et(2026, 1, 1, 0, 0).timestamp()), int(et(2027, 12, 31, 0, 0).timestamp())))
def test_next_open_is_the_first_session_open_after(epoch: int) -> None:
    t = dt.datetime.fromtimestamp(epoch, UTC)
    o = next_open(t)
    assert o >= t
    local = o.astimezone(ET)
    assert local.time() == dt.time(9, 30) and local.weekday() < 5
    # no open between t and o: walk the days in between
    d = t.astimezone(ET).date()
    while d < local.date():
        candidate = dt.datetime.combine(d, dt.time(9, 30), tzinfo=ET)
        assert not (is_trading_day(d) and candidate >= t), d
        d += dt.timedelta(days=1)


def test_format_duration() -> None:
    assert format_duration(30) == "<1m"
    assert format_duration(12 * 60 + 59) == "12m"
    assert format_duration(3600 + 12 * 60) == "1h 12m"
    assert format_duration(3 * 86400 + 3600) == "3d 1h"
