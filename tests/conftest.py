"""Shared fixtures: a real simulator over real sockets with a real SQLite file."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if os.environ["QT_QPA_PLATFORM"] == "offscreen":  # a full-HD screen, as the window assumes (the plugin's is 800x800)
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={Path(__file__).with_name('offscreen_screen.json')}"
os.environ.setdefault("QT_API", "pyside6")

API_KEY = "test-key-0123456789"


@pytest.fixture(autouse=True)
def _no_cyclic_gc_inside_qt_calls(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests with Qt widgets run as the app does (mesodesk.ui.gc_timer): no automatic cyclic
    GC, which can deadlock inside Qt calls; one full collection after the test, a safe point."""
    if not {"qapp", "qtbot", "qloop"} & set(request.fixturenames):
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        gc.enable()


def pytest_report_header(config: pytest.Config) -> str | None:
    from mesodesk.sim.dialect import ENV_VAR, WireDialect

    dialect = WireDialect.from_env()
    return None if dialect.is_default else f"simulator wire dialect: {dialect} (${ENV_VAR})"


@pytest.fixture
def api_key() -> str:
    return API_KEY


@pytest.fixture
async def simulator(tmp_path: Path) -> AsyncIterator[object]:
    """An in-process simulator on 127.0.0.1, fast ticks, deterministic market seed, writing the
    wire dialect named by ``$MESODESK_WIRE_DIALECT`` (default: PascalCase, enum names)."""
    from mesodesk.sim.dialect import WireDialect
    from mesodesk.sim.server import SimulatorServer

    server = SimulatorServer(tmp_path / "sim", API_KEY, seed=42, speed=60.0, tick_interval=0.05,
                             wire_dialect=WireDialect.from_env())
    await server.start(port=0)
    try:
        yield server
    finally:
        await server.stop()
