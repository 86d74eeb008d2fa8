"""The strategy editor: MesoSim v3 JSON with syntax highlighting, Check and Save.

Check and Save run the full validation (``ctx.desk.strategies``: JSON basics, every
expression, variable and leg/expiration reference, see :mod:`mesodesk.lang`); Save is
refused while problems exist, and the server's ``ValidationErrors`` come back the same
way. Each problem is listed by field path (``Structure.Expirations[0].DTE``); the field
is marked in the JSON with a wavy underline and a click jumps there. Top-level fields
(Name, ActiveOnAccounts[i]) mark their form widgets.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRegularExpression, Qt, Signal
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
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from mesodesk.contract import LiveStrategy
from mesodesk.core.errors import MesoLiveApiException, api_error_text
from mesodesk.core.trading.json_locator import PREFIX, json_locations, locate
from mesodesk.core.trading.outcome import spawn
from mesodesk.core.trading.strategies import StrategyValidationError, expression_limits
from mesodesk.ui.trading.widgets import STYLE, Banner, item, label

if TYPE_CHECKING:
    from mesodesk.ui.trading.controller import TradingController


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


def accounts_list(name: str) -> QListWidget:
    w = QListWidget()
    w.setObjectName(name)
    w.setMaximumHeight(90)
    return w


def fill_accounts(widget: QListWidget, ctx: TradingController, checked: list[str]) -> None:
    widget.clear()
    for account in sorted(ctx.session.state.accounts.values(), key=lambda a: a.broker_account_id):
        kind = "paper" if account.is_paper_account else account.broker_type.value
        it = QListWidgetItem(f"{account.broker_account_id}  ({kind})")
        it.setData(Qt.ItemDataRole.UserRole, account.broker_account_id)
        it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        it.setCheckState(Qt.CheckState.Checked if account.broker_account_id in checked else Qt.CheckState.Unchecked)
        widget.addItem(it)


def checked_accounts(widget: QListWidget) -> list[str]:
    return [widget.item(i).data(Qt.ItemDataRole.UserRole) for i in range(widget.count())
            if widget.item(i).checkState() == Qt.CheckState.Checked]


def expression_help() -> str:
    """The editor's help line on expressions: the language in brief and its size limits."""
    limits = "; ".join(expression_limits())
    return ("Expressions are Lua-style: and / or / not, + - * / % ^, == ~= < <= > >=, abs min max floor ceil "
            f"round sqrt exp log pow (also math.*), -- comments. Limits: {limits}.")


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
        self.accounts = accounts_list("editorAccountsList")
        fill_accounts(self.accounts, ctx, list(strategy.active_on_accounts) if strategy else [])
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
        self.help = label(expression_help(), "hint", "expressionHelp")
        self.help.setWordWrap(True)
        layout.addWidget(self.help)
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
        data, _ = self.ctx.desk.strategies.check(text, "x")
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

    def name_override(self) -> str:
        """A new strategy may be named above; an existing one keeps its name, so its definition
        needs a StrategyName of its own (renaming has its own action)."""
        return self.name.text().strip() if self.strategy is None else ""

    def validate(self) -> dict[str, Any] | None:
        """Check: the full local validation (JSON, expressions, variables, references). The
        definition when no problem was found, else None (the problems are shown at their fields)."""
        data, errors = self.ctx.desk.strategies.check(self.editor.toPlainText(), self.name_override())
        self.show_errors(errors)
        if not errors:
            self.banner.show_message("No problems found: every expression parses and every variable and "
                                     "leg/expiration it uses exists where it is evaluated.", "info")
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
        cell = self.errors.item(row, 0)
        span = self.error_spans.get(cell.text()) if cell is not None else None
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
        commands = self.ctx.desk.strategies
        self.save_button.setEnabled(False)
        try:
            if self.strategy is None:
                strategy = await commands.create(
                    data, name=self.name.text().strip() or None, description=self.description.text().strip() or None,
                    accounts=checked_accounts(self.accounts))
            else:
                strategy = await commands.update(
                    self.strategy.id, data, accounts=checked_accounts(self.accounts),
                    description=self.description.text().strip() or None)
        except StrategyValidationError as exc:
            self.show_errors(exc.errors)
            if exc.server:
                self.banner.show_message(f"The server refused the strategy: {exc.message}. "
                                         f"{sum(len(v) for v in exc.errors.values())} problem(s) — click one to "
                                         f"jump to it.", "error")
            return
        except MesoLiveApiException as exc:
            self.show_errors({"$": [api_error_text(exc, html=False)]})
            return
        finally:
            self.save_button.setEnabled(True)
        self.strategy = strategy
        self.show_errors({})
        self.banner.show_message(f"✓ Saved strategy #{strategy.id} “{strategy.name}”.", "ok")
        self.sig_saved.emit(strategy)


