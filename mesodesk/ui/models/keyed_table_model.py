"""A ``QAbstractTableModel`` over a Qt-free :class:`~mesodesk.core.tables.Table`.

``sync()`` pulls the table's accumulated :class:`ChangeSet` and turns it into the
minimal Qt notifications: ``beginRemoveRows``/``beginInsertRows`` for structure
and one ``dataChanged`` per contiguous range of updated rows. It is called by the
:class:`FrameScheduler` at most once per screen frame, never per tick.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from mesodesk.core.tables import Table
from mesodesk.ui.models.columns import KEY_ROLE, SORT_ROLE, Column

Index = QModelIndex | QPersistentModelIndex

POSITIVE = QColor("#2e9d5b")
NEGATIVE = QColor("#d64545")


def contiguous_ranges(rows: Sequence[int]) -> list[tuple[int, int]]:
    """[1, 2, 3, 7, 8] -> [(1, 3), (7, 8)] for sorted input."""
    ranges: list[tuple[int, int]] = []
    for row in rows:
        if ranges and row == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], row)
        else:
            ranges.append((row, row))
    return ranges


class KeyedTableModel(QAbstractTableModel):
    """Rows are the table's values in insertion order; columns are declared once."""

    def __init__(self, table: Table[Any, Any], columns: Sequence[Column], parent: Any = None) -> None:
        super().__init__(parent)
        self.table = table
        self.columns = list(columns)
        self._keys: list[Hashable] = list(table)
        self._row_of: dict[Hashable, int] = {k: i for i, k in enumerate(self._keys)}
        self.data_changed_emits = 0  # for tests and the benchmark
        table.flush()

    # -- Qt model API -------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._keys)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.header
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip or column.header
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(column.alignment)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if not (0 <= row < len(self._keys) and 0 <= col < len(self.columns)):
            return None
        column = self.columns[col]
        key = self._keys[row]
        value_row = self.table.get(key)
        if value_row is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return column.fmt(column.value(value_row))
        if role == SORT_ROLE:
            return column.sort_key(value_row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(column.alignment)
        if role == Qt.ItemDataRole.ForegroundRole and column.signed_color:
            value = column.value(value_row)
            if value is None or value == 0:
                return None
            return POSITIVE if value > 0 else NEGATIVE
        if role == KEY_ROLE:
            return key
        return None

    # -- helpers --------------------------------------------------------
    def key_at(self, row: int) -> Hashable | None:
        return self._keys[row] if 0 <= row < len(self._keys) else None

    def row_of(self, key: Hashable) -> int | None:
        return self._row_of.get(key)

    def column_index(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    def sync(self) -> None:
        """Apply the table's pending changes as minimal Qt notifications."""
        changes = self.table.flush()
        if not changes:
            return
        if changes.removed:
            rows = sorted((self._row_of[k] for k in changes.removed if k in self._row_of), reverse=True)
            for first, last in reversed(contiguous_ranges(sorted(rows))):
                self.beginRemoveRows(QModelIndex(), first, last)
                del self._keys[first : last + 1]
                self.endRemoveRows()
            self._row_of = {k: i for i, k in enumerate(self._keys)}
        added = [k for k in changes.added if k not in self._row_of and k in self.table]
        if added:
            first = len(self._keys)
            self.beginInsertRows(QModelIndex(), first, first + len(added) - 1)
            for key in added:
                self._row_of[key] = len(self._keys)
                self._keys.append(key)
            self.endInsertRows()
        updated = sorted(self._row_of[k] for k in changes.updated if k in self._row_of)
        last_col = len(self.columns) - 1
        for first, last in contiguous_ranges(updated):
            self.data_changed_emits += 1
            self.dataChanged.emit(self.index(first, 0), self.index(last, last_col))
