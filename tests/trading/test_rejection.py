"""The order ticket after a rejection, against the real simulator: Combos 5 on a plan prepared for
fewer is rejected with a suggestion that fits the reason (reduce the combos or raise the Qty
multiplier, never "split"); the rejected order shows its reason, side, size and price in the
Orders blotter and its CSV like any other order; ◂ Back leads to an editable ticket, and a
corrected send (a new order with a new idempotency key) fills while the rejected one stays."""

from __future__ import annotations

import csv
from decimal import Decimal
from html import unescape
from pathlib import Path

from mesodesk.contract import OrderState, OrderType
from mesodesk.sim.seed import BROKER_ACCOUNT
from tests.trading.helpers import choose, click, shot, type_into
from tests.trading.test_paper_and_broker import open_entry, ready
from tests.ui.aio import run, until
from tests.ui.console import column_texts, console

ASKED = 5


def blotter_row(model, order_id: int) -> dict[str, str]:
    ids = column_texts(model, "id")
    assert str(order_id) in ids
    r = ids.index(str(order_id))
    return {model.columns[c].header: model.index(r, c).data() or "" for c in range(model.columnCount())}


def test_back_after_a_rejection_returns_to_an_editable_ticket(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            w = await open_entry(c, BROKER_ACCOUNT, "Five PCS")
            base = w.plan.base_multiplier or Decimal(1)
            click(w.review.continue_button)
            line = w.ticket.line_widgets[0]
            await until(lambda: line.view.quote.mid is not None)
            prepared = line.view.default_combos
            assert prepared < ASKED
            type_into(line.qty, str(ASKED))
            limit = line.line.limit_price  # the default: the combo's mid, a credit
            assert limit is not None and limit < 0
            click(w.ticket.primary)
            click(w.ticket.confirm_button)
            await until(lambda: line.view.state == OrderState.Rejected)
            await until(lambda: line.rejection.isVisible())
            rejected, rejected_key = line.line.order_id, line.line.idempotency_key
            assert rejected is not None and rejected_key
            reason = c.server.context.broker.order_rejection(rejected).reason  # type: ignore[union-attr]
            assert reason.startswith("quantity too large")

            # the suggestion fits the reason: fewer combos, or a larger Qty multiplier; no split
            multiplier = base * ASKED / prepared
            for text in (unescape(w.banner.text()), line.rejection.text()):
                assert reason in text
                assert f"reduce Combos to {prepared:f}" in text
                assert f"set the Qty multiplier to {multiplier.normalize():f}" in text
                assert "split" not in text.lower()
            await shot(w, "rejected-quantity")

            # the rejected order in the Orders blotter and its CSV: reason, Sell, 5, the credit limit
            model = c.window.models["orders"]
            await until(lambda: str(rejected) in column_texts(model, "id"))
            await until(lambda: blotter_row(model, rejected)["Rejection"] == reason)
            expected = {"State": "Rejected", "Side": "Sell", "Qty": str(ASKED), "Filled": "0",
                        "Limit": f"{-limit:.2f} cr", "Rejection": reason}
            shown = blotter_row(model, rejected)
            assert {k: shown[k] for k in expected} == expected
            path = tmp_path / "orders.csv"
            c.window.views["orders"].export_csv(path)
            with path.open(newline="") as f:
                exported = {row["Order"]: row for row in csv.DictReader(f)}
            assert {k: exported[str(rejected)][k] for k in expected} == expected

            # ◂ Back: nothing is working at the broker, so the ticket goes back to editing
            click(w.ticket.back_button)
            assert w.page() == "review"
            assert f"#{rejected}" in w.banner.text()
            type_into(w.review.multiplier, f"{multiplier:f}")  # the suggestion's second way
            click(w.review.continue_button)
            assert w.page() == "ticket"
            line = w.ticket.line_widgets[0]
            assert line.view.order_id is None and line.badge.text() == "Not sent"
            assert not line.rejection.isVisible() and f"#{rejected} rejected" in line.history.text()
            assert all(x.isEnabled() for x in (line.qty, line.order_type, line.tif, line.limit))
            assert line.view.default_combos == ASKED and line.qty.text() == str(ASKED)
            await shot(w, "after-back")

            # a corrected send: a new order with a new key; the rejected one stays in the blotter
            choose(line.order_type, OrderType.Market)
            click(w.ticket.primary)
            click(w.ticket.confirm_button)
            await until(lambda: line.view.state == OrderState.Filled, 20)
            sent = line.line.order_id
            assert sent != rejected and line.line.idempotency_key not in (None, rejected_key)
            filled = await c.session.control.get_order(order_id=sent)
            assert (filled.side, filled.qty, filled.cum_qty) == ("S", Decimal(-ASKED), Decimal(-ASKED))
            await until(lambda: blotter_row(model, sent)["State"] == "Filled")
            assert blotter_row(model, rejected)["State"] == "Rejected"
            assert c.session.state.orders[rejected].rejection == reason
            await until(lambda: w.completed)

    run(qloop, scenario(), timeout=120)


def test_back_is_refused_with_a_reason_while_an_order_works(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            w = await open_entry(c, BROKER_ACCOUNT, "Resting")
            click(w.review.continue_button)
            line = w.ticket.line_widgets[0]
            await until(lambda: line.view.quote.bid is not None)
            type_into(line.limit, f"{line.view.quote.bid - Decimal('1.50'):.2f}")  # never marketable: rests
            click(w.ticket.primary)
            click(w.ticket.confirm_button)
            await until(lambda: line.view.state == OrderState.Working)
            click(w.ticket.back_button)
            assert w.page() == "ticket"
            assert f"Order #{line.line.order_id} is working: cancel it first" in w.banner.text()
            click(w.ticket.cancel_button)
            await until(lambda: line.view.state == OrderState.Cancelled)
            click(w.ticket.back_button)  # cancelled without a fill: nothing at the broker any more
            assert w.page() == "review"

    run(qloop, scenario(), timeout=120)
