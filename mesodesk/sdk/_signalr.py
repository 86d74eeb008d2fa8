"""SignalR client adapter over pysignalr: the ONE place pysignalr's quirks are handled.

``SignalRConnection`` gives the SDK an awaitable ``invoke()``, cancellable bounded
``stream()``s, ordered server->client handlers, a reconnect supervisor with backoff
and a SignalR-level server-timeout watchdog.

pysignalr 1.3.x quirks handled here (see docs/reference "pysignalr quirks"):

* ``run()`` is a reconnect loop with a lifetime ``retry_count`` that never resets and
  re-uses a stale ``?id=``. We replace its transport loop with a one-shot connection
  (negotiate -> upgrade -> handshake -> process) and run our own supervisor that builds a
  fresh client for every attempt: unlimited reconnects, 0 s first retry, capped
  exponential backoff with jitter.
* ``access_token_factory`` is applied only after the first upgrade: we put
  ``Authorization: Bearer`` in the headers of every negotiate and upgrade ourselves,
  calling the (sync or async) token factory before each attempt.
* pysignalr copies its headers (the bearer token!) into every message body; we build
  our own messages without ``headers``.
* A missing ``on_error`` makes an error completion kill ``run()``: always set.
* An exception in an ``on()`` handler escapes ``run()``: we dispatch server->client
  invocations ourselves, in order, on a separate task, and log handler errors.
* A client-result handler returning ``None`` is sent as an error by pysignalr; we send
  ``"result": null``.
* No awaitable invoke and no ``CancelInvocation``: invocation ids are ours, handlers are
  registered in pysignalr's ``_invocation_handlers``/``_stream_handlers`` tables.
* Closing a socket waits ``connection_timeout`` for the close handshake; we give it a
  short grace period and then abort the TCP transport, so ``stop()`` is prompt.
* The websockets-level ping is disabled: liveness is the SignalR ping + watchdog.
* Messages are encoded with orjson (pydantic models, exact ``Decimal``) as text frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import inspect
import itertools
import logging
import random
import ssl as ssl_module
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import orjson
from pysignalr.client import SignalRClient
from pysignalr.exceptions import AuthorizationError
from pysignalr.exceptions import ConnectionError as PySignalRConnectionError
from pysignalr.messages import (
    CancelInvocationMessage,
    CompletionMessage,
    HandshakeMessage,
    InvocationMessage,
    JSONMessage,
    Message,
    PingMessage,
    StreamInvocationMessage,
)
from pysignalr.protocol.json import JSONProtocol
from pysignalr.transport.websocket import WebsocketTransport
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

from ._stream import Loads, RawItem, plain_loads
from .errors import MesoLiveError
from .redaction import redact

__all__ = [
    "ConnectTimeoutError",
    "ConnectionLostError",
    "ConnectionState",
    "InvocationTimeout",
    "NotConnectedError",
    "SignalRAuthError",
    "SignalRConnection",
    "SignalRError",
    "SignalRInvocationError",
    "SignalRStream",
    "SignalRStreamError",
    "default_backoff",
    "redact",
]

log = logging.getLogger("mesodesk.sdk")
_ws_log = logging.getLogger("mesodesk.sdk.ws")

DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024
_CLOSE_GRACE = 0.25  # seconds a closing socket may take before its TCP transport is aborted
_STABLE_AFTER = 1.0  # a connection shorter than this does not reset the backoff
_RS = b"\x1e"
_ITEM_PREFIX = b'{"type":2,"invocationId":"'
_ITEM_PREFIX_LEN = len(_ITEM_PREFIX)
_ITEM_KEY = b'","item":'
_ITEM_KEY_LEN = len(_ITEM_KEY)
_CLOSE_BRACE = ord("}")


# --- errors --------------------------------------------------------------------------------------------
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


class ConnectionState(enum.Enum):
    """State of a hub connection (see ``add_state_listener``)."""

    DISCONNECTED = "Disconnected"
    CONNECTING = "Connecting"
    CONNECTED = "Connected"
    RECONNECTING = "Reconnecting"


# --- helpers -------------------------------------------------------------------------------------------
class _RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:
            return True
        if msg.startswith("StreamItem received for unknown invocation"):
            return False  # items in flight after we cancelled a stream: expected, not news
        clean = redact(msg)
        if clean != msg:
            record.msg, record.args = clean, None
        return True


for _name in ("mesodesk.sdk", "mesodesk.sdk.ws", "pysignalr.client", "pysignalr.transport"):
    logging.getLogger(_name).addFilter(_RedactFilter())


def default_backoff(attempt: int) -> float:
    """Delay before reconnect attempt ``attempt`` (0-based): 0, then ~0.5, 1, 2 ... capped at 30 s, jittered."""
    if attempt <= 0:
        return 0.0
    base: float = min(30.0, 0.5 * 2.0 ** (attempt - 1))
    return base * random.uniform(0.5, 1.0)


def _json_default(obj: Any) -> Any:
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return dump(mode="json", by_alias=True)
    if isinstance(obj, Decimal) and obj.is_finite():
        return orjson.Fragment(str(obj).encode())
    raise TypeError(f"Type is not JSON serializable: {type(obj).__name__}")


class _Protocol(JSONProtocol):
    """pysignalr's JSON protocol, encoding with orjson (pydantic, exact Decimal) to text frames."""

    def encode(self, message: Message | HandshakeMessage) -> str:
        data = orjson.dumps(message.dump(), default=_json_default, option=orjson.OPT_UTC_Z)
        return data.decode() + self.record_separator


async def _maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


# --- pysignalr subclasses: one connection per client ---------------------------------------------------
class _Transport(WebsocketTransport):
    """One-shot transport: negotiate, connect, handshake, process until the socket closes."""

    def __init__(self, *args: Any, on_opened: Callable[[], None], keep_alive: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_opened = on_opened
        self._keep_alive = keep_alive
        self.last_rx = asyncio.get_running_loop().time()
        #: invocationId -> the stream taking its StreamItems (weak: a dropped stream is collected)
        self.sinks: dict[str, weakref.ref[SignalRStream]] = {}

    async def run(self) -> None:
        await self._negotiate()
        extra: dict[str, Any] = {"ssl": self._ssl} if self._ssl is not None else {}
        async with ws_connect(
            self._url,
            additional_headers=self._headers,
            ping_interval=None,  # liveness: SignalR ping + watchdog
            open_timeout=self._connection_timeout,
            close_timeout=_CLOSE_GRACE,
            max_size=self._max_size,
            logger=_ws_log,
            **extra,
        ) as conn:
            await self._handshake(conn)
            self.last_rx = asyncio.get_running_loop().time()
            self._ws = conn
            self._connected.set()
            self._on_opened()
            pinger = asyncio.create_task(self._keepalive(conn), name="signalr-client-ping")
            try:
                await self._process(conn)
            finally:
                pinger.cancel()
                with contextlib.suppress(BaseException):
                    await pinger

    async def _keepalive(self, conn: ClientConnection) -> None:
        ping = self._protocol.encode(PingMessage())
        while True:
            await asyncio.sleep(self._keep_alive)
            await conn.send(ping)

    async def _process(self, conn: ClientConnection) -> None:
        loop = asyncio.get_running_loop()
        recv = conn.recv
        while True:
            raw = await recv(decode=False)  # bytes: no UTF-8 decode to str and back
            self.last_rx = loop.time()
            await self._on_frame(raw if isinstance(raw, bytes) else raw.encode())

    async def _on_frame(self, raw: bytes) -> None:
        """Parse each record of a frame once; StreamItems go straight to their stream.

        A StreamItem for a registered stream is appended to that stream's bounded buffer
        unparsed (a :class:`RawItem`: the consumer parses and validates it when it takes it),
        and each stream is woken once per frame, not once per item. Every other message goes
        through pysignalr's dispatch, in order.

        Records are cut with ``bytes.find`` (``memchr``; ``bytes.split`` on one byte scans
        byte by byte, about 1.5 µs per 3 KB record). Consecutive items of one stream are
        recognised by their whole record head (``{"type":2,"invocationId":"<id>","item":``),
        so they cost one ``startswith`` and one slice.
        """
        touched: list[SignalRStream] = []
        sinks = self.sinks
        loads = orjson.loads
        find = raw.find
        size = len(raw)
        head = b""  # record head of the stream that took the last item (b"": none since the last message)
        head_len = 0
        sink: SignalRStream | None = None
        pos = 0
        while pos < size:
            end = find(_RS, pos)
            if end < 0:
                end = size
            if end == pos:
                pos += 1
                continue  # as pysignalr: an empty record is ignored
            if head_len and raw.startswith(head, pos) and raw[end - 1] == _CLOSE_BRACE:
                sink._push(RawItem(raw[pos:end], head_len))  # type: ignore[union-attr]
                pos = end + 1
                continue
            record = raw[pos:end]
            pos = end + 1
            if record.startswith(_ITEM_PREFIX):  # {"type":2,"invocationId":"<id>","item":…}: not parsed here
                quote = record.find(b'"', _ITEM_PREFIX_LEN)
                ref = sinks.get(record[_ITEM_PREFIX_LEN:quote].decode("utf-8", "replace")) if quote > 0 else None
                if ref is not None:
                    stream = ref()
                    if stream is not None:
                        start = -1
                        if record.startswith(_ITEM_KEY, quote) and record.endswith(b"}"):
                            start = quote + _ITEM_KEY_LEN
                            head, head_len, sink = record[:start], start, stream
                        stream._push(RawItem(record, start))
                        if stream not in touched:
                            touched.append(stream)
                    continue
            data = loads(record)
            if not data:
                continue  # as pysignalr: an empty record is ignored
            if type(data) is dict and data.get("type") == 2:
                ref = sinks.get(data.get("invocationId"))  # type: ignore[arg-type]
                stream = ref() if ref is not None else None
                if stream is not None:
                    stream._push(RawItem(record, -1))  # the consumer parses it with its own parser
                    if stream not in touched:
                        touched.append(stream)
                # else: items in flight after we cancelled a stream: expected, dropped
                continue
            if touched:  # wake before the await so a Completion never overtakes its items
                for stream in touched:
                    stream._wake_up()
                touched.clear()
            head, head_len, sink = b"", 0, None  # the message may end or cancel that stream
            await self._on_message(JSONProtocol.parse_message(data))
        for stream in touched:
            stream._wake_up()

    async def _on_raw_message(self, raw_message: str | bytes) -> None:
        self.last_rx = asyncio.get_running_loop().time()
        await self._on_frame(raw_message if isinstance(raw_message, bytes) else raw_message.encode())

    def abort(self) -> None:
        ws = self._ws
        if ws is not None:
            ws.transport.abort()


class _Client(SignalRClient):
    def __init__(
        self,
        owner: SignalRConnection,
        generation: int,
        url: str,
        headers: dict[str, str],
        on_opened: Callable[[], None],
    ) -> None:
        super().__init__(url, protocol=_Protocol(), headers=headers)
        self.owner = owner
        self.generation = generation
        self.transport = _Transport(
            url=url,
            protocol=self._protocol,
            callback=self._on_message,
            headers=self._headers,
            connection_timeout=owner._connect_timeout,
            max_size=owner._max_message_size,
            ssl=owner._ssl,
            on_opened=on_opened,
            keep_alive=owner._keep_alive_interval,
        )
        self._transport = self.transport
        self.on_error(self._on_global_error)  # quirk: without it an error completion kills run()

    async def _on_global_error(self, message: CompletionMessage) -> None:
        log.debug("error completion for %s", message.invocation_id)

    async def _on_invocation_message(self, message: InvocationMessage) -> None:
        self.owner._enqueue_server_invocation(self, message)


# --- streams -------------------------------------------------------------------------------------------
class SignalRStream:
    """Async iterator over a server stream, buffering at most ``maxsize`` items (oldest dropped).

    The StreamInvocation is sent on the first ``__anext__``. Leaving ``async for`` early
    (the iterator is then garbage-collected), cancelling the consumer, ``aclose()`` or
    ``async with`` exit sends ``CancelInvocation``. If you keep a reference, call ``aclose()``.
    """

    def __init__(self, conn: SignalRConnection, method: str, args: tuple[Any, ...], maxsize: int) -> None:
        self.method = method
        self._conn = conn
        self._args = list(args)
        self._buf: deque[Any] = deque(maxlen=max(1, maxsize))
        #: parses a buffered raw item when it is consumed (typed streams may set an exact parser)
        self.loads: Loads = plain_loads
        self._waiter: asyncio.Future[None] | None = None  # set while the consumer waits
        self.dropped = 0
        self.invocation_id: str | None = None
        self._client: _Client | None = None
        self._finished = False  # the server completed, failed, or the connection dropped
        self._closed = False  # no longer registered
        self._error: BaseException | None = None

    def __aiter__(self) -> SignalRStream:
        return self

    async def __anext__(self) -> Any:
        if self._client is None and not self._closed:
            self._conn._start_stream(self)
            await self._send_invocation()
        while True:
            if self._buf:
                item = self._buf.popleft()
                return item.decode(self.loads) if type(item) is RawItem else item
            if self._finished or self._closed:
                self._unregister(send_cancel=False)
                if self._error is not None:
                    raise self._error
                raise StopAsyncIteration
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            except asyncio.CancelledError:
                self._unregister(send_cancel=True)
                raise
            finally:
                self._waiter = None

    async def _send_invocation(self) -> None:
        client = self._client
        assert client is not None and self.invocation_id is not None
        try:
            await client.transport.send(
                StreamInvocationMessage(self.invocation_id, self.method, self._args, None)
            )
        except Exception as exc:
            self._unregister(send_cancel=False)
            raise ConnectionLostError(f"connection lost while starting stream {self.method}") from exc

    async def aclose(self) -> None:
        """Stop the stream; sends CancelInvocation if the server has not completed it."""
        task = self._unregister(send_cancel=True)
        if task is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(task)

    async def __aenter__(self) -> SignalRStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __del__(self) -> None:
        if self._client is not None and not self._closed:
            with contextlib.suppress(Exception):
                self._unregister(send_cancel=True)

    # called from the transport's frame parser (items) and pysignalr's dispatch (the rest)
    def _push(self, item: Any) -> None:
        """Buffer one item (the oldest is dropped when full); the caller wakes the consumer."""
        buf = self._buf
        if len(buf) == buf.maxlen:
            self.dropped += 1
        buf.append(item)

    def _wake_up(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _on_next(self, item: Any) -> None:
        self._push(item)
        self._wake_up()

    async def _on_complete(self, _message: Message) -> None:
        self._finish(None)

    async def _on_error(self, message: Message) -> None:
        error = getattr(message, "error", None) or "stream cancelled by the server"
        self._finish(SignalRStreamError(self.method, error))

    def _finish(self, error: BaseException | None) -> None:
        if not self._finished:
            self._finished, self._error = True, error
            self._wake_up()

    def _unregister(self, send_cancel: bool) -> asyncio.Task[None] | None:
        if self._closed:
            return None
        self._closed = True
        self._wake_up()
        inv_id, client = self.invocation_id, self._client
        if inv_id is None or client is None:
            return None
        client.transport.sinks.pop(inv_id, None)
        client._stream_handlers.pop(inv_id, None)
        client._invocation_handlers.pop(inv_id, None)
        self._conn._streams.pop(inv_id, None)
        if send_cancel and not self._finished:
            self._finished = True
            return self._conn._send_cancel(client, inv_id)
        return None


# --- the connection ------------------------------------------------------------------------------------
Handler = Callable[..., Any]
StateListener = Callable[[ConnectionState], Any]
ConnectedCallback = Callable[[], Any]
TokenFactory = Callable[[], "str | Awaitable[str]"]


class SignalRConnection:
    """A self-healing SignalR hub connection.

    Lifecycle: ``await start()`` -> automatic reconnects forever -> ``await stop()``.

    * ``start()`` returns once the first connection is open and every ``on_connected``
      callback has run. It raises :class:`SignalRAuthError` at once if the first attempt
      gets HTTP 401/403, or :class:`ConnectTimeoutError` when no connection was made within
      ``timeout`` (default ``connect_timeout``; attempts are retried with backoff meanwhile).
      On failure the supervisor is stopped, unless ``retry_in_background=True``: then it keeps
      trying (watch ``state``) and the caller must ``stop()`` eventually.
    * ``invoke()``/``stream()`` raise :class:`NotConnectedError` immediately while not
      connected (no silent waiting: callers decide, e.g. retry after ``on_connected``).
    * A reconnect is a new SignalR connection (new id, server-side groups lost): use
      ``on_connected`` to resubscribe/replay. Callbacks run on every (re)connect, after the
      state became ``Connected`` (so they may invoke) and, the first time, before ``start()``
      returns. In-flight calls/streams of a dropped connection fail with ConnectionLostError.
    * The server is considered dead when nothing (not even a ping) arrived for
      ``server_timeout``; we ping every ``keep_alive_interval``.
    """

    def __init__(
        self,
        url: str,
        *,
        access_token_factory: TokenFactory | None = None,
        headers: dict[str, str] | None = None,
        invoke_timeout: float = 30.0,
        server_timeout: float = 30.0,
        keep_alive_interval: float = 15.0,
        reconnect_backoff: Callable[[int], float] = default_backoff,
        connect_timeout: float = 10.0,
        ssl: ssl_module.SSLContext | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
    ) -> None:
        self.url = url
        self._token_factory = access_token_factory
        self._headers = dict(headers or {})
        self._invoke_timeout = invoke_timeout
        self._server_timeout = server_timeout
        self._keep_alive_interval = keep_alive_interval
        self._backoff = reconnect_backoff
        self._connect_timeout = connect_timeout
        self._ssl = ssl
        self._max_message_size = max_message_size

        self._state = ConnectionState.DISCONNECTED
        self._state_listeners: list[StateListener] = []
        self._connected_callbacks: list[ConnectedCallback] = []
        self._handlers: dict[str, list[Handler]] = {}
        self._client: _Client | None = None
        self._open = False
        self._generation = 0
        self._ids = itertools.count(1)
        self._pending: dict[str, tuple[asyncio.Future[Any], int]] = {}
        self._streams: weakref.WeakValueDictionary[str, SignalRStream] = weakref.WeakValueDictionary()
        self._bg: set[asyncio.Task[None]] = set()
        self._supervisor: asyncio.Task[None] | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._dispatch_q: asyncio.Queue[tuple[_Client, InvocationMessage]] | None = None
        self._first: asyncio.Future[None] | None = None
        self._fail_fast = True
        self.last_error: BaseException | None = None
        self.connection_count = 0  # successful connections so far (1 after start())

    # --- observation ---------------------------------------------------------------------------------
    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def connected(self) -> bool:
        return self._open

    def add_state_listener(self, cb: StateListener) -> Callable[[], None]:
        """``cb(state)`` on every change (sync; an awaitable result is scheduled). Returns a remover."""
        self._state_listeners.append(cb)
        return lambda: self._remove(self._state_listeners, cb)

    def on_connected(self, cb: ConnectedCallback) -> Callable[[], None]:
        """``cb()`` (sync or async) after every (re)connect; ``start()`` waits for them. Returns a remover."""
        self._connected_callbacks.append(cb)
        return lambda: self._remove(self._connected_callbacks, cb)

    def on(self, target: str, handler: Handler) -> Callable[[], None]:
        """Handle server->client invocations of ``target`` as ``handler(*arguments)`` (sync or async).

        Handlers run in arrival order on one dispatch task (never blocking the socket). Errors
        are logged. For client-result invocations the single handler's return value is sent back.
        """
        self._handlers.setdefault(target, []).append(handler)

        def remove() -> None:
            lst = self._handlers.get(target, [])
            self._remove(lst, handler)
            if not lst:
                self._handlers.pop(target, None)

        return remove

    @staticmethod
    def _remove(lst: list[Any], item: Any) -> None:
        with contextlib.suppress(ValueError):
            lst.remove(item)

    def _set_state(self, state: ConnectionState) -> None:
        if state is self._state:
            return
        log.info("SignalR %s: %s -> %s", redact(self.url), self._state.value, state.value)
        self._state = state
        for cb in list(self._state_listeners):
            try:
                result = cb(state)
                if inspect.isawaitable(result):
                    self._spawn(_maybe_await(result))
            except Exception:
                log.exception("state listener failed")

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[None]:
        async def run() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                pass
            except Exception:
                log.exception("background task failed")

        task = asyncio.get_running_loop().create_task(run())
        self._bg.add(task)
        task.add_done_callback(self._bg.discard)
        return task

    # --- lifecycle -----------------------------------------------------------------------------------
    async def start(self, *, timeout: float | None = None, retry_in_background: bool = False) -> None:
        """Connect (see the class docstring for the failure semantics)."""
        if self._supervisor is not None:
            raise RuntimeError("already started")
        loop = asyncio.get_running_loop()
        self._first = loop.create_future()
        self._fail_fast = not retry_in_background
        self._dispatch_q = asyncio.Queue()
        self._dispatcher = loop.create_task(self._dispatch_loop(), name="signalr-dispatch")
        self._supervisor = loop.create_task(self._supervise(), name="signalr-supervisor")
        wait = self._connect_timeout if timeout is None else timeout
        try:
            await asyncio.wait_for(asyncio.shield(self._first), wait)
        except TimeoutError:
            err: BaseException = ConnectTimeoutError(
                f"no connection to {redact(self.url)} within {wait:g}s (last error: {self.last_error!r})"
            )
        except BaseException as exc:
            err = exc
        else:
            return
        if not retry_in_background or not isinstance(err, Exception):
            await self.stop()
        raise err

    async def stop(self) -> None:
        """Close the connection and cancel everything (prompt: well under a second)."""
        sup, self._supervisor = self._supervisor, None
        if sup is not None:
            sup.cancel()
            await asyncio.gather(sup, return_exceptions=True)
        disp, self._dispatcher = self._dispatcher, None
        if disp is not None:
            disp.cancel()
            await asyncio.gather(disp, return_exceptions=True)
        bg = list(self._bg)
        if bg:
            await asyncio.wait(bg, timeout=0.5)
            for t in bg:
                t.cancel()
            await asyncio.gather(*bg, return_exceptions=True)
        if self._first is not None and not self._first.done():
            self._first.cancel()
        self._set_state(ConnectionState.DISCONNECTED)

    async def __aenter__(self) -> SignalRConnection:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _token(self) -> str | None:
        if self._token_factory is None:
            return None
        token = await _maybe_await(self._token_factory())
        return str(token) if token else None

    async def _supervise(self) -> None:
        failures = 0
        loop = asyncio.get_running_loop()
        try:
            while True:
                self._set_state(
                    ConnectionState.CONNECTING if self.connection_count == 0 else ConnectionState.RECONNECTING
                )
                try:
                    client, run_task = await self._connect_once()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self.last_error = exc
                    log.warning("SignalR connect to %s failed: %s", redact(self.url), redact(repr(exc)))
                    first = self._first
                    if (
                        isinstance(exc, SignalRAuthError)
                        and self._fail_fast
                        and first is not None
                        and not first.done()
                    ):
                        first.set_exception(exc)
                        return
                    await asyncio.sleep(self._backoff(failures))
                    failures += 1
                    continue
                opened_at = loop.time()
                failures = 0
                self.connection_count += 1
                self._set_state(ConnectionState.CONNECTED)
                try:
                    await self._run_connected_callbacks_while_open(client, run_task)
                    if self._first is not None and not self._first.done():
                        self._first.set_result(None)
                    reason = await self._watch(client, run_task)
                finally:
                    await self._teardown(client, run_task)
                self.last_error = reason
                log.warning("SignalR connection to %s lost: %s", redact(self.url), redact(repr(reason)))
                if loop.time() - opened_at < _STABLE_AFTER:
                    failures = max(failures, 1)  # flapping: do not hammer the server
                self._set_state(ConnectionState.RECONNECTING)
                await asyncio.sleep(self._backoff(failures))
                failures += 1
        finally:
            if self._client is not None:
                with contextlib.suppress(Exception):
                    await self._teardown(self._client, None)

    async def _connect_once(self) -> tuple[_Client, asyncio.Task[None]]:
        token = await self._token()
        headers = dict(self._headers)
        if token:
            headers["Authorization"] = f"Bearer {token}"  # on the FIRST negotiate and upgrade too
        opened = asyncio.Event()
        self._generation += 1
        client = _Client(self, self._generation, self.url, headers, opened.set)
        self._client = client
        run_task: asyncio.Task[None] = asyncio.get_running_loop().create_task(
            client.run(), name="signalr-run"
        )
        waiter = asyncio.get_running_loop().create_task(opened.wait())
        try:
            await asyncio.wait(
                {run_task, waiter}, timeout=self._connect_timeout, return_when=asyncio.FIRST_COMPLETED
            )
        except BaseException:
            waiter.cancel()
            await self._teardown(client, run_task)
            raise
        waiter.cancel()
        if opened.is_set() and not run_task.done():
            self._open = True
            return client, run_task
        error: BaseException | None = None
        if run_task.done() and not run_task.cancelled():
            error = run_task.exception()
        await self._teardown(client, run_task)
        raise self._map_connect_error(error)

    def _map_connect_error(self, error: BaseException | None) -> Exception:
        if error is None:
            return ConnectTimeoutError(f"connect attempt timed out after {self._connect_timeout:g}s")
        if isinstance(error, AuthorizationError):
            return SignalRAuthError("negotiate rejected: 401 Unauthorized")
        if isinstance(error, PySignalRConnectionError) and error.status in (401, 403):
            return SignalRAuthError(f"negotiate rejected: HTTP {error.status}")
        if isinstance(error, InvalidStatus) and error.response.status_code in (401, 403):
            return SignalRAuthError(f"WebSocket upgrade rejected: HTTP {error.response.status_code}")
        if isinstance(error, Exception):
            return error
        return SignalRError(repr(error))

    async def _run_connected_callbacks_while_open(self, client: _Client, run_task: asyncio.Task[None]) -> None:
        """Run the on_connected callbacks; if the socket dies meanwhile, fail the calls they
        have in flight on it at once (instead of after ``invoke_timeout``)."""
        cb_task = asyncio.get_running_loop().create_task(self._run_connected_callbacks())
        try:
            await asyncio.wait({cb_task, run_task}, return_when=asyncio.FIRST_COMPLETED)
            if not cb_task.done():
                self._fail_in_flight(client, ConnectionLostError("connection lost"))
            await cb_task
        except BaseException:
            cb_task.cancel()
            await asyncio.gather(cb_task, return_exceptions=True)
            raise

    def _fail_in_flight(self, client: _Client, lost: ConnectionLostError) -> None:
        if self._client is client:
            self._open = False  # new calls fail fast with NotConnectedError
        gen = client.generation
        for inv_id, (fut, g) in list(self._pending.items()):
            if g == gen and not fut.done():
                fut.set_exception(lost)
                self._pending.pop(inv_id, None)

    async def _run_connected_callbacks(self) -> None:
        for cb in list(self._connected_callbacks):
            try:
                await _maybe_await(cb())
            except Exception:
                log.exception("on_connected callback failed")

    async def _watch(self, client: _Client, run_task: asyncio.Task[None]) -> BaseException:
        """Wait until the connection ends; returns why."""
        loop = asyncio.get_running_loop()
        while True:
            remaining = client.transport.last_rx + self._server_timeout - loop.time()
            if remaining <= 0:
                return ConnectionLostError(f"server timeout: nothing received for {self._server_timeout:g}s")
            done, _ = await asyncio.wait({run_task}, timeout=remaining)
            if done:
                if run_task.cancelled():
                    return ConnectionLostError("connection task cancelled")
                return run_task.exception() or ConnectionLostError("connection closed by the server")

    async def _teardown(self, client: _Client, run_task: asyncio.Task[None] | None) -> None:
        """Close ``client``'s socket and fail everything that was in flight on it."""
        if self._client is client:
            self._client = None
            self._open = False
        gen = client.generation
        lost = ConnectionLostError("connection lost")
        for inv_id, (fut, g) in list(self._pending.items()):
            if g == gen and not fut.done():
                fut.set_exception(lost)
                self._pending.pop(inv_id, None)
        for stream in list(self._streams.values()):
            if stream._client is client:
                stream._finish(ConnectionLostError(f"connection lost during stream {stream.method}"))
                self._streams.pop(stream.invocation_id or "", None)
        if run_task is not None and not run_task.done():
            run_task.cancel()
            done, _ = await asyncio.wait({run_task}, timeout=_CLOSE_GRACE)
            if not done:
                client.transport.abort()  # do not wait for a dead peer's close handshake
                await asyncio.wait({run_task}, timeout=1.0)
        if run_task is not None and run_task.done() and not run_task.cancelled():
            run_task.exception()  # retrieved: no "exception was never retrieved" noise

    # --- calls ---------------------------------------------------------------------------------------
    def _current(self) -> _Client:
        client = self._client
        if client is None or not self._open:
            raise NotConnectedError(f"not connected to {redact(self.url)} (state {self._state.value})")
        return client

    async def invoke(self, method: str, *args: Any, timeout: float | None = None) -> Any:
        """Call hub ``method`` and return its result.

        Raises NotConnectedError (not connected), SignalRInvocationError (Completion error),
        InvocationTimeout (a TimeoutError) and ConnectionLostError (dropped in flight).
        """
        client = self._current()
        inv_id = str(next(self._ids))
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        self._pending[inv_id] = (fut, client.generation)

        async def on_completion(message: Message) -> None:
            if fut.done():
                return
            assert isinstance(message, CompletionMessage)
            if message.error:
                fut.set_exception(SignalRInvocationError(method, message.error))
            else:
                fut.set_result(message.result)

        client._invocation_handlers[inv_id] = on_completion
        wait = self._invoke_timeout if timeout is None else timeout
        try:
            try:
                await client.transport.send(InvocationMessage(inv_id, method, list(args), None))
            except Exception as exc:
                raise ConnectionLostError(f"connection lost while sending {method}") from exc
            try:
                return await asyncio.wait_for(fut, wait)
            except TimeoutError:
                raise InvocationTimeout(method, wait) from None
        finally:
            self._pending.pop(inv_id, None)
            client._invocation_handlers.pop(inv_id, None)

    async def send(self, method: str, *args: Any) -> None:
        """Fire-and-forget invocation (no invocationId, no Completion)."""
        client = self._current()
        try:
            await client.transport.send(InvocationMessage(None, method, list(args), None))
        except Exception as exc:
            raise ConnectionLostError(f"connection lost while sending {method}") from exc

    def stream(self, method: str, *args: Any, maxsize: int = 256) -> SignalRStream:
        """A server stream as an async iterator keeping the latest ``maxsize`` items.

        Raises (on iteration) NotConnectedError, SignalRStreamError (Completion error) or
        ConnectionLostError (connection dropped; resubscribe after reconnecting).
        """
        return SignalRStream(self, method, args, maxsize)

    def _start_stream(self, stream: SignalRStream) -> None:
        client = self._current()
        inv_id = str(next(self._ids))
        stream.invocation_id, stream._client = inv_id, client
        # Only weak references to the stream: leaving `async for` early must let it be collected
        # (its __del__ then sends CancelInvocation).
        ref = weakref.ref(stream)

        async def on_next(item: Any) -> None:
            if (s := ref()) is not None:
                await s._on_next(item)

        async def on_complete(message: Message) -> None:
            if (s := ref()) is not None:
                await s._on_complete(message)

        async def on_error(message: Message) -> None:
            if (s := ref()) is not None:
                await s._on_error(message)

        client._stream_handlers[inv_id] = (on_next, on_complete, on_error)
        client._invocation_handlers[inv_id] = on_complete
        client.transport.sinks[inv_id] = ref  # StreamItems: the transport's fast path
        self._streams[inv_id] = stream

    def _send_cancel(self, client: _Client, inv_id: str) -> asyncio.Task[None] | None:
        if client is not self._client or not self._open:
            return None  # the stream died with its connection
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # garbage-collected outside the loop
            return None
        return self._spawn(client.transport.send(CancelInvocationMessage(inv_id)))

    # --- server -> client ----------------------------------------------------------------------------
    def _enqueue_server_invocation(self, client: _Client, message: InvocationMessage) -> None:
        if self._dispatch_q is not None:
            self._dispatch_q.put_nowait((client, message))

    async def _dispatch_loop(self) -> None:
        assert self._dispatch_q is not None
        while True:
            client, message = await self._dispatch_q.get()
            try:
                await self._dispatch_one(client, message)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatching %s failed", message.target)

    async def _dispatch_one(self, client: _Client, message: InvocationMessage) -> None:
        target = message.target
        args = message.arguments if isinstance(message.arguments, list) else [message.arguments]
        handlers = list(self._handlers.get(target, ()))
        inv_id = message.invocation_id
        if inv_id is None:
            if not handlers:
                log.debug("no handler for server invocation %r", target)
            for handler in handlers:
                try:
                    await _maybe_await(handler(*args))
                except Exception:
                    log.exception("handler for %r raised", target)
            return
        reply: dict[str, Any] = {"type": 3, "invocationId": inv_id}
        if not handlers:
            log.warning("no handler for client-result invocation %r", target)
            reply["error"] = "Client didn't provide a result."
        elif len(handlers) > 1:
            reply["error"] = "Client provided multiple results."
        else:
            try:
                reply["result"] = await _maybe_await(handlers[0](*args))
            except Exception as exc:
                log.exception("client-result handler for %r raised", target)
                reply["error"] = f"Client handler for '{target}' failed: {type(exc).__name__}"
        if client is self._client and self._open:
            try:
                await client.transport.send(JSONMessage(reply))
            except Exception as exc:
                log.info("could not send client result for %r: %s", target, exc)
