"""Choose what to connect to: the embedded simulator, or a remote server + API key.

The key goes to the OS keyring (:mod:`mesodesk.core.credentials`), never to a settings
file or the log. Without a usable keyring (a plain Linux session) the dialog says so and
uses the key for this session only (kept in memory, never written to disk). Non-modal
(``open()``); ``sig_connection_chosen`` carries a :class:`ConnectionChoice` (mode and URL
only: no secret). Messages wrap; the dialog never grows wider than the screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from mesodesk.core.connection_problems import check_server_url
from mesodesk.core.credentials import (
    KEYRING_HELP_URL,
    KeyringUnavailable,
    is_session_only,
    keyring_problem,
    load_api_key,
    remember_for_session,
    store_api_key,
)

if TYPE_CHECKING:
    from mesodesk.core.doctor import Check, DoctorReport

log = logging.getLogger("mesodesk.ui.connection")

PREFERRED_WIDTH = 520
MAX_WIDTH = 720


@dataclass(frozen=True)
class ConnectionChoice:
    mode: str  # "embedded" | "remote"
    url: str = ""


def _wrapped(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
    return label


def _log_cancelled_test(task: asyncio.Future[Any]) -> None:
    """A connection test the trader cancelled: how it ended, at DEBUG (a cancel is no error)."""
    if task.cancelled():
        log.debug("connection test cancelled")
    elif task.exception() is not None:
        log.debug("connection test cancelled; it ended with %r", task.exception())


class ConnectionDialog(QDialog):
    sig_connection_chosen = Signal(object)
    """Emitted with a :class:`ConnectionChoice` once the choice is valid (and the key stored)."""

    def __init__(self, mode: str = "embedded", url: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionDialog")
        self.setWindowTitle("Connect")
        self.embedded = QRadioButton("Embedded simulator (offline, paper only)")
        self.embedded.setObjectName("connectEmbedded")
        self.remote = QRadioButton("MesoLive server")
        self.remote.setObjectName("connectRemote")
        group = QButtonGroup(self)
        group.addButton(self.embedded)
        group.addButton(self.remote)
        self.url = QLineEdit(url)
        self.url.setObjectName("connectUrl")
        self.url.setPlaceholderText("https://api.example.com")
        self.api_key = QLineEdit()
        self.api_key.setObjectName("connectApiKey")
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.keyring_problem = keyring_problem()
        self.save_key = QCheckBox("Save the key in the OS keyring")
        self.save_key.setObjectName("connectSaveKey")
        self.save_key.setChecked(self.keyring_problem is None)
        self.save_key.setEnabled(self.keyring_problem is None)
        self.key_hint = _wrapped("connectKeyHint")
        self.key_hint.setOpenExternalLinks(True)
        self.error = _wrapped("connectError")
        self.error.setStyleSheet("color: #ff5c5c")
        self.error.hide()
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Server URL", self.url)
        form.addRow("API key", self.api_key)
        form.addRow("", self.save_key)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.setObjectName("connectButtons")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.test_button = QPushButton("Test connection")
        self.test_button.setObjectName("connectTest")
        self.test_button.setToolTip("Check DNS, TLS, the API key and every hub's answers (as `mesodesk doctor`)")
        self.test_button.clicked.connect(self.test_connection)
        self.buttons.addButton(self.test_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.results = QPlainTextEdit()
        self.results.setObjectName("connectTestResults")
        self.results.setReadOnly(True)
        self.results.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.results.setMaximumHeight(240)
        self.results.hide()
        self.verdict = _wrapped("connectTestVerdict")
        self.verdict.hide()
        self._test: asyncio.Future[DoctorReport] | None = None
        self.report: DoctorReport | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(self.embedded)
        layout.addWidget(self.remote)
        layout.addLayout(form)
        layout.addWidget(self.key_hint)  # full width, outside the form: a wrapped label there gets clipped
        layout.addWidget(self.error)
        layout.addWidget(self.results)
        layout.addWidget(self.verdict)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self._fit_to_screen()
        (self.remote if mode == "remote" else self.embedded).setChecked(True)
        self.remote.toggled.connect(self._update)
        self.url.textChanged.connect(self._update)
        self.save_key.toggled.connect(self._update)
        self._store_failed = False
        self._update()

    # -- size ----------------------------------------------------------------------------
    def _fit_to_screen(self) -> None:
        screen = self.screen() or QGuiApplication.primaryScreen()
        available = screen.availableGeometry().width() if screen is not None else 1024
        widest = max(320, min(MAX_WIDTH, available - 40))
        self.setMaximumWidth(widest)
        self.setMinimumWidth(min(PREFERRED_WIDTH, widest))

    def _relayout(self) -> None:
        """Fit wrapped messages: the height follows the text; never wider than allowed."""
        layout = self.layout()
        if layout is not None:
            layout.invalidate()
            layout.activate()
        self.adjustSize()

    # -- state ---------------------------------------------------------------------------
    def _update(self) -> None:
        remote = self.remote.isChecked()
        for widget in (self.url, self.api_key, self.save_key, self.test_button):
            widget.setEnabled(remote and (widget is not self.test_button or self._test is None))
        if self.keyring_problem is not None:
            self.save_key.setEnabled(False)
        url = self.url.text().strip().rstrip("/")
        saved = bool(url) and remote and load_api_key(url) is not None
        if saved and is_session_only(url):
            placeholder = "in use for this session — type to replace"
        elif saved:
            placeholder = "saved in the OS keyring — type to replace"
        else:
            placeholder = "paste your API key"
        self.api_key.setPlaceholderText(placeholder)
        self.key_hint.setText(self._hint_html() if remote else "")
        self.key_hint.setVisible(remote)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Connect" if not remote or self.save_key.isChecked() else "Connect for this session")
        self._relayout()

    def _hint_html(self) -> str:
        if self.keyring_problem is not None:
            return (f"<b>The key cannot be saved:</b> {escape(self.keyring_problem)}. "
                    "It will be used for <b>this session only</b>: kept in memory, never written to disk, "
                    "so you enter it again after a restart. "
                    f"<a href='{KEYRING_HELP_URL}'>How to enable a keyring</a>")
        if self.save_key.isChecked():
            return "The key is stored in the OS keyring, never in a settings file."
        return "The key is used for this session only: kept in memory, never written to disk."

    def show_error(self, message: str) -> None:
        """Show ``message`` (plain text, wrapped) above the buttons."""
        self.error.setText(message)
        self.error.show()
        self._relayout()

    _fail = show_error

    def choice(self) -> ConnectionChoice | None:
        """Validate, keep a typed key (keyring, or memory for this session), and return the choice
        (None: invalid; the reason is shown)."""
        if not self.remote.isChecked():
            return ConnectionChoice("embedded")
        url = self.url.text().strip().rstrip("/")
        problem = check_server_url(url)
        if problem is not None:
            self.show_error(f"Server URL: {problem}.")
            return None
        key = self.api_key.text().strip()
        if key:
            if self.save_key.isChecked():
                try:
                    store_api_key(url, key)
                except KeyringUnavailable as exc:
                    self.save_key.setChecked(False)
                    self._store_failed = True
                    self.show_error(f"Could not save the key: {exc}. Press “Connect for this session” to use it "
                                    "for this session only (kept in memory, never written to disk).")
                    return None
            else:
                remember_for_session(url, key)
        elif load_api_key(url) is None:
            self.show_error("Enter the API key for this server.")
            return None
        self.api_key.clear()
        return ConnectionChoice("remote", url)

    # -- test connection ------------------------------------------------------------------
    def test_connection(self) -> None:
        """Run the connection doctor on the URL and key as entered; one line per check below."""
        if self._test is not None or not self.remote.isChecked():
            return
        url = self.url.text().strip().rstrip("/")
        problem = check_server_url(url)
        if problem is not None:
            self.show_error(f"Server URL: {problem}.")
            return
        key = self.api_key.text().strip() or load_api_key(url) or ""
        if not key:
            self.show_error("Enter the API key for this server.")
            return
        self.error.hide()
        self.results.clear()
        self.results.show()
        self.verdict.setText("Testing…")
        self.verdict.setStyleSheet("")
        self.verdict.show()
        self.test_button.setEnabled(False)
        self._relayout()
        from mesodesk.core.doctor import run_doctor  # aiohttp: imported on first use, not at start-up

        test = asyncio.ensure_future(run_doctor(url, key, progress=lambda check: self._show_check(test, check)))
        self._test = test
        test.add_done_callback(self._tested)

    def _show_check(self, test: asyncio.Future[Any], check: Check) -> None:
        if test is self._test:  # not after the dialog was cancelled (it may be deleted by then)
            self.results.appendPlainText(check.line())

    def _tested(self, task: asyncio.Future[Any]) -> None:
        self._test = None
        self.test_button.setEnabled(self.remote.isChecked())
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:  # the doctor reports failures as checks; anything else is a bug: say it
            self.verdict.setText(f"The test could not run: {exc}")
            self.verdict.setStyleSheet("color: #ff5c5c")
            return
        report: DoctorReport = task.result()
        self.report = report
        self.verdict.setText(report.summary())
        self.verdict.setStyleSheet("color: #ff5c5c" if report.blocked else "color: #3fb950")
        self._relayout()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._cancel_test()
        super().closeEvent(event)

    def done(self, result: int) -> None:
        self._cancel_test()
        super().done(result)

    def _cancel_test(self) -> None:
        """The trader cancelled (or closed the dialog): stop the test; its end is a DEBUG line, not an error."""
        if self._test is not None:
            task, self._test = self._test, None
            task.remove_done_callback(self._tested)  # the dialog may be gone when the task ends
            task.add_done_callback(_log_cancelled_test)
            with contextlib.suppress(RuntimeError):
                task.cancel()

    def accept(self) -> None:
        choice = self.choice()
        if choice is None:
            return
        self.sig_connection_chosen.emit(choice)
        super().accept()
