"""Help → User guide (offline, shipped with the package) and Help → Keyboard shortcuts (the live key
map, remapped keys included)."""

from __future__ import annotations

import copy
import inspect
import tomllib
from pathlib import Path

from PySide6.QtGui import QKeySequence

from mesodesk.core.trading import pricing
from mesodesk.ui.help.guide import ShortcutsDialog, UserGuideDialog, guide_source
from tests.ui.aio import run, until
from tests.ui.console import console

ROOT = Path(__file__).resolve().parents[2]


def native(text: str) -> str:
    return QKeySequence(text).toString(QKeySequence.SequenceFormat.NativeText)


def test_the_guide_ships_as_package_data() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "*.md" in data["mesodesk.ui.help"]
    text = guide_source()
    for topic in ("Paper accounts", "Simulated broker accounts", "clock", "sign convention", "Keyboard shortcuts"):
        assert topic in text
    assert "{{sign_convention}}" in text and "{{shortcuts}}" in text  # filled when shown, from their owners


def test_help_menu_guide_and_the_live_shortcut_map_with_a_remapped_key(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            w = c.window
            await until(lambda: w.models["positions"].rowCount() >= 1)
            help_menu = next(a.menu() for a in w.menuBar().actions() if a.text().replace("&", "") == "Help")
            texts = [a.text().replace("&", "") for a in help_menu.actions()]
            assert "User guide" in texts and "Keyboard shortcuts" in texts

            w.action_user_guide.trigger()
            guide = w._help_dialogs["guide"]
            assert isinstance(guide, UserGuideDialog) and guide.isVisible()
            text = guide.browser.toPlainText()
            # the sign convention as pricing.py states it (one owner), words not markup
            first = inspect.cleandoc(pricing.__doc__ or "").split("\n\n")[1]
            words = " ".join(first.replace("``", "").replace("**", "").split())
            assert words[:60] in " ".join(text.split())
            assert "Paper accounts" in text and "Simulated broker accounts" in text and "60×" in text
            assert native("Ctrl+E") in text  # the exit key, from the live map

            w.action_shortcuts.trigger()
            view = w._help_dialogs["shortcuts"]
            assert isinstance(view, ShortcutsDialog)
            assert view.keys_of("action_trade_exit_position") == (native("Ctrl+E"),)
            assert view.keys_of("actionUserGuide") is not None

            # remap two keys as Settings → Trading does: the map and the guide show the new keys
            settings = copy.deepcopy(w.settings)
            settings.trading = {**(settings.trading or {}),
                                "shortcuts": {"trade.exit_position": "Ctrl+Alt+X", "ticket.mid": "Shift+M"}}
            w.apply_settings(settings)
            assert w.trading.actions["trade.exit_position"].shortcut().toString() == "Ctrl+Alt+X"
            # the open map follows at once (no reopening)
            await until(lambda: view.keys_of("action_trade_exit_position") == (native("Ctrl+Alt+X"),))
            assert view.isVisible()
            assert view.keys_of("action_trade_exit_position") == (native("Ctrl+Alt+X"),)
            assert view.keys_of("ticket.mid") == (native("Shift+M"),)
            shown = [view.table.item(r, 1).text() for r in range(view.table.rowCount())]
            assert native("Ctrl+E") not in shown
            view.filter.setText("exit selected")
            visible = [r for r in range(view.table.rowCount()) if not view.table.isRowHidden(r)]
            assert [view.table.item(r, 1).text() for r in visible] == [native("Ctrl+Alt+X")]
            w.action_user_guide.trigger()
            text = guide.browser.toPlainText()
            assert native("Ctrl+Alt+X") in text and native("Ctrl+E") not in text

    run(qloop, scenario(), timeout=60)
