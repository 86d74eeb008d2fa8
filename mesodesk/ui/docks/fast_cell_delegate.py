"""Paints a blotter's plain cells at a fraction of the style's cost.

The style draws each cell's text through a fresh ``QTextLayout`` (about two thirds of a
ticking cell's paint). A plain cell — not selected, not the focus cell, enabled, text that
fits — is drawn here instead, the same way the style draws it: the alternate row colour, the
flash tint over it, then the text with the style's margins and alignment, from a cached
``QStaticText`` per text (prices repeat) and the model's display cache in one Python call
(:meth:`KeyedTableModel.cell_look`). Any other cell goes to ``QStyledItemDelegate``.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractProxyModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPalette, QStaticText, QTransform
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from mesodesk.ui.models.keyed_table_model import KeyedTableModel

Index = QModelIndex | QPersistentModelIndex

#: cached texts per font; cleared when full (a day of ticking prices fits many times over)
CACHE_LIMIT = 20_000

# Flags as ints: Python enum arithmetic costs microseconds per cell.
_SELECTED_OR_FOCUS = QStyle.StateFlag.State_Selected.value | QStyle.StateFlag.State_HasFocus.value
_ENABLED = QStyle.StateFlag.State_Enabled.value
_ACTIVE = QStyle.StateFlag.State_Active.value
_ALTERNATE = QStyleOptionViewItem.ViewItemFeature.Alternate.value
_RIGHT = Qt.AlignmentFlag.AlignRight.value
_H_CENTER = Qt.AlignmentFlag.AlignHCenter.value
_ACTIVE_GROUP, _INACTIVE_GROUP = QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive
_ALTERNATE_BASE, _TEXT = QPalette.ColorRole.AlternateBase, QPalette.ColorRole.Text
_LOOK_CHANGES = frozenset({QEvent.Type.FontChange, QEvent.Type.PaletteChange, QEvent.Type.StyleChange})


class FastCellDelegate(QStyledItemDelegate):
    def __init__(self, model: KeyedTableModel, view: QWidget) -> None:
        super().__init__(view)
        self.model = model
        self.view = view
        self._texts: dict[str, QStaticText] = {}
        self._looks: tuple[QFont, int, tuple[QBrush, QBrush], tuple[QColor, QColor]] | None = None
        view.installEventFilter(self)
        self.fast_cells = 0  # cells painted here (tests, benchmark)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _LOOK_CHANGES:  # the view's font, palette or style: measure and cache anew
            self._looks, self._texts = None, {}
        return False

    def _view_looks(self) -> tuple[QFont, int, tuple[QBrush, QBrush], tuple[QColor, QColor]]:
        """The view's font, the style's text margin, alternate-row brushes and text colours (active, inactive)."""
        view = self.view
        palette = view.palette()
        margin = view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1
        self._looks = (view.font(), margin,
                       (palette.brush(_ACTIVE_GROUP, _ALTERNATE_BASE), palette.brush(_INACTIVE_GROUP, _ALTERNATE_BASE)),
                       (palette.color(_ACTIVE_GROUP, _TEXT), palette.color(_INACTIVE_GROUP, _TEXT)))
        return self._looks

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        state = option.state.value
        if state & _SELECTED_OR_FOCUS or not state & _ENABLED:
            super().paint(painter, option, index)
            return
        shown = index.model()
        if shown is not self.model:
            if not isinstance(shown, QAbstractProxyModel):
                super().paint(painter, option, index)
                return
            index = shown.mapToSource(index)
        look = self.model.cell_look(index.row(), index.column())
        if look is None:
            super().paint(painter, option, index)
            return
        text, alignment, foreground, background = look
        font, margin, alternate, text_colors = self._looks or self._view_looks()
        static = self._static(text, font) if text else None
        rect = option.rect
        if static is not None and static.size().width() > rect.width() - 2 * margin:
            super().paint(painter, option, index)  # it must be elided: the style does that
            return
        inactive = not state & _ACTIVE
        if option.features.value & _ALTERNATE:
            painter.fillRect(rect, alternate[inactive])
        if background is not None:
            painter.fillRect(rect, background)
        self.fast_cells += 1
        if static is None:
            return
        size = static.size()
        if alignment & _RIGHT:
            x = rect.right() + 1 - margin - size.width()
        elif alignment & _H_CENTER:
            x = rect.left() + (rect.width() - size.width()) / 2
        else:
            x = rect.left() + margin
        painter.setPen(foreground if foreground is not None else text_colors[inactive])
        painter.setFont(font)
        painter.drawStaticText(QPointF(x, round(rect.top() + (rect.height() - size.height()) / 2)), static)

    def _static(self, text: str, font: QFont) -> QStaticText:
        static = self._texts.get(text)
        if static is None:
            if len(self._texts) >= CACHE_LIMIT:
                self._texts.clear()
            static = QStaticText(text)
            static.setTextFormat(Qt.TextFormat.PlainText)
            static.setPerformanceHint(QStaticText.PerformanceHint.AggressiveCaching)
            static.prepare(QTransform(), font)
            self._texts[text] = static
        return static
