"""Settings → Risk: the beta of each underlying against the S&P 500 (beta-weighted risk graphs)."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from mesodesk.quant.beta_weighting import DEFAULT_BETAS, MAX_BETA, MIN_BETA, parse_beta


class BetaSettingsPage(QWidget):
    def __init__(self, betas: Mapping[str, float], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("betaSettings")
        intro = QLabel(
            "Beta of each underlying against the S&P 500. A beta-weighted risk graph converts a "
            "position in U to the chosen index: delta × (price of U / index price) × beta, and an index "
            f"move of x % moves U by beta × x %. Betas from {MIN_BETA:g} to {MAX_BETA:g}.")
        intro.setWordWrap(True)
        self.editors: dict[str, QLineEdit] = {}
        form = QFormLayout()
        for symbol in dict.fromkeys([*DEFAULT_BETAS, *sorted(betas)]):
            edit = QLineEdit(f"{betas.get(symbol, DEFAULT_BETAS.get(symbol, 1.0)):g}")
            edit.setObjectName(f"beta_{symbol}")
            edit.setPlaceholderText(f"{DEFAULT_BETAS.get(symbol, 1.0):g}")
            self.editors[symbol] = edit
            form.addRow(symbol, edit)
        defaults = QPushButton("Restore defaults")
        defaults.setObjectName("betaDefaults")
        defaults.clicked.connect(self.restore_defaults)
        self.error = QLabel("")
        self.error.setObjectName("betaError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #ff5c5c")
        self.error.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(defaults)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def restore_defaults(self) -> None:
        for symbol, edit in self.editors.items():
            edit.setText(f"{DEFAULT_BETAS.get(symbol, 1.0):g}")
        self.validate()

    def validate(self) -> list[str]:
        """Mark bad betas at their fields; returns the problems (empty: valid)."""
        problems: list[str] = []
        for symbol, edit in self.editors.items():
            try:
                parse_beta(edit.text() or edit.placeholderText())
            except ValueError as exc:
                edit.setStyleSheet("border: 1px solid #ff5c5c")
                edit.setToolTip(str(exc))
                problems.append(f"{symbol}: {exc}")
            else:
                edit.setStyleSheet("")
                edit.setToolTip("")
        self.error.setText("; ".join(problems))
        self.error.setVisible(bool(problems))
        return problems

    def values(self) -> dict[str, float]:
        """The table (call :meth:`validate` first: a bad entry keeps its default)."""
        out: dict[str, float] = {}
        for symbol, edit in self.editors.items():
            try:
                out[symbol] = parse_beta(edit.text() or edit.placeholderText())
            except ValueError:
                out[symbol] = DEFAULT_BETAS.get(symbol, 1.0)
        return out
