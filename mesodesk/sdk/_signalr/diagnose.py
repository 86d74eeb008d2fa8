"""What a failed connection attempt means, in one line with a hint.

:func:`connect_error` turns whatever a connection attempt raised (aiohttp's
``ClientConnectorError(ConnectionKey(...))``, pysignalr's ``ConnectionError(404)``, websockets'
``InvalidStatus``, ``ssl``/``socket`` errors...) into a typed SDK error whose message is one
readable line, keeping the original as ``__cause__``. :func:`is_permanent` says whether
retrying can help (it cannot for a rejected key, a wrong path, an untrusted certificate, a
non-TLS port behind ``https://`` and an unknown host).
"""

from __future__ import annotations

import errno
import socket
import ssl
from urllib.parse import urlsplit

from pysignalr.exceptions import AuthorizationError, NegotiationFailure, ServerError
from pysignalr.exceptions import ConnectionError as PySignalRConnectionError
from websockets.exceptions import InvalidHandshake, InvalidStatus

from mesodesk.sdk.redaction import redact

from .errors import (
    ConnectAttemptError,
    ConnectTimeoutError,
    HostNotFoundError,
    HubNotFoundError,
    SignalRAuthError,
    SignalRError,
    SignalRTLSError,
)

__all__ = ["connect_error", "host_port", "is_connection_closed", "is_permanent"]

_NOT_A_HUB = (404, 405, 501)
_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}
_NOT_TLS = ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "HTTP_REQUEST", "UNKNOWN_PROTOCOL", "PACKET_LENGTH_TOO_LONG")


def host_port(url: str) -> str:
    """``host:port`` of ``url`` (the scheme's default port when none is given)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or url
        port = parts.port or (443 if parts.scheme in ("https", "wss") else 80)
    except ValueError:
        return url
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _chain(root: BaseException) -> list[BaseException]:
    """``root``, its causes/contexts and the OS/SSL errors it wraps (breadth first)."""
    seen: set[int] = set()
    out: list[BaseException] = []
    queue = [root]
    while queue and len(out) < 32:
        exc = queue.pop(0)
        if id(exc) in seen:
            continue
        seen.add(id(exc))
        out.append(exc)
        for attr in ("__cause__", "__context__", "os_error", "certificate_error"):
            inner = getattr(exc, attr, None)
            if isinstance(inner, BaseException):
                queue.append(inner)
        queue += [a for a in getattr(exc, "args", ()) if isinstance(a, BaseException)]
    return out


def _status(exc: BaseException) -> int | None:
    if isinstance(exc, PySignalRConnectionError):
        return exc.status
    if isinstance(exc, AuthorizationError):
        return 401
    if isinstance(exc, InvalidStatus):
        return exc.response.status_code
    status = getattr(exc, "status", None)  # aiohttp's ClientResponseError and friends
    if isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599:
        return status
    return None


def connect_error(error: BaseException, url: str, attempt_timeout: float) -> SignalRError:
    """A typed, one-line SDK error for what a connection attempt raised (``__cause__`` = ``error``)."""
    if isinstance(error, SignalRError):
        return error
    try:
        mapped = _classify(error, url, attempt_timeout)
    except Exception:  # a surprising exception shape must never hide the failure itself
        mapped = ConnectAttemptError(f"cannot connect to {host_port(url)}: {type(error).__name__}: "
                                     f"{redact(str(error))[:200]}")
    mapped.__cause__ = error
    return mapped


def _classify(error: BaseException, url: str, attempt_timeout: float) -> SignalRError:
    where = host_port(url)
    host = where.rsplit(":", 1)[0].strip("[]")
    chain = _chain(error)
    upgrade = any(isinstance(e, InvalidStatus | InvalidHandshake) for e in chain)
    step = "WebSocket upgrade" if upgrade else "negotiate"

    for e in chain:
        status = _status(e)
        if status in (401, 403):
            return SignalRAuthError(status=status)
    for e in chain:
        status = _status(e)
        if status is None:
            continue
        if status in _NOT_A_HUB and not upgrade:
            return HubNotFoundError(
                f"no MesoLive hub at {redact(url)} (HTTP {status} on negotiate): check the URL; give the "
                "server root (e.g. https://host:port), the SDK adds the hub path itself", status=status)
        if status >= 500:
            return ConnectAttemptError(f"{where} answered HTTP {status} on {step}: the server or a proxy in front "
                                       "of it has a problem (it may be starting); retrying", status=status)
        return ConnectAttemptError(f"{where} answered HTTP {status} on {step} instead of a SignalR hub: check "
                                   "the URL", status=status)

    # aiohttp's wrappers are SSLErrors too, without the details: the ssl module's own first
    tls = sorted((e for e in chain if isinstance(e, ssl.SSLError)), key=lambda e: type(e).__module__ != "ssl")
    for e in tls:
        if isinstance(e, ssl.SSLCertVerificationError):
            detail = getattr(e, "verify_message", None)
            code = getattr(e, "reason", None) or "CERTIFICATE_VERIFY_FAILED"
            why = f"{code}: {detail}" if detail else code
            return SignalRTLSError(f"the TLS certificate of {where} is not trusted ({why}): for a private CA "
                                   "pass ssl=ssl.create_default_context(cafile=...), or fix the server's certificate")
    for e in tls:
        reason = getattr(e, "reason", None)
        text = f"{reason or ''} {e}".upper()
        if any(mark in text for mark in _NOT_TLS):
            return SignalRTLSError(f"{where} does not speak TLS ({reason or 'wrong version number'}): use http:// "
                                   "instead of https://, or check the port")
    if tls:
        e = tls[0]
        return ConnectAttemptError(f"the TLS handshake with {where} failed ({getattr(e, 'reason', None) or e}): "
                                   "check the URL's scheme and port, and this computer's clock")

    for e in chain:
        if isinstance(e, socket.gaierror):
            if e.errno == getattr(socket, "EAI_AGAIN", -3):
                return ConnectAttemptError(f"could not look up {host} (temporary DNS failure): check the network "
                                           "connection; retrying")
            return HostNotFoundError(f"host not found: {host}: check the host name in the URL", host=host)
    for e in chain:
        if isinstance(e, ConnectionRefusedError) or getattr(e, "winerror", None) == 10061:
            return ConnectAttemptError(f"connection refused by {where}: check the URL/port and that the server is "
                                       "running")
    for e in chain:
        if isinstance(e, OSError) and e.errno in _UNREACHABLE:
            return ConnectAttemptError(f"{where} is unreachable ({e.strerror or 'no route'}): check the network, "
                                       "VPN or firewall")
    names = " ".join(type(e).__name__ for e in chain)
    if "ServerDisconnected" in names or any(isinstance(e, ConnectionResetError | ConnectionAbortedError)
                                            for e in chain):
        return ConnectAttemptError(f"{where} closed the connection before answering: the server may be "
                                   "restarting; if it serves https, use https://, else check the port")
    for e in chain:
        if isinstance(e, ServerError):
            return ConnectAttemptError(f"{where} answered negotiate with something that is not a SignalR "
                                       f"negotiation ({redact(str(e.message))[:120]}): check the URL")
        if isinstance(e, ValueError) and str(e).startswith("Handshake error"):
            return ConnectAttemptError(f"the hub at {where} refused the SignalR handshake ({redact(str(e))[:160]})")
    if any(isinstance(e, TimeoutError) for e in chain):
        return ConnectTimeoutError(f"connect attempt to {where} timed out after {attempt_timeout:g}s: the server "
                                   "may be down or overloaded, or a firewall drops the connection")
    for e in chain:
        if isinstance(e, OSError) and e.strerror:
            return ConnectAttemptError(f"cannot connect to {where} ({e.strerror}): check the network connection")
    if isinstance(error, NegotiationFailure):
        return ConnectAttemptError(f"negotiate with {where} failed: check the URL")
    text = redact(str(error))[:200]
    return ConnectAttemptError(f"cannot connect to {where}: {type(error).__name__}{': ' + text if text else ''}")


def is_permanent(error: BaseException) -> bool:
    """Whether retrying the connection cannot help (fail ``start()`` at once)."""
    return isinstance(error, SignalRAuthError | HubNotFoundError | SignalRTLSError | HostNotFoundError)


def is_connection_closed(error: BaseException) -> bool:
    """A send over a socket that is already gone (pysignalr's ``RuntimeError('Connection is
    closed')``, websockets' ``ConnectionClosed``, our own lost/not-connected errors)."""
    from websockets.exceptions import ConnectionClosed

    from .errors import ConnectionLostError, NotConnectedError

    if isinstance(error, ConnectionClosed | ConnectionLostError | NotConnectedError | ConnectionError):
        return True
    return isinstance(error, RuntimeError) and str(error) in ("Connection is closed", "The socket was never run")
