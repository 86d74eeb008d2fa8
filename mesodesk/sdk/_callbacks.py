"""The 17 Event Hub callback registrations (generated from ``EVENT_CALLBACKS``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from mesodesk.contract import (
    AdjustmentSignalEvent,
    AgentStatusEvent,
    AutoUpdateVarsAdjustmentCompletedEvent,
    AutoUpdateVarsAdjustmentFailedEvent,
    AutoUpdateVarsAdjustmentStartedEvent,
    EntrySignalEvent,
    ErrorEvent,
    ExitSignalEvent,
    LegUpdateEvent,
    MesoLiveEvent,
    OrderUpdateEvent,
    PositionAdjustmentPreparationCompletedEvent,
    PositionAdjustmentPreparationFailedEvent,
    PositionEntryPreparationCompletedEvent,
    PositionEntryPreparationFailedEvent,
    PositionExitPreparationCompletedEvent,
    PositionExitPreparationFailedEvent,
    PositionUpdateEvent,
)

Remover = Callable[[], None]
#: A sync or async event handler.
EventHandler = Callable[[Any], Awaitable[None] | None]


class EventCallbacksMixin:
    """``on_<event>(handler)`` registers a sync or async handler and returns a remover.

    Handlers run one after another in registration order, each event exactly once
    (after dedupe, in ``EventSeqId`` order); an exception in a handler is logged and
    the connection lives on. ``on_event(handler)`` receives every event of any type.
    """

    def _register(self, callback: str | None, model: type[Any] | None, handler: EventHandler) -> Remover:
        raise NotImplementedError  # implemented by MesoLiveEventHubClient

    def on_event(self, handler: Callable[[MesoLiveEvent], Awaitable[None] | None]) -> Remover:
        """Handle EVERY event, whatever its type (after dedupe, in order).

        ``handler(event)`` gets the typed payload (a :class:`MesoLiveEvent` subclass);
        ``mesodesk.contract.event_type_of(event)`` gives its callback name
        (``"OnOrderUpdate"``). Returns a remover.
        """
        return self._register(None, None, handler)

    def on_entry_signal(self, handler: Callable[[EntrySignalEvent], Awaitable[None] | None]) -> Remover:
        """Handle ``OnEntrySignal`` events (:class:`EntrySignalEvent`)."""
        return self._register("OnEntrySignal", EntrySignalEvent, handler)

    def on_exit_signal(self, handler: Callable[[ExitSignalEvent], Awaitable[None] | None]) -> Remover:
        """Handle ``OnExitSignal`` events (:class:`ExitSignalEvent`)."""
        return self._register("OnExitSignal", ExitSignalEvent, handler)

    def on_adjustment_signal(self, handler: Callable[[AdjustmentSignalEvent], Awaitable[None] | None]) -> Remover:
        """Handle ``OnAdjustmentSignal`` events (:class:`AdjustmentSignalEvent`)."""
        return self._register("OnAdjustmentSignal", AdjustmentSignalEvent, handler)

    def on_order_update(self, handler: Callable[[OrderUpdateEvent], Awaitable[None] | None]) -> Remover:
        """Handle ``OnOrderUpdate`` events (:class:`OrderUpdateEvent`)."""
        return self._register("OnOrderUpdate", OrderUpdateEvent, handler)

    def on_position_update(self, handler: Callable[[PositionUpdateEvent], Awaitable[None] | None]) -> Remover:
        """Handle ``OnPositionUpdate`` events (:class:`PositionUpdateEvent`)."""
        return self._register("OnPositionUpdate", PositionUpdateEvent, handler)

    def on_leg_update(self, handler: Callable[[LegUpdateEvent], Awaitable[None] | None]) -> Remover:
        """Handle ``OnLegUpdate`` events (:class:`LegUpdateEvent`)."""
        return self._register("OnLegUpdate", LegUpdateEvent, handler)

    def on_agent_status_change(self, handler: Callable[[AgentStatusEvent], Awaitable[None] | None]) -> Remover:
        """Handle ``OnAgentStatusChange`` events (:class:`AgentStatusEvent`)."""
        return self._register("OnAgentStatusChange", AgentStatusEvent, handler)

    def on_error(self, handler: Callable[[ErrorEvent], Awaitable[None] | None]) -> Remover:
        """Handle ``OnError`` events (:class:`ErrorEvent`)."""
        return self._register("OnError", ErrorEvent, handler)

    def on_position_entry_preparation_completed(self, handler: Callable[[PositionEntryPreparationCompletedEvent], Awaitable[None] | None]) -> Remover:
        """Handle ``OnPositionEntryPreparationCompleted`` events (:class:`PositionEntryPreparationCompletedEvent`)."""
        return self._register("OnPositionEntryPreparationCompleted", PositionEntryPreparationCompletedEvent, handler)

    def on_position_entry_preparation_failed(self, handler: Callable[[PositionEntryPreparationFailedEvent], Awaitable[None] | None]) -> Remover:
        """Handle ``OnPositionEntryPreparationFailed`` events (:class:`PositionEntryPreparationFailedEvent`)."""
        return self._register("OnPositionEntryPreparationFailed", PositionEntryPreparationFailedEvent, handler)

    def on_position_exit_preparation_completed(self, handler: Callable[[PositionExitPreparationCompletedEvent], Awaitable[None] | None]) -> Remover:
        """Handle ``OnPositionExitPreparationCompleted`` events (:class:`PositionExitPreparationCompletedEvent`)."""
        return self._register("OnPositionExitPreparationCompleted", PositionExitPreparationCompletedEvent, handler)

    def on_position_exit_preparation_failed(self, handler: Callable[[PositionExitPreparationFailedEvent], Awaitable[None] | None]) -> Remover:
        """Handle ``OnPositionExitPreparationFailed`` events (:class:`PositionExitPreparationFailedEvent`)."""
        return self._register("OnPositionExitPreparationFailed", PositionExitPreparationFailedEvent, handler)

    def on_position_adjustment_preparation_completed(self, handler: Callable[[PositionAdjustmentPreparationCompletedEvent], Awaitable[None] | None]) -> Remover:
        """Handle ``OnPositionAdjustmentPreparationCompleted`` events (:class:`PositionAdjustmentPreparationCompletedEvent`)."""
        return self._register("OnPositionAdjustmentPreparationCompleted", PositionAdjustmentPreparationCompletedEvent, handler)

    def on_position_adjustment_preparation_failed(self, handler: Callable[[PositionAdjustmentPreparationFailedEvent], Awaitable[None] | None]) -> Remover:
        """Handle ``OnPositionAdjustmentPreparationFailed`` events (:class:`PositionAdjustmentPreparationFailedEvent`)."""
        return self._register("OnPositionAdjustmentPreparationFailed", PositionAdjustmentPreparationFailedEvent, handler)

    def on_auto_update_vars_adjustment_started(self, handler: Callable[[AutoUpdateVarsAdjustmentStartedEvent], Awaitable[None] | None]) -> Remover:
        """Handle ``OnAutoUpdateVarsAdjustmentStarted`` events (:class:`AutoUpdateVarsAdjustmentStartedEvent`)."""
        return self._register("OnAutoUpdateVarsAdjustmentStarted", AutoUpdateVarsAdjustmentStartedEvent, handler)

    def on_auto_update_vars_adjustment_completed(self, handler: Callable[[AutoUpdateVarsAdjustmentCompletedEvent], Awaitable[None] | None]) -> Remover:
        """Handle ``OnAutoUpdateVarsAdjustmentCompleted`` events (:class:`AutoUpdateVarsAdjustmentCompletedEvent`)."""
        return self._register("OnAutoUpdateVarsAdjustmentCompleted", AutoUpdateVarsAdjustmentCompletedEvent, handler)

    def on_auto_update_vars_adjustment_failed(self, handler: Callable[[AutoUpdateVarsAdjustmentFailedEvent], Awaitable[None] | None]) -> Remover:
        """Handle ``OnAutoUpdateVarsAdjustmentFailed`` events (:class:`AutoUpdateVarsAdjustmentFailedEvent`)."""
        return self._register("OnAutoUpdateVarsAdjustmentFailed", AutoUpdateVarsAdjustmentFailedEvent, handler)
