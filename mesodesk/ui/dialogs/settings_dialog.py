"""The settings dialog: theme, flash on/off and duration, default blotter filters.

Non-modal (``open()``); ``sig_settings_applied`` carries the new :class:`Settings`.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mesodesk.core.settings import THEMES, Settings
from mesodesk.ui.dialogs.beta_settings import BetaSettingsPage
from mesodesk.ui.notify.settings_page import NotificationSettingsPage
from mesodesk.ui.trading.settings_box import TradingSettingsBox


class SettingsDialog(QDialog):
    sig_settings_applied = Signal(object)
    """Emitted with the edited :class:`~mesodesk.core.settings.Settings` when the user presses OK."""

    def __init__(self, settings: Settings, blotters: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self._settings = settings
        self.theme = QComboBox()
        self.theme.setObjectName("settingsTheme")
        for name in THEMES:
            self.theme.addItem({"system": "Follow the OS", "dark": "Dark", "light": "Light"}[name], name)
        self.theme.setCurrentIndex(THEMES.index(settings.theme))
        self.flash = QCheckBox("Flash changed values")
        self.flash.setObjectName("settingsFlash")
        self.flash.setChecked(settings.flash_changes)
        self.flash_ms = QSpinBox()
        self.flash_ms.setObjectName("settingsFlashMs")
        self.flash_ms.setRange(100, 5000)
        self.flash_ms.setSingleStep(100)
        self.flash_ms.setSuffix(" ms")
        self.flash_ms.setValue(settings.flash_ms)
        self.flash.toggled.connect(self.flash_ms.setEnabled)
        self.flash_ms.setEnabled(settings.flash_changes)
        look = QFormLayout()
        look.addRow("Theme", self.theme)
        look.addRow(self.flash)
        look.addRow("Flash duration", self.flash_ms)
        look_box = QGroupBox("Appearance")
        look_box.setLayout(look)

        self.filters: dict[str, QLineEdit] = {}
        filters = QFormLayout()
        for key, title in blotters.items():
            edit = QLineEdit(settings.default_filters.get(key, ""))
            edit.setObjectName(f"settingsFilter_{key}")
            edit.setPlaceholderText("no filter")
            self.filters[key] = edit
            filters.addRow(title, edit)
        filter_box = QGroupBox("Default filters (applied when the window opens)")
        filter_box.setLayout(filters)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        general = QWidget()
        general_layout = QVBoxLayout(general)
        general_layout.addWidget(look_box)
        general_layout.addWidget(filter_box)
        self.notifications = NotificationSettingsPage(settings.notifications)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("settingsTabs")
        self.tabs.addTab(general, "General")
        self.tabs.addTab(self.notifications, "Notifications")
        self.trading = TradingSettingsBox(settings.trading)
        self.tabs.addTab(self.trading, "Trading")
        self.betas = BetaSettingsPage(settings.betas)
        self.tabs.addTab(self.betas, "Risk")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)

    def result_settings(self) -> Settings:
        filters = {k: e.text().strip() for k, e in self.filters.items() if e.text().strip()}
        return replace(self._settings, theme=str(self.theme.currentData()), flash_changes=self.flash.isChecked(),
                       flash_ms=self.flash_ms.value(), default_filters=filters,
                       notifications=self.notifications.values(), trading=self.trading.values(),
                       betas=self.betas.values()).normalized()

    def accept(self) -> None:
        if self.trading.validate():  # problems are shown at the offending fields
            self.tabs.setCurrentWidget(self.trading)
            return
        if self.betas.validate():
            self.tabs.setCurrentWidget(self.betas)
            return
        self.sig_settings_applied.emit(self.result_settings())
        super().accept()
