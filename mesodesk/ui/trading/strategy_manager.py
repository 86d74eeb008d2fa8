"""The strategy manager: list, clone, rename, delete (with a confirmation), activate on
accounts, new position, and the editor for new/imported/edited definitions. Every change
goes through ``ctx.desk.strategies``; activating a strategy whose definition has
problems is refused (the banner lists them)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from mesodesk.contract import LiveStrategy
from mesodesk.core.errors import MesoLiveApiException
from mesodesk.core.trading.outcome import spawn
from mesodesk.core.trading.strategies import StrategyValidationError
from mesodesk.ui.dialog_placement import place_dialog
from mesodesk.ui.trading.strategy_editor import (
    StrategyEditor,
    accounts_list,
    checked_accounts,
    code_editor,
    fill_accounts,
)
from mesodesk.ui.trading.widgets import STYLE, Banner, label

if TYPE_CHECKING:
    from mesodesk.ui.trading.controller import TradingController


# ------------------------------------------------------------------ the manager
class StrategyManager(QWidget):
    def __init__(self, ctx: TradingController) -> None:
        super().__init__(ctx.window, Qt.WindowType.Window)
        self.setObjectName("strategyManager")
        self.setWindowTitle("Strategies — mesodesk")
        self.setStyleSheet(STYLE)
        self.ctx = ctx
        self.editors: list[StrategyEditor] = []
        self.dialog: QWidget | None = None
        self.local: dict[int, LiveStrategy | None] = {}  # results not yet in the session's snapshot
        self.list = QListWidget()
        self.list.setObjectName("strategyList")
        self.list.currentItemChanged.connect(self._current_changed)
        self.title = label("", "title", "strategyTitle")
        self.meta = label("", "subtitle", "strategyMeta")
        self.meta.setWordWrap(True)
        self.accounts = accounts_list("activeAccountsList")
        self.save_accounts = QPushButton("Save activation")
        self.save_accounts.setObjectName("saveAccountsButton")
        self.save_accounts.clicked.connect(self.activate)
        self.preview = code_editor("definitionPreview", read_only=True)
        self.banner = Banner("strategyBanner")
        buttons = {}
        for name, text, slot in (("newStrategyButton", "New…", self.new_strategy),
                                 ("importStrategyButton", "Import file…", self.import_file),
                                 ("cloneStrategyButton", "Clone", self.clone),
                                 ("editStrategyButton", "Edit definition…", self.edit_definition),
                                 ("renameStrategyButton", "Rename…", self.rename),
                                 ("deleteStrategyButton", "Delete…", self.delete),
                                 ("strategyNewPositionButton", "New position…", self.new_position)):
            b = QPushButton(text)
            b.setObjectName(name)
            b.clicked.connect(lambda _=False, s=slot: s())
            buttons[name] = b
        self.buttons = buttons
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addWidget(self.title)
        rl.addWidget(self.meta)
        acc = QHBoxLayout()
        acc.addWidget(label("Active on", "section"))
        acc.addStretch(1)
        acc.addWidget(self.save_accounts)
        rl.addLayout(acc)
        rl.addWidget(self.accounts)
        rl.addWidget(label("Definition", "section"))
        rl.addWidget(self.preview, 1)
        split = QSplitter()
        split.addWidget(self.list)
        split.addWidget(right)
        split.setSizes([280, 640])
        bar = QHBoxLayout()
        for key in ("newStrategyButton", "importStrategyButton", "cloneStrategyButton", "editStrategyButton",
                    "renameStrategyButton", "deleteStrategyButton"):
            bar.addWidget(buttons[key])
        bar.addStretch(1)
        bar.addWidget(buttons["strategyNewPositionButton"])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        layout.addWidget(self.banner)
        self.resize(980, 640)
        self._signature: tuple[Any, ...] = ()
        self._timer = QTimer(self)
        self._timer.setInterval(300)
        self._timer.timeout.connect(self.reload)
        self._timer.start()
        self.reload()

    # -- list --------------------------------------------------------------------------------
    def strategies(self) -> dict[int, LiveStrategy]:
        out = {row.id: row.strategy for row in self.ctx.session.state.strategies.values()}
        for sid, strategy in list(self.local.items()):
            current = out.get(sid)
            if strategy is None:
                if current is None:
                    self.local.pop(sid)  # the snapshot caught up with the delete
                else:
                    out.pop(sid)
            elif current is not None and (current.updated_at or current.created_at) >= (
                    strategy.updated_at or strategy.created_at):
                self.local.pop(sid)
            else:
                out[sid] = strategy
        return out

    def reload(self) -> None:
        strategies = self.strategies()
        signature = tuple((s.id, s.name, tuple(s.active_on_accounts), s.updated_at) for s in
                          sorted(strategies.values(), key=lambda s: s.id))
        if signature == self._signature:
            return
        self._signature = signature
        current = self.current_id()
        self.list.blockSignals(True)
        self.list.clear()
        for s in sorted(strategies.values(), key=lambda s: s.id):
            it = QListWidgetItem(f"{s.name}   #{s.id}")
            it.setData(Qt.ItemDataRole.UserRole, s.id)
            it.setToolTip(", ".join(s.active_on_accounts) or "not active on any account")
            self.list.addItem(it)
        self.list.blockSignals(False)
        if current is not None:
            self.select(current)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self._current_changed()

    def names(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def current_id(self) -> int | None:
        it = self.list.currentItem()
        return None if it is None else int(it.data(Qt.ItemDataRole.UserRole))

    def current(self) -> LiveStrategy | None:
        sid = self.current_id()
        return None if sid is None else self.strategies().get(sid)

    def select(self, strategy_id: int) -> bool:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == strategy_id:
                self.list.setCurrentRow(i)
                return True
        return False

    def _current_changed(self, *_: Any) -> None:
        s = self.current()
        for name, b in self.buttons.items():
            if name not in ("newStrategyButton", "importStrategyButton"):
                b.setEnabled(s is not None)
        if s is None:
            self.title.setText("No strategy")
            self.meta.setText("")
            self.preview.setPlainText("")
            return
        self.title.setText(s.name)
        self.meta.setText(f"#{s.id} · created {s.created_at:%Y-%m-%d %H:%M}"
                          + (f" · updated {s.updated_at:%Y-%m-%d %H:%M}" if s.updated_at else "")
                          + (f"<br>{s.description}" if s.description else ""))
        fill_accounts(self.accounts, self.ctx, list(s.active_on_accounts))
        self.preview.setPlainText(json.dumps(s.strategy_definition, indent=2))

    def _stored(self, strategy: LiveStrategy | None, strategy_id: int | None = None) -> None:
        sid = strategy.id if strategy is not None else strategy_id
        assert sid is not None
        self.local[sid] = strategy  # the commands schedule the session's refresh
        self.reload()
        if strategy is not None:
            self.select(strategy.id)

    def _run(self, coro: Any, done: str, on_error: Callable[[], None] | None = None) -> None:
        async def runner() -> None:
            try:
                await coro
            except (MesoLiveApiException, StrategyValidationError) as exc:
                errors = exc.errors if isinstance(exc, StrategyValidationError) else exc.validation_errors
                text = exc.message or str(exc)
                if errors:
                    text += " — " + "; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items())
                self.banner.show_message(text, "error")
                if on_error is not None:
                    on_error()
                return
            self.banner.show_message(done, "ok")
        spawn(runner())

    # -- actions -------------------------------------------------------------------------------
    def new_strategy(self, text: str = "") -> StrategyEditor:
        editor = StrategyEditor(self.ctx, None, text or json.dumps(TEMPLATE, indent=2), parent=self)
        return self._editor(editor)

    def _editor(self, editor: StrategyEditor) -> StrategyEditor:
        editor.sig_saved.connect(lambda s: self._stored(s))
        place_dialog(editor, self.ctx.window)
        editor.show()
        editor.raise_()
        self.editors.append(editor)
        return editor

    def import_file(self) -> StrategyEditor:
        editor = self.new_strategy(" ")
        editor.editor.setPlainText("")
        editor.import_file()
        return editor

    def edit_definition(self) -> StrategyEditor | None:
        s = self.current()
        return None if s is None else self._editor(StrategyEditor(self.ctx, s, parent=self))

    def clone(self) -> None:
        s = self.current()
        if s is not None:
            async def go() -> None:
                self._stored(await self.ctx.desk.strategies.clone(s.id))
            self._run(go(), f"Cloned “{s.name}”.")

    def rename(self) -> QInputDialog | None:
        s = self.current()
        if s is None:
            return None
        dialog = QInputDialog(self)
        dialog.setObjectName("renameStrategyDialog")
        dialog.setWindowTitle("Rename strategy")
        dialog.setLabelText(f"New name for “{s.name}”:")
        dialog.setTextValue(s.name)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.textValueSelected.connect(lambda name: self._rename(s, name))
        dialog.open()
        self.dialog = dialog
        return dialog

    def _rename(self, s: LiveStrategy, name: str) -> None:
        async def go() -> None:
            self._stored(await self.ctx.desk.strategies.rename(s.id, name))
        self._run(go(), f"Renamed to “{name}”.")

    def delete(self) -> QMessageBox | None:
        s = self.current()
        if s is None:
            return None
        box = QMessageBox(QMessageBox.Icon.Warning, "Delete strategy",
                          f"Delete strategy “{s.name}” (#{s.id})?\nThis cannot be undone.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("deleteStrategyDialog")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.button(QMessageBox.StandardButton.Yes).setText("Delete")
        box.button(QMessageBox.StandardButton.Yes).setObjectName("confirmDeleteButton")
        box.accepted.connect(lambda: self._delete(s))
        box.buttonClicked.connect(lambda b: self._delete(s) if box.buttonRole(b) == QMessageBox.ButtonRole.YesRole
                                  else None)
        box.open()
        self.dialog = box
        return box

    def _delete(self, s: LiveStrategy) -> None:
        if self.local.get(s.id, s) is None:
            return  # already deleted (accepted + buttonClicked)
        self.local[s.id] = None

        async def go() -> None:
            try:
                await self.ctx.desk.strategies.delete(s.id)
            except Exception:
                self.local.pop(s.id, None)
                raise
            self._stored(None, s.id)
        self._run(go(), f"Deleted “{s.name}”.")

    def focus_accounts(self) -> None:
        self.accounts.setFocus()

    def activate(self) -> None:
        """Save the checked accounts; refused (checks reset) when the definition has problems."""
        s = self.current()
        if s is not None:
            accounts = checked_accounts(self.accounts)

            async def go() -> None:
                self._stored(await self.ctx.desk.strategies.activate(s.id, accounts))
            self._run(go(), f"“{s.name}” active on {', '.join(accounts) or 'no account'}.",
                      on_error=self._current_changed)

    def new_position(self) -> None:
        sid = self.current_id()
        if sid is not None:
            self.ctx.new_position(sid)


TEMPLATE: dict[str, Any] = {
    "MesoSimVersion": "3.0",
    "StrategyName": "New strategy",
    "Description": "",
    "Symbol": "SPX",
    "Structure": {
        "Name": "PCS",
        "Expirations": [{"Name": "exp", "DTE": "45", "Min": "35", "Max": "55",
                         "Roots": {"Include": ["SPXW", "SPX"], "Exclude": None}}],
        "Legs": [
            {"Name": "short_put", "Qty": "-1", "OptionType": "Put", "ExpirationName": "exp", "LegGroupId": "1",
             "StrikeSelector": {"Delta": "-20"}},
            {"Name": "long_put", "Qty": "1", "OptionType": "Put", "ExpirationName": "exp", "LegGroupId": "1",
             "StrikeSelector": {"StrikePrice": "leg_short_put_strike - 25"}},
        ],
    },
    "Entry": {"Conditions": [], "AbortConditions": [], "QtyMultiplier": "1"},
    "Exit": {"MaxDaysInTrade": 30, "Conditions": []},
    "Settings": {"Core": {"LegSelectionConstraint": "FullyUnique"}},
}
