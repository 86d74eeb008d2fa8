"""A dock holding a sortable, filterable blotter over a :class:`KeyedTableModel`.

The view never resizes columns on ticks (only once, on the first rows, unless a
saved header state was restored). Right-click on rows: copy, export CSV, and the
row actions the owner registers; right-click on the header: choose columns.

Blotters declared with ``total_columns`` get a totals row pinned under the view
(:mod:`~mesodesk.ui.docks.totals_footer`); with ``groupings``, a "Group by" control
that swaps the table for a tree of collapsible groups with subtotals
(:mod:`~mesodesk.ui.docks.grouped_view`); the table stays the owner of the selection.

The table shows the :class:`BlotterProxy` only while a sort, filter text or
predicate is active; otherwise (pass-through) it shows the model itself, which
halves the Python calls per painted cell (no proxy index mapping, and the
model's ``multiData`` answers all of a cell's roles in one call). Switching
keeps the selected rows, the current row and the scroll position; ``proxy``
stays the model of what is shown either way (in pass-through its rows are the
model's rows).

The table reports the rows it paints to the model (``set_visible_keys``, through the
proxy's mapping while the proxy is shown; none while hidden): the model signals and
flashes only those. Scrolling, showing/hiding and model swaps report at once; viewport
resizes and structural changes (rows in or out, re-sorts) on the next turn of the loop.
While grouped, the tree paints rows by key, so every row counts as visible.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPoint,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QStackedWidget,
    QTableView,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from mesodesk.ui.docks.fast_cell_delegate import FastCellDelegate
from mesodesk.ui.docks.grouped_view import GroupedTree, copy_header
from mesodesk.ui.docks.totals_footer import TotalsFooter
from mesodesk.ui.header_state import restore_header, save_header
from mesodesk.ui.models.blotter_proxy import BlotterProxy
from mesodesk.ui.models.columns import KEY_ROLE
from mesodesk.ui.models.grouping_proxy import GroupingProxy
from mesodesk.ui.models.keyed_table_model import KeyedTableModel
from mesodesk.ui.models.totals import ShownTotals
from mesodesk.ui.table_export import table_rows, to_tsv, write_csv
from mesodesk.ui.theme import table_font

ROW_HEIGHT = 20

#: rows measured when fitting column widths to their content
FIT_SAMPLE_ROWS = 200


class BlotterView(QWidget):
    sig_row_activated = Signal(object)
    """Emitted with the row key on double-click or Enter."""

    sig_current_changed = Signal(object)
    """Emitted with the key of the newly current row, or None when the selection is cleared."""

    sig_row_action = Signal(str, object)
    """Emitted with ``(action_id, row key)`` when a registered row action is chosen."""

    def __init__(self, model: KeyedTableModel, name: str, parent: QWidget | None = None, *,
                 total_columns: Sequence[str] = (), groupings: Sequence[str] = ()) -> None:
        """``total_columns``: columns summed in a totals row (and group subtotals); ``groupings``: column
        keys offered in "Group by" (see :mod:`mesodesk.ui.blotters`)."""
        super().__init__(parent)
        self.setObjectName(f"{name}Blotter")
        self.name = name
        self.model = model
        self.proxy = BlotterProxy(model, self)
        self._row_actions: list[tuple[str, str]] = []
        self.grouped: GroupedTree | None = None

        self.filter = QLineEdit()
        self.filter.setObjectName(f"{name}Filter")
        self.filter.setPlaceholderText("Filter…  (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.link_label = QLabel()
        self.link_label.setObjectName(f"{name}LinkLabel")
        self.link_label.hide()
        self.count_label = QLabel()
        self.count_label.setObjectName(f"{name}Count")

        self.table = QTableView()
        self.table.setItemDelegate(FastCellDelegate(model, self.table))
        self.table.setObjectName(f"{name}Table")
        self.table.setModel(self._wanted_model())
        self.table.setFont(table_font())
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.table.verticalHeader().setMinimumSectionSize(ROW_HEIGHT)
        header = self.table.horizontalHeader()
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        self.apply_default_columns()
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._row_menu)
        self.table.doubleClicked.connect(self._activated)
        self.table.activated.connect(self._activated)
        self._connect_selection()
        # Header clicks sort the view's model; while that is the model itself, sort the proxy and show it.
        header.sortIndicatorChanged.connect(self._sort_indicator_changed)
        self.proxy.passthrough_changed.connect(self._show_wanted_model)

        self._add_shortcut("Copy", QKeySequence.StandardKey.Copy, self.copy_selection)
        self._add_shortcut("Find", QKeySequence.StandardKey.Find, self.focus_filter)
        self._add_shortcut("ClearSelection", QKeySequence(Qt.Key.Key_Escape), self.table.clearSelection)

        # Fit columns to the first rows once; later ticks never resize (that is what makes big tables lag).
        self._fitted = False
        model.rowsInserted.connect(self._fit_columns_once)
        if model.rowCount():
            QTimer.singleShot(0, self._fit_columns_once)
        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset,
                       self.proxy.layoutChanged):
            signal.connect(self._update_count)
        self._watch_visible_rows()

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.setSpacing(6)
        top.addWidget(self.filter, 1)
        top.addWidget(self.link_label)
        top.addWidget(self.count_label)
        self.top_bar = top
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self._settings: QSettings | None = None
        self.group_combo: QComboBox | None = None
        if groupings:
            self._build_grouping(groupings, total_columns)
        self.totals: ShownTotals | None = None
        self.footer: TotalsFooter | None = None
        if total_columns:
            self.totals = ShownTotals(self.proxy, total_columns, self)
            self.footer = TotalsFooter(self.totals, model, self.active_view, self.active_header)
            self.footer.setObjectName(f"{name}Totals")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.stack)
        if self.footer is not None:
            layout.addWidget(self.footer)
        self._update_count()

    # -- what is on screen ------------------------------------------------------------
    def _watch_visible_rows(self) -> None:
        model = self.model
        self._viewer = model.add_viewer()
        self.destroyed.connect(partial(model.remove_viewer, self._viewer))  # a position window closed
        self._visible_timer = QTimer(self)
        self._visible_timer.setSingleShot(True)
        self._visible_timer.setInterval(0)
        self._visible_timer.timeout.connect(self.report_visible_rows)
        bar = self.table.verticalScrollBar()
        bar.valueChanged.connect(self.report_visible_rows)
        bar.rangeChanged.connect(self._visible_rows_moved)
        for source in (model, self.proxy):
            for signal in (source.rowsInserted, source.rowsRemoved, source.rowsMoved, source.layoutChanged,
                           source.modelReset):
                signal.connect(self._visible_rows_moved)
        self._viewport = self.table.viewport()
        self._viewport.installEventFilter(self)  # its size is what is seen (scroll bars come and go)
        self.report_visible_rows()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._viewport:
            kind = event.type()
            if kind in (QEvent.Type.Show, QEvent.Type.Hide):
                self.report_visible_rows()
            elif kind == QEvent.Type.Resize:  # the viewport follows after this event: report after it
                self._visible_rows_moved()
        return False

    def _visible_rows_moved(self, *_: Any) -> None:
        # After the views and headers have taken the change in: report on the next turn of the loop.
        if not self._visible_timer.isActive():
            self._visible_timer.start()

    def report_visible_rows(self, *_: Any) -> None:
        """Tell the model which of its rows the table paints now."""
        if self.grouped is not None and self.grouping is not None:
            self.model.set_visible_keys(self._viewer, None)  # the tree paints rows by key
            return
        table = self.table
        shown = table.model()
        top = table.rowAt(0) if table.isVisible() else -1
        if top < 0:
            self.model.set_visible_keys(self._viewer, ())
            return
        bottom = table.rowAt(table.viewport().height() - 1)
        if bottom < 0:
            bottom = shown.rowCount() - 1
        if shown is self.model:
            keys = [self.model.key_at(row) for row in range(top, bottom + 1)]
        else:
            keys = [self.proxy.key_at(row) for row in range(top, bottom + 1)]
        self.model.set_visible_keys(self._viewer, keys)

    # -- grouping -----------------------------------------------------------------------
    def _build_grouping(self, groupings: Sequence[str], total_columns: Sequence[str]) -> None:
        self.grouped = GroupedTree(GroupingProxy(self.proxy, total_columns, self), self.table, self._view_row_of)
        tree = self.grouped.tree
        tree.doubleClicked.connect(self._activated)
        tree.activated.connect(self._activated)
        tree.customContextMenuRequested.connect(self._row_menu)
        tree.header().customContextMenuRequested.connect(self._header_menu)
        self.stack.addWidget(tree)
        combo = self.group_combo = QComboBox()
        combo.setObjectName(f"{self.name}GroupBy")
        combo.setToolTip("Group rows (collapsible, with subtotals)")
        combo.addItem("None", None)
        for key in groupings:
            combo.addItem(key.capitalize(), key)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        combo.currentIndexChanged.connect(lambda _i: self.set_grouping(combo.currentData()))
        label = QLabel("Group by:")
        label.setBuddy(combo)
        self.top_bar.insertWidget(1, label)
        self.top_bar.insertWidget(2, combo)

    @property
    def grouping(self) -> str | None:
        return self.grouped.grouped.grouping if self.grouped is not None else None

    def set_grouping(self, grouping: str | None) -> None:
        """Show the rows grouped by the column ``grouping`` (one of the blotter's groupings), or flat (None)."""
        if self.grouped is None or self.group_combo is None or grouping == self.grouping:
            return
        index = self.group_combo.findData(grouping)
        if index < 0:
            raise ValueError(f"{self.name} cannot be grouped by {grouping!r}")
        if self.group_combo.currentIndex() != index:
            self.group_combo.setCurrentIndex(index)  # comes back here through currentIndexChanged
            return
        if grouping is None:
            self.grouped.leave()
            self.stack.setCurrentWidget(self.table)
        else:
            if self.grouping is not None:
                self.grouped.leave()
            self.grouped.enter(grouping)
            self.stack.setCurrentWidget(self.grouped.tree)
            self.grouped.mirror_table_selection(scroll=True)
        if self.footer is not None:
            self.footer.watch_view()
        self.report_visible_rows()
        if self._settings is not None:
            self._settings.setValue(f"blotters/{self.name}/groupBy", grouping or "")

    def active_view(self) -> QAbstractItemView:
        """The item view shown now: the table, or the grouped tree."""
        return self.grouped.tree if self.grouped is not None and self.grouping is not None else self.table

    def active_header(self) -> QHeaderView:
        view = self.active_view()
        return view.header() if isinstance(view, QTreeView) else self.table.horizontalHeader()

    def _sync_tree_header(self) -> None:
        if self.grouped is not None and self.grouping is not None:
            copy_header(self.table.horizontalHeader(), self.grouped.tree.header())

    # -- columns --------------------------------------------------------------
    @property
    def column_keys(self) -> list[str]:
        return [c.key for c in self.model.columns]

    def apply_default_columns(self) -> None:
        header = self.table.horizontalHeader()
        for i, column in enumerate(self.model.columns):
            if header.visualIndex(i) != i:
                header.moveSection(header.visualIndex(i), i)
            header.setSectionHidden(i, not column.visible)
            self.table.setColumnWidth(i, max(58, 8 * len(column.header) + 28))
        self._sync_tree_header()

    def save_header_state(self, settings: QSettings) -> None:
        if self.grouped is not None and self.grouping is not None:
            copy_header(self.grouped.tree.header(), self.table.horizontalHeader())  # the tree's widths are current
        save_header(settings, self.name, self.table.horizontalHeader(), self.column_keys)
        if self.grouped is not None:
            settings.setValue(f"blotters/{self.name}/groupBy", self.grouping or "")

    def restore_header_state(self, settings: QSettings) -> bool:
        """Restore columns (and the grouping); the grouping is saved to ``settings`` whenever it changes."""
        restored = restore_header(settings, self.name, self.table.horizontalHeader(), self.column_keys)
        if restored:
            self._fitted = True  # the user's widths win over auto-fit
            self._sync_tree_header()
        if self.group_combo is not None:
            saved = str(settings.value(f"blotters/{self.name}/groupBy", "") or "")
            if self.group_combo.findData(saved) >= 0:
                self.set_grouping(saved)
            self._settings = settings
        return restored

    def set_column_visible(self, key: str, visible: bool) -> None:
        self.table.horizontalHeader().setSectionHidden(self.model.column_index(key), not visible)
        if self.grouped is not None and self.grouping is not None:
            self.grouped.tree.header().setSectionHidden(self.model.column_index(key), not visible)

    def is_column_visible(self, key: str) -> bool:
        return not self.active_header().isSectionHidden(self.model.column_index(key))

    def _fit_columns_once(self) -> None:
        if self._fitted:
            return
        self._fitted = True
        self.fit_columns()

    def fit_columns(self) -> None:
        # Size from the first rows only: measuring every cell of a 10,000-row blotter stalls the GUI.
        view, header = self.active_view(), self.active_header()  # the grouped tree while grouped
        header.setResizeContentsPrecision(FIT_SAMPLE_ROWS)
        for i in range(header.count()):
            if isinstance(view, QTreeView | QTableView):
                view.resizeColumnToContents(i)
            header.resizeSection(i, min(max(header.sectionSize(i) + 14, 44), 360))

    # -- rows ---------------------------------------------------------------------
    def add_row_action(self, action_id: str, label: str) -> None:
        """Offer ``label`` in the row context menu; choosing it emits ``sig_row_action``."""
        self._row_actions.append((action_id, label))

    def current_key(self) -> Hashable | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(index.row(), QModelIndex()):
            return None
        return index.data(KEY_ROLE)

    def selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.table.selectionModel().selectedRows()})

    def select_key(self, key: Hashable) -> bool:
        row = self._view_row_of(key)
        if row is None:
            return False
        # One call that selects the row and makes it current: two steps (selectRow, then
        # setCurrentIndex) let slots of the first re-sort the proxy under the second.
        index = self.table.model().index(row, 0)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index)
        return True

    def set_link(self, description: str | None, predicate: Any = None) -> None:
        """Linked selection: show only rows matching ``predicate`` (None: all rows)."""
        self.proxy.set_predicate("link", predicate)
        self.link_label.setText(description or "")
        self.link_label.setVisible(bool(description))

    def focus_filter(self) -> None:
        self.filter.setFocus()
        self.filter.selectAll()

    def copy_selection(self) -> str:
        rows = self.selected_rows()
        text = to_tsv(table_rows(self.table.model(), self.table.horizontalHeader(), rows)) if rows else ""
        clipboard = QApplication.clipboard()
        if text and clipboard is not None:
            clipboard.setText(text)
        return text

    def export_csv(self, path: Path) -> int:
        """Write every row the blotter shows (filtered, sorted) to ``path``; returns the row count."""
        rows = list(range(self.table.model().rowCount()))
        write_csv(path, table_rows(self.table.model(), self.table.horizontalHeader(), rows))
        return len(rows)

    def _ask_export(self) -> None:
        dialog = QFileDialog(self, f"Export {self.name} as CSV", f"{self.name}.csv", "CSV files (*.csv)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda path: self.export_csv(Path(path)))
        dialog.open()  # non-modal: never a nested event loop under qasync

    # -- which model the table shows --------------------------------------------------
    def _wanted_model(self) -> QAbstractItemModel:
        return self.model if self.proxy.passthrough else self.proxy

    def _view_row_of(self, key: Hashable) -> int | None:
        if self.table.model() is self.proxy:
            return self.proxy.row_of_key(key)
        return self.model.row_of(key)

    def _connect_selection(self) -> None:
        selection = self.table.selectionModel()
        selection.currentRowChanged.connect(self._current_row_changed)
        selection.selectionChanged.connect(self._selection_changed)

    def _sort_indicator_changed(self, column: int, order: Qt.SortOrder) -> None:
        if self.table.model() is not self.proxy and (column, order) != (self.proxy.sortColumn(), self.proxy.sortOrder()):
            self.proxy.sort(column, order)  # flips pass-through off: _show_wanted_model shows the proxy

    def _show_wanted_model(self, *_: Any) -> None:
        """Swap the table between the model and the proxy, keeping selection, current row and scroll.

        The selection model object stays the same (re-pointed at the new model), so connections
        others made to ``table.selectionModel()`` survive the swap."""
        wanted = self._wanted_model()
        if self.table.model() is wanted:
            return
        selection = self.table.selectionModel()
        before = self.current_key()
        selected = [i.data(KEY_ROLE) for i in selection.selectedRows()]
        current = selection.currentIndex()
        current_key, current_col = (current.data(KEY_ROLE), current.column()) if current.isValid() else (None, 0)
        scroll = self.table.verticalScrollBar().value(), self.table.horizontalScrollBar().value()
        selection.currentRowChanged.disconnect(self._current_row_changed)
        selection.selectionChanged.disconnect(self._selection_changed)
        self.table.setModel(wanted)  # same columns: the header keeps widths, order, hidden sections
        created = self.table.selectionModel()
        selection.setModel(wanted)
        self.table.setSelectionModel(selection)
        created.deleteLater()
        last_col = wanted.columnCount() - 1
        rows = QItemSelection()
        for key in selected:
            row = self._view_row_of(key)
            if row is not None:
                rows.select(wanted.index(row, 0), wanted.index(row, last_col))
        if not rows.isEmpty():
            selection.select(rows, QItemSelectionModel.SelectionFlag.Select)
        row = self._view_row_of(current_key) if current_key is not None else None
        if row is not None:
            selection.setCurrentIndex(wanted.index(row, current_col), QItemSelectionModel.SelectionFlag.NoUpdate)
        self._connect_selection()
        self.table.verticalScrollBar().setValue(scroll[0])
        self.table.horizontalScrollBar().setValue(scroll[1])
        self.report_visible_rows()
        after = self.current_key()
        if after != before:
            self.sig_current_changed.emit(after)

    # -- slots ---------------------------------------------------------------------
    def _add_shortcut(self, name: str, keys: QKeySequence | QKeySequence.StandardKey, slot: Any) -> None:
        action = QAction(name, self)
        action.setObjectName(f"{self.name}{name}Action")
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.addAction(action)

    def _activated(self, index: QModelIndex) -> None:
        key = index.data(KEY_ROLE) if index.isValid() else None
        if key is not None:
            self.sig_row_activated.emit(key)

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.sig_current_changed.emit(current.data(KEY_ROLE) if current.isValid() else None)

    def _selection_changed(self, *_: Any) -> None:
        if not self.table.selectionModel().hasSelection():
            self.sig_current_changed.emit(None)

    def _update_count(self, *_: Any) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count_label.setText(f"{shown:,}" if shown == total else f"{shown:,} / {total:,}")

    def _row_menu(self, pos: QPoint) -> None:
        view = self.active_view()
        index = view.indexAt(pos)
        key = index.data(KEY_ROLE) if index.isValid() else None
        menu = QMenu(self)
        copy = menu.addAction("Copy rows")
        copy.setEnabled(bool(self.selected_rows()))
        copy.triggered.connect(self.copy_selection)
        menu.addAction("Export CSV…").triggered.connect(self._ask_export)
        if self._row_actions and key is not None:
            menu.addSeparator()
            for action_id, label in self._row_actions:
                menu.addAction(label).triggered.connect(
                    lambda _=False, a=action_id, k=key: self.sig_row_action.emit(a, k))
        menu.addSeparator()
        menu.addAction("Fit columns").triggered.connect(self.fit_columns)
        menu.popup(view.viewport().mapToGlobal(pos))

    def _header_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        for column in self.model.columns:
            action = menu.addAction(column.header)
            action.setCheckable(True)
            action.setChecked(self.is_column_visible(column.key))
            action.toggled.connect(lambda on, k=column.key: self.set_column_visible(k, on))
        menu.addSeparator()
        menu.addAction("Reset columns").triggered.connect(self.apply_default_columns)
        menu.addAction("Fit columns").triggered.connect(self.fit_columns)
        menu.popup(self.active_header().mapToGlobal(pos))


def make_dock(title: str, object_name: str, widget: QWidget) -> QDockWidget:
    """Docks get stable ASCII object names so saved layouts survive upgrades and translations."""
    dock = QDockWidget(title)
    dock.setObjectName(object_name)
    dock.setWidget(widget)
    dock.setFeatures(
        QDockWidget.DockWidgetFeature.DockWidgetMovable
        | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        | QDockWidget.DockWidgetFeature.DockWidgetClosable
    )
    return dock
