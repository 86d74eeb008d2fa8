"""HTTP side of the SignalR server: negotiate, bearer auth, WebSocket upgrade, lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import inspect
import logging
import secrets
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import hdrs, web
from aiohttp.http_exceptions import HttpProcessingError

from mesodesk.netaddr import is_loopback

from . import protocol as p
from .connection import CLOSE_TIMEOUT, ConnectionOptions, ServerConnection, StreamBudget
from .hub import Hub

log = logging.getLogger(__name__)

Authenticate = Callable[[str | None], "Awaitable[str | None] | str | None"]

_ANON = object()


MIN_EXPOSED_KEY_LENGTH = 16
MIN_EXPOSED_KEY_DISTINCT = 8


class WeakKeyError(ValueError):
    """The API key is too weak for the address the server would listen on (one-line message)."""


def check_key_strength(key: str, host: str) -> None:
    """Raise :class:`WeakKeyError` unless ``key`` may guard a server listening on ``host``.

    Loopback binds accept any key a client can send: not empty, no whitespace at either end (a
    Bearer token is trimmed). A key that guards any other address must be at least 16 printable
    ASCII characters without whitespace, with at least 8 distinct ones.
    """
    if not key.strip():
        raise WeakKeyError("the API key is empty or blank")
    if key != key.strip():
        raise WeakKeyError("the API key starts or ends with whitespace, which no client can send")
    if is_loopback(host):
        return
    where = f"binding {host or 'all interfaces'} (not loopback)"
    if not all("!" <= ch <= "~" for ch in key):
        raise WeakKeyError(f"{where} needs an API key of printable ASCII characters without spaces or tabs")
    if len(key) < MIN_EXPOSED_KEY_LENGTH:
        raise WeakKeyError(f"{where} needs an API key of at least {MIN_EXPOSED_KEY_LENGTH} characters "
                           f"(this one has {len(key)})")
    if len(set(key)) < MIN_EXPOSED_KEY_DISTINCT:
        raise WeakKeyError(f"{where} needs an API key with at least {MIN_EXPOSED_KEY_DISTINCT} distinct characters")


def constant_time_token_check(expected: str, user_id: str = "user") -> Callable[[str | None], str | None]:
    """An ``authenticate`` callable accepting exactly ``expected`` (compared in constant time)."""
    want = expected.encode()

    def check(token: str | None) -> str | None:
        if token is None:
            return None
        try:
            got = token.encode()
        except UnicodeEncodeError:  # bytes that were not UTF-8 (kept as surrogates): never the key
            return None
        return user_id if hmac.compare_digest(got, want) else None

    return check


class _PeerErrorLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """aiohttp's server logger, with malformed requests (the peer's mistake) as one INFO line."""

    def exception(self, msg: object, *args: object, exc_info: Any = True, **kwargs: Any) -> None:
        if isinstance(exc_info, HttpProcessingError):
            self.logger.info("bad HTTP request: %s", exc_info.message or type(exc_info).__name__)
            return
        self.logger.exception(msg, *args, exc_info=exc_info, **kwargs)


def bearer_token(request: web.Request) -> str | None:
    """Token from ``Authorization: Bearer`` or the ``access_token`` query parameter."""
    auth = request.headers.get(hdrs.AUTHORIZATION)
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return request.query.get("access_token") or None


@dataclass
class _Negotiated:
    connection_id: str
    token: str
    user_id: str | None
    hub: Hub
    expires: float
    active: bool = False


class SignalRServer:
    """A generic SignalR server (WebSockets transport, JSON hub protocol) on aiohttp."""

    def __init__(
        self,
        *,
        authenticate: Authenticate | None = None,
        dumps: p.Dumps = p.default_dumps,
        keep_alive_interval: float = 15.0,
        client_timeout: float = 30.0,
        max_message_size: int = 1 << 20,
        handshake_timeout: float = 15.0,
        negotiate_ttl: float = 30.0,
        max_parallel_invocations: int = 64,
        max_streams: int = 256,
        max_server_streams: int = 512,
        request_header_timeout: float = 10.0,
    ) -> None:
        """``max_streams`` bounds concurrent streams per connection, ``max_server_streams`` across
        all connections. ``request_header_timeout``: a connection that has not sent a complete
        request within this many seconds (of connecting, or of its previous response) is closed."""
        self._authenticate = authenticate
        self._options = ConnectionOptions(
            dumps=dumps,
            keep_alive_interval=keep_alive_interval,
            client_timeout=client_timeout,
            handshake_timeout=handshake_timeout,
            max_message_size=max_message_size,
            max_parallel_invocations=max_parallel_invocations,
            max_streams=max_streams,
        )
        self._negotiate_ttl = negotiate_ttl
        self._request_header_timeout = request_header_timeout
        self.streams = StreamBudget(max_server_streams)
        self._hubs: dict[str, Hub] = {}
        self._apps: list[web.Application] = []
        self._negotiated: dict[str, _Negotiated] = {}  # connection token -> record
        self._connections: set[ServerConnection] = set()
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port: int | None = None
        self._ssl: ssl.SSLContext | None = None
        self.app = web.Application()
        self.attach(self.app)

    # --- setup -------------------------------------------------------------------------
    def attach(self, app: web.Application) -> None:
        """Serve this server's hubs from ``app`` too (call before the app starts)."""
        self._apps.append(app)
        for path, hub in self._hubs.items():
            self._add_routes(app, path, hub)
        app.on_shutdown.append(self._on_shutdown)

    def add_hub(self, path: str, hub: Hub) -> None:
        path = "/" + path.strip("/")
        if path in self._hubs:
            raise ValueError(f"a hub is already mapped to {path}")
        self._hubs[path] = hub
        for app in self._apps:
            self._add_routes(app, path, hub)

    def _add_routes(self, app: web.Application, path: str, hub: Hub) -> None:
        async def negotiate(request: web.Request) -> web.StreamResponse:
            return await self._negotiate(request, hub)

        async def websocket(request: web.Request) -> web.StreamResponse:
            return await self._websocket(request, hub)

        app.router.add_post(path + "/negotiate", negotiate)
        app.router.add_get(path, websocket)

    # --- introspection -----------------------------------------------------------------
    @property
    def connections(self) -> list[ServerConnection]:
        return list(self._connections)

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("server not started")
        return self._port

    @property
    def url(self) -> str:
        scheme = "https" if self._ssl is not None else "http"
        host = "127.0.0.1" if self._host in ("0.0.0.0", "") else self._host
        return f"{scheme}://{host}:{self.port}"

    # --- lifecycle ---------------------------------------------------------------------
    async def start(
        self, host: str = "127.0.0.1", port: int = 0, ssl_context: ssl.SSLContext | None = None
    ) -> web.AppRunner:
        """Serve ``self.app``; ``port=0`` picks a free port (see ``.port``)."""
        if self._runner is not None:
            raise RuntimeError("server already started")
        runner = web.AppRunner(
            self.app, access_log=None, shutdown_timeout=1.0, handle_signals=False,
            # aiohttp closes a connection idle for this long, counted from its start until it sends a
            # complete request: headers trickled a byte at a time (slowloris) cannot hold it open.
            keepalive_timeout=self._request_header_timeout,
            logger=_PeerErrorLogger(logging.getLogger("aiohttp.server"), {}),
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self._port = sockets[0].getsockname()[1] if sockets else port
        self._host, self._ssl, self._runner = host, ssl_context, runner
        log.info("SignalR server listening on %s", self.url)
        return runner

    async def stop(self) -> None:
        """Close every connection (Close with allowReconnect) and stop listening."""
        runner, self._runner = self._runner, None
        await self.disconnect_all(allow_reconnect=True)
        self._negotiated.clear()
        if runner is not None:
            await runner.cleanup()

    async def disconnect_all(self, error: str | None = None, *, allow_reconnect: bool = True) -> None:
        """Close all live connections (e.g. to simulate a server-side drop)."""
        conns = list(self._connections)
        if conns:
            await asyncio.gather(
                *(c.close(error, allow_reconnect=allow_reconnect) for c in conns), return_exceptions=True
            )

    async def _on_shutdown(self, _app: web.Application) -> None:
        await self.disconnect_all(allow_reconnect=True)

    # --- HTTP handlers -----------------------------------------------------------------
    async def _auth(self, request: web.Request) -> Any:
        """The principal (user id, possibly None) or _ANON... None return means 401."""
        if self._authenticate is None:
            return _ANON
        result = self._authenticate(bearer_token(request))
        if inspect.isawaitable(result):
            result = await result
        return result

    @staticmethod
    def _unauthorized() -> web.Response:
        return web.Response(status=401, headers={hdrs.WWW_AUTHENTICATE: "Bearer"})

    def _expire(self) -> None:
        now = asyncio.get_running_loop().time()
        for token in [t for t, r in self._negotiated.items() if not r.active and r.expires < now]:
            del self._negotiated[token]

    async def _negotiate(self, request: web.Request, hub: Hub) -> web.StreamResponse:
        principal = await self._auth(request)
        if principal is None:
            return self._unauthorized()
        user_id = None if principal is _ANON else str(principal)
        try:
            version = int(request.query.get("negotiateVersion", "0"))
        except ValueError:
            return web.Response(status=400, text="Invalid negotiateVersion")
        self._expire()
        connection_id = secrets.token_urlsafe(16)
        token = secrets.token_urlsafe(24) if version >= 1 else connection_id
        self._negotiated[token] = _Negotiated(
            connection_id, token, user_id, hub, asyncio.get_running_loop().time() + self._negotiate_ttl
        )
        body: dict[str, Any] = {
            "connectionId": connection_id,
            "availableTransports": [{"transport": "WebSockets", "transferFormats": ["Text", "Binary"]}],
        }
        if version >= 1:
            body = {"negotiateVersion": 1, "connectionToken": token, **body}
        else:
            body = {"negotiateVersion": 0, **body}
        log.debug("negotiated connection %s (v%d) on hub %s", connection_id, min(version, 1), hub.name)
        return web.Response(body=orjson.dumps(body), content_type="application/json")

    async def _websocket(self, request: web.Request, hub: Hub) -> web.StreamResponse:
        if request.headers.get(hdrs.UPGRADE, "").lower() != "websocket":
            return web.Response(status=400, text="Only the WebSockets transport is supported.")
        principal = await self._auth(request)
        if principal is None:
            return self._unauthorized()
        user_id = None if principal is _ANON else str(principal)
        token = request.query.get("id")
        record: _Negotiated | None = None
        if token is not None:
            self._expire()
            record = self._negotiated.get(token)
            if record is None or record.hub is not hub:
                return web.Response(status=404, text="No Connection with that ID")  # before the upgrade
            if record.active:
                return web.Response(status=409, text="Connection already has an active WebSocket")
            if record.user_id != user_id:
                return web.Response(status=403)
            record.active = True
            connection_id = record.connection_id
        else:  # skipNegotiation
            connection_id = secrets.token_urlsafe(16)
        opts = self._options
        ws = web.WebSocketResponse(
            timeout=CLOSE_TIMEOUT,
            max_msg_size=opts.max_message_size * 4 if opts.max_message_size else 0,
            decode_text=False,
            compress=False,
        )
        try:
            await ws.prepare(request)
            conn = ServerConnection(hub, ws, connection_id, user_id, opts, self.streams)
            self._connections.add(conn)
            log.debug("connection %s opened on hub %s", connection_id, hub.name)
            try:
                await conn.run()
            finally:
                self._connections.discard(conn)
                log.debug("connection %s closed", connection_id)
        finally:
            if record is not None:
                self._negotiated.pop(record.token, None)  # a used id is never valid again
        with contextlib.suppress(Exception):
            await ws.close()
        return ws
