"""The Today dock: the market day at a glance.

P&L today (against the previous close's marks, :class:`~mesodesk.core.today.TodayBook`),
the positions held, opened and closed today, each active strategy's entry signal and
scheduled entry per account, and the legs expiring today. Three
:class:`KeyedTableModel` tables over Qt-free tables, recomputed on the window's frames
(coalesced: at most once per screen frame, only while the dock can be seen); the day's
marks are recorded a few times a second whether or not it is shown.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from mesodesk.contract import EntrySignalEvent
from mesodesk.core.formatting import fmt_signed_money
from mesodesk.core.state import AppState
from mesodesk.core.tables import Table
from mesodesk.core.today import (
    TodayBook,
    TodayEntry,
    TodayLeg,
    TodayPosition,
    expiring_legs,
    latest_entry_signals,
    today_entries,
    today_positions,
    total_today,
)
from mesodesk.core.trade_history import update_records
from mesodesk.quant.calendar import ET
from mesodesk.ui.charts.on_screen import on_screen
from mesodesk.ui.docks.table_dock import BlotterView
from mesodesk.ui.models.columns import Column, integer, number, pnl, qty
from mesodesk.ui.models.keyed_table_model import KeyedTableModel
from mesodesk.ui.theme import colors

#: the day's marks are recorded at most this often (seconds of wall time)
OBSERVE_EVERY_S = 0.25


def _et_clock(value: Any) -> str:
    return "" if value is None else value.astimezone(ET).strftime("%a %H:%M ET")


TODAY_POSITION_COLUMNS = [
    integer("id", "Id", lambda r: r.position_id),
    Column("name", "Position", lambda r: r.name),
    Column("status", "Today", lambda r: r.status, tooltip="Held from before today, opened or closed today"),
    pnl("today", "P&L today", lambda r: r.today, tooltip="P&L now − P&L at the previous close"),
    pnl("pnl", "P&L", lambda r: r.pnl, tooltip="Total P&L now (a closed position: its realized P&L)"),
    pnl("base", "Prev. close", lambda r: r.base, flash=False, tooltip="The P&L today counts from"),
    Column("strategy", "Strategy", lambda r: r.strategy),
    Column("account", "Account", lambda r: r.account),
    Column("basis", "Measured from", lambda r: r.base_note, visible=False),
]

ENTRY_COLUMNS = [
    Column("strategy", "Strategy", lambda r: r.strategy),
    Column("account", "Account", lambda r: r.account),
    Column("signal", "Entry signal", lambda r: r.signal or "—", tooltip="The latest entry signal of the strategy on the account"),
    Column("scheduled", "Scheduled today", lambda r: r.scheduled, tooltip="When the entry Schedule puts an entry today"),
    Column("since", "Since", lambda r: r.signal_at, _et_clock, tooltip="When the entry signal last changed"),
    Column("blocked", "Blocked by", lambda r: r.blocked_by, tooltip="Gates the latest signal reported closed"),
    integer("open", "Open pos.", lambda r: r.open_positions),
    integer("opened", "Opened today", lambda r: r.opened_today),
]

EXPIRING_COLUMNS = [
    integer("position", "Pos.", lambda r: r.position_id, tooltip="Position id"),
    Column("name", "Position", lambda r: r.position),
    Column("leg", "Leg", lambda r: r.leg),
    Column("contract", "Contract", lambda r: r.contract),
    qty("qty", "Qty", lambda r: r.qty),
    number("mark", "Mark", lambda r: r.mark),
]


class TodayWidget(QWidget):
    def __init__(self, state: AppState, book: TodayBook, parent: QWidget | None = None, *,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self.setObjectName("today")
        self.state = state
        self.book = book
        self._monotonic = monotonic
        self._observed_at = -float("inf")
        self._signals: dict[tuple[int, str], EntrySignalEvent] = {}
        self._events_dirty = True
        self._remove_listener = state.events.on_dirty(self._on_events)
        self.refreshes = 0
        self._closed = False

        self.positions_table: Table[int, TodayPosition] = Table("todayPositions")
        self.entries_table: Table[str, TodayEntry] = Table("todayEntries")
        self.legs_table: Table[int, TodayLeg] = Table("todayLegs")
        self.models: dict[str, KeyedTableModel] = {}
        self.views: dict[str, BlotterView] = {}
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        for key, table, columns, title in (
                ("todayPositions", self.positions_table, TODAY_POSITION_COLUMNS, "Positions held, opened or closed today"),
                ("todayEntries", self.entries_table, ENTRY_COLUMNS, "Entries per active strategy and account"),
                ("todayLegs", self.legs_table, EXPIRING_COLUMNS, "Legs expiring today")):
            model = KeyedTableModel(table, columns, self)
            view = BlotterView(model, key)
            view.filter.setPlaceholderText(f"{title} — filter…")
            self.models[key], self.views[key] = model, view
            splitter.addWidget(view)
        splitter.setSizes([260, 160, 120])
        self.headline = QLabel()
        self.headline.setObjectName("todayHeadline")
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.headline.setWordWrap(True)
        self.basis = QLabel()
        self.basis.setObjectName("todayBasis")
        self.basis.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 0)
        layout.setSpacing(2)
        layout.addWidget(self.headline)
        layout.addWidget(self.basis)
        layout.addWidget(splitter, 1)
        self.setMinimumSize(200, 120)  # a tab among the panels: never force its dock wider
        self.total = None
        self.unknown = 0
        self.refresh()

    def _on_events(self) -> None:
        self._events_dirty = True

    # -- per frame ----------------------------------------------------------------------------
    def on_frame(self) -> None:
        """Record the day's marks (a few times a second) and, while seen, refresh the tables."""
        if self._closed:
            return
        now = self._monotonic()
        if now - self._observed_at >= OBSERVE_EVERY_S:
            self._observed_at = now
            self.book.observe(self.state.server_clock.now(), self.state.positions.values())
        if on_screen(self):
            self.refresh()

    def refresh(self) -> None:
        self.refreshes += 1
        day = self.book.day
        if self._events_dirty:
            self._events_dirty = False
            self._signals = latest_entry_signals(self.state)
        positions = today_positions(self.state, self.book)
        update_records(self.positions_table, positions)
        update_records(self.entries_table, today_entries(self.state, day, self._signals))
        update_records(self.legs_table, expiring_legs(self.state, day))
        for model in self.models.values():
            model.sync()
        total, unknown = total_today(positions.values())
        self.total, self.unknown = total, unknown
        if day is None:
            self.headline.setText("<b>Today</b> · waiting for the server's clock")
        else:
            opened = sum(1 for p in positions.values() if p.status in ("Opened", "Opened & closed"))
            closed = sum(1 for p in positions.values() if p.status in ("Closed", "Opened & closed"))
            on = sum(1 for e in self.entries_table.values() if e.signal == "On")
            color = "" if total == 0 else (colors().positive if total > 0 else colors().negative).name()
            missing = f" (+{unknown} without a previous close)" if unknown else ""
            self.headline.setText(
                f"<b>{day:%a %d %b %Y}</b> · P&amp;L today <span style='color:{color}'><b>"
                f"{fmt_signed_money(total)}</b></span>{missing} · opened {opened} · closed {closed} · "
                f"entry signals on {on} · legs expiring {len(self.legs_table)}")
        self.basis.setText(self.book.describe())

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.refresh()

    def close_sources(self) -> None:
        """Stop recording and listening (the window is closing)."""
        self._closed = True
        self._remove_listener()
