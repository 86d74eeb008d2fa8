"""The totals row pinned under a blotter: bold, never sorted or filtered away.

A footer widget, not a row of the model: it paints each total at the position the
view's header gives its column *at paint time* (``sectionViewportPosition``), so it
follows column resize, move, hide and horizontal scroll without copying any state,
and whichever view (table or grouped tree) is shown. Totals are formatted by the
column's own formatter (:mod:`mesodesk.core.formatting`), coloured by sign like the cells.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QFont, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QSizePolicy, QWidget

from mesodesk.ui.models.keyed_table_model import KeyedTableModel
from mesodesk.ui.models.totals import ShownTotals
from mesodesk.ui.theme import colors, table_font

CELL_PADDING = 4
LABEL = "Total"


class TotalsFooter(QWidget):
    def __init__(self, totals: ShownTotals, model: KeyedTableModel, view: Callable[[], QAbstractItemView],
                 header: Callable[[], QHeaderView], parent: QWidget | None = None) -> None:
        """``view``/``header``: the item view shown now and its horizontal header (they change when grouping)."""
        super().__init__(parent)
        self.totals = totals
        self.model = model
        self._view = view
        self._header = header
        self._watched: tuple[QHeaderView, Any] | None = None
        font = QFont(table_font())
        font.setBold(True)
        self.setFont(font)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setAutoFillBackground(False)
        totals.changed.connect(self._totals_changed)
        self.watch_view()

    def sizeHint(self) -> QSize:
        return QSize(100, self.fontMetrics().height() + 6)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    # -- what it shows ------------------------------------------------------------------
    def texts(self) -> dict[str, str]:
        """Column key -> the total as painted."""
        columns = self.model.columns
        return {key: columns[self.model.column_index(key)].fmt(self.totals.value(key)) for key in self.totals.column_keys}

    def label_column(self) -> int | None:
        """Logical index of the first visible column (in visual order) that holds no total: "Total" goes there."""
        header = self._header()
        summed = {self.model.column_index(k) for k in self.totals.column_keys}
        for visual in range(header.count()):
            logical = header.logicalIndex(visual)
            if not header.isSectionHidden(logical) and logical not in summed:
                return logical
        return None

    def _totals_changed(self) -> None:
        self.setToolTip(f"Totals of the {self.totals.rows:,} rows shown")
        self.update()

    # -- geometry follows the header --------------------------------------------------
    def watch_view(self) -> None:
        """(Re)connect to the shown view's header and scroll bar (call after switching views)."""
        if self._watched is not None:
            old_header, old_bar = self._watched
            for signal in (old_header.sectionResized, old_header.sectionMoved, old_header.geometriesChanged,
                           old_header.sectionCountChanged, old_bar.valueChanged):
                signal.disconnect(self.update)
        header, bar = self._header(), self._view().horizontalScrollBar()
        for signal in (header.sectionResized, header.sectionMoved, header.geometriesChanged,
                       header.sectionCountChanged, bar.valueChanged):
            signal.connect(self.update)
        self._watched = (header, bar)
        self.update()

    def cells(self) -> list[tuple[int, str, QRect]]:
        """(logical column, text, rectangle in this widget) of each total shown, and of the label."""
        header = self._header()
        origin = self.mapFromGlobal(header.viewport().mapToGlobal(QPoint(0, 0))).x()
        texts = [(self.model.column_index(key), text) for key, text in self.texts().items()]
        label = self.label_column()
        if label is not None:
            texts.append((label, LABEL))
        cells = []
        for logical, text in texts:
            if header.isSectionHidden(logical):
                continue
            x = origin + header.sectionViewportPosition(logical)
            cells.append((logical, text, QRect(x, 0, header.sectionSize(logical), self.height())))
        return cells

    def paintEvent(self, event: QPaintEvent) -> None:
        header = self._header()
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Button))
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.drawLine(0, 0, self.width(), 0)
        viewport = header.viewport()
        origin = self.mapFromGlobal(viewport.mapToGlobal(QPoint(0, 0))).x()
        painter.setClipRect(QRect(origin, 0, viewport.width(), self.height()))
        text_color = palette.color(QPalette.ColorRole.ButtonText)
        theme = colors()
        metrics = self.fontMetrics()
        for logical, text, cell in self.cells():
            column = self.model.columns[logical]
            value = self.totals.value(column.key)  # None in the label's column
            color = text_color
            if column.signed_color and value:
                color = theme.positive if value > 0 else theme.negative
            rect = cell.adjusted(CELL_PADDING, 0, -CELL_PADDING, 0)
            painter.setPen(color)
            painter.drawText(rect, int(column.alignment),
                             metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(0, rect.width())))
        painter.end()
