"""Modify a working order's limit price from the Orders blotter: the order as it trades, the
combo's live Bid / Mid / Ask (quick buttons), a signed price field parsed strictly, and the
server's answer shown in the dialog itself."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mesodesk.core.formatting import fmt_price
from mesodesk.core.trading.desk import TradingDesk
from mesodesk.core.trading.pricing import (
    ComboQuote,
    PriceInputError,
    combo_quote,
    parse_price,
    quick_price,
    signed_number,
    signed_words,
)
from mesodesk.ui.trading.widgets import STYLE, PriceEdit, label


class ModifyOrderDialog(QDialog):
    sig_submit = Signal(int, object)
    """``(order_id, new signed limit price)``."""

    def __init__(self, desk: TradingDesk, order_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("replacePriceDialog")
        self.setStyleSheet(STYLE)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.desk = desk
        self.order_id = order_id
        self.setWindowTitle(f"Modify order #{order_id}")
        row = desk.orders.row(order_id)
        order = row.order if row is not None else None
        self.spec = desk.orders.spec_of(order_id)
        self.feed = desk.order_quotes(order_id) if self.spec is not None else None
        what = self.spec.position_name if self.spec is not None and self.spec.position_name else ""
        legs = " / ".join(f"{n} {r:+g}" for n, r in self.spec.ratios.items()) if self.spec is not None else ""
        self.heading = label(f"Order #{order_id}" + (f" · {what}" if what else ""), "title", "modifyTitle")
        current = order.limit_price if order is not None else None
        self.current = label(f"{legs}   now: <b>{signed_words(current)}</b> per combo"
                             + (f" · {order.order_type.value} {order.time_in_force.value}" if order else ""),
                             None, "modifyCurrent")
        self.current.setTextFormat(Qt.TextFormat.RichText)
        self.price = PriceEdit("modifyPrice")
        self.price.setText(signed_number(current))
        self.price.selectAll()
        self.price.textEdited.connect(self._edited)
        self.words = label("", "hint", "modifyWords")
        self.error = label("", "fieldError", "modifyError")
        self.error.setWordWrap(True)
        self.quick: dict[str, QPushButton] = {}
        quick_row = QHBoxLayout()
        for kind in ("bid", "mid", "ask"):
            b = QPushButton(kind.title())
            b.setObjectName(f"modify_{kind}")
            b.setProperty("role", "quick")
            b.clicked.connect(lambda _=False, k=kind: self.apply_quick(k))
            self.quick[kind] = b
            quick_row.addWidget(b)
        quick_row.addStretch(1)
        self.no_quote = label("" if self.feed is not None else
                              "No live quote: this order's legs are not known to this console.", "hint", "modifyNoQuote")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Replace order")
        self.ok.setObjectName("modifyReplace")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        form = QHBoxLayout()
        form.addWidget(QLabel("New limit (per combo, + debit / − credit)"))
        form.addWidget(self.price)
        form.addWidget(self.words, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.current)
        layout.addLayout(quick_row)
        layout.addWidget(self.no_quote)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()
        self._edited()

    def quote(self) -> ComboQuote:
        if self.feed is None or self.spec is None:
            return combo_quote({}, {})
        return combo_quote(self.spec.ratios, self.feed.prices)

    def refresh(self) -> None:
        q = self.quote()
        for kind, b in self.quick.items():
            b.setText(f"{kind.title()}  {fmt_price(getattr(q, kind))}")
            b.setEnabled(getattr(q, kind) is not None)
        if not self.desk.orders.is_working(self.order_id):
            live = self.desk.orders.live_order(self.order_id)
            row = self.desk.orders.row(self.order_id)
            state = row.state.value if row is not None and row.state is not None else "not working"
            hint = f"; it is carried by order #{live} now" if live != self.order_id else ""
            self.show_error(f"Order #{self.order_id} is {state}{hint}.")
            self.ok.setEnabled(False)

    def apply_quick(self, kind: str) -> None:
        price = quick_price(self.quote(), kind)
        if price is not None:
            self.price.setText(signed_number(price))
            self._edited()

    def _parse(self) -> Decimal | None:
        try:
            price = parse_price(self.price.text(), what="limit price")
        except PriceInputError as exc:
            self.show_error(str(exc))
            return None
        if price is None:
            self.show_error("A limit price is required")
        return price

    def _edited(self, *_: object) -> None:
        self.error.setText("")
        self.price.set_invalid(False)
        try:
            price = parse_price(self.price.text(), what="limit price")
        except PriceInputError as exc:
            self.price.set_invalid(True, str(exc))
            self.error.setText(str(exc))
            self.words.setText("")
            return
        self.words.setText(f"= {signed_words(price)} per combo" if price is not None else "")

    def show_error(self, text: str) -> None:
        """A problem (or the server's refusal): shown here; the order may be modified again."""
        self.error.setText(text)
        self.ok.setEnabled(self.desk.orders.is_working(self.order_id))

    def submit(self) -> None:
        price = self._parse()
        if price is None:
            self.price.set_invalid(True, self.error.text())
            return
        self.ok.setEnabled(False)
        self.error.setText("Sending…")
        self.sig_submit.emit(self.order_id, price)

    def done(self, result: int) -> None:
        self._timer.stop()
        if self.feed is not None:
            self.feed.stop()
        super().done(result)
