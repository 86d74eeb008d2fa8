"""The paper-fill step: one row per leg with the fill price prefilled from the live mid
(editable), the quantity the plan fills and a commission; Commit sends ApplyPaperFills."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDoubleValidator, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from mesodesk.contract import LivePrices, PaperFill
from mesodesk.core.state import contract_text
from mesodesk.ui.theme import table_font
from mesodesk.ui.trading.model import (
    OrderLine,
    PlanView,
    fmt_money,
    fmt_price,
    fmt_signed,
    leg_mid,
    line_ratios,
    parse_price,
)
from mesodesk.ui.trading.widgets import PriceEdit, item, label

HEADERS = ["Leg", "Contract", "Fill qty", "Bid", "Mid", "Ask", "Fill price", "Commission"]


class PaperFillPage(QWidget):
    sig_commit = Signal()
    sig_back = Signal()

    def __init__(self, quick_keys: Callable[[], dict[str, QKeySequence]]) -> None:
        super().__init__()
        self.setObjectName("paperFillPage")
        self.plan: PlanView | None = None
        self.quick_keys = quick_keys
        self.prices: dict[str, PriceEdit] = {}
        self.commissions: dict[str, QLineEdit] = {}
        self.title = label("Paper trade", "title", "paperTitle")
        self.subtitle = label("Fill prices are per contract (positive); they start at the live mid. "
                              "Edit any of them, then commit.", "subtitle")
        self.subtitle.setWordWrap(True)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("paperFillsTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFont(table_font())
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.mid_button = QPushButton("All at mid")
        self.mid_button.setObjectName("paperAllMidButton")
        self.mid_button.clicked.connect(self.fill_mid)
        self.summary = label("", None, "paperSummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.back_button = QPushButton("◂ Back")
        self.back_button.setObjectName("paperBackButton")
        self.back_button.clicked.connect(self.sig_back)
        self.commit_button = QPushButton("Commit paper fills  (Ctrl+Enter)")
        self.commit_button.setObjectName("commitPaperButton")
        self.commit_button.setProperty("role", "primary")
        self.commit_button.clicked.connect(self.sig_commit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.mid_button)
        buttons.addStretch(1)
        buttons.addWidget(self.commit_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.table)
        layout.addWidget(self.summary)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self._quotes: dict[str, LivePrices] = {}

    def set_plan(self, plan: PlanView, quotes: dict[str, LivePrices]) -> None:
        self.plan = plan
        self._quotes = dict(quotes)
        self.title.setText(f"Paper trade · {plan.title}")
        names = list(plan.legs)
        self.table.setRowCount(len(names))
        self.prices.clear()
        self.commissions.clear()
        for i, name in enumerate(names):
            leg = plan.legs[name]
            self.table.setItem(i, 0, item(name))
            self.table.setItem(i, 1, item(contract_text(leg.live_contract)))
            self.table.setItem(i, 2, item(f"{plan.planned_qty(name):+f}", True))
            edit = PriceEdit(f"fill_{name}", self.quick_keys)
            edit.sig_quick.connect(lambda kind, n=name: self._quick(n, kind))
            edit.setValidator(QDoubleValidator(0.0, 1_000_000.0, 4, edit))
            edit.textChanged.connect(self._update_summary)
            commission = QLineEdit("0.00")
            commission.setObjectName(f"commission_{name}")
            commission.setValidator(QDoubleValidator(0.0, 100_000.0, 2, commission))
            commission.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            commission.setMaximumWidth(90)
            commission.textChanged.connect(self._update_summary)
            self.table.setCellWidget(i, 6, edit)
            self.table.setCellWidget(i, 7, commission)
            self.prices[name] = edit
            self.commissions[name] = commission
        self.update_quotes(quotes)
        self.fill_mid()
        self.table.resizeColumnsToContents()
        for c in range(self.table.columnCount()):
            self.table.setColumnWidth(c, max(self.table.columnWidth(c) + 16, 70))
        self.table.setColumnWidth(6, 110)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setFixedHeight(self.table.horizontalHeader().height() + 28 * len(names) + 4)
        if self.prices:
            next(iter(self.prices.values())).setFocus()

    def update_quotes(self, quotes: dict[str, LivePrices]) -> None:
        if self.plan is None:
            return
        self._quotes.update({k: v for k, v in quotes.items() if v is not None})
        for i, name in enumerate(self.plan.legs):
            p = self._quotes.get(name)
            self.table.setItem(i, 3, item(fmt_price(p.bid if p else None), True))
            self.table.setItem(i, 4, item(fmt_price(leg_mid(p)), True))
            self.table.setItem(i, 5, item(fmt_price(p.ask if p else None), True))

    def _quick(self, name: str, kind: str) -> None:
        p = self._quotes.get(name)
        value = leg_mid(p) if kind == "mid" else getattr(p, kind, None) if p else None
        if value is not None:
            self.prices[name].setText(f"{value:.2f}")

    def fill_mid(self) -> None:
        for name, edit in self.prices.items():
            mid = leg_mid(self._quotes.get(name))
            edit.setText(f"{mid:.2f}" if mid is not None else "")
        self._update_summary()

    def fills(self) -> tuple[dict[str, PaperFill], dict[str, str]]:
        """(fills, per-leg errors)."""
        fills: dict[str, PaperFill] = {}
        errors: dict[str, str] = {}
        for name, edit in self.prices.items():
            price = parse_price(edit.text())
            commission = parse_price(self.commissions[name].text()) or Decimal(0)
            if price is None or price < 0:
                errors[name] = "A fill price (≥ 0) is required"
                edit.set_invalid(True, errors[name])
                continue
            edit.set_invalid(False)
            fills[name] = PaperFill(price=price, commission=commission)
        return fills, errors

    def _update_summary(self, *_: object) -> None:
        plan = self.plan
        if plan is None:
            return
        parts = []
        total = Decimal(0)
        for gid, names in plan.groups.items():
            ratios, combos = line_ratios(plan, OrderLine(gid, list(names)))
            combo = Decimal(0)
            for name in names:
                price = parse_price(self.prices[name].text()) if name in self.prices else None
                if price is None:
                    combo = None  # type: ignore[assignment]
                    break
                combo += ratios.get(name, Decimal(0)) * price
            if combo is None:
                parts.append(f"Group {gid}: –")
                continue
            total += combo * combos * plan.multiplier(names[0])
            parts.append(f"Group {gid}: <b>{fmt_signed(combo)}</b> × {combos:f}")
        cash = -total - sum((parse_price(c.text()) or Decimal(0) for c in self.commissions.values()), Decimal(0))
        parts.append(f"cash {'received' if cash >= 0 else 'paid'} <b>{fmt_money(abs(cash))}</b>")
        self.summary.setText(" · ".join(parts))
