"""GUI test fixtures: a qasync loop per test, driven with ``run_until_complete``.

Never call ``qtbot.waitUntil``/``qtbot.wait`` inside a coroutine: the nested Qt loop
re-enters asyncio tasks. Use :func:`until` (an asyncio poll) instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from mesodesk.ui.gc_timer import GuiGarbageCollector


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    collector = GuiGarbageCollector()  # as the app: no cyclic GC inside Qt calls (a deadlock)
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    yield loop
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.wait(pending, timeout=2))
    loop.close()
    asyncio.set_event_loop(None)
    collector.stop()
    collector.deleteLater()
    assert not errors, f"unhandled asyncio errors: {errors}"


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path, monkeypatch) -> None:
    """Settings, layouts and header states go to a per-test directory, never the user's."""
    monkeypatch.setenv("MESODESK_CONFIG_DIR", str(tmp_path / "config"))
