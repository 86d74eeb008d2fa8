"""Flat -> tree: the blotter's shown rows grouped by a column, with subtotals.

:class:`GroupingProxy` sits on the :class:`BlotterProxy` (so the filter applies and
rows keep its numeric sort within each group). Top-level rows are groups, in name
order, or by subtotal while the sort column is a summed one; their children are
the proxy's rows of that group, in the proxy's order. A group row shows
"name (count)" in the grouping column and its subtotals (the arithmetic is
:class:`mesodesk.core.totals.RunningSums`, one per group) in the summed columns, in bold.

Live updates never reset: source signals (the proxy's row signals, the blotter model's
``rows_updated`` with every updated key, on screen or not) only mark what is dirty and
arm one zero-delay timer (so a frame's changes cost one resync). The
resync diffs the wanted grouping against the current one and emits the minimal
notifications: rows removed from groups they left, empty groups removed, one
layout change for reordered groups/rows (persistent indexes follow their rows),
new groups and rows inserted, and ``dataChanged`` for changed rows and for group
rows whose count or subtotals moved. Children answer ``data()`` by key from the
blotter model, so the tree is never inconsistent between two resyncs.

Index ids: a group row's internal id is 0; a child's is its group's id (>= 1).
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont

from mesodesk.core.totals import RunningSums, Sums, group_name
from mesodesk.ui.models.blotter_proxy import BlotterProxy
from mesodesk.ui.models.keyed_table_model import contiguous_ranges
from mesodesk.ui.models.totals import shown_keys, total_getters
from mesodesk.ui.theme import colors, table_font

Index = QModelIndex | QPersistentModelIndex
GROUP_ROLE = int(Qt.ItemDataRole.UserRole) + 4  # the group name, on group rows

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)


@dataclass
class _Group:
    id: int
    name: str
    keys: list[Hashable] = field(default_factory=list)
    row_of: dict[Hashable, int] = field(default_factory=dict)
    sums: Sums = field(default_factory=dict)

    def reindex(self) -> None:
        self.row_of = {k: i for i, k in enumerate(self.keys)}


class GroupingProxy(QAbstractItemModel):
    resynced = Signal()
    """Emitted after a resync moved, added or removed rows (views restore selection and expansion then)."""

    def __init__(self, proxy: BlotterProxy, total_columns: Sequence[str], parent: Any = None) -> None:
        super().__init__(parent)
        self.proxy = proxy
        self.blotter = proxy.blotter
        self.total_columns = list(total_columns)
        self._getters = total_getters(proxy, total_columns)
        self._summed = {self.blotter.column_index(k): k for k in total_columns}
        self.grouping: str | None = None
        self._label_col = 0
        self._groups: list[_Group] = []
        self._row_of_group: dict[int, int] = {}  # group id -> row
        self._by_name: dict[str, _Group] = {}
        self._by_id: dict[int, _Group] = {}
        self._group_of_key: dict[Hashable, str] = {}
        self._running: dict[str, RunningSums] = {}  # group name -> its subtotals, updated row by row
        self._ids = itertools.count(1)
        self._structure_dirty = False
        self._dirty_keys: set[Hashable] = set()
        self.resyncs = 0  # tests: once per frame at most
        self.in_resync = False  # selection changes meanwhile are the model's, not the user's
        self._bold = QFont(table_font())
        self._bold.setBold(True)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.resync)
        for signal in (proxy.rowsInserted, proxy.rowsRemoved, proxy.rowsMoved, proxy.layoutChanged,
                       proxy.modelReset):
            signal.connect(self._structure_changed)
        self.blotter.rows_updated.connect(self._rows_changed)

    # -- grouping ---------------------------------------------------------------------
    def set_grouping(self, grouping: str | None) -> None:
        """Group by the column ``grouping`` (a key of :data:`mesodesk.core.totals.POSITION_GROUPINGS`) or not at all."""
        if grouping == self.grouping:
            return
        self.beginResetModel()
        self.grouping = grouping
        self._label_col = self.blotter.column_index(grouping) if grouping else 0
        self._groups, self._by_name, self._by_id, self._row_of_group, self._group_of_key = [], {}, {}, {}, {}
        self._structure_dirty, self._dirty_keys, self._running = False, set(), {}
        if grouping is not None:
            members = self._wanted_members()
            self._update_running(members, set())
            for name in self._group_order({n: r.sums() for n, r in self._running.items()}):
                group = _Group(next(self._ids), name, members[name])
                group.reindex()
                group.sums = self._running[name].sums()
                self._groups.append(group)
                self._by_name[name], self._by_id[group.id] = group, group
            self._reindex_groups()
            self._group_of_key = {k: g.name for g in self._groups for k in g.keys}
        self.endResetModel()

    @property
    def label_column(self) -> int:
        """The logical column group rows show their name in (the grouping column)."""
        return self._label_col

    def group_names(self) -> list[str]:
        return [g.name for g in self._groups]

    def group_index(self, name: str) -> QModelIndex:
        group = self._by_name.get(name)
        return QModelIndex() if group is None else self.createIndex(self._row_of_group[group.id], 0, 0)

    def group_sums(self, name: str) -> Sums:
        group = self._by_name.get(name)
        return {} if group is None else dict(group.sums)

    def index_of_key(self, key: Hashable, column: int = 0) -> QModelIndex:
        name = self._group_of_key.get(key)
        group = self._by_name.get(name) if name is not None else None
        if group is None or key not in group.row_of:
            return QModelIndex()
        return self.createIndex(group.row_of[key], column, group.id)

    # -- Qt model API ----------------------------------------------------------------------
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not 0 <= column < len(self.blotter.columns) or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0) if row < len(self._groups) else QModelIndex()
        if parent.internalId() != 0 or parent.column() != 0 or not 0 <= parent.row() < len(self._groups):
            return QModelIndex()
        group = self._groups[parent.row()]
        return self.createIndex(row, column, group.id) if row < len(group.keys) else QModelIndex()

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        row = self._row_of_group.get(index.internalId())
        return QModelIndex() if row is None else self.createIndex(row, 0, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._groups)
        if parent.internalId() != 0 or parent.column() != 0 or not 0 <= parent.row() < len(self._groups):
            return 0
        return len(self._groups[parent.row()].keys)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.blotter.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        return self.blotter.headerData(section, orientation, role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the rows within each group (the flat proxy sorts; groups follow by subtotal or name)."""
        if (column, order) != (self.proxy.sortColumn(), self.proxy.sortOrder()):
            self.proxy.sort(column, order)
        self._structure_changed()

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        row, col, group_id = index.row(), index.column(), index.internalId()
        if group_id != 0:
            group = self._by_id.get(group_id)
            if group is None or not 0 <= row < len(group.keys):
                return None
            return self.blotter.key_data(group.keys[row], col, role)
        if not 0 <= row < len(self._groups):
            return None
        return self._group_data(self._groups[row], col, role)

    def multiData(self, index: Index, roleDataSpan: QModelRoleDataSpan) -> None:  # type: ignore[override]
        """A position row's cell: all its roles from the blotter model in one call (as a flat view gets them)."""
        group = self._by_id.get(index.internalId()) if index.isValid() else None
        if group is not None and 0 <= index.row() < len(group.keys):
            row = self.blotter.row_of(group.keys[index.row()])
            if row is not None:
                self.blotter.multiData(self.blotter.createIndex(row, index.column()), roleDataSpan)
                return
        super().multiData(index, roleDataSpan)

    def _group_data(self, group: _Group, col: int, role: int) -> Any:
        if role == _FONT:
            return self._bold
        if role == GROUP_ROLE:
            return group.name
        if role == _ALIGN:
            return int(self.blotter.columns[col].alignment)
        summed = self._summed.get(col)
        if role == _DISPLAY:
            if summed is not None:
                return self.blotter.columns[col].fmt(group.sums.get(summed))
            if col == self._label_col:
                return f"{group.name} ({len(group.keys)})"
            return None
        if role == _TOOLTIP and col == self._label_col:
            return f"{group.name}: {len(group.keys):,} rows shown; subtotals of the summed columns"
        if role == _FOREGROUND and summed is not None and self.blotter.columns[col].signed_color:
            value = group.sums.get(summed)
            return None if not value else (colors().positive if value > 0 else colors().negative)
        return None  # KEY_ROLE too: a group row is no blotter row

    # -- source changes ------------------------------------------------------------------------
    def _structure_changed(self, *_: Any) -> None:
        self._structure_dirty = True
        if self.grouping is not None and not self._timer.isActive():
            self._timer.start()

    def _rows_changed(self, keys: set[Hashable]) -> None:
        if self.grouping is None:
            return
        shown = self._group_of_key  # rows the filter hides come in through the proxy's row signals
        self._dirty_keys.update(key for key in keys if key in shown)
        if self._dirty_keys and not self._timer.isActive():
            self._timer.start()

    def resync(self) -> None:
        """Bring the tree up to date with the proxy, signalling only what changed."""
        self._timer.stop()
        if self.grouping is None:
            return
        self.resyncs += 1
        self.in_resync = True
        try:
            restructured = self._resync()
        finally:
            self.in_resync = False
        if restructured:
            self.resynced.emit()

    def _resync(self) -> bool:
        dirty, self._dirty_keys = self._dirty_keys, set()
        structural = self._structure_dirty or any(self._moved_group(k) for k in dirty)
        self._structure_dirty = False
        if structural:
            members = self._wanted_members()
            self._update_running(members, dirty)
        else:
            members = {g.name: g.keys for g in self._groups}
            table = self.blotter.table
            for key in dirty:
                row, running = table.get(key), self._running.get(self._group_of_key.get(key, ""))
                if row is not None and running is not None and key in running:
                    running.put(key, row)
        sums = {name: running.sums() for name, running in self._running.items()}
        order = self._group_order(sums)
        counts = {g.id: len(g.keys) for g in self._groups}
        restructured = False
        if structural or order != [g.name for g in self._groups]:
            self._restructure(members, order)
            restructured = True
        for group in self._groups:
            row = self._row_of_group[group.id]
            new_sums = sums[group.name]
            if new_sums != group.sums or counts.get(group.id) != len(group.keys):
                group.sums = new_sums
                self.dataChanged.emit(self.createIndex(row, 0, 0), self.createIndex(row, self.columnCount() - 1, 0))
            rows = sorted(group.row_of[k] for k in dirty if k in group.row_of)
            for first, last in contiguous_ranges(rows):
                self.dataChanged.emit(self.createIndex(first, 0, group.id),
                                      self.createIndex(last, self.columnCount() - 1, group.id))
        return restructured

    def _moved_group(self, key: Hashable) -> bool:
        row = self.blotter.table.get(key)
        assert self.grouping is not None
        return row is not None and group_name(row, self.grouping) != self._group_of_key.get(key)

    def _update_running(self, members: dict[str, list[Hashable]], dirty: set[Hashable]) -> None:
        """Make each group's running sums cover its members; re-read only new and changed rows."""
        table = self.blotter.table
        for name in [n for n in self._running if n not in members]:
            del self._running[name]
        for name, keys in members.items():
            running = self._running.setdefault(name, RunningSums(self._getters))
            for key in running.keys() - set(keys):
                running.discard(key)
            for key in keys:
                if key in dirty or key not in running:
                    row = table.get(key)
                    if row is not None:
                        running.put(key, row)

    def _wanted_members(self) -> dict[str, list[Hashable]]:
        assert self.grouping is not None
        table, grouping = self.blotter.table, self.grouping
        members: dict[str, list[Hashable]] = {}
        for key in shown_keys(self.proxy):
            row = table.get(key)
            if row is not None:
                members.setdefault(group_name(row, grouping), []).append(key)
        return members

    def _group_order(self, sums: dict[str, Sums]) -> list[str]:
        """Group names in display order: by subtotal while a summed column sorts, else by name."""
        column, order = self.proxy.sortColumn(), self.proxy.sortOrder()
        descending = order == Qt.SortOrder.DescendingOrder
        summed = self._summed.get(column)
        by_name = sorted(sums, key=str.lower)
        if summed is not None:
            def subtotal(name: str) -> Decimal:
                value = sums[name].get(summed)
                return Decimal("-Infinity") if value is None else value
            return sorted(by_name, key=subtotal, reverse=descending)
        return list(reversed(by_name)) if descending and column == self._label_col else by_name

    # -- the diff -------------------------------------------------------------------------------
    def _reindex_groups(self) -> None:
        self._row_of_group = {g.id: i for i, g in enumerate(self._groups)}

    def _restructure(self, members: dict[str, list[Hashable]], order: list[str]) -> None:
        # 1. rows that left their group (filtered out, removed, or moved to another group)
        for group in self._groups:
            wanted = set(members.get(group.name, ()))
            gone = [i for i, k in enumerate(group.keys) if k not in wanted]
            if gone:
                parent = self.createIndex(self._row_of_group[group.id], 0, 0)
                for first, last in reversed(contiguous_ranges(gone)):
                    self.beginRemoveRows(parent, first, last)
                    del group.keys[first : last + 1]
                    group.reindex()
                    self.endRemoveRows()
        # 2. groups with no rows left
        gone_groups = [i for i, g in enumerate(self._groups) if g.name not in members]
        for first, last in reversed(contiguous_ranges(gone_groups)):
            self.beginRemoveRows(QModelIndex(), first, last)
            for group in self._groups[first : last + 1]:
                del self._by_name[group.name], self._by_id[group.id]
            del self._groups[first : last + 1]
            self._reindex_groups()
            self.endRemoveRows()
        # 3. survivors reordered: one layout change, persistent indexes follow their rows
        position = {name: i for i, name in enumerate(order)}
        kept = {g.name: [k for k in members[g.name] if k in g.row_of] for g in self._groups}
        if ([g.name for g in self._groups] != sorted((g.name for g in self._groups), key=position.__getitem__)
                or any(kept[g.name] != g.keys for g in self._groups)):
            self._relayout(position, kept)
        # 4. new groups, at their places
        for i, name in enumerate(order):
            if name not in self._by_name:
                self.beginInsertRows(QModelIndex(), i, i)
                group = _Group(next(self._ids), name)
                self._groups.insert(i, group)
                self._by_name[name], self._by_id[group.id] = group, group
                self._reindex_groups()
                self.endInsertRows()
        # 5. new rows in each group, at their places
        for group in self._groups:
            wanted_keys = members[group.name]
            if len(wanted_keys) == len(group.keys):
                continue
            parent = self.createIndex(self._row_of_group[group.id], 0, 0)
            missing = [i for i, k in enumerate(wanted_keys) if k not in group.row_of]
            for first, last in contiguous_ranges(missing):
                self.beginInsertRows(parent, first, last)
                group.keys[first:first] = wanted_keys[first : last + 1]
                group.reindex()
                self.endInsertRows()
        self._group_of_key = {k: g.name for g in self._groups for k in g.keys}

    def _relayout(self, position: dict[str, int], kept: dict[str, list[Hashable]]) -> None:
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        where: list[tuple[_Group, Hashable | None, int]] = []  # (group, key or None for the group row, column)
        for index in old:
            if index.internalId() == 0:
                where.append((self._groups[index.row()], None, index.column()))
            else:
                group = self._by_id[index.internalId()]
                where.append((group, group.keys[index.row()], index.column()))
        self._groups.sort(key=lambda g: position[g.name])
        for group in self._groups:
            group.keys = kept[group.name]
            group.reindex()
        self._reindex_groups()
        new = []
        for group, key, column in where:
            if key is None:
                new.append(self.createIndex(self._row_of_group[group.id], column, 0))
            else:
                new.append(self.createIndex(group.row_of[key], column, group.id))
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()
