"""The main window: dockable blotters, menus, toolbar, layouts and a status bar.

Every blotter declared in :data:`mesodesk.ui.blotters.BLOTTERS` becomes a
``KeyedTableModel`` + ``BlotterView`` in a dock named ``<key>Dock``. Tables go
dirty -> one frame request -> every model syncs once per frame. Selecting a
position filters Legs, Orders and Executions (``sig_position_selected``);
double-click (or Enter) opens the position detail view.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, QRect, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QToolBar,
    QWidget,
)

from mesodesk import __version__
from mesodesk.core.errors import ConnectionState
from mesodesk.core.session import Session
from mesodesk.core.settings import Settings, default_config_dir, load_settings, save_settings
from mesodesk.core.trading.desk import TradingDesk
from mesodesk.ui.blotters import BLOTTERS
from mesodesk.ui.charts.placeholders import add_chart_placeholders
from mesodesk.ui.dialog_placement import place_dialog
from mesodesk.ui.dialogs.connection_dialog import ConnectionDialog
from mesodesk.ui.dialogs.layout_name_dialog import LayoutNameDialog
from mesodesk.ui.docks.day_views import install_day_views
from mesodesk.ui.docks.position_detail import PositionDetailView
from mesodesk.ui.docks.table_dock import BlotterView, make_dock
from mesodesk.ui.errors import ErrorHub, ErrorPanel, ErrorRecord
from mesodesk.ui.frame_scheduler import FrameScheduler
from mesodesk.ui.layouts import (
    DefaultLayout,
    LayoutManager,
    arrange,
    choose_default_layout,
    default_window_size,
    let_docks_shrink,
    place_new_dock,
)
from mesodesk.ui.models.keyed_table_model import KeyedTableModel
from mesodesk.ui.notify import NotificationManager, install_notifications
from mesodesk.ui.status_bar import ConnectionStatus
from mesodesk.ui.theme import THEMES, apply_theme
from mesodesk.ui.theme import resolve as resolve_theme
from mesodesk.ui.trading import TradingController
from mesodesk.ui.ui_settings import ui_settings

if TYPE_CHECKING:
    from mesodesk.ui.charts import ChartsController
    from mesodesk.ui.dialogs.settings_dialog import SettingsDialog

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
#: the screen the offscreen platform renders for (its own virtual screen is 800x800)
OFFSCREEN_SCREEN = QSize(1920, 1080)
#: blotters filtered by the selected position
LINKED = ("legs", "orders", "executions")


def app_icon() -> QIcon:
    path = RESOURCES / "mesodesk.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


class MainWindow(QMainWindow):
    sig_closed = Signal()
    """Emitted when the user closes the window (the app then shuts down)."""

    sig_position_selected = Signal(object)
    """Emitted with the selected position id, or None when no position is selected."""

    sig_position_action = Signal(str, int)
    """Emitted with ``(action, position_id)`` for position actions (exit/adjust come with a later issue)."""

    sig_connect_requested = Signal(object)
    """Emitted with a :class:`~mesodesk.ui.dialogs.connection_dialog.ConnectionChoice` from the Connect dialog."""

    sig_theme_changed = Signal(str)
    """Emitted with the resolved theme name ("dark" or "light") after a theme switch."""

    #: extension points, each filled by its package and typed here (no attributes set from outside)
    notifications: NotificationManager
    trading: TradingController
    charts: ChartsController | None = None

    def __init__(self, session: Session, errors: ErrorHub, parent: QWidget | None = None, *,
                 config_dir: Path | None = None, settings: Settings | None = None, defer_charts: bool = False,
                 desk: TradingDesk | None = None) -> None:
        """``defer_charts``: dock placeholders now and build the charts (and import pyqtgraph) and the
        Trade history and Today docks' contents in :meth:`build_deferred_panels`, so the window shows
        its live tables sooner (the app does).
        ``desk``: the trading commands (the app passes one with the simulator's commission estimate)."""
        super().__init__(parent)
        self.session = session
        self.errors = errors
        self.config_dir = config_dir or default_config_dir()
        self.settings = settings or load_settings(self.config_dir)
        self.qsettings: QSettings = ui_settings(self.config_dir)
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"mesodesk {__version__} — {session.url}")
        self.setWindowIcon(app_icon())
        self._size_to_screen()
        self.setDockNestingEnabled(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowNestedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks)
        self.theme = self._theme_worn() or self.apply_theme(self.settings.theme, save=False)

        self.frames = FrameScheduler(self)
        self.models: dict[str, KeyedTableModel] = {}
        self.views: dict[str, BlotterView] = {}
        self.docks: dict[str, QDockWidget] = {}
        tables = session.state.tables()
        for key, spec in BLOTTERS.items():
            model = KeyedTableModel(tables[key], spec.columns, self)
            model.set_flash(self.settings.flash_changes, self.settings.flash_ms)
            tables[key].on_dirty(self.frames.request)
            self.frames.add(model.sync)
            view = BlotterView(model, key, total_columns=spec.total_columns, groupings=spec.groupings)
            self.models[key], self.views[key] = model, view
            self.docks[key] = make_dock(spec.title, f"{key}Dock", view)
        self.error_panel = ErrorPanel(errors)
        self.docks["errors"] = make_dock("Errors", "errorsDock", self.error_panel)
        self.details: dict[int, PositionDetailView] = {}
        self.frames.add(self._refresh_details)

        self.positions_model, self.accounts_model = self.models["positions"], self.models["accounts"]
        self.positions_view, self.accounts_view = self.views["positions"], self.views["accounts"]
        self.positions_dock, self.accounts_dock = self.docks["positions"], self.docks["accounts"]
        self.errors_dock = self.docks["errors"]
        self.views["events"].table.sortByColumn(0, Qt.SortOrder.DescendingOrder)

        self._chart_placeholders: dict[str, QDockWidget] | None = None
        if defer_charts:
            self._chart_placeholders = add_chart_placeholders(self)
        else:
            self._build_charts()
        # Trade history and Today docks (mesodesk.ui.docks.day_views): their contents come with the charts
        self.day_views = install_day_views(self, deferred=defer_charts)
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        # toasts, notification center dock, toolbar badge, tray (mesodesk.ui.notify)
        self.notifications = install_notifications(self)
        # entry/exit/adjust flows, order ticket, strategies (mesodesk.ui.trading); writes go through the desk
        self.desk = desk or TradingDesk(session)
        self.desk.settings_source = lambda: self.settings.trading
        self.trading = TradingController(self, self.desk)
        # an entry-signal toast's "Prepare entry" (its exit/adjust buttons arrive as sig_position_action)
        self.notifications.sig_prepare_requested.connect(self.trading.on_prepare_requested)
        self.status = ConnectionStatus(self.statusBar(), session)
        self.hub_labels = self.status.hub_labels
        self.server_label = self.status.server_label
        self.updates_label = self.status.updates_label

        # every dock exists now (install new docks above this line): lay them out, then restore
        self.default_layout = self._arrange_default_layout()
        self.layouts = LayoutManager(self, self.qsettings, self.docks, self.arrange_default_layout,
                                     lambda: self.default_layout)
        self._restored_layout = self.layouts.restore_last()
        for key, view in self.views.items():
            view.restore_header_state(self.qsettings)
            text = self.settings.default_filters.get(key)
            if text:
                view.filter.setText(text)

        positions = self.views["positions"]
        positions.add_row_action("details", "Show details…")
        positions.sig_row_action.connect(self._on_position_row_action)
        positions.sig_row_activated.connect(lambda key: self.show_position_details(int(key)))
        positions.sig_current_changed.connect(self._on_position_current)
        self.sig_position_selected.connect(self._link_position)

        errors.sig_error.connect(self._on_error)
        session.add_hub_state_listener(lambda hub, state: self._on_hub_state(hub, state))
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(250)
        self._status_timer.timeout.connect(self._tick_status)
        self._status_timer.start()
        hints = QGuiApplication.styleHints()
        hints.colorSchemeChanged.connect(self._on_os_scheme_changed)
        self._settings_dialog: SettingsDialog | None = None
        self._help_dialogs: dict[str, QDialog] = {}
        self._connection_dialog: ConnectionDialog | None = None

    # -- layout ----------------------------------------------------------------------
    def _screen_area(self) -> QRect:
        """The screen's available area; the offscreen platform (tests, ``--screenshot``) has no
        real screen and renders as on a full-HD one."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None or QGuiApplication.platformName() == "offscreen":
            return QRect(QPoint(0, 0), OFFSCREEN_SCREEN)
        return screen.availableGeometry()

    def _available_size(self) -> QSize:
        return self._screen_area().size()

    def _size_to_screen(self) -> None:
        """The first size: the screen's available area (up to full HD), never more."""
        area = self._screen_area()
        size = default_window_size(area.size())
        self.resize(size)
        self.move(area.x() + (area.width() - size.width()) // 2, area.y() + (area.height() - size.height()) // 2)

    def _fit_frame_to_screen(self) -> None:
        """Once shown: a window manager's frame may push the window past the screen; shrink to fit."""
        area, frame = self._screen_area(), self.frameGeometry()
        extra = QSize(max(0, frame.width() - area.width()), max(0, frame.height() - area.height()))
        if not extra.isNull():
            self.resize(self.width() - extra.width(), self.height() - extra.height())
            self.move(area.topLeft())

    def _arrange_default_layout(self, available: QSize | None = None) -> DefaultLayout:
        """The default layout for the screen (or ``available``): Positions across the top, then
        Legs/Orders/Executions, the charts, the event log (:mod:`mesodesk.ui.layouts`)."""
        self.setCentralWidget(None)  # type: ignore[arg-type]  # docks only
        plan = choose_default_layout(available or self._available_size())
        let_docks_shrink(self.docks.values())
        self._apply_default_sizes = arrange(self, self.docks, plan)
        return plan

    def arrange_default_layout(self, available: QSize | None = None) -> None:
        """Lay the docks out as the default layout for ``available`` (the screen's by default)."""
        self.default_layout = self._arrange_default_layout(available)
        QTimer.singleShot(0, self._apply_default_sizes)  # once the docks have been laid out

    def reset_layout(self) -> QMessageBox:
        """Ask, then put the default layout back (Layout → Undo reset layout undoes it once)."""
        box = QMessageBox(QMessageBox.Icon.Question, "Reset layout",
                          "Put every panel back to the default layout?\n"
                          "You can undo this once with Layout → Undo reset layout.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("resetLayoutConfirm")
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda result: self._reset_layout_answered(result == QMessageBox.StandardButton.Yes))
        box.open()
        return box

    def _reset_layout_answered(self, yes: bool) -> None:
        if yes:
            self.layouts.reset()
            self.action_undo_reset_layout.setEnabled(self.layouts.can_undo_reset)

    def undo_reset_layout(self) -> None:
        self.layouts.undo_reset()
        self.action_undo_reset_layout.setEnabled(self.layouts.can_undo_reset)

    def _save_layout_dialog(self) -> LayoutNameDialog:
        dialog = LayoutNameDialog(self.layouts.names(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_name_chosen.connect(self._save_named_layout)
        place_dialog(dialog, self)
        dialog.open()
        return dialog

    def _save_named_layout(self, name: str) -> None:
        self.layouts.save(name)
        self._rebuild_layout_menu()

    def _rebuild_layout_menu(self) -> None:
        for menu, handler in ((self.restore_layout_menu, self.layouts.restore),
                              (self.delete_layout_menu, self._delete_layout)):
            menu.clear()
            names = self.layouts.names()
            for name in names:
                menu.addAction(name).triggered.connect(lambda _=False, n=name, h=handler: h(n))
            menu.setEnabled(bool(names))

    def _delete_layout(self, name: str) -> None:
        self.layouts.delete(name)
        self._rebuild_layout_menu()

    # -- actions, menus, toolbar --------------------------------------------------------
    def _action(self, name: str, text: str, slot: Callable[..., Any], shortcut: Any = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(f"{tip} ({action.shortcut().toString()})" if shortcut else tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.action_connect = a("actionConnect", "&Connect…", self.open_connection_dialog, "Ctrl+K",
                                "Connect to the simulator or a MesoLive server")
        self.action_settings = a("actionSettings", "&Settings…", self.open_settings_dialog,
                                 QKeySequence.StandardKey.Preferences, "Theme, flashing, default filters")
        if self.action_settings.shortcut().isEmpty():
            self.action_settings.setShortcut(QKeySequence("Ctrl+,"))
        self.action_quit = a("actionQuit", "&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.action_details = a("actionPositionDetails", "Position &details", self._details_of_selection,
                                "Ctrl+D", "Open the selected position's details")
        self.action_clear_selection = a("actionClearSelection", "Clear position selection",
                                        self.views["positions"].table.clearSelection, "Ctrl+Shift+A",
                                        "Show all legs and orders again")
        self.action_reset_layout = a("actionResetLayout", "&Reset to default layout…", self.reset_layout,
                                     "Ctrl+Shift+R", "Restore the default dock layout (asks first)")
        self.action_undo_reset_layout = a("actionUndoResetLayout", "&Undo reset layout", self.undo_reset_layout,
                                          tip="Put back the layout the last reset replaced")
        self.action_undo_reset_layout.setEnabled(False)
        self.action_save_layout = a("actionSaveLayout", "&Save layout as…", self._save_layout_dialog,
                                    "Ctrl+Shift+S", "Save the current dock layout under a name")
        self.action_toggle_theme = a("actionToggleTheme", "Toggle dark/light", self._toggle_theme,
                                     "Ctrl+Shift+T", "Switch between the dark and the light theme")
        self.action_flash = a("actionFlash", "&Flash changed values", self._set_flash)
        self.action_flash.setCheckable(True)
        self.action_flash.setChecked(self.settings.flash_changes)
        self.action_find = a("actionFind", "&Find in blotter", self._focus_filter, QKeySequence.StandardKey.Find)
        self.action_about = a("actionAbout", "&About mesodesk", self._about)
        self.action_user_guide = a("actionUserGuide", "&User guide", self.open_user_guide,
                                   QKeySequence.StandardKey.HelpContents, "How mesodesk works, offline")
        if self.action_user_guide.shortcut().isEmpty():
            self.action_user_guide.setShortcut(QKeySequence("F1"))
        self.action_shortcuts = a("actionKeyboardShortcuts", "&Keyboard shortcuts", self.open_shortcuts,
                                  "Ctrl+/", "Every action's keys, as bound now")

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.action_connect, self.action_settings])
        file_menu.addSeparator()
        file_menu.addAction(self.action_quit)

        view = bar.addMenu("&View")
        for i, (key, dock) in enumerate(self.docks.items()):
            toggle = dock.toggleViewAction()
            toggle.setObjectName(f"actionToggle_{key}")
            if i < 9:
                toggle.setShortcut(QKeySequence(f"Alt+{i + 1}"))
            view.addAction(toggle)
        view.addSeparator()
        theme_menu = view.addMenu("&Theme")
        theme_menu.setObjectName("menuTheme")
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for name in THEMES:
            action = theme_menu.addAction({"system": "Follow the OS", "dark": "Dark", "light": "Light"}[name])
            action.setObjectName(f"actionTheme_{name}")
            action.setCheckable(True)
            action.setChecked(name == self.settings.theme)
            action.triggered.connect(lambda _=False, n=name: self.apply_theme(n))
            group.addAction(action)
            self.theme_actions[name] = action
        theme_menu.addSeparator()
        theme_menu.addAction(self.action_toggle_theme)
        view.addAction(self.action_flash)
        view.addAction(self.action_find)

        layout = bar.addMenu("&Layout")
        layout.addAction(self.action_save_layout)
        self.restore_layout_menu = layout.addMenu("Restore &layout")
        self.restore_layout_menu.setObjectName("menuRestoreLayout")
        self.delete_layout_menu = layout.addMenu("&Delete layout")
        self.delete_layout_menu.setObjectName("menuDeleteLayout")
        layout.addSeparator()
        layout.addAction(self.action_reset_layout)
        layout.addAction(self.action_undo_reset_layout)

        position = bar.addMenu("&Position")
        position.addAction(self.action_details)
        position.addAction(self.action_clear_selection)

        help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.action_user_guide, self.action_shortcuts])
        help_menu.addSeparator()
        help_menu.addAction(self.action_about)
        self._layout_menu_ready = True

    def showEvent(self, event: Any) -> None:
        if getattr(self, "_layout_menu_ready", False):
            self._rebuild_layout_menu()
            self._layout_menu_ready = False
        first_show = not getattr(self, "_shown_once", False)
        self._shown_once = True
        super().showEvent(event)
        if first_show and not self._restored_layout:
            # dock sizes only take once the window has its real size
            QTimer.singleShot(0, self._settle_default_layout)
        elif first_show:
            self.layouts.window_shown()

    def _settle_default_layout(self) -> None:
        self._fit_frame_to_screen()
        self._apply_default_sizes()

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Main toolbar")
        toolbar.setObjectName("mainToolBar")  # stable ASCII name: part of the saved layout
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.addActions([self.action_connect, self.action_details])
        toolbar.addSeparator()
        toolbar.addActions([self.action_save_layout, self.action_reset_layout])
        toolbar.addSeparator()
        toolbar.addActions([self.action_toggle_theme, self.action_settings])
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.toolbar = toolbar

    # -- theme and settings ------------------------------------------------------------------
    def apply_theme(self, theme: str, *, save: bool = True) -> str:
        app = QApplication.instance()
        resolved = apply_theme(app, theme) if isinstance(app, QApplication) else "dark"
        self.theme = resolved
        self.settings.theme = theme
        if save:
            self._save_settings()
        for action_name, action in getattr(self, "theme_actions", {}).items():
            action.setChecked(action_name == theme)
        if hasattr(self, "status"):
            self.status.refresh()
        for view in getattr(self, "views", {}).values():
            view.table.viewport().update()
        self.sig_theme_changed.emit(resolved)
        return resolved

    def _theme_worn(self) -> str | None:
        """The resolved theme when the app already wears the chosen one (the last session's window put
        it on, :mod:`mesodesk.ui.cached_window`): applying it again would only re-polish every widget."""
        app = QApplication.instance()
        choice = self.settings.theme
        if not isinstance(app, QApplication) or app.property("mesodesk_theme_choice") != choice:
            return None
        worn = app.property("mesodesk_theme")
        return worn if worn == resolve_theme(choice) else None

    def _toggle_theme(self) -> None:
        self.apply_theme("light" if self.theme == "dark" else "dark")

    def _on_os_scheme_changed(self, *_: Any) -> None:
        if self.settings.theme == "system":
            self.apply_theme("system", save=False)

    def _set_flash(self, enabled: bool) -> None:
        self.settings.flash_changes = enabled
        for model in self.models.values():
            model.set_flash(enabled, self.settings.flash_ms)
        self._save_settings()

    def apply_settings(self, settings: Settings) -> None:
        self.settings = settings
        self.action_flash.setChecked(settings.flash_changes)
        for model in self.models.values():
            model.set_flash(settings.flash_changes, settings.flash_ms)
        self.apply_theme(settings.theme)  # also saves

    def _save_settings(self) -> None:
        save_settings(self.settings, self.config_dir)

    def open_settings_dialog(self) -> SettingsDialog:
        from mesodesk.ui.dialogs.settings_dialog import SettingsDialog  # on demand: not on the start-up path

        dialog = SettingsDialog(self.settings, {k: s.title for k, s in BLOTTERS.items()}, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_settings_applied.connect(self.apply_settings)
        place_dialog(dialog, self)
        dialog.open()
        self._settings_dialog = dialog
        return dialog

    def open_connection_dialog(self) -> ConnectionDialog:
        dialog = ConnectionDialog(self.settings.connection_mode, self.settings.server_url, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_connection_chosen.connect(self._on_connection_chosen)
        place_dialog(dialog, self)
        dialog.open()
        self._connection_dialog = dialog
        return dialog

    def _on_connection_chosen(self, choice: Any) -> None:
        self.settings.connection_mode = choice.mode
        if choice.url:
            self.settings.server_url = choice.url
        self._save_settings()
        self.sig_connect_requested.emit(choice)

    def open_user_guide(self) -> QDialog:
        from mesodesk.ui.help import UserGuideDialog, open_help_dialog

        self._help_dialogs["guide"] = open_help_dialog(self, self._help_dialogs.get("guide"), UserGuideDialog)
        return self._help_dialogs["guide"]

    def open_shortcuts(self) -> QDialog:
        from mesodesk.ui.help import ShortcutsDialog, open_help_dialog

        self._help_dialogs["shortcuts"] = open_help_dialog(self, self._help_dialogs.get("shortcuts"), ShortcutsDialog)
        return self._help_dialogs["shortcuts"]

    def _about(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "About mesodesk",
                          f"mesodesk {__version__}\nA desktop trading console for MesoLive.", parent=self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _focus_filter(self) -> None:
        focus = QApplication.focusWidget()
        for view in self.views.values():
            if focus is not None and view.isAncestorOf(focus):
                view.focus_filter()
                return
        self.views["positions"].focus_filter()

    # -- positions: selection, details, actions -------------------------------------------------
    def _on_position_current(self, key: Any) -> None:
        self.sig_position_selected.emit(None if key is None else int(key))

    def _link_position(self, position_id: int | None) -> None:
        for key in LINKED:
            view = self.views[key]
            if position_id is None:
                view.set_link(None)
            else:
                view.set_link(f"Position #{position_id}",
                              lambda row, pid=position_id: getattr(row, "position_id", None) == pid)

    def _on_position_row_action(self, action: str, key: Any) -> None:
        if action == "details":
            self.show_position_details(int(key))
        else:
            self.sig_position_action.emit(action, int(key))

    def _details_of_selection(self) -> None:
        key = self.views["positions"].current_key()
        if isinstance(key, int):
            self.show_position_details(key)

    def show_position_details(self, position_id: int) -> PositionDetailView:
        view = self.details.get(position_id)
        if view is None:
            view = PositionDetailView(self.session, position_id, self.models["legs"], self.models["events"], self)
            view.sig_closed.connect(lambda pid: self.details.pop(pid, None))
            self.details[position_id] = view
        view.show()
        view.raise_()
        view.activateWindow()
        return view

    def _refresh_details(self) -> None:
        for view in list(self.details.values()):
            view.refresh()

    # -- status ---------------------------------------------------------------------------------
    def _on_hub_state(self, hub: str, state: ConnectionState) -> None:
        self.status.show_hub(hub, state)
        self._update_stale()

    def _update_stale(self) -> None:
        stale = self.session.state.stale
        for key, spec in BLOTTERS.items():
            self.models[key].set_stale(any(stale.get(h, False) for h in spec.hubs))

    def _tick_status(self) -> None:
        self.status.refresh()
        self._update_stale()

    def _on_error(self, record: ErrorRecord) -> None:
        self.statusBar().showMessage(f"Error: {record.summary}", 10_000)
        self.errors_dock.show()
        self.errors_dock.raise_()

    def build_deferred_panels(self) -> None:
        """Build the Trade history and Today docks' contents, then the charts (position/greeks charts,
        risk graph, rollups) into their docks; once."""
        self.day_views.build()
        self._build_charts()

    def _build_charts(self) -> None:
        if self.charts is not None:
            return
        from mesodesk.ui.charts import install_chart_docks  # imports pyqtgraph

        placeholders, self._chart_placeholders = self._chart_placeholders, None
        before = set(self.docks)
        self.charts = install_chart_docks(self, docks=placeholders)
        let_docks_shrink(self.charts.docks.values())  # the charts' control rows must not block the dividers
        if getattr(self, "default_layout", None) is not None:  # built after the layout: place what is new
            self._place_late_docks([key for key in self.docks if key not in before])
            if not self._restored_layout:  # the charts' first minimum sizes pushed the dividers: put them back
                QTimer.singleShot(0, self._apply_default_sizes)

    def _place_late_docks(self, keys: list[str]) -> None:
        """Docks made after the layout was built (deferred charts): the restored layout once more,
        now with them (where it had them, else at their default place); else their default place."""
        if self.layouts.reapply():
            return
        known = {dock.objectName() for key, dock in self.docks.items() if key not in keys}
        for key in keys:
            place_new_dock(self, self.docks, self.default_layout, key, known)

    # -- helpers for tests and --screenshot ---------------------------------------
    async def wait_until_live(self, min_updates: int = 2) -> None:
        """Return once positions are shown and their streamed values have changed on screen
        (``min_updates`` stream items applied to at least one position)."""
        while True:
            rows = self.positions_model.rowCount()
            live = any(r.updates >= min_updates for r in self.session.state.positions.values())
            if rows and live and self.frames.frames >= 1 and not self.session.state.positions.dirty:
                self.status.refresh()
                return
            await asyncio.sleep(0.01)

    def save_ui_state(self) -> None:
        """Persist the dock layout and every blotter's header state."""
        self.layouts.save_last()
        for view in self.views.values():
            view.save_header_state(self.qsettings)
        self.qsettings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_ui_state()
        for view in list(self.details.values()):
            view.close()
        self._status_timer.stop()
        self.sig_closed.emit()
        super().closeEvent(event)

    def dock(self, name: str) -> QDockWidget:
        return self.docks[name]

    def status_label(self, name: str) -> QLabel:
        label = self.statusBar().findChild(QLabel, name)
        assert label is not None
        return label

    def menu(self, name: str) -> QMenu:
        menu = self.findChild(QMenu, name)
        assert menu is not None
        return menu
