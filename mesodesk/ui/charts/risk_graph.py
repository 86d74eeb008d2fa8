"""The risk graph (payoff diagram) of one or several positions.

Expiration, T+0 and T+n PnL curves from :class:`mesodesk.quant.risk.RiskModel` (the
simulator's Black-Scholes), a line at the current underlying price, breakevens,
profit/loss shading, what-if controls (price shift %, vol shift in vol points,
days forward) and a greeks readout at the cursor.

Its scope is the selected positions, an account or a strategy, beta-weighted to an index
(:class:`~mesodesk.ui.charts.risk_scope_bar.RiskScopeBar`); the header carries the underlying
price as the Positions blotter writes it and the (beta-weighted) delta and theta sums. The view
opens at ± 3 expected moves. A ``compact`` graph (the risk monitor's panels) has no controls.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import math
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mesodesk.core.formatting import fmt_signed_money
from mesodesk.core.index_quotes import IndexQuotes
from mesodesk.core.risk import RiskInputs, index_row, risk_inputs, scope_positions
from mesodesk.core.state import AppState
from mesodesk.quant.beta_weighting import DEFAULT_BETAS
from mesodesk.quant.risk import RiskModel, RiskSurface, crossings
from mesodesk.ui.charts.plain_axis import PlainAxis
from mesodesk.ui.charts.risk_header import header_html
from mesodesk.ui.charts.risk_scope_bar import RiskScopeBar
from mesodesk.ui.charts.style import ChartColors, chart_colors, style_plot
from mesodesk.ui.steady_label import LineLabel

GRID_POINTS = 400


class RiskGraphWidget(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None, theme: str = "dark", *,
                 betas: Callable[[], Mapping[str, float]] | None = None, compact: bool = False,
                 index_quotes: IndexQuotes | None = None) -> None:
        """``betas``: the Settings' beta table (read at each refresh); ``compact``: no controls;
        ``index_quotes``: snapshots of an index no open position is on (else it cannot be weighted to)."""
        super().__init__(parent)
        self.setObjectName("riskGraph")
        self.state = state
        self.colors = chart_colors(theme)
        self.compact = compact
        self._betas = betas or (lambda: DEFAULT_BETAS)
        self.index_quotes = index_quotes
        self.selection: list[int] = []  # the picked positions (the "selected positions" scope)
        self.position_ids: list[int] = []  # the positions graphed (the scope's)
        self._inputs_key: tuple[Any, ...] | None = None
        self.model: RiskModel | None = None
        self.inputs: RiskInputs | None = None
        self.surface: RiskSurface | None = None
        self.breakevens: list[float] = []
        self.t0_breakevens: list[float] = []
        self.compute_ms = 0.0
        self.computes = 0
        self.curve_draws = 0  # recomputes that handed new curves to the plot (not all do: see recompute)
        self._drawn: tuple[np.ndarray, np.ndarray] | None = None  # (x, pnl) as last drawn
        self._legend_labels: tuple[str, ...] = ()
        self._be_shown: tuple[tuple[float, float], ...] = ()
        self._cursor: float | None = None
        self._fit_pending = True

        # -- controls
        self.scope_bar = RiskScopeBar(self)
        self.scope_bar.sig_changed.connect(self._scope_changed)
        self.title = LineLabel("Risk graph: select one or more positions", rich=True)
        self.title.setObjectName("riskGraphTitle")
        self.price_shift = QDoubleSpinBox()
        self.price_shift.setObjectName("riskPriceShift")
        self.price_shift.setRange(-50.0, 50.0)
        self.price_shift.setSingleStep(0.5)
        self.price_shift.setSuffix(" %")
        self.price_shift.setToolTip("What-if: shift the underlying price by this percentage")
        self.vol_shift = QDoubleSpinBox()
        self.vol_shift.setObjectName("riskVolShift")
        self.vol_shift.setRange(-50.0, 100.0)
        self.vol_shift.setSingleStep(1.0)
        self.vol_shift.setSuffix(" vol")
        self.vol_shift.setToolTip("What-if: add this many vol points to every leg's IV")
        self.days = QSlider(Qt.Orientation.Horizontal)
        self.days.setObjectName("riskDaysForward")
        self.days.setRange(0, 30)
        self.days.setMinimumWidth(140)
        self.days.setToolTip("What-if: move the T+0 curve this many days forward")
        self.days_label = QLabel("T+0")
        self.days_label.setMinimumWidth(110)
        self.tn_check = QCheckBox("T+n curves")
        self.tn_check.setObjectName("riskTnCurves")
        self.tn_check.setChecked(True)
        self.tn_check.setToolTip("Show two intermediate dates between T+0 and expiration")
        reset = QToolButton()
        reset.setText("Reset")
        reset.setToolTip("Clear the what-ifs and fit the view")
        reset.clicked.connect(self.reset)
        png = QToolButton()
        png.setText("PNG…")
        png.clicked.connect(lambda: self._ask_export("png"))
        csv_button = QToolButton()
        csv_button.setText("CSV…")
        csv_button.clicked.connect(lambda: self._ask_export("csv"))
        for w in (self.price_shift, self.vol_shift):
            w.valueChanged.connect(self.recompute)
        self.days.valueChanged.connect(self.recompute)
        self.tn_check.toggled.connect(self.recompute)

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(QLabel("Price shift"))
        bar.addWidget(self.price_shift)
        bar.addSpacing(8)
        bar.addWidget(QLabel("Vol shift"))
        bar.addWidget(self.vol_shift)
        bar.addSpacing(8)
        bar.addStretch(1)
        for w in (reset, png, csv_button):
            bar.addWidget(w)
        # Two rows, so the column can stay narrow beside the blotters.
        days_row = QHBoxLayout()
        days_row.setContentsMargins(4, 0, 4, 2)
        days_row.addWidget(QLabel("Days fwd"))
        days_row.addWidget(self.days, 1)
        days_row.addWidget(self.days_label)
        days_row.addWidget(self.tn_check)
        self.days.setMinimumWidth(80)

        # -- plot
        self.plot_widget = pg.PlotWidget(axisItems={"bottom": PlainAxis("bottom"), "left": PlainAxis("left")})
        self.plot_widget.setObjectName("riskGraphPlot")
        self.plot: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot.setMenuEnabled(True)
        self.plot.getAxis("left").setWidth(70)
        self.plot.setLabel("left", "P/L ($)")
        self.legend = self.plot.addLegend(offset=(10, 10))
        self.profit_fill = pg.PlotDataItem()
        self.loss_fill = pg.PlotDataItem()
        for item in (self.profit_fill, self.loss_fill):
            item.setFillLevel(0.0)
            self.plot.addItem(item)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.curves["expiration"] = self.plot.plot(name="Expiration")
        self.curves["t0"] = self.plot.plot(name="T+0")
        self.curves["tn0"] = self.plot.plot(name="T+n")
        self.curves["tn1"] = self.plot.plot(name="T+n")
        self.zero_line = pg.InfiniteLine(pos=0.0, angle=0, movable=False)
        self.spot_line = pg.InfiniteLine(angle=90, movable=False, label="",
                                         labelOpts={"position": 0.96, "anchors": [(0, 0), (0, 0)]})
        self.whatif_line = pg.InfiniteLine(angle=90, movable=False, label="",
                                           labelOpts={"position": 0.88, "anchors": [(1, 0), (1, 0)]})
        self.cursor_line = pg.InfiniteLine(angle=90, movable=False)
        self.realized_line = pg.InfiniteLine(pos=0.0, angle=0, movable=False, label="",
                                             labelOpts={"position": 0.1, "anchors": [(0, 1), (0, 1)]})
        self.plot.addItem(self.realized_line)
        self.realized_line.setVisible(False)
        for line in (self.zero_line, self.spot_line, self.whatif_line, self.cursor_line):
            self.plot.addItem(line, ignoreBounds=True)
        self.cursor_line.setVisible(False)
        self.be_scatter = pg.ScatterPlotItem(size=11, symbol="d")
        self.t0_be_scatter = pg.ScatterPlotItem(size=7, symbol="o")
        self.plot.addItem(self.be_scatter)
        self.plot.addItem(self.t0_be_scatter)
        self.be_labels: list[pg.TextItem] = []
        self.readout = LineLabel("", rich=True)
        self.readout.setObjectName("riskGraphReadout")
        self._mouse_proxy = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=60, slot=self._mouse_moved)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        top = QHBoxLayout()
        top.setContentsMargins(6, 2, 6, 0)
        top.addWidget(self.title)
        if not compact:
            layout.addWidget(self.scope_bar)
        layout.addLayout(top)
        if compact:
            self.scope_bar.set_index(None)  # one position on its own underlying
            self.scope_bar.hide()
            for row in (bar, days_row):
                for i in range(row.count()):
                    item = row.itemAt(i).widget()
                    if item is not None:
                        item.hide()
            self.tn_check.setChecked(False)
            self.plot.getAxis("left").setWidth(52)
            self.legend.hide()
        else:
            layout.addLayout(bar)
            layout.addLayout(days_row)
        layout.addWidget(self.plot_widget, 1)
        if not compact:
            layout.addWidget(self.readout)
        self.apply_colors(self.colors)

    # -- styling ---------------------------------------------------------------------------
    def apply_colors(self, c: ChartColors) -> None:
        self.colors = c
        self.plot_widget.setBackground(c.background)
        style_plot(self.plot, c)
        self.curves["expiration"].setPen(pg.mkPen(c.expiration, width=2))
        self.curves["t0"].setPen(pg.mkPen(c.t0, width=2))
        self.curves["tn0"].setPen(pg.mkPen(c.tn[0], width=1, style=Qt.PenStyle.DashLine))
        self.curves["tn1"].setPen(pg.mkPen(c.tn[1], width=1, style=Qt.PenStyle.DashLine))
        self.profit_fill.setPen(None)
        self.loss_fill.setPen(None)
        self.profit_fill.setBrush(pg.mkBrush(c.profit_fill))
        self.loss_fill.setBrush(pg.mkBrush(c.loss_fill))
        self.zero_line.setPen(pg.mkPen(c.zero, width=1, style=Qt.PenStyle.DashLine))
        self.spot_line.setPen(pg.mkPen(c.spot, width=1))
        self.spot_line.label.setColor(c.spot)
        self.whatif_line.setPen(pg.mkPen(c.whatif, width=1, style=Qt.PenStyle.DashDotLine))
        self.whatif_line.label.setColor(c.whatif)
        self.cursor_line.setPen(pg.mkPen(c.crosshair, width=1, style=Qt.PenStyle.DotLine))
        self.realized_line.label.setColor(c.foreground)
        self.be_scatter.setPen(pg.mkPen(c.background))
        self.be_scatter.setBrush(pg.mkBrush(c.breakeven))
        self.t0_be_scatter.setPen(pg.mkPen(c.background))
        self.t0_be_scatter.setBrush(pg.mkBrush(c.t0))
        self.legend.setLabelTextColor(c.foreground)
        self.legend.setBrush(pg.mkBrush(_alpha(c.background, 210)))
        self.legend.setPen(pg.mkPen(c.zero))
        if self.surface is not None:
            self.recompute()

    def set_theme(self, theme: str) -> None:
        self.apply_colors(chart_colors(theme))

    # -- inputs --------------------------------------------------------------------------------
    def set_positions(self, position_ids: Sequence[int]) -> None:
        """The picked positions (shown while the scope is "Selected positions")."""
        ids = [int(i) for i in position_ids]
        if ids != self.selection:
            self.selection = ids
            if self.scope_bar.scope.kind == "selection":
                self._fit_pending = True
        self.refresh()

    def _scope_changed(self) -> None:
        self._fit_pending = True
        self.refresh()

    def _key(self, ids: list[int], index: str | None, betas: Mapping[str, float],
             quoted: Mapping[str, float]) -> tuple[Any, ...]:
        """What the model depends on: a refresh with the same key reuses the computed curves."""
        rows = [self.state.positions.get(pid) for pid in ids]
        legs = sum(1 for leg in self.state.legs.values() if leg.position_id in ids and leg.is_open) if ids else 0
        held = index_row(self.state, index) if index else None
        return (tuple(ids), index, tuple(sorted(betas.items())), legs, quoted.get(index or ""),
                held.updates if held is not None else None,
                tuple((r.updates, r.summary.state, r.realized) if r is not None else None for r in rows))

    def set_model(self, model: RiskModel | None, title: str = "") -> None:
        """Show ``model`` directly (tests, scripted what-ifs)."""
        self.model = model
        if title:
            self.title.setText(title)
        self._update_days_range()
        self.recompute()

    def refresh(self) -> None:
        """Rebuild the model from the state (legs, IVs, spots, server time) and recompute; nothing
        to do when none of its inputs changed since the last refresh."""
        if not self.compact:
            self.scope_bar.update_choices(self.state)
        scope = self.scope_bar.scope
        ids = scope_positions(self.state, scope, self.selection)
        if ids != self.position_ids:
            self.position_ids = ids
            self._fit_pending = True
        if not ids:
            self._inputs_key = None
            self.model = self.inputs = None
            self.title.setText("Risk graph: select one or more positions" if scope.kind == "selection"
                               else f"Risk graph · {scope.label} · no open positions")
            self.recompute()
            return
        index, betas = self.scope_bar.index, self._betas()
        quoted = self.index_quotes.prices() if self.index_quotes is not None else {}
        if index is not None and index_row(self.state, index) is None:
            self._ask_quote(index)
        key = self._key(ids, index, betas, quoted)
        if key == self._inputs_key:
            return
        self._inputs_key = key
        self.inputs = inputs = risk_inputs(self.state, ids, index=index, betas=betas, quoted=quoted)
        problem = self.index_quotes.problems.get(index) if (self.index_quotes is not None and index) else None
        if inputs.note and problem:
            self.inputs = inputs = dataclasses.replace(inputs, note=f"not beta-weighted: {problem}")
        self.model = inputs.model()
        self.title.setText(self._title_text(inputs))
        self._update_days_range()
        self.recompute()

    def _ask_quote(self, index: str) -> None:
        """Fetch a snapshot of ``index`` (no open position gives its price); refresh when it comes."""
        if self.index_quotes is not None:
            self.index_quotes.request(index, lambda: self.refresh() if self.scope_bar.index == index else None)

    def header_price_text(self) -> str:
        """The reference underlying's price in the header: the blotter's "Und. price" text."""
        return self.inputs.current_price_text(self.state) if self.inputs is not None else ""

    def update_header(self) -> None:
        """Rewrite the header from the rows as they are now (cheap: every frame its positions tick,
        so its price and greeks read as the blotter's while the curves recompute at their own pace)."""
        if self.inputs is not None and self.position_ids:
            self.title.setText(self._title_text(self.inputs))

    def _title_text(self, inputs: RiskInputs) -> str:
        return header_html(self.state, inputs, self.model, scope=self.scope_bar.scope, position_ids=self.position_ids,
                           betas=self._betas(), colors=self.colors, compact=self.compact,
                           quoted=self.index_quotes.prices() if self.index_quotes is not None else None)

    def _update_days_range(self) -> None:
        m = self.model
        exp = m.first_expiration if m is not None else None
        days = max(0, math.ceil((exp - m.now).total_seconds() / 86400)) if (m is not None and exp) else 0
        self.days.blockSignals(True)
        self.days.setRange(0, max(days - 1, 0) if days > 1 else 0)
        self.days.blockSignals(False)

    def reset(self) -> None:
        for w in (self.price_shift, self.vol_shift, self.days):
            w.blockSignals(True)
        self.price_shift.setValue(0.0)
        self.vol_shift.setValue(0.0)
        self.days.setValue(0)
        for w in (self.price_shift, self.vol_shift, self.days):
            w.blockSignals(False)
        self._fit_pending = True
        self.recompute()

    # -- computation ------------------------------------------------------------------------------
    def dates(self) -> tuple[list[dt.datetime], list[str]]:
        """[T+n (slider), intermediate T+n..., first expiration] and their legend labels."""
        m = self.model
        assert m is not None
        exp = m.first_expiration or m.now
        start = min(m.now + dt.timedelta(days=self.days.value()), exp)
        n = self.days.value()
        dates = [start]
        labels = ["T+0" if n == 0 else f"T+{n} ({start.astimezone():%b %d})"]
        if self.tn_check.isChecked() and exp > start:
            span = exp - start
            for f in (1 / 3, 2 / 3):
                d = start + span * f
                days = (d - m.now).total_seconds() / 86400
                dates.append(d)
                labels.append(f"T+{days:.0f} ({d.astimezone():%b %d})")
        dates.append(exp)
        labels.append(f"Expiration ({exp.astimezone():%b %d})")
        return dates, labels

    def recompute(self, *_: Any) -> None:
        started = time.perf_counter()
        m = self.model
        n = self.days.value()
        self.days_label.setText("T+0 (now)" if n == 0 else f"T+{n}")
        if m is None:
            self.surface = None
            self._drawn = None
            for curve in (*self.curves.values(), self.profit_fill, self.loss_fill):
                curve.setData([], [])
            self.be_scatter.setData([], [])
            self.t0_be_scatter.setData([], [])
            self._set_be_labels([])
            self.spot_line.setVisible(False)
            self.whatif_line.setVisible(False)
            inputs = self.inputs
            final = inputs is not None and inputs.closed_positions > 0 and not inputs.open_positions
            self.realized_line.setVisible(final)
            if final and inputs is not None:
                self.realized_line.setPos(inputs.realized)
                color = self.colors.bar_pos if inputs.realized >= 0 else self.colors.bar_neg
                self.realized_line.setPen(pg.mkPen(color, width=2))
                self.realized_line.label.setFormat(f"realized {fmt_signed_money(inputs.realized)}")
                self.readout.setText(f"&nbsp;Closed: final realized P&amp;L <b>{fmt_signed_money(inputs.realized)}"
                                     "</b> (no open legs, no risk left)")
                self.plot.enableAutoRange()
            else:
                self.readout.setText("")
            return
        self.realized_line.setVisible(False)
        dates, labels = self.dates()
        surf = m.surface(m.move_grid(GRID_POINTS), dates, vol_shift=self.vol_shift.value(), greeks=False,
                         labels=labels)
        self.surface = surf
        x = self.x_values(surf)
        exp_pnl, t0_pnl = surf.pnl[-1], surf.pnl[0]
        if self._fit_pending or not self._within_a_pixel(x, surf.pnl):
            self._draw_curves(x, surf.pnl, labels, len(dates))
        self._relabel_legend(labels)
        # breakevens: exact for a single-expiry position at expiration, sampled otherwise
        exact = m.expiration_breakevens()
        self.breakevens = exact if exact else crossings(surf.prices, exp_pnl)
        self.t0_breakevens = crossings(surf.prices, t0_pnl)
        bx = [self._to_x(b) for b in self.breakevens]
        self.be_scatter.setData(bx, [0.0] * len(bx))
        tx = [self._to_x(b) for b in self.t0_breakevens]
        self.t0_be_scatter.setData(tx, [0.0] * len(tx))
        self._set_be_labels(bx)
        spot_x = self._to_x(m.spot)
        self.spot_line.setPos(spot_x)
        self.spot_line.setVisible(True)
        self.spot_line.label.setFormat(f"{m.reference} {m.spot:,.2f}" if not m.mixed else "now")
        shift = self.price_shift.value()
        self.whatif_line.setVisible(shift != 0.0)
        if shift:
            what = m.spot * (1 + shift / 100)
            self.whatif_line.setPos(self._to_x(what))
            self.whatif_line.label.setFormat(f"what-if {what:,.2f}")
        self.plot.setLabel("bottom", "% move" if m.mixed else (
            f"{m.reference} price (β-weighted)" if m.beta_weighted and m.underlyings != [m.reference]
            else f"{m.reference} price"))
        if self._fit_pending:
            self._fit_pending = False
            self.fit_view()
        self._update_readout()
        self.computes += 1
        self.compute_ms = (time.perf_counter() - started) * 1000.0

    def fit_view(self) -> None:
        """x: the price ± 3 expected moves; y: fitted to the curves in that range."""
        m = self.model
        if m is None:
            return
        lo, hi = m.x_range()
        self.plot.setAutoVisible(y=True)
        self.plot.setXRange(self._to_x(lo), self._to_x(hi), padding=0)
        self.plot.enableAutoRange(axis="y")

    def _within_a_pixel(self, x: np.ndarray, pnl: np.ndarray) -> bool:
        """The curves as last drawn differ from ``(x, pnl)`` by less than a pixel everywhere."""
        if self._drawn is None or self._drawn[0].shape != x.shape or self._drawn[1].shape != pnl.shape:
            return False
        px_w, px_h = self.plot.vb.viewPixelSize()
        with np.errstate(invalid="ignore"):
            return bool(np.nanmax(np.abs(x - self._drawn[0])) < px_w
                        and np.nanmax(np.abs(pnl - self._drawn[1])) < px_h)

    def _draw_curves(self, x: np.ndarray, pnl: np.ndarray, labels: list[str], dates: int) -> None:
        exp_pnl, t0_pnl = pnl[-1], pnl[0]
        self.curves["expiration"].setData(x, exp_pnl, name=labels[-1])
        self.curves["t0"].setData(x, t0_pnl, name=labels[0])
        self.profit_fill.setData(x, np.maximum(exp_pnl, 0.0))
        self.loss_fill.setData(x, np.minimum(exp_pnl, 0.0))
        for i, key in enumerate(("tn0", "tn1")):
            row = 1 + i
            if row < dates - 1:
                self.curves[key].setData(x, pnl[row])
                self.curves[key].setVisible(True)
            else:
                self.curves[key].setData([], [])
                self.curves[key].setVisible(False)
        self._drawn = (x.copy(), pnl.copy())
        self.curve_draws += 1

    def x_values(self, surf: RiskSurface) -> np.ndarray:
        m = self.model
        return surf.moves * 100.0 if (m is not None and m.mixed) else surf.prices

    def _to_x(self, price: float) -> float:
        m = self.model
        if m is not None and m.mixed and m.spot:
            return (price / m.spot - 1.0) * 100.0
        return price

    def _relabel_legend(self, labels: list[str]) -> None:
        if tuple(labels) == self._legend_labels:
            return
        self._legend_labels = tuple(labels)
        names = {"t0": labels[0], "expiration": labels[-1]}
        if len(labels) > 2:
            names["tn0"] = labels[1]
        if len(labels) > 3:
            names["tn1"] = labels[2]
        self.legend.clear()
        for key in ("expiration", "t0", "tn0", "tn1"):
            if key in names:
                self.legend.addItem(self.curves[key], names[key])

    def _set_be_labels(self, xs: list[float]) -> None:
        shown = tuple(zip(xs, self.breakevens, strict=False))
        if shown == self._be_shown:
            return
        self._be_shown = shown
        for item in self.be_labels:
            self.plot.removeItem(item)
        self.be_labels = []
        for x, price in zip(xs, self.breakevens, strict=False):
            item = pg.TextItem(f"BE {price:,.2f}", color=self.colors.breakeven, anchor=(0.5, -0.4))
            item.setPos(x, 0.0)
            self.plot.addItem(item, ignoreBounds=True)
            self.be_labels.append(item)

    # -- readout ---------------------------------------------------------------------------------
    def _mouse_moved(self, event: Any) -> None:
        pos = event[0]
        if self.surface is None or not self.plot.sceneBoundingRect().contains(pos):
            self._cursor = None
        else:
            self._cursor = float(self.plot.vb.mapSceneToView(pos).x())
        self.cursor_line.setVisible(self._cursor is not None)
        if self._cursor is not None:
            self.cursor_line.setPos(self._cursor)
        self._update_readout()

    def readout_at(self, price: float | None = None) -> dict[str, float]:
        """PnL at expiration and at the T+0/T+n date plus position greeks at ``price`` (default: what-if spot)."""
        m = self.model
        assert m is not None and self.surface is not None
        if price is None:
            price = m.spot * (1 + self.price_shift.value() / 100)
        move = price / m.spot - 1.0 if m.spot else 0.0
        dates, _labels = self.dates()
        vol = self.vol_shift.value()
        now = m.at(move, dates[0], vol_shift=vol)
        exp = m.at(move, dates[-1], vol_shift=vol)
        return {"price": price, "pnl_t0": now["pnl"], "pnl_exp": exp["pnl"], "delta": now["delta"],
                "gamma": now["gamma"], "theta": now["theta"], "vega": now["vega"]}

    def _update_readout(self) -> None:
        m = self.model
        if m is None or self.surface is None:
            self.readout.setText("")
            return
        if self._cursor is not None:
            price = m.spot * (1 + self._cursor / 100) if m.mixed else self._cursor
            where = "cursor"
        else:
            price = None
            where = "what-if" if self.price_shift.value() else "now"
        r = self.readout_at(price)
        c = self.colors

        def pnl_html(v: float) -> str:
            color = c.bar_pos if v >= 0 else c.bar_neg
            return f"<span style='color:{color}'>{v:+,.2f}</span>"

        move = (r["price"] / m.spot - 1) * 100 if m.spot else 0.0
        self.readout.setText(
            f"&nbsp;<b>{where}</b> {m.reference} {r['price']:,.2f} ({move:+.2f}%) &nbsp;│&nbsp; "
            f"<span style='color:{c.t0}'>{self.days_label.text()}</span> {pnl_html(r['pnl_t0'])} &nbsp; "
            f"<span style='color:{c.expiration}'>Exp</span> {pnl_html(r['pnl_exp'])} &nbsp;│&nbsp; "
            f"Δ {r['delta']:,.2f} &nbsp; Γ {r['gamma']:,.4f} &nbsp; Θ {r['theta']:,.2f} &nbsp; V {r['vega']:,.2f}"
            f" &nbsp;│&nbsp; BE {', '.join(f'{b:,.2f}' for b in self.breakevens) or '—'}"
        )

    # -- export -------------------------------------------------------------------------------------
    def export_png(self, path: Path) -> Path:
        if not self.grab().save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        return Path(path)

    def export_csv(self, path: Path) -> int:
        surf = self.surface
        if surf is None:
            raise ValueError("nothing to export")
        with Path(path).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["price", "move_pct", *surf.labels])
            for p in range(surf.prices.size):
                writer.writerow([repr(float(surf.prices[p])), repr(float(surf.moves[p] * 100)),
                                 *(repr(float(surf.pnl[d, p])) for d in range(len(surf.dates)))])
        return int(surf.prices.size)

    def _ask_export(self, kind: str) -> None:
        filters = {"png": "PNG image (*.png)", "csv": "CSV (*.csv)"}
        path, _ = QFileDialog.getSaveFileName(self, f"Export risk graph as {kind.upper()}", f"risk-graph.{kind}",
                                              filters[kind])
        if path:
            self.export_png(Path(path)) if kind == "png" else self.export_csv(Path(path))


def _alpha(color: str, alpha: int) -> QColor:
    q = QColor(color)
    q.setAlpha(alpha)
    return q
