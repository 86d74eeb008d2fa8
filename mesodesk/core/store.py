"""Apply snapshots, stream entries and Event Hub events to :class:`AppState` (Qt-free).

Every function here only calls ``Table.upsert/touch/remove``: the tables
accumulate one change set per frame, so a burst of events is one repaint.
Events are idempotent upserts keyed by id; an event older than the row it
patches is logged but does not regress the row. ``apply_event`` returns the
names of snapshots that must be reloaded because the event refers to ids the
state does not know yet (a new position, order or leg).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mesodesk.contract import (
    AgentInfo,
    AgentStatusEvent,
    LegStatus,
    LegUpdateEvent,
    LiveAccount,
    LiveExecution,
    LiveLeg,
    LivePosition,
    LivePositionDetails,
    LivePositionState,
    LiveStrategy,
    MesoLiveEvent,
    Order,
    OrderState,
    OrderUpdateEvent,
    PositionDataEntry,
    PositionStatus,
    PositionUpdateEvent,
)
from mesodesk.core.event_text import event_type_name, summarize
from mesodesk.core.state import (
    AppState,
    EventRow,
    ExecutionRow,
    LegRow,
    OrderRow,
    OrderSpec,
    PositionRow,
    StrategyRow,
    market_decimal,
)

if TYPE_CHECKING:
    from mesodesk.sdk.lean import LeanPositionData


def agent_key(agent: AgentInfo | AgentStatusEvent) -> str:
    connector = agent.connector
    return str(connector.value) if connector is not None else "agent"


# -- snapshots -----------------------------------------------------------------------
def apply_accounts(state: AppState, accounts: Iterable[LiveAccount]) -> None:
    state.accounts.replace_all({a.broker_account_id: a for a in accounts})


def apply_agents(state: AppState, agents: Iterable[AgentInfo]) -> None:
    state.agents.replace_all({agent_key(a): a for a in agents})


def apply_strategies(state: AppState, strategies: Iterable[LiveStrategy]) -> None:
    rows: dict[int, StrategyRow] = {}
    for strategy in strategies:
        row = state.strategies.get(strategy.id) or StrategyRow(strategy)
        row.strategy = strategy
        rows[strategy.id] = row
    state.strategies.replace_all(rows)
    recount_strategies(state)


def apply_positions(
    state: AppState, summaries: Iterable[LivePosition], details: dict[int, LivePositionDetails] | None = None
) -> None:
    details = details or {}
    rows: dict[int, PositionRow] = {}
    for summary in summaries:
        row = state.positions.get(summary.id) or PositionRow(summary)
        row.summary = summary
        if summary.state != LivePositionState.Open:
            row.data = None  # no stale greeks or marks on a closed position
        detail = details.get(summary.id)
        if detail is not None:
            _set_details(row, detail)
        rows[summary.id] = row
    state.positions.replace_all(rows)
    recount_strategies(state)


def _set_details(row: PositionRow, detail: LivePositionDetails) -> None:
    row.details = detail
    if detail.realized_pnl is not None:
        row.realized = detail.realized_pnl


def apply_position_details(state: AppState, detail: LivePositionDetails) -> None:
    """A ``GetPosition`` answer (e.g. a closed position's realized P&L, which the list lacks)."""
    row = state.positions.get(detail.id)
    if row is None:
        return
    _set_details(row, detail)
    if detail.state != row.summary.state and detail.state != LivePositionState.Open:
        row.summary = row.summary.model_copy(update={"state": detail.state, "closed_at": detail.closed_at})
        row.data = None
        recount_strategies(state)
    state.positions.touch(detail.id)


def positions_missing_details(state: AppState) -> list[int]:
    """Closed positions whose realized P&L the console does not know yet."""
    return [key for key, row in state.positions.items()
            if not row.is_open and (row.details is None or row.details.state == LivePositionState.Open)]


def apply_order(state: AppState, order: Order, *, spec: OrderSpec | None = None,
                replaces: int | None = None) -> None:
    """An order from a reply or ``GetOrder``; never regresses a newer event's update."""
    row = state.orders.get(order.order_id)
    if row is None:
        row = OrderRow(order.order_id)
    if row.order is None or order.last_updated >= row.order.last_updated:
        row.order = order
    if spec is not None:
        row.spec = spec
    if replaces is not None:
        row.replaces = replaces
        old = state.orders.get(replaces)
        if old is not None and order.state != OrderState.Rejected:  # a rejected replacement leaves it working
            old.replaced_by = order.order_id
            state.orders.touch(replaces)
    if row.position_id is None:
        row.position_id = state.exec_plan_positions.get(order.exec_plan_id)
    state.orders.upsert(order.order_id, row)


def apply_legs(state: AppState, legs: Iterable[LiveLeg]) -> None:
    rows: dict[int, LegRow] = {}
    for leg in legs:
        row = state.legs.get(leg.id) or LegRow(leg)
        row.leg = leg
        rows[leg.id] = row
    state.legs.replace_all(rows)


def apply_orders(state: AppState, orders: Iterable[Order]) -> None:
    rows: dict[int, OrderRow] = {}
    for order in orders:
        row = state.orders.get(order.order_id) or OrderRow(order.order_id)
        row.order = order
        row.position_id = state.exec_plan_positions.get(order.exec_plan_id, row.position_id)
        rows[order.order_id] = row
    state.orders.replace_all(rows)


def apply_executions(state: AppState, executions: Iterable[LiveExecution]) -> None:
    rows: dict[int, ExecutionRow] = {}
    for execution in executions:
        position_id = state.exec_plan_positions.get(execution.exec_plan_id)
        leg = state.legs.get(execution.leg_id)
        if position_id is None and leg is not None:
            position_id = leg.position_id
            state.exec_plan_positions.setdefault(execution.exec_plan_id, position_id)
        rows[execution.execution_id] = ExecutionRow(execution, position_id)
    state.executions.replace_all(rows)
    link_exec_plans(state, {})


def link_exec_plans(state: AppState, mapping: dict[int, int]) -> None:
    """Record exec plan -> position ids and fill ``position_id`` of orders and executions."""
    state.exec_plan_positions.update(mapping)
    for key, order_row in state.orders.items():
        if order_row.order is not None and order_row.position_id is None:
            position_id = state.exec_plan_positions.get(order_row.order.exec_plan_id)
            if position_id is not None:
                order_row.position_id = position_id
                state.orders.touch(key)
    for key, exec_row in state.executions.items():
        if exec_row.position_id is None:
            position_id = state.exec_plan_positions.get(exec_row.execution.exec_plan_id)
            if position_id is not None:
                exec_row.position_id = position_id
                state.executions.touch(key)


def unknown_exec_plans(state: AppState) -> set[int]:
    plans = {r.order.exec_plan_id for r in state.orders.values() if r.order is not None}
    plans |= {r.execution.exec_plan_id for r in state.executions.values()}
    return plans - set(state.exec_plan_positions)


def recount_strategies(state: AppState) -> None:
    counts: dict[int, int] = {}
    for row in state.positions.values():
        if row.summary.state == LivePositionState.Open:
            counts[row.summary.live_strategy_id] = counts.get(row.summary.live_strategy_id, 0) + 1
    for key, strategy_row in state.strategies.items():
        count = counts.get(key, 0)
        if strategy_row.open_positions != count:
            strategy_row.open_positions = count
            state.strategies.touch(key)


# -- streams ---------------------------------------------------------------------------
def apply_stream_entry(state: AppState, position_id: int, entry: LeanPositionData | PositionDataEntry,
                       now: datetime) -> bool:
    """Store one ``StreamPositionData`` entry (lean, as the session streams it: float market
    values; realized P&L is kept as a ``Decimal``); returns False when the position is gone."""
    row = state.positions.get(position_id)
    if row is None:
        return False
    if not row.is_open:
        return False
    row.data = entry
    state.server_clock.observe(entry.timestamp)
    if entry.position_pnls is not None and entry.position_pnls.realized is not None:
        row.realized = market_decimal(entry.position_pnls.realized)
    row.updates += 1
    row.received_at = now
    state.stream_updates += 1
    state.positions.touch(position_id)
    leg_ids: set[int] = set()
    for block in (entry.leg_prices, entry.leg_greeks, entry.leg_pnls):
        if block:
            leg_ids.update(block)
    for leg_id in leg_ids:
        leg_row = state.legs.get(leg_id)
        if leg_row is None:
            continue
        if entry.leg_prices is not None and leg_id in entry.leg_prices:
            leg_row.prices = entry.leg_prices[leg_id]
        if entry.leg_greeks is not None and leg_id in entry.leg_greeks:
            leg_row.greeks = entry.leg_greeks[leg_id]
        if entry.leg_pnls is not None and leg_id in entry.leg_pnls:
            leg_row.pnl = entry.leg_pnls[leg_id]
        state.legs.touch(leg_id)
    return True


# -- events ----------------------------------------------------------------------------
def log_event(state: AppState, event: MesoLiveEvent) -> bool:
    """Append ``event`` to the event log; False when it was already there (dedupe by EventId)."""
    if event.event_id in state.event_keys:
        return False
    key = event.event_seq_id if event.event_seq_id > 0 else -(len(state.event_keys) + 1)
    if key in state.events:  # same seq, different id: keep both
        key = -(len(state.event_keys) + 1)
    summary, level = summarize(event)
    row = EventRow(
        seq=event.event_seq_id, time=event.event_time, type=event_type_name(event), summary=summary, level=level,
        event_id=event.event_id, event=event,
        strategy_id=getattr(event, "strategy_id", None), strategy_name=getattr(event, "strategy_name", None),
        position_id=getattr(event, "position_id", None), account=getattr(event, "broker_account_id", None),
    )
    state.event_keys[event.event_id] = key
    state.events.upsert(key, row)
    state.last_event_seq = max(state.last_event_seq, event.event_seq_id)
    while len(state.events) > state.event_log_limit:
        oldest = next(iter(state.events))
        old = state.events[oldest]
        state.events.remove(oldest)
        state.event_keys.pop(old.event_id, None)
    return True


def _newer(event_time: datetime, current: datetime | None) -> bool:
    return current is None or event_time >= current


def apply_event(state: AppState, event: MesoLiveEvent) -> set[str]:
    """Log ``event`` and patch the rows it refers to. Returns snapshots to reload."""
    if not log_event(state, event):
        return set()
    if isinstance(event, OrderUpdateEvent):
        return _apply_order_update(state, event)
    if isinstance(event, PositionUpdateEvent):
        return _apply_position_update(state, event)
    if isinstance(event, LegUpdateEvent):
        return _apply_leg_update(state, event)
    if isinstance(event, AgentStatusEvent):
        key = agent_key(event)
        agent = state.agents.get(key)
        if agent is None or _newer(event.event_time, agent.last_snapshot_at):
            base: dict[str, Any] = agent.model_dump() if agent is not None else {"connector": event.connector}
            base.update(status=event.status, message=event.message, last_snapshot_at=event.event_time)
            state.agents.upsert(key, AgentInfo.model_validate(base))
        return set()
    return set()


def _apply_order_update(state: AppState, event: OrderUpdateEvent) -> set[str]:
    row = state.orders.get(event.order_id)
    if row is None:
        row = OrderRow(event.order_id, strategy_name=event.strategy_name)
        _set_rejection(row, event)
        if event.exec_plan_id is not None:
            row.position_id = state.exec_plan_positions.get(event.exec_plan_id)
        state.orders.upsert(event.order_id, row)
        return {"orders"}
    row.strategy_name = event.strategy_name
    rejection_changed = _set_rejection(row, event)
    order = row.order
    if order is None:
        state.orders.touch(event.order_id)
        return {"orders"}
    if not _newer(event.event_time, order.last_updated):
        if rejection_changed:  # the order row is current, its reason is news (Rejection column)
            state.orders.touch(event.order_id)
        return set()
    update: dict[str, Any] = {"state": event.state, "last_updated": event.event_time}
    if event.filled_qty is not None:  # signed like Qty; a zero stays unsigned
        filled = abs(event.filled_qty)
        update["cum_qty"] = -filled if filled and order.qty < 0 else filled
    if event.avg_fill_price is not None:
        update["avg_fill_price"] = event.avg_fill_price
    if event.fill_price is not None:
        update["last_fill_price"] = event.fill_price
        update["filled_at"] = event.event_time
    row.order = order.model_copy(update=update)
    state.orders.touch(event.order_id)
    return {"executions"} if event.fill_price is not None or event.filled_qty else set()


def _set_rejection(row: OrderRow, event: OrderUpdateEvent) -> bool:
    """Copy the event's rejection (reason and code) to the row; True when it changed."""
    info = event.rejection
    if info is None or (info.reason == row.rejection and info.code == row.rejection_code):
        return False
    row.rejection = info.reason or row.rejection
    row.rejection_code = info.code or row.rejection_code
    return True


def _apply_position_update(state: AppState, event: PositionUpdateEvent) -> set[str]:
    row = state.positions.get(event.position_id)
    if row is None:
        return {"positions"}
    needs: set[str] = set()
    if event.status == PositionStatus.Closed and row.summary.state != LivePositionState.Closed:
        row.summary = row.summary.model_copy(update={"state": LivePositionState.Closed, "closed_at": event.event_time})
        row.data = None
        recount_strategies(state)
        needs.add("position_details")
    if event.status in (PositionStatus.RealizedPnLChanged, PositionStatus.Closed):
        row.realized = event.realized_pnl
    state.positions.touch(event.position_id)
    if event.status == PositionStatus.Adjusted:
        needs.add("positions")
    return needs


def _apply_leg_update(state: AppState, event: LegUpdateEvent) -> set[str]:
    row = state.legs.get(event.leg_id)
    if row is None:
        return {"legs"}
    user_set = row.leg.user_set_realized_pnl or 0
    update: dict[str, Any] = {"qty": event.qty, "tracked_realized_pnl": event.realized_pnl - user_set}
    if event.status == LegStatus.Closed:
        update["closed_at"] = event.event_time
    row.leg = row.leg.model_copy(update=update)
    row.status = str(event.status.value)
    state.legs.touch(event.leg_id)
    return set()
