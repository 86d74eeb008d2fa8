"""OS notifications (desktop-notifier, on the qasync loop) with a tray-message fallback, and the tray icon.

The fallback chain is chosen at the first notification, from what the platform
offers: native (desktop-notifier: D-Bus ``org.freedesktop.Notifications`` on
Linux, WinRT on Windows, UserNotifications from a signed macOS bundle) ->
``QSystemTrayIcon.showMessage`` (when a tray exists) -> nothing (the in-app
toast, which always fires, is then the only signal). desktop-notifier never
raises from ``send``: a notification counts as delivered only when its
``on_dispatched`` callback ran; otherwise that one goes out as a tray message.
Native notifications are rate limited (``burst`` per ``window`` seconds); the
rest is summarised in one "N more" notification.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections import deque
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMainWindow, QMenu, QSystemTrayIcon

from mesodesk.core.notices import Notice, Severity

log = logging.getLogger("mesodesk.ui.notify.desktop")

NATIVE, TRAY, NONE = "native", "tray", "none"


class TrayIcon(QObject):
    """The tray icon and its menu: show/hide, connection state, notification center, DND, quit."""

    sig_message_clicked = Signal()
    sig_open_center = Signal()
    sig_dnd_toggled = Signal(bool)

    def __init__(self, window: QMainWindow, icon: QIcon) -> None:
        super().__init__(window)
        self.window = window
        self.tray = QSystemTrayIcon(icon, window)
        self.tray.setToolTip("mesodesk")
        self.menu = QMenu(window)
        self.menu.setObjectName("trayMenu")
        self.action_show = self._add("actionTrayShowHide", "Hide mesodesk", self.toggle_window)
        self.menu.addSeparator()
        self.action_connection = self._add("actionTrayConnection", "Connection: connecting…", None)
        self.action_connection.setEnabled(False)
        self.menu.addSeparator()
        self.action_center = self._add("actionTrayCenter", "Notification center", self.sig_open_center.emit)
        self.action_dnd = self._add("actionTrayDnd", "Do not disturb", None)
        self.action_dnd.setCheckable(True)
        self.action_dnd.toggled.connect(self.sig_dnd_toggled)
        self.menu.addSeparator()
        self.action_quit = self._add("actionTrayQuit", "Quit mesodesk", window.close)
        self.menu.aboutToShow.connect(self._sync_show_text)
        self.tray.setContextMenu(self.menu)
        self.tray.activated.connect(self._on_activated)
        self.tray.messageClicked.connect(self.sig_message_clicked)
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        if self.available:
            self.tray.show()

    def _add(self, name: str, text: str, slot: Any) -> QAction:
        action = QAction(text, self.menu)
        action.setObjectName(name)
        if slot is not None:
            action.triggered.connect(lambda _=False: slot())
        self.menu.addAction(action)
        return action

    def _sync_show_text(self) -> None:
        visible = self.window.isVisible() and not self.window.isMinimized()
        self.action_show.setText("Hide mesodesk" if visible else "Show mesodesk")

    def toggle_window(self) -> None:
        if self.window.isVisible() and not self.window.isMinimized():
            self.window.hide()
        else:
            bring_to_front(self.window)
        self._sync_show_text()

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_window()

    def set_connection(self, text: str) -> None:
        self.action_connection.setText(f"Connection: {text}")
        self.tray.setToolTip(f"mesodesk — {text}")

    def set_unread(self, count: int, connection: str) -> None:
        self.tray.setToolTip(f"mesodesk — {connection}" + (f" — {count} unread" if count else ""))

    def can_show_messages(self) -> bool:
        return self.available and self.tray.isVisible() and QSystemTrayIcon.supportsMessages()

    def show_message(self, notice: Notice, msecs: int = 8000) -> None:
        icon = {Severity.ERROR: QSystemTrayIcon.MessageIcon.Critical,
                Severity.WARNING: QSystemTrayIcon.MessageIcon.Warning}.get(notice.severity,
                                                                          QSystemTrayIcon.MessageIcon.Information)
        self.tray.showMessage(notice.title, notice.body, icon, msecs)

    def hide(self) -> None:
        self.tray.hide()


def bring_to_front(window: QMainWindow) -> None:
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()


class DesktopNotifications(QObject):
    """Sends important notices as OS notifications; ``sig_clicked(notice)`` on a click."""

    sig_clicked = Signal(object)

    def __init__(self, tray: TrayIcon | None, icon_path: Path | None, parent: QObject | None = None, *,
                 app_name: str = "mesodesk", burst: int = 5, window: float = 10.0) -> None:
        super().__init__(parent)
        self.tray = tray
        self.icon_path = icon_path
        self.app_name = app_name
        self.burst = burst
        self.window = window
        self.mode: str | None = None
        self.capabilities: frozenset[Any] = frozenset()
        #: (title, body, via) of every notification handed to the OS (tests read it)
        self.sent: list[tuple[str, str, str]] = []
        self._notifier: Any = None
        self._times: deque[float] = deque()
        self._held: list[Notice] = []
        self._summary_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._probe_lock: asyncio.Lock | None = None

    # -- the fallback chain -------------------------------------------------------------
    async def probe(self) -> str:
        """Pick native / tray / none once; safe to call again."""
        if self.mode is not None:
            return self.mode
        if self._probe_lock is None:
            self._probe_lock = asyncio.Lock()
        async with self._probe_lock:
            if self.mode is None:
                self.mode = await self._probe_native()
                log.info("desktop notifications: %s", self.mode)
        return self.mode

    def _fallback(self) -> str:
        return TRAY if self.tray is not None and self.tray.can_show_messages() else NONE

    async def _probe_native(self) -> str:
        if sys.platform.startswith("linux") and not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            return self._fallback()  # no session bus: desktop-notifier would raise InvalidAddressError
        try:
            from desktop_notifier import DesktopNotifier, Icon

            icon = Icon(path=self.icon_path) if self.icon_path is not None and self.icon_path.exists() else None
            notifier = DesktopNotifier(app_name=self.app_name, app_icon=icon)
            if type(notifier._backend).__name__ == "DummyNotificationCenter":  # e.g. macOS outside a bundle
                return self._fallback()
            self.capabilities = await asyncio.wait_for(notifier.get_capabilities(), 5)
        except Exception as exc:  # no bus, no notification server, timeout, import error
            log.info("native notifications unavailable (%s); falling back", exc)
            await self._close_notifier_bus(locals().get("notifier"))
            return self._fallback()
        self._notifier = notifier
        return NATIVE

    # -- sending ------------------------------------------------------------------------------
    def notify(self, notice: Notice) -> None:
        """Schedule an OS notification for ``notice`` (returns at once)."""
        task = asyncio.ensure_future(self._notify(notice))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _notify(self, notice: Notice) -> None:
        try:
            loop = asyncio.get_running_loop()
            now = loop.time()
            while self._times and now - self._times[0] > self.window:
                self._times.popleft()
            if len(self._times) >= self.burst:
                self._held.append(notice)
                if self._summary_task is None or self._summary_task.done():
                    delay = self.window - (now - self._times[0])
                    self._summary_task = asyncio.ensure_future(self._summarise_later(delay))
                return
            self._times.append(now)
            await self._deliver(notice.title, notice.body, notice)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.info("desktop notification failed", exc_info=True)

    async def _summarise_later(self, delay: float) -> None:
        await asyncio.sleep(max(0.0, delay))
        held, self._held = self._held, []
        if not held:
            return
        self._times.append(asyncio.get_running_loop().time())
        worst = max(held, key=lambda n: n.severity.rank)
        title = f"{len(held)} more mesodesk notifications"
        body = "; ".join(n.title for n in held[:4]) + ("; …" if len(held) > 4 else "")
        summary = Notice(key=f"summary:{worst.key}", seq=worst.seq, callback=worst.callback, title=title,
                         body=body, severity=worst.severity, time=worst.time, event=worst.event)
        await self._deliver(title, body, summary)

    async def _deliver(self, title: str, body: str, notice: Notice) -> None:
        mode = await self.probe()
        if mode == NATIVE and await self._send_native(title, body, notice):
            self.sent.append((title, body, NATIVE))
            return
        if self.tray is not None and self.tray.can_show_messages():
            self.tray.show_message(notice)
            self.sent.append((title, body, TRAY))

    async def _send_native(self, title: str, body: str, notice: Notice) -> bool:
        from desktop_notifier import Urgency

        dispatched = asyncio.Event()
        urgency = {Severity.ERROR: Urgency.Critical, Severity.INFO: Urgency.Low}.get(notice.severity,
                                                                                     Urgency.Normal)
        await self._notifier.send(
            title=title, message=body, urgency=urgency, thread="mesodesk",
            on_dispatched=dispatched.set,
            on_clicked=lambda: self.sig_clicked.emit(notice),
            timeout=-1 if notice.severity is Severity.ERROR else 10,
        )
        return dispatched.is_set()

    # -- shutdown ------------------------------------------------------------------------------------
    @staticmethod
    async def _close_notifier_bus(notifier: Any) -> None:
        bus = getattr(getattr(notifier, "_backend", None), "bus", None)
        if bus is not None:
            try:
                bus.disconnect()
            except Exception:
                log.debug("closing the notification bus failed", exc_info=True)

    def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._summary_task is not None:
            self._summary_task.cancel()
        bus = getattr(getattr(self._notifier, "_backend", None), "bus", None)
        if bus is not None:
            try:
                bus.disconnect()
            except Exception:
                log.debug("closing the notification bus failed", exc_info=True)
        self._notifier = None
