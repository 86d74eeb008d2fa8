"""The main window: dockable blotters, menus and a status bar with the connection state."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QWidget

from mesodesk import __version__
from mesodesk.core.session import Session
from mesodesk.sdk import ConnectionState
from mesodesk.ui.blotters import ACCOUNT_COLUMNS, POSITION_COLUMNS
from mesodesk.ui.docks.table_dock import BlotterView, make_dock
from mesodesk.ui.errors import ErrorHub, ErrorPanel, ErrorRecord
from mesodesk.ui.frame_scheduler import FrameScheduler
from mesodesk.ui.models.keyed_table_model import KeyedTableModel
from mesodesk.ui.theme import apply_theme

RESOURCES = Path(__file__).resolve().parents[2] / "resources"

STATE_COLORS = {
    ConnectionState.CONNECTED: "#3fb27f",
    ConnectionState.CONNECTING: "#e8b84a",
    ConnectionState.RECONNECTING: "#e8b84a",
    ConnectionState.DISCONNECTED: "#d64545",
}


def app_icon() -> QIcon:
    path = RESOURCES / "mesodesk.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


class MainWindow(QMainWindow):
    sig_closed = Signal()
    """Emitted when the user closes the window (the app then shuts down)."""

    def __init__(self, session: Session, errors: ErrorHub, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.errors = errors
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"mesodesk {__version__} — {session.url}")
        self.setWindowIcon(app_icon())
        self.resize(1440, 860)
        self.setDockNestingEnabled(True)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, "system")

        self.frames = FrameScheduler(self)
        state = session.state
        self.accounts_model = KeyedTableModel(state.accounts, ACCOUNT_COLUMNS, self)
        self.positions_model = KeyedTableModel(state.positions, POSITION_COLUMNS, self)
        for table, model in ((state.accounts, self.accounts_model), (state.positions, self.positions_model)):
            table.on_dirty(self.frames.request)
            self.frames.add(model.sync)
        self.frames.add(self._update_status_counts)

        self.positions_view = BlotterView(self.positions_model, "positions")
        self.accounts_view = BlotterView(self.accounts_model, "accounts")
        self.error_panel = ErrorPanel(errors)
        self.positions_dock = make_dock("Positions", "positionsDock", self.positions_view)
        self.accounts_dock = make_dock("Accounts", "accountsDock", self.accounts_view)
        self.errors_dock = make_dock("Errors", "errorsDock", self.error_panel)
        self.setCentralWidget(None)
        self.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, self.positions_dock)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.accounts_dock)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.errors_dock)
        self.tabifyDockWidget(self.accounts_dock, self.errors_dock)
        self.accounts_dock.raise_()
        self.resizeDocks([self.positions_dock, self.accounts_dock], [560, 240], Qt.Orientation.Vertical)
        errors.sig_error.connect(self._on_error)

        self._build_menus()
        self._build_status_bar()
        session.add_hub_state_listener(lambda hub, state: self._show_hub_state(hub, state))
        for hub in session.hubs:
            self._show_hub_state(hub, session.hub_state(hub))

    # -- chrome -------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setObjectName("actionQuit")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu("&View")
        for dock in (self.positions_dock, self.accounts_dock, self.errors_dock):
            view_menu.addAction(dock.toggleViewAction())

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.hub_labels: dict[str, QLabel] = {}
        for hub in self.session.hubs:
            label = QLabel()
            label.setObjectName(f"{hub}HubStatus")
            self.hub_labels[hub] = label
            bar.addWidget(label)
        self.updates_label = QLabel()
        self.updates_label.setObjectName("updatesStatus")
        bar.addPermanentWidget(self.updates_label)
        kind = "embedded simulator" if self.session.embedded else "server"
        self.server_label = QLabel(f"{kind}: {self.session.url}")
        self.server_label.setObjectName("serverStatus")
        bar.addPermanentWidget(self.server_label)

    def _show_hub_state(self, hub: str, state: ConnectionState) -> None:
        label = self.hub_labels.get(hub)
        if label is None:
            return
        color = STATE_COLORS.get(state, "#d6dde6")
        label.setText(f"<span style='color:{color}'>●</span> {hub.capitalize()}: {state.value}")
        label.setToolTip(f"{hub} hub: {state.value}")

    def _update_status_counts(self) -> None:
        state = self.session.state
        self.updates_label.setText(f"{len(state.positions)} positions · {state.stream_updates:,} updates")

    def _on_error(self, record: ErrorRecord) -> None:
        self.statusBar().showMessage(f"Error: {record.summary}", 10_000)
        self.errors_dock.show()
        self.errors_dock.raise_()

    # -- helpers for tests and --screenshot ---------------------------------------
    async def wait_until_live(self, min_updates: int = 2) -> None:
        """Return once positions are shown and their streamed values have changed on screen."""
        while True:
            rows = self.positions_model.rowCount()
            live = [r for r in self.session.state.positions.values() if r.updates >= min_updates]
            if rows and live and self.frames.frames >= 2 and not self.session.state.positions.dirty:
                return
            await asyncio.sleep(0.05)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.sig_closed.emit()
        super().closeEvent(event)

    def dock(self, name: str) -> QDockWidget:
        return {"positions": self.positions_dock, "accounts": self.accounts_dock, "errors": self.errors_dock}[name]
