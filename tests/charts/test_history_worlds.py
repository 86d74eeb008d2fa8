"""Chart history is per world: two data folders, or the embedded simulator and a second server, used
one after the other on one config/data folder, never show each other's samples (real simulators,
the console's chart docks, real SQLite files); going back to the first world shows its own again."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from mesodesk.core.history import COL, FIELDS
from mesodesk.core.session import Session
from mesodesk.core.world import World
from mesodesk.sim.dialect import WireDialect
from mesodesk.sim.server import SimulatorServer
from mesodesk.ui.charts.install import ChartsController
from mesodesk.ui.errors import ErrorHub
from mesodesk.ui.main_window import MainWindow
from tests.ui.aio import run, until
from tests.ui.console import API_KEY

Pairs = set[tuple[float, float]]


@dataclass
class Desk:
    server: SimulatorServer
    window: MainWindow

    @property
    def charts(self) -> ChartsController:
        charts = self.window.charts
        assert charts is not None
        return charts

    async def chart(self, position_id: int, samples: int) -> np.ndarray:
        """Select ``position_id``; once its stored history is merged and ``samples`` live rows came,
        the rows the position chart shows."""
        w = self.window
        await until(lambda: w.positions_model.rowCount() >= 4)
        assert w.views["positions"].select_key(position_id)
        charts = self.charts
        await until(lambda: charts.selected == position_id and position_id in charts.recorder.loaded)
        charts.store.flush().result(10)  # the history load was queued before this flush: it is merged
        await until(lambda: len(charts.recorder.buffer(position_id)) >= samples, timeout=30)
        return np.array(charts.position_chart.rows[:, : len(FIELDS)])


@asynccontextmanager
async def desk(qtbot, sim_dir: Path, world_of: Callable[[SimulatorServer], World], *, seed: int,
               speed: float = 60.0) -> AsyncIterator[Desk]:
    """A simulator on ``sim_dir`` and the console's window on the session's world."""
    server = SimulatorServer(sim_dir, API_KEY, seed=seed, speed=speed, tick_interval=0.05,
                             wire_dialect=WireDialect.from_env())
    await server.start(port=0)
    session = Session(server.url, API_KEY, embedded=True, world=world_of(server))
    window = MainWindow(session, ErrorHub())  # the config dir of $MESODESK_CONFIG_DIR, as the app
    qtbot.addWidget(window)
    window.show()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    quits = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)  # as the app: closing this window is not the end of the test
    try:
        await session.start()
        yield Desk(server, window)
    finally:
        window.close()  # closes the history store: everything recorded is written
        app.setQuitOnLastWindowClosed(quits)
        await session.stop()
        await server.stop()


def pairs(rows: np.ndarray) -> Pairs:
    return {(float(r[COL["t"]]), float(r[COL["underlying"]])) for r in rows}


def stored(path: Path, position_id: int) -> Pairs:
    with sqlite3.connect(path) as db:
        return {(t, u) for t, u in db.execute("SELECT t, underlying FROM samples WHERE position_id = ?",
                                              (position_id,))}


def world_of_file(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return str(db.execute("SELECT value FROM meta WHERE name = 'world'").fetchone()[0])


def embedded(server: SimulatorServer) -> World:
    return World.embedded(server.data_dir)


def second_server(server: SimulatorServer) -> World:
    return World.server(server.url, "account-b")


@pytest.mark.parametrize("second", [embedded, second_server], ids=["two-data-folders", "embedded-vs-server"])
def test_two_worlds_never_share_chart_history(qloop, qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              second: Callable[[SimulatorServer], World]) -> None:
    monkeypatch.setenv("MESODESK_DATA_DIR", str(tmp_path / "data"))  # as `mesodesk --data-dir` sets it
    position = 1  # the seeded position #1 exists in both worlds, with other prices

    async def scenario() -> None:
        # world A at real-time speed: all its samples are older than anything world B streams, so a
        # shared file would put all of them in front of world B's chart (the "thick band")
        async with desk(qtbot, tmp_path / "a" / "simulator", embedded, seed=5, speed=1.0) as a:
            await a.chart(position, samples=8)
            file_a = a.charts.store.path
            key_a = a.window.session.world.key
        rows_a = stored(file_a, position)
        assert len(rows_a) >= 8 and world_of_file(file_a) == key_a

        async with desk(qtbot, tmp_path / "b" / "simulator", second, seed=9) as b:
            shown_b = await b.chart(position, samples=5)
            file_b = b.charts.store.path
            key_b = b.window.session.world.key
            assert b.charts.store.load(position).result(10).shape[0] >= 1  # world B records its own
        assert file_b != file_a and key_b != key_a and world_of_file(file_b) == key_b
        assert not pairs(shown_b) & rows_a, "world B's chart shows world A's samples"
        assert not stored(file_b, position) & rows_a
        assert stored(file_a, position) == rows_a  # world B wrote nothing into world A's file
        # world B's chart is one price path, in time order: nothing from before world B began
        assert (np.diff(shown_b[:, COL["t"]]) > 0).all()

        # back to world A (the same folder): its own history comes back, nothing of world B
        async with desk(qtbot, tmp_path / "a" / "simulator", embedded, seed=5, speed=1.0) as again:
            shown_a = await again.chart(position, samples=len(rows_a) + 2)
            assert again.charts.store.path == file_a
        assert rows_a <= pairs(shown_a) and not pairs(shown_a) & stored(file_b, position)

    run(qloop, scenario(), timeout=150)
