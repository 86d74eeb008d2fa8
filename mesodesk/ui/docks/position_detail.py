"""Position details: headline metrics, legs, pricing blocks, vars, recent events and signals.

A non-modal window. Legs, events and signals are views over the main window's
live models (their own proxies, filtered to this position), so they update with
no extra wiring. ``GetPosition`` supplies vars and the initial blocks; the
position's ``StreamPositionData`` entry (already in the state) refreshes the
metrics and the pricing grid once per frame while the window is open.
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mesodesk.contract import LivePositionDetails, SignalState
from mesodesk.core.session import Session
from mesodesk.core.state import PositionRow
from mesodesk.core.trading.exit_rules import exit_summary, latest_exit_signal, rule_lines
from mesodesk.ui.docks.table_dock import BlotterView
from mesodesk.ui.models.keyed_table_model import KeyedTableModel
from mesodesk.ui.steady_label import SteadyLabel
from mesodesk.ui.theme import colors

log = logging.getLogger("mesodesk.ui.detail")

BASES = ("bid", "ask", "mid", "mark", "last")
METRICS = (
    ("und_price", "Und. price"), ("pnl", "PnL (mark)"), ("realized", "Realized"), ("delta", "Delta"),
    ("gamma", "Gamma"), ("theta", "Theta"), ("vega", "Vega"), ("dit", "Days in trade"),
)


def _fmt(value: Any, places: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, Decimal | float | int):
        return f"{float(value):,.{places}f}"
    return str(value)


class PositionDetailView(QWidget):
    sig_closed = Signal(int)
    """Emitted with the position id when the window closes."""

    def __init__(self, session: Session, position_id: int, legs_model: KeyedTableModel,
                 events_model: KeyedTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName(f"positionDetail{position_id}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.session = session
        self.position_id = position_id
        self.details: LivePositionDetails | None = None
        self.resize(980, 620)

        self.headline = QLabel()
        self.headline.setObjectName("positionHeadline")
        self.metric_labels: dict[str, SteadyLabel] = {}
        metrics = QGridLayout()
        metrics.setHorizontalSpacing(18)
        for i, (key, title) in enumerate(METRICS):
            caption = QLabel(title)
            caption.setStyleSheet(f"color: {colors().muted}")
            caption.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value = SteadyLabel("–")
            value.setObjectName(f"metric_{key}")
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            font = value.font()
            font.setPointSizeF(font.pointSizeF() + 2)
            font.setBold(True)
            value.setFont(font)
            metrics.addWidget(caption, 0, i)
            metrics.addWidget(value, 1, i)
            self.metric_labels[key] = value

        def is_mine(row: Any) -> bool:
            return getattr(row, "position_id", None) == position_id

        self.legs = BlotterView(legs_model, f"detail{position_id}Legs")
        self.legs.proxy.set_predicate("position", is_mine)
        self.legs.set_column_visible("position", False)
        self.events = BlotterView(events_model, f"detail{position_id}Events")
        self.events.proxy.set_predicate("position", is_mine)
        self.events.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.signals = BlotterView(events_model, f"detail{position_id}Signals")
        self.signals.proxy.set_predicate("position", is_mine)
        self.signals.proxy.set_predicate("signals", lambda row: row.is_signal or row.type == "Error")
        self.signals.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.exit_summary = QLabel()
        self.exit_summary.setObjectName("exitSignalSummary")
        self.exit_summary.setWordWrap(True)
        self.exit_summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.exit_rules = self._grid([], ["Target", "Now", "State"])
        self.exit_rules.setObjectName("exitRules")
        signals_tab = QWidget()
        signals_layout = QVBoxLayout(signals_tab)
        signals_layout.setContentsMargins(0, 0, 0, 0)
        signals_layout.addWidget(self.exit_summary)
        signals_layout.addWidget(self.exit_rules)
        signals_layout.addWidget(self.signals, 1)
        # a new signal event of this position: the exit rules may have changed
        self.signals.proxy.rowsInserted.connect(self._show_exit_rules)
        self.signals.proxy.modelReset.connect(self._show_exit_rules)
        self.pricing = self._grid(["Position prices", "Position greeks (delta)", "Position PnL", "Underlying"],
                                  [b.capitalize() for b in BASES])
        self.vars = self._grid([], ["Value"])

        self.tabs = QTabWidget()
        self.tabs.setObjectName("positionDetailTabs")
        self.tabs.addTab(self.legs, "Legs")
        self.tabs.addTab(self.pricing, "Pricing")
        self.tabs.addTab(self.vars, "Vars")
        self.tabs.addTab(self.events, "Events")
        self.tabs.addTab(signals_tab, "Signals")
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addLayout(metrics)
        layout.addWidget(self.tabs, 1)
        self.refresh()
        self._show_exit_rules()
        self._load_task: asyncio.Future[None] | None = asyncio.ensure_future(self._load())

    @staticmethod
    def _grid(rows: list[str], columns: list[str]) -> QTableWidget:
        grid = QTableWidget(len(rows), len(columns))
        grid.setHorizontalHeaderLabels(columns)
        grid.setVerticalHeaderLabels(rows)
        grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        grid.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        grid.verticalHeader().setDefaultSectionSize(22)
        return grid

    async def _load(self) -> None:
        try:
            self.details = await self.session.load_position_details(self.position_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not load position %s", self.position_id)
            return
        vars_ = sorted(self.details.vars.items())
        self.vars.setRowCount(len(vars_))
        self.vars.setVerticalHeaderLabels([k for k, _ in vars_])
        for i, (_, value) in enumerate(vars_):
            self._set(self.vars, i, 0, _fmt(value, 4))
        self.refresh()

    def _show_exit_rules(self) -> None:
        """The latest exit signal: which rule fired, each rule's target (whole position) and the P&L."""
        event = latest_exit_signal((row.event for row in self.session.state.events.values()), self.position_id)
        result = event.exit_signal_result if event is not None else None
        if event is None or result is None:
            self.exit_summary.setText("Exit rules: no exit signal from the server yet (it evaluates them and "
                                      "sends a signal when one holds).")
            self.exit_rules.hide()
            return
        state = "ON" if event.state == SignalState.On else "off"
        self.exit_summary.setText(f"Exit signal {state}: {exit_summary(result)}")
        lines = rule_lines(result)
        self.exit_rules.setRowCount(len(lines))
        self.exit_rules.setVerticalHeaderLabels([line.rule for line in lines])
        for i, line in enumerate(lines):
            self._set(self.exit_rules, i, 0, line.target)
            self._set(self.exit_rules, i, 1, line.now)
            self._set(self.exit_rules, i, 2, line.state)
        self.exit_rules.setFixedHeight(self.exit_rules.horizontalHeader().height() + 22 * len(lines) + 4)
        self.exit_rules.setVisible(bool(lines))

    def _set(self, grid: QTableWidget, row: int, col: int, text: str) -> None:
        item = grid.item(row, col)
        if item is None:
            item = QTableWidgetItem()
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.setItem(row, col, item)
        if item.text() != text:
            item.setText(text)

    def refresh(self) -> None:
        """Repaint headline, metrics and pricing from the state (called once per frame)."""
        row: PositionRow | None = self.session.state.positions.get(self.position_id)
        if row is None:
            self.headline.setText(f"Position {self.position_id} (not loaded)")
            return
        s = row.summary
        self.headline.setText(f"#{s.id}  {s.name}   ·   {s.strategy_name}   ·   {s.broker_account_id}   ·   "
                              f"{getattr(s.state, 'value', s.state)}")
        self.setWindowTitle(f"Position {s.id} — {s.name}")
        values = {
            "und_price": row.underlying_price, "pnl": row.pnl_mark, "realized": row.realized_pnl,
            "delta": row.greek("delta"), "gamma": row.greek("gamma"), "theta": row.greek("theta"),
            "vega": row.greek("vega"), "dit": row.days_in_trade,
        }
        for key, label in self.metric_labels.items():
            value = values[key]
            places = 0 if key == "dit" else 3 if key == "gamma" else 2
            label.setText(_fmt(value, places))
            if key in ("pnl", "realized", "theta"):
                label.set_style(f"color: {(colors().positive if value > 0 else colors().negative).name()}"
                                if value else "")
        source: Any = row.data if row.data is not None else self.details
        if source is None:
            return
        greeks = source.position_greeks
        blocks = [source.position_prices, None, source.position_pnls, source.underlying_price]
        for r, block in enumerate(blocks):
            for c, basis in enumerate(BASES):
                if r == 1:
                    values_block = getattr(greeks, basis, None) if greeks is not None else None
                    value = getattr(values_block, "delta", None) if values_block is not None else None
                else:
                    value = getattr(block, basis, None) if block is not None else None
                self._set(self.pricing, r, c, _fmt(value))

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._load_task is not None and not self._load_task.done():
            self._load_task.cancel()
        self.sig_closed.emit(self.position_id)
        super().closeEvent(event)
