"""Sort/filter proxy of a blotter: numeric sort via ``SORT_ROLE``, a text filter
over all columns, and named row predicates (linked selection, event-type filter)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from mesodesk.ui.models.columns import SORT_ROLE
from mesodesk.ui.models.keyed_table_model import KeyedTableModel

RowPredicate = Callable[[Any], bool]


class BlotterProxy(QSortFilterProxyModel):
    def __init__(self, model: KeyedTableModel, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSourceModel(model)
        self.setSortRole(SORT_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)
        self.setDynamicSortFilter(True)
        self._predicates: dict[str, RowPredicate] = {}

    @property
    def blotter(self) -> KeyedTableModel:
        model = self.sourceModel()
        assert isinstance(model, KeyedTableModel)
        return model

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

    def has_predicate(self, name: str) -> bool:
        return name in self._predicates

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
