"""The grouped mode of a blotter: a tree over :class:`GroupingProxy`, shown instead of the table.

The blotter's flat table stays the one source of truth for selection: it keeps its
model and selection model (hidden meanwhile), so ``current_key``, ``select_key``,
``sig_current_changed``, copy and everyone connected to ``table.selectionModel()``
work the same grouped or not. The tree's selection is mirrored to the table (rows
by key; a group row selects nothing) and back, and restored after the grouping
model moved rows between groups. Column widths, order, hidden columns and the
sort indicator travel between the two headers when the mode switches.

Groups start expanded; the ones the user collapses stay collapsed (by name) while
they come and go.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QTreeView

from mesodesk.ui.models.columns import KEY_ROLE
from mesodesk.ui.models.grouping_proxy import GROUP_ROLE, GroupingProxy
from mesodesk.ui.theme import table_font

_ROWS = QItemSelectionModel.SelectionFlag.Rows
MAX_LABEL_WIDTH = 420  # px: widening the grouping column for group names stops here


def copy_header(source: QHeaderView, target: QHeaderView) -> None:
    """Widths, order, hidden sections and sort indicator of ``source`` onto ``target``."""
    target.restoreState(source.saveState())


class GroupedTree:
    def __init__(self, grouped: GroupingProxy, table: QTableView,
                 view_row_of: Callable[[Hashable], int | None]) -> None:
        self.grouped = grouped
        self.table = table
        self._view_row_of = view_row_of
        self.collapsed: set[str] = set()
        self._mirroring = False
        tree = self.tree = QTreeView()
        tree.setObjectName(f"{table.objectName()}Grouped")
        tree.setModel(grouped)
        tree.setFont(table_font())
        tree.setUniformRowHeights(True)
        tree.setAnimated(False)
        tree.setIndentation(12)
        tree.setAlternatingRowColors(True)
        tree.setAllColumnsShowFocus(True)
        tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        tree.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        tree.setWordWrap(False)
        header = tree.header()
        header.setFirstSectionMovable(True)
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        tree.collapsed.connect(lambda index: self.collapsed.add(str(index.data(GROUP_ROLE))))
        tree.expanded.connect(lambda index: self.collapsed.discard(str(index.data(GROUP_ROLE))))
        tree.selectionModel().selectionChanged.connect(self._tree_selection_changed)
        tree.selectionModel().currentRowChanged.connect(self._tree_selection_changed)
        table.selectionModel().selectionChanged.connect(self._table_selection_changed)
        table.selectionModel().currentRowChanged.connect(self._table_selection_changed)
        grouped.modelReset.connect(self._after_change)
        grouped.resynced.connect(self._after_change)

    @property
    def active(self) -> bool:
        return self.grouped.grouping is not None

    # -- mode switch ----------------------------------------------------------------------------
    def enter(self, grouping: str) -> None:
        header = self.tree.header()
        copy_header(self.table.horizontalHeader(), header)
        self.grouped.set_grouping(grouping)
        label = self.grouped.label_column
        self.tree.setTreePosition(label)
        self.tree.setSortingEnabled(True)
        # group rows name themselves in the grouping column: show it, wide enough for "name (count)"
        header.setSectionHidden(label, False)
        wanted = min(self.tree.sizeHintForColumn(label) + 8, MAX_LABEL_WIDTH)
        if wanted > header.sectionSize(label):
            header.resizeSection(label, wanted)

    def leave(self) -> None:
        copy_header(self.tree.header(), self.table.horizontalHeader())
        self.tree.setSortingEnabled(False)
        self.grouped.set_grouping(None)

    # -- expansion ------------------------------------------------------------------------------
    def _after_change(self) -> None:
        if not self.active:
            return
        for name in self.grouped.group_names():
            index = self.grouped.group_index(name)
            if name not in self.collapsed and not self.tree.isExpanded(index):
                self.tree.expand(index)
        self.mirror_table_selection(scroll=False)

    def _tree_selection_changed(self, *_: Any) -> None:
        if self._mirroring or self.grouped.in_resync or not self.active:
            return
        selection = self.tree.selectionModel()
        keys = [i.data(KEY_ROLE) for i in selection.selectedRows()]
        current = selection.currentIndex()
        current_key = current.data(KEY_ROLE) if current.isValid() else None
        model = self.table.model()
        rows = QItemSelection()
        for key in keys:
            row = self._view_row_of(key) if key is not None else None
            if row is not None:
                rows.select(model.index(row, 0), model.index(row, model.columnCount() - 1))
        table_selection = self.table.selectionModel()
        self._mirroring = True
        try:
            row = self._view_row_of(current_key) if current_key is not None else None
            table_selection.select(rows, QItemSelectionModel.SelectionFlag.ClearAndSelect | _ROWS)
            if row is not None:
                table_selection.setCurrentIndex(model.index(row, max(0, current.column())),
                                                QItemSelectionModel.SelectionFlag.NoUpdate)
            else:
                table_selection.clearCurrentIndex()
        finally:
            self._mirroring = False

    def _table_selection_changed(self, *_: Any) -> None:
        self.mirror_table_selection(scroll=True)

    def mirror_table_selection(self, *, scroll: bool) -> None:
        """Show the table's selection and current row in the tree (``scroll``: bring the current row into view)."""
        if self._mirroring or not self.active:
            return
        table_selection = self.table.selectionModel()
        last = self.grouped.columnCount() - 1
        rows = QItemSelection()
        for index in table_selection.selectedRows():
            key = index.data(KEY_ROLE)
            first = self.grouped.index_of_key(key)
            if first.isValid():
                rows.select(first, self.grouped.index_of_key(key, last))
        current = table_selection.currentIndex()
        tree_current = self.grouped.index_of_key(current.data(KEY_ROLE)) if current.isValid() else QModelIndex()
        selection = self.tree.selectionModel()
        self._mirroring = True
        try:
            selection.select(rows, QItemSelectionModel.SelectionFlag.ClearAndSelect | _ROWS)
            if tree_current.isValid():
                selection.setCurrentIndex(tree_current, QItemSelectionModel.SelectionFlag.NoUpdate)
                if scroll:
                    self.tree.scrollTo(tree_current)  # expands a collapsed group
        finally:
            self._mirroring = False
