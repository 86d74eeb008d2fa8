"""Settings → Trading refuses a shortcut given to two actions, with the message at the fields."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence

from mesodesk.core.settings import Settings
from mesodesk.ui.dialogs.settings_dialog import SettingsDialog


def test_duplicate_shortcut_is_refused_at_the_field(qtbot) -> None:
    dialog = SettingsDialog(Settings(), {"positions": "Positions"})
    qtbot.addWidget(dialog)
    applied: list[object] = []
    dialog.sig_settings_applied.connect(applied.append)
    editors = dialog.trading.editors
    first, second = list(editors)[:2]
    editors[second].setKeySequence(QKeySequence(editors[first].keySequence()))
    dialog.accept()
    assert not applied and dialog.tabs.currentWidget() is dialog.trading
    assert dialog.trading.error.isVisibleTo(dialog) and "also used by" in dialog.trading.error.text()
    assert "also the shortcut of" in editors[second].toolTip()
    editors[second].setKeySequence(QKeySequence("Ctrl+Alt+Shift+F12"))
    dialog.accept()
    assert applied and not dialog.trading.error.isVisibleTo(dialog)
