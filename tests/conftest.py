"""Shared fixtures: a real simulator over real sockets with a real SQLite file."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

API_KEY = "test-key-0123456789"


@pytest.fixture
def api_key() -> str:
    return API_KEY


@pytest.fixture
async def simulator(tmp_path: Path) -> AsyncIterator[object]:
    """An in-process simulator on 127.0.0.1, fast ticks, deterministic market seed."""
    from mesodesk.sim.server import SimulatorServer

    server = SimulatorServer(tmp_path / "sim", API_KEY, seed=42, speed=60.0, tick_interval=0.05)
    await server.start(port=0)
    try:
        yield server
    finally:
        await server.stop()
