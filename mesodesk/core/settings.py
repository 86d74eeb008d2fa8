"""User settings: a small versioned JSON file under the platformdirs config directory.

Rules (after Spyder's ``CONF_VERSION``):

* ``SETTINGS_VERSION`` is bumped whenever a key is renamed, removed or changes
  meaning; each bump adds one step to ``MIGRATIONS`` that rewrites a version N
  dict into version N+1. Adding a key with a default needs no bump: unknown keys
  are ignored and missing keys take their defaults.
* A file from a *newer* version is read as far as it is understood and never
  overwritten silently (``save`` keeps the newer version number).
* Secrets never go here: API keys live in the OS keyring
  (:mod:`mesodesk.core.credentials`). ``save`` refuses any key that looks like one.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from platformdirs import user_config_path

from mesodesk.quant.beta_weighting import DEFAULT_BETAS, betas_from_settings

log = logging.getLogger("mesodesk.settings")

SETTINGS_VERSION = 2
CONFIG_ENV = "MESODESK_CONFIG_DIR"
THEMES = ("system", "dark", "light")
_SECRET_WORDS = ("key", "token", "secret", "password")


def default_config_dir() -> Path:
    """``$MESODESK_CONFIG_DIR`` or the platformdirs user config dir."""
    override = os.environ.get(CONFIG_ENV)
    return Path(override) if override else user_config_path("mesodesk", appauthor=False)


@dataclass
class Settings:
    theme: str = "system"
    flash_changes: bool = True
    flash_ms: int = 500
    #: blotter name -> filter text applied when the window opens
    default_filters: dict[str, str] = field(default_factory=dict)
    #: "embedded" (the built-in simulator) or "remote"
    connection_mode: str = "embedded"
    server_url: str = ""
    #: the notifications section (mesodesk.ui.notify.prefs owns its keys and defaults)
    notifications: dict[str, Any] = field(default_factory=dict)
    #: the trading section (mesodesk.ui.trading): guard limits and the shortcut map
    trading: dict[str, Any] = field(default_factory=dict)
    #: underlying -> beta against the S&P 500, for beta-weighted risk graphs
    betas: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_BETAS))
    version: int = SETTINGS_VERSION

    def normalized(self) -> Settings:
        if self.theme not in THEMES:
            self.theme = "system"
        if self.connection_mode not in ("embedded", "remote"):
            self.connection_mode = "embedded"
        self.flash_ms = min(max(int(self.flash_ms), 100), 5000)
        if not isinstance(self.notifications, dict):
            self.notifications = {}
        if not isinstance(self.trading, dict):
            self.trading = {}
        self.betas = betas_from_settings(self.betas)
        return self


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v1 had ``dark_mode: bool|None`` and ``flash: bool``; v2 has ``theme`` and ``flash_changes``."""
    out = dict(data)
    dark = out.pop("dark_mode", None)
    out.setdefault("theme", "system" if dark is None else ("dark" if dark else "light"))
    if "flash" in out:
        out["flash_changes"] = bool(out.pop("flash"))
    return out


#: version N -> function rewriting a version-N dict into version N+1
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    version = int(data.get("version", 1))
    while version < SETTINGS_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
        data["version"] = version
    return data


def settings_path(config_dir: Path | None = None) -> Path:
    return (config_dir or default_config_dir()) / "settings.json"


def load_settings(config_dir: Path | None = None) -> Settings:
    path = settings_path(config_dir)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError):
        log.warning("ignoring unreadable settings file %s", path)
        return Settings()
    if not isinstance(raw, dict):
        return Settings()
    data = migrate(raw)
    known = {f.name for f in fields(Settings)}
    settings = Settings(**{k: v for k, v in data.items() if k in known})
    settings.version = max(int(data.get("version", SETTINGS_VERSION)), SETTINGS_VERSION)
    return settings.normalized()


def save_settings(settings: Settings, config_dir: Path | None = None) -> Path:
    data = asdict(settings.normalized())
    for name in data:
        if any(word in name.lower() for word in _SECRET_WORDS):
            raise ValueError(f"refusing to write {name!r} to a settings file: secrets belong in the keyring")
    path = settings_path(config_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=True)
    os.replace(tmp, path)
    return path
