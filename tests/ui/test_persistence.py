"""Layouts (save, change, restore, reset), header state, theme switch, settings and connection dialogs.

The window here is built over a real Session that is not connected: these tests are about
the chrome, not data (the console tests cover data against the simulator).
"""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import keyring.backend
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDockWidget

from mesodesk.core.credentials import SERVICE, load_api_key
from mesodesk.core.session import Session
from mesodesk.core.settings import load_settings, settings_path
from mesodesk.ui import theme
from mesodesk.ui.dialogs.connection_dialog import ConnectionChoice, ConnectionDialog
from mesodesk.ui.docks.table_dock import BlotterView
from mesodesk.ui.errors import ErrorHub
from mesodesk.ui.layouts import LAYOUT_VERSION
from mesodesk.ui.main_window import MainWindow
from mesodesk.ui.ui_settings import ui_settings
from tests.ui.aio import run


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory keyring backend for tests."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def _shown(dock: QDockWidget) -> bool:
    """Shown in the layout (a tab that is not in front still counts)."""
    return dock.toggleViewAction().isChecked()


def _window(qtbot, config: Path) -> MainWindow:
    window = MainWindow(Session("http://127.0.0.1:9", "unused-key"), ErrorHub(), config_dir=config)
    qtbot.addWidget(window)
    window.show()
    return window


def test_layout_round_trip_named_last_and_reset(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        config = tmp_path / "config"
        w = _window(qtbot, config)
        assert all(d.objectName().isascii() and d.objectName().endswith("Dock") for d in w.findChildren(QDockWidget))
        assert w.toolbar.objectName() == "mainToolBar"
        # Save a named layout with the Legs dock hidden and Accounts floating.
        w.docks["legs"].hide()
        w.docks["accounts"].setFloating(True)
        w.layouts.save("review")
        assert w.layouts.names() == ["review"]
        # Change, then restore it.
        w.docks["legs"].show()
        w.docks["accounts"].setFloating(False)
        assert w.layouts.restore("review")
        assert not _shown(w.docks["legs"]) and w.docks["accounts"].isFloating()
        # Reset to the default layout.
        assert w.layouts.reset()
        assert _shown(w.docks["legs"]) and not w.docks["accounts"].isFloating()
        assert w.dockWidgetArea(w.docks["positions"]) == Qt.DockWidgetArea.TopDockWidgetArea
        # The last layout survives a restart; a layout from another version is ignored.
        w.docks["agents"].close()
        w.close()
        again = _window(qtbot, config)
        assert not _shown(again.docks["agents"]) and _shown(again.docks["legs"])
        assert again.layouts.names() == ["review"]
        again.close()
        settings = ui_settings(config)
        settings.setValue("layouts/last/version", LAYOUT_VERSION + 1)
        settings.sync()
        third = _window(qtbot, config)
        assert _shown(third.docks["agents"])  # stale version -> default layout
        third.layouts.delete("review")
        assert third.layouts.names() == []

    run(qloop, scenario())


def test_header_state_persists_column_choice_order_and_widths(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        config = tmp_path / "config"
        w = _window(qtbot, config)
        view = w.views["positions"]
        header = view.table.horizontalHeader()
        view.set_column_visible("strategy", False)
        header.moveSection(header.visualIndex(view.model.column_index("pnl")), 0)
        view.table.setColumnWidth(view.model.column_index("delta"), 133)
        w.close()  # saves every blotter's header state
        again = _window(qtbot, config)
        view2 = again.views["positions"]
        header2 = view2.table.horizontalHeader()
        assert not view2.is_column_visible("strategy")
        assert header2.logicalIndex(0) == view2.model.column_index("pnl")
        assert view2.table.columnWidth(view2.model.column_index("delta")) == 133
        assert view2.is_column_visible("delta")
        # Nothing saved under a name: nothing restored (a changed column list is migrated by
        # column key: tests/ui/test_layouts.py).
        settings = ui_settings(config)
        assert not BlotterView(view2.model, "nothingSaved").restore_header_state(settings)
        view2.apply_default_columns()
        assert view2.is_column_visible("strategy") and header2.logicalIndex(0) == 0

    run(qloop, scenario())


def test_theme_switch_and_settings_dialog(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        config = tmp_path / "config"
        w = _window(qtbot, config)
        app = QApplication.instance()
        themes: list[str] = []
        w.sig_theme_changed.connect(themes.append)
        w.apply_theme("light")
        assert app.property("mesodesk_theme") == "light" and theme.colors() is theme.LIGHT
        assert app.palette().color(QPalette.ColorRole.Window).lightness() > 200
        assert "QHeaderView::section" in app.styleSheet()
        w.action_toggle_theme.trigger()
        assert app.property("mesodesk_theme") == "dark" and theme.colors() is theme.DARK
        assert app.palette().color(QPalette.ColorRole.Window).lightness() < 60
        assert themes == ["light", "dark"]
        assert load_settings(config).theme == "dark"
        w.apply_theme("system")
        assert app.property("mesodesk_theme") in ("dark", "light")
        # Settings dialog: flash off, a default filter.
        dialog = w.open_settings_dialog()
        dialog.flash.setChecked(False)
        dialog.filters["positions"].setText("SPX")
        dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
        dialog.accept()
        assert not w.models["legs"].flash_enabled and not w.action_flash.isChecked()
        saved = load_settings(config)
        assert (saved.flash_changes, saved.default_filters, saved.theme) == (False, {"positions": "SPX"}, "dark")
        w.close()
        again = _window(qtbot, config)
        assert again.views["positions"].filter.text() == "SPX"

    run(qloop, scenario())


def test_connection_dialog_stores_the_key_in_the_keyring_only(qloop, qtbot, tmp_path: Path,
                                                                memory_keyring: MemoryKeyring) -> None:
    async def scenario() -> None:
        config = tmp_path / "config"
        w = _window(qtbot, config)
        chosen: list[ConnectionChoice] = []
        w.sig_connect_requested.connect(chosen.append)
        dialog = w.open_connection_dialog()
        dialog.remote.setChecked(True)
        dialog.url.setText("ftp://nope")
        dialog.api_key.setText("k-123")
        dialog.accept()
        assert dialog.error.isVisible() and not chosen  # invalid URL: stays open
        dialog.url.setText("https://api.example.test/")
        dialog.accept()
        assert chosen == [ConnectionChoice("remote", "https://api.example.test")]
        assert memory_keyring.passwords == {(SERVICE, "https://api.example.test"): "k-123"}
        assert load_api_key("https://api.example.test") == "k-123"
        text = settings_path(config).read_text()
        assert "k-123" not in text and json.loads(text)["server_url"] == "https://api.example.test"
        for path in config.rglob("*"):
            if path.is_file():
                assert "k-123" not in path.read_text(errors="ignore"), path
        # Second time: the key is already in the keyring, so an empty field is fine.
        second = ConnectionDialog("remote", "https://api.example.test")
        qtbot.addWidget(second)
        assert "keyring" in second.api_key.placeholderText()
        assert second.choice() == ConnectionChoice("remote", "https://api.example.test")
        embedded = ConnectionDialog()
        qtbot.addWidget(embedded)
        assert embedded.choice() == ConnectionChoice("embedded")
        # Keyboard shortcuts exist for the main actions.
        assert w.action_connect.shortcut().toString() == "Ctrl+K"
        assert not w.action_reset_layout.shortcut().isEmpty() and not w.action_settings.shortcut().isEmpty()

    run(qloop, scenario())
