"""The rules a hub connection follows, apart from its machinery: its states, the reconnect
backoff, which methods are reads (safe to delay and resend), and errors as one line."""

from __future__ import annotations

import contextvars
import enum
import inspect
import random
from typing import Any

from mesodesk.sdk.redaction import redact

__all__ = ["ConnectionState", "default_backoff", "is_read_method"]

_READ_PREFIXES = ("Get", "List")  # MesoLive's read methods: safe to wait for a reconnect and to resend

#: set inside on_connected callbacks: their calls never wait for a reconnect (the supervisor is
#: waiting for them) and never resend
_IN_CONNECTED_CALLBACK: contextvars.ContextVar[bool] = contextvars.ContextVar("signalr_in_connected_cb",
                                                                               default=False)


def is_read_method(method: str) -> bool:
    """Whether hub ``method`` only reads (``Get*``/``List*``): safe to delay and to send again."""
    return method.startswith(_READ_PREFIXES)


class ConnectionState(enum.Enum):
    """State of a hub connection (see ``add_state_listener``)."""

    DISCONNECTED = "Disconnected"
    CONNECTING = "Connecting"
    CONNECTED = "Connected"
    RECONNECTING = "Reconnecting"


def default_backoff(attempt: int) -> float:
    """Delay before reconnect attempt ``attempt`` (0-based): 0, then ~0.5, 1, 2 ... capped at 30 s, jittered."""
    if attempt <= 0:
        return 0.0
    base: float = min(30.0, 0.5 * 2.0 ** (attempt - 1))
    return base * random.uniform(0.5, 1.0)


async def _maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


def _describe(exc: BaseException) -> str:
    """An error as one line: its message (the SDK's errors say what and what to do), else its type."""
    text = str(exc)
    return redact(text if text else type(exc).__name__)
