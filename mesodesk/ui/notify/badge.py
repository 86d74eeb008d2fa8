"""Toolbar widgets: the notifications button with its unread badge, and the blinking signals indicator."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QIcon,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QLabel, QMenu, QToolButton, QWidget

from mesodesk.core.notices import Severity
from mesodesk.ui.notify.center import NotificationCenter
from mesodesk.ui.notify.style import NotifyPalette, palette


class NotificationButton(QToolButton):
    """A bell with a red unread-count bubble and "Notifications"; the arrow opens the notifications menu."""

    def __init__(self, menu: QMenu, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notifyBadge")
        self.setText("Notifications")
        self.setToolTip("Notification center")
        self.setMenu(menu)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.count = 0
        self.dnd = False
        self.pal: NotifyPalette = palette("dark")
        self._render_icon()

    def set_palette(self, pal: NotifyPalette) -> None:
        self.pal = pal
        self._render_icon()

    def set_count(self, count: int) -> None:
        self.count = count
        self.setToolTip(f"Notification center — {count} unread" if count else "Notification center")
        self._render_icon()

    def set_dnd(self, on: bool) -> None:
        self.dnd = on
        self.setText("Do not disturb" if on else "Notifications")
        self._render_icon()

    def badge_text(self) -> str:
        return "" if not self.count else ("99+" if self.count > 99 else str(self.count))

    def _render_icon(self) -> None:
        text = self.badge_text()
        font = QFont(self.font())
        font.setBold(True)
        font.setPixelSize(11)
        fm = QFontMetrics(font)
        badge_w = max(17, fm.horizontalAdvance(text) + 9) if text else 0
        w, h = 18 + (badge_w - 4 if text else 0), 18
        ratio = max(1.0, self.devicePixelRatioF())
        pixmap = QPixmap(int(w * ratio), int(h * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        p = QPainter(pixmap)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = QColor(self.pal.muted if self.dnd else self.pal.text)
        # the bell: dome + flared rim + clapper
        bell = QPainterPath()
        bell.moveTo(3, 13)
        bell.cubicTo(5, 11.5, 4.5, 9, 4.5, 7.5)
        bell.cubicTo(4.5, 4.2, 6.5, 2.5, 9, 2.5)
        bell.cubicTo(11.5, 2.5, 13.5, 4.2, 13.5, 7.5)
        bell.cubicTo(13.5, 9, 13, 11.5, 15, 13)
        bell.closeSubpath()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        p.drawPath(bell)
        p.drawEllipse(QRectF(7.2, 13.6, 3.6, 3.0))
        if self.dnd:  # a slash through the bell
            p.setPen(QPen(QColor(self.pal.badge), 1.8))
            p.drawLine(2, 2, 16, 16)
        if text:
            rect = QRectF(w - badge_w, 0, badge_w, 13)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(self.pal.badge))
            p.drawRoundedRect(rect, 6.5, 6.5)
            p.setPen(QColor("#ffffff"))
            p.setFont(font)
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        p.end()
        self.setIconSize(QSize(w, h))
        self.setIcon(QIcon(pixmap))


class SignalIndicator(QLabel):
    """Shown while any entry/exit/adjustment signal is On or any error is Raised; blinks for
    :attr:`blink_seconds` after that set changes, then stays lit.

    A badge blinking for as long as a signal stays on (hours) would pull the eye all day and
    restyle the toolbar twice a second; its size is fixed per text, so the blink itself never
    re-lays out the main window.
    """

    blink_seconds = 8.0

    sig_clicked = Signal()

    def __init__(self, center: NotificationCenter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notifySignals")
        self.center = center
        self.pal: NotifyPalette = palette("dark")
        self.lit = True
        self.active = False
        self.visibility_action: Any = None
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.timer = QTimer(self)
        self.timer.setInterval(650)
        self.timer.timeout.connect(self._blink)
        self._blink_ticks = 0
        self._shown_levels: tuple[str, ...] = ()
        center.sig_levels_changed.connect(self.refresh)
        self.refresh()

    @property
    def blinking(self) -> bool:
        return self.timer.isActive()

    def set_palette(self, pal: NotifyPalette) -> None:
        self.pal = pal
        self._style()

    def refresh(self, *_: Any) -> None:
        signals, errors = self.center.active_signal_count(), self.center.active_error_count()
        parts = []
        if signals:
            parts.append(f"{signals} signal{'s' * (signals != 1)}")
        if errors:
            parts.append(f"{errors} error{'s' * (errors != 1)}")
        self.setText("●  " + " · ".join(parts) if parts else "")
        self.setToolTip("\n".join(n.title for n in self.center.levels.values()) or "No active signals or errors")
        self.active = bool(parts)
        if self.visibility_action is not None:  # a toolbar widget is shown/hidden through its action
            self.visibility_action.setVisible(self.active)
        else:
            self.setVisible(self.active)
        levels = tuple(sorted(str(key) for key in self.center.levels))
        if parts and levels != self._shown_levels:
            self.lit = True
            self._blink_ticks = int(self.blink_seconds * 1000 / self.timer.interval())
            self.timer.start()
        elif not parts:
            self.timer.stop()
            self.lit = True
        self._shown_levels = levels if parts else ()
        self._style()
        self.setFixedSize(self.sizeHint())  # lit and unlit have the same size: blinking needs no layout

    def _blink(self) -> None:
        self._blink_ticks -= 1
        if self._blink_ticks <= 0:
            self.timer.stop()
            self.lit = True
        else:
            self.lit = not self.lit
        self._style()

    def _style(self) -> None:
        errors = self.center.active_error_count()
        accent = self.pal.accents[Severity.ERROR if errors else Severity.WARNING]
        if self.lit:
            self.setStyleSheet(f"QLabel#notifySignals {{ color: {self.pal.background}; background: {accent};"
                               " border-radius: 9px; padding: 1px 10px; font-weight: 700; }")
        else:
            self.setStyleSheet(f"QLabel#notifySignals {{ color: {accent}; background: transparent;"
                               f" border: 1px solid {accent}; border-radius: 9px; padding: 0px 9px;"
                               " font-weight: 700; }")

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.sig_clicked.emit()
        super().mouseReleaseEvent(event)
