"""Trade history (Qt-free): closed positions with the realized P&L the ledger says, their fills,
days in trade, filters, P&L per period, and the max drawdown from the chart history."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mesodesk.core.history import HistoryStore
from mesodesk.core.tables import Table
from mesodesk.core.trade_history import (
    TradeFilter,
    TradeRecord,
    closed_trades,
    period_start,
    pnl_by_period,
    update_records,
)
from mesodesk.quant.calendar import ET
from mesodesk.sim.seed import BROKER_ACCOUNT, PAPER_ACCOUNT
from tests.core.trade_helpers import round_trip
from tests.core.trading_world import TradingWorld, until

D = Decimal
CENT = D("0.01")
UTC = dt.UTC


def ledger_of(executions: list) -> Decimal:  # type: ignore[type-arg]
    """The cash every fill moved: buying pays ``qty × price × 100``, selling receives it, and each
    fill pays its commission (the signed-qty convention of the wire: + buy, − sell)."""
    total = D(0)
    for e in executions:
        mult = e.contract.multiplier or D(100)
        total += -e.qty * e.price * mult - e.commission
    return total


def test_a_closed_trade_shows_the_realized_pnl_the_ledger_says(world: TradingWorld) -> None:
    async def scenario() -> None:
        pid, plans = await round_trip(world, "debit vertical", PAPER_ACCOUNT, "history round trip", D("0.40"))
        state = world.session.state
        detail = await world.session.control.get_position(position_id=pid)
        executions = await world.executions(plans)
        n_fills = len(executions)
        await until(lambda: (r := closed_trades(state).get(pid)) is not None and r.realized == detail.realized_pnl
                    and len(r.fills) == n_fills, what="the trade with its realized P&L and fills")
        record = closed_trades(state)[pid]
        # the realized P&L is the server's (the one owner), and it is the cash the fills moved
        ledger = ledger_of(executions)
        assert record.realized is not None
        assert abs(record.realized - ledger) <= CENT * n_fills, (record.realized, ledger)
        # the market stands still: entered at mid, each of the two legs closed 0.40 worse than mid
        commissions = sum((e.commission for e in executions), D(0))
        assert abs(ledger - (-2 * D("0.40") * 100 - commissions)) <= CENT * n_fills, ledger
        # the fills of each leg: every execution of both plans, in time order, each leg opened and closed
        assert sorted(f.id for f in record.fills) == sorted(e.execution_id for e in executions)
        by_leg: dict[str, Decimal] = {}
        for f in record.fills:
            leg = (f.execution.leg_name or "").split(":")[0]
            by_leg[leg] = by_leg.get(leg, D(0)) + f.execution.qty
        assert by_leg and all(q == 0 for q in by_leg.values()), by_leg
        times = [f.execution.executed_at for f in record.fills]
        assert times == sorted(times)
        assert record.commissions == sum((e.commission for e in executions), D(0))
        # dates and days in trade, from the position summary
        summary = state.positions[pid].summary
        assert record.opened_at == summary.created_at and record.closed_at == summary.closed_at
        assert summary.closed_at is not None
        assert record.days_in_trade == (summary.closed_at - summary.created_at) // dt.timedelta(days=1)
        assert record.closed_day == summary.closed_at.astimezone(ET).date()
        assert record.strategy == summary.strategy_name and record.account == PAPER_ACCOUNT
        assert record.max_drawdown is None  # no chart history given
    world.run(scenario(), timeout=120)


def test_filters_and_pnl_per_day_of_the_real_trades(world: TradingWorld) -> None:
    async def scenario() -> None:
        await round_trip(world, "single long option", BROKER_ACCOUNT, "broker trade")
        await round_trip(world, "credit vertical", PAPER_ACCOUNT, "paper trade 2", D("0.10"))
        state = world.session.state
        await until(lambda: len(closed_trades(state)) >= 3
                    and all(r.realized is not None for r in closed_trades(state).values()))
        records = closed_trades(state)
        rows = [r for r in state.positions.values() if not r.is_open]
        assert set(records) == {r.id for r in rows}
        # by account / strategy: exactly the closed positions of that account / strategy
        for account in (PAPER_ACCOUNT, BROKER_ACCOUNT):
            got = {r.position_id for r in TradeFilter(account=account).apply(records.values())}
            assert got == {r.id for r in rows if r.summary.broker_account_id == account} and got
        name = state.positions[next(iter(records))].summary.strategy_name
        got = {r.position_id for r in TradeFilter(strategy=name).apply(records.values())}
        assert got == {r.id for r in rows if r.summary.strategy_name == name}
        # by date: the day they closed on (ET) is in, the day after is empty
        day = next(iter(records.values())).closed_day
        assert TradeFilter(start=day, end=day).apply(records.values())
        assert not TradeFilter(start=day + dt.timedelta(days=1)).apply(records.values())
        # P&L by day: each day's bar is the sum of the realized P&L of the positions closed that day
        expected: dict[dt.date, Decimal] = {}
        for r in rows:
            assert r.summary.closed_at is not None and r.realized_pnl is not None
            d = r.summary.closed_at.astimezone(ET).date()
            expected[d] = expected.get(d, D(0)) + r.realized_pnl
        assert {p.start: p.pnl for p in pnl_by_period(records.values(), "day")} == expected
    world.run(scenario(), timeout=180)


# ------------------------------------------------------------------ periods and filters, any input
def _record(pid: int, closed: dt.datetime, realized: Decimal | None, strategy: str = "S", account: str = "A") -> TradeRecord:
    return TradeRecord(pid, f"p{pid}", strategy, account, "SPX", closed - dt.timedelta(days=3), closed, 3, realized,
                       None, ())


closes = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 31),
                      timezones=st.just(UTC))
amounts = st.one_of(st.none(), st.decimals(min_value=-50_000, max_value=50_000, places=2))


@settings(max_examples=60, deadline=None)
@given(trades=st.lists(st.tuples(closes, amounts, st.sampled_from("ST"), st.sampled_from("AB")), max_size=40),
       period=st.sampled_from(["day", "week", "month"]))
def test_pnl_by_period_sums_the_trades_closed_in_each_period(trades: list, period: str) -> None:  # type: ignore[type-arg]
    records = [_record(i, c, pnl, s, a) for i, (c, pnl, s, a) in enumerate(trades)]
    bars = pnl_by_period(records, period)  # type: ignore[arg-type]
    # independently: the ET date of the close, its period's first day by calendar arithmetic
    expected: dict[dt.date, tuple[Decimal, int, int]] = {}
    for c, pnl, _s, _a in trades:
        d = c.astimezone(ET).date()
        first = {"day": d, "week": d - dt.timedelta(days=d.weekday()), "month": dt.date(d.year, d.month, 1)}[period]
        total, n, unknown = expected.get(first, (D(0), 0, 0))
        expected[first] = (total + (pnl or 0), n + 1, unknown + (pnl is None))
    assert [(b.start, b.pnl, b.trades, b.unknown) for b in bars] == [(k, *v) for k, v in sorted(expected.items())]
    assert sum((b.pnl for b in bars), D(0)) == sum((p for _c, p, _s, _a in trades if p is not None), D(0))
    for b in bars:
        assert period_start(b.start, period) == b.start  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(trades=st.lists(st.tuples(closes, amounts, st.sampled_from("ST"), st.sampled_from("AB")), max_size=30),
       start=st.one_of(st.none(), st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 31))),
       days=st.integers(0, 400), strategy=st.sampled_from([None, "S", "T"]), account=st.sampled_from([None, "A"]))
def test_trade_filter_keeps_exactly_the_matching_trades(trades: list, start: dt.date | None, days: int,  # type: ignore[type-arg]
                                                        strategy: str | None, account: str | None) -> None:
    records = [_record(i, c, pnl, s, a) for i, (c, pnl, s, a) in enumerate(trades)]
    end = None if start is None else start + dt.timedelta(days=days)
    got = {r.position_id for r in TradeFilter(start, end, strategy, account).apply(records)}
    want = set()
    for i, (c, _pnl, s, a) in enumerate(trades):
        d = c.astimezone(ET).date()
        if start is not None and not start <= d <= (end or d):
            continue
        if (strategy is not None and s != strategy) or (account is not None and a != account):
            continue
        want.add(i)
    assert got == want


def test_update_records_replaces_only_changed_rows() -> None:
    t0 = dt.datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    table: Table[int, TradeRecord] = Table("trades")
    a, b = _record(1, t0, D("10")), _record(2, t0, D("-5"))
    assert update_records(table, {1: a, 2: b})
    table.flush()
    assert not update_records(table, {1: _record(1, t0, D("10")), 2: b})  # same values: nothing to repaint
    assert not table.flush()
    assert update_records(table, {1: _record(1, t0, D("12"))})
    changes = table.flush()
    assert changes.updated == {1} and changes.removed == {2} and not changes.added


# ------------------------------------------------------------------ max drawdown from the chart history
@settings(max_examples=25, deadline=None)
@given(series=st.lists(st.lists(st.floats(-5000, 5000, allow_nan=False), min_size=1, max_size=60), min_size=1,
                       max_size=4))
def test_max_drawdown_comes_from_the_stored_pnl_series(tmp_path_factory, series: list[list[float]]) -> None:  # type: ignore[no-untyped-def]
    path = Path(tmp_path_factory.mktemp("history")) / "history.sqlite3"
    store = HistoryStore(path, flush_interval=60, world_key="test-world")
    try:
        t0 = 1_790_000_000.0
        for pid, pnls in enumerate(series, start=1):
            for i, pnl in enumerate(pnls):
                store.append(pid, (t0 + i, 6000.0, pnl, math.nan, math.nan, 0.0, 0.0, 0.0, 0.0))
        got = store.max_drawdowns([*range(1, len(series) + 1), 999]).result(10)
    finally:
        store.close()
    expected = {}
    for pid, pnls in enumerate(series, start=1):
        peak, worst = -math.inf, 0.0
        for pnl in pnls:
            peak = max(peak, pnl)
            worst = max(worst, peak - pnl)
        expected[pid] = worst
    assert set(got) == set(expected)  # 999 has no samples: absent (shown as "—")
    for pid, value in expected.items():
        assert np.isclose(got[pid], value, atol=1e-9), (pid, got[pid], value)
