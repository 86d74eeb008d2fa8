"""Why connecting to a MesoLive server failed, in words: one line for the status bar, the
Errors panel and the command line (never a traceback), a hint, and the exit code.

:func:`check_server_url` catches what is wrong with a URL before any connection is made;
:func:`explain_connection_error` classifies what the SDK raised (or a hub connection's
``last_error``) by walking the exception, its causes and wrapped OS errors; and
:func:`connect_session` starts a :class:`~mesodesk.core.session.Session`, giving up at once
on a problem no retry can fix (a rejected key, a wrong path, an untrusted certificate, an
unknown host) and raising :class:`ConnectFailed` with the explanation.

Never touches Qt.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import re
import socket
import ssl
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from mesodesk.core.world import check_server_url
from mesodesk.sdk import (
    ConnectionLostError,
    ConnectionState,
    MesoLiveApiException,
    SignalRAuthError,
    SignalRError,
    SignalRInvocationError,
)
from mesodesk.sdk.redaction import redact

if TYPE_CHECKING:
    from mesodesk.core.session import Session

log = logging.getLogger("mesodesk.connection")


class ProblemKind(StrEnum):
    BAD_URL = "bad-url"
    AUTH = "auth"
    HOST_NOT_FOUND = "host-not-found"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    TLS = "tls"
    NOT_MESOLIVE = "not-mesolive"
    SERVER_ERROR = "server-error"
    NETWORK = "network"
    OTHER = "other"


#: exit codes of ``mesodesk`` (documented in the README); see :data:`EXIT_CODES`
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_AUTH = 4
EXIT_TLS = 5
EXIT_NOT_MESOLIVE = 6
EXIT_FOLDER_IN_USE = 7
EXIT_SIMULATOR = 8

EXIT_CODES: dict[ProblemKind, int] = {
    ProblemKind.BAD_URL: EXIT_USAGE,
    ProblemKind.AUTH: EXIT_AUTH,
    ProblemKind.HOST_NOT_FOUND: EXIT_UNREACHABLE,
    ProblemKind.REFUSED: EXIT_UNREACHABLE,
    ProblemKind.UNREACHABLE: EXIT_UNREACHABLE,
    ProblemKind.TIMEOUT: EXIT_UNREACHABLE,
    ProblemKind.NETWORK: EXIT_UNREACHABLE,
    ProblemKind.TLS: EXIT_TLS,
    ProblemKind.NOT_MESOLIVE: EXIT_NOT_MESOLIVE,
    ProblemKind.SERVER_ERROR: EXIT_NOT_MESOLIVE,
    ProblemKind.OTHER: EXIT_FAILURE,
}


@dataclass(frozen=True)
class ConnectionProblem:
    kind: ProblemKind
    reason: str
    """One line, lower case: "the server rejected the API key (401)"."""
    hint: str = ""
    """What to do about it (a sentence), or empty."""
    detail: str = ""
    """The technical cause (exception type and message, secrets redacted), for the details pane."""
    permanent: bool = False
    """Retrying cannot help (wrong key, wrong path, untrusted certificate, unknown host)."""

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.kind]

    def summary(self, url: str) -> str:
        return f"Could not connect to {url}: {self.reason}"

    def details(self, url: str) -> str:
        """Several lines for the Errors panel: what, what to do, the technical cause. No traceback."""
        lines = [self.summary(url) + "."]
        if self.hint:
            lines.append(self.hint)
        if self.detail:
            lines += ["", f"Technical detail: {self.detail}"]
        return "\n".join(lines)


class ConnectFailed(Exception):
    """The session could not connect; ``problem`` says why in words."""

    def __init__(self, url: str, problem: ConnectionProblem) -> None:
        self.url = url
        self.problem = problem
        super().__init__(problem.summary(url))


# -- URLs ------------------------------------------------------------------------------------
# check_server_url lives with the URL rules in mesodesk.core.world (stdlib only: the app checks
# --server before it imports the SDK); imported above for this module's callers.
def _host_port(url: str) -> tuple[str, str]:
    try:
        parts = urlsplit(url)
        host = parts.hostname or url
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return url, "?"
    return (f"[{host}]" if ":" in host else host), str(port)


# -- exceptions ------------------------------------------------------------------------------
def _chain(*roots: BaseException | None) -> list[BaseException]:
    """The exceptions, their causes and contexts and the OS errors they wrap (breadth first)."""
    seen: set[int] = set()
    out: list[BaseException] = []
    queue = [r for r in roots if r is not None]
    while queue and len(out) < 32:
        exc = queue.pop(0)
        if id(exc) in seen:
            continue
        seen.add(id(exc))
        out.append(exc)
        for attr in ("__cause__", "__context__", "os_error", "certificate_error", "last_error"):
            inner = getattr(exc, attr, None)
            if isinstance(inner, BaseException):
                queue.append(inner)
        queue += [a for a in getattr(exc, "args", ()) if isinstance(a, BaseException)]
    return out


def _http_status(exc: BaseException) -> int | None:
    status = getattr(exc, "status", None)
    if isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599:
        return status
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    if isinstance(code, int) and 100 <= code <= 599:
        return code
    return None


def _technical(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # a broken __str__ must not hide the real problem
        text = repr(exc.args)
    return redact(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:400]


_UNREACHABLE_ERRNOS = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}
_UNREACHABLE_WINERRORS = {10051, 10065, 1231, 1232}  # WSAENETUNREACH, WSAEHOSTUNREACH, ERROR_NETWORK/HOST_UNREACHABLE
_TIMEOUT_SECONDS = re.compile(r"(?:within|after) ([\d.]+) ?s\b")


def explain_connection_error(exc: BaseException | None, url: str, *,
                             last_error: BaseException | None = None) -> ConnectionProblem:
    """Classify why connecting to ``url`` (the server root) failed.

    ``exc`` is what ``connect()`` raised (often a :class:`ConnectTimeoutError` wrapping
    nothing); ``last_error`` the hub connection's ``last_error`` (the actual reason of the
    last attempt). Both are searched, with their causes and wrapped OS errors.
    """
    chain = _chain(last_error, exc)
    host, port = _host_port(url)
    top = last_error or exc
    detail = _technical(top) if top is not None else ""

    def problem(kind: ProblemKind, reason: str, hint: str = "", *, permanent: bool = False) -> ConnectionProblem:
        return ConnectionProblem(kind, reason, hint, detail, permanent)

    bad_url = check_server_url(url)
    if bad_url is not None:
        return problem(ProblemKind.BAD_URL, bad_url, "Correct the server URL.", permanent=True)

    for e in chain:  # a rejected key first: the clearest message, and final
        status = _http_status(e)
        if isinstance(e, SignalRAuthError) or status in (401, 403):
            if status == 403:
                return problem(ProblemKind.AUTH, "the server refused access with this API key (403)",
                               "The key is valid but not allowed to use this server's hubs: check its permissions.",
                               permanent=True)
            return problem(ProblemKind.AUTH, "the server rejected the API key (401)",
                           "Check the key (File → Connect… to enter it again); it may have been revoked or "
                           "belong to another server.", permanent=True)

    tls_errors = sorted((e for e in chain if isinstance(e, ssl.SSLError)),
                        key=lambda e: type(e).__module__ != "ssl")  # the ssl module's own first: plain words
    for e in tls_errors:
        if isinstance(e, ssl.SSLCertVerificationError):
            why = next((str(w) for w in (getattr(x, "verify_message", None) for x in tls_errors) if w), "") \
                or getattr(e, "reason", None) or "certificate verify failed"
            return problem(ProblemKind.TLS, f"the server's TLS certificate is not trusted ({why})",
                           "If the server uses a private certificate authority, add it to this computer's trusted "
                           "certificates (or point SSL_CERT_FILE at it).", permanent=True)
    for e in tls_errors:
        text = f"{getattr(e, 'reason', '') or ''} {e}".upper()
        if "WRONG_VERSION_NUMBER" in text or "RECORD_LAYER_FAILURE" in text or "HTTP_REQUEST" in text \
                or "UNKNOWN_PROTOCOL" in text:
            return problem(ProblemKind.TLS, f"{host}:{port} does not speak TLS (https)",
                           "Try the URL with http:// instead of https://, or check the port.", permanent=True)
    if tls_errors:
        e = tls_errors[0]
        return problem(ProblemKind.TLS, f"the TLS handshake with {host} failed ({getattr(e, 'reason', '') or e})",
                       "Check the URL's scheme and port, and that this computer's clock is right.")

    for e in chain:
        if isinstance(e, socket.gaierror):
            if e.errno in (getattr(socket, "EAI_AGAIN", -3),):
                return problem(ProblemKind.HOST_NOT_FOUND, f"could not look up {host} (name resolution failed)",
                               "Check this computer's network connection and DNS.")
            return problem(ProblemKind.HOST_NOT_FOUND, f"host not found: {host}",
                           "Check the host name in the server URL.", permanent=True)
    for e in chain:
        if isinstance(e, ConnectionRefusedError) or getattr(e, "winerror", None) == 10061:
            return problem(ProblemKind.REFUSED, f"nothing is listening on {host}:{port} (connection refused)",
                           "Check the port in the URL and that the server is running.")
    for e in chain:
        if isinstance(e, OSError) and (e.errno in _UNREACHABLE_ERRNOS
                                       or getattr(e, "winerror", None) in _UNREACHABLE_WINERRORS):
            return problem(ProblemKind.UNREACHABLE, f"{host} cannot be reached from this computer "
                           f"({e.strerror or 'network unreachable'})",
                           "Check the network connection, VPN or firewall.")

    for e in chain:
        status = _http_status(e)
        if status is None:
            continue
        if status in (404, 405, 501):
            return problem(ProblemKind.NOT_MESOLIVE, f"no MesoLive hub at this URL (HTTP {status})",
                           "Give the server root (e.g. https://api.example.com): mesodesk adds the hub paths "
                           "(/hubs/control/v1, ...) itself.", permanent=True)
        if status >= 500:
            return problem(ProblemKind.SERVER_ERROR, f"the server answered with an error (HTTP {status})",
                           "The server or a proxy in front of it has a problem; try again later.")
        return problem(ProblemKind.NOT_MESOLIVE, f"the server answered HTTP {status} instead of a MesoLive hub",
                       "Check the server URL.")

    for e in chain:
        if isinstance(e, MesoLiveApiException):
            return problem(ProblemKind.OTHER, f"the server refused a request ({e.message or e})")
    for e in chain:
        if isinstance(e, ConnectionLostError):
            text = str(e)
            reason = (f"{host}:{port} stopped answering ({text.split(': ', 1)[-1]})" if "server timeout" in text
                      else f"the connection to {host}:{port} was lost")
            return problem(ProblemKind.NETWORK, reason, "mesodesk reconnects by itself once the server answers.")
    names = " ".join(type(e).__name__ for e in chain)
    if "InvalidURL" in names or "InvalidUrl" in names:
        return problem(ProblemKind.BAD_URL, "the URL is not valid", "Correct the server URL.", permanent=True)
    if "ServerDisconnected" in names or any(isinstance(e, ConnectionResetError | ConnectionAbortedError)
                                            for e in chain):
        return problem(ProblemKind.NETWORK, f"{host}:{port} closed the connection without answering",
                       "If the server uses https, start the URL with https://; otherwise check the port.")
    if any(isinstance(e, TimeoutError) for e in chain):
        seconds = next((m.group(1) for e in (exc, last_error) if e is not None
                        for m in [_TIMEOUT_SECONDS.search(str(e))] if m), None)
        within = f" within {float(seconds):g} s" if seconds else ""
        return problem(ProblemKind.TIMEOUT, f"{host}:{port} did not answer{within}",
                       "The server may be down or overloaded, or a firewall drops the connection.")
    for e in chain:
        if isinstance(e, OSError) and e.strerror:
            return problem(ProblemKind.NETWORK, f"cannot connect to {host}:{port} ({e.strerror})",
                           "Check the network connection.")
    if top is None:
        return problem(ProblemKind.OTHER, "the connection failed")
    return problem(ProblemKind.OTHER, f"the connection failed ({_technical(top)[:160]})")


# -- connecting ------------------------------------------------------------------------------
def session_connect_error(session: Session) -> BaseException | None:
    """Why a hub that is not connected (Control first) failed its last attempt or dropped, if known."""
    for name in ("control", "data", "event"):
        connection = session.hubs[name].connection
        if connection.state != ConnectionState.CONNECTED and connection.last_error is not None:
            return connection.last_error
    return None


async def connect_session(session: Session, *, poll: float = 0.1) -> None:
    """``session.start()``, raising :class:`ConnectFailed` (with the explanation) when it fails,
    and at once when an attempt hits a problem no retry can fix (the SDK would keep retrying
    until its connect timeout). A drop *after* the hubs connected (during the first snapshot)
    is no failure: the session reconnects and reloads by itself."""
    start = asyncio.ensure_future(session.start())
    try:
        while True:
            done, _ = await asyncio.wait({start}, timeout=poll)
            if done:
                break
            error = session_connect_error(session)
            if error is not None:
                found = explain_connection_error(None, session.url, last_error=error)
                if found.permanent:
                    start.cancel()
                    await asyncio.gather(start, return_exceptions=True)
                    raise ConnectFailed(session.url, found)
    except asyncio.CancelledError:
        start.cancel()
        await asyncio.gather(start, return_exceptions=True)
        raise
    try:
        start.result()
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if session.control.connection.connection_count and isinstance(exc, SignalRError) \
                and not isinstance(exc, SignalRInvocationError):
            # connected, then a drop broke the first snapshot: the session reloads it when it reconnects
            log.info("the first snapshot was interrupted (%s); it is reloaded on reconnect", exc)
            return
        raise ConnectFailed(session.url, explain_connection_error(
            exc, session.url, last_error=session_connect_error(session))) from exc
