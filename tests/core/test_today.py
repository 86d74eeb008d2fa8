"""The Today view's core (Qt-free): P&L today against the previous close's marks (persisted per
world), positions opened and closed today, entries per strategy and account, expiring legs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from mesodesk.contract import EntrySignalEvent, SignalState
from mesodesk.core.day_marks import DayMarksFile, day_marks_path
from mesodesk.core.today import (
    TodayBook,
    entry_schedule,
    expiring_legs,
    market_day,
    today_entries,
    today_positions,
    total_today,
)
from mesodesk.core.world import World
from mesodesk.quant.calendar import ET, next_trading_day, previous_or_same_trading_day, session_bounds
from mesodesk.sim.seed import PAPER_ACCOUNT
from tests.core import trade_helpers
from tests.core.trade_helpers import leave
from tests.core.trading_world import TradingWorld, until

D = Decimal
UTC = dt.UTC


def at_et(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ET).astimezone(UTC)


async def enter(world: TradingWorld, structure: str, name: str) -> int:
    return (await trade_helpers.enter(world, structure, PAPER_ACCOUNT, name))[0]


async def next_session(world: TradingWorld, minutes_after_open: float = 15) -> dt.date:
    """Move the simulator's (frozen) market to the next trading day, ``minutes_after_open`` into
    its session, and wait until the console sees it. Returns that day."""
    state = world.session.state
    clock = world.server.context.market.clock
    now = clock.now()
    day = market_day(now)
    _, close = session_bounds(day)
    clock.advance((close - now).total_seconds() + minutes_after_open * 60)
    new_day = next_trading_day(day)
    await until(lambda: (n := state.server_clock.now()) is not None and market_day(n) == new_day,
                what="the console's clock on the next trading day")
    await until(lambda: all(r.data is not None and market_day(r.data.timestamp) == new_day
                            for r in state.positions.values() if r.is_open), what="marks of the new day")
    return new_day


def test_pnl_today_is_measured_from_the_previous_close_and_survives_a_restart(world: TradingWorld,
                                                                               tmp_path: Path) -> None:
    async def scenario() -> None:
        state = world.session.state
        held = await enter(world, "single long option", "held overnight")
        closing = await enter(world, "debit vertical", "closed next day")
        path = day_marks_path(World.embedded(world.data_dir), tmp_path / "config")
        store = DayMarksFile(path, "embedded-test")
        book = TodayBook(store.load(), store.save)
        # day 1: both were opened today, so P&L today is their whole P&L (from 0)
        book.observe(state.server_clock.now(), state.positions.values())
        day1 = book.day
        rows = today_positions(state, book)
        for pid in (held, closing):
            assert rows[pid].status == "Opened" and rows[pid].base == 0
            assert rows[pid].today == state.positions[pid].pnl_mark
        # the last marks the console saw on day 1: the previous close's, for day 2
        close_marks = {pid: state.positions[pid].pnl_mark for pid in (held, closing)}
        # day 2: the simulator's market moves on to the next session; first sight rolls the day
        day2 = await next_session(world)
        assert book.observe(state.server_clock.now(), state.positions.values()) is True
        assert book.day == day2 and day1 is not None and day2 > day1 and book.marks.base_kind == "close"
        store.close()
        reloaded = DayMarksFile(path, "embedded-test").load()  # saved at once, on its own thread
        assert reloaded.day == day2 and {p: reloaded.base[p] for p in close_marks} == close_marks
        # a restart on day 2: a new book from the file; then one position closes, 0.30 a leg worse than mid
        store = DayMarksFile(path, "embedded-test")
        book = TodayBook(store.load(), store.save)
        await leave(world, closing, D("0.30"))
        detail = await world.session.control.get_position(position_id=closing)
        await until(lambda: state.positions[closing].realized_pnl == detail.realized_pnl)
        book.observe(state.server_clock.now(), state.positions.values())
        rows = today_positions(state, book)
        assert rows[held].status == "Held" and rows[closing].status == "Closed"
        assert "previous close" in rows[held].base_note
        # independently: P&L today = P&L now − the P&L at the previous close
        held_now = state.positions[held].pnl_mark
        assert held_now is not None and detail.realized_pnl is not None
        assert held_now != close_marks[held]  # the market moved overnight
        expected = {held: held_now - close_marks[held], closing: detail.realized_pnl - close_marks[closing]}
        assert {pid: rows[pid].today for pid in expected} == expected
        total, unknown = total_today([rows[held], rows[closing]])
        assert total == sum(expected.values()) and unknown == 0
        # day 3: the closed position is gone from Today, the held one counts from day 2's last marks
        day3 = await next_session(world)
        book.observe(state.server_clock.now(), state.positions.values())
        rows = today_positions(state, book)
        assert book.day == day3 and closing not in rows
        now3 = state.positions[held].pnl_mark
        assert now3 is not None and rows[held].today == now3 - held_now
        store.close()
        await leave(world, held, D(0))
    world.run(scenario(), timeout=120)


def test_a_missed_day_counts_from_first_sight_not_from_an_old_close(world: TradingWorld) -> None:
    async def scenario() -> None:
        state = world.session.state
        pid = await enter(world, "credit vertical", "missed days")
        now = state.server_clock.now()
        assert now is not None
        day = market_day(now)
        saved: list[dict] = []  # type: ignore[type-arg]
        book = TodayBook(save=lambda m: saved.append(m.to_json()))
        book.observe(at_et(day, 15, 0), state.positions.values())
        # the console was closed for a trading day: the marks it has are two closes old
        day3 = next_trading_day(day, 2)
        book.observe(at_et(day3, 11, 0), state.positions.values())
        assert book.marks.base_kind == "first_seen" and book.marks.base[pid] == state.positions[pid].pnl_mark
        row = today_positions(state, book)[pid]
        assert row.today == 0 and "first seen" in row.base_note
        assert "did not see the previous close" in book.describe()
        assert saved and saved[-1]["day"] == day3.isoformat()  # a new day is saved at once
        await leave(world, pid, D(0))
    world.run(scenario(), timeout=120)


def test_entries_per_strategy_and_account_and_expiring_legs(world: TradingWorld) -> None:
    async def scenario() -> None:
        state = world.session.state
        pid = await enter(world, "iron condor", "expiring")
        now = state.server_clock.now()
        assert now is not None
        day = market_day(now)
        rows = today_entries(state, day)
        # one row per (strategy, account it is active on)
        want = {(s.id, a) for s in (r.strategy for r in state.strategies.values()) for a in s.active_on_accounts}
        assert {(r.strategy_id, r.account) for r in rows.values()} == want
        # the signal column is the newest EntrySignalEvent of that strategy and account
        for r in rows.values():
            events = [e.event for e in state.events.values() if isinstance(e.event, EntrySignalEvent)
                      and e.event.strategy_id == r.strategy_id and e.event.broker_account_id == r.account]
            newest = max(events, key=lambda e: (e.event_seq_id, e.event_time), default=None)
            assert r.signal == ("" if newest is None else "On" if newest.state == SignalState.On else "Off")
        # opened today on the paper account
        condor = world.strategy_ids["iron condor"]
        assert rows[f"{condor}:{PAPER_ACCOUNT}"].opened_today >= 1
        # expiring legs: on the day of the condor's expiration, its four legs (and nothing of other dates)
        legs = [r for r in state.legs.values() if r.position_id == pid]
        assert len(legs) == 4
        expiry = legs[0].leg.live_contract.expiration
        assert expiry is not None
        exp_day = expiry.astimezone(ET).date()
        expiring = expiring_legs(state, exp_day)
        assert {r.leg_id for r in expiring.values() if r.position_id == pid} == {r.id for r in legs}
        for r in expiring.values():
            leg = state.legs[r.leg_id].leg
            assert leg.live_contract.expiration is not None
            assert leg.live_contract.expiration.astimezone(ET).date() == exp_day and leg.closed_at is None
        assert not expiring_legs(state, exp_day - dt.timedelta(days=1)).keys() & {r.id for r in legs}
        await leave(world, pid, D(0))
    world.run(scenario(), timeout=120)


def test_entry_schedule_of_a_definition() -> None:
    tuesday = dt.date(2026, 11, 24)
    open_, close = session_bounds(tuesday)

    def schedule(**kw: object) -> dict:  # type: ignore[type-arg]
        return {"Entry": {"Schedule": {"AfterMarketOpenMinutes": None, "BeforeMarketCloseMinutes": None,
                                       "Every": "day", **kw}}}
    assert entry_schedule(schedule(AfterMarketOpenMinutes=30), tuesday) == (open_ + dt.timedelta(minutes=30),
                                                                            "10:00 ET")
    assert entry_schedule(schedule(BeforeMarketCloseMinutes=15), tuesday) == (close - dt.timedelta(minutes=15),
                                                                              "15:45 ET")
    assert entry_schedule(schedule(), tuesday) == (open_, "from the open")
    assert entry_schedule(schedule(Every="mon,wed,fri"), tuesday) == (None, "not today (Mon, Wed, Fri)")
    assert entry_schedule(schedule(Every="tue,thu", AfterMarketOpenMinutes=60), tuesday)[1] == "10:30 ET"
    assert entry_schedule(schedule(Every="5min"), tuesday) == (open_, "from the open, every 5min")
    assert entry_schedule(schedule(), dt.date(2026, 11, 26)) == (None, "market closed")  # Thanksgiving
    assert entry_schedule({}, tuesday) == (open_, "from the open")


def test_market_day_is_the_exchange_day() -> None:
    # 23:30 ET on a Friday is already Saturday in UTC: still Friday's trading day
    friday = dt.date(2026, 11, 20)
    assert market_day(at_et(friday, 23, 30)) == friday
    assert market_day(at_et(dt.date(2026, 11, 22), 12, 0)) == friday  # Sunday
    assert market_day(at_et(dt.date(2026, 11, 23), 8, 0)) == dt.date(2026, 11, 23)  # Monday before the open


def test_an_unreadable_or_foreign_marks_file_starts_afresh(tmp_path: Path) -> None:
    path = tmp_path / "day-marks.json"
    path.write_text("{not json", encoding="utf-8")
    assert DayMarksFile(path, "w1").load().day is None
    f = DayMarksFile(path, "w1")
    book = TodayBook(save=f.save)
    book.marks.world = "w1"
    book.marks.day = dt.date(2026, 11, 24)
    book.flush()
    f.close()
    assert DayMarksFile(path, "w1").load().day == dt.date(2026, 11, 24)
    assert DayMarksFile(path, "w2").load().day is None  # another world's marks are never used


@settings(max_examples=80, deadline=None)
@given(steps=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1), st.lists(
    st.decimals(min_value=-5000, max_value=5000, places=2), min_size=3, max_size=3)), min_size=1, max_size=25))
def test_pnl_today_counts_from_the_last_marks_of_the_previous_trading_day(steps: list) -> None:  # type: ignore[type-arg]
    """Any sequence of observations over days: the base of a position held from before is its last
    P&L seen on the previous trading day when the console saw that day, else its first P&L today."""
    opened = at_et(dt.date(2026, 1, 5), 10)
    rows = [SimpleNamespace(id=i, is_open=True, summary=SimpleNamespace(created_at=opened), pnl_mark=D(0))
            for i in range(3)]
    book = TodayBook()
    day = dt.date(2026, 3, 2)  # a Monday
    seen: dict[dt.date, dict[int, Decimal]] = {}  # the independent model: last P&L seen per day
    first: dict[dt.date, dict[int, Decimal]] = {}
    for skip, minute, pnls in steps:
        if skip:
            day = next_trading_day(day, skip)
        for row, pnl in zip(rows, pnls, strict=True):
            row.pnl_mark = pnl
        book.observe(at_et(day, 10, minute * 30), rows)  # type: ignore[arg-type]
        first.setdefault(day, {r.id: r.pnl_mark for r in rows})
        seen[day] = {r.id: r.pnl_mark for r in rows}
        previous = previous_or_same_trading_day(day - dt.timedelta(days=1))
        base = seen.get(previous, first[day])
        for row in rows:
            got, _note = book.base_of(row)  # type: ignore[arg-type]
            assert got == base[row.id], (day, row.id, got, base)
        assert book.marks.base_kind == ("close" if previous in seen else "first_seen")
