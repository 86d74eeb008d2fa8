"""Choose what to connect to: the embedded simulator, or a remote server + API key.

The key goes to the OS keyring (:mod:`mesodesk.core.credentials`), never to a
settings file or the log. Non-modal (``open()``); ``sig_connection_chosen``
carries a :class:`ConnectionChoice` (mode and URL only: no secret).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from mesodesk.core.credentials import load_api_key, store_api_key


@dataclass(frozen=True)
class ConnectionChoice:
    mode: str  # "embedded" | "remote"
    url: str = ""


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
        self.key_hint = QLabel()
        self.key_hint.setObjectName("connectKeyHint")
        self.key_hint.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("connectError")
        self.error.setStyleSheet("color: #ff5c5c")
        self.error.hide()
        form = QFormLayout()
        form.addRow("Server URL", self.url)
        form.addRow("API key", self.api_key)
        form.addRow("", self.key_hint)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.embedded)
        layout.addWidget(self.remote)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        (self.remote if mode == "remote" else self.embedded).setChecked(True)
        self.remote.toggled.connect(self._update)
        self.url.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        remote = self.remote.isChecked()
        self.url.setEnabled(remote)
        self.api_key.setEnabled(remote)
        url = self.url.text().strip()
        saved = bool(url) and remote and load_api_key(url) is not None
        self.api_key.setPlaceholderText("saved in the OS keyring — type to replace" if saved else "paste your API key")
        self.key_hint.setText("The key is stored in the OS keyring, never in a settings file." if remote else "")

    def _fail(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def choice(self) -> ConnectionChoice | None:
        """Validate, store a typed key in the keyring, and return the choice (None: invalid)."""
        if not self.remote.isChecked():
            return ConnectionChoice("embedded")
        url = self.url.text().strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            self._fail("The server URL must start with http:// or https://")
            return None
        key = self.api_key.text().strip()
        if key:
            import keyring.errors  # only now: keyring loads its backends on import

            try:
                store_api_key(url, key)
            except keyring.errors.KeyringError as exc:
                self._fail(f"Could not store the key in the OS keyring: {exc}")
                return None
        elif load_api_key(url) is None:
            self._fail("Enter the API key for this server")
            return None
        self.api_key.clear()
        return ConnectionChoice("remote", url)

    def accept(self) -> None:
        choice = self.choice()
        if choice is None:
            return
        self.sig_connection_chosen.emit(choice)
        super().accept()
