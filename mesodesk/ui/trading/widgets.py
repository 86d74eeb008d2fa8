"""Small shared widgets of the trading windows: price field, banners, badges, style."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QLineEdit, QTableWidgetItem, QWidget

from mesodesk.ui.theme import colors

STYLE = """
QFrame#lineCard, QFrame#confirmPanel, QFrame#progressBox {
    border: 1px solid palette(mid); border-radius: 6px; background: palette(alternate-base);
}
QLabel[role="title"] { font-size: 15px; font-weight: 600; }
QLabel[role="subtitle"] { color: palette(placeholder-text); }
QLabel[role="section"] { font-weight: 600; margin-top: 6px; }
QLabel[role="hint"] { color: palette(placeholder-text); font-size: 11px; }
QLabel[role="fieldError"] { color: #ff6b6b; font-size: 11px; }
QLineEdit[invalid="true"] { border: 1px solid #ff5c5c; border-radius: 3px; }
QPushButton[role="primary"] { font-weight: 600; padding: 5px 16px; background: #2f6fb3; color: white;
    border: 1px solid #3b82c4; border-radius: 4px; }
QPushButton[role="primary"]:hover { background: #3b7fc6; }
QPushButton[role="primary"]:disabled { background: palette(button); color: palette(placeholder-text);
    border-color: palette(mid); }
QPushButton[role="quick"] { padding: 2px 6px; min-width: 74px; }
QLabel#conventionNote { padding: 4px 8px; border-radius: 4px; background: palette(base); }
"""


def label(text: str = "", role: str | None = None, name: str | None = None) -> QLabel:
    w = QLabel(text)
    if role:
        w.setProperty("role", role)
    if name:
        w.setObjectName(name)
    return w


class Banner(QLabel):
    """A coloured status strip: ``info`` / ``ok`` / ``warn`` / ``error``."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.level = "info"
        self.hide()

    def show_message(self, text: str, level: str = "info") -> None:
        c = colors()
        tint = {"ok": c.state_ok, "warn": c.state_warn, "error": c.state_bad}.get(level, c.muted)
        self.level = level
        self.setStyleSheet(f"QLabel {{ border-left: 4px solid {tint}; padding: 6px 10px; border-radius: 3px;"
                           f" background: palette(base); color: palette(text); }}")
        self.setText(text)
        self.setVisible(bool(text))

    def clear_message(self) -> None:
        self.setText("")
        self.hide()


def state_color(state: str | None) -> str:
    c = colors()
    if state in ("Filled",):
        return c.state_ok
    if state in ("Rejected", "Cancelled", "Expired"):
        return c.state_bad
    if state in ("Working", "PartiallyFilled", "Submitted", "PendingSubmit"):
        return c.state_warn
    return c.muted


class Badge(QLabel):
    def __init__(self, name: str) -> None:
        super().__init__("Not sent")
        self.setObjectName(name)
        self.set_state(None)

    def set_state(self, state: str | None, text: str | None = None) -> None:
        color = state_color(state)
        self.setText(text or state or "Not sent")
        self.setStyleSheet(f"QLabel {{ border: 1px solid {color}; color: {color}; border-radius: 9px;"
                           " padding: 1px 8px; font-weight: 600; }")


class PriceEdit(QLineEdit):
    """A price field. Whatever is typed stays as typed: the window parses it strictly
    (:func:`mesodesk.core.trading.pricing.parse_price`) and shows the problem here, so a
    malformed number is refused, never silently rewritten."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.setMaximumWidth(110)

    def set_invalid(self, invalid: bool, message: str = "") -> None:
        self.setProperty("invalid", "true" if invalid else "false")
        self.setToolTip(message)
        self.style().unpolish(self)
        self.style().polish(self)


def item(text: str, align_right: bool = False, color: str | None = None, tooltip: str = "") -> QTableWidgetItem:
    it = QTableWidgetItem(text)
    it.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if align_right:
        it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if color:
        from PySide6.QtGui import QColor

        it.setForeground(QColor(color))
    if tooltip:
        it.setToolTip(tooltip)
    return it


def hline() -> QFrame:
    f = QFrame()
    f.setFrameShape(QFrame.Shape.HLine)
    f.setFrameShadow(QFrame.Shadow.Sunken)
    return f
