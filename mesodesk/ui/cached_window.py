"""The instant window: the last session's window, painted from its cache before the heavy imports.

:class:`CachedWindow` shows what :func:`capture_window` kept of the last session of this world
(:mod:`mesodesk.core.session_cache`): the window where it was, each panel at its place, the
blotters' visible columns and the rows that were on screen, greyed as stale data is. The app
shows it before it imports the SDK, pydantic and aiohttp, and replaces it with the live window
once it is built: laid over the live window's panels (:meth:`CachedWindow.cover`), so the live
window lays itself out and connects underneath, until live rows are painted
(:mod:`mesodesk.app_controller`).

Imports Qt and the theme only: nothing here may pull in the SDK or the wire contract.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QFrame,
    QHeaderView,
    QLabel,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mesodesk import __version__
from mesodesk.core.session_cache import MAX_ROWS, CachedBlotter, CachedColumn, CachedPanel, SessionCache
from mesodesk.ui.theme import colors, table_font

#: modules the instant window must be painted without (the probe reports which were loaded)
HEAVY_MODULES = ("mesodesk.sdk", "mesodesk.contract", "pydantic", "aiohttp", "pysignalr")
STATUS_HEIGHT = 22
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class _BlotterView(Protocol):
    table: QTableView


class CachedWindow(QWidget):
    """The last session's window, read-only and stale. Closing it ends the start-up; once it
    covers the live window (:meth:`cover`) it is a part of that window."""

    sig_closed = Signal()

    def __init__(self, cache: SessionCache) -> None:
        super().__init__()
        self.cache = cache
        self.setObjectName("cachedWindow")
        self.setWindowTitle(f"mesodesk {__version__} — last session, connecting…")
        x, y, width, height = cache.geometry
        self.setGeometry(x, y, width, height)
        self.tables: dict[str, QTableWidget] = {}
        self.frames = [self._frame(panel) for panel in cache.panels]
        for blotter in cache.blotters:
            self.frames.append(frame := self._frame(blotter.panel))
            self.tables[blotter.panel.key] = self._table(frame, blotter)
        saved = _local_time(cache.saved_at)
        self.status = QLabel(f"Last session{' at ' + saved if saved else ''}: connecting…", self)
        self.status.setObjectName("cachedStatus")
        self.status.setGeometry(6, height - STATUS_HEIGHT, width - 12, STATUS_HEIGHT)
        self.status.setStyleSheet(f"color: {colors().stale.name()}")

    def cover(self, window: QWidget, bottom: int) -> None:
        """Lie over ``window``'s panels, from the top of the first panel down to ``bottom`` (its
        status bar): its menus and toolbar stay usable and its status bar says how connecting goes."""
        top = min((frame.y() for frame in self.frames), default=0)
        self.setParent(window)  # hides it
        self.setAutoFillBackground(True)  # the live window's empty panels do not show through
        self.status.hide()
        for frame in self.frames:
            frame.move(frame.x(), frame.y() - top)
        self.setGeometry(0, top, window.width(), max(0, bottom - top))
        self.show()
        self.raise_()

    def _frame(self, panel: CachedPanel) -> QFrame:
        frame = QFrame(self)
        frame.setObjectName(f"{panel.key}Cached")
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        frame.setAutoFillBackground(True)
        frame.setGeometry(QRect(*panel.rect))
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(QLabel(panel.title, frame))
        return frame

    def _table(self, frame: QFrame, blotter: CachedBlotter) -> QTableWidget:
        table = QTableWidget(len(blotter.rows), len(blotter.columns), frame)
        table.setObjectName(f"{blotter.panel.key}CachedTable")
        table.setFont(table_font())
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(self.cache.row_height)
        header = table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setDefaultAlignment(_LEFT)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        table.setHorizontalHeaderLabels([column.title for column in blotter.columns])
        stale = colors().stale
        for col, column in enumerate(blotter.columns):
            header.resizeSection(col, column.width)
            align = _RIGHT if column.right else _LEFT
            for row, values in enumerate(blotter.rows):
                item = QTableWidgetItem(values[col])
                item.setForeground(stale)
                item.setTextAlignment(align)
                table.setItem(row, col, item)
        layout = frame.layout()
        assert layout is not None
        layout.addWidget(table)
        return table

    def shown_rows(self) -> dict[str, list[list[str]]]:
        """Every blotter's rows as painted (text of each cell)."""
        shown: dict[str, list[list[str]]] = {}
        for key, table in self.tables.items():
            shown[key] = [[_cell_text(table.item(row, col)) for col in range(table.columnCount())]
                          for row in range(table.rowCount())]
        return shown

    def all_stale(self) -> bool:
        """Every painted cell wears the stale colour."""
        stale = colors().stale
        return all(table.item(row, col) is None or table.item(row, col).foreground().color() == stale
                   for table in self.tables.values()
                   for row in range(table.rowCount()) for col in range(table.columnCount()))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.sig_closed.emit()
        super().closeEvent(event)


def _cell_text(item: QTableWidgetItem | None) -> str:
    return "" if item is None else item.text()


def _local_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return ""


# -- capture (from the live window) --------------------------------------------------------------
def _rect_in(window: QWidget, widget: QWidget) -> tuple[int, int, int, int]:
    top_left = widget.mapTo(window, QPoint(0, 0))
    return top_left.x(), top_left.y(), widget.width(), widget.height()




def _capture_blotter(window: QWidget, key: str, dock: QDockWidget, table: QTableView) -> CachedBlotter:
    """The visible columns in screen order and the rows on screen, as their display text."""
    model, header = table.model(), table.horizontalHeader()
    logical = [header.logicalIndex(visual) for visual in range(header.count())]
    logical = [col for col in logical if not header.isSectionHidden(col)][:64]
    total = model.rowCount()
    rows: list[tuple[str, ...]] = []
    if table.isVisible() and total:
        first = max(0, table.rowAt(0))
        last = table.rowAt(table.viewport().height() - 1)
        last = total - 1 if last < 0 else last
        for row in range(first, min(last + 1, first + MAX_ROWS)):
            rows.append(tuple(_text(model.index(row, col).data()) for col in logical))
    columns = []
    for col in logical:
        align = model.index(0, col).data(Qt.ItemDataRole.TextAlignmentRole) if total else None
        right = align is not None and bool(int(_flag(align)) & int(Qt.AlignmentFlag.AlignRight))
        columns.append(CachedColumn(_text(model.headerData(col, Qt.Orientation.Horizontal)), header.sectionSize(col),
                                    right))
    panel = CachedPanel(key, dock.windowTitle(), _rect_in(window, dock))
    return CachedBlotter(panel, tuple(columns), tuple(rows), total)


def _flag(value: object) -> int:
    return int(getattr(value, "value", value))  # type: ignore[call-overload]


def _text(value: object) -> str:
    return "" if value is None else str(value)


def capture_window(window: QWidget, world: str, docks: Mapping[str, QDockWidget],
                   views: Mapping[str, _BlotterView]) -> SessionCache:
    """What the live window shows now, for the next start: cheap (the rows on screen only)."""
    from mesodesk.ui.layouts import in_front  # the live window's module: not on the first paint's path

    blotters: list[CachedBlotter] = []
    panels: list[CachedPanel] = []
    for key, dock in docks.items():
        if dock.isFloating() or not in_front(dock):
            continue
        view = views.get(key)
        if view is None:
            panels.append(CachedPanel(key, dock.windowTitle(), _rect_in(window, dock)))
        else:
            blotters.append(_capture_blotter(window, key, dock, view.table))
    row_height = next((v.table.verticalHeader().defaultSectionSize() for v in views.values()), 20)
    geometry = window.geometry()
    return SessionCache(world, datetime.now(UTC).isoformat(timespec="seconds"),
                        (geometry.x(), geometry.y(), geometry.width(), geometry.height()),
                        tuple(blotters), tuple(panels), row_height)


# -- the test probe --------------------------------------------------------------------------------
PROBE_ENV = "MESODESK_FIRST_PAINT_PROBE"


def write_first_paint_probe(path: str, window: CachedWindow | None, loaded: Iterable[str] = HEAVY_MODULES) -> None:
    """For tests: which heavy modules were loaded when the instant window was painted, and what it
    showed (``$MESODESK_FIRST_PAINT_PROBE`` names the file)."""
    report = {
        "loaded": sorted(name for name in loaded if name in sys.modules),
        "rows": window.shown_rows() if window is not None else {},
        "stale": window.all_stale() if window is not None else None,
        "visible": window is not None and window.isVisible(),
    }
    Path(path).write_text(json.dumps(report), encoding="utf-8")
