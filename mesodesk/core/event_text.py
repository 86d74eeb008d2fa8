"""The event log's text for an Event Hub event (Qt-free).

The words come from :func:`mesodesk.core.notices.describe`, the one event -> text
implementation that the notifications use as well: the log line is the notice's
title and body on one line, its level the notice's severity (a success is "info").
"""

from __future__ import annotations

from mesodesk.contract import MesoLiveEvent, event_type_of
from mesodesk.core.notices import describe

__all__ = ["event_type_name", "summarize"]


def event_type_name(event: MesoLiveEvent) -> str:
    """``OrderUpdateEvent`` -> ``"OrderUpdate"`` (the callback name without "On")."""
    return event_type_of(event).removeprefix("On")


def summarize(event: MesoLiveEvent) -> tuple[str, str]:
    """Return ``(summary, level)`` for the event log; level is "info", "warning" or "error"."""
    notice = describe(event)
    return notice.log_text, notice.severity.log_level
