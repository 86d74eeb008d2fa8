"""Trade history: closed positions with their dates, realized P&L, drawdown and fills (Qt-free).

A :class:`TradeRecord` is built from the state the console already holds: the closed
:class:`~mesodesk.core.state.PositionRow` (its realized P&L has one owner,
:attr:`PositionRow.realized_pnl`), the executions of its legs, and the maximum drawdown
of its P&L series when the world's chart history (:mod:`mesodesk.core.history`) has one.
Dates are the market's (exchange time, ET): a trade closed at 15:59 ET belongs to that
trading day wherever the computer is.

:func:`pnl_by_period` sums realized P&L per day, week (from Monday) or month of the close;
:func:`update_records` writes the records into a :class:`~mesodesk.core.tables.Table`
touching only rows that changed, so a view repaints only those.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol, TypeVar

from mesodesk.core.state import AppState, ExecutionRow
from mesodesk.core.tables import Table
from mesodesk.quant.calendar import et_date

__all__ = [
    "PERIODS",
    "Period",
    "PeriodPnL",
    "TradeFilter",
    "TradeRecord",
    "closed_trades",
    "period_start",
    "pnl_by_period",
    "update_records",
]

Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = ("day", "week", "month")
ZERO = Decimal(0)


@dataclass(frozen=True)
class TradeRecord:
    """One closed position as the trade history shows it."""

    position_id: int
    name: str
    strategy: str
    account: str
    underlying: str | None
    opened_at: dt.datetime
    closed_at: dt.datetime
    days_in_trade: int
    realized: Decimal | None  # None until the server told it (a closed position's details)
    max_drawdown: float | None  # None: no P&L history of this position in this world
    fills: tuple[ExecutionRow, ...]

    @property
    def id(self) -> int:
        return self.position_id

    @property
    def opened_day(self) -> dt.date:
        return et_date(self.opened_at)

    @property
    def closed_day(self) -> dt.date:
        """The trading day (ET) the position closed on."""
        return et_date(self.closed_at)

    @property
    def commissions(self) -> Decimal:
        return sum((f.execution.commission for f in self.fills), ZERO)

    def signature(self) -> tuple[object, ...]:
        """What a view shows of the record (a change here repaints its row)."""
        return (self.name, self.strategy, self.account, self.underlying, self.opened_at, self.closed_at,
                self.days_in_trade, self.realized, self.max_drawdown, tuple(f.id for f in self.fills))


def closed_trades(state: AppState, drawdowns: Mapping[int, float] | None = None) -> dict[int, TradeRecord]:
    """Every closed position of ``state`` as a record, keyed by position id, in closing order.

    ``drawdowns``: position id -> maximum drawdown of its stored P&L series (see
    :meth:`mesodesk.core.history.HistoryStore.max_drawdowns`)."""
    drawdowns = drawdowns or {}
    fills: dict[int, list[ExecutionRow]] = {}
    for execution in state.executions.values():
        if execution.position_id is not None:
            fills.setdefault(execution.position_id, []).append(execution)
    records: list[TradeRecord] = []
    for row in state.positions.values():
        summary = row.summary
        if row.is_open or summary.closed_at is None:
            continue
        own = sorted(fills.get(row.id, ()), key=lambda f: (f.execution.executed_at, f.id))
        records.append(TradeRecord(
            position_id=row.id, name=summary.name, strategy=summary.strategy_name,
            account=summary.broker_account_id, underlying=row.underlying, opened_at=summary.created_at,
            closed_at=summary.closed_at, days_in_trade=row.days_in_trade, realized=row.realized_pnl,
            max_drawdown=drawdowns.get(row.id), fills=tuple(own)))
    records.sort(key=lambda r: (r.closed_at, r.position_id))
    return {r.position_id: r for r in records}


@dataclass(frozen=True)
class TradeFilter:
    """Which trades to show: closed between ``start`` and ``end`` (trading days, inclusive; None:
    open-ended), of one strategy and one account (None: all)."""

    start: dt.date | None = None
    end: dt.date | None = None
    strategy: str | None = None
    account: str | None = None

    def matches(self, record: TradeRecord) -> bool:
        day = record.closed_day
        if self.start is not None and day < self.start:
            return False
        if self.end is not None and day > self.end:
            return False
        if self.strategy is not None and record.strategy != self.strategy:
            return False
        return self.account is None or record.account == self.account

    def apply(self, records: Iterable[TradeRecord]) -> list[TradeRecord]:
        return [r for r in records if self.matches(r)]


def period_start(day: dt.date, period: Period) -> dt.date:
    """The first day of ``day``'s day, week (Monday) or month."""
    if period == "day":
        return day
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown period {period!r}")


@dataclass(frozen=True)
class PeriodPnL:
    """Realized P&L of the trades closed in one period; ``unknown``: trades whose realized P&L
    the console does not know yet (not in ``pnl``)."""

    start: dt.date
    period: Period
    pnl: Decimal
    trades: int
    unknown: int = 0

    @property
    def label(self) -> str:
        if self.period == "month":
            return self.start.strftime("%b %Y")
        if self.period == "week":
            return "wk " + self.start.strftime("%d %b")
        return self.start.strftime("%a %d %b")


def pnl_by_period(records: Iterable[TradeRecord], period: Period) -> list[PeriodPnL]:
    """Realized P&L per period of the close, oldest first (periods without a trade are left out)."""
    sums: dict[dt.date, list[Decimal | int]] = {}
    for record in records:
        start = period_start(record.closed_day, period)
        entry = sums.setdefault(start, [ZERO, 0, 0])
        entry[1] = int(entry[1]) + 1
        if record.realized is None:
            entry[2] = int(entry[2]) + 1
        else:
            entry[0] = Decimal(entry[0]) + record.realized
    return [PeriodPnL(start, period, Decimal(v[0]), int(v[1]), int(v[2])) for start, v in sorted(sums.items())]


class Signed(Protocol):
    """A row that says what a view shows of it (a change of signature repaints the row)."""

    def signature(self) -> tuple[object, ...]: ...


K = TypeVar("K", bound=Hashable)
R = TypeVar("R", bound=Signed)


def update_records(table: Table[K, R], records: Mapping[K, R]) -> bool:
    """Make ``table`` hold ``records``, replacing only rows whose ``signature()`` changed.
    True when anything changed."""
    changed = False
    for key in [k for k in table if k not in records]:
        table.remove(key)
        changed = True
    for key, record in records.items():
        old = table.get(key)
        if old is None or old.signature() != record.signature():
            table.upsert(key, record)
            changed = True
    return changed
