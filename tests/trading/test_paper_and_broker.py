"""Full trades by clicking the real widgets against the real simulator: a paper account
(entry → paper fills → exit → paper fills) and a broker account (entry → SendOrder →
fills → exit → SendOrder → closed)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from PySide6.QtTest import QTest

from mesodesk.contract import LivePositionState, OrderState, OrderType
from mesodesk.sim.seed import BROKER_ACCOUNT, PAPER_ACCOUNT
from tests.trading.helpers import choose, click, new_window, prepared, shot, toolbar_button, type_into
from tests.ui.aio import run, until
from tests.ui.console import Console, console

PCS = 1  # seeded "SPX Put Credit Spread 45DTE", active on both accounts


async def ready(c: Console) -> None:
    c.server.context.jobs.delay = 0.15  # a realistic build latency, visible as progress
    m = c.window.models
    await until(lambda: m["strategies"].rowCount() >= 3 and m["accounts"].rowCount() >= 2
                and m["positions"].rowCount() >= 4)


async def open_entry(c: Console, account: str, name: str):
    trading = c.window.trading
    assert c.window.views["strategies"].select_key(PCS)
    click(toolbar_button(c, "new_position"))
    w = await new_window(c, len(trading.windows) - 1 if trading.windows else 0)
    assert w.setup.strategy.currentData() == PCS
    choose(w.setup.account, account)
    type_into(w.setup.name, name)
    click(w.setup.prepare_button)
    assert w.page() == "review"
    await prepared(w)
    return w


async def open_exit(c: Console, position_id: int):
    trading = c.window.trading
    await until(lambda: c.window.views["positions"].proxy.row_of_key(position_id) is not None)
    assert c.window.views["positions"].select_key(position_id)
    before = len(trading.windows)
    click(toolbar_button(c, "exit_position"))
    w = await new_window(c, before)
    await prepared(w)
    assert w.plan.kind == "exit" and w.plan.position_id == position_id
    return w


def test_full_paper_trade_entry_to_exit_by_clicking(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            w = await open_entry(c, PAPER_ACCOUNT, "UI paper PCS")
            plan = w.plan
            assert plan.paper and set(plan.legs) == {"short_put", "long_put"}
            assert w.review.legs.rowCount() == 2 and w.review.groups.rowCount() == 1
            assert w.review.allowed.isVisible() and w.review.conditions.rowCount() >= 1
            await shot(w, "wizard")
            # QtyMultiplier override: 2 instead of 1
            w.review.multiplier.setFocus()
            w.review.multiplier.selectAll()
            QTest.keyClicks(w.review.multiplier, "2")
            assert plan.qty_multiplier == 2
            click(w.review.continue_button)
            assert w.page() == "ticket"
            line = w.ticket.line_widgets[0]
            await until(lambda: "Mid" in line.quick["mid"].text() and "–" not in line.quick["mid"].text())
            assert "credit" in line.quote_label.text() or "debit" in line.quote_label.text()
            assert "debit" in w.ticket.convention.text() and "credit" in w.ticket.convention.text()
            click(w.ticket.primary)  # Paper trade ▸
            assert w.page() == "paper"
            assert set(w.paper.prices) == {"short_put", "long_put"}
            assert all(e.text() for e in w.paper.prices.values()), "prefilled from mid"
            type_into(w.paper.prices["long_put"], "1.25")  # editable
            await shot(w, "paper-fill")
            click(w.paper.commit_button)
            # 1.25 for the long put is far from its market: a confirmation naming the leg and its quote
            assert w.paper.confirming and not w.completed
            assert "long_put" in w.paper.confirm_text.text() and "bid" in w.paper.confirm_text.text()
            click(w.paper.confirm_button)
            await until(lambda: w.completed)
            position_id = w.position_id
            assert position_id is not None
            assert "committed" in w.banner.text()
            await until(lambda: (row := c.session.state.positions.get(position_id)) is not None
                        and row.summary.qty_multiplier == 2)
            await until(lambda: len([r for r in c.session.state.legs.values() if r.position_id == position_id]) == 2)
            legs = {r.leg.name: r.leg for r in c.session.state.legs.values() if r.position_id == position_id}
            assert legs["long_put"].qty == 2 and legs["short_put"].qty == -2
            click(w.paper.commit_button)  # "Close"
            assert not w.isVisible()

            x = await open_exit(c, position_id)
            click(x.review.continue_button)
            click(x.ticket.primary)
            assert x.page() == "paper"
            click(x.paper.commit_button)
            await until(lambda: x.completed)
            await until(lambda: c.session.state.positions.get(position_id) is not None
                        and c.session.state.positions[position_id].summary.state == LivePositionState.Closed)

    run(qloop, scenario(), timeout=90)


def test_full_broker_trade_entry_to_exit_by_clicking(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            w = await open_entry(c, BROKER_ACCOUNT, "UI broker PCS")
            assert not w.plan.paper
            click(w.review.continue_button)
            line = w.ticket.line_widgets[0]
            await until(lambda: line.view.quote.ask is not None)
            assert line.limit.text(), "starts at the prepare result's mid"
            click(line.quick["bid"])
            assert Decimal(line.limit.text()) <= line.view.quote.mid
            choose(line.order_type, OrderType.Market)
            await shot(w, "ticket")
            click(w.ticket.primary)  # Review & send: the confirmation with size and value
            assert w.ticket.confirming
            assert "contracts" in w.ticket.confirm_text.text() and "order value" in w.ticket.confirm_text.text()
            await shot(w, "confirm")
            click(w.ticket.confirm_button)
            await until(lambda: line.view.state == OrderState.Filled, 20)
            await until(lambda: w.completed)
            assert "Filled" in line.badge.text()
            plan_id = w.plan.exec_plan_id
            await until(lambda: plan_id in c.session.state.exec_plan_positions)
            position_id = c.session.state.exec_plan_positions[plan_id]
            await until(lambda: position_id in c.session.state.positions)

            x = await open_exit(c, position_id)
            click(x.review.continue_button)
            xl = x.ticket.line_widgets[0]
            await until(lambda: xl.view.quote.ask is not None)
            await until(lambda: "Realizes" in xl.pnl.text())
            type_into(xl.limit, f"{xl.view.quote.ask + Decimal('0.50'):.2f}")  # a marketable limit
            assert "Realizes" in xl.pnl.text()
            click(x.ticket.primary)
            assert "realizes" in x.ticket.confirm_text.text()
            click(x.ticket.confirm_button)
            await until(lambda: xl.view.state == OrderState.Filled, 20)
            await until(lambda: x.closed_position, 20)
            assert "closed" in x.banner.text()
            await until(lambda: c.session.state.positions[position_id].summary.state == LivePositionState.Closed)
            await asyncio.sleep(0.1)

    run(qloop, scenario(), timeout=90)
