"""Strategy management through the real widgets: create from the JSON editor (bad
definition first: validation errors per field), rename, delete with a confirmation."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QInputDialog, QLineEdit, QMessageBox

from tests.trading.helpers import click, shot, toolbar_button, type_into
from tests.ui.aio import run, until
from tests.ui.console import console


def paste(editor, text: str) -> None:
    QApplication.clipboard().setText(text)
    editor.setFocus()
    QTest.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(editor, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)


def test_strategy_create_with_field_errors_then_rename_and_delete(qloop, qtbot, tmp_path: Path) -> None:
    good = json.loads(resources.files("mesodesk.sim").joinpath("strategies", "spx_put_credit_spread.json")
                      .read_text())

    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await until(lambda: c.window.models["strategies"].rowCount() >= 3
                        and c.window.models["accounts"].rowCount() >= 2)
            click(toolbar_button(c, "strategies"))
            manager = c.window.trading.manager
            await until(lambda: len(manager.names()) == 3)
            click(manager.buttons["newStrategyButton"])
            editor = manager.editors[-1]
            bad = json.loads(json.dumps(good))
            bad["Structure"]["Legs"][0]["OptionType"] = "Straddle"
            bad["Structure"]["Legs"][1]["ExpirationName"] = "nope"
            paste(editor.editor, json.dumps(bad, indent=2))
            type_into(editor.name, "UI created PCS")
            editor.accounts.item(0).setCheckState(Qt.CheckState.Checked)
            click(editor.save_button)
            await until(lambda: editor.errors.rowCount() >= 2)
            fields = {editor.errors.item(r, 0).text() for r in range(editor.errors.rowCount())}
            assert {"Structure.Legs[0].OptionType", "Structure.Legs[1].ExpirationName"} <= fields
            assert len(editor.editor.extraSelections()) >= 2, "each field is marked in the JSON"
            sel = editor.editor.extraSelections()[0]
            cursor = sel.cursor
            assert cursor.selectionEnd() > cursor.selectionStart()
            marked = editor.editor.toPlainText()[cursor.selectionStart():cursor.selectionEnd()]
            assert "OptionType" in marked or "ExpirationName" in marked
            editor.errors.cellClicked.emit(0, 0)  # jump to the field
            await shot(editor, "strategy-errors")
            # a JSON syntax error is shown with its line and column
            paste(editor.editor, '{"MesoSimVersion": "3.0",, }')
            click(editor.save_button)
            await until(lambda: "line 1" in editor.errors.item(0, 1).text())
            # fix it: paste the good definition and create
            paste(editor.editor, json.dumps(good, indent=2))
            click(editor.save_button)
            await until(lambda: editor.strategy is not None, 10)
            created = editor.strategy
            assert created.name == "UI created PCS" and created.active_on_accounts
            await until(lambda: any("UI created PCS" in n for n in manager.names()))
            await until(lambda: created.id in c.session.state.strategies, 10)

            # rename
            assert manager.select(created.id)
            click(manager.buttons["renameStrategyButton"])
            dialog = manager.dialog
            assert isinstance(dialog, QInputDialog) and dialog.isVisible()
            edit = dialog.findChild(QLineEdit)
            type_into(edit, "UI renamed PCS")
            click(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok))
            await until(lambda: any("UI renamed PCS" in n for n in manager.names()), 10)
            await until(lambda: c.session.state.strategies[created.id].strategy.name == "UI renamed PCS", 10)

            # delete, with a confirmation
            assert manager.select(created.id)
            click(manager.buttons["deleteStrategyButton"])
            box = manager.dialog
            assert isinstance(box, QMessageBox) and "UI renamed PCS" in box.text()
            click(box.button(QMessageBox.StandardButton.Yes))
            await until(lambda: not any("UI renamed PCS" in n for n in manager.names()), 10)
            await until(lambda: created.id not in c.session.state.strategies, 10)
            assert len(manager.names()) == 3

    run(qloop, scenario(), timeout=90)


def test_clone_and_activate_on_accounts(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await until(lambda: c.window.models["strategies"].rowCount() >= 3
                        and c.window.models["accounts"].rowCount() >= 2)
            click(toolbar_button(c, "strategies"))
            manager = c.window.trading.manager
            await until(lambda: len(manager.names()) == 3)
            assert manager.select(3)  # the BWB: active on the paper account only
            click(manager.buttons["cloneStrategyButton"])
            await until(lambda: len(manager.names()) == 4, 10)
            clone_id = max(s for s in manager.strategies())
            assert manager.select(clone_id)
            for i in range(manager.accounts.count()):
                manager.accounts.item(i).setCheckState(Qt.CheckState.Checked)
            click(manager.save_accounts)
            await until(lambda: (row := c.session.state.strategies.get(clone_id)) is not None
                        and len(row.strategy.active_on_accounts) == 2, 10)
            await shot(manager, "strategies")

    run(qloop, scenario(), timeout=90)
