"""One hub connection over a WebSocket: handshake, dispatch, keep-alive, server->client calls."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import itertools
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from . import protocol as p
from .hub import HubError, HubHandler

if TYPE_CHECKING:
    from .hub import Hub

log = logging.getLogger(__name__)

CLOSE_TIMEOUT = 0.5  # seconds to wait for the peer's close frame
MAX_FRAME = 64 * 1024  # records queued while the socket is busy are joined into frames of at most this
HIGH_WATER = 64 * 1024  # a stream waits while more than this many bytes are queued (back-pressure)


class ConnectionClosedError(ConnectionError):
    """The connection closed while a server->client invocation was pending."""


class ClientResultError(HubError):
    """The client answered a server->client invocation with an error."""


class StreamBudget:
    """Concurrent streams across all connections of one server (each stream costs work per tick)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.active = 0

    def try_acquire(self) -> bool:
        if self.active >= self.limit:
            return False
        self.active += 1
        return True

    def release(self) -> None:
        self.active -= 1


@dataclass(frozen=True)
class ConnectionOptions:
    dumps: p.Dumps = p.default_dumps
    keep_alive_interval: float = 15.0
    client_timeout: float = 30.0
    handshake_timeout: float = 15.0
    max_message_size: int = 1 << 20
    max_parallel_invocations: int = 64
    max_streams: int = 256


class ServerConnection:
    """A connected client as seen by hub code."""

    def __init__(
        self,
        hub: Hub,
        ws: web.WebSocketResponse,
        connection_id: str,
        user_id: str | None,
        options: ConnectionOptions,
        streams: StreamBudget | None = None,
    ) -> None:
        self.hub = hub
        self.connection_id = connection_id
        self.user_id = user_id
        self.items: dict[str, Any] = {}
        self.groups: set[str] = set()
        self._ws = ws
        self._opts = options
        self._loop = asyncio.get_running_loop()
        # Outgoing records go through one queue and one writer task: records queued while the
        # socket is busy leave together in one frame (several messages per frame, as the hub
        # protocol allows), in order. Streams wait while more than HIGH_WATER bytes are queued.
        self._out: collections.deque[tuple[bytes, asyncio.Future[bool] | None]] = collections.deque()
        self._out_bytes = 0
        self._writer: asyncio.Task[None] | None = None
        self._room: asyncio.Future[None] | None = None  # set when the queue drops below HIGH_WATER
        self.frames_sent = 0
        self._last_sent = self._loop.time()
        self._last_received = self._loop.time()
        self._tasks: dict[str, asyncio.Task[None]] = {}  # invocationId -> running invocation/stream
        self._anon_tasks: set[asyncio.Task[None]] = set()  # non-blocking invocations
        self._cancelled_by_client: set[str] = set()
        self._pending: dict[str, asyncio.Future[Any]] = {}  # our server->client invocations
        self._ids = itertools.count()
        self._slots = asyncio.Semaphore(options.max_parallel_invocations)
        self._server_streams = streams or StreamBudget(options.max_streams)  # shared by the server's connections
        self._closing = False
        self._handshake_done = False
        self.protocol_version: int | None = None  # the hub protocol version the client's handshake asked for

    def __repr__(self) -> str:
        return f"<ServerConnection {self.connection_id} hub={self.hub.name} user={self.user_id}>"

    @property
    def closed(self) -> bool:
        return self._closing or self._ws.closed

    # --- outgoing ----------------------------------------------------------------------
    def _enqueue(self, data: bytes, ack: asyncio.Future[bool] | None) -> bool:
        if self._ws.closed:
            if ack is not None:
                ack.set_result(False)
            return False
        self._out.append((data, ack))
        self._out_bytes += len(data)
        if self._writer is None:
            self._writer = self._loop.create_task(self._write_loop(), name=f"signalr-writer-{self.connection_id}")
        return True

    async def _write_raw(self, data: bytes) -> bool:
        """Queue one or more records and wait until they are on the socket (False: closed)."""
        ack: asyncio.Future[bool] = self._loop.create_future()
        self._enqueue(data, ack)
        return await ack

    async def _write_item(self, data: bytes) -> bool:
        """Queue a stream item; wait only while the queue is over HIGH_WATER (False: closed)."""
        if not self._enqueue(data, None):
            return False
        while self._out_bytes > HIGH_WATER and not self._ws.closed:
            if self._room is None or self._room.done():
                self._room = self._loop.create_future()
            await self._room
        return not self._ws.closed

    async def _write_loop(self) -> None:
        out, ws = self._out, self._ws
        try:
            while out:
                data, ack = out.popleft()
                acks = [ack] if ack is not None else []
                if out and len(data) < MAX_FRAME:  # coalesce what queued up while we were writing
                    parts, size = [data], len(data)
                    while out and size + len(out[0][0]) <= MAX_FRAME:
                        more, ack = out.popleft()
                        parts.append(more)
                        size += len(more)
                        if ack is not None:
                            acks.append(ack)
                    data = b"".join(parts)
                self._out_bytes -= len(data)
                ok = not ws.closed
                if ok:
                    try:
                        # text frames: the JS client requires them for the JSON protocol
                        await ws.send_frame(data, WSMsgType.TEXT)
                        self._last_sent = self._loop.time()
                        self.frames_sent += 1
                    except (ConnectionError, RuntimeError) as exc:
                        log.debug("%s: write failed: %s", self.connection_id, exc)
                        ok = False
                    except BaseException:  # cancelled mid-write: tell the waiters, then stop
                        for a in acks:
                            if not a.done():
                                a.set_result(False)
                        raise
                for a in acks:
                    if not a.done():
                        a.set_result(ok)
                if self._room is not None and not self._room.done() and (self._out_bytes <= HIGH_WATER or not ok):
                    self._room.set_result(None)
                if not ok:
                    break
        finally:
            self._writer = None
            self._fail_queued()

    def _fail_queued(self) -> None:
        """The socket is gone (or the writer stopped): nothing queued will be written."""
        if self._writer is not None and not self._ws.closed:
            return
        while self._out:
            _, ack = self._out.popleft()
            if ack is not None and not ack.done():
                ack.set_result(False)
        self._out_bytes = 0
        if self._room is not None and not self._room.done():
            self._room.set_result(None)

    async def _write(self, msg: dict[str, Any]) -> bool:
        return await self._write_raw(p.encode(msg, self._opts.dumps))

    def post(self, target: str, *args: Any) -> bool:
        """Queue a fire-and-forget invocation without waiting for the socket (False: closed).

        For fan-out: one slow client must not hold up the others. Order per connection is kept;
        a client that stops reading is dropped by the keep-alive after ``client_timeout``.
        """
        return self._enqueue(p.encode(p.invocation(target, list(args)), self._opts.dumps), None)

    async def send(self, target: str, *args: Any) -> None:
        """Fire-and-forget server->client invocation; silently dropped if the connection is closed."""
        await self._write(p.invocation(target, list(args)))

    async def invoke(self, target: str, *args: Any, timeout: float = 10.0) -> Any:
        """Server->client invocation expecting a client result.

        Raises ClientResultError (client error), TimeoutError, or ConnectionClosedError.
        """
        if self.closed:
            raise ConnectionClosedError(f"connection {self.connection_id} is closed")
        inv_id = f"s{next(self._ids)}"
        fut: asyncio.Future[Any] = self._loop.create_future()
        self._pending[inv_id] = fut
        try:
            if not await self._write(p.invocation(target, list(args), inv_id)):
                raise ConnectionClosedError(f"connection {self.connection_id} is closed")
            return await asyncio.wait_for(fut, timeout)
        finally:
            self._pending.pop(inv_id, None)

    async def close(self, error: str | None = None, *, allow_reconnect: bool = False) -> None:
        """Send a Close message (with optional error) and close the socket."""
        if self._closing:
            return
        self._closing = True
        if self._handshake_done:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._write(p.close(error, allow_reconnect)), CLOSE_TIMEOUT)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._ws.close(), CLOSE_TIMEOUT + 0.5)

    # --- lifecycle ---------------------------------------------------------------------
    async def run(self) -> None:
        """Serve the socket until it closes. The hub's callbacks run around it."""
        reader = p.RecordReader(self._opts.max_message_size)
        keepalive: asyncio.Task[None] | None = None
        try:
            rest = await self._handshake(reader)
            if rest is None:
                return
            self._handshake_done = True
            await self.hub._connected(self)
            keepalive = asyncio.create_task(self._keepalive(), name=f"signalr-keepalive-{self.connection_id}")
            await self._dispatch_records(rest)
            while not self.closed:
                msg = await self._ws.receive()
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    self._last_received = self._loop.time()
                    data = msg.data if isinstance(msg.data, bytes) else msg.data.encode()
                    await self._dispatch_records(reader.feed(data))
                elif msg.type == WSMsgType.ERROR:
                    log.info("%s: websocket error: %s", self.connection_id, self._ws.exception())
                    break
                else:  # CLOSE / CLOSING / CLOSED
                    break
        except p.ProtocolError as exc:
            log.info("%s: protocol error: %s", self.connection_id, exc)
            await self.close(f"Connection closed with an error. InvalidDataException: {exc}")
        finally:
            self._closing = True
            if keepalive is not None:
                keepalive.cancel()
            await self._teardown()

    async def _handshake(self, reader: p.RecordReader) -> list[bytes] | None:
        """Return records that followed the handshake, or None if the handshake failed."""
        deadline = self._loop.time() + self._opts.handshake_timeout
        records: list[bytes] = []
        while not records:
            remaining = deadline - self._loop.time()
            if remaining <= 0:
                log.info("%s: handshake timed out", self.connection_id)
                await self._ws.close()
                return None
            try:
                msg = await self._ws.receive(timeout=remaining)
            except TimeoutError:
                continue
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                return None
            self._last_received = self._loop.time()
            data = msg.data if isinstance(msg.data, bytes) else msg.data.encode()
            records = reader.feed(data)
            if not records and p.RS in data:
                records = [b""]  # an empty handshake record: rejected below, not waited on
        error: str | None = None
        try:
            proto, version = p.parse_handshake(records[0])
            if proto != "json":
                error = f"The protocol '{proto}' is not supported."
            elif not p.version_supported(version):
                error = f"The server does not support version {version} of the 'json' protocol."
            else:
                self.protocol_version = version
        except p.ProtocolError as exc:
            error = str(exc)
        if error is not None:
            log.info("%s: handshake rejected: %s", self.connection_id, error)
            with contextlib.suppress(Exception):
                await self._ws.send_frame(p.encode({"error": error}), WSMsgType.TEXT)
            await self._ws.close()
            return None
        if not await self._write_raw(b"{}" + p.RS):
            return None
        return records[1:]

    async def _teardown(self) -> None:
        tasks = list(self._tasks.values()) + list(self._anon_tasks)
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(ConnectionClosedError(f"connection {self.connection_id} closed"))
        self._pending.clear()
        if self._handshake_done:
            await self.hub._disconnected(self)
        if not self._ws.closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), CLOSE_TIMEOUT + 0.5)
        writer = self._writer
        if writer is not None:
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
        self._fail_queued()

    async def _keepalive(self) -> None:
        ka, ct = self._opts.keep_alive_interval, self._opts.client_timeout
        while not self.closed:
            now = self._loop.time()
            if now >= self._last_received + ct:
                log.info("%s: client timeout (%.1fs without a message)", self.connection_id, ct)
                await self.close("Server timeout elapsed without receiving a message from the client.")
                self._abort_transport()
                return
            if now >= self._last_sent + ka:
                if not self._out:
                    self._enqueue(p.encode(p.PING), None)  # never await the socket here: it may be stalled
                elif now >= self._last_sent + ct:
                    # Output has been queued for a whole client timeout without the socket taking a frame:
                    # the peer stopped reading. Drop it rather than hold its queue and tasks forever.
                    log.info("%s: client stopped reading (%.1fs without a write)", self.connection_id, ct)
                    await self.close("Server timeout elapsed without the client reading.")
                    self._abort_transport()
                    return
                await asyncio.sleep(min(ka, ct) / 4 + 0.001)
                continue
            await asyncio.sleep(min(self._last_sent + ka, self._last_received + ct) - now + 0.001)

    def _abort_transport(self) -> None:
        """Hard-close the TCP connection (a peer that stopped reading never completes a close handshake)."""
        transport = getattr(getattr(self._ws, "_writer", None), "transport", None)
        if transport is not None:
            transport.abort()

    # --- incoming ----------------------------------------------------------------------
    async def _dispatch_records(self, records: list[bytes]) -> None:
        for rec in records:
            if self.closed:
                return
            await self._dispatch(p.parse_message(rec))

    async def _dispatch(self, msg: dict[str, Any]) -> None:
        kind = msg["type"]
        if kind is p.MessageType.INVOCATION or kind is p.MessageType.STREAM_INVOCATION:
            await self._start_invocation(msg, kind is p.MessageType.STREAM_INVOCATION)
        elif kind is p.MessageType.COMPLETION:
            fut = self._pending.get(msg["invocationId"])
            if fut is None or fut.done():
                log.debug("%s: completion for unknown invocation", self.connection_id)
            elif "error" in msg:
                fut.set_exception(ClientResultError(msg["error"]))
            else:
                fut.set_result(msg.get("result"))
        elif kind is p.MessageType.CANCEL_INVOCATION:
            inv_id = msg["invocationId"]
            task = self._tasks.get(inv_id)
            if task is not None and not task.done():
                self._cancelled_by_client.add(inv_id)
                task.cancel()
        elif kind is p.MessageType.CLOSE:
            self._closing = True
        elif kind is p.MessageType.STREAM_ITEM:
            log.debug("%s: ignoring client stream item (upload streams unsupported)", self.connection_id)
        # PING: nothing to do; _last_received was updated

    async def _start_invocation(self, msg: dict[str, Any], streaming: bool) -> None:
        target: str = msg["target"]
        inv_id: str | None = msg.get("invocationId")
        args: list[Any] = msg["arguments"]
        error: str | None = None
        method = self.hub.methods.get(target)
        if msg.get("streamIds"):
            error = "Client-to-server streaming is not supported by this server."
        elif method is None:
            error = f"Unknown hub method '{target}'"
        elif method.is_stream and not streaming:
            error = f"The client attempted to invoke the streaming '{target}' method with a non-streaming invocation."
        elif streaming and not method.is_stream:
            error = f"The client attempted to invoke the non-streaming '{target}' method with a streaming invocation."
        elif inv_id is not None and inv_id in self._tasks:
            error = f"Invocation ID '{inv_id}' is already in use."
        elif streaming and len(self._tasks) >= self._opts.max_streams:
            error = "Too many concurrent streams on this connection."
        else:
            error = method.check_arity(len(args))
        if error is None and streaming and not self._server_streams.try_acquire():
            limit = self._server_streams.limit
            error = f"Too many concurrent streams on this server (limit {limit}); end a stream and retry."
        if error is not None or method is None:
            log.info("%s: rejected invocation of %r: %s", self.connection_id, target, error)
            if inv_id is not None:
                await self._write(p.completion_error(inv_id, error or "invalid invocation"))
            return
        if streaming:
            assert inv_id is not None
            coro = self._run_stream(inv_id, method, args)
        else:
            await self._slots.acquire()  # bounds in-flight invocations; back-pressures the reader
            coro = self._run_invocation(inv_id, method, args)
        task = asyncio.create_task(coro, name=f"signalr-{target}-{self.connection_id}")
        if streaming:  # released however the task ends, even cancelled before it ran
            task.add_done_callback(lambda _task: self._server_streams.release())
        if inv_id is not None:
            self._tasks[inv_id] = task
            task.add_done_callback(functools.partial(self._forget_task, inv_id))
        else:
            self._anon_tasks.add(task)
            task.add_done_callback(self._anon_tasks.discard)

    def _forget_task(self, inv_id: str, _task: asyncio.Task[None]) -> None:
        self._tasks.pop(inv_id, None)

    def _was_cancelled_by_client(self, inv_id: str | None) -> bool:
        if inv_id is None or inv_id not in self._cancelled_by_client:
            return False
        self._cancelled_by_client.discard(inv_id)
        return not self.closed

    def _unexpected(self, name: str) -> str:
        log.exception("%s: hub method %r raised", self.connection_id, name)
        return f"An unexpected error occurred invoking '{name}' on the server."

    async def _run_invocation(self, inv_id: str | None, method: HubHandler, args: list[Any]) -> None:
        try:
            try:
                result = await method.fn(self, *args)
            except asyncio.CancelledError:
                if not self._was_cancelled_by_client(inv_id):
                    raise
                reply = p.completion_error(inv_id or "", "Invocation canceled by the client.")
            except HubError as exc:
                reply = p.completion_error(inv_id or "", str(exc))
            except Exception:
                reply = p.completion_error(inv_id or "", self._unexpected(method.name))
            else:
                reply = p.completion_result(inv_id or "", result)
            if inv_id is None:
                return
            try:
                data = p.encode(reply, self._opts.dumps)
            except Exception:
                data = p.encode(p.completion_error(inv_id, self._unexpected(method.name)), self._opts.dumps)
            await self._write_raw(data)
        finally:
            self._slots.release()

    async def _run_stream(self, inv_id: str, method: HubHandler, args: list[Any]) -> None:
        reply: dict[str, Any]
        try:
            agen = method.fn(self, *args)
            if not hasattr(agen, "__aiter__"):
                agen = await agen
            try:
                dumps = self._opts.dumps
                write = self._write_raw  # the first item leaves at once, in a frame of its own
                async for item in agen:
                    if not await write(p.encode(p.stream_item(inv_id, item), dumps)):
                        return
                    write = self._write_item  # later ones coalesce while the socket is busy
            finally:
                aclose = getattr(agen, "aclose", None)
                if aclose is not None:
                    await aclose()
        except asyncio.CancelledError:
            if not self._was_cancelled_by_client(inv_id):
                raise
            reply = p.completion_empty(inv_id)  # after CancelInvocation; clients ignore it
        except HubError as exc:
            reply = p.completion_error(inv_id, str(exc))
        except Exception:
            reply = p.completion_error(inv_id, self._unexpected(method.name))
        else:
            reply = p.completion_empty(inv_id)
        await self._write(reply)
