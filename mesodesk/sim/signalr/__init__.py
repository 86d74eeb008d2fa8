"""Generic SignalR server core (aiohttp, WebSockets, JSON hub protocol). Knows nothing of MesoLive."""

from .connection import ClientResultError, ConnectionClosedError, ServerConnection
from .hub import Hub, HubError
from .protocol import ProtocolError, default_dumps
from .server import (
    SignalRServer,
    WeakKeyError,
    bearer_token,
    check_key_strength,
    constant_time_token_check,
    is_loopback,
)

__all__ = [
    "ClientResultError",
    "ConnectionClosedError",
    "Hub",
    "HubError",
    "ProtocolError",
    "ServerConnection",
    "SignalRServer",
    "WeakKeyError",
    "bearer_token",
    "check_key_strength",
    "constant_time_token_check",
    "default_dumps",
    "is_loopback",
]
