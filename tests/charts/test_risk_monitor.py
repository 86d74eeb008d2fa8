"""Portfolio risk in the console against a real simulator with a frozen market: the risk graph's
scope and beta weighting, its header (the blotter's price text, the beta-weighted delta), its
default x-range, its tick labels, and the four-position risk monitor."""

from __future__ import annotations

import asyncio
import logging
import math
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pyqtgraph as pg
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import Qt

from mesodesk.contract import LiveUnderlying
from mesodesk.core.formatting import fmt_signed_money
from mesodesk.core.risk import RiskScope
from mesodesk.core.session import Session
from mesodesk.core.trading.desk import TradingDesk
from mesodesk.quant.risk import settlement_time
from mesodesk.sim.seed import PAPER_ACCOUNT
from mesodesk.sim.server import SimulatorServer
from mesodesk.ui.charts.plain_axis import PlainAxis, tick_text
from mesodesk.ui.errors import ErrorHub, install_log_forwarding
from mesodesk.ui.main_window import MainWindow
from tests.charts.test_portfolio_risk import SPY_BETA, open_spy_vertical
from tests.ui.aio import run, until
from tests.ui.console import API_KEY, Console, unexpected_errors

SI_OR_EXPONENT = re.compile(r"e[+-]\d|\d\s*[kKMGTmµunp]\b|\(\s*[kKMGTmµunp]")


@asynccontextmanager
async def frozen_console(qtbot, tmp_path: Path) -> AsyncIterator[Console]:
    """The console of tests.ui.console, on a market that stands still (speed 0): the blotter and the
    risk graph read the same prices whenever each of them redraws."""
    server = SimulatorServer(tmp_path / "sim", API_KEY, seed=5, speed=0.0, tick_interval=0.05)
    await server.start(port=0)
    server.context.jobs.delay = 0.0
    session = Session(server.url, API_KEY, embedded=True)
    errors = ErrorHub()
    forwarder = install_log_forwarding(errors)
    desk = TradingDesk(session, default_commission=server.context.broker.commission_per_contract)
    window = MainWindow(session, errors, config_dir=tmp_path / "config", desk=desk)
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    try:
        await session.start()
        yield Console(server, session, window, errors)
    finally:
        await session.stop()
        await server.stop()
        logging.getLogger("mesodesk").removeHandler(forwarder)


def blotter_text(window: MainWindow, pid: int, column: str) -> str:
    model = window.positions_model
    col = model.column_index(column)
    row = next(r for r in range(model.rowCount()) if model.key_at(r) == pid)
    return str(model.index(row, col).data(Qt.ItemDataRole.DisplayRole))


def axis_labels(axis: pg.AxisItem) -> list[str]:
    """The tick labels the axis draws for its current range."""
    lo, hi = axis.range
    texts = []
    for spacing, values in axis.tickValues(lo, hi, axis.geometry().width() or 400):
        texts += axis.tickStrings(values, axis.scale, spacing)
    return texts


@given(st.floats(-5e7, 5e7), st.sampled_from([1e-3, 0.25, 1.0, 50.0, 2.5e5, 1e6]))
def test_tick_labels_are_plain_numbers(value: float, spacing: float) -> None:
    text = tick_text(value, spacing)
    assert not SI_OR_EXPONENT.search(text), text
    assert float(text.replace(",", "")) == round(value, 4 if spacing < 1 else 0) or math.isclose(
        float(text.replace(",", "")), value, abs_tol=spacing / 2)


def test_portfolio_risk_graph_and_monitor(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with frozen_console(qtbot, tmp_path) as c:
            w = c.window
            state = c.session.state
            charts = w.charts
            assert "riskMonitor" in w.docks and w.docks["riskMonitor"].widget() is charts.risk_monitor
            spy = await open_spy_vertical(c.session, w.desk)
            w.settings.betas = {**w.settings.betas, "SPY": SPY_BETA}
            await until(lambda: w.positions_model.rowCount() == 5
                        and all(r.pnl_mark is not None and r.greek("iv") is not None
                                for r in state.positions.values() if r.is_open))
            await w.wait_until_live(min_updates=2)
            rg = charts.risk_graph
            w.docks["riskGraph"].raise_()
            view = w.views["positions"]

            # one SPX position: header price is the blotter's text, view is S ± 3 EM, plain ticks
            pid = next(p for p, r in state.positions.items() if r.underlying == "SPX")
            assert view.select_key(pid)
            await until(lambda: rg.position_ids == [pid] and rg.surface is not None)
            row = state.positions[pid]
            assert rg.header_price_text() == blotter_text(w, pid, "und_price")
            assert f"SPX {blotter_text(w, pid, 'und_price')}" in rg.title.text()
            s, iv = float(row.underlying_price), float(row.greek("iv")) / 100
            first = min(settlement_time(lr.leg.live_contract.root, lr.leg.live_contract.expiration)
                        for lr in state.legs.values() if lr.position_id == pid and lr.is_open)
            em = s * iv * math.sqrt((first - row.server_time).total_seconds() / 86400 / 365)
            (x0, x1), _y = rg.plot.vb.viewRange()
            assert abs(x0 - (s - 3 * em)) < 1e-6 * s and abs(x1 - (s + 3 * em)) < 1e-6 * s, (x0, x1, s, em)
            for name in ("bottom", "left"):
                axis = rg.plot.getAxis(name)
                assert isinstance(axis, PlainAxis) and axis.autoSIPrefixScale == 1.0
                labels = axis_labels(axis)
                assert labels and not any(SI_OR_EXPONENT.search(t) for t in labels), labels
                assert not SI_OR_EXPONENT.search(axis.labelString()), axis.labelString()
                # a big account's P&L: pyqtgraph's own axis writes "-2e+06" here
                assert axis.tickStrings([-2e6, 1e6], 1.0, 1e6) == ["-2,000,000", "1,000,000"]

            # the paper account, beta-weighted to SPX: header delta = Σ delta × ratio × beta
            scope = RiskScope("account", PAPER_ACCOUNT, f"Account {PAPER_ACCOUNT}")
            assert rg.scope_bar.set_scope(scope)
            await until(lambda: spy in rg.position_ids and rg.model is not None and rg.model.beta_weighted)
            ids = rg.position_ids
            spx = float(row.underlying_price)
            by_hand = 0.0
            for p in ids:
                r = state.positions[p]
                beta = SPY_BETA if r.underlying == "SPY" else 1.0
                by_hand += float(r.greek("delta")) * float(r.underlying_price) / spx * beta
            assert f"β-Δ SPX <b>{by_hand:,.2f}</b>" in rg.title.text(), (rg.title.text(), by_hand)
            theta = sum(float(state.positions[p].greek("theta")) for p in ids)
            assert f"Θ {theta:,.2f}" in rg.title.text()
            assert rg.header_price_text() == blotter_text(w, pid, "und_price")
            assert "β-weighted" in rg.plot.getAxis("bottom").labelString()
            # weighted to QQQ, which no position is on: its price is a snapshot; betas are against
            # the S&P 500, so each position's beta to QQQ is its beta / QQQ's (1.15)
            snap = await c.session.data.get_underlying_snapshot(underlying=LiveUnderlying(symbol="QQQ"),
                                                                provider=w.desk.provider())
            qqq = float(snap.prices.mark)
            rg.scope_bar.set_index("QQQ")
            await until(lambda: rg.model is not None and rg.model.reference == "QQQ")
            assert rg.model.spot == qqq and rg.header_price_text() == f"{qqq:,.2f}"
            to_qqq = sum(float(state.positions[p].greek("delta")) * float(state.positions[p].underlying_price) / qqq
                         * (SPY_BETA if state.positions[p].underlying == "SPY" else 1.0) / 1.15 for p in ids)
            assert f"β-Δ QQQ <b>{to_qqq:,.2f}</b>" in rg.title.text(), (rg.title.text(), to_qqq)
            rg.scope_bar.set_index("SPX")
            await until(lambda: rg.model is not None and rg.model.reference == "SPX")
            if os.environ.get("MESODESK_SHOTS"):
                shots = Path(os.environ["MESODESK_SHOTS"])
                shots.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - a test-only screenshot
                w.docks["riskGraph"].grab().save(str(shots / "portfolio-risk.png"))

            # the monitor: four positions picked in the blotter, each panel titled with name and P&L
            open_ids = sorted(p for p, r in state.positions.items() if r.is_open)[:4]
            view.table.clearSelection()
            selection = view.table.selectionModel()
            for p in open_ids:
                r = next(i for i in range(view.proxy.rowCount()) if view.proxy.key_at(i) == p)
                selection.select(view.proxy.index(r, 0), selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
            view.sig_row_action.emit("showInRiskMonitor", open_ids[0])
            monitor = charts.risk_monitor
            assert monitor.position_ids == open_ids
            await until(lambda: all(g.surface is not None for g in monitor.graphs))
            for p, graph, pick in zip(open_ids, monitor.graphs, monitor.picks, strict=True):
                r = state.positions[p]
                assert pick.currentData() == p
                assert r.summary.name in graph.title.text()
                assert fmt_signed_money(float(r.pnl_mark)) in graph.title.text()
                assert graph.header_price_text() == blotter_text(w, p, "und_price")
                assert graph.model is not None and not graph.model.beta_weighted
            # a combo box picks another position for one panel
            others = [p for p in state.positions if p not in open_ids and state.positions[p].is_open]
            monitor.picks[3].setCurrentIndex(monitor.picks[3].findData(others[0]))
            await until(lambda: monitor.graphs[3].position_ids == [others[0]] and monitor.graphs[3].surface is not None)
            if os.environ.get("MESODESK_SHOTS"):
                w.docks["riskMonitor"].resize(900, 640)
                w.docks["riskMonitor"].setFloating(True)
                w.docks["riskMonitor"].resize(900, 640)
                await until(lambda: on_all(monitor))
                w.docks["riskMonitor"].grab().save(str(Path(os.environ["MESODESK_SHOTS"]) / "risk-monitor.png"))
            # cached: a refresh with unchanged inputs computes nothing
            graph = monitor.graphs[0]
            graph.refresh()
            before = graph.computes
            graph.refresh()
            assert graph.computes == before
            # hidden: the panels do no work while their positions stream; shown again, they catch up
            w.docks["riskMonitor"].setFloating(False)
            w.docks["riskMonitor"].close()
            await until(lambda: not graph.isVisible())
            before = [g.computes for g in monitor.graphs]
            updates = state.positions[open_ids[0]].updates
            await until(lambda: state.positions[open_ids[0]].updates >= updates + 10)
            await until(lambda: not charts._risk_timer.isActive())
            assert [g.computes for g in monitor.graphs] == before
            w.docks["riskMonitor"].show()
            w.docks["riskMonitor"].raise_()
            await until(lambda: graph.computes > before[0])
            assert not unexpected_errors(c.errors), unexpected_errors(c.errors)

    run(qloop, scenario(), timeout=150)


def on_all(monitor) -> bool:
    monitor.refresh()
    return all(g.surface is not None for g in monitor.graphs)


def test_beta_table_in_settings(qtbot, tmp_path: Path) -> None:
    """Settings → Risk: a bad beta is refused at its field; a good one is saved and read back."""
    from mesodesk.core.settings import Settings, load_settings, save_settings
    from mesodesk.ui.dialogs.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings(), {})
    qtbot.addWidget(dialog)
    applied: list[Settings] = []
    dialog.sig_settings_applied.connect(applied.append)
    qqq = dialog.betas.editors["QQQ"]
    assert float(qqq.text()) == 1.15 and float(dialog.betas.editors["RUT"].text()) == 1.1
    qqq.setText("fast")
    dialog.accept()
    assert not applied and dialog.tabs.currentWidget() is dialog.betas
    assert "QQQ" in dialog.betas.error.text() and "number" in qqq.toolTip()
    qqq.setText("-1")
    dialog.accept()
    assert not applied and "between" in qqq.toolTip()
    qqq.setText("1.3")
    dialog.accept()
    assert applied and applied[0].betas["QQQ"] == 1.3 and applied[0].betas["SPX"] == 1.0
    save_settings(applied[0], tmp_path)
    assert load_settings(tmp_path).betas["QQQ"] == 1.3
    # a hand-edited file with a bad entry keeps the default for it
    (tmp_path / "settings.json").write_text('{"version": 2, "betas": {"QQQ": "x", "IWM": 1.2}}', encoding="utf-8")
    betas = load_settings(tmp_path).betas
    assert betas["QQQ"] == 1.15 and betas["IWM"] == 1.2


def test_header_price_is_the_blotters_in_a_moving_market(qloop, qtbot, tmp_path: Path) -> None:
    """At 60× the price ticks many times a second; after any frame the header shows the blotter's text
    (the curves may recompute later, the header does not wait for them)."""
    from tests.ui.console import console

    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            w = c.window
            charts = w.charts
            await until(lambda: w.positions_model.rowCount() == 4)
            await w.wait_until_live(min_updates=2)
            w.docks["riskGraph"].raise_()
            pid = int(w.positions_model.key_at(0))
            assert w.views["positions"].select_key(pid)
            rg = charts.risk_graph
            await until(lambda: rg.position_ids == [pid] and rg.surface is not None)
            seen: set[str] = set()
            for _ in range(12):
                await asyncio.sleep(0.15)
                charts.on_frame()  # a frame, as the window's scheduler runs it
                text = blotter_text(w, pid, "und_price")
                seen.add(text)
                assert f"SPX {text}" in rg.title.text(), (text, rg.title.text())
            assert len(seen) > 1  # the market did move
            assert not unexpected_errors(c.errors), unexpected_errors(c.errors)

    run(qloop, scenario(), timeout=120)
