"""Strategy management through the real widgets: create from the JSON editor (bad
definitions first: problems found locally, then one only the server finds, each shown at
its field), rename, delete with a confirmation; Check/Save of a semantically broken
definition ("DTE": "abc"); activation of a stored definition with problems refused."""

from __future__ import annotations

import asyncio
import copy
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


def error_rows(editor) -> dict[str, str]:
    """Field path -> the messages shown for it in the editor's problem list."""
    rows: dict[str, str] = {}
    for r in range(editor.errors.rowCount()):
        path = editor.errors.item(r, 0).text()
        rows[path] = "; ".join(filter(None, [rows.get(path), editor.errors.item(r, 1).text()]))
    return rows


def marked(editor, i: int) -> str:
    """The text of the ``i``-th field marked (wavy underline) in the JSON."""
    selections = editor.editor.extraSelections()  # keep the list: the cursor lives in it
    start, end = selections[i].cursor.selectionStart(), selections[i].cursor.selectionEnd()
    assert end > start
    return editor.editor.toPlainText()[start:end]


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
            bad = copy.deepcopy(good)
            bad["Structure"]["Legs"][1]["ExpirationName"] = "nope"
            bad["Structure"]["Expirations"][0]["Min"] = "35 +"
            paste(editor.editor, json.dumps(bad, indent=2))
            type_into(editor.name, "UI created PCS")
            editor.accounts.item(0).setCheckState(Qt.CheckState.Checked)
            click(editor.save_button)  # refused locally: nothing is sent
            await until(lambda: editor.errors.rowCount() >= 2)
            fields = set(error_rows(editor))
            assert {"Structure.Expirations[0].Min", "Structure.Legs[1].ExpirationName"} <= fields
            assert len(editor.editor.extraSelections()) >= 2, "each field is marked in the JSON"
            assert {"Min", "ExpirationName"} <= {marked(editor, i).strip('"') for i in range(2)}
            editor.errors.cellClicked.emit(0, 0)  # jump to the field
            await shot(editor, "strategy-errors")
            assert len(c.server.world.strategies) == 3
            # a problem only the server checks (the shape: an option type) comes back the same way
            server_only = copy.deepcopy(good)
            server_only["Structure"]["Legs"][0]["OptionType"] = "Straddle"
            paste(editor.editor, json.dumps(server_only, indent=2))
            click(editor.validate_button)
            assert editor.errors.rowCount() == 0 and "No problems found" in editor.banner.text()
            click(editor.save_button)
            await until(lambda: "Structure.Legs[0].OptionType" in error_rows(editor), 10)
            assert "server" in editor.banner.text() and editor.strategy is None
            assert marked(editor, 0) == '"OptionType"'
            assert len(c.server.world.strategies) == 3
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


def test_unknown_variable_is_found_on_check_and_refused_on_save(qloop, qtbot, tmp_path: Path) -> None:
    """Defect 11: "DTE": "abc" on a strategy active on both accounts was "No problems found
    locally" and "Saved", failing only at the next entry."""

    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await until(lambda: c.window.models["strategies"].rowCount() >= 3
                        and c.window.models["accounts"].rowCount() >= 2)
            stored = await c.session.control.get_strategy(strategy_id=1)
            assert len(stored.active_on_accounts) == 2
            click(toolbar_button(c, "strategies"))
            manager = c.window.trading.manager
            await until(lambda: len(manager.names()) == 3)
            assert manager.select(1)
            click(manager.buttons["editStrategyButton"])
            editor = manager.editors[-1]
            saved: list[object] = []
            editor.sig_saved.connect(saved.append)
            definition = json.loads(editor.editor.toPlainText())
            definition["Structure"]["Expirations"][0]["DTE"] = "abc"
            paste(editor.editor, json.dumps(definition, indent=2))

            click(editor.validate_button)
            rows = error_rows(editor)
            assert "unknown variable 'abc'" in rows.get("Structure.Expirations[0].DTE", ""), rows
            assert "No problems found" not in editor.banner.text() and editor.banner.level == "error"
            assert marked(editor, 0) == '"DTE"', "the field is marked in the JSON"
            await shot(editor, "strategy-unknown-variable")

            click(editor.save_button)
            await asyncio.sleep(0.5)  # a request, had one been sent, would have been answered by now
            assert "Structure.Expirations[0].DTE" in error_rows(editor) and editor.banner.level == "error"
            assert not saved and editor.strategy == stored
            after = await c.session.control.get_strategy(strategy_id=1)
            assert after.strategy_definition == stored.strategy_definition
            assert after.updated_at == stored.updated_at

            # fixed: Check finds nothing, Save stores it
            definition["Structure"]["Expirations"][0]["DTE"] = "expiration_nope_dte + 1"
            paste(editor.editor, json.dumps(definition, indent=2))
            click(editor.validate_button)
            assert "no expiration named 'nope'" in error_rows(editor)["Structure.Expirations[0].DTE"]
            definition["Structure"]["Expirations"][0]["DTE"] = "40 + pos_in_flight"
            paste(editor.editor, json.dumps(definition, indent=2))
            click(editor.validate_button)
            assert editor.errors.rowCount() == 0 and "No problems found" in editor.banner.text()
            click(editor.save_button)
            await until(lambda: saved, 10)
            after = await c.session.control.get_strategy(strategy_id=1)
            assert after.strategy_definition["Structure"]["Expirations"][0]["DTE"] == "40 + pos_in_flight"

    run(qloop, scenario(), timeout=90)


def test_activating_a_definition_with_problems_is_refused(qloop, qtbot, tmp_path: Path) -> None:
    """A definition stored before these checks (or by another client) cannot go live."""

    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await until(lambda: c.window.models["strategies"].rowCount() >= 3
                        and c.window.models["accounts"].rowCount() >= 2)
            world = c.server.world
            bwb = world.strategies[3]  # active on the paper account only
            broken = copy.deepcopy(bwb.strategy_definition)
            broken["Exit"]["Conditions"] = ["mystery_var > 1"]
            world.save_strategy(bwb.model_copy(update={"strategy_definition": broken}))
            click(toolbar_button(c, "strategies"))
            manager = c.window.trading.manager
            await until(lambda: len(manager.names()) == 3)
            assert manager.select(3)
            for i in range(manager.accounts.count()):
                manager.accounts.item(i).setCheckState(Qt.CheckState.Checked)
            click(manager.save_accounts)
            await until(lambda: manager.banner.level == "error", 10)
            text = manager.banner.text()
            assert "cannot be activated" in text and "Exit.Conditions[0]" in text and "mystery_var" in text
            assert world.strategies[3].active_on_accounts == bwb.active_on_accounts
            checked = [manager.accounts.item(i).checkState() == Qt.CheckState.Checked
                       for i in range(manager.accounts.count())]
            assert sum(checked) == len(bwb.active_on_accounts), "the checks show what is stored"
            # deactivating is always allowed
            for i in range(manager.accounts.count()):
                manager.accounts.item(i).setCheckState(Qt.CheckState.Unchecked)
            click(manager.save_accounts)
            await until(lambda: world.strategies[3].active_on_accounts == [], 10)

    run(qloop, scenario(), timeout=90)
