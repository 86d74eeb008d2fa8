"""A console under test: an in-process simulator (real sockets), a Session and the main window."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt

from mesodesk.core.session import Session
from mesodesk.core.trading.desk import TradingDesk
from mesodesk.core.world import World
from mesodesk.sim.dialect import WireDialect
from mesodesk.sim.server import SimulatorServer
from mesodesk.ui.errors import ErrorHub, ErrorRecord, install_log_forwarding
from mesodesk.ui.main_window import MainWindow

API_KEY = "test-key-0123456789"


@dataclass
class Console:
    server: SimulatorServer
    session: Session
    window: MainWindow
    errors: ErrorHub
    server_running: bool = True

    async def stop_server(self) -> None:
        self.server_running = False
        await self.server.stop()


def unexpected_errors(errors: ErrorHub) -> list[ErrorRecord]:
    """Errors other than "the simulator does not serve this method yet" (it is being extended)."""
    return [r for r in errors.records if "Unknown hub method" not in r.details]


def column_texts(model, key: str) -> list[str]:
    col = model.column_index(key)
    return [model.index(r, col).data(Qt.ItemDataRole.DisplayRole) for r in range(model.rowCount())]


def proxy_texts(view, key: str) -> list[str]:
    col = view.model.column_index(key)
    return [view.proxy.index(r, col).data() for r in range(view.proxy.rowCount())]


@asynccontextmanager
async def console(qtbot, tmp_path: Path, seed: int = 5, *, defer_charts: bool = False) -> AsyncIterator[Console]:
    server = SimulatorServer(tmp_path / "sim", API_KEY, seed=seed, speed=60.0, tick_interval=0.05,
                             wire_dialect=WireDialect.from_env())  # $MESODESK_WIRE_DIALECT
    await server.start(port=0)
    session = Session(server.url, API_KEY, embedded=True)
    errors = ErrorHub()
    forwarder = install_log_forwarding(errors)
    # the tickets' commission estimate is the simulator's schedule, as the app wires it
    desk = TradingDesk(session, default_commission=server.context.broker.commission_per_contract)
    window = MainWindow(session, errors, config_dir=tmp_path / "config", defer_charts=defer_charts, desk=desk)
    qtbot.addWidget(window)
    window.show()
    result = Console(server, session, window, errors)
    try:
        await session.start()
        yield result
    finally:
        for view in list(window.details.values()):
            view.close()
        await session.stop()
        if result.server_running:
            await result.server.stop()  # a test may have replaced the server (restarts)
        logging.getLogger("mesodesk").removeHandler(forwarder)


def reopen(c: Console, qtbot, config_dir: Path, world: World | None = None) -> tuple[Session, MainWindow]:
    """A second console on ``c``'s simulator (as after a restart): a new session and window, shown,
    not yet started (a test may hook the window first)."""
    session = Session(c.server.url, API_KEY, embedded=True, world=world)
    window = MainWindow(session, ErrorHub(), config_dir=config_dir)
    qtbot.addWidget(window)
    window.show()
    return session, window
