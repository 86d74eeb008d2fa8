"""Prepare progress and the proposed structure: legs (contracts, order qty, live prices,
greeks), leg groups with their signed combo prices, the checks, the greeks before and after,
max profit / max loss for entries, and the QtyMultiplier."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from mesodesk.contract import (
    ConditionEvaluation,
    ConditionType,
    LiveGreekValues,
    PreparePositionAdjustmentResult,
)
from mesodesk.core.formatting import fmt_money, fmt_price
from mesodesk.core.state import contract_text
from mesodesk.core.trading.exit_rules import exit_trigger, rule_lines
from mesodesk.core.trading.plan import FlowKind, OrderLine, PlanView, line_ratios
from mesodesk.core.trading.pricing import combo_quote, leg_mid, signed_words
from mesodesk.core.trading.ticket import Ticket
from mesodesk.ui.theme import colors, table_font
from mesodesk.ui.trading.setup import trigger_text
from mesodesk.ui.trading.widgets import Banner, item, label

LEG_HEADERS = ["Leg", "Contract", "Order qty", "Bid", "Ask", "Mid", "Delta", "Gamma", "Theta", "Vega", "IV %", "Group"]
GROUP_HEADERS = ["Group", "Legs", "Combos", "Bid", "Mid", "Ask (natural)", "Mid in words"]
COND_HEADERS = ["Check", "Statement", "Result", "Values"]
EXIT_RULE_HEADERS = ["Rule", "Target", "Result", "Now"]
GREEK_HEADERS = ["", "Delta", "Gamma", "Theta", "Vega"]
GREEKS = (("delta", 2), ("gamma", 4), ("theta", 2), ("vega", 2))
MAX_MULTIPLIER = 100_000


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


def _greeks(values: LiveGreekValues | None, scale: Decimal = Decimal(1)) -> dict[str, Decimal] | None:
    if values is None:
        return None
    return {name: (getattr(values, name) or Decimal(0)) * scale for name, _ in GREEKS}


class ReviewPage(QWidget):
    sig_continue = Signal()
    sig_cancel = Signal()
    sig_back = Signal()
    sig_multiplier = Signal()
    """The entry's QtyMultiplier changed (the plan already carries it)."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("reviewPage")
        self.plan: PlanView | None = None
        self.ticket: Ticket | None = None
        self.position_greeks: LiveGreekValues | None = None
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
        self.trigger = Banner("triggerBanner")
        self.legs = _table("legsTable", LEG_HEADERS)
        self.groups = _table("groupsTable", GROUP_HEADERS)
        self.conditions = _table("conditionsTable", COND_HEADERS)
        self.greeks = _table("greeksTable", GREEK_HEADERS)
        self.greeks.horizontalHeader().setStretchLastSection(False)
        self.metrics = label("", None, "planMetrics")
        self.metrics.setTextFormat(Qt.TextFormat.RichText)
        self.metrics.setWordWrap(True)
        self.risk = label("", None, "planRisk")
        self.risk.setTextFormat(Qt.TextFormat.RichText)
        self.risk.setWordWrap(True)
        self.vars_label = label("", "hint", "varsLabel")
        self.vars_label.setWordWrap(True)
        self.multiplier = QLineEdit()
        self.multiplier.setObjectName("qtyMultiplier")
        self.multiplier.setMaximumWidth(90)
        self.multiplier.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.multiplier.setToolTip("QtyMultiplier: scales every leg quantity of the entry (a whole number ≥ 1)")
        self.multiplier.textEdited.connect(self._multiplier_edited)
        self.multiplier_error = label("", "fieldError", "qtyMultiplierError")
        self.multiplier_row = QWidget()
        mr = QHBoxLayout(self.multiplier_row)
        mr.setContentsMargins(0, 0, 0, 0)
        mr.addWidget(QLabel("Qty multiplier"))
        mr.addWidget(self.multiplier)
        self.multiplier_hint = label("", "hint")
        mr.addWidget(self.multiplier_hint)
        mr.addWidget(self.multiplier_error)
        mr.addStretch(1)

        self.body = QWidget()
        b = QVBoxLayout(self.body)
        b.setContentsMargins(0, 0, 0, 0)
        b.addWidget(self.allowed)
        b.addWidget(self.trigger)
        b.addWidget(self.metrics)
        b.addWidget(self.multiplier_row)
        b.addWidget(self.risk)
        b.addWidget(label("Legs", "section"))
        b.addWidget(self.legs)
        b.addWidget(label("Leg groups (one combo order each)", "section"))
        b.addWidget(self.groups)
        self.greeks_title = label("Greeks", "section", "greeksTitle")
        b.addWidget(self.greeks_title)
        b.addWidget(self.greeks)
        self.conditions_title = label("Conditions", "section")
        b.addWidget(self.conditions_title)
        b.addWidget(self.conditions)
        b.addWidget(self.vars_label)
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
        self.ticket = None
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
    def show_plan(self, ticket: Ticket, source: str = "", *, position_greeks: LiveGreekValues | None = None,
                  trigger: ConditionEvaluation | None = None) -> None:
        plan = ticket.plan
        self.plan, self.ticket, self.position_greeks = plan, ticket, position_greeks
        r = plan.result
        self.progress_box.hide()
        self.title.setText(plan.title)
        self.subtitle.setText(f"{r.strategy_name} · account {plan.account}{' (paper)' if plan.paper else ''}"
                              f" · exec plan #{plan.exec_plan_id}" + (f" · via {source}" if source else ""))
        self._show_checks(plan, trigger)
        conds = plan.conditions
        c = colors()
        self.conditions.setRowCount(len(conds))
        for i, cnd in enumerate(conds):
            ok = (cnd.result is False) if cnd.type == ConditionType.Abort else bool(cnd.result)
            if cnd.result is None:
                text, color = f"error: {cnd.error or 'evaluation failed'}", c.state_bad
            else:
                text = "true" if cnd.result else "false"
                color = c.state_ok if ok else c.state_bad
            self.conditions.setItem(i, 0, item(cnd.type.value))
            self.conditions.setItem(i, 1, item(cnd.statement))
            self.conditions.setItem(i, 2, item(("✓ " if ok else "✗ ") + text, color=color))
            self.conditions.setItem(i, 3, item(", ".join(f"{k}={v:.2f}" for k, v in (cnd.values or {}).items())))
        self.conditions.setVisible(bool(conds))
        self.conditions_title.setVisible(bool(conds))
        self.conditions_title.setText("Conditions")
        self.conditions.setHorizontalHeaderLabels(COND_HEADERS)
        if plan.kind is FlowKind.EXIT:
            self._show_exit_rules(plan)
        _fit(self.conditions, 1)
        self.vars_label.setText("Vars: " + ", ".join(f"{k} = {v:.4g}" for k, v in r.vars.items()) if r.vars else "")
        is_entry = plan.kind is FlowKind.ENTRY
        self.multiplier_row.setVisible(is_entry)
        if is_entry:
            base = plan.base_multiplier or Decimal(1)
            self.multiplier.setText(f"{(plan.qty_multiplier or base):f}")
            self.multiplier_error.setText("")
            self.multiplier_hint.setText(f"prepared with {base:f}; quantities, greeks and risk scale with it")
        self.refresh(fit=True)
        self.body.show()
        self.continue_button.setEnabled(True)
        self.continue_button.setText("Continue to order ▸" if plan.allowed is not False else "Continue anyway ▸")
        self.continue_button.setFocus()

    def _show_checks(self, plan: PlanView, trigger: ConditionEvaluation | None) -> None:
        allowed = plan.allowed
        if plan.kind is FlowKind.EXIT:
            self.allowed.show_message(f"Exit: {len(plan.legs)} legs in {len(plan.groups)} group(s) close the "
                                      "position.", "info")
        elif allowed is None or (plan.kind is FlowKind.ADJUSTMENT and allowed and not plan.conditions):
            self.allowed.show_message(f"Prepared: {len(plan.legs)} legs in {len(plan.groups)} group(s); "
                                      "no abort condition applies.", "info")
        elif allowed:
            what = "the entry checks pass" if plan.kind is FlowKind.ENTRY else "no abort condition is true"
            self.allowed.show_message(f"✓ Allowed: {what}.", "ok")
        else:
            failing = [cnd.statement for cnd in plan.conditions
                       if (cnd.type == ConditionType.Abort and cnd.result is not False) or cnd.result is None]
            self.allowed.show_message("✗ Not allowed" + (f": {'; '.join(failing)}" if failing else "")
                                      + ". You may still continue; the order step warns again.", "error")
        r = plan.result
        if isinstance(r, PreparePositionAdjustmentResult):
            if trigger is None:
                self.trigger.show_message(f"Trigger <b>{r.condition}</b>: no signal received for it — this is a "
                                          "manual adjustment.", "warn")
            elif trigger.result:
                self.trigger.show_message(f"Trigger <b>{r.condition}</b>: "
                                          f"{trigger_text(trigger.result, trigger.values)}.", "ok")
            else:
                self.trigger.show_message(f"Trigger <b>{r.condition}</b>: "
                                          f"{trigger_text(trigger.result, trigger.values)} — adjusting now is a "
                                          "manual override.", "warn")
        elif plan.kind is FlowKind.EXIT:
            why = exit_trigger(plan.exit_signal)
            self.trigger.show_message(f"<b>Why exit:</b> {escape(why.text)}", why.tone)
        else:
            self.trigger.clear_message()

    def _show_exit_rules(self, plan: PlanView) -> None:
        """The exit rules with the targets the server computed for this position (its whole quantity)."""
        result = plan.exit_signal.exit_signal_result if plan.exit_signal is not None else None
        lines = rule_lines(result) if result is not None else []
        c = colors()
        self.conditions.setHorizontalHeaderLabels(EXIT_RULE_HEADERS)
        self.conditions.setRowCount(len(lines))
        for i, line in enumerate(lines):
            self.conditions.setItem(i, 0, item(line.rule))
            self.conditions.setItem(i, 1, item(line.target))
            self.conditions.setItem(i, 2, item(("✓ " if line.hit else "· ") + line.state,
                                               color=c.state_ok if line.hit else None))
            self.conditions.setItem(i, 3, item(line.now))
        self.conditions.setVisible(bool(lines))
        self.conditions_title.setVisible(bool(lines))
        self.conditions_title.setText("Exit rules (the server's last evaluation, whole position)")

    def _multiplier_edited(self, text: str) -> None:
        plan = self.plan
        if plan is None or plan.kind is not FlowKind.ENTRY:
            return
        value = text.strip().replace(",", "")
        error = ""
        if not value.isdigit() or int(value) < 1:
            error = "A whole number of at least 1"
        elif int(value) > MAX_MULTIPLIER:
            error = f"At most {MAX_MULTIPLIER:,}"
        self.multiplier_error.setText(error)
        self.multiplier.setProperty("invalid", "true" if error else "false")
        self.multiplier.style().unpolish(self.multiplier)
        self.multiplier.style().polish(self.multiplier)
        self.continue_button.setEnabled(not error)
        if error:
            return
        plan.qty_multiplier = Decimal(int(value))
        self.sig_multiplier.emit()
        self.refresh()

    def refresh(self, fit: bool = False) -> None:
        plan, ticket = self.plan, self.ticket
        if plan is None or ticket is None:
            return
        r = plan.result
        quotes = ticket.quotes()
        names = list(plan.legs)
        self.legs.setRowCount(len(names))
        c = colors()
        for i, name in enumerate(names):
            leg = plan.legs[name]
            p = quotes.get(name)
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
            scale = plan.scale  # the prepared legs' greeks, at the chosen size
            for col, (attr, places) in enumerate(GREEKS, start=6):
                value = getattr(values, attr, None) if values else None
                self.legs.setItem(i, col, item(fmt_price(value * scale if value is not None else None, places), True))
            self.legs.setItem(i, 10, item(fmt_price(values.iv if values else None, 1), True))
            self.legs.setItem(i, 11, item(str(leg.leg_group_id), True))
        self.groups.setRowCount(len(plan.groups))
        for i, (gid, legs) in enumerate(plan.groups.items()):
            ratios, combos = line_ratios(plan, OrderLine(gid, list(legs)))
            q = combo_quote(ratios, quotes)
            self.groups.setItem(i, 0, item(str(gid), True))
            self.groups.setItem(i, 1, item(" / ".join(f"{n} {ratios.get(n, 0):+g}" for n in legs)))
            self.groups.setItem(i, 2, item(f"{combos:f}", True))
            self.groups.setItem(i, 3, item(fmt_price(q.bid), True))
            self.groups.setItem(i, 4, item(fmt_price(q.mid), True))
            self.groups.setItem(i, 5, item(fmt_price(q.ask), True))
            self.groups.setItem(i, 6, item(signed_words(q.mid)))
        self._show_greeks()
        self._show_metrics()
        if fit:
            _fit(self.legs)
            _fit(self.groups, 1)

    def _show_greeks(self) -> None:
        """Entry: the order's greeks at the chosen size. Exit / adjustment: position now, this
        order, and the position after it fills."""
        plan = self.plan
        assert plan is not None
        order_values = plan.result.position_greeks.mark if plan.result.position_greeks is not None else None
        if plan.kind is FlowKind.EXIT:
            order = _greeks(order_values, Decimal(-1))  # the blocks price the legs as held
        else:
            order = _greeks(order_values, plan.scale)
        rows: list[tuple[str, dict[str, Decimal] | None]]
        if plan.kind is FlowKind.ENTRY:
            rows = [("This order (new position)", order)]
            self.greeks_title.setText("Greeks of the new position (at mark, at the chosen size)")
        else:
            before = _greeks(self.position_greeks)
            after = None if before is None or order is None else {k: before[k] + order[k] for k in before}
            rows = [("Position now", before), ("This order", order), ("Position after", after)]
            self.greeks_title.setText("Greeks (at mark)")
        self.greeks.setRowCount(len(rows))
        for i, (name, values) in enumerate(rows):
            self.greeks.setItem(i, 0, item(name))
            for col, (attr, places) in enumerate(GREEKS, start=1):
                v = values.get(attr) if values is not None else None
                self.greeks.setItem(i, col, item(fmt_price(v, places), True))
        _fit(self.greeks, 1)

    def _show_metrics(self) -> None:
        plan, ticket = self.plan, self.ticket
        assert plan is not None and ticket is not None
        r = plan.result
        und = r.underlying_price.mark if r.underlying_price is not None else None
        legs = list(plan.legs.values())
        symbol = legs[0].underlying if legs else ""
        self.metrics.setText(f"{symbol} <b>{und:,.2f}</b>" if und is not None else "")
        totals = ticket.totals()
        parts = []
        if plan.kind is FlowKind.ENTRY:
            mids = [ticket.line_quote(line).mid for line in ticket.lines]
            if all(m is not None for m in mids):
                price_words = " + ".join(signed_words(m) for m in mids if m is not None)
                parts.append(f"At mid ({price_words} per combo):")
            if totals.risk_defined:
                parts.append(f"max profit <b>{fmt_money(totals.max_profit)}</b> · max loss "
                             f"<b>{fmt_money(totals.max_loss)}</b> · buying power <b>{fmt_money(totals.buying_power)}</b>")
            else:
                parts.append("max loss <b>not defined</b> (naked short options, or several expirations)")
            parts.append(f"· {totals.contracts:f} contracts · order value {fmt_money(totals.value)}")
        elif totals.realizes is not None:
            approx = "" if totals.realizes_exact else "≈ "
            parts.append(f"Filled at mid this realizes <b>{approx}{fmt_money(totals.realizes)}</b>"
                         + (f" (incl. est. commission {fmt_money(totals.commission)})" if totals.commission else ""))
        self.risk.setText(" ".join(parts))
        self.risk.setVisible(bool(parts))
