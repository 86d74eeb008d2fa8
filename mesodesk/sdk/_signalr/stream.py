"""Server streams: :class:`SignalRStream`, a bounded async iterator fed by the transport."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pysignalr.messages import Message, StreamInvocationMessage

from mesodesk.sdk._stream import Loads, RawItem, plain_loads

from .errors import ConnectionLostError, NotConnectedError, SignalRStreamError

if TYPE_CHECKING:
    from .connection import SignalRConnection
    from .transport import _Client

__all__ = ["SignalRStream", "StreamGap"]

log = logging.getLogger("mesodesk.sdk")


@dataclass(frozen=True)
class StreamGap:
    """An interruption of a resumed stream: no items arrived between ``lost_at`` and
    ``resumed_at`` (UTC), because of ``reason`` (the connection error)."""

    lost_at: datetime
    resumed_at: datetime
    reason: str

    @property
    def seconds(self) -> float:
        """How long the stream was interrupted."""
        return (self.resumed_at - self.lost_at).total_seconds()


class SignalRStream:
    """Async iterator over a server stream, buffering at most ``maxsize`` items (oldest dropped).

    The StreamInvocation is sent on the first ``__anext__``. Leaving ``async for`` early
    (the iterator is then garbage-collected), cancelling the consumer, ``aclose()`` or
    ``async with`` exit sends ``CancelInvocation``. If you keep a reference, call ``aclose()``.

    With ``resume=True`` a dropped connection does not end the iteration: the stream waits
    for the reconnect (also when it is started while reconnecting), invokes the method again
    and appends a :class:`StreamGap` to ``gaps`` (and logs it at INFO). It ends with the
    ConnectionLostError only when the connection is stopped.
    """

    def __init__(self, conn: SignalRConnection, method: str, args: tuple[Any, ...], maxsize: int,
                 *, resume: bool = False) -> None:
        self.method = method
        self.resume = resume
        #: interruptions survived (``resume=True``), oldest first
        self.gaps: list[StreamGap] = []
        self._stopped = False  # closed by the consumer (never resumed)
        self._lost_at: datetime | None = None  # when the connection dropped under this stream
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
            await self._open()
        while True:
            if self._buf:
                item = self._buf.popleft()
                return item.decode(self.loads) if type(item) is RawItem else item
            if self._finished or self._closed:
                self._unregister(send_cancel=False)
                if self._resumable():
                    await self._resume()
                    continue
                if self._error is not None:
                    raise self._error
                raise StopAsyncIteration
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            except asyncio.CancelledError:
                self._stopped = True
                self._unregister(send_cancel=True)
                raise
            finally:
                self._waiter = None

    async def _open(self) -> None:
        """Register and send the StreamInvocation (``resume``: waiting for the connection first)."""
        if not self.resume:
            self._conn._start_stream(self)
            await self._send_invocation()
            return
        while True:
            if not self._conn.connected and not await self._conn.wait_open(None):
                raise NotConnectedError(f"{self.method}: the connection was stopped")
            try:
                self._conn._start_stream(self)
            except NotConnectedError:
                await asyncio.sleep(0)  # closed again meanwhile: wait for the next connection
                continue
            try:
                await self._send_invocation()
                return
            except ConnectionLostError:
                self._reset()
                await asyncio.sleep(0.05)  # the socket died before the connection noticed

    def _resumable(self) -> bool:
        return (self.resume and not self._stopped and isinstance(self._error, ConnectionLostError)
                and self._conn.state.value != "Disconnected")

    def _reset(self) -> None:
        self.invocation_id, self._client = None, None
        self._finished = self._closed = False
        self._error = None

    async def _resume(self) -> None:
        """The connection dropped: wait for the reconnect and invoke the stream again."""
        error = self._error
        assert error is not None  # _resumable(): a ConnectionLostError
        lost_at = self._lost_at or datetime.now(UTC)
        self._reset()
        try:
            await self._open()
        except NotConnectedError:
            self._closed = self._finished = True
            self._error = error
            raise error from None
        gap = StreamGap(lost_at, datetime.now(UTC), str(error))
        self._lost_at = None
        self.gaps.append(gap)
        log.info("stream %s resumed after a reconnect (no items for %.1fs)", self.method, gap.seconds)

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
        self._stopped = True
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
            if isinstance(error, ConnectionLostError):
                self._lost_at = datetime.now(UTC)
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
