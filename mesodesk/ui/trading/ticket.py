"""The order ticket: one card per order line (a leg group, or part of one after a
split) with type, TIF, signed limit/stop price, live Bid/Mid/Ask quick prices, the
order's live state; a summary with size, order value and (exits) the PnL it would
realize; the guard warnings and the inline confirmation."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from mesodesk.contract import LivePrices, OrderState, OrderType, TimeInForce
from mesodesk.core.state import contract_text
from mesodesk.ui.theme import colors, table_font
from mesodesk.ui.trading.model import (
    PRICED_TYPES,
    STOP_TYPES,
    ComboQuote,
    OrderLine,
    PlanView,
    exit_pnl,
    fmt_money,
    fmt_price,
    fmt_signed,
    leg_mid,
    line_combos,
    line_notional,
    line_ratios,
    parse_price,
    reference_price,
    round_tick,
)
from mesodesk.ui.trading.widgets import Badge, Banner, PriceEdit, item, label

CONVENTION = ("Prices are per combo and signed: <b>+ debit</b> (you pay) · <b>− credit</b> (you receive). "
              "Each order buys its combo as defined, so <b>Ask</b> is the marketable price and <b>Bid</b> "
              "the passive one. Keys: B / M / A set bid / mid / ask.")


class LineWidget(QFrame):
    sig_changed = Signal()
    sig_split = Signal(object)
    sig_focus = Signal(object)

    def __init__(self, index: int, line: OrderLine, plan: PlanView, paper: bool,
                 quick_keys: Callable[[], dict[str, QKeySequence]]) -> None:
        super().__init__()
        self.setObjectName("lineCard")
        self.setProperty("lineIndex", index)
        self.line = line
        self.plan = plan
        self.paper = paper
        self.quote = ComboQuote()
        ratios, combos = line_ratios(plan, line)
        legs_text = " / ".join(f"{n} {ratios.get(n, 0):+g}" for n in line.leg_names)
        self.title = label(f"{line.label}", "section")
        self.legs_label = label(legs_text, "hint")
        self.badge = Badge("stateBadge")
        self.qty = QDoubleSpinBox()
        self.qty.setObjectName("qtySpin")
        self.qty.setDecimals(0)
        self.qty.setRange(1, 100_000)
        self.qty.setValue(float(line.qty if line.qty is not None else combos))
        self.qty.setToolTip("Number of combos (default: what the plan has left)")
        self.qty.setEnabled(not paper)
        self.default_combos = combos

        self.order_type = QComboBox()
        self.order_type.setObjectName("orderTypeCombo")
        for t in OrderType:
            self.order_type.addItem(t.value, t)
        self.order_type.setCurrentIndex(list(OrderType).index(line.order_type))
        self.tif = QComboBox()
        self.tif.setObjectName("tifCombo")
        for t in TimeInForce:
            self.tif.addItem(t.value, t)
        self.tif.setCurrentIndex(list(TimeInForce).index(line.tif))
        self.limit = PriceEdit("limitPrice", quick_keys)
        self.limit.setPlaceholderText("limit")
        self.stop = PriceEdit("stopPrice", quick_keys)
        self.stop.setPlaceholderText("stop")
        if line.limit_price is not None:
            self.limit.setText(f"{line.limit_price:.2f}")
        if line.stop_price is not None:
            self.stop.setText(f"{line.stop_price:.2f}")
        self.limit_words = label("", "hint", "limitWords")
        self.limit_error = label("", "fieldError", "limitError")
        self.stop_error = label("", "fieldError", "stopError")
        self.qty_error = label("", "fieldError", "qtyError")
        self.quick: dict[str, QPushButton] = {}
        for kind in ("bid", "mid", "ask"):
            b = QPushButton(kind.title())
            b.setObjectName(f"{kind}Button")
            b.setProperty("role", "quick")
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _=False, k=kind: self.apply_quick(k))
            self.quick[kind] = b
        self.quick["ask"].setToolTip("Natural (marketable) combo price")
        self.info = label("", "hint", "lineInfo")
        self.pnl = label("", None, "exitPnl")
        self.rejection = label("", "fieldError", "rejectionLabel")
        self.rejection.setWordWrap(True)
        self.split_button = QPushButton("Split into single legs")
        self.split_button.setObjectName("splitButton")
        self.split_button.setToolTip("Send each leg as its own order (when a broker rejects the combo)")
        self.split_button.setVisible(len(line.leg_names) > 1 and not paper)
        self.split_button.clicked.connect(lambda: self.sig_split.emit(self.line))

        self.side_tag = label("", None, "sideTag")
        self.legs_table = QTableWidget(len(line.leg_names), 6)
        self.legs_table.setObjectName("lineLegs")
        self.legs_table.setHorizontalHeaderLabels(["Leg", "Contract", "Ratio", "Bid", "Mid", "Ask"])
        self.legs_table.verticalHeader().setVisible(False)
        self.legs_table.verticalHeader().setDefaultSectionSize(20)
        self.legs_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.legs_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.legs_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.legs_table.setShowGrid(False)
        self.legs_table.setFont(table_font())
        self.legs_table.horizontalHeader().setStretchLastSection(False)
        self.legs_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.legs_table.setFixedHeight(self.legs_table.horizontalHeader().sizeHint().height()
                                       + 20 * len(line.leg_names) + 4)
        for r, name in enumerate(line.leg_names):
            leg = plan.legs.get(name)
            self.legs_table.setItem(r, 0, item(name))
            self.legs_table.setItem(r, 1, item(contract_text(leg.live_contract) if leg else ""))
            ratio = ratios.get(name, Decimal(0))
            c = colors()
            self.legs_table.setItem(r, 2, item(f"{ratio:+g}", True, c.positive.name() if ratio > 0
                                               else c.negative.name()))
        self.split_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)

        box = QVBoxLayout(self)
        box.setContentsMargins(12, 8, 12, 10)
        box.setSpacing(6)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.side_tag)
        head.addWidget(self.legs_label)
        head.addStretch(1)
        combos_label = QLabel("Combos")
        head.addWidget(combos_label)
        head.addWidget(self.qty)
        head.addSpacing(8)
        head.addWidget(self.badge)
        box.addLayout(head)
        controls = QHBoxLayout()
        controls.setSpacing(6)
        if not paper:
            for text, w in (("Type", self.order_type), ("TIF", self.tif), ("Limit", self.limit), ("Stop", self.stop)):
                controls.addWidget(QLabel(text))
                controls.addWidget(w)
                controls.addSpacing(8)
        else:
            combos_label.hide()
            self.qty.hide()
        controls.addStretch(1)
        for b in self.quick.values():
            controls.addWidget(b)
            b.setEnabled(not paper)
        box.addLayout(controls)
        errors = QHBoxLayout()
        errors.addWidget(self.limit_words)
        errors.addStretch(1)
        errors.addWidget(self.limit_error)
        errors.addWidget(self.stop_error)
        errors.addWidget(self.qty_error)
        box.addLayout(errors)
        box.addWidget(self.legs_table)
        foot = QHBoxLayout()
        foot.addWidget(self.info)
        foot.addStretch(1)
        foot.addWidget(self.pnl)
        foot.addSpacing(12)
        foot.addWidget(self.split_button)
        box.addLayout(foot)
        box.addWidget(self.rejection)
        self.qty.setMinimumWidth(72)
        self.limit.setMinimumWidth(88)
        self.stop.setMinimumWidth(88)
        self.order_type.setMinimumWidth(96)

        for w in (self.order_type, self.tif):
            w.currentIndexChanged.connect(self._edited)
        for e in (self.limit, self.stop):
            e.textChanged.connect(self._edited)
            e.sig_quick.connect(self.apply_quick)
        self.qty.valueChanged.connect(self._edited)
        self._sync_enabled()
        self.set_state()

    # -- editing -------------------------------------------------------------------------
    def _edited(self, *_: object) -> None:
        self.read()
        self._sync_enabled()
        self.show_errors({})
        self.sig_changed.emit()

    def _sync_enabled(self) -> None:
        t = self.order_type.currentData()
        locked = self.line.order_id is not None and self.line.state != OrderState.Rejected
        self.limit.setEnabled(t in PRICED_TYPES and not self.line.done)
        self.stop.setEnabled(t in STOP_TYPES and not locked)
        self.order_type.setEnabled(not locked)
        self.tif.setEnabled(not locked)
        self.qty.setEnabled(not locked and not self.paper)

    def read(self) -> OrderLine:
        line = self.line
        line.order_type = OrderType(self.order_type.currentData())
        line.tif = TimeInForce(self.tif.currentData())
        line.limit_price = parse_price(self.limit.text()) if line.order_type in PRICED_TYPES else None
        line.stop_price = parse_price(self.stop.text()) if line.order_type in STOP_TYPES else None
        combos = Decimal(int(self.qty.value()))
        line.qty = None if combos == self.default_combos else combos
        return line

    def apply_quick(self, kind: str) -> None:
        value = getattr(self.quote, kind)
        if value is None or self.paper:
            return
        price = round_tick(value, {"bid": "down", "ask": "up"}.get(kind, "nearest"))
        if self.order_type.currentData() == OrderType.Market:
            self.order_type.setCurrentIndex(list(OrderType).index(OrderType.Limit))
        if self.order_type.currentData() == OrderType.Stop:
            self.stop.setText(f"{price:.2f}")
        else:
            self.limit.setText(f"{price:.2f}")
        self.sig_focus.emit(self)

    def show_errors(self, errors: dict[str, str]) -> None:
        for key, edit, lab in (("limit", self.limit, self.limit_error), ("stop", self.stop, self.stop_error)):
            msg = errors.get(key, "")
            edit.set_invalid(bool(msg), msg)
            lab.setText(msg)
            lab.setVisible(bool(msg))
        self.qty_error.setText(errors.get("qty", ""))
        self.qty_error.setVisible(bool(errors.get("qty")))

    # -- live --------------------------------------------------------------------------------
    def update_quote(self, quote: ComboQuote, legs: dict[str, LivePrices] | None = None) -> None:
        self.quote = quote
        for r, name in enumerate(self.line.leg_names):
            p = (legs or {}).get(name)
            if p is not None:
                self.legs_table.setItem(r, 3, item(fmt_price(p.bid), True))
                self.legs_table.setItem(r, 4, item(fmt_price(leg_mid(p)), True))
                self.legs_table.setItem(r, 5, item(fmt_price(p.ask), True))
        for kind, b in self.quick.items():
            b.setText(f"{kind.title()}  {fmt_price(getattr(quote, kind))}")
        line = self.read()
        price = reference_price(line, quote)
        combos = line_combos(self.plan, line)
        words = f"= {fmt_signed(price)} per combo" if price is not None else ""
        if line.order_type == OrderType.Market:
            words = f"Market ≈ {fmt_signed(quote.ask)} per combo"
        self.limit_words.setText(words)
        side = price if price is not None else quote.mid
        if side is not None:
            color = "#5aa9ff" if side > 0 else "#ff7b72"
            self.side_tag.setText("DEBIT" if side > 0 else "CREDIT")
            self.side_tag.setStyleSheet(f"QLabel {{ color: {color}; border: 1px solid {color}; border-radius: 3px;"
                                        " padding: 0px 5px; font-size: 10px; font-weight: 700; }")
        self.info.setText(f"{combos:f} combo(s) · order value {fmt_money(line_notional(self.plan, line, price))}")
        pnl = exit_pnl(self.plan, line, price)
        if pnl is None:
            self.pnl.setText("")
        else:
            c = colors()
            color = c.positive.name() if pnl >= 0 else c.negative.name()
            self.pnl.setText(f"<span>Realizes if filled: </span><b style='color:{color}'>{fmt_money(pnl)}</b>")

    def set_state(self) -> None:
        line = self.line
        state = line.state.value if line.state is not None else None
        text = state
        if line.unknown:
            self.badge.set_state("Working", "Outcome unknown")
        elif line.state == OrderState.PartiallyFilled:
            self.badge.set_state(state, f"Partial {abs(line.filled):f}")
        elif line.state == OrderState.Filled and line.avg_fill is not None:
            self.badge.set_state(state, f"Filled @ {line.avg_fill:.2f}")
        elif line.order_id is not None and state is None:
            self.badge.set_state("Submitted", "Submitted")
        else:
            self.badge.set_state(state, text)
        if line.order_id is not None:
            self.badge.setToolTip(f"Order #{line.order_id} (key {line.idempotency_key})")
        self.rejection.setText(f"Rejected: {line.rejection}" if line.state == OrderState.Rejected and line.rejection
                               else "")
        self.rejection.setVisible(bool(self.rejection.text()))
        self._sync_enabled()


class TicketPage(QWidget):
    sig_primary = Signal()
    sig_confirm = Signal()
    sig_back = Signal()
    sig_cancel_orders = Signal()
    sig_replace = Signal()
    sig_split = Signal(object)
    sig_changed = Signal()

    def __init__(self, quick_keys: Callable[[], dict[str, QKeySequence]]) -> None:
        super().__init__()
        self.setObjectName("ticketPage")
        self.quick_keys = quick_keys
        self.plan: PlanView | None = None
        self.paper = False
        self.line_widgets: list[LineWidget] = []
        self.focused: LineWidget | None = None
        self.title = label("Order ticket", "title", "ticketTitle")
        self.subtitle = label("", "subtitle", "ticketSubtitle")
        self.convention = label(CONVENTION, None, "conventionNote")
        self.convention.setWordWrap(True)
        self.lines_box = QWidget()
        self.lines_layout = QVBoxLayout(self.lines_box)
        self.lines_layout.setContentsMargins(0, 0, 0, 0)
        self.lines_layout.setSpacing(8)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.lines_box)
        self.summary = label("", None, "ticketSummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.warnings = Banner("guardWarnings")
        self.confirm_panel = QFrame()
        self.confirm_panel.setObjectName("confirmPanel")
        self.confirm_text = label("", None, "confirmText")
        self.confirm_text.setWordWrap(True)
        self.confirm_text.setTextFormat(Qt.TextFormat.RichText)
        self.confirm_button = QPushButton("Confirm && send  (Ctrl+Enter)")
        self.confirm_button.setObjectName("confirmSendButton")
        self.confirm_button.setProperty("role", "primary")
        self.confirm_button.clicked.connect(self.sig_confirm)
        self.confirm_back = QPushButton("Edit")
        self.confirm_back.setObjectName("confirmBackButton")
        self.confirm_back.clicked.connect(self.hide_confirm)
        cl = QVBoxLayout(self.confirm_panel)
        cl.addWidget(self.confirm_text)
        cb = QHBoxLayout()
        cb.addStretch(1)
        cb.addWidget(self.confirm_back)
        cb.addWidget(self.confirm_button)
        cl.addLayout(cb)
        self.confirm_panel.hide()

        self.back_button = QPushButton("◂ Back")
        self.back_button.setObjectName("ticketBackButton")
        self.back_button.clicked.connect(self.sig_back)
        self.cancel_button = QPushButton("Cancel working")
        self.cancel_button.setObjectName("cancelOrdersButton")
        self.cancel_button.clicked.connect(self.sig_cancel_orders)
        self.replace_button = QPushButton("Modify price")
        self.replace_button.setObjectName("replaceButton")
        self.replace_button.setToolTip("Replace the working orders with the prices now in the ticket")
        self.replace_button.clicked.connect(self.sig_replace)
        self.primary = QPushButton("Review && send ▸")
        self.primary.setObjectName("sendButton")
        self.primary.setProperty("role", "primary")
        self.primary.clicked.connect(self.sig_primary)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.replace_button)
        buttons.addWidget(self.primary)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.convention)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.warnings)
        layout.addWidget(self.confirm_panel)
        layout.addLayout(buttons)

    def set_plan(self, plan: PlanView, lines: list[OrderLine], paper: bool) -> None:
        self.plan = plan
        self.paper = paper
        self.title.setText(plan.title)
        what = "paper account: fills are entered by hand, then committed" if paper else "broker account"
        self.subtitle.setText(f"Account {plan.account} ({what}) · exec plan #{plan.exec_plan_id}")
        self.primary.setText("Paper trade ▸" if paper else "Review && send ▸")
        self.primary.setObjectName("paperTradeButton" if paper else "sendButton")
        self.cancel_button.setVisible(not paper)
        self.replace_button.setVisible(not paper)
        self.set_lines(lines)

    def set_lines(self, lines: list[OrderLine]) -> None:
        assert self.plan is not None
        for w in self.line_widgets:
            self.lines_layout.removeWidget(w)
            w.deleteLater()
        self.line_widgets = []
        for i, line in enumerate(lines):
            w = LineWidget(i, line, self.plan, self.paper, self.quick_keys)
            w.sig_changed.connect(self._changed)
            w.sig_split.connect(self.sig_split)
            w.sig_focus.connect(self._set_focus)
            self.line_widgets.append(w)
            self.lines_layout.addWidget(w)
        self.lines_layout.addStretch(1)
        self.focused = None
        self.hide_confirm()

    def _set_focus(self, w: LineWidget) -> None:
        self.focused = w

    def _changed(self) -> None:
        self.hide_confirm()
        self.sig_changed.emit()

    def focused_line(self) -> LineWidget | None:
        focus = QApplication.focusWidget()
        for w in self.line_widgets:
            if focus is not None and w.isAncestorOf(focus):
                return w
        return None

    def quick(self, kind: str) -> None:
        """B / M / A outside a price field: the focused line, else every line."""
        target = self.focused_line()
        for w in [target] if target is not None else self.line_widgets:
            w.apply_quick(kind)

    def show_confirm(self, html: str) -> None:
        self.confirm_text.setText(html)
        self.confirm_panel.show()
        self.confirm_button.setFocus()

    def hide_confirm(self) -> None:
        self.confirm_panel.hide()

    @property
    def confirming(self) -> bool:
        return self.confirm_panel.isVisible()

    def set_summary(self, size: Decimal, value: Decimal, pnl: Decimal | None, orders: int) -> None:
        parts = [f"<b>{orders}</b> order(s)", f"<b>{size:f}</b> contracts", f"order value <b>{fmt_money(value)}</b>"]
        if pnl is not None:
            c = colors()
            color = c.positive.name() if pnl >= 0 else c.negative.name()
            parts.append(f"realizes if filled <b style='color:{color}'>{fmt_money(pnl)}</b>")
        self.summary.setText(" · ".join(parts))

