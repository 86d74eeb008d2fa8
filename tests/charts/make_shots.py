"""Render the chart docks offscreen to PNGs for a visual check.

    QT_QPA_PLATFORM=offscreen python -m tests.charts.make_shots [/tmp/shots]

Risk graphs of a put credit spread and an iron condor (dark and light), and the
console against the real simulator (fast clock) with the position and greeks charts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from PySide6.QtWidgets import QApplication

from mesodesk.core.state import AppState
from mesodesk.quant.black_scholes import bs_price
from mesodesk.quant.risk import RiskLeg, RiskModel, settlement_time
from mesodesk.ui.charts.risk_graph import RiskGraphWidget

NOW = dt.datetime(2026, 1, 5, 15, 0, tzinfo=dt.UTC)
EXP = settlement_time("SPXW", dt.date(2026, 2, 6))


def risk_shots(out: Path) -> None:
    def leg(strike: float, call: bool, qty: float, iv: float) -> RiskLeg:
        # entry = the model price a little before "now" (so T+0 sits near zero like a fresh trade)
        t = (EXP - NOW).total_seconds() / (365 * 86400) + 2 / 365
        entry = float(bs_price(call, 6000.0, strike, t, iv, 0.045, 0.013))
        return RiskLeg(strike, call, qty, EXP, iv, entry=round(entry, 2), underlying="SPX")

    pcs = [leg(5900, False, -2, 0.168), leg(5850, False, 2, 0.178)]
    ic = [leg(5800, False, 1, 0.19), leg(5850, False, -1, 0.18), leg(6150, True, -1, 0.125),
          leg(6200, True, 1, 0.12)]
    for name, legs, theme, tweak in (
        ("charts-risk-vertical", pcs, "dark", None),
        ("charts-risk-condor", ic, "dark", "whatif"),
        ("charts-risk-condor-light", ic, "light", None),
    ):
        w = RiskGraphWidget(AppState(), theme=theme)
        w.resize(1100, 640)
        w.show()
        w.set_model(RiskModel(legs, {"SPX": 6012.5}, NOW), f"<b>Risk profile</b> · {name.split('-')[2]} · SPX 6,012.50")
        if tweak == "whatif":
            w.days.setValue(10)
            w.price_shift.setValue(-1.5)
            w.vol_shift.setValue(3.0)
        QApplication.processEvents()
        w.export_png(out / f"{name}.png")
        print(out / f"{name}.png", f"{w.compute_ms:.1f} ms")
        w.close()


async def console_shots(out: Path) -> None:
    from mesodesk.core.session import Session
    from mesodesk.sim.server import SimulatorServer
    from mesodesk.ui.errors import ErrorHub
    from mesodesk.ui.main_window import MainWindow

    tmp = Path(tempfile.mkdtemp())
    os.environ["MESODESK_CONFIG_DIR"] = str(tmp / "config")
    server = SimulatorServer(tmp / "sim", "test-key-0123456789", seed=5, speed=600.0, tick_interval=0.05)
    await server.start(port=0)
    session = Session(server.url, "test-key-0123456789", embedded=True)
    window = MainWindow(session, ErrorHub(), config_dir=tmp / "config")
    window.resize(1800, 1050)
    window.show()
    await session.start()
    try:
        await window.wait_until_live(2)
        view = window.views["positions"]
        view.select_key(window.positions_model.key_at(1))
        await asyncio.sleep(float(os.environ.get("SHOTS_WAIT", "20")))
        charts = window.charts
        window.grab().save(str(out / "charts-console.png"))
        for key, name in (("positionChart", "charts-position"), ("greeksChart", "charts-greeks"),
                          ("rollups", "charts-rollups"), ("riskGraph", "charts-risk-live")):
            dock = window.docks[key]
            dock.setFloating(True)
            dock.resize(1100, 640 if key != "rollups" else 360)
            dock.show()
            dock.raise_()
            await asyncio.sleep(0.5)
            if key == "rollups":
                charts.rollups.refresh()
            for panel in charts.panels:
                panel.redraw()
            dock.widget().grab().save(str(out / f"{name}.png"))
            print(out / f"{name}.png")
            dock.setFloating(False)
    finally:
        await session.stop()
        await server.stop()
        window.close()


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/shots")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    risk_shots(out)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(console_shots(out))


if __name__ == "__main__":
    main()
