"""Event hub (/hubs/event/v1): subscriptions, the event cursor, replay and live fan-out.

* ``SubscribeToStrategies``: explicit ids join the SignalR group ``strategy:{id}``;
  ``Strategies=null`` sets a per-connection "all" flag that also covers strategies
  created later; an empty list is a no-op; unknown ids land in ``FailedStrategies``.
* ``ctx.events.deliver`` fans each committed event out in EventSeqId order: strategy
  events to the group members and "all" connections, events without a strategy
  (agent status) to every connection of the user.
* On connect the active signals and errors of ``ctx.signals`` are pushed with their
  ORIGINAL EventId/EventSeqId (contract decision), before any subscription.
"""

from __future__ import annotations

import logging
from typing import Any

from mesodesk.contract import (
    GetEventsSinceArgs,
    GetEventsSinceResult,
    GetLatestEventSeqIdArgs,
    GetLatestEventSeqIdResult,
    MesoLiveEvent,
    SubscribeToStrategiesArgs,
    SubscribeToStrategiesResult,
    UnsubscribeFromStrategiesArgs,
    UnsubscribeFromStrategiesResult,
    event_type_of,
)
from mesodesk.sim.context import SimContext
from mesodesk.sim.hubs.api import check_implemented, implements
from mesodesk.sim.signalr import Hub, ServerConnection

log = logging.getLogger("mesodesk.sim.event_hub")

DEFAULT_EVENTS_LIMIT = 500
#: a strategy id that never exists: filters replay down to events without a strategy
_NO_STRATEGY = -1


def group_name(strategy_id: int) -> str:
    return f"strategy:{strategy_id}"


def build_event_hub(ctx: SimContext) -> Hub:
    hub = Hub("event")
    all_strategies: set[str] = set()  # connection ids subscribed with Strategies=null

    def subscribed_ids(conn: ServerConnection) -> list[int]:
        prefix = "strategy:"
        return sorted(int(g[len(prefix):]) for g in conn.groups if g.startswith(prefix))

    async def deliver(event_type: str, strategy_id: int | None, event: MesoLiveEvent) -> None:
        if strategy_id is None:
            targets = hub.connections
        else:
            members = {c.connection_id: c for c in hub.groups.members(group_name(strategy_id))}
            for conn in hub.connections:
                if conn.connection_id in all_strategies:
                    members[conn.connection_id] = conn
            targets = list(members.values())
        for conn in targets:  # queued per connection: a stalled subscriber never delays the others
            if not conn.closed:
                conn.post(event_type, event)

    ctx.events.deliver = deliver

    @hub.on_connected
    async def push_active_state(conn: ServerConnection) -> None:
        signals = ctx.signals
        if signals is None:
            return
        active: list[MesoLiveEvent] = []
        for name in ("active_signals", "active_errors"):
            getter = getattr(signals, name, None)
            if getter is not None:
                active.extend(getter())
        for event in sorted(active, key=lambda e: e.event_seq_id):
            await conn.send(event_type_of(event), event)

    @hub.on_disconnected
    async def forget(conn: ServerConnection) -> None:
        all_strategies.discard(conn.connection_id)

    @implements(hub)
    async def subscribe_to_strategies(conn: ServerConnection, args: SubscribeToStrategiesArgs) -> Any:
        known = ctx.world.strategies
        if args.strategies is None:
            all_strategies.add(conn.connection_id)
            return SubscribeToStrategiesResult(successful_strategies=sorted(known))
        ok, failed = [], []
        for strategy_id in dict.fromkeys(args.strategies):
            if strategy_id in known:
                hub.groups.add(conn, group_name(strategy_id))
                ok.append(strategy_id)
            else:
                failed.append(strategy_id)
        return SubscribeToStrategiesResult(successful_strategies=ok, failed_strategies=failed)

    @implements(hub)
    async def unsubscribe_from_strategies(conn: ServerConnection, args: UnsubscribeFromStrategiesArgs) -> Any:
        known = ctx.world.strategies
        if args.strategies is None:
            was = sorted(known) if conn.connection_id in all_strategies else subscribed_ids(conn)
            all_strategies.discard(conn.connection_id)
            for strategy_id in subscribed_ids(conn):
                hub.groups.discard(conn, group_name(strategy_id))
            return UnsubscribeFromStrategiesResult(successful_strategies=was)
        if args.strategies and conn.connection_id in all_strategies:
            # "all but these": pin the current strategies explicitly, then drop the asked ones
            all_strategies.discard(conn.connection_id)
            for strategy_id in known:
                hub.groups.add(conn, group_name(strategy_id))
        ok, failed = [], []
        for strategy_id in dict.fromkeys(args.strategies):
            if strategy_id in known or group_name(strategy_id) in conn.groups:
                hub.groups.discard(conn, group_name(strategy_id))
                ok.append(strategy_id)
            else:
                failed.append(strategy_id)
        return UnsubscribeFromStrategiesResult(successful_strategies=ok, failed_strategies=failed)

    @implements(hub)
    async def get_latest_event_seq_id(conn: ServerConnection, args: GetLatestEventSeqIdArgs) -> Any:
        return GetLatestEventSeqIdResult(latest_event_seq_id=ctx.events.latest_seq,
                                         snapshot_time=ctx.market.clock.now())

    @implements(hub)
    async def get_events_since(conn: ServerConnection, args: GetEventsSinceArgs) -> Any:
        limit = args.limit or DEFAULT_EVENTS_LIMIT
        latest = ctx.events.latest_seq
        strategies = args.strategies
        if strategies is not None and not strategies:
            strategies = [_NO_STRATEGY]
        events = ctx.events.since(args.since_event_seq_id, limit + 1, strategies)
        return GetEventsSinceResult(events=events[:limit], latest_event_seq_id=latest,
                                    has_more=len(events) > limit)

    return check_implemented(hub)
