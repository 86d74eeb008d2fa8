"""The blotter's table view: a changed range repaints exactly its cells.

``QTableView`` turns a multi-cell ``dataChanged`` into an update rectangle one pixel taller
than its rows, so every signalled row also repaints the row under it: half of a ticking
blotter's painting. This view updates the range's own rectangle instead (the union of its
visible columns: moved or hidden columns cost at most the cells between them). With
accessibility active, Qt's own handling runs as well, so screen readers hear of the change.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QTableView

Index = QModelIndex | QPersistentModelIndex


class BlotterTable(QTableView):
    def dataChanged(self, top_left: Index, bottom_right: Index, roles: Sequence[int] = ()) -> None:
        if QAccessible.isActive() or not top_left.isValid() or not bottom_right.isValid():
            super().dataChanged(top_left, bottom_right, list(roles))
            return
        if not self.isVisible():
            return
        span = self._columns_span(top_left.column(), bottom_right.column())
        if span is None:  # every column of the range is hidden
            return
        top = self.rowViewportPosition(top_left.row())
        bottom_row = bottom_right.row()
        bottom = self.rowViewportPosition(bottom_row) + self.rowHeight(bottom_row)
        self.viewport().update(QRect(span[0], top, span[1] - span[0], bottom - top))

    def _columns_span(self, first: int, last: int) -> tuple[int, int] | None:
        """Viewport x from the left edge of the range's leftmost shown column to the right edge of its rightmost."""
        header = self.horizontalHeader()
        if not header.sectionsMoved() and not header.hiddenSectionCount():
            return self.columnViewportPosition(first), self.columnViewportPosition(last) + self.columnWidth(last)
        lefts, rights = [], []
        for column in range(first, last + 1):
            if not header.isSectionHidden(column):
                left = self.columnViewportPosition(column)
                lefts.append(left)
                rights.append(left + self.columnWidth(column))
        return (min(lefts), max(rights)) if lefts else None
