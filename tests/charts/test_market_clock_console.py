"""The console against a real simulator at the close: the status bar's market clock reads
"Closed" when the simulator jumps over the night, the charts' time axis says its zone, and
the "Hide closed hours" choice survives a restart along with the night's gap."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from mesodesk.core.formatting import local_zone_name
from mesodesk.core.session import Session
from mesodesk.core.world import World
from mesodesk.quant.calendar import ET, UTC, et_date, next_trading_day, session_bounds
from mesodesk.sim.clock import TradingClock
from mesodesk.sim.market import Market
from mesodesk.sim.server import SimulatorServer
from mesodesk.ui.errors import ErrorHub, install_log_forwarding
from mesodesk.ui.main_window import MainWindow
from tests.ui.aio import run, until
from tests.ui.console import API_KEY

#: the simulator starts this long before a close, paused
BEFORE_CLOSE = dt.timedelta(seconds=40)


@asynccontextmanager
async def console_at(qtbot, tmp_path: Path, start: dt.datetime | None) -> AsyncIterator[tuple[SimulatorServer, MainWindow]]:
    """A console on an in-process simulator whose clock starts paused at ``start`` (None: where
    the simulator's data folder left it, running at 60x)."""
    market = Market(seed=5, clock=TradingClock(start, speed=0.0)) if start is not None else None
    server = SimulatorServer(tmp_path / "sim", API_KEY, seed=5, speed=60.0, tick_interval=0.05, market=market)
    await server.start(port=0)
    session = Session(server.url, API_KEY, embedded=True, world=World.embedded(tmp_path / "sim"))
    errors = ErrorHub()
    forwarder = install_log_forwarding(errors)
    window = MainWindow(session, errors, config_dir=tmp_path / "config")
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    try:
        await session.start()
        yield server, window
    finally:
        window.save_ui_state()
        window.sig_closed.emit()  # what closing the window does (the chart history is written), without quitting
        await session.stop()
        await server.stop()
        logging.getLogger("mesodesk").removeHandler(forwarder)


def test_status_bar_reads_closed_at_the_simulated_close_and_charts_say_their_zone(qloop, qtbot, tmp_path: Path) -> None:
    # a close in the future of this machine's clock, so a restarted simulator resumes from its saved time
    today = et_date(dt.datetime.now(UTC))
    close = session_bounds(next_trading_day(today))[1]
    next_open = session_bounds(next_trading_day(et_date(close)))[0]
    gap: dict[str, object] = {}

    async def before_restart() -> None:
        async with console_at(qtbot, tmp_path, close - BEFORE_CLOSE) as (server, w):
            status, charts = w.status, w.charts
            assert charts is not None
            await until(lambda: w.positions_model.rowCount() == 4)
            await w.wait_until_live(min_updates=4)
            assert w.views["positions"].select_key(w.positions_model.key_at(0))
            w.docks["positionChart"].raise_()  # the chart tab in front: it draws
            panel = charts.position_chart
            await until(lambda: panel.rows.shape[0] >= 1)
            shown: list[str] = []
            set_text = status.market_label.setText
            status.market_label.setText = lambda text: (shown.append(text), set_text(text))  # type: ignore[method-assign]
            await until(lambda: "Open · closes in" in status.market_label.text())
            assert (close - BEFORE_CLOSE).astimezone(ET).strftime("%a %H:%M") in status.market_label.text()
            assert " ET" in status.market_label.text()
            # the simulator runs: the close comes within a second and it jumps to the next open
            server.market.clock.set_speed(60.0)
            clock = w.session.state.server_clock
            await until(lambda: clock.skip is not None, timeout=30)
            assert (clock.skip.closed_at, clock.skip.opened_at) == (close, next_open)
            await until(lambda: any("Open · closes in 6h" in text for text in shown), timeout=30)
            closed = [i for i, text in enumerate(shown) if "Closed · opens" in text]
            reopened = [i for i, text in enumerate(shown) if "Open · closes in 6h" in text]
            assert closed and closed[0] < reopened[0], shown
            expected = f"Closed · opens {next_open.astimezone(ET).strftime('%a')} 09:30 ET"
            assert expected in shown[closed[0]]
            assert close.astimezone(ET).strftime("%a 16:00 ET") in shown[closed[0]]
            # the chart: one session boundary, the axis labelled with its zone, ticks in ET
            await until(lambda: panel.rows.shape[0] >= 2 and panel.rows[-1, 0] > next_open.timestamp() + 60)
            panel.redraw(force=True)
            axis = panel.plots[-1].getAxis("bottom")
            assert "Exchange time (ET)" in axis.labelText
            boundary = panel.chart_time.mapping.axis_of(next_open.timestamp())
            assert all(s.positions == (boundary,) for s in panel.separators)
            x0, x1 = boundary - 600.0, boundary + 600.0
            values = [v for _s, vs in axis.tickValues(x0, x1, 800) for v in vs]
            labels = dict(zip(values, axis.tickStrings(values, 1.0, 1.0), strict=True))
            assert labels[boundary] == next_open.astimezone(ET).strftime("%a %d %b")
            assert any(label.startswith("09:3") or label.startswith("15:5") for label in labels.values())
            # the blotters' times say their zone too
            zone = local_zone_name()
            for key, column in (("positions", "opened"), ("events", "time"), ("orders", "updated")):
                model = w.models[key]
                title = model.headerData(model.column_index(column), Qt.Orientation.Horizontal)
                assert title.endswith(f"({zone})"), title
            # the to-scale axis, chosen from the chart's context menu, is remembered
            assert panel.compress_action in panel.plots[0].vb.menu.actions()
            panel.compress_action.trigger()
            assert not panel.compressed
            panel.redraw(force=True)
            x, y = panel.curves["pnl"].xData, panel.curves["pnl"].yData
            gap["before"] = _night(x, y, close, next_open)

    async def after_restart() -> None:
        async with console_at(qtbot, tmp_path, None) as (_server, w):
            charts = w.charts
            assert charts is not None
            await until(lambda: w.positions_model.rowCount() == 4)
            assert w.views["positions"].select_key(w.positions_model.key_at(0))
            w.docks["positionChart"].raise_()
            panel = charts.position_chart
            assert not panel.compressed and not panel.compress_action.isChecked()
            await until(lambda: panel.rows.shape[0] >= 2 and panel.rows[0, 0] < close.timestamp())
            panel.redraw(force=True)
            x, y = panel.curves["pnl"].xData, panel.curves["pnl"].yData
            assert _night(x, y, close, next_open) == gap["before"]

    run(qloop, before_restart(), timeout=90)
    run(qloop, after_restart(), timeout=60)


def _night(x: np.ndarray, y: np.ndarray, close: dt.datetime, next_open: dt.datetime) -> tuple[float, float, bool]:
    """How the night is drawn on a to-scale axis: the last point before the close, the first after
    the open, and whether a line joins them (it must not)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    before = np.flatnonzero((x < close.timestamp()) & np.isfinite(y))[-1]
    after = np.flatnonzero((x >= next_open.timestamp()) & np.isfinite(y))[0]
    joined = after == before + 1
    assert not joined, "a line is drawn through the night"
    return float(x[before]), float(x[after]), bool(joined)
