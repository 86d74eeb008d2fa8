"""Versioned settings: defaults, migration rules, no secrets on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mesodesk.core.settings import SETTINGS_VERSION, Settings, load_settings, save_settings, settings_path


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.theme == "system" and settings.flash_changes and settings.version == SETTINGS_VERSION


def test_round_trip(tmp_path: Path) -> None:
    save_settings(Settings(theme="light", flash_changes=False, default_filters={"positions": "SPX"}), tmp_path)
    loaded = load_settings(tmp_path)
    assert (loaded.theme, loaded.flash_changes, loaded.default_filters) == ("light", False, {"positions": "SPX"})


def test_v1_file_is_migrated(tmp_path: Path) -> None:
    settings_path(tmp_path).write_text(json.dumps({"version": 1, "dark_mode": False, "flash": False}))
    loaded = load_settings(tmp_path)
    assert loaded.theme == "light" and loaded.flash_changes is False and loaded.version == SETTINGS_VERSION


def test_unknown_keys_and_bad_values_are_tolerated(tmp_path: Path) -> None:
    settings_path(tmp_path).write_text(json.dumps({"version": 2, "theme": "neon", "future_key": 1, "flash_ms": 1}))
    loaded = load_settings(tmp_path)
    assert loaded.theme == "system" and loaded.flash_ms == 100


def test_secrets_are_refused(tmp_path: Path) -> None:
    settings = Settings()
    settings.api_key = "sekrit"  # type: ignore[attr-defined]
    save_settings(settings, tmp_path)  # not a dataclass field: never serialised
    assert "sekrit" not in settings_path(tmp_path).read_text()

    from dataclasses import dataclass

    @dataclass
    class Leaky(Settings):
        api_key: str = "sekrit"

    with pytest.raises(ValueError, match="keyring"):
        save_settings(Leaky(), tmp_path)
