"""Settings → Trading: precautionary guard limits and the remappable key map."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mesodesk.core.trading.guards import GuardLimits
from mesodesk.ui.trading.shortcuts import SHORTCUTS, shortcut_map


class TradingSettingsBox(QGroupBox):
    def __init__(self, trading: dict[str, Any] | None, parent: QWidget | None = None) -> None:
        super().__init__("Trading", parent)
        self.setObjectName("settingsTrading")
        self._original = dict(trading or {})
        limits = GuardLimits.from_settings(self._original)

        def spin(name: str, value: float, lo: float, hi: float, decimals: int, suffix: str = "",
                 prefix: str = "") -> QDoubleSpinBox:
            s = QDoubleSpinBox()
            s.setObjectName(name)
            s.setRange(lo, hi)
            s.setDecimals(decimals)
            s.setValue(value)
            s.setSuffix(suffix)
            s.setPrefix(prefix)
            return s

        self.size_multiple = spin("settingsSizeMultiple", limits.size_multiple, 1, 1000, 1, "× prepared size")
        self.max_notional = spin("settingsMaxNotional", limits.max_notional, 0, 1e9, 0, "", "$ ")
        self.max_notional.setGroupSeparatorShown(True)
        self.far_pct = spin("settingsFarFromMid", limits.far_from_mid_pct, 0, 1000, 0, " % of mid")
        self.far_min = spin("settingsFarFromMidMin", limits.far_from_mid_min, 0, 1000, 2, " (at least)")
        form = QFormLayout()
        form.addRow("Warn when size is above", self.size_multiple)
        form.addRow("Warn when order value is above", self.max_notional)
        form.addRow("Warn when limit is farther from mid than", self.far_pct)
        form.addRow("", self.far_min)

        current = shortcut_map(self._original)
        self.keys = QTableWidget(len(SHORTCUTS), 2)
        self.keys.setObjectName("settingsShortcuts")
        self.keys.setHorizontalHeaderLabels(["Action", "Shortcut"])
        self.keys.verticalHeader().setVisible(False)
        self.keys.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.keys.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.editors: dict[str, QKeySequenceEdit] = {}
        for row, (action_id, (label, _default)) in enumerate(SHORTCUTS.items()):
            it = QTableWidgetItem(label)
            it.setToolTip(action_id)
            self.keys.setItem(row, 0, it)
            edit = QKeySequenceEdit(QKeySequence(current[action_id]))
            edit.setObjectName(f"shortcut_{action_id}")
            edit.setMaximumSequenceLength(1)
            self.keys.setCellWidget(row, 1, edit)
            self.editors[action_id] = edit
        self.keys.setMinimumHeight(200)
        self.error = QLabel()
        self.error.setObjectName("settingsShortcutError")
        self.error.setStyleSheet("color: #ff5c5c")
        self.error.setWordWrap(True)
        self.error.hide()
        for edit in self.editors.values():
            edit.keySequenceChanged.connect(self.validate)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.keys)
        layout.addWidget(self.error)

    def validate(self) -> list[str]:
        """Mark shortcuts used by two actions at their fields; returns the problems (empty: valid)."""
        # Shortcuts clash only within one context ("trade." = main window, "ticket." = a ticket window).
        owners: dict[tuple[str, str], list[str]] = {}
        for action_id, edit in self.editors.items():
            text = edit.keySequence().toString()
            if text:
                owners.setdefault((action_id.split(".")[0], text), []).append(action_id)
        problems: list[str] = []
        for action_id, edit in self.editors.items():
            text = edit.keySequence().toString()
            clash = [o for o in owners.get((action_id.split(".")[0], text), []) if o != action_id]
            if clash:
                names = ", ".join(SHORTCUTS[o][0] for o in clash)
                edit.setStyleSheet("border: 1px solid #ff5c5c")
                edit.setToolTip(f"{text} is also the shortcut of: {names}")
                problems.append(f"{SHORTCUTS[action_id][0]}: {text} is also used by {names}")
            else:
                edit.setStyleSheet("")
                edit.setToolTip("")
        self.error.setText("Each shortcut can belong to one action only. " + "; ".join(problems) if problems else "")
        self.error.setVisible(bool(problems))
        return problems

    def values(self) -> dict[str, Any]:
        defaults = {k: d for k, (_l, d) in SHORTCUTS.items()}
        custom = {}
        for action_id, edit in self.editors.items():
            text = edit.keySequence().toString()
            if text != defaults[action_id]:
                custom[action_id] = text
        out = dict(self._original)
        out.update({"size_multiple": self.size_multiple.value(), "max_notional": self.max_notional.value(),
                    "far_from_mid_pct": self.far_pct.value(), "far_from_mid_min": self.far_min.value(),
                    "shortcuts": custom})
        return out
