"""The order ticket: one card per order line (a leg group, or one leg of it after a split)
with type, TIF, signed limit/stop price, the combo's live Bid/Mid/Ask, the order's live
state; a summary with size, order value, what an exit realizes if filled and an entry's
max profit / max loss; the guard warnings and the inline confirmation.

Every number comes from :class:`mesodesk.core.trading.ticket.Ticket`; this module only
renders it and reads the fields back.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from mesodesk.contract import OrderState, OrderType, TimeInForce
from mesodesk.core.formatting import fmt_money, fmt_price
from mesodesk.core.state import contract_text
from mesodesk.core.trading.plan import PRICED_TYPES, STOP_TYPES, LineStatus, OrderLine
from mesodesk.core.trading.pricing import (
    PriceInputError,
    direction,
    direction_tag,
    leg_mid,
    parse_price,
    quick_price,
    signed_number,
    signed_words,
)
from mesodesk.core.trading.ticket import LineView, Ticket, TicketTotals
from mesodesk.ui.theme import colors, table_font
from mesodesk.ui.trading.widgets import Badge, Banner, PriceEdit, item, label

CONVENTION = ("Prices are per combo and signed: <b>+ debit</b> (you pay) · <b>− credit</b> (you receive); "
              "you may also type <i>2.55 cr</i> or <i>1.80 db</i>. Each order buys its combo as shown, so "
              "<b>Ask</b> is the marketable price and <b>Bid</b> the passive one. "
              "Keys (outside a price field): B / M / A set bid / mid / ask.")
PAPER_CONVENTION = ("Paper account: nothing is sent to a broker. Combo prices are per combo and signed: "
                    "<b>+ debit</b> (you pay) · <b>− credit</b> (you receive). Review the structure and its live "
                    "combo price here, then enter the fill price of each leg on the next step.")

DEBIT_COLOR, CREDIT_COLOR = "#5aa9ff", "#ff7b72"


def tag_style(color: str) -> str:
    return (f"QLabel {{ color: {color}; border: 1px solid {color}; border-radius: 3px; padding: 0px 5px;"
            " font-size: 10px; font-weight: 700; }")


def money_html(value: Decimal | None, approx: bool = False) -> str:
    if value is None:
        return "–"
    c = colors()
    color = c.positive.name() if value >= 0 else c.negative.name()
    return f"<b style='color:{color}'>{'≈ ' if approx else ''}{fmt_money(value)}</b>"


class LineWidget(QFrame):
    sig_changed = Signal()
    sig_split = Signal(object)
    sig_focus = Signal(object)

    def __init__(self, index: int, line: OrderLine, ticket: Ticket, paper: bool) -> None:
        super().__init__()
        self.setObjectName("lineCard")
        self.setProperty("lineIndex", index)
        self.line = line
        self.ticket = ticket
        self.plan = ticket.plan
        self.paper = paper
        view = ticket.view(line)
        self.view = view
        self.title = label(f"{line.label}", "section")
        self.legs_label = label(" / ".join(f"{n} {view.ratios.get(n, 0):+g}" for n in line.leg_names), "hint")
        self.badge = Badge("stateBadge")
        self.qty = QLineEdit(f"{line.qty if line.qty is not None else view.default_combos:f}")
        self.qty.setObjectName("qtySpin")
        self.qty.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.qty.setToolTip("Number of combos (default: what the plan has left)")
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
        self.limit = PriceEdit("limitPrice")
        self.limit.setPlaceholderText("limit")
        self.stop = PriceEdit("stopPrice")
        self.stop.setPlaceholderText("stop")
        self.limit.setText(signed_number(line.limit_price))
        self.stop.setText(signed_number(line.stop_price))
        self.limit_words = label("", "hint", "limitWords")
        self.limit_error = label("", "fieldError", "limitError")
        self.stop_error = label("", "fieldError", "stopError")
        self.qty_error = label("", "fieldError", "qtyError")
        for lab in (self.limit_error, self.stop_error, self.qty_error):
            lab.setWordWrap(True)
            lab.hide()
        self.quick: dict[str, QPushButton] = {}
        for kind in ("bid", "mid", "ask"):
            b = QPushButton(kind.title())
            b.setObjectName(f"{kind}Button")
            b.setProperty("role", "quick")
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _=False, k=kind: self.apply_quick(k))
            self.quick[kind] = b
        self.quick["ask"].setToolTip("Natural (marketable) combo price")
        self.quick["bid"].setToolTip("Passive combo price")
        self.info = label("", "hint", "lineInfo")
        self.pnl = label("", None, "exitPnl")
        self.pnl.setTextFormat(Qt.TextFormat.RichText)
        self.rejection = label("", "fieldError", "rejectionLabel")
        self.rejection.setWordWrap(True)
        self.history = label("", "hint", "lineHistory")
        self.history.hide()
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
        self.legs_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.legs_table.setFixedHeight(self.legs_table.horizontalHeader().sizeHint().height()
                                       + 20 * len(line.leg_names) + 4)
        c = colors()
        for r, name in enumerate(line.leg_names):
            leg = self.plan.legs.get(name)
            ratio = view.ratios.get(name, Decimal(0))
            self.legs_table.setItem(r, 0, item(name))
            self.legs_table.setItem(r, 1, item(contract_text(leg.live_contract) if leg else ""))
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
            controls.addStretch(1)
            for b in self.quick.values():
                controls.addWidget(b)
        else:
            combos_label.hide()
            self.qty.hide()
            self.quote_label = label("", None, "paperQuote")
            controls.addWidget(self.quote_label)
            controls.addStretch(1)
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
        foot.addWidget(self.split_button)
        box.addLayout(foot)
        self.pnl.setWordWrap(True)
        box.addWidget(self.pnl)
        box.addWidget(self.rejection)
        box.addWidget(self.history)
        self.qty.setMaximumWidth(80)
        self.limit.setMinimumWidth(88)
        self.stop.setMinimumWidth(88)
        self.order_type.setMinimumWidth(96)

        for w in (self.order_type, self.tif):
            w.currentIndexChanged.connect(self._edited)
        self.limit.textEdited.connect(self._price_typed)
        self.stop.textEdited.connect(self._price_typed)
        self.qty.textEdited.connect(self._edited)
        self.parse_errors: dict[str, str] = {}
        self.refresh()

    # -- editing -------------------------------------------------------------------------
    def _price_typed(self, *_: object) -> None:
        self.line.price_edited = True
        self._edited()

    def _edited(self, *_: object) -> None:
        self.read()
        self.sig_changed.emit()

    def read(self) -> dict[str, str]:
        """Read the fields into the line; returns the field errors (shown at the fields)."""
        line = self.line
        errors: dict[str, str] = {}
        if not self.view.locked:
            line.order_type = OrderType(self.order_type.currentData())
            line.tif = TimeInForce(self.tif.currentData())
        for key, edit in (("limit", self.limit), ("stop", self.stop)):
            types = PRICED_TYPES if key == "limit" else STOP_TYPES
            if line.order_type not in types:
                setattr(line, f"{key}_price", None)
                continue
            try:
                setattr(line, f"{key}_price", parse_price(edit.text(), what=f"{key} price"))
            except PriceInputError as exc:
                setattr(line, f"{key}_price", None)
                errors[key] = str(exc)
        if not self.view.locked:
            text = self.qty.text().strip().replace(",", "")
            if not text.isdigit() or int(text) < 1:
                errors["qty"] = "Combos: a whole number of at least 1"
            else:
                combos = Decimal(int(text))
                line.qty = None if combos == self.view.default_combos else combos
        self.parse_errors = errors
        self.show_errors(errors)
        return errors

    def apply_quick(self, kind: str) -> None:
        if self.paper or self.view.done:
            return
        price = quick_price(self.view.quote, kind)
        if price is None:
            return
        if self.order_type.currentData() == OrderType.Market and not self.view.locked:
            self.order_type.setCurrentIndex(list(OrderType).index(OrderType.Limit))
        target = self.stop if self.order_type.currentData() == OrderType.Stop else self.limit
        target.setText(signed_number(price))
        self.line.price_edited = True
        self._edited()
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
    def set_limit_from_line(self) -> None:
        """The core moved the default limit (it follows the mid until the trader edits it)."""
        if not self.limit.hasFocus():
            self.limit.setText(signed_number(self.line.limit_price))

    def refresh(self) -> None:
        view = self.ticket.view(self.line)
        self.view = view
        quotes = self.ticket.quotes()
        for r, name in enumerate(self.line.leg_names):
            p = quotes.get(name)
            if p is not None:
                self.legs_table.setItem(r, 3, item(fmt_price(p.bid), True))
                self.legs_table.setItem(r, 4, item(fmt_price(leg_mid(p)), True))
                self.legs_table.setItem(r, 5, item(fmt_price(p.ask), True))
        q = view.quote
        for kind, b in self.quick.items():
            b.setText(f"{kind.title()}  {fmt_price(getattr(q, kind))}")
        line = self.line
        if self.paper:
            self.quote_label.setText(f"Live combo: bid {fmt_price(q.bid)} · mid {signed_words(q.mid)} · "
                                     f"ask {fmt_price(q.ask)}")
            self.limit_words.setText("")
            shown = q.mid
        else:
            words = f"= {signed_words(view.price)} per combo" if view.price is not None else ""
            if line.order_type == OrderType.Market:
                words = f"Market ≈ {signed_words(q.ask)} per combo"
            if not line.price_edited and line.status is LineStatus.NEW and line.order_type in PRICED_TYPES:
                words += "  · follows the mid until you edit it"
            self.limit_words.setText(words)
            shown = view.price if view.price is not None else q.mid
        d = direction(shown)
        if d is not None:
            self.side_tag.setText(direction_tag(shown))
            self.side_tag.setStyleSheet(tag_style(DEBIT_COLOR if (shown or 0) > 0 else CREDIT_COLOR))
        self.info.setText(f"{view.combos:f} combo(s) · {view.contracts:f} contracts · "
                          f"order value {fmt_money(view.value)}")
        self.pnl.setText(self._outcome_html(view))
        self._sync_state(view)

    def _outcome_html(self, view: LineView) -> str:
        commission = f" <span style='color:gray'>(incl. est. commission {fmt_money(view.commission)})</span>" \
            if view.commission else ""
        if view.realizes is not None:
            return f"Realizes if filled: {money_html(view.realizes.amount, not view.realizes.exact)}{commission}"
        if view.risk is not None:
            loss = "unlimited" if view.risk.max_loss is None else fmt_money(view.risk.max_loss)
            gain = "unlimited" if view.risk.max_profit is None else fmt_money(view.risk.max_profit)
            bp = "undefined" if view.risk.buying_power is None else fmt_money(view.risk.buying_power)
            return f"Max profit <b>{gain}</b> · max loss <b>{loss}</b> · buying power <b>{bp}</b>{commission}"
        return ""

    def _sync_state(self, view: LineView) -> None:
        line = self.line
        if line.status is LineStatus.UNKNOWN:
            self.badge.set_state("Working", "Outcome unknown")
        elif line.status is LineStatus.SENDING:
            self.badge.set_state("PendingSubmit", "Sending…")
        elif line.status is LineStatus.REFUSED:
            self.badge.set_state("Rejected", "Refused")
        elif view.state == OrderState.PartiallyFilled:
            self.badge.set_state(view.state.value, f"Partial {view.filled:f}")
        elif view.state == OrderState.Filled and view.avg_fill is not None:
            self.badge.set_state(view.state.value, f"Filled @ {signed_words(view.avg_fill)}")
        elif view.order_id is not None and view.state is None:
            self.badge.set_state("Submitted", "Submitted")
        else:
            self.badge.set_state(view.state.value if view.state is not None else None)
        if view.order_id is not None:
            self.badge.setToolTip(f"Order #{view.order_id} (key {line.idempotency_key})")
        show = view.rejection if view.state == OrderState.Rejected or line.status is LineStatus.REFUSED else None
        self.rejection.setText(f"Rejected: {show}" + (f" — {view.advice}." if view.advice else "") if show else "")
        self.rejection.setVisible(bool(show))
        earlier = [f"#{i} {self._state_text(i)}" for i in line.history]
        self.history.setText(f"Earlier: order {', '.join(earlier)} (in the Orders blotter)" if earlier else "")
        self.history.setVisible(bool(earlier))
        t = self.order_type.currentData()
        self.limit.setEnabled(t in PRICED_TYPES and not view.done)
        self.stop.setEnabled(t in STOP_TYPES and not view.locked)
        self.order_type.setEnabled(not view.locked)
        self.tif.setEnabled(not view.locked)
        self.qty.setEnabled(not view.locked and not self.paper)
        for b in self.quick.values():
            b.setEnabled(not view.done)
        self.split_button.setEnabled(self.ticket.sendable(line))


    def _state_text(self, order_id: int) -> str:
        row = self.ticket.orders.row(order_id)
        return row.state.value.lower() if row is not None and row.state is not None else ""


class TicketPage(QWidget):
    sig_primary = Signal()
    sig_confirm = Signal()
    sig_back = Signal()
    sig_cancel_orders = Signal()
    sig_replace = Signal()
    sig_split = Signal(object)
    sig_changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("ticketPage")
        self.ticket: Ticket | None = None
        self.paper = False
        self.line_widgets: list[LineWidget] = []
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
        self.summary.setWordWrap(True)
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

    def set_ticket(self, ticket: Ticket) -> None:
        plan = ticket.plan
        self.ticket = ticket
        self.paper = plan.paper
        self.title.setText(plan.title)
        what = "paper account: fills are entered by hand, then committed" if plan.paper else "broker account"
        self.subtitle.setText(f"Account {plan.account} ({what}) · exec plan #{plan.exec_plan_id}")
        self.convention.setText(PAPER_CONVENTION if plan.paper else CONVENTION)
        self.primary.setText("Enter paper fills ▸" if plan.paper else "Review && send ▸")
        self.primary.setObjectName("paperTradeButton" if plan.paper else "sendButton")
        self.cancel_button.setVisible(not plan.paper)
        self.replace_button.setVisible(not plan.paper)
        self.set_lines(ticket.lines)

    def set_lines(self, lines: list[OrderLine]) -> None:
        assert self.ticket is not None
        for w in self.line_widgets:
            self.lines_layout.removeWidget(w)
            w.deleteLater()
        while self.lines_layout.count():
            self.lines_layout.takeAt(0)
        self.line_widgets = []
        for i, line in enumerate(lines):
            w = LineWidget(i, line, self.ticket, self.paper)
            w.sig_changed.connect(self._changed)
            w.sig_split.connect(self.sig_split)
            self.line_widgets.append(w)
            self.lines_layout.addWidget(w)
        self.lines_layout.addStretch(1)
        self.hide_confirm()

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
        """B / M / A: the focused line, else every line."""
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

    def set_summary(self, totals: TicketTotals) -> None:
        parts = [f"<b>{totals.orders}</b> order(s)", f"<b>{totals.contracts:f}</b> contracts",
                 f"order value <b>{fmt_money(totals.value)}</b>"]
        if totals.commission:
            parts.append(f"est. commission {fmt_money(totals.commission)}")
        if totals.realizes is not None:
            parts.append(f"realizes if filled {money_html(totals.realizes, not totals.realizes_exact)}")
        if totals.risk_defined:
            parts.append(f"max profit <b>{fmt_money(totals.max_profit)}</b> · max loss "
                         f"<b>{fmt_money(totals.max_loss)}</b> · buying power <b>{fmt_money(totals.buying_power)}</b>")
        self.summary.setText(" · ".join(parts))
