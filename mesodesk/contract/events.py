"""Event hub: methods' args/results, the 17 callback payloads, replay envelope.

Event sequencing:

* ``EventSeqId`` is a global per-user monotonic counter starting at 1; every
  callback type (signals, job completions included) is persisted for replay.
* On-connect pushes of active signals/errors reuse the original ``EventId`` and
  ``EventSeqId`` (no new sequence id).
* Replay (``GetEventsSince``) wraps each payload in an :class:`EventEnvelope` whose
  ``EventType`` is the hub callback name (``"OnOrderUpdate"``); the payload model
  name (``"OrderUpdateEvent"``) is also accepted on input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Union
from uuid import UUID, uuid4

from pydantic import Field, PrivateAttr, ValidationError, model_validator

from .base import PageLimit, UtcDatetime, WireModel
from .enums import (
    AgentConnector,
    AgentStatus,
    ConditionType,
    ErrorState,
    LegStatus,
    OrderState,
    PositionStatus,
    SignalState,
)
from .market import ConditionEvaluation, LiveContract
from .orders import OrderRejectionInfo
from .prepare import (
    EntrySignalsResult,
    ExitSignalsResult,
    PreparePositionAdjustmentResult,
    PreparePositionEntryResult,
    PreparePositionExitResult,
)

__all__ = [
    "EVENT_CALLBACKS",
    "EVENT_CALLBACKS_BY_MODEL",
    "AdjustmentSignalEvent",
    "AgentStatusEvent",
    "AnyEvent",
    "AutoUpdateVarsAdjustmentCompletedEvent",
    "AutoUpdateVarsAdjustmentFailedEvent",
    "AutoUpdateVarsAdjustmentStartedEvent",
    "EntrySignalEvent",
    "ErrorEvent",
    "EventCallback",
    "EventDelivery",
    "EventEnvelope",
    "ExitSignalEvent",
    "GetEventsSinceArgs",
    "GetEventsSinceResult",
    "GetLatestEventSeqIdArgs",
    "GetLatestEventSeqIdResult",
    "LegUpdateEvent",
    "MesoLiveEvent",
    "OrderUpdateEvent",
    "PositionAdjustmentPreparationCompletedEvent",
    "PositionAdjustmentPreparationFailedEvent",
    "PositionEntryPreparationCompletedEvent",
    "PositionEntryPreparationFailedEvent",
    "PositionExitPreparationCompletedEvent",
    "PositionExitPreparationFailedEvent",
    "PositionUpdateEvent",
    "SubscribeToStrategiesArgs",
    "SubscribeToStrategiesResult",
    "UnsubscribeFromStrategiesArgs",
    "UnsubscribeFromStrategiesResult",
    "event_type_of",
]


# ---------------------------------------------------------------- hub methods


class SubscribeToStrategiesArgs(WireModel):
    """``SubscribeToStrategies`` args: ``Strategies`` null = all the user's strategies; empty list = no-op."""

    strategies: list[int] | None = None


class SubscribeToStrategiesResult(WireModel):
    """Which strategies were subscribed and which failed."""

    successful_strategies: list[int] = Field(default_factory=list)
    failed_strategies: list[int] = Field(default_factory=list)


class UnsubscribeFromStrategiesArgs(WireModel):
    """``UnsubscribeFromStrategies`` args: ``Strategies`` null = unsubscribe from all; empty list = no-op."""

    strategies: list[int] | None = None


class UnsubscribeFromStrategiesResult(WireModel):
    """Which strategies were unsubscribed and which failed."""

    successful_strategies: list[int] = Field(default_factory=list)
    failed_strategies: list[int] = Field(default_factory=list)


class GetLatestEventSeqIdArgs(WireModel):
    """``GetLatestEventSeqId`` takes no arguments."""


class GetLatestEventSeqIdResult(WireModel):
    """The user's latest ``EventSeqId`` (0 when the user has no events yet)."""

    latest_event_seq_id: int
    snapshot_time: UtcDatetime


class GetEventsSinceArgs(WireModel):
    """``GetEventsSince`` args: ``SinceEventSeqId`` is exclusive (0 = from the start); ``Limit``
    1..1000, null = 500; ``Strategies`` null = all (events without a strategy, e.g.
    agent status, are always included).
    """

    since_event_seq_id: int = Field(ge=0)
    limit: PageLimit | None = None
    strategies: list[int] | None = None


# ---------------------------------------------------------------- payloads


#: How the event client delivered an event: see :attr:`MesoLiveEvent.delivery`.
EventDelivery = Literal["live", "replay", "snapshot"]


class MesoLiveEvent(WireModel):
    """Common header of every event. ``EventId`` is stable (use it to dedupe); ``EventSeqId``
    orders the user's events. Defaults: a fresh uuid4 and 0 (= "not yet sequenced", the
    server assigns it).
    """

    event_id: UUID = Field(default_factory=uuid4)
    event_seq_id: int = 0
    event_time: UtcDatetime

    # How the SDK's event client delivered this event (not a wire field; see ``delivery``).
    _delivery: EventDelivery = PrivateAttr(default="live")

    @property
    def delivery(self) -> EventDelivery:
        """How the event client delivered this event (not a wire field):

        * ``"live"``: pushed by the server as it happened;
        * ``"replay"``: history fetched with ``GetEventsSince`` after a (re)connect (it happened
          while this client was not connected, or before it started);
        * ``"snapshot"``: a still-active signal or error the server pushed on connect, delivered
          once as the current state (it may have happened long ago).
        """
        return self._delivery

    @property
    def replayed(self) -> bool:
        """``True`` when the event did not arrive live (``delivery`` is ``"replay"`` or
        ``"snapshot"``): it may be old news. Trading handlers usually act on live events only."""
        return self._delivery != "live"


class EntrySignalEvent(MesoLiveEvent):
    """``OnEntrySignal``: a strategy's entry signal changed state on an account."""

    state: SignalState
    strategy_id: int
    strategy_name: str
    broker_account_id: str
    entry_signal_result: EntrySignalsResult | None = None


class ExitSignalEvent(MesoLiveEvent):
    """``OnExitSignal``: a position's exit signal changed state."""

    state: SignalState
    strategy_id: int
    strategy_name: str
    position_id: int
    position_name: str
    broker_account_id: str | None = None
    exit_signal_result: ExitSignalsResult | None = None


class AdjustmentSignalEvent(MesoLiveEvent):
    """``OnAdjustmentSignal``: a position's adjustment signal changed state.
    ``Condition.Statement`` is the ConditionalAdjustments key.
    """

    state: SignalState
    strategy_id: int
    strategy_name: str
    position_id: int
    position_name: str
    broker_account_id: str | None = None
    adjustment_time_ok: bool
    condition: ConditionEvaluation


class OrderUpdateEvent(MesoLiveEvent):
    """``OnOrderUpdate``: an order changed state or filled (partially)."""

    order_id: int
    broker_account_id: str | None = None
    exec_plan_id: int | None = None
    leg_group_id: int | None = None
    strategy_id: int
    strategy_name: str
    state: OrderState
    filled_qty: Decimal | None = None
    remaining_qty: Decimal | None = None
    fill_price: Decimal | None = None
    avg_fill_price: Decimal | None = None
    rejection: OrderRejectionInfo | None = None


class PositionUpdateEvent(MesoLiveEvent):
    """``OnPositionUpdate``: a position's status or realized P&L changed."""

    position_id: int
    strategy_id: int
    strategy_name: str
    position_name: str
    broker_account_id: str
    status: PositionStatus
    realized_pnl: Decimal = Field(default=Decimal(0), alias="RealizedPnL")


class LegUpdateEvent(MesoLiveEvent):
    """``OnLegUpdate``: a leg's status, quantity or realized P&L changed."""

    broker_account_id: str
    position_id: int
    position_name: str
    strategy_id: int
    strategy_name: str
    leg_id: int
    leg_name: str
    contract: LiveContract
    status: LegStatus
    qty: Decimal = Decimal(0)
    realized_pnl: Decimal = Field(default=Decimal(0), alias="RealizedPnL")


class AgentStatusEvent(MesoLiveEvent):
    """``OnAgentStatusChange``: an agent's status changed."""

    status: AgentStatus
    message: str
    connector: AgentConnector | None = None


class ErrorEvent(MesoLiveEvent):
    """``OnError``: ``State`` is the transition (Raised/Cleared) of the error ``ErrorId``."""

    state: ErrorState
    error_id: UUID
    strategy_id: int | None = None
    strategy_name: str | None = None
    position_id: int | None = None
    position_name: str | None = None
    broker_account_id: str | None = None
    message: str | None = None
    condition_type: ConditionType | None = None
    statement: str | None = None


class _PreparationEvent(MesoLiveEvent):
    job_id: str
    strategy_id: int
    strategy_name: str
    broker_account_id: str | None = None


class PositionEntryPreparationCompletedEvent(_PreparationEvent):
    """``OnPositionEntryPreparationCompleted``: an entry prepare job finished; ``Result`` is its result."""

    result: PreparePositionEntryResult


class PositionEntryPreparationFailedEvent(_PreparationEvent):
    """``OnPositionEntryPreparationFailed``: an entry prepare job failed; ``Error`` says why."""

    error: str


class PositionExitPreparationCompletedEvent(_PreparationEvent):
    """``OnPositionExitPreparationCompleted``: an exit prepare job finished; ``Result`` is its result."""

    result: PreparePositionExitResult


class PositionExitPreparationFailedEvent(_PreparationEvent):
    """``OnPositionExitPreparationFailed``: an exit prepare job failed; ``Error`` says why."""

    error: str


class PositionAdjustmentPreparationCompletedEvent(_PreparationEvent):
    """``OnPositionAdjustmentPreparationCompleted``: an adjustment prepare job finished; ``Result`` is its result."""

    result: PreparePositionAdjustmentResult


class PositionAdjustmentPreparationFailedEvent(_PreparationEvent):
    """``OnPositionAdjustmentPreparationFailed``: an adjustment prepare job failed; ``Error`` says why."""

    error: str


class _AutoUpdateVarsEvent(MesoLiveEvent):
    """The server applied an UpdateVars-only conditional adjustment on its own.
    ``Condition`` = the ConditionalAdjustments key.
    """

    strategy_id: int
    strategy_name: str
    position_id: int
    position_name: str
    broker_account_id: str | None = None
    condition: str


class AutoUpdateVarsAdjustmentStartedEvent(_AutoUpdateVarsEvent):
    """``OnAutoUpdateVarsAdjustmentStarted``: the server started an UpdateVars-only
    conditional adjustment on its own. ``Condition`` = the ConditionalAdjustments key.
    """


class AutoUpdateVarsAdjustmentCompletedEvent(_AutoUpdateVarsEvent):
    """``OnAutoUpdateVarsAdjustmentCompleted``: ``Vars`` = the position variables after the update."""

    vars: dict[str, Decimal] = Field(default_factory=dict)


class AutoUpdateVarsAdjustmentFailedEvent(_AutoUpdateVarsEvent):
    """``OnAutoUpdateVarsAdjustmentFailed``: ``Error`` = why the update failed."""

    error: str


AnyEvent = Union[  # noqa: UP007 - a runtime union object is needed for pydantic
    EntrySignalEvent,
    ExitSignalEvent,
    AdjustmentSignalEvent,
    OrderUpdateEvent,
    PositionUpdateEvent,
    LegUpdateEvent,
    AgentStatusEvent,
    ErrorEvent,
    PositionEntryPreparationCompletedEvent,
    PositionEntryPreparationFailedEvent,
    PositionExitPreparationCompletedEvent,
    PositionExitPreparationFailedEvent,
    PositionAdjustmentPreparationCompletedEvent,
    PositionAdjustmentPreparationFailedEvent,
    AutoUpdateVarsAdjustmentStartedEvent,
    AutoUpdateVarsAdjustmentCompletedEvent,
    AutoUpdateVarsAdjustmentFailedEvent,
]


@dataclass(frozen=True)
class EventCallback:
    """One server->client callback: hub name, SDK handler name, payload model."""

    callback: str
    handler: str
    model: type[MesoLiveEvent]


_CALLBACKS: tuple[EventCallback, ...] = (
    EventCallback("OnEntrySignal", "on_entry_signal", EntrySignalEvent),
    EventCallback("OnExitSignal", "on_exit_signal", ExitSignalEvent),
    EventCallback("OnAdjustmentSignal", "on_adjustment_signal", AdjustmentSignalEvent),
    EventCallback("OnOrderUpdate", "on_order_update", OrderUpdateEvent),
    EventCallback("OnPositionUpdate", "on_position_update", PositionUpdateEvent),
    EventCallback("OnLegUpdate", "on_leg_update", LegUpdateEvent),
    EventCallback("OnAgentStatusChange", "on_agent_status_change", AgentStatusEvent),
    EventCallback("OnError", "on_error", ErrorEvent),
    EventCallback(
        "OnPositionEntryPreparationCompleted",
        "on_position_entry_preparation_completed",
        PositionEntryPreparationCompletedEvent,
    ),
    EventCallback(
        "OnPositionEntryPreparationFailed",
        "on_position_entry_preparation_failed",
        PositionEntryPreparationFailedEvent,
    ),
    EventCallback(
        "OnPositionExitPreparationCompleted",
        "on_position_exit_preparation_completed",
        PositionExitPreparationCompletedEvent,
    ),
    EventCallback(
        "OnPositionExitPreparationFailed",
        "on_position_exit_preparation_failed",
        PositionExitPreparationFailedEvent,
    ),
    EventCallback(
        "OnPositionAdjustmentPreparationCompleted",
        "on_position_adjustment_preparation_completed",
        PositionAdjustmentPreparationCompletedEvent,
    ),
    EventCallback(
        "OnPositionAdjustmentPreparationFailed",
        "on_position_adjustment_preparation_failed",
        PositionAdjustmentPreparationFailedEvent,
    ),
    EventCallback(
        "OnAutoUpdateVarsAdjustmentStarted",
        "on_auto_update_vars_adjustment_started",
        AutoUpdateVarsAdjustmentStartedEvent,
    ),
    EventCallback(
        "OnAutoUpdateVarsAdjustmentCompleted",
        "on_auto_update_vars_adjustment_completed",
        AutoUpdateVarsAdjustmentCompletedEvent,
    ),
    EventCallback(
        "OnAutoUpdateVarsAdjustmentFailed",
        "on_auto_update_vars_adjustment_failed",
        AutoUpdateVarsAdjustmentFailedEvent,
    ),
)

#: hub callback name ("OnEntrySignal") -> EventCallback(handler "on_entry_signal", model)
EVENT_CALLBACKS: dict[str, EventCallback] = {cb.callback: cb for cb in _CALLBACKS}
#: payload model -> EventCallback
EVENT_CALLBACKS_BY_MODEL: dict[type[MesoLiveEvent], EventCallback] = {cb.model: cb for cb in _CALLBACKS}
_BY_MODEL_NAME: dict[str, EventCallback] = {cb.model.__name__: cb for cb in _CALLBACKS}


def event_type_of(event: MesoLiveEvent) -> str:
    """Hub callback name of a payload instance (``OrderUpdateEvent`` -> ``"OnOrderUpdate"``)."""
    for cls in type(event).__mro__:
        cb = EVENT_CALLBACKS_BY_MODEL.get(cls)
        if cb is not None:
            return cb.callback
    raise TypeError(f"{type(event).__name__} is not an event payload model")


def _resolve_callback(event_type: str) -> EventCallback:
    cb = EVENT_CALLBACKS.get(event_type) or _BY_MODEL_NAME.get(event_type)
    if cb is None:
        raise ValueError(f"unknown EventType {event_type!r}")
    return cb


class EventEnvelope(WireModel):
    """Replay item ``{EventType, EventSeqId, Event}``; ``EventType`` is the callback name and
    selects the payload model of ``Event``.
    """

    event_type: str
    event_seq_id: int
    event: AnyEvent

    @model_validator(mode="before")
    @classmethod
    def _dispatch(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        type_key = "EventType" if "EventType" in data else "event_type"
        event_key = "Event" if "Event" in data else "event"
        event_type = data.get(type_key)
        payload = data.get(event_key)
        if not isinstance(event_type, str):
            raise ValueError("EventType is required")
        cb = _resolve_callback(event_type)
        out = dict(data)
        out[type_key] = cb.callback
        if not isinstance(payload, MesoLiveEvent):
            try:
                out[event_key] = cb.model.model_validate(payload)
            except ValidationError as exc:  # report the errors at Event.<field>, not at <field>
                try:
                    located = ValidationError.from_exception_data(
                        exc.title,
                        [{**e, "loc": ("Event", *e["loc"])} for e in exc.errors(include_url=False)],  # type: ignore[typeddict-unknown-key]
                    )
                except Exception:  # an error type pydantic cannot rebuild: the original, as is
                    raise exc from None
                raise located from None
        elif not isinstance(payload, cb.model):
            raise ValueError(f"Event is a {type(payload).__name__}, EventType says {cb.model.__name__}")
        return out

    @classmethod
    def wire_variant(cls, alias: str, data: Mapping[str, Any]) -> type[MesoLiveEvent] | None:
        """For tolerant readers (:mod:`.wire_read`): the payload model of ``Event`` in ``data``
        (keys already canonical), from its ``EventType``; ``None`` when the type is unknown
        (the reader then drops the envelope instead of failing the whole replay). Raises
        ``LookupError`` when ``EventType`` is missing (validation reports that)."""
        event_type = data.get("EventType")
        if alias != "Event" or not isinstance(event_type, str):
            raise LookupError("no EventType")
        try:
            return _resolve_callback(event_type).model
        except ValueError:
            return None

    @classmethod
    def wire_variant_key(cls, alias: str, data: Mapping[str, Any]) -> tuple[str, Any]:
        """The discriminating property of :meth:`wire_variant` and its value."""
        return "EventType", data.get("EventType")

    @classmethod
    def wrap(cls, event: MesoLiveEvent) -> EventEnvelope:
        """Envelope for ``event`` (EventType and EventSeqId taken from the payload)."""
        return cls.model_validate(
            {"EventType": event_type_of(event), "EventSeqId": event.event_seq_id, "Event": event}
        )


class GetEventsSinceResult(WireModel):
    """``Events`` in ascending EventSeqId; ``HasMore`` = call again with the last returned seq
    id; ``LatestEventSeqId`` = the user's latest at query time.
    """

    events: list[EventEnvelope] = Field(default_factory=list)
    latest_event_seq_id: int
    has_more: bool = False
