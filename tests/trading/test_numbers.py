"""The numbers a trader acts on, through the real windows against the real simulator: exit
tickets of a credit and a debit spread, the risk graph after an adjustment, closed positions
after a restart, paper-fill guards, strict price fields, the Orders blotter, modify after
replace, the adjustment review and size feedback. Each test names the defect it guards
(issue "Numbers a trader can act on", items 1–10)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from mesodesk.contract import LiveLegSelectionConstraint, LiveUnderlying, OrderState, OrderType
from mesodesk.core.trading.plan import FlowKind
from mesodesk.sim.seed import BROKER_ACCOUNT, PAPER_ACCOUNT
from tests.core.trading_world import definition
from tests.trading.helpers import choose, click, new_window, prepared, shot, toolbar_button, type_into
from tests.trading.test_paper_and_broker import open_entry, open_exit, ready
from tests.ui.aio import run, until
from tests.ui.console import Console, column_texts, console

D = Decimal
BROKER_PCS = 4  # seeded "PCS 45DTE #2", broker account, a credit spread (3 combos)
PAPER_PCS = 1  # seeded "PCS 45DTE #1", paper account


def ledger_realizes(c: Console, position_id: int, combos: Decimal, price: Decimal, commission: Decimal) -> Decimal:
    """Independent: the position's cash so far is −Σ held qty × basis × 100 (the basis carries the
    opening commission); closing every leg at the signed combo ``price`` moves −price × combos × 100
    − commission. Realized = their sum."""
    legs = [r.leg for r in c.session.state.legs.values() if r.position_id == position_id and r.is_open]
    entry_cash = -sum((leg.qty * leg.avg_entry_price * 100 for leg in legs), D(0))
    exit_cash = -price * combos * 100 - commission
    return (entry_cash + exit_cash).quantize(D("0.01"))


async def open_debit_position(c: Console) -> int:
    """A call debit spread on the broker account, entered through the trading commands at the natural price."""
    desk = c.window.desk
    created = await c.session.control.create_strategy(strategy_definition=definition("debit vertical"),
                                                      active_on_accounts=[PAPER_ACCOUNT, BROKER_ACCOUNT])
    result = await desk.prepare(FlowKind.ENTRY, {
        "position_name": "Call debit spread", "strategy_id": created.id, "broker_account_id": BROKER_ACCOUNT,
        "leg_selection_constraint": LiveLegSelectionConstraint.None_,
        "underlying": LiveUnderlying(symbol="SPX")}).run()
    ticket = desk.open_ticket(desk.plan(FlowKind.ENTRY, result))
    await until(lambda: ticket.feed.updates > 0)
    line = ticket.lines[0]
    line.order_type = OrderType.Market
    order_id = await ticket.send(line)
    await until(lambda: (r := c.session.state.orders.get(order_id)) is not None and r.state == OrderState.Filled)
    ticket.feed.stop()
    plan_id = ticket.plan.exec_plan_id
    await until(lambda: plan_id in c.session.state.exec_plan_positions)
    return c.session.state.exec_plan_positions[plan_id]


def test_exit_tickets_price_a_credit_spread_as_a_debit_and_a_debit_spread_as_a_credit(
        qloop, qtbot, tmp_path: Path) -> None:
    """Item 1: the exit ticket's tag, default limit, words and "Realizes if filled"."""
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            # -- a credit spread exits as a debit
            x = await open_exit(c, BROKER_PCS)
            click(x.review.continue_button)
            line = x.ticket.line_widgets[0]
            await until(lambda: line.view.quote.mid is not None and "Realizes" in line.pnl.text())
            quote = line.view.quote
            assert quote.mid > 0, "buying back a credit spread costs money"
            limit = D(line.limit.text())
            assert limit > 0 and abs(limit - quote.mid) <= D("0.05")
            assert line.side_tag.text() == "DEBIT" and "debit per combo" in line.limit_words.text()
            type_into(line.limit, f"{limit}")  # pin it (the default follows the mid until edited)
            combos = line.view.combos
            expected = ledger_realizes(c, BROKER_PCS, combos, limit, line.view.commission)
            assert line.view.realizes is not None and line.view.realizes.amount == expected
            assert f"${abs(expected):,.2f}" in line.pnl.text()
            await shot(x, "exit-credit-spread")
            click(x.ticket.primary)  # the confirm step repeats the same numbers
            assert x.ticket.confirming and "debit" in x.ticket.confirm_text.text()
            assert f"${abs(expected):,.2f}" in x.ticket.confirm_text.text()
            assert "check the sign" not in x.ticket.confirm_text.text()
            await shot(x, "exit-confirm")
            # a typed credit for a debit structure is flagged at the confirm step
            click(x.ticket.confirm_back)
            type_into(line.limit, f"-{limit}")
            click(x.ticket.primary)
            assert "check the sign" in x.ticket.confirm_text.text()
            x.close()

            # -- a debit spread exits as a credit
            pid = await open_debit_position(c)
            y = await open_exit(c, pid)
            click(y.review.continue_button)
            yl = y.ticket.line_widgets[0]
            await until(lambda: yl.view.quote.mid is not None and "Realizes" in yl.pnl.text())
            assert yl.view.quote.mid < 0 and D(yl.limit.text()) < 0
            assert yl.side_tag.text() == "CREDIT" and "credit per combo" in yl.limit_words.text()
            await until(lambda: len([r for r in c.session.state.legs.values() if r.position_id == pid]) == 2)
            ylimit = D(yl.limit.text())
            type_into(yl.limit, f"{ylimit}")
            assert yl.view.realizes is not None
            assert yl.view.realizes.amount == ledger_realizes(c, pid, yl.view.combos, ylimit, yl.view.commission)
            await shot(y, "exit-debit-spread")
            y.close()

    run(qloop, scenario(), timeout=120)


def test_risk_graph_after_an_adjustment_shows_total_pnl(qloop, qtbot, tmp_path: Path) -> None:
    """Item 2: after a MoveLeg, the risk graph's T+0 value at spot is the blotter's total P&L (realized
    included), for one position and for several together."""
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            assert c.window.views["positions"].select_key(PAPER_PCS)
            click(toolbar_button(c, "adjust_position"))
            w = await new_window(c, 0)
            click(w.setup.prepare_button)
            await prepared(w)
            click(w.review.continue_button)
            click(w.ticket.primary)
            click(w.paper.commit_button)
            await until(lambda: w.completed)
            w.close()
            state = c.session.state
            await until(lambda: state.positions[PAPER_PCS].realized_pnl not in (None, D(0)))
            await until(lambda: len([r for r in state.legs.values() if r.position_id == PAPER_PCS and r.is_open]) == 2)
            graph = c.window.charts.risk_graph
            for ids in ([PAPER_PCS], [1, 2, 3]):
                graph.set_positions(ids)
                await until(lambda ids=ids: all(state.positions[i].pnl_mark is not None for i in ids))
                graph.refresh()  # the same instant as the rows read below
                total = sum(float(state.positions[i].pnl_mark) for i in ids)
                m = graph.model
                assert m is not None and graph.inputs is not None
                at_spot = graph.readout_at(m.spot)["pnl_t0"]
                assert abs(at_spot - total) <= 0.01, (ids, at_spot, total)
                assert abs(m.realized - sum(float(state.positions[i].realized_pnl or 0) for i in ids)) < 0.005
                assert graph.breakevens or ids != [PAPER_PCS]
            graph.set_positions([PAPER_PCS])
            graph.refresh()
            await shot(c.window.docks["riskGraph"], "risk-after-adjustment")

    run(qloop, scenario(), timeout=120)


def test_closed_positions_keep_realized_pnl_after_a_restart(qloop, qtbot, tmp_path: Path) -> None:
    """Item 3: after a paper exit the row shows the realized P&L and no greeks; after a restart too."""
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            x = await open_exit(c, PAPER_PCS)
            click(x.review.continue_button)
            click(x.ticket.primary)
            click(x.paper.commit_button)
            await until(lambda: x.completed)
            detail = await c.session.control.get_position(position_id=PAPER_PCS)
            row = c.session.state.positions[PAPER_PCS]
            await until(lambda: not row.is_open and row.realized_pnl == detail.realized_pnl)
            assert row.greek("delta") is None and row.greek("theta") is None
            realized = detail.realized_pnl
            assert realized is not None and realized != 0
        async with console(qtbot, tmp_path) as c2:  # the same simulator data folder: a restart
            await ready(c2)
            model = c2.window.models["positions"]
            await until(lambda: (r := c2.session.state.positions.get(PAPER_PCS)) is not None
                        and r.realized_pnl == realized)
            await until(lambda: str(PAPER_PCS) in column_texts(model, "id"))
            row = column_texts(model, "id").index(str(PAPER_PCS))
            await until(lambda: column_texts(model, "realized")[row] == f"{float(realized):,.2f}")
            assert column_texts(model, "pnl")[row] == f"{float(realized):,.2f}"  # closed: total = realized
            assert column_texts(model, "delta")[row] == "" and column_texts(model, "theta")[row] == ""
            view = c2.window.show_position_details(PAPER_PCS)
            await until(lambda: f"{realized:,.2f}" in view.metric_labels["realized"].text())
            await shot(c2.window, "positions-after-restart")

    run(qloop, scenario(), timeout=120)


def test_paper_fills_refuse_absurd_prices_at_the_field(qloop, qtbot, tmp_path: Path) -> None:
    """Items 4 and 7: 999,999 for a put is refused at the field; 0 needs a confirmation naming the leg
    and its quote; letters are not hidden hotkeys; the paper ticket shows no price keys."""
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            w = await open_entry(c, PAPER_ACCOUNT, "Guarded paper")
            click(w.review.continue_button)
            assert "B / M / A" not in w.ticket.convention.text()
            line = w.ticket.line_widgets[0]
            await until(lambda: "mid" in line.quote_label.text() and "–" not in line.quote_label.text())
            click(w.ticket.primary)
            long_field = w.paper.prices["long_put"]
            type_into(long_field, "abc")
            assert long_field.text() == "abc" and long_field.property("invalid") == "true"
            assert w.sheet.legs["long_put"].price is None  # not silently the bid
            type_into(long_field, "999999")
            assert long_field.property("invalid") == "true" and "strike" in long_field.toolTip()
            await shot(w, "paper-refused")
            click(w.paper.commit_button)
            assert not w.completed and "long_put" in w.banner.text()
            type_into(long_field, "")
            click(w.paper.mid_button)  # back to the live mids
            type_into(w.paper.prices["short_put"], "0")
            click(w.paper.commit_button)
            assert w.paper.confirming and "short_put: fill at 0.00" in w.paper.confirm_text.text()
            assert "bid" in w.paper.confirm_text.text()
            await shot(w, "paper-confirm-zero")
            click(w.paper.confirm_edit)
            click(w.paper.mid_button)
            click(w.paper.commit_button)
            await until(lambda: w.completed)

    run(qloop, scenario(), timeout=120)


def test_limit_field_refuses_malformed_numbers_and_the_orders_blotter_has_no_double_negatives(
        qloop, qtbot, tmp_path: Path) -> None:
    """Items 5 and 6."""
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            w = await open_entry(c, BROKER_ACCOUNT, "Strict limit")
            click(w.review.continue_button)
            line = w.ticket.line_widgets[0]
            await until(lambda: line.view.quote.bid is not None)
            type_into(line.limit, "x1.2.3")
            assert line.limit.text() == "x1.2.3"  # not rewritten to 1.23
            assert line.limit_error.isVisible() and "not a limit price" in line.limit_error.text()
            assert line.line.limit_price is None
            click(w.ticket.primary)
            assert not w.ticket.confirming
            await shot(w, "limit-malformed")
            resting = line.view.quote.bid - D("1.00")  # a credit more than anyone pays: rests
            type_into(line.limit, f"{abs(resting):.2f} cr")
            assert line.line.limit_price == resting and not line.limit_error.isVisible()
            click(w.ticket.primary)
            click(w.ticket.confirm_button)
            await until(lambda: line.view.state == OrderState.Working)
            order_id = line.line.order_id
            model = c.window.models["orders"]
            await until(lambda: str(order_id) in column_texts(model, "id"))
            row = column_texts(model, "id").index(str(order_id))
            assert column_texts(model, "side")[row] == "Sell"
            assert column_texts(model, "qty")[row] == "1"
            assert column_texts(model, "limit")[row] == f"{abs(resting):.2f} cr"
            assert all("-" not in column_texts(model, k)[row] for k in ("side", "qty", "limit"))
            dock = c.window.docks["orders"]
            dock.setFloating(True)  # wide enough to show every column in the screenshot
            dock.resize(1500, 200)
            await shot(dock, "orders-blotter")
            await w.trade.cancel(line.line)

    run(qloop, scenario(), timeout=120)


def test_modify_from_the_blotter_follows_the_replacement_and_shows_the_market(qloop, qtbot, tmp_path: Path) -> None:
    """Item 8: after a replace, Ctrl+Shift+M on the old order opens the live one, with bid/mid/ask."""
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            w = await open_entry(c, BROKER_ACCOUNT, "Modify me")
            click(w.review.continue_button)
            line = w.ticket.line_widgets[0]
            await until(lambda: line.view.quote.bid is not None)
            passive = line.view.quote.bid - D("1.50")
            type_into(line.limit, f"{passive:.2f}")
            click(w.ticket.primary)
            click(w.ticket.confirm_button)
            await until(lambda: line.view.state == OrderState.Working)
            first = line.line.order_id
            type_into(line.limit, f"{passive + D('0.25'):.2f}")
            click(w.ticket.replace_button)
            await until(lambda: line.line.order_id != first and line.view.state == OrderState.Working)
            second = line.line.order_id
            w.close()  # the ticket is gone: the blotter opens the dialog
            orders = c.window.views["orders"]
            await until(lambda: orders.select_key(first))
            c.window.activateWindow()
            dialog = c.window.trading.replace_order()
            assert dialog is not None and dialog.order_id == second
            assert dialog.windowTitle() == f"Modify order #{second}"
            await until(lambda: "–" not in dialog.quick["bid"].text())
            assert dialog.quick["bid"].isEnabled() and dialog.quick["ask"].isEnabled()
            await shot(dialog, "modify-dialog")
            type_into(dialog.price, "x")
            assert dialog.price.property("invalid") == "true" and dialog.error.text()
            type_into(dialog.price, f"{passive + D('0.50'):.2f}")
            click(dialog.ok)
            await until(lambda: (live := c.window.desk.orders.live_order(first)) != second
                        and c.session.state.orders[live].state == OrderState.Working)
            third = c.window.desk.orders.live_order(first)
            assert c.session.state.orders[third].order.limit_price == passive + D("0.50")
            await c.window.desk.orders.cancel(third)

    run(qloop, scenario(), timeout=120)


def test_adjustment_review_says_what_it_does(qloop, qtbot, tmp_path: Path) -> None:
    """Item 9: greeks before / order / after; the trigger's state instead of "Allowed"; readable actions."""
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            assert c.window.views["positions"].select_key(BROKER_PCS)
            click(toolbar_button(c, "adjust_position"))
            w = await new_window(c, 0)
            details = w.setup.details.text()
            assert "Move leg short_put to the strike at Delta -15" in details and "{" not in details
            assert "Trigger:" in details
            click(w.setup.prepare_button)
            await prepared(w)
            rows = [w.review.greeks.item(r, 0).text() for r in range(w.review.greeks.rowCount())]
            assert rows == ["Position now", "This order", "Position after"]
            delta = [D(w.review.greeks.item(r, 1).text().replace(",", "")) for r in range(3)]
            assert abs(delta[0] + delta[1] - delta[2]) <= D("0.02")  # after = now + order
            assert "Allowed" not in w.review.allowed.text()
            trigger = w.review.trigger.text()
            assert "pos_delta &gt; 8" in trigger or "pos_delta > 8" in trigger
            assert "manual" in trigger or "met" in trigger
            await shot(w, "adjustment-review")

    run(qloop, scenario(), timeout=120)


def test_size_scales_greeks_and_risk_without_a_silent_cap(qloop, qtbot, tmp_path: Path) -> None:
    """Item 10: a 1,500-lot is taken as typed; greeks and max loss scale; buying power is shown."""
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            w = await open_entry(c, BROKER_ACCOUNT, "Big size")
            one_delta = D(w.review.greeks.item(0, 1).text().replace(",", ""))
            one_risk = w.trade.totals()
            assert one_risk.risk_defined and one_risk.max_loss is not None and one_risk.max_loss < 0
            assert "max loss" in w.review.risk.text() and "buying power" in w.review.risk.text()
            w.review.multiplier.setFocus()
            w.review.multiplier.selectAll()
            QTest.keyClicks(w.review.multiplier, "1500")
            assert w.plan.qty_multiplier == 1500 and w.review.multiplier.text() == "1500"
            big_delta = D(w.review.greeks.item(0, 1).text().replace(",", ""))
            assert abs(big_delta - one_delta * 1500) <= abs(one_delta) * 1500 * D("0.01") + D("1")
            big = w.trade.totals()
            assert big.max_loss is not None and big.buying_power is not None
            # the loss scales with size; commissions scale with contracts too
            assert abs(big.max_loss - (one_risk.max_loss + one_risk.commission) * 1500 + big.commission) < D("1")
            assert f"{abs(big.max_loss):,.2f}" in w.review.risk.text()
            QTest.keyClicks(w.review.multiplier, "0000000")
            assert w.review.multiplier_error.text() and not w.review.continue_button.isEnabled()
            await shot(w, "size-review")

    run(qloop, scenario(), timeout=120)


def test_default_limit_follows_the_mid_until_edited(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            w = await open_entry(c, BROKER_ACCOUNT, "Follow")
            click(w.review.continue_button)
            line = w.ticket.line_widgets[0]
            await until(lambda: line.view.quote.mid is not None)
            assert "follows the mid" in line.limit_words.text()
            for _ in range(40):  # the market moves at 60×: the default follows it
                await asyncio.sleep(0.1)
                assert abs(D(line.limit.text()) - line.view.quote.mid) <= D("0.05") + D("0.01")
            type_into(line.limit, "-9.95")
            await asyncio.sleep(1.0)
            assert line.limit.text() == "-9.95" and "follows" not in line.limit_words.text()
            choose(line.order_type, OrderType.Market)
            assert "Market" in line.limit_words.text()
            QTest.keyClick(w, Qt.Key.Key_Escape)

    run(qloop, scenario(), timeout=120)
