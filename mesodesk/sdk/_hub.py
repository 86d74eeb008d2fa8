"""Shared plumbing of the three hub clients: connection lifecycle and envelopes."""

from __future__ import annotations

import asyncio
import logging
import ssl as ssl_module
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, ClassVar, Generic, Self, TypeVar

from pydantic import BaseModel

from mesodesk.contract import HUB_PATHS, MesoLiveApiResponse, StatusCode, WireEnum, WireModel, to_wire
from mesodesk.sdk._arguments import caller_parameters, parse_arguments, refuse
from mesodesk.sdk._signalr import (
    ConnectionState,
    NotConnectedError,
    SignalRConnection,
    SignalRStream,
    StreamGap,
)
from mesodesk.sdk._stream import RawItem, decimal_safe, exact_loads
from mesodesk.sdk._wire import WireReader, reader
from mesodesk.sdk.errors import MesoLiveApiException

log = logging.getLogger("mesodesk.sdk")

A = TypeVar("A", bound=WireModel)
R = TypeVar("R")

TokenFactory = Callable[[], str | Awaitable[str]]

_ENVELOPES: dict[Any, WireReader[Any]] = {}


def _envelope(result_type: Any) -> WireReader[Any]:
    """The tolerant reader of ``MesoLiveApiResponse[result_type]`` (see :mod:`mesodesk.sdk._wire`)."""
    found = _ENVELOPES.get(result_type)
    if found is None:
        found = _ENVELOPES[result_type] = reader(MesoLiveApiResponse[result_type])
    return found


def build_args(model: type[A], args: A | None, kwargs: dict[str, Any], *, method: str | None = None) -> A:
    """Accept either a ready args model or keyword arguments that build one.

    Keyword arguments are checked strictly (:func:`mesodesk.sdk._arguments.parse_arguments`):
    an unknown or misspelled name, a missing or invalid value raises
    :class:`~mesodesk.sdk._arguments.MesoLiveArgumentError` before anything is sent.
    ``method`` names the SDK method in messages; by default it is the calling function
    (whose keyword-only parameters, e.g. ``timeout``, are offered as suggestions too).
    """
    extra_names: tuple[str, ...] = ()
    if method is None:
        method, extra_names = caller_parameters()
    if args is not None:
        if kwargs:
            raise refuse(method, f"takes an args model or keyword arguments, not both "
                                 f"(got {type(args).__name__} and {', '.join(map(repr, kwargs))})")
        if not isinstance(args, model):
            hint = f"; for a mapping use {method}(**values)" if isinstance(args, Mapping) else ""
            raise refuse(method, f"expected a {model.__name__} or keyword arguments, got {type(args).__name__}{hint}")
        return args
    return parse_arguments(model, kwargs, method, extra_names)


def wire_args(args: BaseModel) -> Any:
    """The args as the documented wire form (PascalCase names, enum member names)."""
    wire = to_wire(args)
    _refuse_unknown_members(wire)
    return wire


def _refuse_unknown_members(value: Any) -> None:
    """Writes stay as documented: an ``unknown (...)`` pseudo-member read from the server is
    never sent back (it has no documented name)."""
    if isinstance(value, dict):
        for item in value.values():
            _refuse_unknown_members(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_unknown_members(item)
    elif isinstance(value, WireEnum) and value.is_unknown:
        raise ValueError(f"cannot send {type(value).__name__} {value!s}: not a documented member")


class HubClient:
    """Base class: one SignalR connection to one MesoLive hub.

    ``base_url`` is the server root (``https://host``); the hub path is appended.
    ``api_key`` (or an ``access_token_factory``, which may be async) is sent as a
    bearer token from the very first negotiate. Use ``async with`` or
    ``connect()``/``close()``; reconnects are automatic and unlimited (backoff with
    jitter, see :func:`~mesodesk.sdk._signalr.default_backoff`).

    Args:
        invoke_timeout: default per-call timeout (every method also takes ``timeout=``).
        ssl: an :class:`ssl.SSLContext` for ``https``/``wss`` (e.g. a private CA:
            ``ssl.create_default_context(cafile=...)``).
        connection_options: passed to :class:`SignalRConnection` (``server_timeout``,
            ``keep_alive_interval``, ``connect_timeout``, ``reconnect_backoff``, ``headers``,
            ``max_message_size``, ``wait_for_reconnect``: reads (``get_*``/``list_*``) called
            while reconnecting wait for the connection up to their timeout, and are sent again
            when it dropped in flight; ``False`` = fail at once with ``NotConnectedError``).
        connection: use this ready connection instead (testing).
    """

    HUB: ClassVar[str] = ""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        access_token_factory: TokenFactory | None = None,
        invoke_timeout: float = 30.0,
        ssl: ssl_module.SSLContext | None = None,
        connection: SignalRConnection | None = None,
        **connection_options: Any,
    ) -> None:
        if api_key is not None and access_token_factory is not None:
            raise ValueError("pass api_key or access_token_factory, not both")
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + HUB_PATHS[self.HUB]
        if access_token_factory is None and api_key is not None:
            key = api_key

            def access_token_factory() -> str:
                return key

        self._connection = connection or SignalRConnection(
            self.url,
            access_token_factory=access_token_factory,
            invoke_timeout=invoke_timeout,
            ssl=ssl,
            **connection_options,
        )

    # -- lifecycle -------------------------------------------------------------
    @property
    def connection(self) -> SignalRConnection:
        """The underlying :class:`SignalRConnection` (``on_connected``, ``stream``, ...)."""
        return self._connection

    @property
    def state(self) -> ConnectionState:
        """Disconnected, Connecting, Connected or Reconnecting."""
        return self._connection.state

    def add_state_listener(self, listener: Callable[[ConnectionState], Any]) -> Callable[[], None]:
        """Observe Disconnected/Connecting/Connected/Reconnecting. Returns a remover."""
        return self._connection.add_state_listener(listener)

    async def connect(self, *, timeout: float | None = None) -> None:
        """Open the connection.

        Fails at once when retrying cannot help: :class:`SignalRAuthError` (401/403: the key),
        :class:`HubNotFoundError` (404/405/501: the URL), :class:`SignalRTLSError` (the
        certificate, or ``https://`` to a plain port) and :class:`HostNotFoundError`. Otherwise
        retries until ``timeout`` (default ``connect_timeout``, 10 s) and raises
        :class:`ConnectTimeoutError`, whose message says what the last attempt hit (e.g.
        ``connection refused by host:port: check the URL/port ...``) and whose ``last_error``
        is that attempt's error. Each is a :class:`SignalRError`; the last three subclass
        :class:`ConnectTimeoutError`.
        """
        await self._connection.start(timeout=timeout)

    async def close(self) -> None:
        """Close the connection and stop reconnecting."""
        await self._connection.stop()

    @property
    def connected(self) -> bool:
        """Whether the connection is open right now."""
        return self._connection.connected

    async def wait_connected(self, timeout: float | None = None) -> None:
        """Wait until the connection is open (e.g. after a drop, while it reconnects).

        Raises :class:`TimeoutError` after ``timeout`` seconds and
        :class:`NotConnectedError` if the client is closed.
        """
        if self._connection.connected:
            return
        if self._connection.state is ConnectionState.DISCONNECTED:
            raise NotConnectedError(f"{self.url}: the client is closed")
        loop = asyncio.get_running_loop()
        opened: asyncio.Future[None] = loop.create_future()

        def listener(state: ConnectionState) -> None:
            if opened.done():
                return
            if state is ConnectionState.CONNECTED:
                opened.set_result(None)
            elif state is ConnectionState.DISCONNECTED:
                opened.set_exception(NotConnectedError(f"{self.url}: the client was closed"))

        remove = self._connection.add_state_listener(listener)
        try:
            if not self._connection.connected:
                await asyncio.wait_for(opened, timeout)
        finally:
            remove()
            if opened.done() and not opened.cancelled():
                opened.exception()

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- calls -------------------------------------------------------------------
    async def _invoke(self, method: str, args: BaseModel, result_type: Any, timeout: float | None = None) -> Any:
        raw = await self._connection.invoke(method, wire_args(args), timeout=timeout)
        return self._unwrap(method, raw, result_type)

    @staticmethod
    def _unwrap(method: str, raw: Any, result_type: Any) -> Any:
        envelope = _envelope(result_type).read(raw)
        if envelope.status != StatusCode.Success:
            raise MesoLiveApiException(method, envelope.status, envelope.message, envelope.error, envelope.data)
        return envelope.data

    def _stream(self, method: str, args: BaseModel, item_type: type[R], maxsize: int,
                resume: bool = False) -> HubStream[R]:
        return HubStream(self._connection.stream(method, wire_args(args), maxsize=maxsize, resume=resume), item_type)


class HubStream(Generic[R]):
    """A typed server stream: ``async for item in stream`` yields validated models.

    The ``StreamInvocation`` is sent on the first iteration. Leaving the loop early
    (the stream is then dropped), cancelling the consuming task, ``await
    stream.aclose()`` or leaving ``async with stream`` sends ``CancelInvocation``. At
    most ``maxsize`` items are buffered; when the consumer is slow the oldest are
    dropped (``dropped`` counts them), so the latest values win. A connection drop
    ends the iteration with :class:`ConnectionLostError` (re-open the stream after
    reconnecting), unless the stream was opened with ``resume=True``: then it waits for
    the reconnect, invokes the method again and records the interruption in ``gaps``
    (a list of :class:`~mesodesk.sdk.StreamGap`: when, how long, why). A server error
    ends it with :class:`SignalRStreamError`.

    Items are read tolerantly (:mod:`mesodesk.sdk._wire`): PascalCase or camelCase names,
    int enums, 7-digit fractions, unknown properties (logged once) and unknown enum members.
    """

    def __init__(self, stream: SignalRStream, item_type: type[R]) -> None:
        self._stream = stream
        self._reader: WireReader[R] = reader(item_type, sampled=True)
        # Each item is validated when it is consumed, not when it arrives: an item that a
        # newer one pushes out of the bounded buffer is never validated (latest wins).
        self._validate = self._reader.read
        if decimal_safe(item_type):
            stream.loads = exact_loads  # JSON numbers -> exact Decimal (and cheaper to validate)
        self._loads = stream.loads

    @property
    def method(self) -> str:
        """The hub stream method."""
        return self._stream.method

    @property
    def gaps(self) -> list[StreamGap]:
        """Interruptions survived by a ``resume=True`` stream (oldest first; empty otherwise)."""
        return self._stream.gaps

    @property
    def dropped(self) -> int:
        """Items discarded because the consumer was slower than the server."""
        return self._stream.dropped

    def __aiter__(self) -> HubStream[R]:
        return self

    async def __anext__(self) -> R:
        stream = self._stream
        if stream._buf and stream._client is not None:  # started and buffered: no await needed
            item = stream._buf.popleft()
            return self._validate(item.decode(self._loads) if type(item) is RawItem else item)
        return self._validate(await stream.__anext__())

    async def aclose(self) -> None:
        """Stop the stream (sends ``CancelInvocation`` unless the server already completed it)."""
        await self._stream.aclose()

    async def __aenter__(self) -> HubStream[R]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

