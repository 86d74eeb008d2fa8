"""SignalR client adapter over pysignalr: the ONE place pysignalr is imported and its quirks handled.

``SignalRConnection`` gives the SDK an awaitable ``invoke()``, cancellable bounded
``stream()``s, ordered server->client handlers, a reconnect supervisor with backoff
and a SignalR-level server-timeout watchdog.

Modules (only this package imports ``pysignalr``; ``tests/test_layering.py`` checks it):

* :mod:`.errors`: the transport errors (all ``MesoLiveError``).
* :mod:`.diagnose`: what a failed connection attempt means, as one line with a hint.
* :mod:`.transport`: the one-shot WebSocket transport and its StreamItem fast path, the
  orjson protocol, the per-attempt client, the redaction log filter.
* :mod:`.negotiate`: the negotiate request (aiohttp), imported only when a connection negotiates.
* :mod:`.stream`: :class:`SignalRStream`.
* :mod:`.policy`: connection states, the reconnect backoff, which methods are reads.
* :mod:`.connection`: :class:`SignalRConnection`, the reconnect supervisor.

We use pysignalr's messages and JSON protocol; its client and WebSocket transport are
replaced (their module imports aiohttp, for the negotiate request alone). Its 1.3.x quirks
handled here:

* ``run()`` is a reconnect loop with a lifetime ``retry_count`` that never resets and
  re-uses a stale ``?id=``. We use a one-shot connection (negotiate, unless skipped ->
  upgrade -> handshake -> process) and run our own supervisor that builds a fresh client
  for every attempt: unlimited reconnects, 0 s first retry, capped exponential backoff
  with jitter.
* ``access_token_factory`` is applied only after the first upgrade: we put
  ``Authorization: Bearer`` in the headers of every negotiate and upgrade ourselves,
  calling the (sync or async) token factory before each attempt.
* pysignalr copies its headers (the bearer token!) into every message body; we build
  our own messages without ``headers``.
* A missing ``on_error`` makes an error completion kill ``run()``: ours only logs it.
* An exception in an ``on()`` handler escapes ``run()``: we dispatch server->client
  invocations ourselves, in order, on a separate task, and log handler errors.
* A client-result handler returning ``None`` is sent as an error by pysignalr; we send
  ``"result": null``.
* No awaitable invoke and no ``CancelInvocation``: invocation ids are ours, handlers are
  registered in the client's ``_invocation_handlers``/``_stream_handlers`` tables.
* Closing a socket waits ``connection_timeout`` for the close handshake; we give it a
  short grace period and then abort the TCP transport, so ``stop()`` is prompt.
* The websockets-level ping is disabled: liveness is the SignalR ping + watchdog.
* Messages are encoded with orjson (pydantic models, exact ``Decimal``) as text frames.
"""

from mesodesk.sdk.redaction import redact

from .connection import DEFAULT_MAX_MESSAGE_SIZE, SignalRConnection
from .errors import (
    ConnectAttemptError,
    ConnectionLostError,
    ConnectTimeoutError,
    HostNotFoundError,
    HubNotFoundError,
    InvocationTimeout,
    NotConnectedError,
    SignalRAuthError,
    SignalRError,
    SignalRInvocationError,
    SignalRStreamError,
    SignalRTLSError,
)
from .policy import ConnectionState, default_backoff, is_read_method
from .stream import SignalRStream, StreamGap

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "ConnectAttemptError",
    "ConnectTimeoutError",
    "ConnectionLostError",
    "ConnectionState",
    "HostNotFoundError",
    "HubNotFoundError",
    "InvocationTimeout",
    "NotConnectedError",
    "SignalRAuthError",
    "SignalRConnection",
    "SignalRError",
    "SignalRInvocationError",
    "SignalRStream",
    "SignalRStreamError",
    "SignalRTLSError",
    "StreamGap",
    "default_backoff",
    "is_read_method",
    "redact",
]
