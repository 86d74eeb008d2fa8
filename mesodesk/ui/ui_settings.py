"""The UI's binary state (dock layouts, header states) in a ``QSettings`` INI file.

It lives next to ``settings.json`` in the config directory. Like the JSON
settings it never holds secrets: API keys live in the OS keyring.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from mesodesk.core.settings import default_config_dir


def ui_settings(config_dir: Path | None = None) -> QSettings:
    directory = config_dir or default_config_dir()
    directory.mkdir(parents=True, exist_ok=True)
    return QSettings(str(directory / "ui-state.ini"), QSettings.Format.IniFormat)
