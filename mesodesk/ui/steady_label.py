"""A label for text that changes often (counters, clocks, live numbers) without re-laying out the window.

A plain ``QLabel.setText`` asks its parent layout for a new geometry on every change; in a
status bar or a dock that invalidates the main window's layout and lays out every dock again,
several times a second while data streams. A :class:`SteadyLabel` ignores unchanged text and
keeps a fixed size that only grows (to the widest text shown so far), so a new value only
repaints the label itself (Qt does not propagate ``updateGeometry`` from a fixed-size widget).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class SteadyLabel(QLabel):
    """A ``QLabel`` whose size only grows, and which ignores a ``setText`` of the same text."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style = ""
        if text:
            self.setText(text)

    def setText(self, text: str) -> None:
        if text == self.text():
            return
        super().setText(text)
        hint = super().sizeHint()
        width, height = max(hint.width(), self.minimumWidth()), hint.height()
        if self.minimumWidth() != self.maximumWidth() or width > self.maximumWidth() or height != self.maximumHeight():
            self.setFixedSize(width, height)

    def set_style(self, style_sheet: str) -> None:
        """``setStyleSheet`` only when it changes (re-polishing a widget is not free)."""
        if style_sheet != self._style:
            self._style = style_sheet
            self.setStyleSheet(style_sheet)


class LineLabel(QWidget):
    """One line of text as wide as its layout gives it, whose changes never re-lay out the window.

    The text lives in a child ``QLabel`` placed by hand (this widget has no layout), so the
    child's ``updateGeometry`` stops here; this widget's own size hint is one line high and
    never changes. Text wider than the space is clipped (plain text: elided, full text in
    the tooltip). For live readouts and titles that change several times a second.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None, *, rich: bool = False) -> None:
        super().__init__(parent)
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
        self._rich = rich
        self._full = ""
        height = self.label.fontMetrics().height() + 6
        self.setFixedHeight(height)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(40)
        self.setText(text)

    def sizeHint(self) -> QSize:
        return QSize(200, self.height())

    def text(self) -> str:
        return self._full

    def setText(self, text: str) -> None:
        if text == self._full:
            return
        self._full = text
        self._show()

    def _show(self) -> None:
        if self._rich:
            self.label.setText(self._full)
        else:
            width = max(0, self.width() - 4)
            self.label.setText(self.label.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, width))
            self.setToolTip(self._full if self.label.text() != self._full else "")

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.label.setGeometry(0, 0, self.width(), self.height())
        self._show()
        super().resizeEvent(event)
