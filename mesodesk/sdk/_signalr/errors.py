"""The SignalR adapter's errors (each a :class:`~mesodesk.sdk.errors.MesoLiveError`).

Connection failures are one readable line each: what happened, then a hint (``": check
the URL/port"``). The raw cause (aiohttp, websockets, ssl, socket) stays available as
``__cause__``.

Hierarchy::

    SignalRError
    ├── NotConnectedError          not connected (never started, reconnecting too long, stopped)
    ├── ConnectionLostError        dropped while a call/stream was in flight
    ├── SignalRAuthError           HTTP 401/403 (.status); start() fails at once
    ├── ConnectAttemptError        one connection attempt failed; retried (.status when HTTP)
    ├── ConnectTimeoutError        start() gave up (.last_error = the last attempt's error)
    │   ├── HubNotFoundError       negotiate answered 404/405/501 (.status); start() fails at once
    │   ├── SignalRTLSError        certificate not trusted / not TLS at all; start() fails at once
    │   └── HostNotFoundError      the host name does not resolve; start() fails at once
    ├── InvocationTimeout
    └── SignalRInvocationError
        └── SignalRStreamError

The three fail-fast errors subclass :class:`ConnectTimeoutError` because ``start()`` used to
retry them until its timeout and raise that: existing ``except ConnectTimeoutError`` keeps
catching them.
"""

from __future__ import annotations

import re

from mesodesk.sdk.errors import MesoLiveError

__all__ = [
    "ConnectAttemptError",
    "ConnectTimeoutError",
    "ConnectionLostError",
    "HostNotFoundError",
    "HubNotFoundError",
    "InvocationTimeout",
    "NotConnectedError",
    "SignalRAuthError",
    "SignalRError",
    "SignalRInvocationError",
    "SignalRStreamError",
    "SignalRTLSError",
]


class SignalRError(MesoLiveError):
    """Base class of SignalR transport errors."""


class NotConnectedError(SignalRError):
    """The connection is not open (never started, reconnecting, or stopped)."""


class ConnectionLostError(SignalRError):
    """The connection dropped while a call or stream was in flight; the outcome is unknown."""


_AUTH_HINTS = {
    401: "the server rejected the API key (HTTP 401): check the key; it may be mistyped, revoked or "
         "meant for another server",
    403: "the server refused access with this API key (HTTP 403): the key is valid but not allowed to "
         "use this hub; check its permissions",
}


class SignalRAuthError(SignalRError):
    """The server rejected the credentials (HTTP 401/403 on negotiate or upgrade).

    ``status`` is 401 (the key is wrong or revoked) or 403 (not allowed). ``start()`` raises
    it at once: retrying cannot help.
    """

    def __init__(self, message: str | None = None, *, status: int | None = None) -> None:
        if status is None:
            found = re.search(r"\b(401|403)\b", message or "")
            status = int(found.group(1)) if found else 401
        self.status = status
        super().__init__(message or _AUTH_HINTS.get(status, f"the server rejected the credentials (HTTP {status})"))


class ConnectAttemptError(SignalRError):
    """One connection attempt failed (refused, timed out, reset, an HTTP error...); the
    connection keeps retrying. ``status`` is the HTTP status when the server answered one."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class ConnectTimeoutError(SignalRError, TimeoutError):
    """No connection could be established in time.

    ``last_error`` (also ``__cause__``) is the last attempt's error, whose message says what
    went wrong (e.g. ``connection refused by 127.0.0.1:5999: check the URL/port ...``).
    """

    def __init__(self, message: str, *, last_error: BaseException | None = None) -> None:
        self.last_error = last_error
        super().__init__(message)


class HubNotFoundError(ConnectTimeoutError):
    """The negotiate request answered 404/405/501: there is no SignalR hub at this URL (a wrong
    path or port, or not a MesoLive server). ``status`` is the HTTP status."""

    def __init__(self, message: str, *, status: int) -> None:
        self.status = status
        super().__init__(message)


class SignalRTLSError(ConnectTimeoutError):
    """TLS failed in a way retrying cannot fix: the server's certificate is not trusted, or
    the port does not speak TLS at all (``https://`` to a plain-http port)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


class HostNotFoundError(ConnectTimeoutError):
    """The server's host name does not resolve (a temporary DNS failure is retried instead)."""

    def __init__(self, message: str, *, host: str) -> None:
        self.host = host
        super().__init__(message)


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
