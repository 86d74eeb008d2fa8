"""The app shows its window with chart placeholders and builds the charts once rows are live."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QLabel

from mesodesk.ui.charts.placeholders import CHART_DOCKS
from mesodesk.ui.docks.day_views import DAY_DOCKS
from tests.ui.aio import run, until
from tests.ui.console import console, unexpected_errors


def test_placeholders_become_charts_and_catch_up_with_the_selection(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path, defer_charts=True) as c:
            w = c.window
            assert getattr(w, "charts", None) is None
            docks = {key: w.docks[key] for key in (*CHART_DOCKS, *DAY_DOCKS)}
            for key, dock in docks.items():
                assert dock.objectName() == {**CHART_DOCKS, **DAY_DOCKS}[key][1]
                assert isinstance(dock.widget(), QLabel) and "Loading" in dock.widget().text()
            assert not w.day_views.built and w.day_views.views() == []
            await w.wait_until_live(min_updates=1)
            view = w.views["positions"]
            pid = int(w.positions_model.key_at(1))
            assert view.select_key(pid)  # selected before the charts exist
            w.build_deferred_panels()
            charts = w.charts
            assert charts is not None
            assert {key: w.docks[key] for key in docks} == docks  # the same docks, filled
            assert docks["today"].widget() is w.day_views.today
            assert docks["tradeHistory"].widget() is w.day_views.trade_history
            assert docks["riskGraph"].widget() is charts.risk_graph
            assert docks["positionChart"].widget() is charts.position_chart
            assert charts.selected == pid
            await until(lambda: charts.risk_graph.surface is not None and charts.risk_graph.position_ids == [pid])
            docks["positionChart"].raise_()  # charts behind another tab draw nothing
            await until(lambda: charts.position_chart.rows.shape[0] >= 2)
            w.build_deferred_panels()  # idempotent
            assert w.charts is charts
            assert not unexpected_errors(c.errors)

    run(qloop, scenario())


def test_the_start_up_path_does_not_import_pyqtgraph_keyring_or_numpy() -> None:
    code = ("import sys, mesodesk.app, mesodesk.app_controller, mesodesk.ui.main_window\n"
            "print(sorted(m for m in ('pyqtgraph', 'keyring', 'importlib.metadata', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    loaded = out.stdout.strip()
    assert "pyqtgraph" not in loaded and "keyring" not in loaded and "numpy" not in loaded, loaded
