"""Event Hub events and snapshots applied to AppState: idempotent upserts, ordering, the event log."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from mesodesk.contract import AgentStatus, OrderRejectionInfo, OrderState
from mesodesk.core import store
from mesodesk.core.state import AppState
from tests.core.factories import T0, agent, agent_event, order, order_update


def test_order_update_patches_a_known_order_and_logs_the_event() -> None:
    state = AppState()
    store.apply_orders(state, [order()])
    state.orders.flush()
    needs = store.apply_event(state, order_update(filled_qty=Decimal(2), avg_fill_price=Decimal("-1.45"),
                                                  fill_price=Decimal("-1.45")))
    row = state.orders[7]
    assert row.state == OrderState.Filled
    assert row.order is not None and row.order.cum_qty == Decimal(-2) and row.order.avg_fill_price == Decimal("-1.45")
    assert state.orders.flush().updated == {7}
    assert needs == {"executions"}
    assert len(state.events) == 1 and state.last_event_seq == 1
    assert state.events.values()[0].summary.startswith("Order #7 filled: SPX Iron Condor")


def test_replayed_and_older_events_do_not_regress_rows() -> None:
    state = AppState()
    store.apply_orders(state, [order(at=T0 + timedelta(minutes=5))])
    event = order_update(state=OrderState.Cancelled, at=T0 + timedelta(minutes=1))
    store.apply_event(state, event)
    assert state.orders[7].state == OrderState.Working  # older than the snapshot: logged only
    assert store.apply_event(state, event) == set()  # same EventId again: deduped
    assert len(state.events) == 1


def test_unknown_ids_ask_for_a_snapshot_reload() -> None:
    state = AppState()
    assert store.apply_event(state, order_update(order_id=99, seq=5)) == {"orders"}
    assert 99 in state.orders and state.orders[99].order is None
    rejected = order_update(order_id=99, seq=6, state=OrderState.Rejected,
                            rejection=OrderRejectionInfo(reason="margin"))
    store.apply_event(state, rejected)
    assert state.orders[99].rejection == "margin"
    assert state.events.values()[-1].level == "error"


def test_a_rejection_reaches_the_order_row_whatever_the_order_of_reply_and_event() -> None:
    """Reason and code reach the row (the Rejection column), and the row is marked changed, also
    when the reply's order is already as new as the event (or newer)."""
    info = OrderRejectionInfo(code="QtyTooLarge", reason="quantity too large: leg 'sp' would fill -5")
    for reply_at, event_first in ((T0 + timedelta(minutes=1), False), (T0 + timedelta(minutes=2), False),
                                  (T0 + timedelta(minutes=1), True)):
        state = AppState()
        rejected = order(at=reply_at).model_copy(update={"state": OrderState.Rejected, "qty": Decimal(-5)})
        event = order_update(state=OrderState.Rejected, at=T0 + timedelta(minutes=1), rejection=info,
                             filled_qty=Decimal(0), remaining_qty=Decimal(-5))
        if event_first:
            store.apply_event(state, event)
        store.apply_order(state, rejected)
        state.orders.flush()
        if not event_first:
            store.apply_event(state, event)
            assert state.orders.flush().updated == {7}, reply_at
        row = state.orders[7]
        assert (row.rejection, row.rejection_code, row.state) == (info.reason, "QtyTooLarge", OrderState.Rejected)
        assert row.order is not None and row.order.cum_qty == 0 and not row.order.cum_qty.is_signed()


def test_agent_status_event_upserts_the_agent() -> None:
    state = AppState()
    store.apply_agents(state, [agent()])
    store.apply_event(state, agent_event(AgentStatus.Degraded, seq=3))
    assert state.agents["Simulated"].status == AgentStatus.Degraded
    assert state.events.values()[0].level == "warning"


def test_event_log_is_bounded_and_keyed_by_seq() -> None:
    state = AppState(event_log_limit=10)
    for seq in range(1, 26):
        store.apply_event(state, agent_event(AgentStatus.Connected, seq=seq))
    assert list(state.events) == list(range(16, 26))
    assert len(state.event_keys) == 10 and state.last_event_seq == 25


def test_exec_plans_link_orders_to_positions() -> None:
    state = AppState()
    store.apply_orders(state, [order(order_id=1, exec_plan_id=10), order(order_id=2, exec_plan_id=11)])
    assert store.unknown_exec_plans(state) == {10, 11}
    state.orders.flush()
    store.link_exec_plans(state, {10: 3})
    assert state.orders[1].position_id == 3 and state.orders[2].position_id is None
    assert state.orders.flush().updated == {1}
