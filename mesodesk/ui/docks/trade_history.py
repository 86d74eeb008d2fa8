"""The Trade history dock: closed positions, the fills of the selected one, P&L per period.

Rows come from :func:`mesodesk.core.trade_history.closed_trades` (realized P&L from its one
owner, max drawdown from the world's chart history) filtered by closing date, strategy and
account; the table is a :class:`KeyedTableModel` over a Qt-free table that
:func:`~mesodesk.core.trade_history.update_records` touches only where a trade changed.
It recomputes at most every :data:`REFRESH_MS` after the positions or executions changed,
and only while it can be seen. The bar chart (pyqtgraph) is built the first time the dock
is shown, so the app's start-up path does not import pyqtgraph for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from mesodesk.core.formatting import fmt_market_time, fmt_number, fmt_signed_money
from mesodesk.core.state import AppState, ExecutionRow
from mesodesk.core.tables import Table
from mesodesk.core.today import market_day
from mesodesk.core.trade_history import (
    PERIODS,
    Period,
    TradeFilter,
    TradeRecord,
    closed_trades,
    pnl_by_period,
    update_records,
)
from mesodesk.ui.blotters import EXECUTION_COLUMNS
from mesodesk.ui.charts.on_screen import on_screen
from mesodesk.ui.docks.table_dock import BlotterView
from mesodesk.ui.models.columns import Column, integer, number, pnl
from mesodesk.ui.models.keyed_table_model import KeyedTableModel
from mesodesk.ui.theme import colors

if TYPE_CHECKING:
    from mesodesk.core.history import HistoryStore  # numpy: comes with the charts, after the first live paint
    from mesodesk.ui.docks.trade_pnl_chart import PeriodPnLChart

REFRESH_MS = 250
_money = fmt_number(2)


def _drawdown_text(value: Any) -> str:
    return "—" if value is None else _money(value)


TRADE_COLUMNS = [
    integer("id", "Id", lambda r: r.position_id),
    Column("name", "Position", lambda r: r.name),
    Column("strategy", "Strategy", lambda r: r.strategy),
    Column("account", "Account", lambda r: r.account),
    Column("underlying", "Und.", lambda r: r.underlying),
    Column("opened", "Opened (ET)", lambda r: r.opened_at, fmt_market_time),
    Column("closed", "Closed (ET)", lambda r: r.closed_at, fmt_market_time),
    integer("dit", "DIT", lambda r: r.days_in_trade, tooltip="Days in trade"),
    pnl("realized", "Realized", lambda r: r.realized, flash=False),
    Column("max_dd", "Max DD", lambda r: r.max_drawdown, _drawdown_text, numeric=True,
           tooltip="Maximum drawdown of the position's P&L (peak − P&L) in the chart history; "
                   "— when this console recorded no P&L of it"),
    integer("fills", "Fills", lambda r: len(r.fills), tooltip="Executions of its legs"),
    number("commission", "Comm.", lambda r: r.commissions, flash=False, visible=False),
]

#: date range presets: label -> first day given the market day (None: no bound)
RANGES: dict[str, Callable[[dt.date], dt.date | None]] = {
    "All dates": lambda today: None,
    "Today": lambda today: today,
    "This week": lambda today: today - dt.timedelta(days=today.weekday()),
    "This month": lambda today: today.replace(day=1),
    "Last 30 days": lambda today: today - dt.timedelta(days=29),
    "This year": lambda today: today.replace(month=1, day=1),
}
CUSTOM = "Custom"
ALL = ""


class _Loaded(QObject):
    """Carries a history-thread result onto the GUI thread (a queued signal)."""

    sig_drawdowns = Signal(object)


class TradeHistoryWidget(QWidget):
    def __init__(self, state: AppState, history: Callable[[], HistoryStore | None] = lambda: None,
                 parent: QWidget | None = None, theme: str = "dark") -> None:
        """``history``: the world's chart history when there is one (max drawdowns come from it)."""
        super().__init__(parent)
        self.setObjectName("tradeHistory")
        self.state = state
        self.history = history
        self.theme = theme
        self.records: dict[int, TradeRecord] = {}
        self.shown: list[TradeRecord] = []
        self.drawdowns: dict[int, float] = {}
        self._asked: set[int] = set()
        self._loaded = _Loaded(self)
        self._loaded.sig_drawdowns.connect(self._on_drawdowns)
        self.refreshes = 0
        self._stale = True

        self.table: Table[int, TradeRecord] = Table("trades")
        self.model = KeyedTableModel(self.table, TRADE_COLUMNS, self)
        self.model.set_flash(False)
        self.view = BlotterView(self.model, "trades")
        self.fills_table: Table[int, ExecutionRow] = Table("tradeFills")
        self.fills_model = KeyedTableModel(self.fills_table, EXECUTION_COLUMNS, self)
        self.fills_model.set_flash(False)
        self.fills_view = BlotterView(self.fills_model, "tradeFills")
        self.fills_view.filter.setPlaceholderText("Fills of the selected trade")
        self.selected: int | None = None
        self.view.sig_current_changed.connect(self._on_current)

        self.range_combo = QComboBox()
        self.range_combo.setObjectName("tradeRange")
        self.range_combo.addItems([*RANGES, CUSTOM])
        self.start_edit, self.end_edit = QDateEdit(), QDateEdit()
        for edit, name in ((self.start_edit, "tradeFrom"), (self.end_edit, "tradeTo")):
            edit.setObjectName(name)
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
            edit.dateChanged.connect(self._on_filter_changed)
        self.strategy_combo = QComboBox()
        self.strategy_combo.setObjectName("tradeStrategy")
        self.account_combo = QComboBox()
        self.account_combo.setObjectName("tradeAccount")
        for combo, label in ((self.strategy_combo, "All strategies"), (self.account_combo, "All accounts")):
            combo.addItem(label, ALL)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.currentIndexChanged.connect(self._on_filter_changed)
        self.range_combo.currentIndexChanged.connect(self._on_range_changed)
        self.period_combo = QComboBox()
        self.period_combo.setObjectName("tradePeriod")
        for period in PERIODS:
            self.period_combo.addItem(f"By {period}", period)
        self.period_combo.currentIndexChanged.connect(lambda _i: self._draw_chart())
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setObjectName("tradeExport")
        self.export_button.clicked.connect(self._ask_export)
        self.summary = QLabel()
        self.summary.setObjectName("tradeSummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        for widget in (QLabel("Closed:"), self.range_combo, self.start_edit, QLabel("–"), self.end_edit,
                       self.strategy_combo, self.account_combo, self.period_combo):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.summary)
        bar.addWidget(self.export_button)

        self.chart: PeriodPnLChart | None = None
        self.chart_holder = QWidget()
        self.chart_holder.setObjectName("tradeChartHolder")
        self.chart_layout = QVBoxLayout(self.chart_holder)
        self.chart_layout.setContentsMargins(0, 0, 0, 0)
        self.lower = QSplitter(Qt.Orientation.Horizontal)
        self.lower.addWidget(self.fills_view)
        self.lower.addWidget(self.chart_holder)
        self.lower.setSizes([520, 480])
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.lower)
        self.splitter.setSizes([300, 220])
        for s in (self.lower, self.splitter):
            s.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)
        self.setMinimumSize(200, 120)  # a tab among the panels: never force its dock wider

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh_if_seen)
        self._removers = [state.positions.on_dirty(self.schedule), state.executions.on_dirty(self.schedule)]

    # -- refresh ------------------------------------------------------------------------
    def schedule(self) -> None:
        """Something the history shows may have changed: refresh soon (coalesced)."""
        self._stale = True
        if not self._timer.isActive():
            self._timer.start()

    def _refresh_if_seen(self) -> None:
        if on_screen(self):
            self.refresh()

    def market_day(self) -> dt.date:
        now = self.state.server_clock.now()
        if now is not None:
            return market_day(now)
        if self.records:
            return max(r.closed_day for r in self.records.values())
        return dt.date.today()

    def trade_filter(self) -> TradeFilter:
        label = self.range_combo.currentText()
        if label == CUSTOM:
            start, end = self.start_edit.date().toPython(), self.end_edit.date().toPython()
            return TradeFilter(start=start, end=end, strategy=self.strategy_combo.currentData() or None,
                               account=self.account_combo.currentData() or None)
        return TradeFilter(start=RANGES[label](self.market_day()), strategy=self.strategy_combo.currentData() or None,
                           account=self.account_combo.currentData() or None)

    def refresh(self) -> None:
        """Recompute the trades, apply the filter, update the table (changed rows only) and the chart."""
        self._stale = False
        self.refreshes += 1
        self.records = closed_trades(self.state, self.drawdowns)
        self._ask_drawdowns()
        self._fill_choices()
        trade_filter = self.trade_filter()
        if self.range_combo.currentText() != CUSTOM:
            self._show_range(trade_filter.start, self.market_day())
        self.shown = trade_filter.apply(self.records.values())
        update_records(self.table, {r.position_id: r for r in self.shown})
        self.model.sync()
        self._show_fills()
        self._draw_chart()
        self._write_summary()

    def _ask_drawdowns(self) -> None:
        store = self.history()
        missing = [pid for pid in self.records if pid not in self._asked]
        if store is None or not missing:
            return
        self._asked.update(missing)
        try:
            future = store.max_drawdowns(missing)
        except RuntimeError:  # the store closed (shutdown)
            return
        future.add_done_callback(
            lambda f: self._loaded.sig_drawdowns.emit(f.result()) if f.exception() is None else None)

    def _on_drawdowns(self, drawdowns: dict[int, float]) -> None:
        if drawdowns:
            self.drawdowns.update(drawdowns)
            self.schedule()

    def _fill_choices(self) -> None:
        strategies = {r.strategy for r in self.records.values()} | {r.strategy.name for r in self.state.strategies.values()}
        accounts = {r.account for r in self.records.values()} | set(self.state.accounts)
        for combo, values in ((self.strategy_combo, strategies), (self.account_combo, accounts)):
            have = {combo.itemData(i) for i in range(1, combo.count())}
            for value in sorted(values - have):
                combo.blockSignals(True)
                combo.addItem(value, value)
                combo.blockSignals(False)

    def _write_summary(self) -> None:
        known = [r.realized for r in self.shown if r.realized is not None]
        total = sum(known, Decimal(0)) if known else None
        wins = sum(1 for v in known if v > 0)
        color = "" if total is None or total == 0 else (colors().positive if total > 0 else colors().negative).name()
        rate = f" · {wins / len(known):.0%} won" if known else ""
        self.summary.setText(f"{len(self.shown)} trade{'s' if len(self.shown) != 1 else ''} · realized "
                             f"<span style='color:{color}'><b>{fmt_signed_money(total)}</b></span>{rate}")

    # -- filter ---------------------------------------------------------------------------
    def _show_range(self, start: dt.date | None, end: dt.date) -> None:
        """Write a range into the date fields (a preset's, greyed out; or where Custom starts)."""
        if start is None:
            start = min((r.closed_day for r in self.records.values()), default=end)
        for edit, day in ((self.start_edit, start), (self.end_edit, end)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)

    def _on_range_changed(self, _index: int) -> None:
        custom = self.range_combo.currentText() == CUSTOM
        self.start_edit.setEnabled(custom)
        self.end_edit.setEnabled(custom)
        self._on_filter_changed()

    def _on_filter_changed(self, *_: Any) -> None:
        self.refresh()

    def set_filter(self, *, range_label: str | None = None, start: dt.date | None = None, end: dt.date | None = None,
                   strategy: str | None = None, account: str | None = None) -> None:
        """Choose a filter as a user does with the controls (``strategy``/``account`` "" = all)."""
        if range_label is not None:
            self.range_combo.setCurrentText(range_label)
        if start is not None:
            self.start_edit.setDate(QDate(start.year, start.month, start.day))
        if end is not None:
            self.end_edit.setDate(QDate(end.year, end.month, end.day))
        self._fill_choices()
        for combo, value in ((self.strategy_combo, strategy), (self.account_combo, account)):
            if value is not None:
                combo.setCurrentIndex(max(combo.findData(value), 0))
        self.refresh()

    # -- fills ------------------------------------------------------------------------------
    def _on_current(self, key: Any) -> None:
        self.selected = key if isinstance(key, int) else None
        self._show_fills()

    def _show_fills(self) -> None:
        record = self.records.get(self.selected) if self.selected is not None else None
        rows = {f.id: f for f in record.fills} if record is not None else {}
        if set(rows) != set(self.fills_table):
            self.fills_table.replace_all(rows)
        self.fills_model.sync()
        title = f"Fills of #{record.position_id} {record.name}" if record is not None else "Select a trade for its fills"
        self.fills_view.filter.setPlaceholderText(title)

    # -- chart ---------------------------------------------------------------------------------
    @property
    def period(self) -> Period:
        value = self.period_combo.currentData()
        return value if value in PERIODS else "day"  # type: ignore[no-any-return]

    def chart_if_seen(self) -> None:
        if on_screen(self):
            self.ensure_chart()

    def ensure_chart(self) -> PeriodPnLChart:
        if self.chart is None:
            from mesodesk.ui.docks.trade_pnl_chart import PeriodPnLChart  # imports pyqtgraph

            self.chart = PeriodPnLChart(theme=self.theme)
            self.chart_layout.addWidget(self.chart)
            self._draw_chart()
        return self.chart

    def _draw_chart(self) -> None:
        if self.chart is None:
            return
        periods = pnl_by_period(self.shown, self.period)
        self.chart.show_periods(periods, f"Realized P&L by {self.period}")

    def set_theme(self, theme: str) -> None:
        self.theme = theme
        if self.chart is not None:
            self.chart.set_theme(theme)

    # -- export -----------------------------------------------------------------------------------
    def export_csv(self, path: Path) -> int:
        """Write the trades shown (filtered, sorted, visible columns) to ``path``; the row count."""
        return self.view.export_csv(path)

    def _ask_export(self) -> None:
        dialog = QFileDialog(self, "Export trade history as CSV", "trade-history.csv", "CSV files (*.csv)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda path: self._export_to(Path(path)))
        dialog.open()

    def _export_to(self, path: Path) -> None:
        try:
            count = self.export_csv(path)
        except OSError as exc:
            box = QMessageBox(QMessageBox.Icon.Warning, "Export trade history",
                              f"Could not write {path}: {exc.strerror or exc}", parent=self)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
            return
        self.summary.setToolTip(f"Exported {count} trades to {path}")

    # -- visibility -------------------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        # a tab behind another is "shown" too: its chart (pyqtgraph) waits until it is seen
        QTimer.singleShot(0, self.chart_if_seen)
        if self._stale:
            QTimer.singleShot(0, self._refresh_if_seen)

    def close_sources(self) -> None:
        for remove in self._removers:
            remove()
        self._removers = []
        self._timer.stop()
