"""The Today dock on a real simulator: positions opened and closed today with their P&L today,
the entries per strategy and account, and P&L today against the previous close's marks after
the simulator's market moves on to the next trading day (persisted in the world's folder)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from mesodesk.core.day_marks import day_marks_path
from mesodesk.core.formatting import fmt_signed_money
from mesodesk.core.today import market_day
from mesodesk.quant.calendar import next_trading_day, session_bounds
from mesodesk.sim.seed import PAPER_ACCOUNT
from mesodesk.ui.models.columns import SORT_ROLE
from tests.core.trade_helpers import fill, round_trip
from tests.ui.aio import run, until
from tests.ui.console import console, unexpected_errors

D = Decimal


def values(model, key: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """Row key -> the column's raw value (what it sorts by)."""
    col = model.column_index(key)
    return {model.key_at(r): model.index(r, col).data(SORT_ROLE) for r in range(model.rowCount())}


def texts(model, key: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    col = model.column_index(key)
    return {model.key_at(r): model.index(r, col).data() for r in range(model.rowCount())}


def test_today_shows_the_days_trades_and_pnl_against_the_previous_close(qloop, qtbot, tmp_path: Path,
                                                                        qtmodeltester) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path, defer_charts=True) as c:  # the charts are not needed here
            w, state = c.window, c.session.state
            w.day_views.build()  # its contents (built with the charts after the first live rows in the app)
            dock, widget = w.docks["today"], w.day_views.today
            assert dock.windowTitle() == "Today" and dock.widget() is widget
            dock.show()
            dock.raise_()
            await until(lambda: state.strategies and state.accounts)
            sid = next(r.id for r in state.strategies.values() if "Put Credit" in r.strategy.name)
            world = SimpleNamespace(desk=w.desk, session=c.session, strategy_ids={"spread": sid})
            # A: entered and held; B: entered and closed today
            from mesodesk.contract import LiveLegSelectionConstraint, LiveUnderlying
            from mesodesk.core.trading.plan import FlowKind
            result = await w.desk.prepare(FlowKind.ENTRY, {
                "position_name": "today A", "strategy_id": sid, "broker_account_id": PAPER_ACCOUNT,
                "leg_selection_constraint": LiveLegSelectionConstraint.None_,
                "underlying": LiveUnderlying(symbol="SPX")}).run()
            ticket = w.desk.open_ticket(w.desk.plan(FlowKind.ENTRY, result))
            await until(lambda: ticket.feed.updates > 0)
            await fill(world, ticket)  # type: ignore[arg-type]
            ticket.feed.stop()
            a = await until(lambda: next((p.id for p in state.positions.values() if p.summary.name == "today A"), None))
            b, _ = await round_trip(world, "spread", PAPER_ACCOUNT, "today B", D("0.25"))  # type: ignore[arg-type]
            realized_b = (await c.session.control.get_position(position_id=b)).realized_pnl
            model = widget.models["todayPositions"]
            await until(lambda: texts(model, "status").get(a) == "Opened"
                        and texts(model, "status").get(b) == "Opened & closed"
                        and values(model, "today").get(b) == float(realized_b))
            # opened today: P&L today is the whole P&L (from 0); the headline sums the column
            w.frames.request()
            await until(lambda: values(model, "today")[a] == values(model, "pnl")[a] and values(model, "base")[a] == 0)
            today = widget.positions_table
            total = sum((r.today for r in today.values() if r.today is not None), D(0))
            assert fmt_signed_money(total).replace("$", "") in widget.headline.text().replace("$", "")
            # entries: one row per active strategy and account; the spread opened two today on paper
            entries = widget.models["todayEntries"]
            want = {f"{s.id}:{acct}" for s in (r.strategy for r in state.strategies.values())
                    for acct in s.active_on_accounts}
            assert {entries.key_at(r) for r in range(entries.rowCount())} == want
            assert values(entries, "opened")[f"{sid}:{PAPER_ACCOUNT}"] >= 2
            for m in widget.models.values():
                qtmodeltester.check(m)
            assert not widget.grab().toImage().isNull()

            # the close: freeze the simulator's market and let the console see its last marks
            clock = c.server.context.market.clock
            clock.set_speed(0.0)
            frozen = clock.now()
            await until(lambda: (r := state.positions[a]).data is not None and r.data.timestamp == frozen
                        and r.pnl_mark is not None and widget.book.marks.last.get(a) == r.pnl_mark)
            close_a = state.positions[a].pnl_mark
            day1 = widget.book.day
            assert day1 is not None
            # the next trading day, 15 minutes after the open
            now = clock.now()
            clock.advance((session_bounds(market_day(now))[1] - now).total_seconds() + 900)
            day2 = next_trading_day(day1)
            await until(lambda: widget.book.day == day2, timeout=20)
            await until(lambda: (r := state.positions[a]).data is not None and market_day(r.data.timestamp) == day2)
            w.frames.request()
            await until(lambda: texts(model, "status").get(a) == "Held" and b not in texts(model, "status"))
            await until(lambda: values(model, "pnl")[a] == float(state.positions[a].pnl_mark))  # type: ignore[arg-type]
            assert close_a is not None  # (a day later its mark usually moved; on the $5 grid it may not)
            assert values(model, "base")[a] == float(close_a)
            assert D(str(values(model, "today")[a])) == state.positions[a].pnl_mark - close_a  # type: ignore[operator]
            assert "previous close" in widget.basis.text()
            assert not widget.grab().toImage().isNull()
            assert not unexpected_errors(c.errors)
            # persisted per world: the new day's base is on disk once the views close (as the window closes)
            w.sig_closed.emit()
            path = day_marks_path(c.session.world, w.config_dir)
            stored = json.loads(path.read_text(encoding="utf-8"))
            assert stored["day"] == day2.isoformat() and D(stored["base"][str(a)]) == close_a
            assert stored["world"] == c.session.world.key

    run(qloop, scenario(), timeout=120)
