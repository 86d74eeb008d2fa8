"""A new position's default name carries the market's date and time (the simulator's clock, in
exchange time), not the computer's."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from mesodesk.core.session import Session
from mesodesk.core.trading.desk import TradingDesk
from mesodesk.core.trading.position_names import default_position_name
from mesodesk.sim.clock import TradingClock
from mesodesk.sim.market import Market
from mesodesk.sim.server import SimulatorServer
from mesodesk.ui.errors import ErrorHub, install_log_forwarding
from mesodesk.ui.main_window import MainWindow
from tests.ui.aio import run, until
from tests.ui.console import API_KEY

NEW_YORK = ZoneInfo("America/New_York")
#: a Friday, 11:00 New York (EDT): years and months away from any wall clock this runs on
SIM_START = dt.datetime(2031, 3, 14, 15, 0, tzinfo=dt.UTC)


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1),
                    timezones=st.just(dt.UTC)))
def test_the_name_says_the_exchange_date_and_time(t: dt.datetime) -> None:
    ny = t.astimezone(NEW_YORK)
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    expected = f"PCS 45DTE {ny.day:02d}{months[ny.month - 1]} {ny.hour:02d}:{ny.minute:02d}"
    assert default_position_name("PCS 45DTE", t) == expected


def test_without_a_market_time_the_name_is_the_strategy_alone() -> None:
    assert default_position_name("PCS 45DTE", None) == "PCS 45DTE"
    assert default_position_name("  ", None) == "Position"


def test_the_new_position_window_names_it_by_the_simulator_clock(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        market = Market(seed=5, clock=TradingClock(SIM_START, speed=60.0))
        server = SimulatorServer(tmp_path / "sim", API_KEY, seed=5, market=market, tick_interval=0.05)
        await server.start(port=0)
        session = Session(server.url, API_KEY, embedded=True)
        errors = ErrorHub()
        forwarder = install_log_forwarding(errors)
        window = MainWindow(session, errors, config_dir=tmp_path / "config",
                            desk=TradingDesk(session, default_commission=server.context.broker.commission_per_contract))
        qtbot.addWidget(window)
        window.show()
        try:
            await session.start()
            await until(lambda: session.state.server_clock.now() is not None and session.state.strategies)
            strategy_id = min(session.state.strategies)
            strategy = session.state.strategies[strategy_id].strategy.name
            trade = window.trading.new_position(strategy_id)
            name = trade.setup.name.text()
            sim_now = server.market.now.astimezone(NEW_YORK)
            prefix = f"{strategy} "
            assert name.startswith(prefix)
            stamp = dt.datetime.strptime(name[len(prefix):], "%d%b %H:%M").replace(year=sim_now.year, tzinfo=NEW_YORK)
            assert stamp.date() == sim_now.date() == dt.date(2031, 3, 14)
            assert abs((sim_now - stamp).total_seconds()) < 5 * 60  # the clock runs 60x: a few minutes
            wall = dt.datetime.now(NEW_YORK)
            assert f"{wall:%d%b}" not in name
            trade.close()
        finally:
            await session.stop()
            await server.stop()  # the window closes with qtbot
            logging.getLogger("mesodesk").removeHandler(forwarder)

    run(qloop, scenario(), timeout=90)
