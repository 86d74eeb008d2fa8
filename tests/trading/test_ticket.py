"""The order ticket against the real simulator: a MoveLeg adjustment, cancel and replace
of a resting limit order, a rejected combo shown with its reason and regrouped, a ticket
refused for a missing limit price, a connection drop during a send recovered with
exactly one order, and the five-keystroke paper entry."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from mesodesk.contract import LivePositionState, OrderState, OrderType
from mesodesk.sim.seed import BROKER_ACCOUNT
from tests.trading.helpers import choose, click, new_window, prepared, shot, toolbar_button, type_into
from tests.trading.test_paper_and_broker import PCS, open_entry, ready
from tests.ui.aio import run, until
from tests.ui.console import Console, column_texts, console

BROKER_PCS_POSITION = 4  # seeded "PCS 45DTE #2" on the broker account, 3 combos


def slow_idempotency(c: Console, after_commit: float) -> None:
    """Server-side latency after the idempotent commit (a slow reply), as the SDK tests do."""
    service = c.server.context.idempotency
    original = service.execute

    async def execute(operation: Any, args: Any, commit: Any, *, before: Any = None, describe: Any = None) -> Any:
        result = await original(operation, args, commit, before=before, describe=describe)
        await asyncio.sleep(after_commit)
        return result

    service.execute = execute


def test_moveleg_adjustment_through_the_ticket(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            trading = c.window.trading
            assert c.window.views["positions"].select_key(BROKER_PCS_POSITION)
            click(toolbar_button(c, "adjust_position"))
            w = await new_window(c, 0)
            assert w.setup.condition.currentData() == "pos_delta > 8 * units"
            assert w.setup.operation.currentText() == "MoveLeg"
            click(w.setup.prepare_button)
            await prepared(w)
            assert set(w.plan.legs) == {"short_put:close", "short_put"}
            click(w.review.continue_button)
            line = w.ticket.line_widgets[0]
            await until(lambda: line.view.quote.ask is not None)
            choose(line.order_type, OrderType.Market)
            click(w.ticket.primary)
            click(w.ticket.confirm_button)
            await until(lambda: line.view.state == OrderState.Filled, 20)
            details = await c.session.control.get_position(position_id=BROKER_PCS_POSITION)
            shorts = sorted((leg for leg in details.legs if leg.name == "short_put"), key=lambda leg: leg.id)
            assert len(shorts) == 2 and shorts[0].closed_at is not None and shorts[1].closed_at is None
            assert shorts[1].live_contract.strike != shorts[0].live_contract.strike
            assert shorts[1].qty == -3
            assert trading.windows == [w]

    run(qloop, scenario(), timeout=90)


def test_resting_limit_is_replaced_from_the_ticket_and_cancelled_from_the_orders_blotter(
        qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            w = await open_entry(c, BROKER_ACCOUNT, "Resting PCS")
            click(w.review.continue_button)
            line = w.ticket.line_widgets[0]
            await until(lambda: line.view.quote.bid is not None)
            passive = line.view.quote.bid - Decimal("1.50")  # more credit than anyone pays: rests
            type_into(line.limit, f"{passive:.2f}")
            click(w.ticket.primary)
            assert "far from the mid" in w.ticket.confirm_text.text()  # the price guard
            click(w.ticket.confirm_button)
            await until(lambda: line.view.state == OrderState.Working)
            await until(lambda: w.ticket.replace_button.isEnabled())
            first = line.line.order_id
            await until(lambda: str(first) in column_texts(c.window.models["orders"], "id"))
            # modify the price from the ticket: ReplacesOrder
            type_into(line.limit, f"{passive + Decimal('0.25'):.2f}")
            click(w.ticket.replace_button)
            await until(lambda: line.line.order_id != first)
            second = line.line.order_id
            assert (await c.session.control.get_order(order_id=first)).state == OrderState.Cancelled
            replaced = await c.session.control.get_order(order_id=second)
            assert replaced.state == OrderState.Working and replaced.limit_price == passive + Decimal("0.25")
            assert "replaced" in w.banner.text()
            # cancel from the Orders blotter: select the row, Trade → Cancel selected order
            orders = c.window.views["orders"]
            await until(lambda: orders.proxy.row_of_key(second) is not None)
            assert orders.select_key(second)
            c.window.trading.actions["trade.cancel_order"].trigger()
            await until(lambda: line.view.state == OrderState.Cancelled)
            await until(lambda: "Cancelled" in line.badge.text())
            assert (await c.session.control.get_order(order_id=second)).state == OrderState.Cancelled

    run(qloop, scenario(), timeout=90)


def test_rejected_combo_shows_its_reason_and_is_regrouped(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            w = await open_entry(c, BROKER_ACCOUNT, "Rejected PCS")
            click(w.review.continue_button)
            line = w.ticket.line_widgets[0]
            await until(lambda: line.view.quote.ask is not None)
            line.qty.setFocus()
            line.qty.selectAll()
            QTest.keyClicks(line.qty, "50")
            choose(line.order_type, OrderType.Market)
            click(w.ticket.primary)
            assert "more than 5×" in w.ticket.confirm_text.text()  # the size guard
            click(w.ticket.confirm_button)
            await until(lambda: line.view.state == OrderState.Rejected)
            await until(lambda: line.rejection.isVisible())
            assert "quantity too large" in line.rejection.text()
            assert "rejected" in w.banner.text()
            await shot(w, "rejected")
            click(line.split_button)  # regroup: one order per leg
            assert [lw.line.leg_names for lw in w.ticket.line_widgets] == [["short_put"], ["long_put"]]
            for lw in w.ticket.line_widgets:
                choose(lw.order_type, OrderType.Market)
            click(w.ticket.primary)
            click(w.ticket.confirm_button)
            await until(lambda: all(lw.view.state == OrderState.Filled for lw in w.ticket.line_widgets), 20)
            await until(lambda: w.completed)

    run(qloop, scenario(), timeout=90)


def test_missing_limit_price_is_refused_with_a_field_message(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            w = await open_entry(c, BROKER_ACCOUNT, "No price")
            click(w.review.continue_button)
            line = w.ticket.line_widgets[0]
            type_into(line.limit, "")
            before = await c.session.control.list_orders(exec_plan_id=w.plan.exec_plan_id)
            click(w.ticket.primary)
            assert not w.ticket.confirming
            assert line.limit_error.isVisible()
            assert line.limit_error.text() == "A limit price is required for Limit orders"
            assert line.limit.property("invalid") == "true"
            assert "highlighted" in w.banner.text()
            await shot(w, "missing-price")
            QTest.keyClick(w, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Enter: still refused
            await asyncio.sleep(0.3)
            after = await c.session.control.list_orders(exec_plan_id=w.plan.exec_plan_id)
            assert len(after.items) == len(before.items) == 0
            assert line.line.order_id is None

    run(qloop, scenario(), timeout=90)


def test_connection_drop_during_send_is_recovered_with_exactly_one_order(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            w = await open_entry(c, BROKER_ACCOUNT, "Dropped PCS")
            click(w.review.continue_button)
            line = w.ticket.line_widgets[0]
            await until(lambda: line.view.quote.ask is not None)
            choose(line.order_type, OrderType.Market)
            click(w.ticket.primary)
            slow_idempotency(c, after_commit=0.8)  # the reply is slow: the drop lands while in flight
            click(w.ticket.confirm_button)
            await asyncio.sleep(0.25)
            assert line.line.order_id is None and w._busy  # in flight
            await c.server.signalr.disconnect_all()
            await until(lambda: w.recoveries, 10)
            assert "outcome unknown — recovering" in w.recoveries[0]
            await until(lambda: line.line.order_id is not None, 30)
            await until(lambda: any("Recovered" in text for text in w.recoveries), 10)
            orders = await c.session.control.list_orders(exec_plan_id=w.plan.exec_plan_id)
            assert [o.order_id for o in orders.items] == [line.line.order_id]  # exactly one order
            record = await c.session.control.get_idempotency_record(idempotency_key=line.line.idempotency_key)
            assert record.live_order_ids == [line.line.order_id]
            await until(lambda: line.view.state == OrderState.Filled, 20)

    run(qloop, scenario(), timeout=120)


def test_paper_position_from_a_selected_strategy_in_five_keystrokes(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            win = c.window
            assert win.views["strategies"].select_key(PCS)
            win.activateWindow()
            QTest.keyClick(win, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # 1
            w = await new_window(c, 0)
            assert w.setup.account.currentData().startswith("ML")  # paper first
            await until(lambda: QApplication.activeWindow() is w or w.isActiveWindow(), 5)
            QTest.keyClick(w, Qt.Key.Key_Return)  # 2: prepare
            await prepared(w)
            QTest.keyClick(w, Qt.Key.Key_Return)  # 3: continue to the ticket
            assert w.page() == "ticket"
            QTest.keyClick(w, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # 4: paper-fill step
            assert w.page() == "paper"
            QTest.keyClick(w, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # 5: commit
            await until(lambda: w.completed)
            pid = w.position_id
            await until(lambda: (row := c.session.state.positions.get(pid)) is not None
                        and row.summary.state == LivePositionState.Open)

    run(qloop, scenario(), timeout=90)


def test_wizard_refuses_an_empty_position_name_at_the_field(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            trading = c.window.trading
            assert c.window.views["strategies"].select_key(PCS)
            click(toolbar_button(c, "new_position"))
            w = await new_window(c, 0)
            type_into(w.setup.name, "")
            click(w.setup.prepare_button)
            assert w.page() != "review" and w.job is None  # nothing was sent
            assert "border" in w.setup.name.styleSheet() and "name" in w.setup.name.toolTip()
            type_into(w.setup.name, "Named now")
            assert w.setup.name.styleSheet() == "" and len(trading.windows) == 1

    run(qloop, scenario(), timeout=60)
