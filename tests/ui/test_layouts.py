"""Layouts restore exactly (panel sizes and front tabs), reset asks first and can be undone
once, an empty name is refused at the field, and a layout saved before an upgrade that
added a panel or a column keeps its old arrangement and shows the new ones.

The window is built over a real Session that is not connected: these tests are about the
docks, not data (tests/ui/test_default_layout.py checks the default layout with live data).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QDialogButtonBox, QDockWidget, QMessageBox

from mesodesk.core.session import Session
from mesodesk.ui.errors import ErrorHub
from mesodesk.ui.layouts import LAST, LAYOUT_VERSION, QT_STATE_STAMP, in_front
from mesodesk.ui.main_window import OFFSCREEN_SCREEN, MainWindow
from mesodesk.ui.ui_settings import ui_settings
from tests.ui.aio import run, until

Snapshot = tuple[dict[str, QRect], set[str]]


def _window(qtbot, config: Path) -> MainWindow:
    window = MainWindow(Session("http://127.0.0.1:9", "unused-key"), ErrorHub(), config_dir=config)
    qtbot.addWidget(window)
    window.show()
    return window


async def _settle() -> None:
    for _ in range(6):  # queued layout requests and the dock sizes applied after them
        await asyncio.sleep(0.05)


def _snapshot(w: MainWindow) -> Snapshot:
    """The geometry of each dock on screen (a tab behind another is not), and their names."""
    shown = {name: d for name, d in w.docks.items() if in_front(d)}
    return {name: d.geometry() for name, d in shown.items()}, set(shown)


def _assert_same(actual: Snapshot, expected: Snapshot, tolerance: int = 2) -> None:
    geometry, front = actual
    assert front == expected[1]
    for name, rect in expected[0].items():
        got = geometry[name]
        deltas = [abs(a - b) for a, b in zip(got.getRect(), rect.getRect(), strict=True)]
        assert max(deltas) <= tolerance, (name, got, rect)


async def _customise(w: MainWindow) -> None:
    """Panel sizes and front tabs that differ from the default layout."""
    d = w.docks
    w.resizeDocks([d["legs"], d["riskGraph"]], [300, 720], Qt.Orientation.Horizontal)
    w.resizeDocks([d["positions"]], [240], Qt.Orientation.Vertical)
    d["greeksChart"].raise_()
    d["accounts"].raise_()
    d["errors"].raise_()
    await _settle()


def test_a_restored_layout_equals_the_saved_one_named_and_after_a_restart(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        config = tmp_path / "config"
        w = _window(qtbot, config)
        await _settle()
        default = _snapshot(w)
        await _customise(w)
        saved = _snapshot(w)
        assert saved[1] != default[1] and saved[0]["legs"].width() != default[0]["legs"].width()
        assert {"greeksChart", "accounts", "errors"} <= saved[1]
        w.layouts.save("review")
        w.layouts.reset()
        await _settle()
        assert _snapshot(w)[1] == default[1]
        assert w.layouts.restore("review")
        await _settle()
        _assert_same(_snapshot(w), saved)
        # the last layout, after a restart (saved on close, restored before the first show)
        w.close()
        again = _window(qtbot, config)
        await _settle()
        _assert_same(_snapshot(again), saved)

    run(qloop, scenario())


def test_reset_asks_first_and_can_be_undone_once(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        w = _window(qtbot, tmp_path / "config")
        await _settle()
        default = _snapshot(w)
        await _customise(w)
        mine = _snapshot(w)
        assert not w.action_undo_reset_layout.isEnabled()
        # Cancel: nothing changes
        box = w.reset_layout()
        assert isinstance(box, QMessageBox) and box.isVisible()
        box.button(QMessageBox.StandardButton.Cancel).click()
        await _settle()
        _assert_same(_snapshot(w), mine)
        assert not w.action_undo_reset_layout.isEnabled()
        # Yes: the default layout, and the undo is offered
        w.action_reset_layout.trigger()
        box = await until(lambda: w.findChild(QMessageBox, "resetLayoutConfirm"))
        box.button(QMessageBox.StandardButton.Yes).click()
        await _settle()
        _assert_same(_snapshot(w), default)
        assert w.action_undo_reset_layout.isEnabled()
        # Undo: my layout back, once
        w.action_undo_reset_layout.trigger()
        await _settle()
        _assert_same(_snapshot(w), mine)
        assert not w.action_undo_reset_layout.isEnabled()
        assert not w.layouts.undo_reset()

    run(qloop, scenario())


def test_an_empty_layout_name_is_refused_at_the_field(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        w = _window(qtbot, tmp_path / "config")
        dialog = w._save_layout_dialog()
        ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        assert dialog.isVisible() and not ok.isEnabled() and dialog.message.text()
        for blank in ("", "   ", "\t "):
            dialog.field.setText(blank)
            assert not ok.isEnabled() and "name" in dialog.message.text()
            dialog.accept()  # Enter in the field
            assert dialog.isVisible() and w.layouts.names() == []
        dialog.field.setText("  Morning  ")
        assert ok.isEnabled() and dialog.message.text() == ""
        ok.click()
        assert w.layouts.names() == ["Morning"]
        again = w._save_layout_dialog()
        again.field.setText("Morning")
        assert again.ok_button.isEnabled() and "Replaces" in again.message.text()
        again.reject()

    run(qloop, scenario())


def test_a_layout_saved_before_an_upgrade_keeps_old_positions_and_shows_new_docks(qloop, qtbot,
                                                                                    tmp_path: Path) -> None:
    async def scenario() -> None:
        config = tmp_path / "config"
        w = _window(qtbot, config)
        await _settle()
        # the "old version": no Rollups panel (it came with an upgrade)
        rollups = w.docks.pop("rollups")
        w.removeDockWidget(rollups)
        await _customise(w)
        saved = _snapshot(w)
        w.layouts.save("before upgrade")
        w.close()  # and the last layout
        # the upgraded app has the Rollups panel: the old layouts restore around it, at start-up ...
        new = _window(qtbot, config)
        await _settle()
        _assert_same(_snapshot(new), saved)
        _assert_in_its_default_group(new)
        # ... and by name
        new.layouts.reset()
        await _settle()
        assert new.layouts.restore("before upgrade")
        await _settle()
        _assert_same(_snapshot(new), saved)
        _assert_in_its_default_group(new)
        dock = new.docks["rollups"]
        dock.raise_()
        await _settle()
        assert in_front(dock) and dock.width() > 100

    def _assert_in_its_default_group(new: MainWindow) -> None:
        dock = new.docks["rollups"]
        assert dock.toggleViewAction().isChecked() and not dock.isFloating() and not in_front(dock)
        assert dock in new.tabifiedDockWidgets(new.docks["events"])  # tabbed behind the event log

    run(qloop, scenario())


def test_a_layout_of_the_previous_format_is_restored_not_discarded(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        config = tmp_path / "config"
        w = _window(qtbot, config)
        w.resize(1800, 1000)  # Qt's restoreGeometry takes a guessed title bar off a window as high as the screen
        await _settle()
        await _customise(w)
        saved = _snapshot(w)
        settings = ui_settings(config)
        # as mesodesk wrote it before: Qt's stamp was the layout version 2, no dock names
        settings.setValue(f"{LAST}/state", w.saveState(2))
        settings.setValue(f"{LAST}/geometry", w.saveGeometry())
        settings.setValue(f"{LAST}/version", 2)
        settings.sync()
        w.layouts.reset()
        await _settle()
        assert w.layouts.restore_last()
        await _settle()
        _assert_same(_snapshot(w), (saved[0], saved[1]))
        # a layout written by a newer mesodesk is not guessed at
        settings.setValue(f"{LAST}/version", LAYOUT_VERSION + 1)
        assert not w.layouts.restore_last()
        assert QT_STATE_STAMP == 2  # never changes: Qt refuses a state with another stamp

    run(qloop, scenario())


def test_a_header_saved_before_an_upgrade_keeps_old_columns_and_shows_new_ones(qloop, qtbot,
                                                                               tmp_path: Path) -> None:
    async def scenario() -> None:
        config = tmp_path / "config"
        w = _window(qtbot, config)
        view = w.views["positions"]
        keys = view.column_keys
        header = view.table.horizontalHeader()
        header.moveSection(header.visualIndex(keys.index("pnl")), 0)
        view.table.setColumnWidth(keys.index("delta"), 133)
        view.set_column_visible("strategy", False)
        w.close()
        settings = ui_settings(config)
        # as saved by a version without the Vega column: its key list and sections lack it
        data = json.loads(settings.value("blotters/positions/sections"))
        data["sections"] = [s for s in data["sections"] if s[0] != "vega"]
        settings.setValue("blotters/positions/sections", json.dumps(data))
        settings.setValue("blotters/positions/columns", ",".join(k for k in keys if k != "vega"))
        settings.sync()
        again = _window(qtbot, config)
        view2 = again.views["positions"]
        header2 = view2.table.horizontalHeader()
        order = [keys[header2.logicalIndex(v)] for v in range(header2.count())]
        expected = ["pnl", *(k for k in keys if k != "pnl")]  # pnl moved first, vega after theta as declared
        assert order == expected
        assert view2.table.columnWidth(keys.index("delta")) == 133
        assert not view2.is_column_visible("strategy")
        assert view2.is_column_visible("vega") and view2.table.columnWidth(keys.index("vega")) > 20

    run(qloop, scenario())


def test_the_default_window_fits_the_screen(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        w = _window(qtbot, tmp_path / "config")
        await _settle()
        # offscreen renders for a full-HD screen: the window takes it (less a frame, if any)
        screen = w._screen_area()
        assert screen.size() == OFFSCREEN_SCREEN
        assert screen.contains(w.frameGeometry()), (screen, w.frameGeometry())
        assert w.width() >= screen.width() - 16 and w.height() >= screen.height() - 40
        assert all(isinstance(d, QDockWidget) for d in w.docks.values())

    run(qloop, scenario())


def test_docks_built_after_the_layout_join_their_default_group(qloop, qtbot, tmp_path: Path) -> None:
    """The app builds the charts after the first paint: a panel made then is placed too."""

    def grouped(w: MainWindow) -> list[tuple[str, ...]]:
        wrong = []
        for group in w.default_layout.groups():
            present = [w.docks[k] for k in group if k in w.docks]
            for dock in present[1:]:
                if present[0] not in w.tabifiedDockWidgets(dock):
                    wrong.append(group)
        return wrong

    async def deferred_window() -> tuple[MainWindow, set[str]]:
        w = MainWindow(Session("http://127.0.0.1:9", "unused-key"), ErrorHub(), config_dir=tmp_path / "config",
                       defer_charts=True)
        qtbot.addWidget(w)
        w.show()
        await _settle()
        early = set(w.docks)
        w.build_deferred_panels()
        await _settle()
        return w, set(w.docks) - early

    async def scenario() -> None:
        w, late = await deferred_window()
        assert not grouped(w), grouped(w)
        assert all(w.docks[k].toggleViewAction().isChecked() for k in late)
        # the last layout had a late dock in front: after a restart it is again, once built
        await _customise(w)
        for key in late:
            w.docks[key].raise_()
        await _settle()
        saved = _snapshot(w)
        w.close()
        again, late_again = await deferred_window()
        assert late_again == late
        _assert_same(_snapshot(again), saved)

    run(qloop, scenario())
