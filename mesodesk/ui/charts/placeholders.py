"""The chart docks before their charts exist: same titles and object names, a "Loading" label.

The app shows its window with these (no pyqtgraph import on the start-up path) and builds
the charts into them once the first live rows are on screen (``MainWindow.build_deferred_panels``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel

from mesodesk.ui.docks.table_dock import make_dock

if TYPE_CHECKING:
    from mesodesk.ui.main_window import MainWindow

#: dock key -> (title, object name); the one list of chart docks
CHART_DOCKS: dict[str, tuple[str, str]] = {
    "positionChart": ("Position chart", "positionChartDock"),
    "greeksChart": ("Greeks chart", "greeksChartDock"),
    "riskGraph": ("Risk graph", "riskGraphDock"),
    "rollups": ("Rollups", "rollupsDock"),
}


def add_chart_placeholders(window: MainWindow) -> dict[str, QDockWidget]:
    """Dock one placeholder per chart (registered in ``window.docks``) and return them."""
    docks: dict[str, QDockWidget] = {}
    for key, (title, object_name) in CHART_DOCKS.items():
        label = QLabel("Loading chart…")
        label.setObjectName(f"{key}Placeholder")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setEnabled(False)
        docks[key] = make_dock(title, object_name, label)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, docks[key])
    window.docks.update(docks)
    return docks
