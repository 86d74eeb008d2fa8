"""A ``QAbstractTableModel`` over a Qt-free :class:`~mesodesk.core.tables.Table`.

``sync()`` pulls the table's accumulated :class:`ChangeSet` and turns it into the
minimal Qt notifications: ``beginRemoveRows``/``beginInsertRows`` for structure
and one ``dataChanged`` per contiguous range of updated rows. It is called by the
:class:`FrameScheduler` at most once per screen frame, never per tick, and never
resets the model.

Visible rows only: views report the rows they paint (:meth:`set_visible_keys`, the union
over all views of the model, see :mod:`~mesodesk.ui.models.visible_keys`). ``sync()``
formats, flash-tracks and signals only updated rows inside that set; an updated row off-screen
costs a set lookup: it is only dropped from the display cache (its stale mark) and formatted
when it is painted again. An updated visible row is formatted once into that cache and
compared with the texts on screen: only the cells whose text changed are signalled, one
``dataChanged`` per cell, so the view repaints exactly those cells (a tick that moves a mark and a
P&L repaints two cells, not the row; ``QTableView`` repaints a range one pixel taller, i.e. with
the row under it). While a proxy sorts or filters, one per run of changed cells, merged over
adjacent rows (a sorting proxy re-checks the rows of every signal it gets). An off-screen
row a sort or filter asks for is formatted cell by cell, uncached. ``rows_updated`` carries every
updated key once per frame (totals, grouping: they need every shown row's values, read from the
table, not only the visible ones). While a sort or filter is active (a :class:`BlotterProxy` calls
:meth:`watch_order`), rows updated off-screen are signalled together at most
:data:`REORDER_INTERVAL_MS` apart, so the proxy re-sorts and re-filters them at a few Hz, not per frame.

Flash: a cell of a ``flash`` column whose text changed is tinted for ``flash_ms``, green for a
rise of its raw value, red for a fall (a non-numeric change counts as a rise); a row keeps one
deadline, and cells tinted by its earlier change keep their tint until it. ``data()`` paints the
tint until the deadline; a single-shot timer then emits one more ``dataChanged`` per tinted
cell to clear them (or the next frame's ``sync()`` does, in that frame's repaint), for
the rows whose tint ``data()`` actually served (a row that was never painted while flashing needs
no repaint). So a flash costs at most one extra repaint, whatever the tick rate.

Hot paths: ``dataChanged`` indexes are built once per row with ``createIndex``
(``index()`` would call back into Python ``rowCount``/``columnCount`` through
``hasIndex``); ``cell_look`` gives the blotter's delegate a plain cell's text, alignment
and colours in one call (``FastCellDelegate``); ``multiData`` answers all the roles the
style's delegate paints a cell with in one call (a view showing this model directly, see
``BlotterView``); ``data()`` returns early for the roles it does not serve; per-column constants (getters,
formatters, alignments) are read from lists built once.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor

from mesodesk.core.tables import Table
from mesodesk.ui.models.columns import KEY_ROLE, SORT_ROLE, Column
from mesodesk.ui.models.visible_keys import VisibleKeys
from mesodesk.ui.theme import colors

Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 3  # the row object itself
#: rows updated off-screen reach a sorting/filtering proxy at most this often (a few Hz)
REORDER_INTERVAL_MS = 250
#: the fade timer waits this long past a deadline: while frames run, their sync fades first
FADE_SLACK_MS = 40


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

    rows_updated = Signal(object)
    """Once per ``sync()`` with the set of every updated key, on screen or not."""

    def __init__(self, table: Table[Any, Any], columns: Sequence[Column], parent: Any = None) -> None:
        super().__init__(parent)
        self.table = table
        self.columns = list(columns)
        self._keys: list[Hashable] = list(table)
        self._row_of: dict[Hashable, int] = {k: i for i, k in enumerate(self._keys)}
        self.data_changed_emits = 0  # tick-driven dataChanged emits (tests, benchmark)
        self.fade_emits = 0  # dataChanged emits that clear expired flashes
        self.reorder_emits = 0  # throttled dataChanged emits of rows updated off-screen, for a sort/filter
        self.rows_formatted = 0  # rows formatted into the display cache (tests, benchmark)
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
        # key -> (deadline, direction per flash column: +1 rise, -1 fall, 0 not tinted) of the row's latest change
        self._flashes: dict[Hashable, tuple[float, list[int]]] = {}
        # Keys whose tint data() has served since their flash began: only those need a fade repaint.
        self._shown: set[Hashable] = set()
        self._first_cells: list[QModelIndex] = []
        self._last_cells: list[QModelIndex] = []
        self._fade_timer = QTimer(self)
        self._fade_timer.setSingleShot(True)
        self._fade_timer.timeout.connect(self._fade)
        self._visible = VisibleKeys()
        self._texts: dict[Hashable, list[str]] = {}  # display cache of visible rows; absent = stale
        self._order_watchers: set[int] = set()
        self._unsignalled: set[Hashable] = set()  # updated off-screen since the last reorder emit
        self._reorder_timer = QTimer(self)
        self._reorder_timer.setSingleShot(True)
        self._reorder_timer.setInterval(REORDER_INTERVAL_MS)
        self._reorder_timer.timeout.connect(self._reorder)
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
                result = None if value_row is None else self._text(key, col)
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

    def cell_look(self, row: int, col: int) -> tuple[str | None, int, QColor | None, QColor | None] | None:
        """(text, alignment, foreground, background) of a cell, as ``multiData`` answers them, in one
        call (a delegate that paints plain cells itself, see ``FastCellDelegate``); None if out of range."""
        keys = self._keys
        if not (0 <= row < len(keys) and 0 <= col < len(self._getters)):
            return None
        key = keys[row]
        foreground = self._role_value(_FOREGROUND, key, col) if self.stale or self._signed[col] else None
        background = self._role_value(_BACKGROUND, key, col) if self._flashes else None
        return self._text(key, col), self._alignments[col], foreground, background

    def _role_value(self, role: int, key: Hashable, col: int) -> Any:
        if role == _DISPLAY:
            return self._text(key, col)
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

    def _text(self, key: Hashable, col: int) -> str | None:
        """The cell's display text: from the row's cache, else formatted now (cached if the row is visible).

        A row changed since the last ``sync()`` is re-formatted: what is shown never lags the sort order."""
        texts = self._texts.get(key)
        if texts is not None and not self.table.pending(key):
            return texts[col]
        row = self.table.get(key)
        if row is None:
            return None
        visible = self._visible.union
        if visible is not None and key not in visible:  # a sort or filter reads an off-screen row
            return self._formats[col](self._getters[col](row))
        self.rows_formatted += 1
        texts = self._texts[key] = [fmt(get(row)) for get, fmt in zip(self._getters, self._formats, strict=True)]
        return texts[col]

    # -- what is on screen ------------------------------------------------
    def add_viewer(self) -> int:
        """Register a view of this model; it counts as showing every row until it reports."""
        return self._visible.add()

    def set_visible_keys(self, viewer: int, keys: Iterable[Hashable] | None) -> None:
        """The keys of the rows ``viewer`` paints now (empty while hidden; None: every row)."""
        self._visible_changed(*self._visible.set(viewer, keys))

    def remove_viewer(self, viewer: int) -> None:
        self._visible_changed(*self._visible.remove(viewer))

    @property
    def visible_keys(self) -> set[Hashable] | None:
        """Keys on screen in any view of this model (None: every row counts as visible)."""
        return self._visible.union

    def _visible_changed(self, before: set[Hashable] | None, after: set[Hashable] | None) -> None:
        # Pure Python (no Qt calls): also runs from a destroyed view's last signal.
        if before == after:
            return
        if after is not None:  # rows that left the screen: drop their texts and flash baselines
            for store in (self._texts, self._last_values):
                gone = [k for k in store if k not in after] if before is None else [k for k in before - after]
                for key in gone:
                    store.pop(key, None)
        entered = self._keys if after is None else (after if before is None else after - before)
        for key in entered:  # flash baselines of rows that came on screen: their next change flashes
            if key not in self._last_values:
                self._remember(key)

    def watch_order(self, watcher: int, watching: bool) -> None:
        """A proxy sorts or filters (``watching``) or stopped: off-screen updates must then reach it."""
        if watching:
            self._order_watchers.add(watcher)
        else:
            self._order_watchers.discard(watcher)
            if not self._order_watchers:
                self._unsignalled.clear()

    def _reorder(self) -> None:
        """Signal the rows updated off-screen since the last time, so sorting/filtering proxies place them."""
        keys, self._unsignalled = self._unsignalled, set()
        if not keys or not self._order_watchers:
            return
        started = time.perf_counter()
        row_of = self._row_of.get
        ranges = contiguous_ranges(sorted(r for r in map(row_of, keys) if r is not None))
        if ranges and len(self._first_cells) <= ranges[-1][1]:
            self._grow_cell_cache(ranges[-1][1] + 1)
        self.reorder_emits += len(ranges)
        for first, last in ranges:
            self.dataChanged.emit(self._first_cells[first], self._last_cells[last])
        # Back off while re-sorting is costly (huge tables): it keeps to ~a fifth of the loop.
        spent_ms = (time.perf_counter() - started) * 1000
        self._reorder_timer.setInterval(max(REORDER_INTERVAL_MS, int(spent_ms * 4)))

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
            self._fade_rows(shown)

    def is_flashing(self, key: Hashable, column_key: str) -> bool:
        return bool(self._flash_direction(key, self.column_index(column_key)))

    def _flash_direction(self, key: Hashable, col: int) -> int:
        """+1 / -1 while the cell flashes a rise / a fall (or a non-numeric change), else 0."""
        flash = self._flashes.get(key)
        if flash is None:
            return 0
        slot = self._flash_slot[col]
        if slot is None or time.monotonic() >= flash[0]:
            return 0
        return flash[1][slot]

    # -- change application ------------------------------------------------
    def _values(self, row: Any) -> list[Any]:
        return [get(row) for get in self._flash_getters]

    def _remember(self, key: Hashable) -> None:
        visible = self._visible.union
        if self._flash_cols and (visible is None or key in visible):
            row = self.table.get(key)
            if row is not None:
                self._last_values[key] = self._values(row)

    def _refresh_visible(self, keys: Iterable[Hashable]) -> dict[int, tuple[tuple[int, int], ...]]:
        """Format updated visible rows into the display cache; row -> runs of cells whose text changed.

        Flash-tracks the changed cells of ``flash`` columns (when flashes are on)."""
        rows, row_of, texts_of = self.table.get, self._row_of.get, self._texts
        getters, formats, n_cols = self._getters, self._formats, len(self._getters)
        flash_cols, flash_getters, last_values = self._flash_cols, self._flash_getters, self._last_values
        flashing, flashes = self.flash_enabled and bool(flash_cols), self._flashes
        all_cells = ((0, n_cols - 1),)
        deadline = time.monotonic() + self.flash_ms / 1000.0
        changed_runs: dict[int, tuple[tuple[int, int], ...]] = {}
        for key in keys:
            row, index = rows(key), row_of(key)
            if row is None or index is None:
                continue
            self.rows_formatted += 1
            new = [fmt(get(row)) for get, fmt in zip(getters, formats, strict=True)]
            old = texts_of.get(key)
            texts_of[key] = new
            if old is None:  # not on screen as text yet: the whole row
                changed = None
            elif old == new:
                changed = []
            else:
                changed = [c for c in range(n_cols) if old[c] != new[c]]
            if flash_cols:
                now = [get(row) for get in flash_getters]
                before = last_values.get(key)
                last_values[key] = now
                if flashing and before is not None and before != now:
                    self._flash_row(key, changed, before, now, deadline)
            if changed is None:
                changed_runs[index] = all_cells
            elif changed:
                changed_runs[index] = tuple(contiguous_ranges(changed))
        if flashes and not self._fade_timer.isActive():
            self._fade_timer.start(self.flash_ms + FADE_SLACK_MS)
        return changed_runs

    def _flash_row(self, key: Hashable, changed: list[int] | None, before: list[Any], now: list[Any],
                   deadline: float) -> None:
        """Tint the row's flash cells whose text changed; cells still tinted from its last change stay tinted."""
        directions = [0] * len(now)
        for slot, col in enumerate(self._flash_cols):
            if changed is None or col in changed:
                directions[slot] = _cell_change(before[slot], now[slot])
        if not any(directions):
            return
        previous = self._flashes.pop(key, None)  # re-insert: the dict stays in deadline order, so _fade stops early
        if previous is not None and previous[0] > time.monotonic():
            directions = [d or p for d, p in zip(directions, previous[1], strict=True)]
        self._flashes[key] = (deadline, directions)

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
                self._repaint_flashed_cells(key, flash[1])
        if self._flashes:
            next_deadline = next(iter(self._flashes.values()))[0]
            self._fade_timer.start(max(1, int((next_deadline - now) * 1000) + FADE_SLACK_MS))

    def _repaint_flashed_cells(self, key: Hashable, directions: list[int]) -> None:
        """Signal the row's tinted cells (as :meth:`_emit_cells` signals changes): only they lose their tint."""
        row = self._row_of.get(key)
        if row is None:
            return
        cols = [col for col, direction in zip(self._flash_cols, directions, strict=True) if direction]
        self._emit_cells({row: tuple(contiguous_ranges(cols))}, fade=True)

    def _emit_cells(self, changed_runs: dict[int, tuple[tuple[int, int], ...]], *, fade: bool = False) -> None:
        """Signal the changed cells: one ``dataChanged`` per cell (a view repaints exactly that cell;
        for a range, ``QTableView`` repaints a pixel more: the row under it too), a whole row in one.

        While a proxy sorts or filters, one per run of changed cells, merged over adjacent rows with
        the same runs: a sorting proxy re-checks the rows of every signal it gets."""
        if not changed_runs:
            return
        emit, create = self.dataChanged.emit, self.createIndex
        emits = 0
        if not self._order_watchers:
            whole = (0, len(self.columns) - 1)
            for row, runs in changed_runs.items():
                for first, last in runs:
                    if (first, last) == whole:
                        emits += 1
                        emit(create(row, first), create(row, last))
                        continue
                    for col in range(first, last + 1):
                        cell = create(row, col)
                        emits += 1
                        emit(cell, cell)
        else:
            block_start = block_end = -2
            block_runs: tuple[tuple[int, int], ...] = ()
            for row in [*sorted(changed_runs), -2]:
                runs = changed_runs.get(row, ())
                if row == block_end + 1 and runs == block_runs:
                    block_end = row
                    continue
                for first, last in block_runs:
                    emits += 1
                    emit(create(block_start, first), create(block_end, last))
                block_start = block_end = row
                block_runs = runs
        if fade:
            self.fade_emits += emits
        else:
            self.data_changed_emits += emits

    def _fade_rows(self, keys: Any) -> None:
        """Clear the tint of whole rows (flashes switched off): one ``dataChanged`` per run of rows."""
        row_of = self._row_of.get
        rows = sorted(r for r in map(row_of, keys) if r is not None)
        if not rows:
            return
        ranges = contiguous_ranges(rows)
        self.fade_emits += len(ranges)
        emit, first_cells, last_cells = self.dataChanged.emit, self._first_cells, self._last_cells
        if len(first_cells) <= ranges[-1][1]:
            self._grow_cell_cache(ranges[-1][1] + 1)
        for first, last in ranges:
            emit(first_cells[first], last_cells[last])

    def _grow_cell_cache(self, rows: int) -> None:
        # Indexes of each row's first and last cell, built once (``createIndex`` costs ~1 µs from Python;
        # ``index()`` costs more: ``hasIndex`` calls back into rowCount/columnCount). A QModelIndex is
        # only (row, column, model), so the cached ones stay right whichever key the row holds.
        last_col = len(self.columns) - 1
        # Grown as far as the rows signalled need (doubling): a 100k-row table whose top is on screen builds ~50.
        for row in range(len(self._first_cells), max(rows, min(len(self._keys), 2 * len(self._first_cells)))):
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
                self._texts.pop(key, None)
                self._unsignalled.discard(key)
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
        if not updated:
            return
        visible = self._visible.union
        if visible is None:
            shown = updated
        else:  # off-screen rows are not in the display cache: they stay stale until painted
            shown = visible & updated if len(visible) < len(updated) else updated & visible
            if self._order_watchers and len(shown) < len(updated):
                self._unsignalled |= updated - shown
                if not self._reorder_timer.isActive():
                    self._reorder_timer.start()
        self._emit_cells(self._refresh_visible(shown))
        if self._flashes and next(iter(self._flashes.values()))[0] <= time.monotonic():
            self._fade()  # in this frame's repaint, not a paint pass of its own
        self.rows_updated.emit(updated)
