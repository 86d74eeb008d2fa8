"""A rewriting SignalR relay: what a real ASP.NET Core MesoLive might send, made from the simulator.

:class:`RewritingRelay` sits between the SDK and a simulator (aiohttp): the negotiate POST and
any other HTTP request are forwarded as they are, each WebSocket is piped to an upstream
WebSocket, client->server frames pass unchanged (and are recorded), and every
server->client JSON record is rewritten the way ASP.NET Core's default JSON hub protocol
(``System.Text.Json``, no naming attributes, no string enum converter) would write it:

* property names camelCase (``JsonNamingPolicy.CamelCase``: ``RealizedPnL`` ->
  ``realizedPnL``, ``IV`` -> ``iv``); dictionary keys are data and stay as they are
  (``DictionaryKeyPolicy`` is null by default); opaque JSON (``StrategyDefinition``,
  ``JobResult``: ``JsonElement`` s) is passed through untouched;
* timestamps with 7 fraction digits (``DateTime``'s 100 ns ticks), ``EventTime`` as a
  ``DateTimeOffset`` at +01:00;
* enums as integers (C# declaration order = our declaration order);
* optionally numbers as strings (``JsonNumberHandling.WriteAsString``) for some properties,
  an unknown property on some objects, and an unknown enum member for some orders.

The rewriting is driven by the contract's types (which method an invocation id belongs to,
which model a property holds), like the server's serializer is driven by its C# types. The
protocol envelope itself (``type``, ``invocationId``, ``item``, ``result``...) is the SignalR
protocol's own camelCase and is not touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import types
import typing
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import aiohttp
import msgspec
import orjson
from aiohttp import web
from pydantic import BaseModel

from mesodesk.contract import (
    EVENT_CALLBACKS,
    METHODS_BY_NAME,
    EventEnvelope,
    MesoLiveApiResponse,
    WireEnum,
)

RS = "\x1e"
_decode = msgspec.json.Decoder(float_hook=Decimal).decode


def camel(name: str) -> str:
    """.NET ``JsonNamingPolicy.CamelCase`` (written independently of the SDK's)."""
    if not name or not name[0].isupper():
        return name
    chars = list(name)
    for i in range(len(chars)):
        if i == 1 and not chars[i].isupper():
            break
        if i > 0 and i + 1 < len(chars) and not chars[i + 1].isupper():
            break
        chars[i] = chars[i].lower()
    return "".join(chars)


def _dumps(value: Any) -> str:
    def default(obj: Any) -> Any:
        if isinstance(obj, Decimal):
            return orjson.Fragment(str(obj).encode())
        raise TypeError(type(obj).__name__)

    return orjson.dumps(value, default=default).decode()


@dataclass
class Dialect:
    """What the relay does to server->client payloads (the defaults: ASP.NET Core's defaults
    plus a few surprises)."""

    camel_case: bool = True
    int_enums: bool = True
    ticks: bool = True  # 7 fraction digits
    offset_keys: frozenset[str] = frozenset({"EventTime"})  # written at +01:00
    numeric_strings: frozenset[str] = frozenset({"Strike"})  # Decimal properties written as strings
    #: model -> {property (already in the output spelling): value} added to every such object
    extra_properties: dict[type, dict[str, Any]] = field(default_factory=dict)
    #: order id -> the wire value of its (unknown) State in every Order / OrderUpdateEvent / CancelOrderResult
    unknown_order_states: dict[int, Any] = field(default_factory=dict)

    @classmethod
    def identity(cls) -> Dialect:
        return cls(camel_case=False, int_enums=False, ticks=False, offset_keys=frozenset(),
                   numeric_strings=frozenset())


_OPAQUE = frozenset({"StrategyDefinition", "JobResult"})


class Rewriter:
    """Rewrites one payload of a known type (see the module docstring)."""

    def __init__(self, dialect: Dialect) -> None:
        self.d = dialect
        self.rewritten = 0

    def key(self, name: str) -> str:
        return camel(name) if self.d.camel_case else name

    def value(self, value: Any, tp: Any, alias: str = "") -> Any:
        if value is None:
            return None
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is typing.Annotated:
            return self.value(value, args[0], alias)
        if origin is typing.Union or origin is types.UnionType:
            options = [a for a in args if a is not type(None)]
            return self.value(value, options[0], alias) if len(options) == 1 else value
        if origin in (list, tuple, set, frozenset) and isinstance(value, list):
            return [self.value(v, args[0], alias) for v in value]
        if origin is dict and isinstance(value, dict):
            return {k: self.value(v, args[1], alias) for k, v in value.items()}
        if not isinstance(tp, type):
            return value
        if issubclass(tp, BaseModel) and isinstance(value, dict):
            return self.model(value, tp)
        if issubclass(tp, WireEnum) and isinstance(value, str) and self.d.int_enums:
            return list(tp).index(tp(value))
        if issubclass(tp, enum.Flag):
            return value
        if issubclass(tp, datetime) and isinstance(value, str):
            return self.timestamp(value, alias)
        if issubclass(tp, Decimal) and alias in self.d.numeric_strings and not isinstance(value, str):
            return str(value)
        return value

    def timestamp(self, text: str, alias: str) -> str:
        if not (self.d.ticks or alias in self.d.offset_keys) or not text.endswith("Z"):
            return text
        moment = datetime.fromisoformat(text)
        if alias in self.d.offset_keys:
            local = moment.astimezone(timezone(timedelta(hours=1)))
            head, zone = local.strftime("%Y-%m-%dT%H:%M:%S"), "+01:00"
        else:
            head, zone = moment.strftime("%Y-%m-%dT%H:%M:%S"), "Z"
        fraction = f".{moment.microsecond:06d}0" if self.d.ticks else (f".{moment.microsecond:06d}" if moment.microsecond else "")
        return head + fraction + zone

    def model(self, data: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
        fields = {(info.validation_alias if isinstance(info.validation_alias, str) else info.alias or name): info
                  for name, info in model.model_fields.items()}
        order_id = data.get("OrderId")
        out: dict[str, Any] = {}
        for key, value in data.items():
            info = fields.get(key)
            if key in _OPAQUE or info is None:
                out[self.key(key)] = value
                continue
            if key == "Event" and model is EventEnvelope:
                tp: Any = EVENT_CALLBACKS[data["EventType"]].model
            else:
                tp = info.annotation
            if key == "State" and order_id in self.d.unknown_order_states and "OrderState" in str(tp):
                out[self.key(key)] = self.d.unknown_order_states[order_id]
                continue
            out[self.key(key)] = self.value(value, tp, key)
        for cls, extra in self.d.extra_properties.items():
            if issubclass(model, cls):
                out.update(extra)
        return out

    def message(self, message: dict[str, Any], kind_of: Callable[[str], tuple[str, Any] | None]) -> dict[str, Any]:
        """Rewrite one SignalR message (``kind_of(invocation id)`` -> (method, its type) or None)."""
        kind = message.get("type")
        if kind == 1 and message.get("target") in EVENT_CALLBACKS:
            model = EVENT_CALLBACKS[message["target"]].model
            message["arguments"] = [self.value(a, model) for a in message.get("arguments", [])]
            self.rewritten += 1
        elif kind in (2, 3):
            found = kind_of(str(message.get("invocationId")))
            if found is not None:
                _method, tp = found
                if kind == 2 and "item" in message:
                    message["item"] = self.value(message["item"], tp)
                    self.rewritten += 1
                elif kind == 3 and message.get("result") is not None:
                    message["result"] = self.value(message["result"], tp)
                    self.rewritten += 1
        return message


@dataclass
class Connection:
    hub: str
    invocations: dict[str, tuple[str, Any]] = field(default_factory=dict)


class RewritingRelay:
    """``async with RewritingRelay(simulator.url) as relay: client(relay.url, ...)``."""

    def __init__(self, upstream: str, dialect: Dialect | None = None) -> None:
        self.upstream = upstream.rstrip("/")
        self.dialect = dialect or Dialect()
        self.rewriter = Rewriter(self.dialect)
        self.url = ""
        #: every client->server invocation: (hub, target, arguments)
        self.sent: list[tuple[str, str, list[Any]]] = []
        self.frames_from_server = 0
        #: the last rewritten server->client frames, as sent to the client
        self.recent: deque[str] = deque(maxlen=200)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._tasks: set[asyncio.Task[Any]] = set()

    async def __aenter__(self) -> RewritingRelay:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    # -- HTTP ------------------------------------------------------------------------------
    @staticmethod
    def _headers(request: web.Request) -> dict[str, str]:
        return {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "content-type", "cookie")}

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._websocket(request)
        assert self._session is not None
        body = await request.read()
        async with self._session.request(request.method, self.upstream + request.path_qs, data=body or None,
                                         headers=self._headers(request)) as upstream:
            payload = await upstream.read()
            return web.Response(body=payload, status=upstream.status,
                                content_type=upstream.content_type or "application/octet-stream")

    # -- WebSocket -------------------------------------------------------------------------
    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        hub = request.path.strip("/").split("/")[1] if request.path.startswith("/hubs/") else "?"
        target = self.upstream.replace("http", "ws", 1) + request.path_qs
        try:
            upstream = await self._session.ws_connect(target, headers=self._headers(request), max_msg_size=0,
                                                      autoping=True)
        except aiohttp.WSServerHandshakeError as exc:  # e.g. 404 for a stale id: say it before the upgrade
            return web.Response(status=exc.status)
        client = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await client.prepare(request)
        self._sockets.add(client)
        conn = Connection(hub)
        down = asyncio.ensure_future(self._server_to_client(upstream, client, conn))
        up = asyncio.ensure_future(self._client_to_server(client, upstream, conn))
        self._tasks.update((down, up))
        try:
            await asyncio.wait({down, up}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (down, up):
                task.cancel()
            await asyncio.gather(down, up, return_exceptions=True)
            self._tasks.difference_update((down, up))
            with contextlib.suppress(Exception):
                await upstream.close()
            with contextlib.suppress(Exception):
                await client.close()
            self._sockets.discard(client)
        return client

    async def _client_to_server(self, client: web.WebSocketResponse, upstream: aiohttp.ClientWebSocketResponse,
                                conn: Connection) -> None:
        async for msg in client:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self._learn(msg.data, conn)
                await upstream.send_str(msg.data)
            elif msg.type == aiohttp.WSMsgType.BINARY:
                self._learn(msg.data.decode(), conn)
                await upstream.send_bytes(msg.data)
            else:
                return

    def _learn(self, text: str, conn: Connection) -> None:
        for record in text.split(RS):
            if not record:
                continue
            message = orjson.loads(record)
            if not isinstance(message, dict) or message.get("type") not in (1, 4):
                continue
            target = message.get("target", "")
            self.sent.append((conn.hub, target, message.get("arguments", [])))
            method = METHODS_BY_NAME.get((conn.hub, target))
            inv = message.get("invocationId")
            if method is not None and inv is not None:
                tp = method.result_model if method.stream else MesoLiveApiResponse[method.result_model]
                conn.invocations[str(inv)] = (target, tp)

    async def _server_to_client(self, upstream: aiohttp.ClientWebSocketResponse, client: web.WebSocketResponse,
                                conn: Connection) -> None:
        async for msg in upstream:
            if msg.type == aiohttp.WSMsgType.TEXT:
                text = msg.data
            elif msg.type == aiohttp.WSMsgType.BINARY:
                text = msg.data.decode()
            else:
                return
            self.frames_from_server += 1
            frame = self.rewrite_frame(text, conn)
            self.recent.append(frame)
            await client.send_str(frame)

    def rewrite_frame(self, text: str, conn: Connection) -> str:
        out: list[str] = []
        for record in text.split(RS):
            if not record:
                continue
            message = _decode(record)
            if isinstance(message, dict) and message:
                message = self.rewriter.message(message, conn.invocations.get)
                if message.get("type") == 3:
                    conn.invocations.pop(str(message.get("invocationId")), None)
            out.append(_dumps(message))
        return RS.join(out) + RS
