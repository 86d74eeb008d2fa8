"""Dock layouts: the default, the last session's, and named layouts, all versioned.

``QMainWindow.saveState(LAYOUT_VERSION)`` / ``restoreState(state, LAYOUT_VERSION)``:
Qt refuses a state saved with another version, so bumping ``LAYOUT_VERSION``
(when docks are added, removed or renamed) discards old layouts instead of
restoring a broken one. Docks and toolbars have stable ASCII object names, so a
layout survives upgrades and language changes. Stored in the UI ``QSettings``
under ``layouts/``; names are hex-encoded into keys (any text is a valid name).
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow

LAYOUT_VERSION = 2  # 2: charts and notification docks
LAST = "layouts/last"


def _key(name: str) -> str:
    return "layouts/named/" + name.encode("utf-8").hex()


class LayoutManager:
    def __init__(self, window: QMainWindow, settings: QSettings) -> None:
        self.window = window
        self.settings = settings
        self.default_state = QByteArray()

    def capture_default(self) -> None:
        """Remember the freshly built layout as the default ("reset to default layout")."""
        self.default_state = self.window.saveState(LAYOUT_VERSION)

    def reset(self) -> bool:
        return bool(self.window.restoreState(self.default_state, LAYOUT_VERSION))

    # -- named layouts ------------------------------------------------------------
    def names(self) -> list[str]:
        value = self.settings.value("layouts/names", [])
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value] if isinstance(value, list | tuple) else []

    def save(self, name: str) -> None:
        name = name.strip()
        if not name:
            raise ValueError("a layout needs a name")
        self._write(_key(name), name)
        names = self.names()
        if name not in names:
            self.settings.setValue("layouts/names", [*names, name])

    def restore(self, name: str) -> bool:
        return self._read(_key(name))

    def delete(self, name: str) -> None:
        self.settings.remove(_key(name))
        self.settings.setValue("layouts/names", [n for n in self.names() if n != name])

    # -- the last session ------------------------------------------------------------
    def save_last(self) -> None:
        self._write(LAST, "last")

    def restore_last(self) -> bool:
        return self._read(LAST)

    # -- storage ------------------------------------------------------------------------
    def _write(self, key: str, name: str) -> None:
        self.settings.setValue(f"{key}/state", self.window.saveState(LAYOUT_VERSION))
        self.settings.setValue(f"{key}/geometry", self.window.saveGeometry())
        self.settings.setValue(f"{key}/version", LAYOUT_VERSION)
        self.settings.setValue(f"{key}/name", name)

    def _read(self, key: str) -> bool:
        state = self.settings.value(f"{key}/state")
        if str(self.settings.value(f"{key}/version")) != str(LAYOUT_VERSION) or state is None:
            return False
        geometry = self.settings.value(f"{key}/geometry")
        if geometry is not None:
            self.window.restoreGeometry(QByteArray(geometry))
        return bool(self.window.restoreState(QByteArray(state), LAYOUT_VERSION))
