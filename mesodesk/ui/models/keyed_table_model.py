"""A ``QAbstractTableModel`` over a Qt-free :class:`~mesodesk.core.tables.Table`.

``sync()`` pulls the table's accumulated :class:`ChangeSet` and turns it into the
minimal Qt notifications: ``beginRemoveRows``/``beginInsertRows`` for structure
and one ``dataChanged`` per contiguous range of updated rows. It is called by the
:class:`FrameScheduler` at most once per screen frame, never per tick, and never
resets the model.

Flash: for updated rows ``sync()`` compares the raw values of the columns marked
``flash`` with the values seen at the previous frame and, when they differ, keeps
both value lists and one deadline per row; which cells changed, and in which
direction, is worked out only for the cells that get painted. ``data()`` paints those cells
with a tint until the deadline; a single-shot timer then emits one more
``dataChanged`` per run of tinted cells to clear them, for the rows whose tint
``data()`` actually served (a row that was never painted while flashing needs no repaint).
So a flash costs at most one extra repaint, whatever the tick rate.

Hot paths: ``dataChanged`` indexes are built once per row with ``createIndex``
(``index()`` would call back into Python ``rowCount``/``columnCount`` through
``hasIndex``); ``multiData`` answers all the roles a delegate paints a cell with
in one call (a view showing this model directly, see ``BlotterView``); ``data()``
returns early for the roles it does not serve; per-column constants (getters,
formatters, alignments) are read from lists built once.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    Qt,
    QTimer,
)

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


def _cell_change(old: Any, new: Any) -> int:
    """0 if a flash cell's value did not change, else +1 (a rise, or a non-numeric change) or -1 (a fall)."""
    if old == new:
        return 0
    if type(old) is float and type(new) is float:
        return 1 if new > old else -1
    old, new = _comparable(old), _comparable(new)
    if old == new:
        return 0
    up = isinstance(old, float) and isinstance(new, float) and new > old
    return 1 if up or not isinstance(new, float) else -1


_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
#: roles ``data()`` answers; painting asks for several more (font, decoration, check state) per cell
_SERVED_ROLES = frozenset({_DISPLAY, SORT_ROLE, _ALIGN, _FOREGROUND, _BACKGROUND, KEY_ROLE, ROW_ROLE})
_NO_ROLES: frozenset[int] = frozenset()


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
        # Per-column constants read on every data() call: no property or enum lookups while painting.
        self._getters = [c.value for c in self.columns]
        self._formats = [c.fmt for c in self.columns]
        self._alignments = [int(c.alignment) for c in self.columns]
        self._signed = [c.signed_color for c in self.columns]
        self._flash_cols = [i for i, c in enumerate(self.columns) if c.flash]
        self._flash_getters = [self.columns[i].value for i in self._flash_cols]
        self._flash_slot: list[int | None] = [None] * len(self.columns)  # column -> position in the value lists
        for slot, col in enumerate(self._flash_cols):
            self._flash_slot[col] = slot
        self._last_values: dict[Hashable, list[Any]] = {}
        # key -> (deadline, flash values before, flash values after) of the row's latest change
        self._flashes: dict[Hashable, tuple[float, list[Any], list[Any]]] = {}
        # Keys whose tint data() has served since their flash began: only those need a fade repaint.
        self._shown: set[Hashable] = set()
        self._first_cells: list[QModelIndex] = []
        self._last_cells: list[QModelIndex] = []
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

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        # Painting asks ~7 roles per visible cell: unserved roles return before touching the index.
        if role not in _SERVED_ROLES:
            return None
        row, col = index.row(), index.column()  # (-1, -1) for an invalid index
        keys = self._keys
        if not (0 <= row < len(keys) and 0 <= col < len(self._getters)):
            return None
        return self._role_value(role, keys[row], col)

    def multiData(self, index: Index, roleDataSpan: QModelRoleDataSpan) -> None:
        """All the roles a delegate paints a cell with, in one Python call instead of one per role.

        Views call this directly on the model they show (proxies ask ``data()`` role by role).
        Same answers as ``data()``; the common painting roles are inlined."""
        row, col = index.row(), index.column()
        keys = self._keys
        valid = 0 <= row < len(keys) and 0 <= col < len(self._getters)
        key = keys[row] if valid else None
        value_row = self.table.get(key) if valid else None
        served = _SERVED_ROLES if valid else _NO_ROLES
        for i in range(len(roleDataSpan)):  # indexing, not iteration: the span's iterator ends by raising
            role_data = roleDataSpan[i]
            role = role_data.role()
            if role not in served:
                role_data.clearData()
                continue
            if role == _DISPLAY:
                result = None if value_row is None else self._formats[col](self._getters[col](value_row))
            elif role == _ALIGN:
                result = self._alignments[col]
            elif role == _BACKGROUND and not self._flashes:
                result = None
            elif role == _FOREGROUND and not (self.stale or self._signed[col]):
                result = None
            else:
                result = self._role_value(role, key, col)
            if result is None:
                role_data.clearData()
            else:
                role_data.setData(result)

    def _role_value(self, role: int, key: Hashable, col: int) -> Any:
        if role == _DISPLAY:
            value_row = self.table.get(key)
            return None if value_row is None else self._formats[col](self._getters[col](value_row))
        if role == _ALIGN:
            return self._alignments[col]
        if role == _BACKGROUND:
            if self._flashes:
                direction = self._flash_direction(key, col)
                if direction:
                    self._shown.add(key)
                    return colors().flash_up if direction > 0 else colors().flash_down
            return None
        if role == _FOREGROUND:
            if self.stale:
                return colors().stale
            if self._signed[col]:
                value_row = self.table.get(key)
                value = None if value_row is None else self._getters[col](value_row)
                if value is None or value == 0:
                    return None
                return colors().positive if value > 0 else colors().negative
            return None
        value_row = self.table.get(key)
        if value_row is None:
            return None
        if role == SORT_ROLE:
            return self.columns[col].sort_key(value_row)
        if role == KEY_ROLE:
            return key
        if role == ROW_ROLE:
            return value_row
        return None

    # -- helpers --------------------------------------------------------
    def key_data(self, key: Hashable, col: int, role: int = _DISPLAY) -> Any:
        """``data()`` of the row holding ``key`` (for views that show rows by key, e.g. grouped)."""
        if role not in _SERVED_ROLES or not 0 <= col < len(self._getters) or key not in self._row_of:
            return None
        return self._role_value(role, key, col)

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
            self.dataChanged.emit(self.createIndex(0, 0), self.createIndex(len(self._keys) - 1, len(self.columns) - 1),
                                  [Qt.ItemDataRole.ForegroundRole])

    def set_flash(self, enabled: bool, duration_ms: int | None = None) -> None:
        self.flash_enabled = enabled
        if duration_ms is not None and duration_ms != self.flash_ms:
            self.flash_ms = duration_ms
            self._flashes = dict(sorted(self._flashes.items(), key=lambda item: item[1][0]))
        if not enabled and self._flashes:
            self._flashes.clear()
            shown, self._shown = self._shown, set()
            self._emit_ranges(shown, fade=True)

    def is_flashing(self, key: Hashable, column_key: str) -> bool:
        return bool(self._flash_direction(key, self.column_index(column_key)))

    def _flash_direction(self, key: Hashable, col: int) -> int:
        """+1 / -1 while the cell flashes a rise / a fall (or a non-numeric change), else 0.

        Worked out when a cell is painted, not per tick: ``sync()`` only keeps the row's values
        before and after its latest change."""
        flash = self._flashes.get(key)
        if flash is None:
            return 0
        slot = self._flash_slot[col]
        if slot is None:
            return 0
        if time.monotonic() >= flash[0]:
            return 0
        return _cell_change(flash[1][slot], flash[2][slot])

    # -- change application ------------------------------------------------
    def _values(self, row: Any) -> list[Any]:
        return [get(row) for get in self._flash_getters]

    def _remember(self, key: Hashable) -> None:
        if self._flash_cols:
            row = self.table.get(key)
            if row is not None:
                self._last_values[key] = self._values(row)

    def _track_flashes(self, keys: set[Hashable]) -> None:
        deadline = time.monotonic() + self.flash_ms / 1000.0
        last_values, flashes, rows, getters = self._last_values, self._flashes, self.table.get, self._flash_getters
        for key in keys:
            row = rows(key)
            if row is None:
                continue
            now = [get(row) for get in getters]
            before = last_values.get(key)
            last_values[key] = now
            if before is not None and before != now:  # one C-level compare; which cells moved is left to painting
                flashes.pop(key, None)  # re-insert: the dict stays in deadline order, so _fade stops early
                flashes[key] = (deadline, before, now)
        if flashes and not self._fade_timer.isActive():
            self._fade_timer.start(self.flash_ms + 5)

    def _fade(self) -> None:
        now = time.monotonic()
        expired = []
        for key, flash in self._flashes.items():  # deadline order: stop at the first live flash
            if flash[0] > now:
                break
            expired.append((key, flash))
        shown = self._shown
        for key, flash in expired:
            del self._flashes[key]
            if key in shown:
                shown.discard(key)
                self._repaint_flashed_cells(key, flash[1], flash[2])
        if self._flashes:
            next_deadline = next(iter(self._flashes.values()))[0]
            self._fade_timer.start(max(1, int((next_deadline - now) * 1000) + 5))

    def _repaint_flashed_cells(self, key: Hashable, before: list[Any], after: list[Any]) -> None:
        """One ``dataChanged`` per run of adjacent tinted cells of the row: only they lose their tint."""
        row = self._row_of.get(key)
        if row is None:
            return
        cols = [col for col, old, new in zip(self._flash_cols, before, after, strict=True) if _cell_change(old, new)]
        for first, last in contiguous_ranges(cols):
            self.fade_emits += 1
            self.dataChanged.emit(self.createIndex(row, first), self.createIndex(row, last))

    def _emit_ranges(self, keys: Any, *, fade: bool) -> None:
        row_of = self._row_of.get
        rows = sorted(r for r in map(row_of, keys) if r is not None)
        if not rows:
            return
        ranges = contiguous_ranges(rows)
        if fade:
            self.fade_emits += len(ranges)
        else:
            self.data_changed_emits += len(ranges)
        emit, first_cells, last_cells = self.dataChanged.emit, self._first_cells, self._last_cells
        if len(first_cells) < len(self._keys):
            self._grow_cell_cache()
        for first, last in ranges:
            emit(first_cells[first], last_cells[last])

    def _grow_cell_cache(self) -> None:
        # Indexes of each row's first and last cell, built once (``createIndex`` costs ~1 µs from Python;
        # ``index()`` costs more: ``hasIndex`` calls back into rowCount/columnCount). A QModelIndex is
        # only (row, column, model), so the cached ones stay right whichever key the row holds.
        last_col = len(self.columns) - 1
        for row in range(len(self._first_cells), max(len(self._keys), 2 * len(self._first_cells))):
            self._first_cells.append(self.createIndex(row, 0))
            self._last_cells.append(self.createIndex(row, last_col))

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
                self._shown.discard(key)
        replaced = [k for k in changes.added if k in self._row_of]  # removed and re-added within one frame
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
        updated = changes.updated
        if replaced:
            updated = updated | set(replaced)
        if self._flash_cols:
            if self.flash_enabled:
                self._track_flashes(updated)
            else:
                for key in updated:
                    self._remember(key)
        self._emit_ranges(updated, fade=False)
