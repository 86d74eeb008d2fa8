"""Ask for a layout's name: OK stays disabled (with the reason under the field) while the
name is empty or only spaces; a name already in use says it will be replaced."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget


class LayoutNameDialog(QDialog):
    sig_name_chosen = Signal(str)
    """Emitted with the stripped name when the user presses OK."""

    def __init__(self, existing: Iterable[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("saveLayoutDialog")
        self.setWindowTitle("Save layout")
        self._existing = set(existing)
        self.field = QLineEdit()
        self.field.setObjectName("layoutName")
        self.field.setPlaceholderText("e.g. Morning review")
        self.message = QLabel()
        self.message.setObjectName("layoutNameMessage")
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Layout name:"))
        layout.addWidget(self.field)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.field.textChanged.connect(self._check)
        self._check(self.field.text())

    @property
    def ok_button(self) -> QPushButton:
        button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        assert button is not None
        return button

    def name(self) -> str:
        return self.field.text().strip()

    def _check(self, _text: str) -> None:
        name = self.name()
        if not name:
            self.message.setText("Enter a name for the layout.")
        elif name in self._existing:
            self.message.setText(f"Replaces the saved layout \u201c{name}\u201d.")
        else:
            self.message.setText("")
        self.ok_button.setEnabled(bool(name))

    def accept(self) -> None:
        name = self.name()
        if not name:  # Enter in the field while OK is disabled
            return
        super().accept()
        self.sig_name_chosen.emit(name)
