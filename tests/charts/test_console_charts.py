"""The chart docks in the console against the real in-process simulator."""

from __future__ import annotations

import os
from pathlib import Path

from mesodesk.core.history import COL
from tests.ui.aio import run, until
from tests.ui.console import console, unexpected_errors


def test_selected_position_charts_grow_and_risk_graph_has_curves(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            w = c.window
            charts = w.charts
            assert {"positionChart", "greeksChart", "riskGraph", "rollups"} <= set(w.docks)
            await until(lambda: w.positions_model.rowCount() == 4 and w.models["legs"].rowCount() >= 8)
            await w.wait_until_live(min_updates=2)
            view = w.views["positions"]
            assert view.select_key(w.positions_model.key_at(0))
            pid = int(w.positions_model.key_at(0))
            assert charts.selected == pid
            panel = charts.position_chart
            w.docks["positionChart"].raise_()  # charts behind another tab draw nothing
            await until(lambda: panel.rows.shape[0] >= 3)
            first = panel.rows.shape[0]
            await until(lambda: panel.rows.shape[0] >= first + 3)
            rows = panel.rows
            assert (rows[:, COL["t"]].dtype.kind == "f") and (rows[:, COL["t"]].dtype.itemsize == 8)
            assert (rows[1:, COL["t"]] > rows[:-1, COL["t"]]).all()
            assert (rows[:, COL["underlying"]] > 0).all()
            x, _y = panel.curves["pnl"].getData()
            assert x is not None and len(x) >= first
            # setData per frame: never more calls than curves x redraws
            assert panel.set_data_calls <= panel.redraws * 5
            # the risk graph of the selected position
            rg = charts.risk_graph
            w.docks["riskGraph"].raise_()
            await until(lambda: rg.surface is not None)
            xs, _ys = rg.curves["expiration"].getData()
            assert xs is not None and len(xs) == 400
            assert rg.curves["t0"].getData()[0] is not None
            assert rg.spot_line.isVisible()
            # T+0 at the spot is close to the streamed PnL (same model as the simulator)
            row = c.session.state.positions[pid]
            r = rg.readout_at()
            assert abs(r["pnl_t0"] - float(row.pnl_mark)) < max(50.0, 0.05 * abs(float(row.pnl_mark)))
            # multi-select: two positions on one risk graph
            view.table.selectRow(0)
            view.table.selectionModel().select(
                view.proxy.index(1, 0), view.table.selectionModel().SelectionFlag.Select
                | view.table.selectionModel().SelectionFlag.Rows)
            await until(lambda: len(rg.position_ids) == 2 and rg.surface is not None)
            # rollups
            w.docks["rollups"].show()
            w.docks["rollups"].raise_()
            await until(lambda: charts.rollups.model.rowCount() >= 1)
            if os.environ.get("MESODESK_SHOTS"):
                shots = Path(os.environ["MESODESK_SHOTS"])
                shots.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - a test-only screenshot
                w.resize(1600, 1000)
                await until(lambda: charts.position_chart.rows.shape[0] >= first + 6)
                w.grab().save(str(shots / "charts-console.png"))
            assert not unexpected_errors(c.errors), unexpected_errors(c.errors)

    run(qloop, scenario(), timeout=120)
