"""A ``QAbstractTableModel`` over a Qt-free :class:`~mesodesk.core.tables.Table`.

``sync()`` pulls the table's accumulated :class:`ChangeSet` and turns it into the
minimal Qt notifications: ``beginRemoveRows``/``beginInsertRows`` for structure
and one ``dataChanged`` per contiguous range of updated rows. It is called by the
:class:`FrameScheduler` at most once per screen frame, never per tick, and never
resets the model.

Flash: for updated rows ``sync()`` compares the raw values of the columns marked
``flash`` with the values seen at the previous frame and records, per row, the
changed columns, their direction and one deadline. ``data()`` paints those cells
with a tint until the deadline; a single-shot timer then emits one more
``dataChanged`` per row range to clear them. So a flash costs one extra repaint,
whatever the tick rate.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer

from mesodesk.core.tables import Table
from mesodesk.ui.models.columns import KEY_ROLE, SORT_ROLE, Column
from mesodesk.ui.theme import colors

Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 3  # the row object itself


def contiguous_ranges(rows: Sequence[int]) -> list[tuple[int, int]]:
    """[1, 2, 3, 7, 8] -> [(1, 3), (7, 8)] for sorted input."""
    ranges: list[tuple[int, int]] = []
    for row in rows:
        if ranges and row == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], row)
        else:
            ranges.append((row, row))
    return ranges


def _comparable(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


class KeyedTableModel(QAbstractTableModel):
    """Rows are the table's values in insertion order; columns are declared once."""

    def __init__(self, table: Table[Any, Any], columns: Sequence[Column], parent: Any = None) -> None:
        super().__init__(parent)
        self.table = table
        self.columns = list(columns)
        self._keys: list[Hashable] = list(table)
        self._row_of: dict[Hashable, int] = {k: i for i, k in enumerate(self._keys)}
        self.data_changed_emits = 0  # tick-driven dataChanged emits (tests, benchmark)
        self.fade_emits = 0  # dataChanged emits that clear expired flashes
        self.stale = False
        self.flash_enabled = True
        self.flash_ms = 500
        self._flash_cols = [i for i, c in enumerate(self.columns) if c.flash]
        self._last_values: dict[Hashable, tuple[Any, ...]] = {}
        self._flashes: dict[Hashable, tuple[float, dict[int, int]]] = {}  # key -> (deadline, {col: +1/-1})
        self._fade_timer = QTimer(self)
        self._fade_timer.setSingleShot(True)
        self._fade_timer.timeout.connect(self._fade)
        table.flush()
        for key in self._keys:
            self._remember(key)

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
        key = self._keys[row]
        value_row = self.table.get(key)
        if value_row is None:
            return None
        column = self.columns[col]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.fmt(column.value(value_row))
        if role == SORT_ROLE:
            return column.sort_key(value_row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(column.alignment)
        if role == Qt.ItemDataRole.ForegroundRole:
            if self.stale:
                return colors().stale
            if column.signed_color:
                value = column.value(value_row)
                if value is None or value == 0:
                    return None
                return colors().positive if value > 0 else colors().negative
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            if self._flashes:
                flash = self._flashes.get(key)
                if flash is not None and col in flash[1] and time.monotonic() < flash[0]:
                    return colors().flash_up if flash[1][col] > 0 else colors().flash_down
            return None
        if role == KEY_ROLE:
            return key
        if role == ROW_ROLE:
            return value_row
        return None

    # -- helpers --------------------------------------------------------
    def key_at(self, row: int) -> Hashable | None:
        return self._keys[row] if 0 <= row < len(self._keys) else None

    def row_of(self, key: Hashable) -> int | None:
        return self._row_of.get(key)

    def column_index(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    def set_stale(self, stale: bool) -> None:
        """Grey the whole table out (its hub is disconnected) or back; one repaint."""
        if stale == self.stale:
            return
        self.stale = stale
        if self._keys:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._keys) - 1, len(self.columns) - 1),
                                  [Qt.ItemDataRole.ForegroundRole])

    def set_flash(self, enabled: bool, duration_ms: int | None = None) -> None:
        self.flash_enabled = enabled
        if duration_ms is not None:
            self.flash_ms = duration_ms
        if not enabled and self._flashes:
            self._flashes.clear()
            self._emit_ranges(self._row_of.keys(), fade=True)

    def is_flashing(self, key: Hashable, column_key: str) -> bool:
        flash = self._flashes.get(key)
        return flash is not None and self.column_index(column_key) in flash[1] and time.monotonic() < flash[0]

    # -- change application ------------------------------------------------
    def _values(self, key: Hashable) -> tuple[Any, ...]:
        row = self.table.get(key)
        return tuple(_comparable(self.columns[i].value(row)) for i in self._flash_cols)

    def _remember(self, key: Hashable) -> None:
        if self._flash_cols and key in self.table:
            self._last_values[key] = self._values(key)

    def _track_flashes(self, keys: set[Hashable]) -> None:
        deadline = time.monotonic() + self.flash_ms / 1000.0
        for key in keys:
            before = self._last_values.get(key)
            now = self._values(key)
            self._last_values[key] = now
            if before is None:
                continue
            changed: dict[int, int] = {}
            for i, (old, new) in enumerate(zip(before, now, strict=True)):
                if old != new:
                    up = isinstance(old, float) and isinstance(new, float) and new > old
                    changed[self._flash_cols[i]] = 1 if up or not isinstance(new, float) else -1
            if changed:
                self._flashes[key] = (deadline, changed)
        if self._flashes and not self._fade_timer.isActive():
            self._fade_timer.start(self.flash_ms + 5)

    def _fade(self) -> None:
        now = time.monotonic()
        expired = [k for k, (deadline, _) in self._flashes.items() if deadline <= now]
        for key in expired:
            del self._flashes[key]
        self._emit_ranges(expired, fade=True)
        if self._flashes:
            next_deadline = min(deadline for deadline, _ in self._flashes.values())
            self._fade_timer.start(max(1, int((next_deadline - now) * 1000) + 5))

    def _emit_ranges(self, keys: Any, *, fade: bool) -> None:
        rows = sorted(self._row_of[k] for k in keys if k in self._row_of)
        last_col = len(self.columns) - 1
        for first, last in contiguous_ranges(rows):
            if fade:
                self.fade_emits += 1
            else:
                self.data_changed_emits += 1
            self.dataChanged.emit(self.index(first, 0), self.index(last, last_col))

    def sync(self) -> None:
        """Apply the table's pending changes as minimal Qt notifications."""
        changes = self.table.flush()
        if not changes:
            return
        if changes.removed:
            rows = sorted(self._row_of[k] for k in changes.removed if k in self._row_of)
            for first, last in reversed(contiguous_ranges(rows)):
                self.beginRemoveRows(QModelIndex(), first, last)
                del self._keys[first : last + 1]
                self.endRemoveRows()
            self._row_of = {k: i for i, k in enumerate(self._keys)}
            for key in changes.removed:
                self._last_values.pop(key, None)
                self._flashes.pop(key, None)
        added = [k for k in changes.added if k not in self._row_of and k in self.table]
        if added:
            first = len(self._keys)
            self.beginInsertRows(QModelIndex(), first, first + len(added) - 1)
            for key in added:
                self._row_of[key] = len(self._keys)
                self._keys.append(key)
            self.endInsertRows()
            for key in added:
                self._remember(key)
        updated = {k for k in changes.updated if k in self._row_of}
        if self._flash_cols:
            if self.flash_enabled:
                self._track_flashes(updated)
            else:
                for key in updated:
                    self._remember(key)
        self._emit_ranges(updated, fade=False)
