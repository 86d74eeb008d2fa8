"""The one-shot WebSocket transport with the StreamItem fast path, the orjson JSON protocol
(pysignalr's messages), and the per-attempt client.

One :class:`_Client` (and its :class:`_Transport`) serves exactly one connection attempt;
:class:`~mesodesk.sdk._signalr.connection.SignalRConnection` builds a fresh one for every
(re)connect. They replace pysignalr's ``SignalRClient`` and ``WebsocketTransport``, whose
module imports aiohttp (~0.15 s) for the negotiate request alone: :mod:`.negotiate` is
imported only by a connection that negotiates. The redaction log filter is installed here,
on import.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import orjson
from pysignalr.exceptions import ServerError
from pysignalr.messages import (
    CancelInvocationMessage,
    CloseMessage,
    CompletionMessage,
    HandshakeMessage,
    InvocationMessage,
    Message,
    MessageType,
    PingMessage,
    StreamInvocationMessage,
)
from pysignalr.protocol.json import JSONProtocol
from pysignalr.utils import replace_scheme
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.protocol import State

from mesodesk.sdk._stream import RawItem
from mesodesk.sdk.redaction import redact

if TYPE_CHECKING:
    import ssl

    from .connection import SignalRConnection
    from .stream import SignalRStream

log = logging.getLogger("mesodesk.sdk")
_ws_log = logging.getLogger("mesodesk.sdk.ws")

CLOSE_GRACE = 0.25  # seconds a closing socket may take before its TCP transport is aborted
_RS = b"\x1e"
_ITEM_PREFIX = b'{"type":2,"invocationId":"'
_ITEM_PREFIX_LEN = len(_ITEM_PREFIX)
_ITEM_KEY = b'","item":'
_ITEM_KEY_LEN = len(_ITEM_KEY)
_CLOSE_BRACE = ord("}")


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


MessageHandler = Callable[[Message], Awaitable[None]]


class _Transport:
    """One-shot transport: negotiate (unless skipped), connect, handshake, process until the socket closes."""

    def __init__(self, url: str, protocol: _Protocol, callback: MessageHandler, headers: dict[str, str], *,
                 connection_timeout: float, max_size: int | None, ssl: ssl.SSLContext | None,
                 skip_negotiation: bool, on_opened: Callable[[], None], keep_alive: float) -> None:
        self._url = url
        self._protocol = protocol
        self._callback = callback
        self._headers = headers
        self._connection_timeout = connection_timeout
        self._max_size = max_size
        self._ssl = ssl
        self._skip_negotiation = skip_negotiation
        self._on_opened = on_opened
        self._keep_alive = keep_alive
        self._connected = asyncio.Event()
        self._ws: ClientConnection | None = None
        self.last_rx = asyncio.get_running_loop().time()
        #: invocationId -> the stream taking its StreamItems (weak: a dropped stream is collected)
        self.sinks: dict[str, weakref.ref[SignalRStream]] = {}

    async def run(self) -> None:
        if self._skip_negotiation:
            self._url = replace_scheme(self._url, ws=True)
        else:
            from .negotiate import negotiate  # aiohttp: only for a connection that negotiates

            self._url = await negotiate(self._url, self._headers, self._connection_timeout, self._ssl)
        extra: dict[str, Any] = {"ssl": self._ssl} if self._ssl is not None else {}
        async with ws_connect(
            self._url,
            additional_headers=self._headers,
            ping_interval=None,  # liveness: SignalR ping + watchdog
            open_timeout=self._connection_timeout,
            close_timeout=CLOSE_GRACE,
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

    async def _handshake(self, conn: ClientConnection) -> None:
        await conn.send(self._protocol.encode(self._protocol.handshake_message()))
        handshake, messages = self._protocol.decode_handshake(await conn.recv())
        if handshake.error:
            raise ValueError(f"Handshake error: {handshake.error}")
        for message in messages:
            await self._callback(message)

    async def send(self, message: Message) -> None:
        """As pysignalr's: waits (up to the connection timeout) for the socket to open."""
        try:
            await asyncio.wait_for(self._connected.wait(), self._connection_timeout)
        except TimeoutError as e:
            raise RuntimeError("The socket was never run") from e
        if not self._ws or self._ws.state != State.OPEN:
            raise RuntimeError("Connection is closed")
        await self._ws.send(self._protocol.encode(message))

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
            await self._callback(JSONProtocol.parse_message(data))
        for stream in touched:
            stream._wake_up()

    def abort(self) -> None:
        ws = self._ws
        if ws is not None:
            ws.transport.abort()


class _Client:
    """Routes one connection's messages: completions to the invocation (and stream) handlers
    :class:`~mesodesk.sdk._signalr.connection.SignalRConnection` registers, server->client
    invocations to its ordered dispatcher. StreamItems never come here (the transport's fast path)."""

    def __init__(
        self,
        owner: SignalRConnection,
        generation: int,
        url: str,
        headers: dict[str, str],
        on_opened: Callable[[], None],
    ) -> None:
        self.owner = owner
        self.generation = generation
        #: invocationId -> (on_next, on_complete, on_error) of a stream (pysignalr's table layout)
        self._stream_handlers: dict[str, tuple[Any, MessageHandler | None, MessageHandler | None]] = {}
        #: invocationId -> the handler of its Completion
        self._invocation_handlers: dict[str, MessageHandler | None] = {}
        self.transport = _Transport(
            url,
            _Protocol(),
            self._on_message,
            headers,
            connection_timeout=owner._connect_timeout,
            max_size=owner._max_message_size,
            ssl=owner._ssl,
            skip_negotiation=owner._skip_negotiation,
            on_opened=on_opened,
            keep_alive=owner._keep_alive_interval,
        )

    async def run(self) -> None:
        await self.transport.run()

    async def _on_message(self, message: Message) -> None:
        if message.type == MessageType.invocation_binding_failure:  # type: ignore[attr-defined]
            raise ServerError(str(message))
        if isinstance(message, InvocationMessage):
            self.owner._enqueue_server_invocation(self, message)
        elif isinstance(message, CompletionMessage):
            await self._on_completion(message)
        elif isinstance(message, CancelInvocationMessage):
            handler = self._stream_handlers.get(message.invocation_id)
            if handler is not None and handler[2] is not None:
                await handler[2](message)
        elif isinstance(message, CloseMessage):
            if message.error:
                raise ServerError(message.error)
        elif not isinstance(message, PingMessage | StreamInvocationMessage):
            raise NotImplementedError(type(message).__name__)

    async def _on_completion(self, message: CompletionMessage) -> None:
        """An error goes to its stream's ``on_error`` (else it is only logged); the invocation's
        handler then gets the Completion, unless it ended a stream with an error."""
        if message.error:
            handler = self._stream_handlers.get(message.invocation_id)
            if handler is not None and handler[2] is not None:
                await handler[2](message)
            else:
                log.debug("error completion for %s", message.invocation_id)
        had_stream = self._stream_handlers.pop(message.invocation_id, None) is not None
        callback = self._invocation_handlers.pop(message.invocation_id, None)
        if callback is not None and not (message.error and had_stream):
            await callback(message)
