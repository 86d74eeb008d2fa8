"""The Orders blotter and its CSV never show a signed zero: orders (signed Qty, CumQty that may be a
negative zero) go through the store as a reply and an ``OnOrderUpdate`` would put them, then the
blotter model and the CSV export are read cell by cell."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView

from mesodesk.contract import OrderRejectionInfo, OrderState
from mesodesk.core import store
from mesodesk.core.state import AppState
from mesodesk.ui.blotters import ORDER_COLUMNS
from mesodesk.ui.models.keyed_table_model import KeyedTableModel
from mesodesk.ui.table_export import table_rows, to_csv
from tests.core.factories import T0, order, order_update

SIGNED_ZERO = re.compile(r"(^|\s)[-+−]\$?[0.,]+(\s|$)")

prices = st.one_of(st.none(), st.sampled_from([Decimal("-0"), Decimal("-0.001"), Decimal("0.004"), Decimal("-0.00")]),
                   st.decimals(min_value=-50, max_value=50, places=2))
orders = st.lists(st.tuples(
    st.integers(min_value=1, max_value=40),  # combos
    st.booleans(),  # a credit (Side S, negative Qty)
    st.sampled_from([Decimal("-0"), Decimal(0), Decimal("0.000")]),  # CumQty as a server may write a zero
    st.one_of(st.just(0), st.integers(min_value=1, max_value=40)),  # filled combos in the update event
    prices, prices,
    st.sampled_from([OrderState.Working, OrderState.Rejected, OrderState.Expired, OrderState.PartiallyFilled]),
), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(orders)
@example([(5, True, Decimal(0), 0, Decimal("-1.25"), None, OrderState.Rejected)])  # the order
def test_no_signed_zero_in_the_orders_blotter_or_its_csv(qtbot, rows) -> None:
    state = AppState()
    expected_filled: dict[int, str] = {}
    for order_id, (combos, credit, cum_zero, filled, limit, avg, final) in enumerate(rows, start=1):
        filled = min(filled, combos)
        qty = Decimal(-combos if credit else combos)
        sent = order(order_id).model_copy(update={
            "side": "S" if credit else "B", "qty": qty, "cum_qty": cum_zero, "limit_price": limit,
            "avg_fill_price": avg})
        store.apply_order(state, sent)
        rejection = OrderRejectionInfo(code="QtyTooLarge", reason="quantity too large") \
            if final == OrderState.Rejected else None
        store.apply_event(state, order_update(order_id, seq=order_id, state=final, at=T0 + timedelta(minutes=1),
                                              filled_qty=Decimal(filled), remaining_qty=Decimal(combos - filled),
                                              avg_fill_price=avg, rejection=rejection))
        row = state.orders[order_id]
        assert row.order is not None
        cum = row.order.cum_qty
        assert cum == (-filled if credit else filled) and not (cum == 0 and cum.is_signed()), cum
        expected_filled[order_id] = str(filled)
    model = KeyedTableModel(state.orders, ORDER_COLUMNS)
    header = QHeaderView(Qt.Orientation.Horizontal)
    header.setModel(model)
    exported = table_rows(model, header, range(model.rowCount()))
    text = to_csv(exported)
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert not [c for c in cells if SIGNED_ZERO.search(c)], text
    names = exported[0]
    for values in exported[1:]:
        shown = dict(zip(names, values, strict=True))
        assert shown["Filled"] == expected_filled[int(shown["Order"])]
        assert not shown["Qty"].startswith(("-", "−", "+"))
    header.deleteLater()
