"""One-line, human summaries of Event Hub events for the event log (Qt-free)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mesodesk.contract import (
    AdjustmentSignalEvent,
    AgentStatusEvent,
    EntrySignalEvent,
    ErrorEvent,
    ExitSignalEvent,
    LegUpdateEvent,
    MesoLiveEvent,
    OrderUpdateEvent,
    PositionUpdateEvent,
    event_type_of,
)


def _num(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return f"{value.normalize():f}" if isinstance(value, Decimal) else str(value)


def _v(value: Any) -> str:
    return str(getattr(value, "value", value))


def event_type_name(event: MesoLiveEvent) -> str:
    """``OrderUpdateEvent`` -> ``"OrderUpdate"`` (the callback name without "On")."""
    name = event_type_of(event)
    return name[2:] if name.startswith("On") else name


def summarize(event: MesoLiveEvent) -> tuple[str, str]:
    """Return ``(summary, level)``; level is "info", "warning" or "error"."""
    if isinstance(event, OrderUpdateEvent):
        text = f"Order {event.order_id} {_v(event.state)}"
        if event.filled_qty is not None:
            text += f" filled {_num(event.filled_qty)}"
        if event.avg_fill_price is not None:
            text += f" @ {_num(event.avg_fill_price)}"
        text += f" ({event.strategy_name})"
        if event.rejection is not None:
            return f"{text}: {event.rejection.reason}", "error"
        return text, "info"
    if isinstance(event, PositionUpdateEvent):
        return (f"Position {event.position_name} #{event.position_id} {_v(event.status)}"
                f" realized {_num(event.realized_pnl)}"), "info"
    if isinstance(event, LegUpdateEvent):
        return f"Leg {event.leg_name} #{event.leg_id} of {event.position_name} {_v(event.status)} qty {_num(event.qty)}", "info"
    if isinstance(event, AgentStatusEvent):
        level = "info" if _v(event.status) == "Connected" else "warning"
        return f"Agent {_v(event.connector) if event.connector else ''} {_v(event.status)}: {event.message}".replace("  ", " "), level
    if isinstance(event, ErrorEvent):
        where = event.position_name or event.strategy_name or ""
        level = "error" if _v(event.state) == "Raised" else "info"
        return f"Error {_v(event.state)}{' on ' + where if where else ''}: {event.message or event.statement or ''}", level
    if isinstance(event, EntrySignalEvent):
        return f"Entry signal {_v(event.state)} for {event.strategy_name} on {event.broker_account_id}", "warning"
    if isinstance(event, ExitSignalEvent):
        return f"Exit signal {_v(event.state)} for {event.position_name}", "warning"
    if isinstance(event, AdjustmentSignalEvent):
        return f"Adjustment signal {_v(event.state)} for {event.position_name}: {event.condition.statement}", "warning"
    error = getattr(event, "error", None)
    subject = getattr(event, "position_name", None) or getattr(event, "strategy_name", None) or ""
    text = f"{event_type_name(event)} {subject}".strip()
    if isinstance(error, str):
        return f"{text}: {error}", "error"
    return text, "info"
