"""The blotter paints plain cells itself: pixel for pixel what the style paints, in both
themes, after a live theme switch, flashing, signed, stale, sorted and selected; and a
ticking row repaints only the cells whose text changed."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QImage, QRegion
from PySide6.QtWidgets import QApplication, QStyledItemDelegate

from mesodesk.core.tables import Table
from mesodesk.ui.docks.fast_cell_delegate import FastCellDelegate
from mesodesk.ui.docks.table_dock import BlotterView
from mesodesk.ui.models.columns import Column, number, pnl
from mesodesk.ui.models.keyed_table_model import KeyedTableModel
from mesodesk.ui.theme import apply_theme


@dataclass
class Quote:
    id: int
    name: str
    price: float
    pnl: float


COLUMNS = [Column("id", "Id", lambda q: q.id, numeric=True), Column("name", "Name", lambda q: q.name),
           number("price", "Price", lambda q: q.price), pnl("pnl", "PnL", lambda q: q.pnl)]


def _table() -> Table[int, Quote]:
    table: Table[int, Quote] = Table("quotes")
    for i in range(40):
        table.upsert(i, Quote(i, f"name {i} é", 1234.5 * i - 3000, (i % 7 - 3) * 101.25))
    return table


def _settle() -> None:
    for _ in range(5):
        QApplication.processEvents()


def _view(qtbot, model: KeyedTableModel, fast: bool) -> BlotterView:
    view = BlotterView(model, "quotes")
    qtbot.addWidget(view)
    if not fast:
        view.table.setItemDelegate(QStyledItemDelegate(view.table))
    view.resize(700, 500)
    view.show()
    qtbot.waitExposed(view)
    _settle()
    return view


def _tick(table: Table[int, Quote], model: KeyedTableModel) -> None:
    for key, move in ((2, 5.0), (3, -5.0), (5, 7.25)):
        table.upsert(key, Quote(key, f"name {key} é", table[key].price + move, table[key].pnl))
    model.sync()
    _settle()


def _shot(view: BlotterView) -> QImage:
    return view.table.viewport().grab().toImage()


def _pair(qtbot) -> tuple[list[tuple[Table[int, Quote], KeyedTableModel, BlotterView]], FastCellDelegate]:
    pairs = []
    for fast in (False, True):
        table = _table()
        model = KeyedTableModel(table, COLUMNS)
        model.set_flash(True, 600_000)
        pairs.append((table, model, _view(qtbot, model, fast)))
    delegate = pairs[1][2].table.itemDelegate()
    assert isinstance(delegate, FastCellDelegate)
    return pairs, delegate


def _same(pairs) -> None:
    style, fast = (_shot(view) for _table, _model, view in pairs)
    assert style.size() == fast.size()
    assert style == fast


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_plain_cells_paint_exactly_as_the_style_does(qtbot, theme: str) -> None:
    app = QApplication.instance()
    apply_theme(app, theme)
    try:
        pairs, delegate = _pair(qtbot)
        _same(pairs)
        painted = delegate.fast_cells
        assert painted > 40  # the plain cells were painted by the delegate, not the style
        for table, model, _ in pairs:  # flashes up and down, signed P&L colours
            _tick(table, model)
        assert pairs[1][1].is_flashing(3, "price")
        _same(pairs)
        apply_theme(app, "light" if theme == "dark" else "dark")  # a live switch: new colours, same pixels
        _settle()
        _same(pairs)
        for _, model, view in pairs:  # sorted (through the proxy), one row selected, greyed as stale
            view.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
            view.table.selectRow(4)
            model.set_stale(True)
        _settle()
        _same(pairs)
        for *_, view in pairs:  # a column too narrow for its texts: the style elides
            view.table.setColumnWidth(2, 30)
        _settle()
        _same(pairs)
        assert delegate.fast_cells > painted
    finally:
        apply_theme(app, "dark")


class PaintedRegions(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.regions: list[QRegion] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.regions.append(QRegion(event.region()))
        return False


def test_a_tick_repaints_only_the_cells_whose_text_changed(qtbot) -> None:
    table = _table()
    model = KeyedTableModel(table, COLUMNS)
    model.set_flash(True, 100)
    view = _view(qtbot, model, fast=True)
    painted = PaintedRegions()
    view.table.viewport().installEventFilter(painted)
    table_view = view.table

    def cell(row: int, col: int) -> QRect:
        return QRect(table_view.columnViewportPosition(col), table_view.rowViewportPosition(row),
                     table_view.columnWidth(col), table_view.rowHeight(row))

    table.upsert(5, Quote(5, "name 5 é", table[5].price + 1.0, table[5].pnl))  # only the price text changes
    table.upsert(7, Quote(7, "name 7 é", table[7].price, table[7].pnl + 1.0))  # only the P&L text changes
    table.upsert(9, Quote(9, "name 9 é", table[9].price, table[9].pnl))  # nothing changes
    model.sync()
    _settle()
    assert QRegion(cell(5, 2)) + QRegion(cell(7, 3)) == sum(painted.regions, QRegion())  # those two cells only
    painted.regions.clear()
    qtbot.waitUntil(lambda: not model.is_flashing(5, "price"), timeout=3_000)
    qtbot.waitUntil(lambda: bool(painted.regions), timeout=3_000)
    _settle()
    assert sum(painted.regions, QRegion()) == QRegion(cell(5, 2)) + QRegion(cell(7, 3))  # the fade: the same cells
