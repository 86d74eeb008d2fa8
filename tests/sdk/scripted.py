"""Scripted MesoLive hubs on the simulator's generic SignalR server.

They let SDK tests control exactly what the server does and when (replay pages,
live pushes during a replay, on-connect pushes, calls that never answer), which
the full simulator does not expose. The SDK talks to them over real sockets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from mesodesk.contract import (
    HUB_PATHS,
    AgentStatus,
    AgentStatusEvent,
    EventEnvelope,
    GetEventsSinceArgs,
    GetEventsSinceResult,
    GetIdempotencyRecordArgs,
    GetLatestEventSeqIdArgs,
    GetLatestEventSeqIdResult,
    IdempotencyOperation,
    IdempotencyRecord,
    IdempotencyRecordStatus,
    MesoLiveEvent,
    SendOrderArgs,
    SendOrderResult,
    StatusCode,
    SubscribeToStrategiesArgs,
    SubscribeToStrategiesResult,
    dumps,
    event_type_of,
    to_wire,
)
from mesodesk.sim.hubs.api import ApiFailure, api_method
from mesodesk.sim.signalr import Hub, ServerConnection, SignalRServer, constant_time_token_check

TOKEN = "scripted-token-0123"


def agent_event(message: str, seq: int = 0) -> AgentStatusEvent:
    return AgentStatusEvent(event_time=datetime.now(UTC), status=AgentStatus.Connected, message=message,
                            event_seq_id=seq)


@dataclass
class ScriptedEvents:
    """A per-user event log with replay, subscriptions and pushes under test control."""

    log: list[EventEnvelope] = field(default_factory=list)
    subscribed: set[str] = field(default_factory=set)
    since_calls: list[int] = field(default_factory=list)
    subscribe_calls: int = 0
    #: awaited inside GetEventsSince (before answering) when set: lets a test push live events mid-replay
    replay_gate: Callable[[int], Awaitable[None]] | None = None
    #: events pushed to every connection right after it connects (active signals/errors)
    on_connect_push: list[MesoLiveEvent] = field(default_factory=list)
    hub: Hub | None = None

    def append(self, event: MesoLiveEvent) -> MesoLiveEvent:
        seq = len(self.log) + 1
        event = event.model_copy(update={"event_seq_id": seq})
        self.log.append(EventEnvelope.wrap(event))
        return event

    async def push(self, event: MesoLiveEvent) -> None:
        """Deliver ``event`` live to subscribed connections."""
        assert self.hub is not None
        for conn in self.hub.connections:
            if conn.connection_id in self.subscribed:
                await conn.send(event_type_of(event), to_wire(event))

    async def publish(self, event: MesoLiveEvent) -> MesoLiveEvent:
        event = self.append(event)
        await self.push(event)
        return event


def build_event_hub(state: ScriptedEvents) -> Hub:
    hub = Hub("event")
    state.hub = hub

    @hub.on_connected
    async def pushed_on_connect(conn: ServerConnection) -> None:
        for event in state.on_connect_push:
            await conn.send(event_type_of(event), to_wire(event))

    @hub.on_disconnected
    async def gone(conn: ServerConnection) -> None:
        state.subscribed.discard(conn.connection_id)

    @api_method(hub, "GetLatestEventSeqId", GetLatestEventSeqIdArgs)
    async def latest(conn: ServerConnection, args: GetLatestEventSeqIdArgs) -> Any:
        return GetLatestEventSeqIdResult(latest_event_seq_id=len(state.log), snapshot_time=datetime.now(UTC))

    @api_method(hub, "GetEventsSince", GetEventsSinceArgs)
    async def since(conn: ServerConnection, args: GetEventsSinceArgs) -> Any:
        state.since_calls.append(args.since_event_seq_id)
        limit = args.limit or 500
        after = [e for e in state.log if e.event_seq_id > args.since_event_seq_id]
        page = after[:limit]
        if state.replay_gate is not None:  # the page is already computed: later events are "live"
            await state.replay_gate(args.since_event_seq_id)
        return GetEventsSinceResult(events=page, latest_event_seq_id=len(state.log), has_more=len(after) > limit)

    @api_method(hub, "SubscribeToStrategies", SubscribeToStrategiesArgs)
    async def subscribe(conn: ServerConnection, args: SubscribeToStrategiesArgs) -> Any:
        state.subscribe_calls += 1
        state.subscribed.add(conn.connection_id)
        return SubscribeToStrategiesResult(successful_strategies=args.strategies or [])

    return hub


@dataclass
class ScriptedOrders:
    """SendOrder + GetIdempotencyRecord with a controllable broker delay."""

    records: dict[str, IdempotencyRecord] = field(default_factory=dict)
    orders: dict[str, list[int]] = field(default_factory=dict)  # key -> order ids created
    send_calls: list[str] = field(default_factory=list)
    record_calls: int = 0
    delay: float = 0.0
    next_id: int = 100
    #: keys whose first SendOrder is swallowed (never recorded: "the request never arrived")
    lose_first: set[str] = field(default_factory=set)
    fail_with: StatusCode | None = None
    started: asyncio.Event = field(default_factory=asyncio.Event)


def build_control_hub(state: ScriptedOrders) -> Hub:
    hub = Hub("control")

    @api_method(hub, "GetIdempotencyRecord", GetIdempotencyRecordArgs)
    async def get_record(conn: ServerConnection, args: GetIdempotencyRecordArgs) -> Any:
        state.record_calls += 1
        record = state.records.get(args.idempotency_key)
        if record is None:
            raise ApiFailure(StatusCode.NotFound, "no record", code="NotFound")
        return record

    @api_method(hub, "SendOrder", SendOrderArgs)
    async def send_order(conn: ServerConnection, args: SendOrderArgs) -> Any:
        key = args.idempotency_key
        state.send_calls.append(key)
        if key in state.lose_first:
            state.lose_first.discard(key)
            state.started.set()
            await asyncio.sleep(3600)  # the connection drops; nothing was recorded
        existing = state.records.get(key)
        if existing is not None:
            if existing.status == IdempotencyRecordStatus.Processing:
                raise ApiFailure(StatusCode.Conflict, "processing", code="Processing")
            raise ApiFailure(StatusCode.DuplicateRequest, "dup", data=SendOrderResult.model_validate_json(
                existing.response_data or "{}"))
        now = datetime.now(UTC)
        state.records[key] = IdempotencyRecord(idempotency_key=key, operation=IdempotencyOperation.SendOrder,
                                               status=IdempotencyRecordStatus.Processing, created_at=now,
                                               updated_at=now)
        state.started.set()
        # The broker keeps working when the client's connection drops (shielded from cancellation).
        return await asyncio.shield(asyncio.ensure_future(_complete(key)))

    async def _complete(key: str) -> Any:
        await asyncio.sleep(state.delay)
        if state.fail_with is not None:
            state.records[key] = state.records[key].model_copy(update={
                "status": IdempotencyRecordStatus.Failed, "response_status": state.fail_with,
                "response_message": "broker said no"})
            raise ApiFailure(state.fail_with, "broker said no")
        state.next_id += 1
        result = SendOrderResult(order_ids=[state.next_id])
        state.orders.setdefault(key, []).append(state.next_id)
        state.records[key] = state.records[key].model_copy(update={
            "status": IdempotencyRecordStatus.Completed, "live_order_ids": result.order_ids,
            "response_status": StatusCode.Success, "response_data": dumps(result).decode()})
        return result

    return hub


class ScriptedServer:
    def __init__(self) -> None:
        self.events = ScriptedEvents()
        self.orders = ScriptedOrders()
        self.signalr = SignalRServer(authenticate=constant_time_token_check(TOKEN), dumps=dumps)
        self.signalr.add_hub(HUB_PATHS["event"], build_event_hub(self.events))
        self.signalr.add_hub(HUB_PATHS["control"], build_control_hub(self.orders))

    @property
    def url(self) -> str:
        return self.signalr.url

    async def start(self) -> None:
        await self.signalr.start(port=0)

    async def stop(self) -> None:
        await self.signalr.stop()


def new_event_id() -> Any:
    return uuid4()
