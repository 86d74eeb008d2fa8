"""The Today view's picture of the market day (Qt-free).

The *market day* is the exchange's (ET) trading day of the server's clock
(:class:`~mesodesk.core.market_clock.ServerClock`; the simulator's runs fast), never the
computer's: on a weekend or holiday it is the last trading day.

* :class:`TodayBook` keeps the day's reference marks (:mod:`mesodesk.core.day_marks`):
  fed the positions a few times a second, it remembers each open position's latest P&L and,
  at the first sight of the next trading day, makes those the previous close's marks;
* :func:`today_positions`: positions held, opened or closed today with their P&L today
  (current P&L − the previous close's; a position opened today counts from 0);
* :func:`today_entries`: per active strategy and account, the entry signal (the latest
  ``EntrySignalEvent``) and when the entry ``Schedule`` puts an entry today;
* :func:`expiring_legs`: open legs whose contract expires today.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mesodesk.contract import EntrySignalEvent, SignalState
from mesodesk.core.day_marks import DayMarks
from mesodesk.core.state import AppState, LegRow, PositionRow
from mesodesk.quant.calendar import (
    ET,
    et_date,
    is_trading_day,
    previous_or_same_trading_day,
    session_bounds,
)

__all__ = [
    "TodayBook",
    "TodayEntry",
    "TodayLeg",
    "TodayPosition",
    "entry_schedule",
    "expiring_legs",
    "latest_entry_signals",
    "market_day",
    "today_entries",
    "today_positions",
    "total_today",
]

ZERO = Decimal(0)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def market_day(now: dt.datetime) -> dt.date:
    """The trading day ``now`` (UTC) belongs to: its ET date, or the last trading day before it."""
    return previous_or_same_trading_day(et_date(now))


def _previous_trading_day(day: dt.date) -> dt.date:
    return previous_or_same_trading_day(day - dt.timedelta(days=1))


def _et_time(t: dt.datetime | None) -> str:
    return "" if t is None else t.astimezone(ET).strftime("%H:%M ET")


# --------------------------------------------------------------------------- the day's marks
class TodayBook:
    """The reference marks of the market day, kept up to date from the position rows.

    ``save(marks)`` persists them (:meth:`mesodesk.core.day_marks.DayMarksFile.save`): at once when
    the day rolls or a base mark is added, at the close, else at most every ``save_every_s``."""

    def __init__(self, marks: DayMarks | None = None, save: Callable[[DayMarks], Any] | None = None, *,
                 save_every_s: float = 30.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.marks = marks or DayMarks()
        self._save = save
        self.save_every_s = save_every_s
        self._monotonic = monotonic
        self._saved_at = monotonic()
        self._unsaved = False
        self._closed_saved: dt.date | None = None
        self.now: dt.datetime | None = None

    @property
    def day(self) -> dt.date | None:
        return self.marks.day

    def _start_day(self, day: dt.date, now: dt.datetime) -> None:
        m = self.marks
        if m.day is not None and m.day == _previous_trading_day(day) and m.last:
            m.base, m.base_at, m.base_kind = dict(m.last), m.last_at, "close"
        else:  # the console did not see the previous day: count from what it sees now
            m.base, m.base_at, m.base_kind = {}, None, "first_seen"
        m.day, m.last, m.last_at, m.base_first_seen = day, {}, None, set()

    def observe(self, now: dt.datetime | None, positions: Iterable[PositionRow]) -> bool:
        """Record the positions' P&L as of server time ``now``; True when the day rolled over."""
        if now is None:
            return False
        self.now = now
        day = market_day(now)
        m = self.marks
        rolled = m.day is None or day != m.day
        if rolled:
            self._start_day(day, now)
        urgent = rolled
        for row in positions:
            if not row.is_open:
                m.last.pop(row.id, None)
                continue
            pnl = row.pnl_mark
            if pnl is None:
                continue
            if m.last.get(row.id) != pnl:
                m.last[row.id] = pnl
                self._unsaved = True
            if row.id not in m.base and market_day(row.summary.created_at) < day:
                m.base[row.id] = pnl  # held from before today, not seen at the close: from now on
                m.base_first_seen.add(row.id)
                if m.base_at is None:
                    m.base_at = now
                urgent = True
        m.last_at = now
        c = session_bounds(day)[1] if is_trading_day(day) else None
        if c is not None and now >= c and self._closed_saved != day:
            self._closed_saved = day  # the close's marks: saved once, as soon as they are seen
            urgent = True
        if urgent or (self._unsaved and self._monotonic() - self._saved_at >= self.save_every_s):
            self.flush()
        return rolled

    def flush(self) -> None:
        """Save the marks now (shutdown, a new day, the close)."""
        self._unsaved = False
        self._saved_at = self._monotonic()
        if self._save is not None:
            self._save(self.marks)

    def base_of(self, row: PositionRow) -> tuple[Decimal | None, str]:
        """The P&L a position's P&L today counts from, and what that mark is."""
        m = self.marks
        if m.day is not None and market_day(row.summary.created_at) >= m.day:
            return ZERO, "opened today"
        base = m.base.get(row.id)
        if base is None:
            return None, "no mark of the previous close"
        if row.id in m.base_first_seen or m.base_kind == "first_seen":
            return base, f"first seen today {_et_time(m.base_at)}".rstrip()
        return base, f"previous close ({m.base_at.astimezone(ET):%a %H:%M} ET)" if m.base_at else "previous close"

    def describe(self) -> str:
        """What P&L today is measured against, in one sentence."""
        m = self.marks
        if m.day is None:
            return "Waiting for the server's clock"
        if m.base_kind == "close":
            when = f" as of {m.base_at.astimezone(ET):%a %d %b %H:%M} ET" if m.base_at else ""
            return f"P&L today against the previous close's marks{when}"
        return ("P&L today since the console first saw this day"
                + (f" ({_et_time(m.base_at)})" if m.base_at else "") + ": it did not see the previous close")


# --------------------------------------------------------------------------- positions
@dataclass(frozen=True)
class TodayPosition:
    position_id: int
    name: str
    strategy: str
    account: str
    status: str  # "Opened" | "Closed" | "Opened & closed" | "Held"
    pnl: Decimal | None  # total P&L now (a closed position's: realized)
    base: Decimal | None  # what today counts from
    today: Decimal | None  # pnl − base
    base_note: str

    @property
    def id(self) -> int:
        return self.position_id

    def signature(self) -> tuple[object, ...]:
        return (self.status, self.pnl, self.base, self.today, self.base_note)


def today_positions(state: AppState, book: TodayBook) -> dict[int, TodayPosition]:
    """Positions open now, or opened or closed on the market day, with their P&L today."""
    day = book.day
    out: dict[int, TodayPosition] = {}
    if day is None:
        return out
    for row in state.positions.values():
        s = row.summary
        opened = market_day(s.created_at) == day
        closed = s.closed_at is not None and not row.is_open and market_day(s.closed_at) == day
        if not row.is_open and not closed:
            continue
        status = ("Opened & closed" if opened else "Closed") if closed else ("Opened" if opened else "Held")
        pnl = row.pnl_mark
        base, note = book.base_of(row)
        today = pnl - base if pnl is not None and base is not None else None
        out[row.id] = TodayPosition(row.id, s.name, s.strategy_name, s.broker_account_id, status, pnl, base,
                                    today, note)
    return out


def total_today(rows: Iterable[TodayPosition]) -> tuple[Decimal, int]:
    """The sum of the known P&L today, and how many positions have none."""
    total, unknown = ZERO, 0
    for r in rows:
        if r.today is None:
            unknown += 1
        else:
            total += r.today
    return total, unknown


# --------------------------------------------------------------------------- strategies
def latest_entry_signals(state: AppState) -> dict[tuple[int, str], EntrySignalEvent]:
    """The latest entry signal per (strategy id, account) in the event log."""
    latest: dict[tuple[int, str], tuple[int, dt.datetime, EntrySignalEvent]] = {}
    for row in state.events.values():
        e = row.event
        if not isinstance(e, EntrySignalEvent):
            continue
        key = (e.strategy_id, e.broker_account_id)
        order = (row.seq, e.event_time)
        held = latest.get(key)
        if held is None or order >= held[:2]:
            latest[key] = (row.seq, e.event_time, e)
    return {k: v[2] for k, v in latest.items()}


def entry_schedule(definition: Mapping[str, Any], day: dt.date) -> tuple[dt.datetime | None, str]:
    """When the entry ``Schedule`` of a strategy definition puts an entry on ``day``, and in words.

    ``Every``: ``day``, a list of weekdays (``mon,wed,fri``) or an interval (``5min``: all day);
    ``AfterMarketOpenMinutes`` / ``BeforeMarketCloseMinutes`` place it in the session."""
    if not is_trading_day(day):
        return None, "market closed"
    entry = definition.get("Entry") if isinstance(definition, Mapping) else None
    schedule = entry.get("Schedule") if isinstance(entry, Mapping) else None
    schedule = schedule if isinstance(schedule, Mapping) else {}
    every = str(schedule.get("Every") or "day").lower()
    days = [d.strip()[:3] for d in every.split(",")]
    listed = [d for d in days if d in _WEEKDAYS]
    if listed and _WEEKDAYS[day.weekday()] not in listed:
        return None, "not today (" + ", ".join(d.title() for d in listed) + ")"
    open_, close = session_bounds(day)
    after, before = schedule.get("AfterMarketOpenMinutes"), schedule.get("BeforeMarketCloseMinutes")
    interval = "" if listed or every == "day" else f", every {every}"
    if isinstance(after, (int, float)) and not isinstance(after, bool):
        at = open_ + dt.timedelta(minutes=float(after))
        return at, f"{_et_time(at)}{interval}"
    if isinstance(before, (int, float)) and not isinstance(before, bool):
        at = close - dt.timedelta(minutes=float(before))
        return at, f"{_et_time(at)}{interval}"
    return open_, f"from the open{interval}"


@dataclass(frozen=True)
class TodayEntry:
    strategy_id: int
    strategy: str
    account: str
    signal: str  # "On" | "Off" | "" (no signal in the event log)
    signal_at: dt.datetime | None
    blocked_by: str  # the gates the latest signal reported closed
    scheduled_at: dt.datetime | None
    scheduled: str
    open_positions: int
    opened_today: int

    @property
    def id(self) -> str:
        return f"{self.strategy_id}:{self.account}"

    def signature(self) -> tuple[object, ...]:
        return (self.strategy, self.signal, self.signal_at, self.blocked_by, self.scheduled_at, self.scheduled,
                self.open_positions, self.opened_today)


def today_entries(state: AppState, day: dt.date | None,
                  signals: Mapping[tuple[int, str], EntrySignalEvent] | None = None) -> dict[str, TodayEntry]:
    """One row per active strategy and account it is active on."""
    out: dict[str, TodayEntry] = {}
    if day is None:
        return out
    signals = latest_entry_signals(state) if signals is None else signals
    counts: dict[tuple[int, str], list[int]] = {}
    for row in state.positions.values():
        s = row.summary
        c = counts.setdefault((s.live_strategy_id, s.broker_account_id), [0, 0])
        c[0] += row.is_open
        c[1] += market_day(s.created_at) == day
    for srow in state.strategies.values():
        strategy = srow.strategy
        at, words = entry_schedule(strategy.strategy_definition, day)
        for account in strategy.active_on_accounts:
            event = signals.get((strategy.id, account))
            signal, when, blocked = "", None, ""
            if event is not None:
                signal = "On" if event.state == SignalState.On else "Off"
                when = event.event_time
                r = event.entry_signal_result
                if r is not None:
                    gates = [n for n, ok in (("schedule", r.schedule_ok), ("re-entry days", r.reentry_ok),
                                             ("concurrency", r.concurrency_ok)) if not ok]
                    if r.conditions and not any(c.result for c in r.conditions):
                        gates.insert(0, "conditions")
                    blocked = ", ".join(gates)
            open_now, opened = counts.get((strategy.id, account), [0, 0])
            entry = TodayEntry(strategy.id, strategy.name, account, signal, when, blocked, at, words, open_now, opened)
            out[entry.id] = entry
    return out


# --------------------------------------------------------------------------- legs
@dataclass(frozen=True)
class TodayLeg:
    leg_id: int
    position_id: int
    position: str
    leg: str
    contract: str
    qty: Decimal
    mark: Decimal | None

    @property
    def id(self) -> int:
        return self.leg_id

    def signature(self) -> tuple[object, ...]:
        return (self.position, self.qty, self.mark)


def expiring_legs(state: AppState, day: dt.date | None) -> dict[int, TodayLeg]:
    """Open legs whose contract expires on ``day``."""
    out: dict[int, TodayLeg] = {}
    if day is None:
        return out
    for row in state.legs.values():
        exp = row.expiration
        if exp is None or not _is_open_leg(row) or et_date(exp) != day:
            continue
        position = state.positions.get(row.position_id)
        name = position.summary.name if position is not None else f"#{row.position_id}"
        out[row.id] = TodayLeg(row.id, row.position_id, name, row.leg.name, row.contract_text, row.leg.qty, row.mark)
    return out


def _is_open_leg(row: LegRow) -> bool:
    return row.is_open and row.leg.qty != 0
