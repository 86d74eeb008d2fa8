"""The "Notifications" tab of the settings dialog: global switches and per-event-type routing."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mesodesk.core.notices import EVENT_TYPES, TYPE_LABELS
from mesodesk.ui.notify.prefs import DESKTOP_MODES, SOUNDS, NotificationPrefs

_DESKTOP_TEXT = {"unfocused": "When mesodesk is in the background", "always": "Always", "never": "Never"}


def _centered(widget: QWidget) -> QWidget:
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignCenter)
    return holder


class NotificationSettingsPage(QWidget):
    def __init__(self, data: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notificationSettings")
        prefs = NotificationPrefs.from_dict(data)
        self._prefs = prefs
        self.toasts = QCheckBox("Show in-app toasts")
        self.toasts.setObjectName("notifyToasts")
        self.toasts.setChecked(prefs.toasts)
        self.toast_seconds = QSpinBox()
        self.toast_seconds.setObjectName("notifyToastSeconds")
        self.toast_seconds.setRange(2, 60)
        self.toast_seconds.setSuffix(" s (errors stay until dismissed)")
        self.toast_seconds.setValue(prefs.toast_seconds)
        self.max_toasts = QSpinBox()
        self.max_toasts.setObjectName("notifyMaxToasts")
        self.max_toasts.setRange(1, 10)
        self.max_toasts.setValue(prefs.max_toasts)
        self.desktop = QComboBox()
        self.desktop.setObjectName("notifyDesktopMode")
        for mode in DESKTOP_MODES:
            self.desktop.addItem(_DESKTOP_TEXT[mode], mode)
        self.desktop.setCurrentIndex(DESKTOP_MODES.index(prefs.desktop))
        self.sounds = QCheckBox("Play sounds")
        self.sounds.setObjectName("notifySounds")
        self.sounds.setChecked(prefs.sounds)
        self.dnd = QCheckBox("Do not disturb (no desktop notifications, no sounds; toasts and history stay)")
        self.dnd.setObjectName("notifyDnd")
        self.dnd.setChecked(prefs.do_not_disturb)
        general = QFormLayout()
        general.addRow(self.toasts)
        general.addRow("Toast duration", self.toast_seconds)
        general.addRow("Toasts at once", self.max_toasts)
        general.addRow("Desktop notifications", self.desktop)
        general.addRow(self.sounds)
        general.addRow(self.dnd)
        general_box = QGroupBox("Notifications")
        general_box.setLayout(general)

        self.table = QTableWidget(len(EVENT_TYPES), 4)
        self.table.setObjectName("notifyTypeTable")
        self.table.setHorizontalHeaderLabels(["Event", "Toast", "Desktop", "Sound"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.type_toast: dict[str, QCheckBox] = {}
        self.type_desktop: dict[str, QCheckBox] = {}
        self.type_sound: dict[str, QComboBox] = {}
        self.previews: dict[str, QToolButton] = {}
        for row, callback in enumerate(EVENT_TYPES):
            rule = prefs.rule(callback)
            self.table.setItem(row, 0, QTableWidgetItem(TYPE_LABELS[callback]))
            toast, desktop = QCheckBox(), QCheckBox()
            toast.setObjectName(f"notifyToast_{callback}")
            desktop.setObjectName(f"notifyDesktop_{callback}")
            toast.setChecked(rule.toast)
            desktop.setChecked(rule.desktop)
            sound = QComboBox()
            sound.setObjectName(f"notifySound_{callback}")
            sound.addItem("None", "")
            for name in SOUNDS:
                sound.addItem(name.capitalize(), name)
            sound.setCurrentIndex(max(0, sound.findData(rule.sound)))
            preview = QToolButton()
            preview.setText("▶")
            preview.setToolTip("Play this sound")
            preview.clicked.connect(lambda _=False, c=sound: self._preview(c.currentData()))
            cell = QWidget()
            cell_layout = QHBoxLayout(cell)
            cell_layout.setContentsMargins(2, 0, 2, 0)
            cell_layout.addWidget(sound)
            cell_layout.addWidget(preview)
            self.table.setCellWidget(row, 1, _centered(toast))
            self.table.setCellWidget(row, 2, _centered(desktop))
            self.table.setCellWidget(row, 3, cell)
            self.type_toast[callback], self.type_desktop[callback] = toast, desktop
            self.type_sound[callback], self.previews[callback] = sound, preview
        self.table.resizeRowsToContents()
        self.table.setMinimumHeight(280)
        types_box = QGroupBox("Per event type")
        types_layout = QVBoxLayout(types_box)
        types_layout.addWidget(self.table)

        layout = QVBoxLayout(self)
        layout.addWidget(general_box)
        layout.addWidget(types_box, 1)

    def _preview(self, name: str) -> None:
        from mesodesk.ui.notify.sounds import SoundPlayer

        player = getattr(self, "_player", None) or SoundPlayer(self, min_gap=0.0)
        self._player = player
        player.play(name)

    def values(self) -> dict[str, Any]:
        prefs = self._prefs
        prefs.toasts = self.toasts.isChecked()
        prefs.toast_seconds = self.toast_seconds.value()
        prefs.max_toasts = self.max_toasts.value()
        prefs.desktop = str(self.desktop.currentData())
        prefs.sounds = self.sounds.isChecked()
        prefs.do_not_disturb = self.dnd.isChecked()
        for callback in EVENT_TYPES:
            rule = prefs.rule(callback)
            rule.toast = self.type_toast[callback].isChecked()
            rule.desktop = self.type_desktop[callback].isChecked()
            rule.sound = str(self.type_sound[callback].currentData() or "")
        return prefs.to_dict()
