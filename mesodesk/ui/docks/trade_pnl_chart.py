"""Realized P&L per day, week or month as bars (pyqtgraph; imported when the chart is first shown)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from mesodesk.core.formatting import fmt_signed_money
from mesodesk.core.trade_history import PeriodPnL
from mesodesk.ui.charts.style import ChartColors, chart_colors, style_plot

#: at most this many labels on the time axis (the others are thinned out)
MAX_LABELS = 12


class MoneyAxis(pg.AxisItem):
    """Plain thousands-separated dollars: never scientific notation, never an SI prefix."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        places = 0 if spacing >= 1 else 2
        return [f"{v * scale:,.{places}f}" for v in values]


class PeriodPnLChart(pg.PlotWidget):  # type: ignore[misc]
    """One bar per period with a trade: green a gain, red a loss; the bottom axis names the periods."""

    def __init__(self, parent: QWidget | None = None, theme: str = "dark") -> None:
        super().__init__(parent, axisItems={"left": MoneyAxis("left")})
        self.setObjectName("tradePnlChart")
        self.plot: pg.PlotItem = self.getPlotItem()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7)
        self.plot.addItem(self.bars)
        self.colors = chart_colors(theme)
        self.zero = self.plot.addLine(y=0)
        self.periods: list[PeriodPnL] = []
        self.set_theme(theme)

    def set_theme(self, theme: str) -> None:
        self.apply_colors(chart_colors(theme))

    def apply_colors(self, c: ChartColors) -> None:
        self.colors = c
        self.setBackground(c.background)
        style_plot(self.plot, c)
        self.zero.setPen(pg.mkPen(c.zero))
        self.show_periods(self.periods, self.plot.titleLabel.text if self.plot.titleLabel else "")

    def show_periods(self, periods: list[PeriodPnL], title: str) -> None:
        self.periods = list(periods)
        values = np.array([float(p.pnl) for p in periods], dtype=np.float64)
        x = np.arange(len(periods), dtype=np.float64)
        if periods:
            brushes = [pg.mkBrush(self.colors.bar_pos if v >= 0 else self.colors.bar_neg) for v in values]
            self.bars.setOpts(x=x, height=values, width=0.7, brushes=brushes, pens=[pg.mkPen(None)] * len(periods))
            step = max(1, -(-len(periods) // MAX_LABELS))
            self.plot.getAxis("bottom").setTicks([[(float(i), p.label) for i, p in enumerate(periods) if i % step == 0]])
            lo, hi = float(min(values.min(), 0.0)), float(max(values.max(), 0.0))
            pad = (hi - lo) * 0.08 or 1.0
            self.plot.setXRange(-0.6, len(periods) - 0.4, padding=0)
            self.plot.setYRange(lo - pad, hi + pad, padding=0)
        else:
            self.bars.setOpts(x=x, height=x, width=0.7, brushes=None, pens=None, pen=pg.mkPen(None))
            self.plot.getAxis("bottom").setTicks([[]])
        self.plot.setTitle(title, color=self.colors.foreground, size="9pt")
        tips = [f"{p.label}: {fmt_signed_money(p.pnl)} ({p.trades} trade{'s' if p.trades != 1 else ''})"
                for p in periods]
        self.setToolTip("\n".join(tips[-20:]))
