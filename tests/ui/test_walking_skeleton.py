"""Window to simulator: the embedded simulator process, the session and the main window, offscreen.

Each test drives one coroutine with a single ``run_until_complete``: qasync only sets
the running loop inside it, so tasks must not be left to run between two calls.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from mesodesk.core.session import Session
from mesodesk.sdk import ConnectionState
from mesodesk.sim.embedded import EmbeddedSimulator
from mesodesk.ui.errors import ErrorHub
from mesodesk.ui.main_window import MainWindow
from tests.ui.aio import run, until


def _column_texts(model, key: str) -> list[str]:
    col = model.column_index(key)
    return [model.index(r, col).data(Qt.ItemDataRole.DisplayRole) for r in range(model.rowCount())]


async def _open_window(qtbot, data_dir: Path, seed: int) -> tuple[EmbeddedSimulator, Session, MainWindow, ErrorHub]:
    simulator = EmbeddedSimulator(data_dir, seed=seed)
    endpoint = await simulator.start()
    session = Session(endpoint.url, endpoint.api_key, embedded=True)
    errors = ErrorHub()
    window = MainWindow(session, errors)
    qtbot.addWidget(window)
    window.show()
    await session.start()
    return simulator, session, window, errors


def test_positions_table_shows_live_changing_rows(qloop, qtbot, tmp_path: Path, qtmodeltester) -> None:
    async def scenario() -> None:
        simulator, session, window, errors = await _open_window(qtbot, tmp_path / "sim", seed=3)
        try:
            model = window.positions_model
            await until(lambda: model.rowCount() == 4)
            await until(lambda: all(_column_texts(model, "pnl")))
            first = {k: _column_texts(model, k) for k in ("pnl", "delta", "und_price")}
            await until(lambda: all(_column_texts(model, k) != v for k, v in first.items()))
            await until(lambda: model.data_changed_emits > 0)  # the change reached the view
            await until(lambda: window.accounts_model.rowCount() >= 2)
            assert window.hub_labels["control"].text().endswith("Connected")
            assert session.hub_state("data") == ConnectionState.CONNECTED
            assert session.url in window.server_label.full_text()
            qtmodeltester.check(model)
            qtmodeltester.check(window.accounts_model)
            image = window.grab().toImage()
            assert not image.isNull() and image.width() > 800
            assert not errors.records, errors.records
        finally:
            await session.stop()
            await simulator.stop()

    run(qloop, scenario())


def test_numeric_columns_sort_numerically(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        simulator, session, window, _ = await _open_window(qtbot, tmp_path / "sim", seed=4)
        try:
            await until(lambda: window.positions_model.rowCount() == 4 and session.state.stream_updates > 8)
            view = window.positions_view
            for key in ("pnl", "delta", "id"):
                col = window.positions_model.column_index(key)
                view.table.sortByColumn(col, Qt.SortOrder.AscendingOrder)
                texts = [view.proxy.index(r, col).data() for r in range(view.proxy.rowCount())]
                values = [float(t.replace(",", "")) for t in texts]
                assert values == sorted(values), (key, texts)
        finally:
            await session.stop()
            await simulator.stop()

    run(qloop, scenario())


@pytest.mark.timeout(120)
def test_screenshot_command_paints_live_data_and_exits_cleanly(tmp_path: Path) -> None:
    shot = tmp_path / "window.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_STATE_HOME": str(tmp_path / "state"),
           "MESODESK_STARTUP_TRACE": "1"}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "mesodesk", "--data-dir", str(tmp_path / "data"), "--screenshot", str(shot)],
        capture_output=True, text=True, timeout=100, env=env,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    for bad in ("Task was destroyed but it is pending", "Traceback", "Error:"):
        assert bad not in result.stderr, result.stderr
    image = QImage(str(shot))
    assert not image.isNull() and image.width() >= 1000 and image.height() >= 600
    assert elapsed < 90
    # the start-up milestones, in order: tables live first, charts built after, then the PNG
    # (the rest of the snapshot -- orders, executions -- may finish before or after the first paint)
    marks = {name.strip(): int(ms) for ms, name in re.findall(r"startup \+(\d+) ms: (.+)", result.stderr)}
    order = ["simulator spawned", "modules imported", "embedded simulator ready", "main window shown",
             "position snapshot applied", "first streamed update", "live rows painted", "charts built",
             "screenshot saved"]
    assert [marks.get(name, -1) for name in order] == sorted(marks.get(name, -1) for name in order), marks
    assert set(marks) == {*order, "connected, snapshot loaded"}, marks
    assert marks["main window shown"] <= marks["connected, snapshot loaded"]
