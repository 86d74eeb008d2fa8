"""Charts: streaming position/greeks charts, the risk graph, rollups (see :mod:`.install`)."""

from mesodesk.ui.charts.install import ChartsController, install_chart_docks

__all__ = ["ChartsController", "install_chart_docks"]
