"""Portfolio rollups: a table (KeyedTableModel over a Table) and a bar chart, grouped by strategy or underlying."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from mesodesk.core.rollups import GROUPINGS, Rollup, compute_rollups, update_rollup_table
from mesodesk.core.state import AppState
from mesodesk.core.tables import Table
from mesodesk.ui.charts.style import ChartColors, chart_colors, style_plot
from mesodesk.ui.docks.table_dock import BlotterView
from mesodesk.ui.models.columns import Column, integer, number, pnl
from mesodesk.ui.models.keyed_table_model import KeyedTableModel

ROLLUP_COLUMNS = [
    Column("name", "Group", lambda r: r.name),
    integer("positions", "Open", lambda r: r.positions, tooltip="Open positions"),
    pnl("pnl", "P/L", lambda r: r.pnl, tooltip="Total P/L (mark) of every position in the group"),
    pnl("realized", "Realized", lambda r: r.realized),
    number("delta", "Delta", lambda r: r.delta),
    number("gamma", "Gamma", lambda r: r.gamma, places=4),
    number("theta", "Theta", lambda r: r.theta),
    number("vega", "Vega", lambda r: r.vega),
]
BAR_METRICS = (("P/L", "pnl"), ("Delta", "delta"), ("Gamma", "gamma"), ("Theta", "theta"), ("Vega", "vega"))


class RollupsWidget(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None, theme: str = "dark") -> None:
        super().__init__(parent)
        self.setObjectName("rollups")
        self.state = state
        self.colors = chart_colors(theme)
        self.table: Table[str, Rollup] = Table("rollups")
        self.model = KeyedTableModel(self.table, ROLLUP_COLUMNS, self)
        self.model.set_flash(False)
        self.view = BlotterView(self.model, "rollups")
        self.grouping = QComboBox()
        self.grouping.setObjectName("rollupGrouping")
        for g in GROUPINGS:
            self.grouping.addItem(f"By {g}", g)
        self.grouping.currentIndexChanged.connect(lambda _i: self.refresh(force=True))
        self.metric_combo = QComboBox()
        self.metric_combo.setObjectName("rollupMetric")
        for label, key in BAR_METRICS:
            self.metric_combo.addItem(label, key)
        self.metric_combo.currentIndexChanged.connect(lambda _i: self._draw_bars())
        self.totals = QLabel("")
        self.totals.setObjectName("rollupTotals")
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(self.grouping)
        bar.addWidget(QLabel("Bars:"))
        bar.addWidget(self.metric_combo)
        bar.addStretch(1)
        bar.addWidget(self.totals)
        self.plot_widget = pg.PlotWidget()
        self.plot_widget.setObjectName("rollupBars")
        self.plot: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.getAxis("left").setWidth(230)
        self.bars = pg.BarGraphItem(x0=[], y=[], width=[], height=0.6)
        self.plot.addItem(self.bars)
        self.plot.addLine(x=0, pen=pg.mkPen(self.colors.zero))
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.view)
        splitter.addWidget(self.plot_widget)
        splitter.setSizes([560, 440])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        self.rollups: dict[str, Rollup] = {}
        self.setMinimumSize(220, 120)  # a tab among the blotters: never force the dock row wider
        self.apply_colors(self.colors)

    def apply_colors(self, c: ChartColors) -> None:
        self.colors = c
        self.plot_widget.setBackground(c.background)
        style_plot(self.plot, c)
        self._draw_bars()

    def set_theme(self, theme: str) -> None:
        self.apply_colors(chart_colors(theme))

    @property
    def current_grouping(self) -> str:
        return str(self.grouping.currentData())

    def refresh(self, force: bool = False) -> bool:
        grouping = self.current_grouping
        rollups = compute_rollups(self.state.positions.values(), grouping)
        if force:
            self.table.replace_all({})
        changed = update_rollup_table(self.table, rollups) or force
        self.rollups = rollups
        self.model.sync()
        if changed:
            self._draw_bars()
            total_pnl = sum(r.pnl for r in rollups.values())
            total_delta = sum(r.delta for r in rollups.values())
            total_theta = sum(r.theta for r in rollups.values())
            total_vega = sum(r.vega for r in rollups.values())
            color = self.colors.bar_pos if total_pnl >= 0 else self.colors.bar_neg
            self.totals.setText(f"Portfolio P/L <span style='color:{color}'><b>{total_pnl:+,.2f}</b></span> · "
                                f"Δ {total_delta:,.2f} · Θ {total_theta:,.2f} · V {total_vega:,.2f}")
        return changed

    def _draw_bars(self) -> None:
        """Horizontal bars (group names on the left axis stay readable), green up / red down."""
        key = str(self.metric_combo.currentData() or "pnl")
        items = list(self.rollups.values())
        values = np.array([getattr(r, key) for r in items], dtype=np.float64)
        y = np.arange(len(items), dtype=np.float64)
        if items:
            brushes = [pg.mkBrush(self.colors.bar_pos if v >= 0 else self.colors.bar_neg) for v in values]
            self.bars.setOpts(x0=np.zeros_like(values), y=y, width=values, height=0.6, brushes=brushes,
                              pens=[pg.mkPen(None)] * len(items))
        else:
            self.bars.setOpts(x0=y, y=y, width=y, height=0.6, brushes=None, pens=None, pen=pg.mkPen(None))
        names = [(float(i), r.name if len(r.name) <= 30 else r.name[:29] + "…") for i, r in enumerate(items)]
        self.plot.getAxis("left").setTicks([names])
        self.plot.setTitle(f"{self.metric_combo.currentText()} by {self.current_grouping}", color=self.colors.foreground,
                           size="9pt")
        if items:
            lo, hi = float(min(values.min(), 0.0)), float(max(values.max(), 0.0))
            pad = (hi - lo) * 0.08 or 1.0
            self.plot.setYRange(-0.6, len(items) - 0.4, padding=0)
            self.plot.setXRange(lo - pad, hi + pad, padding=0)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.refresh()
