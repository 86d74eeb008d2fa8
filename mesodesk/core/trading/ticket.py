"""The order ticket of one prepared plan, Qt-free: its lines, their live combo quotes, every
number a line card and the confirm step show, and the send / cancel / replace commands.

Order state is read from the store (through :class:`OrderCommands`); a line only keeps
the ids of the orders it produced and its idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from mesodesk.contract import TERMINAL_ORDER_STATES, LivePrices, OrderState, OrderType
from mesodesk.core.errors import MesoLiveApiException, NotConnectedError, OutcomeUnknownError, api_error_text
from mesodesk.core.state import OrderRow, OrderSpec
from mesodesk.core.trading.guards import GuardLimits, guard_warnings, reference_price
from mesodesk.core.trading.ledger import (
    PayoffRisk,
    Realization,
    combined_payoff_risk,
    order_value,
    payoff_risk,
    realized_at_combo_price,
)
from mesodesk.core.trading.orders import OrderCommands, OrderTicket
from mesodesk.core.trading.outcome import UnknownListener, new_key
from mesodesk.core.trading.plan import (
    PRICED_TYPES,
    STOP_TYPES,
    FlowKind,
    LineStatus,
    OrderLine,
    PlanView,
    field_errors,
    line_combos,
    line_contracts,
    line_ratios,
)
from mesodesk.core.trading.pricing import ComboQuote, combo_quote, default_price
from mesodesk.core.trading.quotes import LegQuotes
from mesodesk.core.trading.rejections import advice, classify

ZERO = Decimal(0)


@dataclass(frozen=True)
class LineView:
    """Everything one line card shows, computed once per refresh."""

    quote: ComboQuote
    ratios: dict[str, Decimal]
    combos: Decimal
    default_combos: Decimal
    contracts: Decimal
    price: Decimal | None  # the price the order would trade at (limit, else stop, else natural)
    value: Decimal
    commission: Decimal
    realizes: Realization | None
    risk: PayoffRisk | None
    status: LineStatus
    order_id: int | None
    state: OrderState | None
    filled: Decimal
    avg_fill: Decimal | None
    rejection: str | None
    #: what to do about the rejection (fits its reason), None when nothing specific helps
    advice: str | None = None

    @property
    def working(self) -> bool:
        return self.order_id is not None and self.state is not None and self.state not in TERMINAL_ORDER_STATES

    @property
    def done(self) -> bool:
        return self.state == OrderState.Filled

    @property
    def locked(self) -> bool:
        """Type, TIF, stop and size are fixed once an order exists (a Rejected one excepted)."""
        return self.order_id is not None and self.state != OrderState.Rejected


@dataclass(frozen=True)
class TicketTotals:
    orders: int
    contracts: Decimal
    value: Decimal
    commission: Decimal
    realizes: Decimal | None
    realizes_exact: bool
    max_profit: Decimal | None
    max_loss: Decimal | None
    buying_power: Decimal | None
    #: False when some opening line has no defined max profit/loss (then the three above are None)
    risk_defined: bool = False
    warnings: list[str] = field(default_factory=list)


class Ticket:
    def __init__(self, orders: OrderCommands, plan: PlanView, quotes: LegQuotes, limits: GuardLimits,
                 commission_per_contract: Decimal = ZERO) -> None:
        self.orders = orders
        self.plan = plan
        self.feed = quotes
        self.limits = limits
        self.commission_per_contract = commission_per_contract
        self.lines: list[OrderLine] = []

    # -- quotes ------------------------------------------------------------------------------------
    def quotes(self) -> dict[str, LivePrices]:
        """Per-leg quotes: the prepare result's, overlaid by the live feed."""
        base = {n: p for n, p in self.plan.result.leg_prices.items() if p is not None}
        return {**base, **self.feed.prices}

    def line_quote(self, line: OrderLine) -> ComboQuote:
        ratios, _ = line_ratios(self.plan, line)
        return combo_quote(ratios, self.quotes())

    # -- lines -------------------------------------------------------------------------------------
    def start(self) -> list[OrderLine]:
        """One Limit DAY line per leg group at the combo's mid (as the order trades it)."""
        if not self.lines:
            self.lines = [self._new_line(gid, list(names)) for gid, names in self.plan.groups.items()]
        return self.lines

    def _new_line(self, group_id: int, names: list[str]) -> OrderLine:
        line = OrderLine(group_id, names)
        line.limit_price = default_price(self.line_quote(line))
        return line

    def follow_market(self) -> list[OrderLine]:
        """Move the default limit of unsent, unedited lines to the live mid; returns the lines moved."""
        moved = []
        for line in self.lines:
            if line.price_edited or line.status is not LineStatus.NEW or line.order_type not in PRICED_TYPES:
                continue
            price = default_price(self.line_quote(line))
            if price is not None and price != line.limit_price:
                line.limit_price = price
                moved.append(line)
        return moved

    def split(self, line: OrderLine) -> list[OrderLine]:
        """Replace a multi-leg line by one single-leg line per leg (same type and TIF)."""
        if not self.sendable(line) or len(line.leg_names) < 2:
            return [line]
        parts = [self._new_line(line.group_id, [n]) for n in line.leg_names]
        for part in parts:
            part.order_type, part.tif = line.order_type, line.tif
        i = self.lines.index(line)
        self.lines[i:i + 1] = parts
        return parts

    def row(self, line: OrderLine) -> OrderRow | None:
        return self.orders.row(line.order_id)

    def sendable(self, line: OrderLine) -> bool:
        """Not sent yet, refused, unknown (a retry re-uses its key) or its order was Rejected."""
        if line.status in (LineStatus.NEW, LineStatus.REFUSED, LineStatus.UNKNOWN):
            return True
        row = self.row(line)
        return line.status is LineStatus.SENT and row is not None and row.state == OrderState.Rejected

    def view(self, line: OrderLine) -> LineView:
        plan = self.plan
        ratios, unit = line_ratios(plan, line)
        quotes = self.quotes()
        quote = combo_quote(ratios, quotes)
        price = reference_price(line, quote)
        contracts = line_contracts(plan, line)
        commission = contracts * self.commission_per_contract
        realizes = realized_at_combo_price(plan, line, price, quotes, commission)
        risk = payoff_risk(plan, line, price, commission) if plan.kind is FlowKind.ENTRY else None
        row = self.row(line)
        order = row.order if row is not None else None
        rejected = row is not None and row.state == OrderState.Rejected
        return LineView(
            quote=quote, ratios=ratios, combos=line_combos(plan, line), default_combos=unit, contracts=contracts,
            price=price, value=order_value(plan, line, price), commission=commission, realizes=realizes, risk=risk,
            status=line.status, order_id=line.order_id, state=row.state if row is not None else None,
            filled=abs(order.cum_qty) if order is not None else ZERO,
            avg_fill=order.avg_fill_price if order is not None else None,
            rejection=(row.rejection if row is not None else None) or line.refusal,
            advice=self._advice(line, row, unit) if rejected else None,
        )

    def _advice(self, line: OrderLine, row: OrderRow | None, prepared: Decimal) -> str | None:
        if row is None:
            return None
        order = row.order
        asked = abs(order.qty) if order is not None and order.qty else line_combos(self.plan, line)
        multiplier = self.plan.qty_multiplier or self.plan.base_multiplier
        return advice(classify(row.rejection, row.rejection_code), flow=self.plan.kind, legs=len(line.leg_names),
                      asked=asked, prepared=prepared, multiplier=multiplier)

    def totals(self, lines: list[OrderLine] | None = None) -> TicketTotals:
        lines = self.lines if lines is None else lines
        views = [self.view(line) for line in lines]
        realizes = [v.realizes for v in views if v.realizes is not None]
        combined = None
        if self.plan.kind is FlowKind.ENTRY and lines:
            # the position as a whole: an iron condor in two orders loses at most its wider side
            combined = combined_payoff_risk(self.plan, [(line, v.price) for line, v in zip(lines, views, strict=True)],
                                            sum((v.commission for v in views), ZERO))
        defined = combined is not None and combined.max_profit is not None and combined.max_loss is not None
        warnings: list[str] = []
        for line, v in zip(lines, views, strict=True):
            warnings += guard_warnings(self.plan, line, v.quote, self.limits)
        if combined is not None and combined.max_loss is None:
            warnings.append("The loss of this position is unlimited (uncovered short calls)")
        if self.plan.allowed is False:
            warnings.append("The prepare checks did not allow this trade")
        return TicketTotals(
            orders=len(lines),
            contracts=sum((v.contracts for v in views), ZERO),
            value=sum((v.value for v in views), ZERO),
            commission=sum((v.commission for v in views), ZERO),
            realizes=sum((r.amount for r in realizes), ZERO) if realizes else None,
            realizes_exact=all(r.exact for r in realizes),
            max_profit=combined.max_profit if combined is not None and defined else None,
            max_loss=combined.max_loss if combined is not None and defined else None,
            buying_power=combined.buying_power if combined is not None and defined else None,
            risk_defined=defined,
            warnings=warnings,
        )

    def errors(self, line: OrderLine) -> dict[str, str]:
        return field_errors(line)

    @property
    def completed(self) -> bool:
        return bool(self.lines) and all(self.view(line).done for line in self.lines)

    @property
    def any_sent(self) -> bool:
        return any(line.order_ids for line in self.lines)

    def back_blocker(self) -> str | None:
        """Why the ticket cannot go back to editing (something is, or may be, live at the broker);
        None when it can: every order it sent ended without a fill (rejected, cancelled, expired)."""
        for line in self.lines:
            if line.status in (LineStatus.SENDING, LineStatus.UNKNOWN):
                return f"{line.label}: the outcome of its send is not known yet"
            if line.status is not LineStatus.SENT:
                continue
            row = self.row(line)
            if row is None or row.state is None or row.state not in TERMINAL_ORDER_STATES:
                return f"Order #{line.order_id} is working: cancel it first"
            if row.order is not None and row.order.cum_qty:
                return f"Order #{line.order_id} has fills, so its exec plan is executing and the ticket cannot go back"
        return None

    def reopen(self) -> list[int]:
        """Back to an editable ticket (call when :meth:`back_blocker` is None): every sent or refused
        line is new again, without a key, so the next send is a new order; its earlier orders stay
        in the store (the Orders blotter) and in ``line.history``. Returns those order ids."""
        retired: list[int] = []
        for line in self.lines:
            if line.status is LineStatus.NEW:
                continue
            retired += line.order_ids
            line.history += line.order_ids
            line.order_ids = []
            line.status, line.idempotency_key, line.refusal = LineStatus.NEW, None, None
        return retired

    # -- commands ----------------------------------------------------------------------------------
    def spec(self, line: OrderLine) -> OrderSpec:
        plan = self.plan
        ratios, _ = line_ratios(plan, line)
        return OrderSpec(
            account=plan.account, exec_plan_id=plan.exec_plan_id, group_id=line.group_id,
            leg_names=tuple(line.leg_names), contracts={n: plan.legs[n].live_contract for n in line.leg_names},
            ratios=ratios, order_type=line.order_type, tif=line.tif, qty_multiplier=plan.send_multiplier,
            qty=line.qty, position_name=plan.position_name)

    def _ticket(self, line: OrderLine) -> OrderTicket:
        return OrderTicket(self.spec(line),
                           limit_price=line.limit_price if line.order_type in PRICED_TYPES else None,
                           stop_price=line.stop_price if line.order_type in STOP_TYPES else None)

    async def send(self, line: OrderLine, on_unknown: UnknownListener | None = None) -> int | None:
        """Send one line. A line whose outcome stayed unknown re-uses its key (never a second order).

        Raises ``MesoLiveApiException`` (refused; ``line.refusal`` says why) or
        ``OutcomeUnknownError`` (``line.status`` is UNKNOWN)."""
        key = line.idempotency_key if line.status is LineStatus.UNKNOWN and line.idempotency_key else \
            new_key("send_order_")
        line.idempotency_key, line.status, line.refusal = key, LineStatus.SENDING, None
        try:
            order_id = await self.orders.send(self._ticket(line), key, on_unknown=on_unknown)
        except OutcomeUnknownError:
            line.status = LineStatus.UNKNOWN
            raise
        except MesoLiveApiException as exc:
            line.status, line.refusal, line.idempotency_key = LineStatus.REFUSED, api_error_text(exc, html=False), None
            raise
        except NotConnectedError:  # nothing left this console: a retry is a new request
            line.status, line.idempotency_key = LineStatus.NEW, None
            raise
        except BaseException:  # a drop in flight: the outcome is unknown, a retry re-uses the key
            line.status = LineStatus.UNKNOWN
            raise
        if order_id is None:
            line.status = LineStatus.REFUSED
            line.refusal = "the server answered without an order id"
            return None
        line.order_ids.append(order_id)
        line.status = LineStatus.SENT
        return order_id

    async def cancel(self, line: OrderLine, on_unknown: UnknownListener | None = None) -> OrderState | None:
        if line.order_id is None:
            return None
        return await self.orders.cancel(line.order_id, on_unknown=on_unknown)

    async def replace(self, line: OrderLine, on_unknown: UnknownListener | None = None) -> int | None:
        """Replace the line's working order with the line's current prices. Returns the new order id,
        or None when the replacement was rejected (the original keeps working)."""
        if line.order_id is None:
            return None
        new_id = await self.orders.replace(line.order_id, line.limit_price, line.stop_price, on_unknown=on_unknown)
        if new_id is None:
            return None
        row = self.orders.row(new_id)
        if row is not None and row.state == OrderState.Rejected:
            return None
        line.order_ids.append(new_id)
        return new_id


def market_text(line: OrderLine) -> str:
    """How the order is priced, for the confirm step: ``MKT`` / ``LMT -2.55`` / ``STP 1.20 LMT 1.30``."""
    parts = []
    if line.order_type == OrderType.Market:
        parts.append("MKT")
    if line.order_type in STOP_TYPES and line.stop_price is not None:
        parts.append(f"STP {line.stop_price:+.2f}")
    if line.order_type in PRICED_TYPES and line.limit_price is not None:
        parts.append(f"LMT {line.limit_price:+.2f}")
    return " ".join(parts)
