"""Charts: streaming position/greeks charts, the risk graph, rollups (see :mod:`.install`).

The names below load on first use (PEP 562), so importing the package for its docks'
placeholders (:mod:`.placeholders`) does not import pyqtgraph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mesodesk.ui.charts.install import ChartsController, install_chart_docks

__all__ = ["ChartsController", "install_chart_docks"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from mesodesk.ui.charts import install

        return getattr(install, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
