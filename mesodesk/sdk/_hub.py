"""Shared plumbing of the three hub clients: connection lifecycle and envelopes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar

from pydantic import BaseModel, TypeAdapter

from mesodesk.contract import HUB_PATHS, MesoLiveApiResponse, StatusCode, WireModel, to_wire
from mesodesk.sdk._signalr import ConnectionState, SignalRConnection
from mesodesk.sdk.errors import MesoLiveApiException

log = logging.getLogger("mesodesk.sdk")

A = TypeVar("A", bound=WireModel)
R = TypeVar("R")

TokenFactory = Callable[[], str | Awaitable[str]]

_ENVELOPES: dict[Any, TypeAdapter[Any]] = {}


def _envelope(result_type: Any) -> TypeAdapter[Any]:
    adapter = _ENVELOPES.get(result_type)
    if adapter is None:
        adapter = TypeAdapter(MesoLiveApiResponse[result_type])
        _ENVELOPES[result_type] = adapter
    return adapter


def build_args(model: type[A], args: A | None, kwargs: dict[str, Any]) -> A:
    """Accept either a ready args model or keyword arguments that build one."""
    if args is not None:
        if kwargs:
            raise TypeError("pass either an args model or keyword arguments, not both")
        if not isinstance(args, model):
            raise TypeError(f"expected {model.__name__}, got {type(args).__name__}")
        return args
    return model(**kwargs)


def wire_args(args: BaseModel) -> Any:
    return to_wire(args)


class HubClient:
    """Base class: one SignalR connection to one MesoLive hub.

    ``base_url`` is the server root (``https://host``); the hub path is appended.
    ``api_key`` (or an ``access_token_factory``, which may be async) is sent as a
    bearer token from the very first negotiate. Use ``async with`` or
    ``connect()``/``close()``; reconnects are automatic and unlimited.
    """

    HUB: ClassVar[str] = ""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        access_token_factory: TokenFactory | None = None,
        invoke_timeout: float = 30.0,
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
            **connection_options,
        )

    # -- lifecycle -------------------------------------------------------------
    @property
    def connection(self) -> SignalRConnection:
        return self._connection

    @property
    def state(self) -> ConnectionState:
        return self._connection.state

    def add_state_listener(self, listener: Callable[[ConnectionState], Any]) -> Callable[[], None]:
        """Observe Disconnected/Connecting/Connected/Reconnecting. Returns a remover."""
        return self._connection.add_state_listener(listener)

    async def connect(self) -> None:
        await self._connection.start()

    async def close(self) -> None:
        await self._connection.stop()

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
        envelope = _envelope(result_type).validate_python(raw)
        if envelope.status != StatusCode.Success:
            raise MesoLiveApiException(method, envelope.status, envelope.message, envelope.error, envelope.data)
        return envelope.data

    async def _stream(self, method: str, args: BaseModel, item_type: type[R], maxsize: int) -> AsyncIterator[R]:
        adapter: TypeAdapter[R] = TypeAdapter(item_type)
        stream = self._connection.stream(method, wire_args(args), maxsize=maxsize)
        try:
            async for item in stream:
                yield adapter.validate_python(item)
        finally:
            await stream.aclose()
