"""BlotterView/BlotterProxy pass-through: the table shows the model itself until a sort,
filter text or predicate is active, then the proxy; rows, selection and signals stay right."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QModelRoleData, QModelRoleDataSpan, QPoint, Qt
from PySide6.QtTest import QTest

from mesodesk.core.tables import Table
from mesodesk.ui.docks.table_dock import BlotterView
from mesodesk.ui.models.columns import KEY_ROLE, SORT_ROLE, Column, number, pnl
from mesodesk.ui.models.keyed_table_model import ROW_ROLE, KeyedTableModel
from tests.ui.aio import run, until


@dataclass
class Quote:
    id: int
    price: float
    name: str = ""
    pnl: float = 0.0


COLUMNS = [Column("id", "Id", lambda q: q.id, numeric=True), Column("name", "Name", lambda q: q.name),
           number("price", "Price", lambda q: q.price), pnl("pnl", "PnL", lambda q: q.pnl)]


def _view(qtbot, n: int = 10) -> tuple[Table[int, Quote], KeyedTableModel, BlotterView]:
    table: Table[int, Quote] = Table("quotes")
    for i in range(n):
        table.upsert(i, Quote(i, 100.0 + (i * 7) % n, f"q{i}"))
    model = KeyedTableModel(table, COLUMNS)
    view = BlotterView(model, "quotes")
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    return table, model, view


def _shown_keys(view: BlotterView) -> list[object]:
    shown = view.table.model()
    return [shown.index(r, 0).data(KEY_ROLE) for r in range(shown.rowCount())]


def test_passthrough_until_sorted_or_filtered_keeping_selection(qtbot, qtmodeltester) -> None:
    table, model, view = _view(qtbot)
    current: list[object] = []
    view.sig_current_changed.connect(current.append)
    selection_model = view.table.selectionModel()
    outside: list[int] = []  # someone else's connection to the selection model must survive the swaps
    selection_model.selectionChanged.connect(lambda *_: outside.append(len(selection_model.selectedRows())))
    assert view.table.model() is model and view.proxy.passthrough and not view.proxy.dynamicSortFilter()
    assert view.select_key(4) and view.current_key() == 4 and current == [4]
    price = model.column_index("price")
    header = view.table.horizontalHeader()
    header.setSectionHidden(model.column_index("name"), True)
    view.table.setColumnWidth(price, 111)

    view.table.sortByColumn(price, Qt.SortOrder.DescendingOrder)
    assert view.table.model() is view.proxy and view.proxy.dynamicSortFilter()
    prices = [table[k].price for k in _shown_keys(view)]
    assert prices == sorted(prices, reverse=True)
    assert view.current_key() == 4 and view.selected_rows() == [view.proxy.row_of_key(4)]
    assert current == [4]  # the key did not change: no signal for the swap
    assert header.isSectionHidden(model.column_index("name")) and view.table.columnWidth(price) == 111
    qtmodeltester.check(view.proxy)

    view.filter.setText("q1")  # still sorted and now filtered: the proxy stays
    assert view.table.model() is view.proxy and sorted(_shown_keys(view)) == [1]
    assert current[-1] is None and view.current_key() is None  # the current row was filtered out
    view.filter.setText("")
    view.select_key(7)
    view.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
    assert view.table.model() is model and not view.proxy.dynamicSortFilter()
    assert _shown_keys(view) == list(range(10)) and view.current_key() == 7 and view.selected_rows() == [7]
    assert view.table.selectionModel() is selection_model and selection_model.model() is model
    outside.clear()
    view.table.clearSelection()
    assert outside and outside[-1] == 0 and current[-1] is None
    assert header.isSectionHidden(model.column_index("name")) and view.table.columnWidth(price) == 111
    assert view.proxy.key_at(7) == 7 and view.proxy.rowCount() == model.rowCount()
    qtmodeltester.check(view.proxy)


def test_header_click_sorts_from_passthrough(qtbot) -> None:
    table, model, view = _view(qtbot)
    header = view.table.horizontalHeader()
    price = model.column_index("price")
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(header.sectionViewportPosition(price) + 5, header.height() // 2))
    assert view.table.model() is view.proxy and view.proxy.sortColumn() == price
    prices = [table[k].price for k in _shown_keys(view)]
    assert prices == sorted(prices) or prices == sorted(prices, reverse=True)
    assert header.sortIndicatorSection() == price


def test_predicates_switch_the_view_and_ticks_resort_only_while_sorted(qtbot) -> None:
    table, model, view = _view(qtbot)
    view.set_link("even", lambda q: q.id % 2 == 0)
    assert view.table.model() is view.proxy and _shown_keys(view) == [0, 2, 4, 6, 8]
    assert "5 / 10" in view.count_label.text()
    table.upsert(3, Quote(2, 0.0, "q3"))  # a tick can move a row into the filter (dynamic filter on)
    model.sync()  # row 3 is not shown (filtered out): the proxy re-filters it at the throttled pace
    qtbot.waitUntil(lambda: 3 in _shown_keys(view), timeout=3_000)
    view.set_link(None)
    assert view.table.model() is model and view.proxy.passthrough

    view.table.sortByColumn(model.column_index("price"), Qt.SortOrder.AscendingOrder)
    table.upsert(9, Quote(9, -1.0, "q9"))
    model.sync()
    assert _shown_keys(view)[0] == 9  # re-sorted on a tick
    view.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
    table.upsert(5, Quote(5, 555.0, "q5"))
    model.sync()
    assert _shown_keys(view) == list(range(10))
    assert view.table.model().index(5, model.column_index("price")).data() == "555.00"


def test_descending_source_order_is_not_passthrough(qtbot) -> None:
    _table, _model, view = _view(qtbot, 4)
    view.proxy.sort(-1, Qt.SortOrder.DescendingOrder)  # "source order, reversed"
    assert not view.proxy.passthrough and view.table.model() is view.proxy
    assert _shown_keys(view) == [3, 2, 1, 0]


def test_multidata_answers_like_data(qtbot) -> None:
    table, model, _ = _view(qtbot, 4)
    model.set_flash(True, 10_000)
    table.upsert(1, Quote(1, 1.0, "q1", pnl=-3.0))
    model.sync()
    roles = [Qt.ItemDataRole.FontRole, Qt.ItemDataRole.TextAlignmentRole, Qt.ItemDataRole.ForegroundRole,
             Qt.ItemDataRole.CheckStateRole, Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.DisplayRole,
             Qt.ItemDataRole.BackgroundRole, SORT_ROLE, KEY_ROLE]
    for stale in (False, True):
        model.set_stale(stale)
        for row in range(model.rowCount()):
            for col in range(model.columnCount()):
                index = model.index(row, col)
                for role in roles:
                    role_data = QModelRoleData(int(role))
                    model.multiData(index, QModelRoleDataSpan(role_data))
                    assert role_data.data() == model.data(index, int(role)), (row, col, role)
    assert model.data(model.index(1, 0), ROW_ROLE) is table[1]
    assert model.data(QModelIndex(), Qt.ItemDataRole.DisplayRole) is None


def test_fade_repaints_only_cells_whose_tint_was_served(qloop, qtbot) -> None:
    table: Table[int, Quote] = Table("quotes")
    for i in range(6):
        table.upsert(i, Quote(i, 100.0, f"q{i}", pnl=1.0))
    model = KeyedTableModel(table, COLUMNS)
    model.set_flash(True, 100)
    price, pnl_col = model.column_index("price"), model.column_index("pnl")
    faded: list[tuple[int, int, int, int]] = []

    async def scenario() -> None:
        for key in (1, 2, 4):
            table.upsert(key, Quote(key, 101.0, f"q{key}", pnl=1.0))  # price rises, pnl unchanged
        model.sync()
        assert model.is_flashing(1, "price") and not model.is_flashing(1, "pnl")
        model.dataChanged.connect(lambda a, b, *_: faded.append((a.row(), a.column(), b.row(), b.column())))
        assert model.index(2, price).data(Qt.ItemDataRole.BackgroundRole) is not None  # painted: row 2 only
        assert model.index(2, pnl_col).data(Qt.ItemDataRole.BackgroundRole) is None
        await until(lambda: not model.is_flashing(4, "price"), timeout=3)
        await asyncio.sleep(0.05)
        assert faded == [(2, price, 2, price)] and model.fade_emits == 1
        assert model.index(2, price).data(Qt.ItemDataRole.BackgroundRole) is None

    run(qloop, scenario())


def test_removed_and_readded_key_in_one_frame_repaints(qtbot) -> None:
    table: Table[int, Quote] = Table("quotes")
    for i in range(3):
        table.upsert(i, Quote(i, 1.0))
    model = KeyedTableModel(table, COLUMNS)
    changed: list[int] = []
    model.dataChanged.connect(lambda a, *_: changed.append(a.row()))
    table.remove(1)
    table.upsert(1, Quote(1, 9.0))
    model.sync()
    assert changed == [1] and model.index(1, 2).data() == "9.00"
