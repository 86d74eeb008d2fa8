"""Real contract models for store tests (the wire types, not fakes of the server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from mesodesk.contract import (
    AgentConnector,
    AgentInfo,
    AgentStatus,
    AgentStatusEvent,
    Order,
    OrderState,
    OrderType,
    OrderUpdateEvent,
    TimeInForce,
)

T0 = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def order(order_id: int = 7, exec_plan_id: int = 1, state: OrderState = OrderState.Working,
          at: datetime = T0) -> Order:
    return Order(order_id=order_id, created_at=at, exec_plan_id=exec_plan_id, broker_account_id="ML10001",
                 leg_group_id=1, state=state, side="S", qty=Decimal(-2), cum_qty=Decimal(0),
                 order_type=OrderType.Limit, time_in_force=TimeInForce.DAY, limit_price=Decimal("-1.50"),
                 last_updated=at)


def order_update(order_id: int = 7, seq: int = 1, state: OrderState = OrderState.Filled,
                 at: datetime = T0 + timedelta(minutes=1), **kw) -> OrderUpdateEvent:
    return OrderUpdateEvent(order_id=order_id, strategy_id=1, strategy_name="SPX Iron Condor", state=state,
                            event_time=at, event_seq_id=seq, exec_plan_id=kw.pop("exec_plan_id", 1), **kw)


def agent(status: AgentStatus = AgentStatus.Connected) -> AgentInfo:
    return AgentInfo(connector=AgentConnector.Simulated, status=status, message="ok", last_snapshot_at=T0)


def agent_event(status: AgentStatus, seq: int, at: datetime = T0 + timedelta(minutes=2)) -> AgentStatusEvent:
    return AgentStatusEvent(status=status, message=f"agent {status.value}", connector=AgentConnector.Simulated,
                            event_time=at, event_seq_id=seq)
