"""Notification tests reuse the GUI fixtures: a qasync loop per test and a per-test config dir."""

from __future__ import annotations

from tests.ui.conftest import _isolated_config, qloop

__all__ = ["_isolated_config", "qloop"]
