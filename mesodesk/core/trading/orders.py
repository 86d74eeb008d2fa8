"""Order commands: send, cancel, replace (modify) per leg group.

The core store owns every order's state (:class:`~mesodesk.core.state.OrderRow`): a
send's reply is applied to it (``GetOrder`` right after, so the row exists even before
its ``OnOrderUpdate`` event), events patch it, snapshots refresh it. Windows read the
row; they never keep an order state of their own.

Every call carries its own idempotency key; a dropped connection during a call is
reported through ``on_unknown`` while the SDK recovers the outcome. A ``DuplicateRequest``
answer to a retry with the same key yields the original result.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from mesodesk.contract import (
    TERMINAL_ORDER_STATES,
    LegGroupOrder,
    OrderState,
    OrderType,
)
from mesodesk.core import store
from mesodesk.core.errors import MesoLiveApiException
from mesodesk.core.session import Session
from mesodesk.core.state import OrderRow, OrderSpec
from mesodesk.core.trading.outcome import UnknownListener, duplicate_result, new_key, watch_outcome
from mesodesk.quant.combos import combo_unit


class OrderCommandError(Exception):
    """A command that cannot be carried out as asked (the message is for the trader)."""


@dataclass(frozen=True)
class OrderTicket:
    """One order to send: the spec (legs, account, plan, group) plus its prices and size."""

    spec: OrderSpec
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None

    def wire(self) -> LegGroupOrder:
        s = self.spec
        return LegGroupOrder(order_type=s.order_type, time_in_force=s.tif, limit_price=self.limit_price,
                             stop_price=self.stop_price, leg_names=list(s.leg_names), qty=s.qty)


class OrderCommands:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- queries -------------------------------------------------------------------------------
    def row(self, order_id: int | None) -> OrderRow | None:
        return None if order_id is None else self.session.state.orders.get(order_id)

    def is_working(self, order_id: int | None) -> bool:
        row = self.row(order_id)
        return row is not None and row.state is not None and row.state not in TERMINAL_ORDER_STATES

    def live_order(self, order_id: int) -> int:
        """The order that carries ``order_id`` now: follows the replace chain to its end."""
        seen = {order_id}
        row = self.row(order_id)
        while row is not None and row.replaced_by is not None and row.replaced_by not in seen:
            seen.add(row.replaced_by)
            order_id = row.replaced_by
            row = self.row(order_id)
        return order_id

    def spec_of(self, order_id: int) -> OrderSpec | None:
        """What a replace needs: the spec this console sent, else one derived from the position's
        legs in the order's leg group (entry and exit orders trade exactly those legs)."""
        row = self.row(order_id)
        if row is None or row.order is None:
            return None
        if row.spec is not None:
            return row.spec
        order = row.order
        position = self.session.state.positions.get(row.position_id) if row.position_id is not None else None
        if position is None:
            return None
        legs = [r.leg for r in self.session.state.legs.values()
                if r.position_id == position.id and r.leg.leg_group_id == order.leg_group_id and r.is_open]
        if not legs:
            return None
        unit = combo_unit([leg.qty for leg in legs])
        ratios = {leg.name: leg.qty / unit for leg in legs}
        # Without the plan, whether the order opens (held direction) or closes (the opposite) is
        # told by its price: an order priced against the held combo's direction closes it.
        marks = [self.session.state.legs[leg.id].mark for leg in legs]
        if order.limit_price is not None and all(m is not None for m in marks):
            held = sum((ratios[leg.name] * m for leg, m in zip(legs, marks, strict=True) if m is not None), Decimal(0))
            if held != 0 and (held > 0) != (order.limit_price > 0):
                ratios = {n: -r for n, r in ratios.items()}
        return OrderSpec(
            account=order.broker_account_id, exec_plan_id=order.exec_plan_id, group_id=order.leg_group_id,
            leg_names=tuple(leg.name for leg in legs), contracts={leg.name: leg.live_contract for leg in legs},
            ratios=ratios, order_type=order.order_type,
            tif=order.time_in_force, position_name=position.summary.name)

    # -- commands ------------------------------------------------------------------------------
    async def send(self, ticket: OrderTicket, key: str, *, replaces: int | None = None,
                   on_unknown: UnknownListener | None = None) -> int | None:
        """``SendOrder`` with ``key``; the new order lands in the store. Returns its id (None if
        the server answered without one). Raises ``MesoLiveApiException`` when refused and
        ``OutcomeUnknownError`` when the outcome could not be recovered."""
        s = ticket.spec
        call = self.session.control.send_order(
            idempotency_key=key, broker_account_id=s.account, exec_plan_id=s.exec_plan_id,
            leg_group_id=s.group_id, qty_multiplier=s.qty_multiplier, replaces_order=replaces,
            leg_group_order=ticket.wire())
        try:
            result = await watch_outcome(self.session, call, on_unknown)
        except MesoLiveApiException as exc:
            result = duplicate_result(exc)
            if result is None:
                raise
        order_ids = list(getattr(result, "order_ids", None) or [])
        if not order_ids:
            return None
        order_id = int(order_ids[0])
        await self._load(order_id, s, replaces)
        return order_id

    async def _load(self, order_id: int, spec: OrderSpec | None, replaces: int | None) -> None:
        try:
            order = await self.session.control.get_order(order_id=order_id)
        except MesoLiveApiException:
            order = None
        if order is not None:
            store.apply_order(self.session.state, order, spec=spec, replaces=replaces)
        else:  # the event will bring it; keep what we know
            row = self.session.state.orders.get(order_id) or OrderRow(order_id)
            row.spec = spec
            row.replaces = replaces
            self.session.state.orders.upsert(order_id, row)

    async def cancel(self, order_id: int, *, on_unknown: UnknownListener | None = None) -> OrderState:
        row = self.row(order_id)
        account = row.order.broker_account_id if row is not None and row.order is not None else None
        key = new_key("cancel_order_")
        call = self.session.control.cancel_order(idempotency_key=key, order_id=order_id, broker_account_id=account)
        try:
            result = await watch_outcome(self.session, call, on_unknown)
        except MesoLiveApiException as exc:
            result = duplicate_result(exc)
            if result is None:
                raise
        state = OrderState(result.state)
        if row is not None and row.order is not None and row.order.state not in TERMINAL_ORDER_STATES:
            row.order = row.order.model_copy(update={"state": state})
            self.session.state.orders.touch(order_id)
        return state

    async def replace(self, order_id: int, limit_price: Decimal | None, stop_price: Decimal | None = None, *,
                      on_unknown: UnknownListener | None = None) -> int | None:
        """Replace a working order with new prices (same legs, type, TIF and size).

        Raises :class:`OrderCommandError` when the order is not working any more or its legs
        are unknown to this console."""
        row = self.row(order_id)
        if row is None or row.order is None:
            raise OrderCommandError(f"Order #{order_id} is not known yet")
        if not self.is_working(order_id):
            live = self.live_order(order_id)
            hint = f" (it was replaced by #{live})" if live != order_id else ""
            raise OrderCommandError(f"Order #{order_id} is {row.state.value if row.state else 'not working'}"
                                    f"{hint}: only a working order can be modified")
        spec = self.spec_of(order_id)
        if spec is None:
            raise OrderCommandError(f"Order #{order_id} was not sent from this console and its legs are not "
                                    "known here: modify it where it was sent")
        order_type = spec.order_type
        if order_type == OrderType.Market:
            order_type = OrderType.Limit  # a working market order can only become a limit
        if order_type in (OrderType.Stop, OrderType.StopLimit) and stop_price is None:
            stop_price = row.order.stop_price
        if order_type in (OrderType.Limit, OrderType.StopLimit) and limit_price is None:
            raise OrderCommandError("A limit price is required")
        new_spec = replace(spec, order_type=order_type)
        ticket = OrderTicket(new_spec, limit_price=limit_price if order_type != OrderType.Stop else None,
                             stop_price=stop_price if order_type in (OrderType.Stop, OrderType.StopLimit) else None)
        return await self.send(ticket, new_key("send_order_"), replaces=order_id, on_unknown=on_unknown)
