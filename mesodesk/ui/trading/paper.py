"""The paper-fill step: one row per leg with the fill price (per contract, positive; it follows
the live mid until edited), the quantity the plan fills, the leg's bid/mid/ask with quick
buttons, and a commission; Commit sends ApplyPaperFills. Fills that need a second look
(zero, outside the market, far from mid) are listed in a confirmation that names the leg,
the price and the quote. Everything is computed by :class:`mesodesk.core.trading.paper.PaperSheet`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mesodesk.core.formatting import fmt_money, fmt_price
from mesodesk.core.state import contract_text
from mesodesk.core.trading.paper import PaperSheet
from mesodesk.core.trading.pricing import leg_mid, signed_words
from mesodesk.ui.trading.widgets import PriceEdit, item, label

HEADERS = ["Leg", "Contract", "Fill qty", "Bid", "Mid", "Ask", "Quick", "Fill price", "Commission"]
COL_PRICE, COL_COMMISSION = 7, 8


class PaperFillPage(QWidget):
    sig_commit = Signal()
    sig_back = Signal()
    sig_edited = Signal()
    """A fill price or commission changed (the window clears a resolved error message)."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("paperFillPage")
        self.sheet: PaperSheet | None = None
        self.prices: dict[str, PriceEdit] = {}
        self.commissions: dict[str, QLineEdit] = {}
        self.title = label("Paper trade", "title", "paperTitle")
        self.subtitle = label("Fill prices are per contract and positive (the side comes from the quantity). "
                              "They follow the live mid until you type one; “All at mid” makes them follow again.",
                              "subtitle")
        self.subtitle.setWordWrap(True)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("paperFillsTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(30)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.errors = label("", "fieldError", "paperErrors")
        self.errors.setWordWrap(True)
        self.mid_button = QPushButton("All at mid")
        self.mid_button.setObjectName("paperAllMidButton")
        self.mid_button.clicked.connect(self.fill_mid)
        self.summary = label("", None, "paperSummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.confirm_panel = QFrame()
        self.confirm_panel.setObjectName("confirmPanel")
        self.confirm_text = label("", None, "paperConfirmText")
        self.confirm_text.setWordWrap(True)
        self.confirm_text.setTextFormat(Qt.TextFormat.RichText)
        self.confirm_button = QPushButton("Commit anyway  (Ctrl+Enter)")
        self.confirm_button.setObjectName("paperConfirmButton")
        self.confirm_button.setProperty("role", "primary")
        self.confirm_button.clicked.connect(self.sig_commit)
        self.confirm_edit = QPushButton("Edit")
        self.confirm_edit.setObjectName("paperConfirmEdit")
        self.confirm_edit.clicked.connect(self.hide_confirm)
        cl = QVBoxLayout(self.confirm_panel)
        cl.addWidget(self.confirm_text)
        cb = QHBoxLayout()
        cb.addStretch(1)
        cb.addWidget(self.confirm_edit)
        cb.addWidget(self.confirm_button)
        cl.addLayout(cb)
        self.confirm_panel.hide()
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
        layout.addWidget(self.errors)
        layout.addWidget(self.summary)
        layout.addWidget(self.confirm_panel)
        layout.addStretch(1)
        layout.addLayout(buttons)

    def set_sheet(self, sheet: PaperSheet) -> None:
        self.sheet = sheet
        plan = sheet.plan
        self.title.setText(f"Paper trade · {plan.title}")
        names = list(sheet.legs)
        self.table.setRowCount(len(names))
        self.prices.clear()
        self.commissions.clear()
        for i, name in enumerate(names):
            leg = plan.legs[name]
            self.table.setItem(i, 0, item(name))
            self.table.setItem(i, 1, item(contract_text(leg.live_contract)))
            self.table.setItem(i, 2, item(f"{plan.planned_qty(name):+f}", True))
            quick = QWidget()
            ql = QHBoxLayout(quick)
            ql.setContentsMargins(2, 0, 2, 0)
            ql.setSpacing(2)
            for kind in ("bid", "mid", "ask"):
                b = QToolButton()
                b.setText(kind.title())
                b.setObjectName(f"paper_{kind}_{name}")
                b.setToolTip(f"Fill {name} at its {kind}")
                b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                b.clicked.connect(lambda _=False, n=name, k=kind: self.quick(n, k))
                ql.addWidget(b)
            self.table.setCellWidget(i, 6, quick)
            edit = PriceEdit(f"fill_{name}")
            edit.textEdited.connect(lambda text, n=name: self._price_typed(n, text))
            commission = QLineEdit(sheet.legs[name].commission_text)
            commission.setObjectName(f"commission_{name}")
            commission.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            commission.setMaximumWidth(90)
            commission.textEdited.connect(lambda text, n=name: self._commission_typed(n, text))
            self.table.setCellWidget(i, COL_PRICE, edit)
            self.table.setCellWidget(i, COL_COMMISSION, commission)
            self.prices[name] = edit
            self.commissions[name] = commission
        self.refresh()
        self.table.resizeColumnsToContents()
        for c in range(self.table.columnCount()):
            self.table.setColumnWidth(c, max(self.table.columnWidth(c) + 16, 70))
        self.table.setColumnWidth(COL_PRICE, 110)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setFixedHeight(self.table.horizontalHeader().height() + 30 * len(names) + 4)
        self.hide_confirm()
        if self.prices:
            next(iter(self.prices.values())).setFocus()

    # -- editing -----------------------------------------------------------------------------------
    def _price_typed(self, name: str, text: str) -> None:
        assert self.sheet is not None
        error = self.sheet.set_price(name, text)
        self.prices[name].set_invalid(bool(error), error or "")
        self.hide_confirm()
        self._update_summary()
        self.sig_edited.emit()

    def _commission_typed(self, name: str, text: str) -> None:
        assert self.sheet is not None
        error = self.sheet.set_commission(name, text)
        edit = self.commissions[name]
        edit.setProperty("invalid", "true" if error else "false")
        edit.setToolTip(error or "")
        edit.style().unpolish(edit)
        edit.style().polish(edit)
        self.hide_confirm()
        self._update_summary()
        self.sig_edited.emit()

    def quick(self, name: str, kind: str) -> None:
        if self.sheet is not None and self.sheet.quick(name, kind) is not None:
            self.prices[name].setText(self.sheet.legs[name].text)
            self.prices[name].set_invalid(False)
            self.hide_confirm()
            self._update_summary()
            self.sig_edited.emit()

    def fill_mid(self) -> None:
        if self.sheet is None:
            return
        self.sheet.all_at_mid()
        for name, edit in self.prices.items():
            edit.setText(self.sheet.legs[name].text)
            edit.set_invalid(False)
        self.hide_confirm()
        self._update_summary()
        self.sig_edited.emit()

    # -- live --------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Quotes, prices that follow the mid, and the preview (the window calls this at screen rate)."""
        sheet = self.sheet
        if sheet is None:
            return
        quotes = sheet.quotes()
        for i, name in enumerate(sheet.legs):
            p = quotes.get(name)
            self.table.setItem(i, 3, item(fmt_price(p.bid if p else None), True))
            self.table.setItem(i, 4, item(fmt_price(leg_mid(p)), True))
            self.table.setItem(i, 5, item(fmt_price(p.ask if p else None), True))
        for name in sheet.follow_market():
            edit = self.prices[name]
            if not edit.hasFocus():
                edit.setText(sheet.legs[name].text)
        for name, edit in self.prices.items():
            if not edit.text() and sheet.legs[name].text and not sheet.legs[name].edited:
                edit.setText(sheet.legs[name].text)
        self._update_summary()

    def _update_summary(self) -> None:
        sheet = self.sheet
        if sheet is None:
            return
        preview = sheet.preview()
        errors = sheet.errors()
        self.errors.setText("<br>".join(f"<b>{n}</b>: {e}" for n, e in errors.items()))
        self.errors.setVisible(bool(errors))
        parts = []
        for g in preview.groups:
            price = "–" if g.price is None else signed_words(g.price)
            parts.append(f"Group {g.group_id}: <b>{price}</b> × {g.combos:f}")
        if preview.cash is not None:
            parts.append(f"cash {'received' if preview.cash >= 0 else 'paid'} <b>{fmt_money(abs(preview.cash))}</b>"
                         + (f" (after {fmt_money(preview.commission)} commission)" if preview.commission else ""))
        if preview.realizes is not None:
            parts.append(f"realizes <b>{fmt_money(preview.realizes)}</b>")
        self.summary.setText(" · ".join(parts))

    # -- confirmation ------------------------------------------------------------------------------
    def show_confirm(self, warnings: list[str]) -> None:
        self.confirm_text.setText("<b>Check these fills before committing:</b><br>⚠ " + "<br>⚠ ".join(warnings))
        self.confirm_panel.show()
        self.confirm_button.setFocus()

    def hide_confirm(self) -> None:
        self.confirm_panel.hide()

    @property
    def confirming(self) -> bool:
        return self.confirm_panel.isVisible()

    def committed(self) -> None:
        for w in (*self.prices.values(), *self.commissions.values()):
            w.setEnabled(False)
        self.mid_button.setEnabled(False)
        self.hide_confirm()
