"""Sort/filter proxy of a blotter: numeric sort via ``SORT_ROLE``, a text filter
over all columns, and named row predicates (linked selection, event-type filter).

Pass-through while idle: with no sort column, no filter text and no predicate
the proxy shows the source rows in source order, so re-checking the filter and
the order of every changed row (``dynamicSortFilter``) is pure overhead: each
source ``dataChanged`` would call back into Python per row. The proxy turns
``dynamicSortFilter`` on only while a sort or a filter is active, and off again
when the last one is cleared; ticks then go straight through as ``dataChanged``.
``passthrough_changed`` tells a view it may show the source model itself meanwhile
(see :class:`~mesodesk.ui.docks.table_dock.BlotterView`).

While sorting or filtering, the proxy tells the model (``watch_order``): the model
signals rows updated on screen every frame and rows updated off-screen together a few
times a second, so live re-sorting and re-filtering of rows nobody sees is throttled.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QRegularExpression,
    QSortFilterProxyModel,
    Qt,
    Signal,
)

from mesodesk.ui.models.columns import SORT_ROLE
from mesodesk.ui.models.keyed_table_model import KeyedTableModel

RowPredicate = Callable[[Any], bool]


class BlotterProxy(QSortFilterProxyModel):
    passthrough_changed = Signal(bool)
    """Emitted with the new :attr:`passthrough` whenever it flips (after the proxy re-sorted/re-filtered)."""

    def __init__(self, model: KeyedTableModel, parent: Any = None) -> None:
        super().__init__(parent)
        self._predicates: dict[str, RowPredicate] = {}
        self.setSourceModel(model)
        self.setSortRole(SORT_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)
        self.setDynamicSortFilter(False)
        # Stop watching when destroyed while sorting (a position window closed): the model outlives it.
        self.destroyed.connect(partial(model.watch_order, id(self), False))

    @property
    def blotter(self) -> KeyedTableModel:
        model = self.sourceModel()
        assert isinstance(model, KeyedTableModel)
        return model

    # -- pass-through ---------------------------------------------------------
    @property
    def passthrough(self) -> bool:
        """No sort, no filter text, no predicate: rows are the source rows, in order."""
        return (self.sortColumn() < 0 and self.sortOrder() == Qt.SortOrder.AscendingOrder  # (-1, desc): reversed
                and not self._predicates and not self.filterRegularExpression().pattern())

    def _update_dynamic(self) -> None:
        dynamic = not self.passthrough
        if dynamic != self.dynamicSortFilter():
            self.setDynamicSortFilter(dynamic)
            self.blotter.watch_order(id(self), dynamic)
            self.passthrough_changed.emit(not dynamic)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        super().sort(column, order)
        self._update_dynamic()

    def setFilterFixedString(self, pattern: str) -> None:
        super().setFilterFixedString(pattern)
        self._update_dynamic()

    def setFilterWildcard(self, pattern: str) -> None:
        super().setFilterWildcard(pattern)
        self._update_dynamic()

    def setFilterRegularExpression(self, pattern: QRegularExpression | str) -> None:
        super().setFilterRegularExpression(pattern)
        self._update_dynamic()

    # -- predicates -----------------------------------------------------------------
    def set_predicate(self, name: str, predicate: RowPredicate | None) -> None:
        """Add, replace or (with None) drop a named row filter."""
        if predicate is None and name not in self._predicates:
            return
        self.beginFilterChange()
        if predicate is None:
            del self._predicates[name]
        else:
            self._predicates[name] = predicate
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        self._update_dynamic()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        if self._predicates:
            model = self.blotter
            key = model.key_at(source_row)
            row = model.table.get(key) if key is not None else None
            if row is None or not all(p(row) for p in self._predicates.values()):
                return False
        return super().filterAcceptsRow(source_row, source_parent)

    def key_at(self, proxy_row: int) -> Any:
        source = self.mapToSource(self.index(proxy_row, 0))
        return self.blotter.key_at(source.row()) if source.isValid() else None

    def row_of_key(self, key: Any) -> int | None:
        source_row = self.blotter.row_of(key)
        if source_row is None:
            return None
        index = self.mapFromSource(self.blotter.index(source_row, 0))
        return index.row() if index.isValid() else None
