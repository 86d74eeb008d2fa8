"""Strategies: a manager (list, clone, rename, delete with confirmation, activate on
accounts, new position) and an editor for MesoSim v3 JSON definitions with syntax
highlighting and validation errors shown per field.

The server answers an invalid definition with ``ValidationErrors`` keyed by field
path (``StrategyDefinition.Structure.Legs[0].Qty``); the editor lists them, marks
the field in the JSON with a wavy underline and jumps there on click. Top-level
fields (Name, ActiveOnAccounts[i]) mark their form widgets.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRegularExpression, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from mesodesk.contract import LiveStrategy
from mesodesk.sdk import MesoLiveApiException
from mesodesk.ui.trading.ops import spawn
from mesodesk.ui.trading.widgets import STYLE, Banner, item, label

if TYPE_CHECKING:
    from mesodesk.ui.trading.controller import TradingController

PREFIX = "StrategyDefinition"


# ------------------------------------------------------------------ JSON locations
class _Locator:
    """Offsets of every key/value in a JSON text, keyed by path (``Structure.Legs[0].Qty``)."""

    def __init__(self, text: str) -> None:
        self.t = text
        self.i = 0
        self.spans: dict[str, tuple[int, int]] = {}

    def run(self) -> dict[str, tuple[int, int]]:
        try:
            self.value("")
        except (IndexError, ValueError):
            pass  # partial locations are still useful
        return self.spans

    def ws(self) -> None:
        while self.i < len(self.t) and self.t[self.i] in " \t\r\n":
            self.i += 1

    def string(self) -> str:
        start = self.i
        self.i += 1
        while self.t[self.i] != '"':
            self.i += 2 if self.t[self.i] == "\\" else 1
        self.i += 1
        return str(json.loads(self.t[start:self.i]))

    def value(self, path: str) -> None:
        self.ws()
        start = self.i
        c = self.t[self.i]
        if c == "{":
            self.i += 1
            self.ws()
            if self.t[self.i] == "}":
                self.i += 1
            else:
                while True:
                    self.ws()
                    kstart = self.i
                    key = self.string()
                    child = f"{path}.{key}" if path else key
                    self.spans[child] = (kstart, self.i)
                    self.ws()
                    if self.t[self.i] != ":":
                        raise ValueError("expected ':'")
                    self.i += 1
                    self.value(child)
                    self.ws()
                    if self.t[self.i] == ",":
                        self.i += 1
                        continue
                    if self.t[self.i] == "}":
                        self.i += 1
                        break
                    raise ValueError("expected ',' or '}'")
        elif c == "[":
            self.i += 1
            self.ws()
            n = 0
            if self.t[self.i] == "]":
                self.i += 1
            else:
                while True:
                    vstart = self.i
                    self.value(f"{path}[{n}]")
                    self.spans.setdefault(f"{path}[{n}]", (vstart, self.i))
                    n += 1
                    self.ws()
                    if self.t[self.i] == ",":
                        self.i += 1
                        self.ws()
                        continue
                    if self.t[self.i] == "]":
                        self.i += 1
                        break
                    raise ValueError("expected ',' or ']'")
        elif c == '"':
            self.string()
        else:
            m = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null").match(self.t, self.i)
            if m is None:
                raise ValueError("bad value")
            self.i = m.end()
        if path and path not in self.spans:
            self.spans[path] = (start, self.i)


def json_locations(text: str) -> dict[str, tuple[int, int]]:
    return _Locator(text).run()


def locate(spans: dict[str, tuple[int, int]], path: str) -> tuple[int, int] | None:
    """The span of ``path`` (server prefix stripped), else of its nearest existing parent."""
    p = path[len(PREFIX) + 1:] if path.startswith(PREFIX + ".") else path
    while p:
        if p in spans:
            return spans[p]
        cut = max(p.rfind("."), p.rfind("["))
        p = p[:cut] if cut > 0 else ""
    return None


def local_errors(text: str, name_override: str) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """Client-side checks: JSON syntax, an object, MesoSimVersion >= 3, a StrategyName."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, {"$": [f"JSON syntax error at line {exc.lineno}, column {exc.colno}: {exc.msg}"]}
    if not isinstance(data, dict):
        return None, {"$": ["the definition must be a JSON object"]}
    errors: dict[str, list[str]] = {}
    version = str(data.get("MesoSimVersion", ""))
    try:
        major = int(version.split(".")[0])
    except ValueError:
        major = 0
    if major < 3:
        errors[f"{PREFIX}.MesoSimVersion"] = [f"MesoLive needs a MesoSim v3+ definition (got {version or 'none'!r})"]
    if not name_override and not str(data.get("StrategyName") or "").strip():
        errors[f"{PREFIX}.StrategyName"] = ["a StrategyName (or a Name above) is required"]
    return data, errors


# ------------------------------------------------------------------ highlighting
class JsonHighlighter(QSyntaxHighlighter):
    RULES = (
        (r'"(?:[^"\\]|\\.)*"', "#98c379"),  # strings
        (r'"(?:[^"\\]|\\.)*"(?=\s*:)', "#61afef"),  # keys (after strings: wins)
        (r"-?\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b", "#d19a66"),
        (r"\b(?:true|false|null)\b", "#c678dd"),
        (r"[{}\[\],:]", "#7f8896"),
    )

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self.rules = []
        for pattern, color in self.RULES:
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(color))
            if color == "#61afef":
                fmt.setFontWeight(QFont.Weight.DemiBold)
            self.rules.append((QRegularExpression(pattern), fmt))

    def highlightBlock(self, text: str) -> None:
        for regex, fmt in self.rules:
            it = regex.globalMatch(text)
            while it.hasNext():
                m = it.next()
                self.setFormat(m.capturedStart(), m.capturedLength(), fmt)


def code_editor(name: str, read_only: bool = False) -> QPlainTextEdit:
    editor = QPlainTextEdit()
    editor.setObjectName(name)
    editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    editor.setTabStopDistance(editor.fontMetrics().horizontalAdvance(" ") * 2)
    editor.setReadOnly(read_only)
    editor.highlighter = JsonHighlighter(editor.document())  # type: ignore[attr-defined]
    return editor


def _accounts_list(name: str) -> QListWidget:
    w = QListWidget()
    w.setObjectName(name)
    w.setMaximumHeight(90)
    return w


def _fill_accounts(widget: QListWidget, ctx: TradingController, checked: list[str]) -> None:
    widget.clear()
    for account in sorted(ctx.session.state.accounts.values(), key=lambda a: a.broker_account_id):
        kind = "paper" if account.is_paper_account else account.broker_type.value
        it = QListWidgetItem(f"{account.broker_account_id}  ({kind})")
        it.setData(Qt.ItemDataRole.UserRole, account.broker_account_id)
        it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        it.setCheckState(Qt.CheckState.Checked if account.broker_account_id in checked else Qt.CheckState.Unchecked)
        widget.addItem(it)


def _checked(widget: QListWidget) -> list[str]:
    return [widget.item(i).data(Qt.ItemDataRole.UserRole) for i in range(widget.count())
            if widget.item(i).checkState() == Qt.CheckState.Checked]


# ------------------------------------------------------------------ the editor
class StrategyEditor(QWidget):
    sig_saved = Signal(object)
    """Emitted with the created/updated :class:`LiveStrategy`."""

    def __init__(self, ctx: TradingController, strategy: LiveStrategy | None = None, text: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("strategyEditor")
        self.setStyleSheet(STYLE)
        self.ctx = ctx
        self.strategy = strategy
        self.setWindowTitle(("Edit strategy" if strategy else "New strategy") + " — mesodesk")
        self.name = QLineEdit(strategy.name if strategy else "")
        self.name.setObjectName("strategyNameEdit")
        self.name.setPlaceholderText("default: the definition's StrategyName")
        self.name.setEnabled(strategy is None)  # renaming has its own action
        self.description = QLineEdit((strategy.description or "") if strategy else "")
        self.description.setObjectName("strategyDescriptionEdit")
        self.accounts = _accounts_list("editorAccountsList")
        _fill_accounts(self.accounts, ctx, list(strategy.active_on_accounts) if strategy else [])
        self.editor = code_editor("definitionEditor")
        if strategy is not None and not text:
            text = json.dumps(strategy.strategy_definition, indent=2)
        self.editor.setPlainText(text)
        self.errors = QTableWidget(0, 2)
        self.errors.setObjectName("validationErrors")
        self.errors.setHorizontalHeaderLabels(["Field", "Message"])
        self.errors.verticalHeader().setVisible(False)
        self.errors.horizontalHeader().setStretchLastSection(True)
        self.errors.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.errors.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.errors.setMaximumHeight(150)
        self.errors.cellClicked.connect(self._jump)
        self.errors.hide()
        self.error_spans: dict[str, tuple[int, int] | None] = {}
        self.banner = Banner("editorBanner")
        self.import_button = QPushButton("Import file…")
        self.import_button.setObjectName("importButton")
        self.import_button.clicked.connect(self.import_file)
        self.format_button = QPushButton("Format")
        self.format_button.setObjectName("formatButton")
        self.format_button.clicked.connect(self.format)
        self.validate_button = QPushButton("Check")
        self.validate_button.setObjectName("validateButton")
        self.validate_button.clicked.connect(self.validate)
        self.save_button = QPushButton("Save changes" if strategy else "Create strategy")
        self.save_button.setObjectName("saveStrategyButton")
        self.save_button.setProperty("role", "primary")
        self.save_button.clicked.connect(self.save)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Description", self.description)
        form.addRow("Active on", self.accounts)
        buttons = QHBoxLayout()
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.format_button)
        buttons.addWidget(self.validate_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(label("Strategy definition (MesoSim v3 JSON)", "title"))
        layout.addLayout(form)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.errors)
        layout.addWidget(self.banner)
        layout.addLayout(buttons)
        self.resize(860, 760)
        self._task: asyncio.Future[Any] | None = None

    # -- editing helpers --------------------------------------------------------------------
    def import_file(self) -> QFileDialog:
        dialog = QFileDialog(self, "Import a MesoSim v3 strategy", "", "JSON files (*.json);;All files (*)")
        dialog.setObjectName("importStrategyDialog")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda path: self.load_file(Path(path)))
        dialog.open()
        return dialog

    def load_file(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            self.banner.show_message(f"Could not read {path}: {exc}", "error")
            return
        self.editor.setPlainText(text)
        data, _ = local_errors(text, "x")
        if data is not None and not self.name.text().strip() and self.strategy is None:
            self.name.setText(str(data.get("StrategyName") or ""))
            if not self.description.text():
                self.description.setText(str(data.get("Description") or ""))
        self.banner.show_message(f"Imported {path.name}", "info")

    def format(self) -> None:
        try:
            self.editor.setPlainText(json.dumps(json.loads(self.editor.toPlainText()), indent=2))
        except json.JSONDecodeError:
            self.validate()

    def validate(self) -> dict[str, Any] | None:
        data, errors = local_errors(self.editor.toPlainText(), self.name.text().strip())
        self.show_errors(errors)
        if not errors:
            self.banner.show_message("No problems found locally; the server validates the rest on save.", "info")
        return data if not errors else None

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        """One row per field path; the field is underlined in the JSON or marked in the form."""
        text = self.editor.toPlainText()
        spans = json_locations(text)
        self.error_spans = {}
        self.errors.setRowCount(0)
        selections = []
        fmt = QTextCharFormat()
        fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        fmt.setUnderlineColor(QColor("#ff5c5c"))
        fmt.setBackground(QColor(255, 92, 92, 40))
        self._mark(self.name, "")
        self.accounts.setStyleSheet("")
        for path, messages in errors.items():
            span = None
            if path == "Name":
                self._mark(self.name, "; ".join(messages))
            elif path.startswith("ActiveOnAccounts"):
                self.accounts.setStyleSheet("QListWidget { border: 1px solid #ff5c5c; }")
                self.accounts.setToolTip("; ".join(messages))
            elif path == "$":
                m = re.search(r"line (\d+), column (\d+)", messages[0])
                if m:
                    block = self.editor.document().findBlockByNumber(int(m.group(1)) - 1)
                    start = block.position() + int(m.group(2)) - 1
                    span = (start, start + 1)
            else:
                span = locate(spans, path)
            for message in messages:
                row = self.errors.rowCount()
                self.errors.insertRow(row)
                shown = path[len(PREFIX) + 1:] if path.startswith(PREFIX + ".") else path
                self.errors.setItem(row, 0, item(shown, color="#ff6b6b"))
                self.errors.setItem(row, 1, item(message))
                self.error_spans[shown] = span
            if span is not None:
                sel = QTextEdit.ExtraSelection()
                cursor = QTextCursor(self.editor.document())
                cursor.setPosition(span[0])
                cursor.setPosition(max(span[1], span[0] + 1), QTextCursor.MoveMode.KeepAnchor)
                sel.cursor = cursor  # type: ignore[attr-defined]
                sel.format = fmt  # type: ignore[attr-defined]
                selections.append(sel)
        self.editor.setExtraSelections(selections)
        self.errors.resizeColumnToContents(0)
        self.errors.setVisible(bool(errors))
        if errors:
            self.banner.show_message(f"{sum(len(v) for v in errors.values())} problem(s) in "
                                     f"{len(errors)} field(s) — click one to jump to it.", "error")

    @staticmethod
    def _mark(widget: QWidget, message: str) -> None:
        widget.setProperty("invalid", "true" if message else "false")
        widget.setToolTip(message)
        widget.style().unpolish(widget)
        widget.style().polish(widget)

    def _jump(self, row: int, _column: int) -> None:
        path = self.errors.item(row, 0).text()
        span = self.error_spans.get(path)
        if span is not None:
            cursor = self.editor.textCursor()
            cursor.setPosition(span[0])
            self.editor.setTextCursor(cursor)
            self.editor.centerCursor()
            self.editor.setFocus()

    # -- saving ----------------------------------------------------------------------------------
    def save(self) -> None:
        data = self.validate()
        if data is None or (self._task is not None and not self._task.done()):
            return
        self._task = spawn(self._save(data))

    async def _save(self, data: dict[str, Any]) -> None:
        control = self.ctx.session.control
        self.save_button.setEnabled(False)
        try:
            if self.strategy is None:
                strategy = await control.create_strategy(
                    strategy_definition=data, name=self.name.text().strip() or None,
                    description=self.description.text().strip() or None, active_on_accounts=_checked(self.accounts))
            else:
                strategy = await control.update_strategy(
                    strategy_id=self.strategy.id, strategy_definition=data, active_on_accounts=_checked(self.accounts),
                    description=self.description.text().strip() or None)
        except MesoLiveApiException as exc:
            errors = exc.validation_errors or {"$": [exc.message or str(exc)]}
            self.show_errors(errors)
            return
        finally:
            self.save_button.setEnabled(True)
        self.strategy = strategy
        self.show_errors({})
        self.banner.show_message(f"✓ Saved strategy #{strategy.id} “{strategy.name}”.", "ok")
        self.sig_saved.emit(strategy)


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
        self.accounts = _accounts_list("activeAccountsList")
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
        _fill_accounts(self.accounts, self.ctx, list(s.active_on_accounts))
        self.preview.setPlainText(json.dumps(s.strategy_definition, indent=2))

    def _stored(self, strategy: LiveStrategy | None, strategy_id: int | None = None) -> None:
        sid = strategy.id if strategy is not None else strategy_id
        assert sid is not None
        self.local[sid] = strategy
        self.ctx.session.schedule_refresh()
        self.reload()
        if strategy is not None:
            self.select(strategy.id)

    def _run(self, coro: Any, done: str) -> None:
        async def runner() -> None:
            try:
                await coro
            except MesoLiveApiException as exc:
                errors = exc.validation_errors
                text = exc.message or str(exc)
                if errors:
                    text += " — " + "; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items())
                self.banner.show_message(text, "error")
                return
            self.banner.show_message(done, "ok")
        spawn(runner())

    # -- actions -------------------------------------------------------------------------------
    def new_strategy(self, text: str = "") -> StrategyEditor:
        editor = StrategyEditor(self.ctx, None, text or json.dumps(TEMPLATE, indent=2), parent=self)
        return self._editor(editor)

    def _editor(self, editor: StrategyEditor) -> StrategyEditor:
        editor.sig_saved.connect(lambda s: self._stored(s))
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
                self._stored(await self.ctx.session.control.create_strategy(clone_strategy_id=s.id))
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
            self._stored(await self.ctx.session.control.rename_strategy(strategy_id=s.id, name=name))
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
                await self.ctx.session.control.delete_strategy(strategy_id=s.id)
            except MesoLiveApiException:
                self.local.pop(s.id, None)
                raise
            self._stored(None, s.id)
        self._run(go(), f"Deleted “{s.name}”.")

    def focus_accounts(self) -> None:
        self.accounts.setFocus()

    def activate(self) -> None:
        s = self.current()
        if s is not None:
            accounts = _checked(self.accounts)

            async def go() -> None:
                self._stored(await self.ctx.session.control.update_strategy(strategy_id=s.id,
                                                                            active_on_accounts=accounts))
            self._run(go(), f"“{s.name}” active on {', '.join(accounts) or 'no account'}.")

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
