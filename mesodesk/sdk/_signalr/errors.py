"""The SignalR adapter's errors (each a :class:`~mesodesk.sdk.errors.MesoLiveError`)."""

from __future__ import annotations

from mesodesk.sdk.errors import MesoLiveError

__all__ = [
    "ConnectTimeoutError",
    "ConnectionLostError",
    "InvocationTimeout",
    "NotConnectedError",
    "SignalRAuthError",
    "SignalRError",
    "SignalRInvocationError",
    "SignalRStreamError",
]


class SignalRError(MesoLiveError):
    """Base class of SignalR transport errors."""


class NotConnectedError(SignalRError):
    """The connection is not open (never started, reconnecting, or stopped)."""


class ConnectionLostError(SignalRError):
    """The connection dropped while a call or stream was in flight; the outcome is unknown."""


class SignalRAuthError(SignalRError):
    """The server rejected the credentials (HTTP 401/403 on negotiate or upgrade)."""


class ConnectTimeoutError(SignalRError, TimeoutError):
    """No connection could be established in time."""


class InvocationTimeout(SignalRError, TimeoutError):
    """No Completion arrived in time (the server may still execute the call)."""

    def __init__(self, method: str, timeout: float) -> None:
        self.method = method
        self.timeout = timeout
        super().__init__(f"{method} timed out after {timeout:g}s")


class SignalRInvocationError(SignalRError):
    """The server answered with a Completion error."""

    def __init__(self, method: str, message: str) -> None:
        self.method = method
        self.message = message
        super().__init__(f"{method}: {message}")


class SignalRStreamError(SignalRInvocationError):
    """A stream ended with a Completion error."""
