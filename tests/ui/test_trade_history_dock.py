"""The Trade history dock on a real simulator: after an entry and an exit on the paper account it
shows the realized P&L the ledger says, the fills, a P&L-by-day bar per day, and filters and exports
what it shows."""

from __future__ import annotations

import csv
import math
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from PySide6.QtCore import Qt

from mesodesk.core.today import market_day
from mesodesk.sim.seed import BROKER_ACCOUNT, PAPER_ACCOUNT
from mesodesk.ui.models.columns import SORT_ROLE
from tests.core.trade_helpers import round_trip
from tests.ui.aio import run, until
from tests.ui.console import console, unexpected_errors

D = Decimal
CENT = D("0.01")


def ledger_of(executions) -> Decimal:  # type: ignore[no-untyped-def]
    """Cash the fills moved: buying (+qty) pays qty × price × 100, selling receives it; minus commissions."""
    return sum((-e.qty * e.price * (e.contract.multiplier or 100) - e.commission for e in executions), D(0))


def test_trade_history_shows_the_ledger_fills_chart_filters_and_export(qloop, qtbot, tmp_path: Path,
                                                                       qtmodeltester) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            w, state = c.window, c.session.state
            dock = w.docks["tradeHistory"]
            widget = w.day_views.trade_history
            assert dock.windowTitle() == "Trade history" and dock.widget() is widget
            dock.show()
            dock.raise_()
            await until(lambda: state.strategies and state.accounts)
            sid = next(r.id for r in state.strategies.values() if "Put Credit" in r.strategy.name)
            world = SimpleNamespace(desk=w.desk, session=c.session, strategy_ids={"spread": sid})
            plans: dict[int, set[int]] = {}
            for name, edge in (("history A", D(0)), ("history B", D("0.50"))):
                pid, used = await round_trip(world, "spread", PAPER_ACCOUNT, name, edge)  # type: ignore[arg-type]
                plans[pid] = used
            executions = [e async for e in c.session.control.iter_executions()]
            ledgers = {pid: ledger_of([e for e in executions if e.exec_plan_id in used]) for pid, used in plans.items()}
            details = {pid: await c.session.control.get_position(position_id=pid) for pid in plans}
            model = widget.model
            await until(lambda: all(
                (r := widget.table.get(pid)) is not None and r.realized == details[pid].realized_pnl
                and len(r.fills) == len([e for e in executions if e.exec_plan_id in plans[pid]]) for pid in plans),
                timeout=30)
            # the realized P&L the ledger says: the server's number, equal to the cash its fills moved
            for pid, ledger in ledgers.items():
                n = len([e for e in executions if e.exec_plan_id in plans[pid]])
                row = model.row_of(pid)
                assert row is not None
                shown = model.index(row, model.column_index("realized")).data()
                assert shown == f"{float(details[pid].realized_pnl):,.2f}"
                assert abs(D(shown.replace(",", "")) - ledger) <= CENT * n, (shown, ledger)
            assert ledgers[max(plans)] < ledgers[min(plans)]  # B closed 0.50 a leg worse
            # the fills of the selected trade, each leg opened and closed
            pid_b = max(plans)
            assert widget.view.select_key(pid_b)
            await until(lambda: widget.fills_model.rowCount() == len(widget.table[pid_b].fills))
            fill_ids = {widget.fills_model.key_at(r) for r in range(widget.fills_model.rowCount())}
            assert fill_ids == {e.execution_id for e in executions if e.exec_plan_id in plans[pid_b]}
            # max drawdown from the chart history: what the recorder saw while it was open
            await until(lambda: widget.table[pid_b].max_drawdown is not None, timeout=15)
            pnl = w.charts.recorder.buffer(pid_b).column("pnl")  # type: ignore[union-attr]
            pnl = pnl[~np.isnan(pnl)]
            by_hand = float(np.max(np.maximum.accumulate(pnl) - pnl))
            assert math.isclose(widget.table[pid_b].max_drawdown or 0.0, by_hand, abs_tol=1e-6)
            # the model: sound, numeric columns sort as numbers
            qtmodeltester.check(model)
            qtmodeltester.check(widget.fills_model)
            view = widget.view
            view.table.sortByColumn(model.column_index("realized"), Qt.SortOrder.AscendingOrder)
            sorted_values = [view.proxy.index(r, model.column_index("realized")).data(SORT_ROLE)
                             for r in range(view.proxy.rowCount())]
            assert sorted_values == sorted(sorted_values) and len(sorted_values) == len(plans)
            qtmodeltester.check(view.proxy)
            # P&L by day: one bar per closing day, the sum of that day's realized P&L
            chart = widget.ensure_chart()
            day = market_day(c.session.state.positions[pid_b].summary.closed_at)  # type: ignore[arg-type]
            bars = {p.start: p.pnl for p in chart.periods}
            expected: dict = {}  # type: ignore[type-arg]
            for pid in plans:
                closed = state.positions[pid].summary.closed_at
                assert closed is not None
                expected[market_day(closed)] = expected.get(market_day(closed), D(0)) + details[pid].realized_pnl
            assert bars == expected and day in bars
            # filters: the broker account has none of them; the paper account and "Today" have both
            widget.set_filter(account=BROKER_ACCOUNT)
            assert model.rowCount() == 0 and chart.periods == []
            widget.set_filter(account=PAPER_ACCOUNT, range_label="Today")
            assert {model.key_at(r) for r in range(model.rowCount())} == set(plans)
            strategy = state.positions[pid_b].summary.strategy_name
            widget.set_filter(strategy=strategy, range_label="Custom", start=day.replace(day=1), end=day)
            assert {model.key_at(r) for r in range(model.rowCount())} == set(plans)
            widget.set_filter(range_label="Custom", start=day.replace(year=day.year - 1), end=day.replace(year=day.year - 1))
            assert model.rowCount() == 0
            widget.set_filter(range_label="All dates", strategy="", account="")
            assert model.rowCount() == len(plans)
            # CSV export of what is shown
            path = tmp_path / "trades.csv"
            assert widget.export_csv(path) == len(plans)
            rows = list(csv.reader(path.open(encoding="utf-8")))
            header = rows[0]
            assert "Realized" in header and "Max DD" in header
            got = {int(r[header.index("Id")]): r[header.index("Realized")] for r in rows[1:]}
            assert got == {pid: f"{float(details[pid].realized_pnl):,.2f}" for pid in plans}
            assert widget.view.select_key(pid_b)
            await until(lambda: widget.fills_model.rowCount() == 4)
            assert not widget.grab().toImage().isNull()
            assert not unexpected_errors(c.errors)

    run(qloop, scenario(), timeout=120)
