"""Window to simulator: the embedded simulator process, the session and the main window, offscreen."""

from __future__ import annotations

import os
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


def test_positions_table_shows_live_changing_rows(qloop, qtbot, tmp_path: Path, qtmodeltester) -> None:
    simulator = EmbeddedSimulator(tmp_path / "sim", seed=3)
    endpoint = run(qloop, simulator.start())
    session = Session(endpoint.url, endpoint.api_key, embedded=True)
    errors = ErrorHub()
    window = MainWindow(session, errors)
    qtbot.addWidget(window)
    window.show()
    try:
        run(qloop, session.start())
        model = window.positions_model

        async def scenario() -> None:
            await until(lambda: model.rowCount() == 4)
            await until(lambda: all(_column_texts(model, "pnl")))
            first = _column_texts(model, "pnl")
            await until(lambda: _column_texts(model, "pnl") != first)
            await until(lambda: window.accounts_model.rowCount() >= 2)

        run(qloop, scenario())
        assert window.hub_labels["control"].text().endswith("Connected")
        assert session.hub_state("data") == ConnectionState.CONNECTED
        assert endpoint.url in window.server_label.text()
        assert model.data_changed_emits > 0
        qtmodeltester.check(model)
        qtmodeltester.check(window.accounts_model)
        image = window.grab().toImage()
        assert not image.isNull() and image.width() > 800
        assert not errors.records
    finally:
        run(qloop, session.stop())
        run(qloop, simulator.stop())


def test_numeric_columns_sort_numerically(qloop, qtbot, tmp_path: Path) -> None:
    simulator = EmbeddedSimulator(tmp_path / "sim", seed=4)
    endpoint = run(qloop, simulator.start())
    session = Session(endpoint.url, endpoint.api_key, embedded=True)
    window = MainWindow(session, ErrorHub())
    qtbot.addWidget(window)
    try:
        run(qloop, session.start())
        run(qloop, until(lambda: window.positions_model.rowCount() == 4 and session.state.stream_updates > 8))
        view = window.positions_view
        col = window.positions_model.column_index("pnl")
        view.table.sortByColumn(col, Qt.SortOrder.AscendingOrder)
        values = [float(view.proxy.index(r, col).data().replace(",", "")) for r in range(view.proxy.rowCount())]
        assert values == sorted(values)
    finally:
        run(qloop, session.stop())
        run(qloop, simulator.stop())


@pytest.mark.timeout(120)
def test_screenshot_command_paints_live_data_and_exits_cleanly(tmp_path: Path) -> None:
    shot = tmp_path / "window.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_STATE_HOME": str(tmp_path / "state")}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "mesodesk", "--data-dir", str(tmp_path / "data"), "--screenshot", str(shot)],
        capture_output=True, text=True, timeout=100, env=env,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Task was destroyed but it is pending" not in result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    image = QImage(str(shot))
    assert not image.isNull() and image.width() >= 1000 and image.height() >= 600
    assert elapsed < 90
