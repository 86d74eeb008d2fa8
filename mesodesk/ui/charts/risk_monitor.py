"""The risk monitor: up to four positions' risk graphs side by side (the MesoLive portal's monitor).

Each panel is a compact :class:`~mesodesk.ui.charts.risk_graph.RiskGraphWidget` titled with the
position's name, its underlying price and its P&L; the trader picks the positions in the panels'
combo boxes or from the Positions blotter (select rows → "Show in risk monitor").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from PySide6.QtWidgets import QComboBox, QGridLayout, QVBoxLayout, QWidget

from mesodesk.core.state import AppState
from mesodesk.ui.charts.on_screen import on_screen
from mesodesk.ui.charts.risk_graph import RiskGraphWidget

PANELS = 4
NOBODY = "— pick a position —"


class RiskMonitorWidget(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None, theme: str = "dark", *,
                 betas: Callable[[], Mapping[str, float]] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("riskMonitor")
        self.state = state
        self.picks: list[QComboBox] = []
        self.graphs: list[RiskGraphWidget] = []
        self._choices: list[int] = []
        grid = QGridLayout(self)
        grid.setContentsMargins(2, 2, 2, 2)
        grid.setSpacing(4)
        for i in range(PANELS):
            pick = QComboBox()
            pick.setObjectName(f"riskMonitorPick{i}")
            pick.setToolTip("The position this panel graphs")
            pick.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            pick.setMinimumContentsLength(10)
            pick.addItem(NOBODY, None)
            pick.currentIndexChanged.connect(lambda _i, n=i: self._picked(n))
            graph = RiskGraphWidget(state, theme=theme, betas=betas, compact=True)
            graph.setObjectName(f"riskMonitorGraph{i}")
            graph.setMinimumSize(120, 100)
            panel = QWidget()
            column = QVBoxLayout(panel)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(0)
            column.addWidget(pick)
            column.addWidget(graph, 1)
            grid.addWidget(panel, i // 2, i % 2)
            self.picks.append(pick)
            self.graphs.append(graph)
        self.update_choices()

    # -- picking -------------------------------------------------------------------------------
    @property
    def position_ids(self) -> list[int | None]:
        """The position of each panel (None: empty)."""
        return [g.selection[0] if g.selection else None for g in self.graphs]

    def set_positions(self, position_ids: Sequence[int]) -> None:
        """Show the first four of ``position_ids`` (the other panels are emptied)."""
        ids = list(dict.fromkeys(int(p) for p in position_ids))[:PANELS]
        self.update_choices(extra=ids)
        for i, pick in enumerate(self.picks):
            want = ids[i] if i < len(ids) else None
            pick.setCurrentIndex(max(pick.findData(want), 0))
            self._picked(i)

    def _picked(self, panel: int) -> None:
        pid = self.picks[panel].currentData()
        graph = self.graphs[panel]
        graph.set_positions([int(pid)] if pid is not None else [])

    def update_choices(self, extra: Sequence[int] = ()) -> None:
        """Offer the open positions (and ``extra``) in every combo box; keeps each panel's pick."""
        ids = sorted({pid for pid, row in self.state.positions.items() if row.is_open} | set(extra)
                     | {p for p in self.position_ids if p is not None})
        if ids == self._choices:
            return
        self._choices = ids
        for pick in self.picks:
            current = pick.currentData()
            pick.blockSignals(True)
            pick.clear()
            pick.addItem(NOBODY, None)
            for pid in ids:
                row = self.state.positions.get(pid)
                pick.addItem(f"#{pid} {row.summary.name}" if row is not None else f"#{pid}", pid)
            pick.setCurrentIndex(max(pick.findData(current), 0))
            pick.blockSignals(False)

    # -- refresh ---------------------------------------------------------------------------------
    def refresh(self, changed: set[int] | None = None) -> None:
        """Recompute the panels that can be seen (and whose position changed, when ``changed`` is given)."""
        self.update_choices()
        for graph in self.graphs:
            if graph.selection and on_screen(graph) and (changed is None or changed & set(graph.selection)):
                graph.refresh()

    def update_headers(self, changed: set[int]) -> None:
        """Panel titles (price, P&L) as the blotter shows them now; the curves follow at their pace."""
        for graph in self.graphs:
            if changed & set(graph.selection):
                graph.update_header()

    def set_theme(self, theme: str) -> None:
        for graph in self.graphs:
            graph.set_theme(theme)
