"""Notifications for the main window: toasts, the notification center, OS notifications, sounds, tray.

``install_notifications(window)`` is the one call the main window makes. It adds
the "Notifications" dock, the toolbar button with the unread badge, the blinking
signals indicator, the tray icon, and subscribes to the session's :class:`NotificationFeed`.

Which events are news — a live event, one missed "while you were away", or one
seen before (level state only) — is decided by the Qt-free
:class:`mesodesk.core.notify_feed.NotificationFeed` (the exactly-once rule and the
persisted notification cursor are documented there). This module only shows them:
the center dedupes by ``EventId`` again (so a second client, or a restarted
session, can never toast twice) and absorbs a level state that is already active
(an on-connect push of an active signal/error).

"While you were away" events all enter the history; when the replay ends, up to
three of them toast individually, more become one summary toast (and one OS
notification / one sound). At start-up (the first replay) more than one is always one
summary toast: the event log shows the replay itself.

The history is kept across restarts, per world (:mod:`mesodesk.core.notify_history`): its
writer thread reads it and the entries go before this run's when read (an event delivered
again later only updates its level state); every change is queued to that thread.

Level-type signals that flap are announced once (On once, Off once it has settled)
by the Qt-free :class:`mesodesk.core.announcements.Announcer`; the flips in between
fold into one updating history entry (a replay's flips of one signal fold as well).
"""

from __future__ import annotations

import html
import json
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QMenu,
    QSizePolicy,
    QTextBrowser,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from mesodesk.contract import MesoLiveEvent, dumps
from mesodesk.core.announcements import Announcer, fold, is_debounced
from mesodesk.core.errors import ConnectionState
from mesodesk.core.notices import Action, Notice, Severity, away_summary, is_away_summary, worst
from mesodesk.core.notify_feed import Arrival, NotificationFeed, Phase
from mesodesk.core.notify_history import NotificationHistory
from mesodesk.core.settings import save_settings
from mesodesk.ui.dialog_placement import place_dialog
from mesodesk.ui.notify.badge import NotificationButton, SignalIndicator
from mesodesk.ui.notify.center import NotificationCenter
from mesodesk.ui.notify.center_dock import AWAY_FILTER, NotificationDock
from mesodesk.ui.notify.desktop import DesktopNotifications, TrayIcon, bring_to_front
from mesodesk.ui.notify.prefs import NotificationPrefs
from mesodesk.ui.notify.sounds import SoundPlayer
from mesodesk.ui.notify.style import palette
from mesodesk.ui.notify.toasts import ToastStack

if TYPE_CHECKING:
    from mesodesk.ui.main_window import MainWindow

log = logging.getLogger("mesodesk.ui.notify")

RESOURCES = Path(__file__).resolve().parents[3] / "resources"
AWAY_TOAST_LIMIT = 3


def install_notifications(window: MainWindow) -> NotificationManager:
    """Add notifications to ``window`` (dock, toolbar badge, tray); the window keeps the manager
    as its typed ``notifications`` extension point."""
    return NotificationManager(window)


class NotificationManager(QObject):
    sig_prepare_requested = Signal(str, object)
    """A signal toast's action button: ``(kind, payload)`` with kind "entry", "exit" or "adjustment".

    payload: ``strategy_id``, ``broker_account_id`` (entry), ``position_id`` (exit,
    adjustment), ``condition`` (adjustment), names. For exit/adjustment the window's
    ``sig_position_action("exit"|"adjust", position_id)`` is emitted as well: connect
    to one of the two.
    """

    sig_open_prepared = Signal(str, str)
    """``(kind, job_id)``: the trader clicked a "… prepared" notification; kind is "entry", "exit"
    or "adjustment". When nothing is connected, a read-only summary of the prepared result opens."""

    sig_away_flushed = Signal(int)
    """Emitted with the number of "while you were away" notices when a replay ends."""

    sig_history_loaded = Signal(object)
    """Emitted (from the history's writer thread, so queued) with the Future of the stored entries."""

    #: the persisted history of earlier runs is in the center (tests wait for it)
    history_restored = False

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.center = NotificationCenter(self)
        self.stack = ToastStack(window, window.theme)
        self.stack.set_avoid(window.docks.get("events"))  # the event log stays readable
        self.stack.sig_clicked.connect(self.open_target)
        self.stack.sig_action.connect(self.run_action)
        self.stack.sig_more_clicked.connect(self.show_center)

        self.panel = NotificationDock(self.center)
        self.panel.sig_activate.connect(self.open_target)
        self.dock = self._make_dock()
        self.sounds = SoundPlayer(self)
        self.tray = TrayIcon(window, window.windowIcon() if not window.windowIcon().isNull() else QIcon())
        self.tray.sig_open_center.connect(self.show_center)
        self.tray.sig_dnd_toggled.connect(self.set_do_not_disturb)
        self.tray.sig_message_clicked.connect(self._on_tray_message_clicked)
        self.desktop = DesktopNotifications(self.tray, RESOURCES / "icons" / "mesodesk-128.png", self)
        self.desktop.sig_clicked.connect(self.open_target)
        self._build_toolbar()

        self._away: list[Notice] = []
        self._last_tray_notice: Notice | None = None
        self.dialogs: list[QDialog] = []
        # what is announced of flapping signals (On once, Off once settled); tests may swap its clock
        self.announcer = Announcer(call_later=self._call_later)
        self.announcer.add_settled_listener(self.route)

        # the history of earlier runs in this world: read by its writer thread, restored when read
        self.history = self._open_history()
        self._stored_read: dict[str, bool] = {}
        self._first_replay = True
        self.sig_history_loaded.connect(self._restore_history)  # queued: emitted on the writer thread
        if self.history is not None:
            self.history.loaded.add_done_callback(self._history_read)
        self.center.sig_added.connect(self._store)
        self.center.sig_updated.connect(self._store)
        self.center.sig_changed.connect(self._store_changes)
        # which events are news: the exactly-once rule and the notification cursor live in core
        self.feed = NotificationFeed.for_session(self.session, window.config_dir, call_later=self._call_later)
        self._removers = [self.feed.subscribe(self.handle_event), self.feed.add_replay_end_listener(self.flush_away),
                          self.session.add_hub_state_listener(lambda _hub, _state: self._update_connection())]
        self.feed.start()
        self.center.sig_unread_changed.connect(self._on_unread)
        window.sig_theme_changed.connect(self.set_theme)
        window.sig_closed.connect(self.shutdown)
        self.set_theme(window.theme)
        self._apply_prefs()
        self._update_connection()

    # -- construction ------------------------------------------------------------------
    def _make_dock(self) -> QDockWidget:
        from mesodesk.ui.docks.table_dock import make_dock

        w = self.window
        dock = make_dock("Notifications", "notificationsDock", self.panel)
        w.docks["notifications"] = dock
        w.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        if "errors" in w.docks:
            w.tabifyDockWidget(w.docks["errors"], dock)
        for front in ("events", "accounts"):  # tabifying raised the new tab: keep the event log in front
            if front in w.docks:
                w.docks[front].raise_()
                break
        toggle = dock.toggleViewAction()
        toggle.setObjectName("actionToggle_notifications")
        toggle.setShortcut("Ctrl+Shift+I")  # Ctrl+Shift+N is "New strategy"
        for action in w.menuBar().actions():
            menu = action.menu()
            if isinstance(menu, QMenu) and action.text().replace("&", "") == "View":
                first_separator = next((a for a in menu.actions() if a.isSeparator()), None)
                if first_separator is None:
                    menu.addAction(toggle)
                else:
                    menu.insertAction(first_separator, toggle)
                break
        return dock

    def _build_toolbar(self) -> None:
        w = self.window
        menu = QMenu(w)
        menu.setObjectName("menuNotifications")
        self.action_center = QAction("Notification center", menu)
        self.action_center.setObjectName("actionNotificationCenter")
        self.action_center.triggered.connect(self.show_center)
        self.action_mark_read = QAction("Mark all read", menu)
        self.action_mark_read.setObjectName("actionNotificationsMarkRead")
        self.action_mark_read.triggered.connect(self.center.mark_all_read)
        self.action_dnd = QAction("Do not disturb", menu)
        self.action_dnd.setObjectName("actionDoNotDisturb")
        self.action_dnd.setCheckable(True)
        self.action_dnd.toggled.connect(self.set_do_not_disturb)
        self.action_settings = QAction("Notification settings…", menu)
        self.action_settings.setObjectName("actionNotificationSettings")
        self.action_settings.triggered.connect(self.open_settings)
        menu.addActions([self.action_center, self.action_mark_read])
        menu.addSeparator()
        menu.addActions([self.action_dnd, self.action_settings])
        self.button = NotificationButton(menu)
        self.button.clicked.connect(self.toggle_center)
        self.indicator = SignalIndicator(self.center)
        self.indicator.sig_clicked.connect(self.show_active)
        toolbar = QToolBar("Notifications")
        toolbar.setObjectName("notificationsToolBar")  # stable ASCII name: part of the saved layout
        toolbar.setMovable(False)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        self.indicator_action = toolbar.addWidget(self.indicator)
        self.indicator.visibility_action = self.indicator_action
        self.indicator.refresh()
        toolbar.addWidget(self.button)
        w.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.toolbar = toolbar

    def _call_later(self, seconds: float, callback: Callable[[], None]) -> Callable[[], None]:
        """The feed's timer: a single-shot Qt timer owned by this manager; returns a cancel function."""
        pending = [True]

        def fire() -> None:
            if pending[0]:
                pending[0] = False
                callback()

        QTimer.singleShot(round(seconds * 1000), self, fire)
        return lambda: pending.__setitem__(0, False)

    # -- the persisted history -----------------------------------------------------------
    def _open_history(self) -> NotificationHistory | None:
        try:
            return NotificationHistory.for_world(self.window.config_dir, self.session.world, limit=self.center.limit)
        except (OSError, sqlite3.Error) as exc:
            log.warning("the notification history cannot be kept (%s): this run's notifications only", exc)
            return None

    def _history_read(self, loaded: Future[list[Notice]]) -> None:
        """On the writer thread: hand the entries to the GUI thread (unless the window is gone)."""
        try:
            self.sig_history_loaded.emit(loaded)
        except RuntimeError:  # the manager was deleted first (a window closed at once)
            log.debug("notification history read after its window closed")

    def _restore_history(self, loaded: Future[list[Notice]]) -> None:
        """The entries of earlier runs go before this run's (an entry this run has already is kept once)."""
        try:
            restored = loaded.result()
        except Exception:
            log.exception("the notification history could not be read")
            return
        # stored as they are: known before the center says it changed (nothing is written again)
        self._stored_read.update({n.key: n.read for n in restored if n.key not in self._stored_read})
        self.center.restore(restored)
        self.history_restored = True

    def _store(self, notice: Notice) -> None:
        if self.history is not None and not is_away_summary(notice):
            self.history.put(notice)
            self._stored_read[notice.key] = notice.read

    def _store_changes(self) -> None:
        """Read flags changed, or the history was cleared: store that."""
        if self.history is None:
            return
        if not self.center.notices:
            self.history.clear()
            self._stored_read.clear()
            return
        for notice in self.center.notices:
            if self._stored_read.get(notice.key) != notice.read:
                self._store(notice)

    # -- preferences ---------------------------------------------------------------------
    def prefs(self) -> NotificationPrefs:
        return NotificationPrefs.from_dict(self.window.settings.notifications)

    def _apply_prefs(self) -> None:
        prefs = self.prefs()
        self.stack.max_visible = prefs.max_toasts
        self.stack.seconds = prefs.toast_seconds
        for action in (self.action_dnd, self.tray.action_dnd):
            action.blockSignals(True)
            action.setChecked(prefs.do_not_disturb)
            action.blockSignals(False)
        self.button.set_dnd(prefs.do_not_disturb)

    def set_do_not_disturb(self, on: bool) -> None:
        prefs = self.prefs()
        prefs.do_not_disturb = on
        self.window.settings.notifications = prefs.to_dict()
        try:
            save_settings(self.window.settings, self.window.config_dir)
        except OSError:
            log.warning("could not save the do-not-disturb setting", exc_info=True)
        self._apply_prefs()

    def open_settings(self) -> None:
        dialog = self.window.open_settings_dialog()
        tabs = dialog.findChild(QWidget, "settingsTabs")
        page = dialog.findChild(QWidget, "notificationSettings")
        if tabs is not None and page is not None and hasattr(tabs, "setCurrentWidget"):
            tabs.setCurrentWidget(page)
        dialog.sig_settings_applied.connect(lambda _s: self._apply_prefs())

    def set_theme(self, theme: str) -> None:
        """Theme switch; also re-reads the preferences (``apply_settings`` ends in a theme switch)."""
        self._apply_prefs()
        self.stack.set_theme(theme)
        self.panel.set_theme(theme)
        pal = palette(theme)
        self.button.set_palette(pal)
        self.indicator.set_palette(pal)

    # -- intake ---------------------------------------------------------------------------------
    def phase(self) -> Phase:
        """"initial" (start-up replay), "away" (replay after a reconnect) or "live"."""
        return self.feed.phase()

    def handle_event(self, event: MesoLiveEvent, arrival: Arrival) -> Notice | None:
        """One delivered event (the feed's subscriber): record, notify now, or keep for the end of the replay."""
        if arrival is Arrival.SEEN:
            self.center.record_state(event)
            return None
        away = arrival is Arrival.AWAY
        notice = self.center.accept(event, away=away)
        if notice is None:
            return None
        if away:
            return self._keep_away(notice)
        decision = self.announcer.offer(notice)
        if decision.fold_into is not None:
            self.center.fold(decision.fold_into, notice)
            return decision.fold_into
        self.center.add(notice)
        if decision.announce:
            self.route(notice)
        return notice

    def _keep_away(self, notice: Notice) -> Notice:
        """A missed event: into the history and the away list; a signal's later flips fold into its entry."""
        if is_debounced(notice):
            assert notice.level_key is not None
            self.announcer.forget(notice.level_key)  # the live episode is no longer what the trader was told
            entry = next((n for n in reversed(self._away) if n.level_key == notice.level_key), None)
            if entry is not None:
                fold(entry, notice, count=entry.event_count + 1, span="while you were away")
                self.center.fold(entry, notice)
                return entry
        self.center.add(notice)
        self._away.append(notice)
        return notice

    def flush_away(self) -> None:
        """The replay ended: show what was missed (one by one, or one summary for many)."""
        away, self._away = self._away, []
        startup, self._first_replay = self._first_replay, False
        if not away:
            return
        # at start-up the event log shows the replay: one toast says what was missed
        if len(away) <= (1 if startup else AWAY_TOAST_LIMIT):
            for notice in away:
                self.route(notice)
        else:
            self.route(away_summary(away), sound=self._sound_for(worst(away)))
        self.sig_away_flushed.emit(len(away))

    # -- routing ----------------------------------------------------------------------------------------
    def _sound_for(self, notice: Notice) -> str:
        prefs = self.prefs()
        rule = prefs.rule(notice.callback)
        if not rule.sound or not (notice.important or notice.severity.rank >= Severity.WARNING.rank):
            return ""
        return "error" if notice.severity is Severity.ERROR else rule.sound

    def route(self, notice: Notice, *, sound: str | None = None) -> None:
        """Toast (always, unless switched off), then sound and OS notification (not in do-not-disturb)."""
        prefs = self.prefs()
        rule = prefs.rule(notice.callback)
        is_summary = is_away_summary(notice)
        if prefs.toasts and (rule.toast or is_summary):
            self.stack.max_visible, self.stack.seconds = prefs.max_toasts, prefs.toast_seconds
            self.stack.show_notice(notice)
        if prefs.do_not_disturb:
            return
        name = self._sound_for(notice) if sound is None else sound
        if prefs.sounds and name:
            self.sounds.play(name)
        if (rule.desktop or is_summary) and notice.important and self.wants_desktop(prefs):
            self._last_tray_notice = notice
            self.desktop.notify(notice)

    def wants_desktop(self, prefs: NotificationPrefs | None = None) -> bool:
        mode = (prefs or self.prefs()).desktop
        if mode == "never":
            return False
        if mode == "always":
            return True
        w = self.window
        return not w.isVisible() or w.isMinimized() or not w.isActiveWindow()

    # -- click-through and actions -------------------------------------------------------------------------
    def open_target(self, notice: Notice) -> bool:
        """Take the trader to the notice's object; True when it was found and selected."""
        self.center.mark_read([notice.key])
        bring_to_front(self.window)
        t = notice.target
        if is_away_summary(notice):
            self.show_center()
            self.panel.select_type(AWAY_FILTER)
            return True
        if t is None:
            self.show_center()
            return False
        if t.kind == "position":
            return self.select("positions", t.id)
        if t.kind == "order":
            state = self.session.state
            position_id = getattr(state.orders.get(t.id), "position_id", None)
            plan = getattr(notice.event, "exec_plan_id", None)
            if position_id is None and plan is not None:
                position_id = state.exec_plan_positions.get(plan)
            if position_id is not None:
                self.select("positions", position_id)
            else:
                self.window.views["positions"].table.clearSelection()
            return self.select("orders", t.id)
        if t.kind == "leg":
            if t.position_id is not None:
                self.select("positions", t.position_id)
            return self.select("legs", t.id)
        if t.kind == "agent":
            return self.select("agents", t.id)
        if t.kind == "strategy":
            return self.select("strategies", t.id)
        if t.kind == "prepared":
            if t.position_id:
                self.select("positions", t.position_id)
            self.open_prepared(t.prep_kind or "", str(t.id), notice)
            return True
        return False

    def select(self, blotter: str, key: Any) -> bool:
        view = self.window.views.get(blotter)
        dock = self.window.docks.get(blotter)
        if view is None:
            return False
        if dock is not None:
            dock.show()
            dock.raise_()
        if view.select_key(key):
            return True
        if view.filter.text():
            view.filter.clear()
            return view.select_key(key)
        return False

    def _has_receivers(self, signature: str) -> bool:
        meta = self.metaObject()
        index = meta.indexOfSignal(signature)
        return index >= 0 and self.isSignalConnected(meta.method(index))

    def open_prepared(self, kind: str, job_id: str, notice: Notice | None = None) -> None:
        """Emit ``sig_open_prepared``; without a connected handler show a read-only summary."""
        handled = self._has_receivers("sig_open_prepared(QString,QString)")
        self.sig_open_prepared.emit(kind, job_id)
        if not handled and notice is not None:
            self._show_prepared_summary(kind, job_id, notice)

    def _show_prepared_summary(self, kind: str, job_id: str, notice: Notice) -> QDialog:
        dialog = QDialog(self.window)
        dialog.setObjectName("preparedSummaryDialog")
        dialog.setWindowTitle(f"{kind.capitalize()} prepared — job {job_id}")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        text = QTextBrowser()
        result = getattr(notice.event, "result", None)
        error = getattr(notice.event, "error", None)
        body = f"<h3>{html.escape(notice.title)}</h3><p>{html.escape(notice.body)}</p>"
        if error:
            body += f"<p><b>Error:</b> {html.escape(error)}</p>"
        if result is not None:
            pretty = json.dumps(json.loads(dumps(result)), indent=2)
            body += f"<pre>{html.escape(pretty[:20000])}</pre>"
        text.setHtml(body)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.close)
        layout = QVBoxLayout(dialog)
        layout.addWidget(text)
        layout.addWidget(buttons)
        dialog.resize(620, 480)
        dialog.destroyed.connect(lambda *_: self.dialogs.remove(dialog) if dialog in self.dialogs else None)
        self.dialogs.append(dialog)
        place_dialog(dialog, self.window)
        dialog.open()
        return dialog

    def run_action(self, notice: Notice, action: Action) -> None:
        """A toast's action button: emit the prepare request (and the window's position action)."""
        self.center.mark_read([notice.key])
        self.sig_prepare_requested.emit(action.kind, dict(action.payload))
        position_id = action.payload.get("position_id")
        if action.kind in ("exit", "adjustment") and isinstance(position_id, int):
            self.window.sig_position_action.emit("exit" if action.kind == "exit" else "adjust", position_id)

    def _on_tray_message_clicked(self) -> None:
        if self._last_tray_notice is not None:
            self.open_target(self._last_tray_notice)
        else:
            bring_to_front(self.window)

    # -- center, badge, tray ---------------------------------------------------------------------------------
    def show_center(self) -> None:
        self.dock.show()
        self.dock.raise_()

    def toggle_center(self) -> None:
        if self.dock.isVisible() and not self.dock.visibleRegion().isEmpty():
            self.dock.hide()
        else:
            self.show_center()

    def show_active(self) -> None:
        self.show_center()
        from mesodesk.ui.notify.center_dock import ACTIVE_FILTER

        self.panel.select_type(ACTIVE_FILTER)

    def _on_unread(self, count: int) -> None:
        self.button.set_count(count)
        self.tray.set_unread(count, self.connection_text())

    def connection_text(self) -> str:
        states = {name: self.session.hub_state(name) for name in self.session.hubs}
        if all(s is ConnectionState.CONNECTED for s in states.values()):
            return "connected"
        down = [name for name, s in states.items() if s is not ConnectionState.CONNECTED]
        words = {ConnectionState.CONNECTING: "connecting", ConnectionState.RECONNECTING: "reconnecting"}
        state = states[down[0]]
        return f"{words.get(state, 'disconnected')} ({', '.join(down)} hub{'s' * (len(down) != 1)})"

    def _update_connection(self) -> None:
        self.tray.set_connection(self.connection_text())

    # -- persistence and shutdown -------------------------------------------------------------------------------
    def save_cursor(self) -> None:
        self.feed.save_cursor()

    def shutdown(self) -> None:
        for remove in self._removers:
            remove()
        self._removers = []
        self.feed.close()
        if self.history is not None:
            self.history.close()
        self.announcer.close()
        self.desktop.close()
        self.tray.hide()


__all__ = ["NotificationManager", "install_notifications"]
