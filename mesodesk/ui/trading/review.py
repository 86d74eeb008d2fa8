"""Prepare progress and the proposed structure: legs (contracts, qty, live prices,
greeks), leg groups with their signed combo prices, condition checks, QtyMultiplier."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from mesodesk.contract import LivePrices
from mesodesk.core.state import contract_text
from mesodesk.ui.theme import colors, table_font
from mesodesk.ui.trading.model import (
    OrderLine,
    PlanView,
    combo_quote,
    fmt_price,
    fmt_signed,
    leg_mid,
    line_ratios,
)
from mesodesk.ui.trading.widgets import Banner, item, label

LEG_HEADERS = ["Leg", "Contract", "Qty", "Bid", "Ask", "Mid", "Delta", "Gamma", "Theta", "Vega", "IV %", "Group"]
GROUP_HEADERS = ["Group", "Legs", "Combos", "Bid", "Mid", "Ask (natural)", "Mid in words"]
COND_HEADERS = ["Check", "Statement", "Result", "Values"]


def _table(name: str, headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setObjectName(name)
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().setVisible(False)
    t.verticalHeader().setDefaultSectionSize(22)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setAlternatingRowColors(True)
    t.setShowGrid(False)
    t.setFont(table_font())
    t.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    t.horizontalHeader().setStretchLastSection(True)
    t.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return t


def _fit(t: QTableWidget, rows_min: int = 2) -> None:
    t.resizeColumnsToContents()
    for c in range(t.columnCount() - 1):
        t.setColumnWidth(c, t.columnWidth(c) + 14)
    h = t.horizontalHeader().height() + 22 * max(t.rowCount(), rows_min) + 6
    t.setFixedHeight(h)


class ReviewPage(QWidget):
    sig_continue = Signal()
    sig_cancel = Signal()
    sig_back = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("reviewPage")
        self.plan: PlanView | None = None
        self.title = label("Preparing…", "title", "reviewTitle")
        self.subtitle = label("", "subtitle", "reviewSubtitle")

        self.progress_box = QFrame()
        self.progress_box.setObjectName("progressBox")
        self.progress = QProgressBar()
        self.progress.setObjectName("prepareProgress")
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(8)
        self.progress_label = label("Building the position against live chains…", name="prepareStatus")
        self.cancel_button = QPushButton("Cancel build")
        self.cancel_button.setObjectName("cancelPrepareButton")
        self.cancel_button.clicked.connect(self.sig_cancel)
        pl = QVBoxLayout(self.progress_box)
        row = QHBoxLayout()
        row.addWidget(self.progress_label, 1)
        row.addWidget(self.cancel_button)
        pl.addLayout(row)
        pl.addWidget(self.progress)

        self.allowed = Banner("allowedBanner")
        self.legs = _table("legsTable", LEG_HEADERS)
        self.groups = _table("groupsTable", GROUP_HEADERS)
        self.conditions = _table("conditionsTable", COND_HEADERS)
        self.metrics = label("", None, "planMetrics")
        self.metrics.setTextFormat(Qt.TextFormat.RichText)
        self.vars_label = label("", "hint", "varsLabel")
        self.vars_label.setWordWrap(True)
        self.multiplier = QDoubleSpinBox()
        self.multiplier.setObjectName("qtyMultiplier")
        self.multiplier.setDecimals(0)
        self.multiplier.setRange(1, 1000)
        self.multiplier.setToolTip("QtyMultiplier override: scales every leg quantity of the entry")
        self.multiplier.valueChanged.connect(self._multiplier_changed)
        self.multiplier_row = QWidget()
        mr = QHBoxLayout(self.multiplier_row)
        mr.setContentsMargins(0, 0, 0, 0)
        mr.addWidget(QLabel("Qty multiplier"))
        mr.addWidget(self.multiplier)
        self.multiplier_hint = label("", "hint")
        mr.addWidget(self.multiplier_hint)
        mr.addStretch(1)

        self.body = QWidget()
        b = QVBoxLayout(self.body)
        b.setContentsMargins(0, 0, 0, 0)
        b.addWidget(self.allowed)
        b.addWidget(self.metrics)
        b.addWidget(label("Legs", "section"))
        b.addWidget(self.legs)
        b.addWidget(label("Leg groups (one combo order each)", "section"))
        b.addWidget(self.groups)
        self.conditions_title = label("Conditions", "section")
        b.addWidget(self.conditions_title)
        b.addWidget(self.conditions)
        b.addWidget(self.vars_label)
        b.addWidget(self.multiplier_row)
        self.body.hide()

        self.back_button = QPushButton("◂ Back")
        self.back_button.setObjectName("reviewBackButton")
        self.back_button.clicked.connect(self.sig_back)
        self.continue_button = QPushButton("Continue to order ▸")
        self.continue_button.setObjectName("continueButton")
        self.continue_button.setProperty("role", "primary")
        self.continue_button.setEnabled(False)
        self.continue_button.clicked.connect(self.sig_continue)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.continue_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.progress_box)
        layout.addWidget(self.body)
        layout.addStretch(1)
        layout.addLayout(buttons)

    # -- progress ----------------------------------------------------------------------
    def start(self, title: str, subtitle: str) -> None:
        self.plan = None
        self.title.setText(title)
        self.subtitle.setText(subtitle)
        self.progress_box.show()
        self.progress.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.body.hide()
        self.continue_button.setEnabled(False)

    def set_progress(self, text: str) -> None:
        self.progress_label.setText(text)

    def failed(self, text: str) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress_label.setText(text)
        self.cancel_button.setEnabled(False)

    # -- result --------------------------------------------------------------------------
    def show_plan(self, plan: PlanView, source: str = "") -> None:
        self.plan = plan
        r = plan.result
        self.progress_box.hide()
        self.title.setText(plan.title)
        self.subtitle.setText(f"{r.strategy_name} · account {plan.account}{' (paper)' if plan.paper else ''}"
                              f" · exec plan #{plan.exec_plan_id}" + (f" · via {source}" if source else ""))
        allowed = plan.allowed
        c = colors()
        if allowed is None:
            self.allowed.show_message(f"Prepared: {len(plan.legs)} legs in {len(plan.groups)} group(s).", "info")
        elif allowed:
            self.allowed.show_message("✓ Allowed: every abort condition is false and the entry checks pass.", "ok")
        else:
            failing = [cnd.statement for cnd in plan.conditions
                       if (cnd.type.value == "Abort" and cnd.result is not False) or cnd.result is None]
            self.allowed.show_message("✗ Not allowed" + (f": {'; '.join(failing)}" if failing else "")
                                      + ". You may still continue; the order step warns again.", "error")
        # conditions
        conds = plan.conditions
        self.conditions.setRowCount(len(conds))
        for i, cnd in enumerate(conds):
            ok = (cnd.result is False) if cnd.type.value == "Abort" else bool(cnd.result)
            if cnd.result is None:
                text, color = f"error: {cnd.error or 'evaluation failed'}", c.state_bad
            else:
                text = "true" if cnd.result else "false"
                color = c.state_ok if ok else c.state_bad
            self.conditions.setItem(i, 0, item(cnd.type.value))
            self.conditions.setItem(i, 1, item(cnd.statement))
            self.conditions.setItem(i, 2, item(("✓ " if ok else "✗ ") + text, color=color))
            values = ", ".join(f"{k}={v:.2f}" for k, v in (cnd.values or {}).items())
            self.conditions.setItem(i, 3, item(values))
        self.conditions.setVisible(bool(conds))
        self.conditions_title.setVisible(bool(conds))
        _fit(self.conditions, 1)
        und = r.underlying_price.mark if r.underlying_price is not None else None
        g = r.position_greeks.mark if r.position_greeks is not None else None
        parts = []
        if und is not None:
            legs = list(plan.legs.values())
            symbol = legs[0].underlying if legs else ""
            parts.append(f"{symbol} <b>{und:,.2f}</b>")
        if g is not None:
            parts.append(" ".join(f"{sym} <b>{getattr(g, attr):.{3 if attr == 'gamma' else 2}f}</b>" for sym, attr in
                                  (("Δ", "delta"), ("Γ", "gamma"), ("Θ", "theta"), ("V", "vega"))
                                  if getattr(g, attr, None) is not None))
        self.metrics.setText("  ·  ".join(parts) + ("  <span style='color:gray'>(position greeks at mark, "
                                                     "per prepared size)</span>" if g is not None else ""))
        vars_ = getattr(r, "vars", {}) or {}
        self.vars_label.setText("Vars: " + ", ".join(f"{k} = {v:.4g}" for k, v in vars_.items()) if vars_ else "")
        # multiplier
        is_entry = plan.kind == "entry"
        self.multiplier_row.setVisible(is_entry)
        if is_entry:
            base = plan.base_multiplier or Decimal(1)
            self.multiplier.blockSignals(True)
            self.multiplier.setValue(float(plan.qty_multiplier or base))
            self.multiplier.blockSignals(False)
            self.multiplier_hint.setText(f"prepared with {base:f}; quantities below scale with it")
        self.refresh({}, fit=True)
        self.body.show()
        self.continue_button.setEnabled(True)
        self.continue_button.setText("Continue to order ▸" if allowed is not False else "Continue anyway ▸")
        self.continue_button.setFocus()

    def _multiplier_changed(self, value: float) -> None:
        if self.plan is not None and self.plan.kind == "entry":
            self.plan.qty_multiplier = Decimal(int(value))
            self.refresh({}, fit=False)

    def refresh(self, live: dict[str, LivePrices], fit: bool = False) -> None:
        plan = self.plan
        if plan is None:
            return
        r = plan.result
        names = list(plan.legs)
        quotes = {n: live.get(n) or r.leg_prices.get(n) for n in names}
        self.legs.setRowCount(len(names))
        c = colors()
        for i, name in enumerate(names):
            leg = plan.legs[name]
            p = quotes[name]
            g = r.leg_greeks.get(name)
            values = g.mark if g is not None else None
            qty = plan.planned_qty(name)
            color = c.positive.name() if qty > 0 else c.negative.name() if qty < 0 else None
            self.legs.setItem(i, 0, item(name))
            self.legs.setItem(i, 1, item(contract_text(leg.live_contract)))
            self.legs.setItem(i, 2, item(f"{qty:+f}", True, color))
            self.legs.setItem(i, 3, item(fmt_price(p.bid if p else None), True))
            self.legs.setItem(i, 4, item(fmt_price(p.ask if p else None), True))
            self.legs.setItem(i, 5, item(fmt_price(leg_mid(p)), True))
            for col, attr, places in ((6, "delta", 2), (7, "gamma", 3), (8, "theta", 2), (9, "vega", 2),
                                      (10, "iv", 1)):
                self.legs.setItem(i, col, item(fmt_price(getattr(values, attr, None) if values else None, places),
                                               True))
            self.legs.setItem(i, 11, item(str(leg.leg_group_id), True))
        if fit:
            _fit(self.legs)
        self.groups.setRowCount(len(plan.groups))
        for i, (gid, legs) in enumerate(plan.groups.items()):
            ratios, combos = line_ratios(plan, OrderLine(gid, list(legs)))
            q = combo_quote(ratios, {n: p for n, p in quotes.items() if p is not None})
            self.groups.setItem(i, 0, item(str(gid), True))
            self.groups.setItem(i, 1, item(" / ".join(f"{n} {ratios.get(n, 0):+g}" for n in legs)))
            self.groups.setItem(i, 2, item(f"{combos:f}", True))
            self.groups.setItem(i, 3, item(fmt_price(q.bid), True))
            self.groups.setItem(i, 4, item(fmt_price(q.mid), True))
            self.groups.setItem(i, 5, item(fmt_price(q.ask), True))
            self.groups.setItem(i, 6, item(fmt_signed(q.mid)))
        if fit:
            _fit(self.groups, 1)
