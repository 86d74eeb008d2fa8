"""Where a dialog opens: centred on the main window, never larger than the screen.

:func:`place_dialog` is called where a dialog or tool window is shown (just before
``show()``/``open()``): it gives the window its natural size when nothing sized it
yet, shrinks it to the available geometry of the main window's screen (the task bar
and panels excluded, room left for the title bar), centres it on the main window and
keeps it inside that screen. A window that was already shown is only re-centred when
``recentre`` is true (a tool window brought back keeps where the trader put it).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

__all__ = ["fit_rect", "place_dialog"]

#: room left for the window frame (title bar, borders) the window manager adds
FRAME_ALLOWANCE = QSize(16, 40)


def fit_rect(size: QSize, centre_on: QRect, available: QRect, frame: QSize = FRAME_ALLOWANCE) -> QRect:
    """The client rectangle for a window of ``size``: at most ``available`` less ``frame``,
    centred on ``centre_on`` and moved inside ``available`` (pure geometry, for tests too)."""
    room = QSize(max(1, available.width() - frame.width()), max(1, available.height() - frame.height()))
    fitted = size.boundedTo(room)
    rect = QRect(QPoint(0, 0), fitted)
    rect.moveCenter(centre_on.center())
    top_left_min = QPoint(available.left() + frame.width() // 2, available.top() + frame.height() - frame.width() // 2)
    x = min(max(rect.left(), top_left_min.x()), available.right() + 1 - frame.width() // 2 - rect.width())
    y = min(max(rect.top(), top_left_min.y()), available.bottom() + 1 - frame.width() // 2 - rect.height())
    rect.moveTopLeft(QPoint(x, y))
    return rect


def _screen_of(anchor: QWidget | None, dialog: QWidget) -> QScreen | None:
    for widget in (anchor, dialog):
        if widget is not None and widget.screen() is not None:
            return widget.screen()
    return QGuiApplication.primaryScreen()


def place_dialog(dialog: QWidget, anchor: QWidget | None = None, *, recentre: bool = False) -> QRect:
    """Size ``dialog`` to fit the screen and centre it on ``anchor`` (default: its parent's window);
    returns the geometry given. Call it just before showing the dialog."""
    if dialog.isVisible() and not recentre:
        return dialog.geometry()
    if anchor is None:
        parent = dialog.parentWidget()
        anchor = parent.window() if parent is not None else None
    screen = _screen_of(anchor, dialog)
    if screen is None:
        return dialog.geometry()
    available = screen.availableGeometry()
    if not dialog.testAttribute(Qt.WidgetAttribute.WA_Resized):
        dialog.adjustSize()  # its natural size: nothing sized it yet
    size = dialog.size().expandedTo(dialog.minimumSizeHint().boundedTo(available.size()))
    centre_on = anchor.frameGeometry() if anchor is not None and anchor.isVisible() else available
    rect = fit_rect(size, centre_on, available)
    if rect.width() < dialog.minimumWidth() or rect.height() < dialog.minimumHeight():
        dialog.setMinimumSize(dialog.minimumSize().boundedTo(rect.size()))  # the screen wins
    dialog.setGeometry(rect)
    return rect
