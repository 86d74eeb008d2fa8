"""In-app toasts stacked in the bottom-right corner of the main window.

A :class:`Toast` shows one notice (or several merged ones: the updates of one
order, the legs of one position): severity stripe and glyph, title, body, time,
a "while you were away" tag, action buttons, a close button and a countdown bar.
Non-error toasts dismiss themselves; errors stay until closed. Clicking the toast
body emits ``sig_clicked``; an action button emits ``sig_action`` with the notice
it was made for (its target's identity is bound when the toast is made).
:class:`ToastStack` keeps at most ``max_visible`` toasts; when full, the oldest
non-error toast makes room, otherwise new ones wait.

The stack stays off the event log (:attr:`ToastStack.avoid`): when that panel is in the
window's bottom-right corner the toasts go to the left of it, else above it.

Toasts never move under the pointer: while it is over the stack (or a button is
held on a toast) the countdowns pause, new toasts go to the far end (the top) or
wait, closed ones leave a gap, and the stack reflows when the pointer leaves.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mesodesk.core.notices import Action, Notice
from mesodesk.ui.notify.style import GLYPHS, NotifyPalette, palette

TOAST_WIDTH = 380
#: seconds a toast is protected from being pushed out by newer ones (unless nothing else can go)
MIN_VISIBLE = 1.5
MARGIN = 14
SPACING = 8


class _Countdown(QWidget):
    """A thin bar that shrinks as the toast's time runs out."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.fraction = 1.0
        self.color = QColor("#4aa3ff")
        self.setFixedHeight(3)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        color = QColor(self.color)
        color.setAlpha(150)
        p.fillRect(QRect(0, 0, int(self.width() * self.fraction), self.height()), color)


class Toast(QFrame):
    sig_clicked = Signal(object)
    """Emitted with the newest :class:`Notice` when the toast body is clicked."""

    sig_action = Signal(object, object)
    """Emitted with ``(notice, action)`` when an action button is pressed: the notice the button was made for."""

    sig_pressed = Signal(bool)
    """A mouse button went down (True) or up (False) on the toast or one of its buttons."""

    sig_closed = Signal(object)
    """Emitted with the toast when it is dismissed (by time, by the user or by the stack)."""

    def __init__(self, notice: Notice, pal: NotifyPalette, seconds: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notices: list[Notice] = [notice]
        self.pal = pal
        self.duration_ms = seconds * 1000 * (2 if notice.actions else 1)  # signals with buttons stay longer
        self.closed = False
        self.pressed = False
        self._paused = False
        self.shown_at = time.monotonic()
        self.setObjectName("notifyToast")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setFixedWidth(TOAST_WIDTH)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Maximum)

        self.glyph = QLabel()
        self.glyph.setObjectName("toastGlyph")
        self.glyph.setFixedSize(22, 22)
        self.glyph.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel()
        self.title.setObjectName("toastTitle")
        self.title.setWordWrap(True)
        self.time = QLabel()
        self.time.setObjectName("toastTime")
        self.count = QLabel()
        self.count.setObjectName("toastCount")
        self.close_button = QToolButton()
        self.close_button.setObjectName("toastClose")
        self.close_button.setText("✕")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setCursor(Qt.CursorShape.ArrowCursor)
        self.close_button.clicked.connect(self.dismiss)
        self.close_button.installEventFilter(self)
        self.installEventFilter(self)
        self.body = QLabel()
        self.body.setObjectName("toastBody")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.PlainText)
        self.tag = QLabel("While you were away")
        self.tag.setObjectName("toastAway")
        self.type_label = QLabel()
        self.type_label.setObjectName("toastType")

        head = QHBoxLayout()
        head.setSpacing(8)
        head.addWidget(self.glyph, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.title, 1)
        head.addWidget(self.count, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.time, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        meta = QHBoxLayout()
        meta.setContentsMargins(30, 0, 0, 0)
        meta.setSpacing(6)
        meta.addWidget(self.type_label)
        meta.addWidget(self.tag)
        meta.addStretch(1)
        self.buttons = QHBoxLayout()
        self.buttons.setContentsMargins(30, 2, 0, 0)
        self.buttons.setSpacing(6)
        self.buttons.addStretch(1)
        self.action_buttons: dict[str, QPushButton] = {}
        self.countdown = _Countdown(self)

        inner = QVBoxLayout()
        inner.setContentsMargins(12, 10, 10, 8)
        inner.setSpacing(4)
        inner.addLayout(head)
        body_row = QHBoxLayout()
        body_row.setContentsMargins(30, 0, 0, 0)
        body_row.addWidget(self.body)
        inner.addLayout(body_row)
        inner.addLayout(meta)
        inner.addLayout(self.buttons)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addLayout(inner)
        outer.addWidget(self.countdown)

        # No drop shadow: a QGraphicsEffect renders the toast to a pixmap and blurs it again on
        # every repaint (its countdown, and anything live repainting underneath), which cost the
        # idle console several % of a core; the border and the accent edge separate it instead.

        self._elapsed = QElapsedTimer()
        self._remaining = self.duration_ms
        self._tick = QTimer(self)
        self._tick.setInterval(100)
        self._tick.timeout.connect(self._on_tick)
        self._render()
        self._start_timer()

    # -- content ----------------------------------------------------------------------
    @property
    def notice(self) -> Notice:
        return self.notices[-1]

    @property
    def sticky(self) -> bool:
        return any(n.sticky for n in self.notices)

    @property
    def keys(self) -> list[str]:
        return [n.key for n in self.notices]

    def merge(self, notice: Notice) -> None:
        """Show ``notice`` in this toast (same order/position); restarts the countdown."""
        self.notices.append(notice)
        self._render()
        self._remaining = self.duration_ms
        self._start_timer()

    def set_palette(self, pal: NotifyPalette) -> None:
        self.pal = pal
        self._render()

    def _render(self) -> None:
        n = self.notice
        severity = max((x.severity for x in self.notices), key=lambda s: s.rank) if n.callback == "OnLegUpdate" \
            else n.severity
        accent = self.pal.accents[severity]
        pal = self.pal
        self.setProperty("severity", severity.value)
        self.title.setText(n.title)
        if n.callback == "OnLegUpdate" and len(self.notices) > 1:
            self.title.setText(f"{len(self.notices)} leg updates — {n.title.split(' — ')[-1]}")
            self.body.setText("\n".join(x.title.split(" — ")[0] for x in self.notices[-4:]))
        else:
            self.body.setText(n.body)
        self.body.setVisible(bool(self.body.text()))
        local = n.time.astimezone()
        self.time.setText(f"{local:%H:%M:%S} {local.tzname() or ''}".strip())
        self.count.setText(f"×{len(self.notices)}" if len(self.notices) > 1 else "")
        self.count.setVisible(len(self.notices) > 1)
        self.type_label.setText(n.type_label)
        self.type_label.setVisible(n.type_label.lower() not in n.title.lower())
        self.tag.setVisible(any(x.away for x in self.notices))
        self.glyph.setText(GLYPHS[severity])
        self.countdown.color = QColor(accent)
        self.countdown.setVisible(not self.sticky)
        for button in self.action_buttons.values():
            self.buttons.removeWidget(button)
            button.deleteLater()
        self.action_buttons.clear()
        for action in n.actions:
            self._add_button(action, n)
        self.setStyleSheet(f"""
            QFrame#notifyToast {{ background: {pal.background}; border: 1px solid {pal.border};
                                 border-left: 4px solid {accent}; border-radius: 8px; }}
            QLabel {{ background: transparent; border: none; color: {pal.text}; }}
            QLabel#toastGlyph {{ background: {accent}; color: {pal.background}; border-radius: 11px;
                                 font-weight: 700; font-size: 12px; }}
            QLabel#toastTitle {{ font-weight: 600; font-size: 13px; }}
            QLabel#toastTime, QLabel#toastType {{ color: {pal.muted}; font-size: 11px; }}
            QLabel#toastCount {{ color: {pal.muted}; font-size: 11px; font-weight: 600; }}
            QLabel#toastBody {{ color: {pal.text}; font-size: 12px; }}
            QLabel#toastAway {{ color: {pal.background}; background: {pal.muted}; border-radius: 7px;
                                padding: 0px 7px; font-size: 10px; font-weight: 600; }}
            QToolButton#toastClose {{ border: none; color: {pal.muted}; background: transparent;
                                      font-size: 12px; padding: 0 2px; }}
            QToolButton#toastClose:hover {{ color: {pal.text}; }}
            QPushButton {{ background: {pal.button}; color: {pal.text}; border: 1px solid {pal.border};
                           border-radius: 5px; padding: 3px 12px; font-weight: 600; }}
            QPushButton:hover {{ background: {pal.button_hover}; }}
            QPushButton#toastPrimary {{ background: {accent}; color: {pal.background}; border: none; }}
        """)

    def _add_button(self, action: Action, notice: Notice) -> None:
        button = QPushButton(action.label)
        button.setObjectName("toastPrimary")
        button.setProperty("actionId", action.id)
        button.setCursor(Qt.CursorShape.ArrowCursor)
        button.setToolTip(notice.title)  # says whose action it is
        button.clicked.connect(lambda _=False, a=action, n=notice: self._on_action(n, a))
        button.installEventFilter(self)
        self.buttons.addWidget(button)
        self.action_buttons[action.id] = button

    def _on_action(self, notice: Notice, action: Action) -> None:
        self.sig_action.emit(notice, action)
        self.dismiss()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A mouse button down/up on the toast or its buttons (the stack holds still while one is down)."""
        kind = event.type()
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease):
            pressed = kind == QEvent.Type.MouseButtonPress
            if pressed != self.pressed:
                self.pressed = pressed
                self.sig_pressed.emit(pressed)
        return False

    # -- time --------------------------------------------------------------------------
    def _start_timer(self) -> None:
        if self.sticky or self._paused:
            self._tick.stop()
            return
        self._elapsed.start()
        self._tick.start()

    def pause(self) -> None:
        """Stop the countdown (the pointer is over the stack)."""
        if self._tick.isActive():
            self._remaining -= self._elapsed.elapsed()
            self._tick.stop()
        self._paused = True

    def resume(self) -> None:
        self._paused = False
        if not self.closed:
            self._start_timer()

    def _on_tick(self) -> None:
        left = self._remaining - self._elapsed.elapsed()
        self.countdown.fraction = max(0.0, left / max(1, self.duration_ms))
        self.countdown.update()
        if left <= 0:
            self.dismiss()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.sig_clicked.emit(self.notice)
            self.dismiss()
        super().mouseReleaseEvent(event)

    def dismiss(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._tick.stop()
        self.hide()
        self.sig_closed.emit(self)
        self.deleteLater()


class ToastStack(QWidget):
    """The corner overlay of a main window that owns the toasts."""

    sig_clicked = Signal(object)
    sig_action = Signal(object, object)
    sig_more_clicked = Signal()

    def __init__(self, window: QMainWindow, theme: str = "dark") -> None:
        super().__init__(window)
        self.window_ = window
        self.setObjectName("notifyToastStack")
        self.pal = palette(theme)
        self.max_visible = 5
        self.seconds = 6
        #: a panel the toasts never cover (the event log): they go left of it, else above it
        self.avoid: QDockWidget | None = None
        self.toasts: list[Toast] = []
        self.queue: list[Notice] = []
        #: notices that arrived while the stack held still and did not fit at the far end
        self.held: list[Notice] = []
        self.shown_total = 0
        self._pointer_over = False
        #: toasts added at the far end (the top) while holding still; they move to the corner on leave
        self._early: list[Toast] = []
        #: the places of toasts closed while holding still
        self._gaps: list[QWidget] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        self._layout.setSpacing(SPACING)
        self.more = QPushButton()
        self.more.setObjectName("toastMore")
        self.more.clicked.connect(self.sig_more_clicked)
        self.more.hide()
        self._layout.addWidget(self.more, 0, Qt.AlignmentFlag.AlignRight)
        window.installEventFilter(self)
        self.hide()

    def set_avoid(self, dock: QDockWidget | None) -> None:
        """Keep the toasts off ``dock`` (followed as it moves, resizes, shows or hides)."""
        if self.avoid is not None:
            self.avoid.removeEventFilter(self)
        self.avoid = dock
        if dock is not None:
            dock.installEventFilter(self)
        if self.isVisible():
            self._relayout()

    def set_theme(self, theme: str) -> None:
        self.pal = palette(theme)
        for toast in self.toasts:
            toast.set_palette(self.pal)
        self._style_more()

    def _style_more(self) -> None:
        p = self.pal
        self.more.setStyleSheet(
            f"QPushButton#toastMore {{ background: {p.raised}; color: {p.text}; border: 1px solid {p.border};"
            f" border-radius: 11px; padding: 3px 12px; font-size: 11px; font-weight: 600; }}")

    # -- showing ---------------------------------------------------------------------------
    def find_mergeable(self, notice: Notice) -> Toast | None:
        if notice.merge_key is None:
            return None
        for toast in self.toasts:
            if not toast.closed and toast.notice.merge_key == notice.merge_key and not notice.actions:
                return toast
        return None

    @property
    def holding(self) -> bool:
        """The stack holds still: the pointer is over it or a mouse button is down on a toast."""
        return self._pointer_over or any(t.pressed and not t.closed for t in self.toasts)

    def show_notice(self, notice: Notice) -> Toast | None:
        """Toast ``notice`` (merged into a visible toast of the same object when possible).

        While :attr:`holding`: at the far end (the top) when it fits, else it waits for the pointer to leave.
        """
        if self.holding:
            return self._show_holding(notice)
        merged = self.find_mergeable(notice)
        if merged is not None:
            merged.merge(notice)
            self._relayout()
            return merged
        while len(self.toasts) >= self.max_visible:
            victim = self._victim(include_newest=True)
            if victim is not None:
                victim.dismiss()
            else:  # all errors: the oldest waits in the queue ("+N more"), the newest is always shown
                self._park(self.toasts[0])
        return self._add(notice)

    def _park(self, toast: Toast) -> None:
        """Take a (sticky) toast off screen; it comes back when there is room."""
        self.toasts.remove(toast)
        self._layout.removeWidget(toast)
        self.queue.insert(0, toast.notice)
        toast.closed = True
        toast.hide()
        toast.deleteLater()

    def _victim(self, include_newest: bool = False) -> Toast | None:
        """The toast that makes room: the oldest plain one, else the oldest with buttons; never an error."""
        pool = self.toasts if include_newest else self.toasts[:-1]
        now = time.monotonic()
        settled = [t for t in pool if now - t.shown_at >= MIN_VISIBLE]  # read-able for a moment first
        for group in (settled, pool):
            plain = [t for t in group if not t.sticky and not t.notice.actions]
            actionable = [t for t in group if not t.sticky and t.notice.actions]
            if plain or actionable:
                return (plain or actionable)[0]
        return None

    def _show_holding(self, notice: Notice) -> Toast | None:
        """A new toast above the others (nothing under the pointer moves), or it waits in :attr:`held`."""
        if self.find_mergeable(notice) is None and len(self.toasts) < self.max_visible:
            toast = self._make(notice)
            toast.pause()
            used = sum(self._toast_height(t) for t in self.toasts) + sum(g.height() for g in self._gaps)
            parts = len(self.toasts) + len(self._gaps)
            if used + SPACING * parts + self._toast_height(toast) <= self._room():
                self.toasts.insert(0, toast)
                self._layout.insertWidget(1, toast)  # 1: below the "+N more" pill, above the others
                toast.show()  # now, not on the next loop pass: the layout places it (and the rest) at once
                self._early.append(toast)
                self.shown_total += 1
                self._relayout()
                return toast
            toast.closed = True
            toast.deleteLater()
        self.held.append(notice)
        self._relayout()
        return None

    def _make(self, notice: Notice) -> Toast:
        toast = Toast(notice, self.pal, self.seconds, self)
        toast.sig_clicked.connect(self.sig_clicked)
        toast.sig_action.connect(self.sig_action)
        toast.sig_closed.connect(self._on_closed)
        toast.sig_pressed.connect(self._on_pressed)
        return toast

    def _add(self, notice: Notice, *, restore: bool = False) -> Toast:
        toast = self._make(notice)
        # a toast back from the queue goes to its place in time; new ones go to the bottom (the corner)
        index = sum(1 for t in self.toasts if t.notice.received <= notice.received) if restore else len(self.toasts)
        self.toasts.insert(index, toast)
        self._layout.insertWidget(index + 1, toast)  # + 1: the "+N more" pill is the first item
        self.shown_total += 1
        self._relayout()
        return toast

    def _on_closed(self, toast: Toast) -> None:
        if toast in self._early:
            self._early.remove(toast)
        if toast in self.toasts:
            self.toasts.remove(toast)
            if self.holding:  # keep its place: the toasts around it stay where they are
                gap = QWidget(self)
                gap.setFixedSize(toast.size())
                self._layout.insertWidget(self._layout.indexOf(toast), gap)
                self._gaps.append(gap)
            self._layout.removeWidget(toast)
        if self.queue and len(self.toasts) < self.max_visible and not self.holding:  # one at a time
            self._add(self.queue.pop(0), restore=True)
        self._relayout()

    # -- holding still under the pointer ------------------------------------------------------
    def enterEvent(self, event: Any) -> None:
        self._pointer_over = True
        for toast in self.toasts:
            toast.pause()
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._pointer_over = False
        self.release()
        super().leaveEvent(event)

    def hideEvent(self, event: Any) -> None:
        self._pointer_over = False  # a hidden stack gets no leave event
        if self._gaps or self._early or self.held:
            QTimer.singleShot(0, self, self.release)
        super().hideEvent(event)

    def _on_pressed(self, pressed: bool) -> None:
        if pressed:
            for toast in self.toasts:
                toast.pause()
        else:  # after the click has been handled
            QTimer.singleShot(0, self, self.release)

    def release(self) -> None:
        """The pointer left (or the button came up outside): reflow, show what waited, resume the countdowns."""
        if self.holding:
            return
        self._clear_gaps()
        for toast in self._early:  # to the corner, in the order they came
            if toast in self.toasts:
                self.toasts.remove(toast)
                self.toasts.append(toast)
                self._layout.removeWidget(toast)
                self._layout.insertWidget(len(self.toasts), toast)
        self._early.clear()
        for toast in self.toasts:
            toast.resume()
        held, self.held = self.held, []
        while self.queue and len(self.toasts) < self.max_visible:
            self._add(self.queue.pop(0), restore=True)
        for notice in held:
            self.show_notice(notice)
        self._relayout()

    def _clear_gaps(self) -> None:
        for gap in self._gaps:
            self._layout.removeWidget(gap)
            gap.deleteLater()
        self._gaps.clear()

    def dismiss_all(self) -> None:
        self.queue.clear()
        self.held.clear()
        for toast in list(self.toasts):
            toast.dismiss()

    def visible_toasts(self) -> list[Toast]:
        return [t for t in self.toasts if not t.closed]

    # -- geometry --------------------------------------------------------------------------------
    def _room(self) -> int:
        return self._available_height() - 2 * MARGIN - 30  # 30: the "+N more" pill

    def _relayout(self) -> None:
        if not self.toasts and not self.queue and not self.held:
            self._clear_gaps()
            self.more.hide()
            self.hide()
            return
        heights = {t: self._toast_height(t) for t in self.toasts}
        room = self._room()
        # too tall for the window: the oldest toasts wait in the queue (errors) or go (the rest)
        while not self.holding and len(self.toasts) > 1 and \
                sum(heights.values()) + SPACING * (len(self.toasts) - 1) > room:
            victim = self._victim()
            if victim is not None:
                heights.pop(victim)
                self.toasts.remove(victim)
                self._layout.removeWidget(victim)
                victim.closed = True
                victim.hide()
                victim.deleteLater()
            else:  # errors only when nothing else is left: they wait
                heights.pop(self.toasts[0])
                self._park(self.toasts[0])
        for toast, height in heights.items():
            toast.setFixedHeight(height)
        waiting = len(self.queue) + len(self.held)
        self.more.setText(f"+{waiting} more — open notification center")
        self._style_more()
        self.more.setVisible(bool(waiting))
        parts = [*heights.values(), *(g.height() for g in self._gaps)]
        height = 2 * MARGIN + sum(parts) + SPACING * max(0, len(parts) - 1)
        if waiting:
            height += self.more.sizeHint().height() + SPACING
        self.resize(QSize(TOAST_WIDTH + 2 * MARGIN, height))
        self._layout.activate()  # place the toasts now, together with the move: nothing jumps in between
        self._place()
        self.show()
        self.raise_()

    @staticmethod
    def _toast_height(toast: Toast) -> int:
        layout = toast.layout()
        assert layout is not None
        toast.ensurePolished()  # measured with its style sheet's fonts: it does not grow on the next relayout
        layout.activate()
        return max(layout.totalHeightForWidth(TOAST_WIDTH), layout.totalMinimumSize().height())

    def _area(self) -> QRect:
        """The window below its top toolbars and above its status bar (window coordinates)."""
        w = self.window_
        top = w.menuBar().height() if w.menuBar() is not None and w.menuBar().isVisible() else 0
        for bar in w.findChildren(QToolBar):
            if bar.isVisible() and w.toolBarArea(bar) == Qt.ToolBarArea.TopToolBarArea:
                top = max(top, bar.geometry().bottom())
        status = w.statusBar()
        bottom = w.height() - (status.height() if status is not None and status.isVisible() else 0)
        return QRect(0, top, w.width(), max(0, bottom - top))

    def _avoided(self) -> QRect | None:
        """Where the panel the toasts must not cover is on screen (its tab group's visible dock)."""
        dock = self.avoid
        if dock is None or dock.isHidden() or dock.isFloating():
            return None
        w = self.window_
        group = [dock, *w.tabifiedDockWidgets(dock)] if isinstance(w, QMainWindow) else [dock]
        shown = next((d for d in group if d.isVisible() and not d.isFloating()), None)
        return None if shown is None else shown.geometry()

    def _anchor(self) -> QRect:
        """The box the stack grows in from its bottom-right corner: the window's corner, or, when the
        avoided panel is there, the area left of it, else the area above it."""
        area = self._area()
        avoid = self._avoided()
        width = TOAST_WIDTH + 2 * MARGIN
        if avoid is None or not avoid.intersects(QRect(area.right() - width, area.top(), width, area.height())):
            return area
        left = QRect(area.left(), area.top(), avoid.left() - area.left(), area.height())
        if left.width() >= width:
            return left
        return QRect(area.left(), area.top(), area.width(), max(0, avoid.top() - area.top()))

    def _available_height(self) -> int:
        return max(120, self._anchor().height())

    def _place(self) -> None:
        box = self._anchor()
        x = max(0, box.right() + 1 - self.width())
        y = max(0, box.bottom() + 1 - self.height())
        self.move(x, y)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.avoid and self.avoid is not None and event.type() in (
                QEvent.Type.Resize, QEvent.Type.Move, QEvent.Type.Show, QEvent.Type.Hide):
            if self.isVisible():
                self._relayout()
            return False
        if watched is self.window_ and event.type() in (QEvent.Type.Resize, QEvent.Type.Show,
                                                        QEvent.Type.LayoutRequest):
            if self.isVisible():
                if event.type() == QEvent.Type.Resize:
                    self._relayout()  # fit the new height
                else:
                    self._place()
                self.raise_()
        return False
