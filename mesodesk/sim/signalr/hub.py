"""Hub: a named set of hub methods and streams, its live connections and groups."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .connection import ServerConnection

log = logging.getLogger(__name__)

MethodFn = Callable[..., Awaitable[Any]]
StreamFn = Callable[..., AsyncIterator[Any]]
ConnCallback = Callable[["ServerConnection"], Awaitable[None]]
F = Callable[..., Any]


class HubError(Exception):
    """Raised by hub code; its message is sent to the caller as the Completion error."""


@dataclass(frozen=True)
class HubHandler:
    """A registered hub method or stream: the function called as ``fn(conn, *arguments)``."""

    name: str
    fn: Callable[..., Any]
    is_stream: bool
    min_args: int
    max_args: int | None  # None: *args

    def check_arity(self, n: int) -> str | None:
        if n < self.min_args or (self.max_args is not None and n > self.max_args):
            want = str(self.min_args) if self.max_args == self.min_args else f"{self.min_args}+"
            if self.max_args is not None and self.max_args != self.min_args:
                want = f"{self.min_args}-{self.max_args}"
            return f"Invocation provides {n} argument(s) but target expects {want}."
        return None


def _arity(fn: Callable[..., Any]) -> tuple[int, int | None]:
    """Positional arity of ``fn`` after the leading ``conn`` parameter."""
    params = list(inspect.signature(fn).parameters.values())[1:]
    lo, hi = 0, 0
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            return lo, None
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            hi += 1
            if p.default is p.empty:
                lo += 1
    return lo, hi


class Groups:
    """Named groups of connections of one hub."""

    def __init__(self) -> None:
        self._members: defaultdict[str, set[ServerConnection]] = defaultdict(set)

    def add(self, conn: ServerConnection, name: str) -> None:
        if conn.closed:
            return
        self._members[name].add(conn)
        conn.groups.add(name)

    def discard(self, conn: ServerConnection, name: str) -> None:
        members = self._members.get(name)
        if members is not None:
            members.discard(conn)
            if not members:
                del self._members[name]
        conn.groups.discard(name)

    def members(self, name: str) -> list[ServerConnection]:
        return list(self._members.get(name, ()))

    def names(self) -> list[str]:
        return list(self._members)

    def remove_connection(self, conn: ServerConnection) -> None:
        for name in list(conn.groups):
            self.discard(conn, name)


class Hub:
    """A SignalR hub. Methods are called as ``fn(conn, *arguments)``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.methods: dict[str, HubHandler] = {}
        self.groups = Groups()
        self._connections: dict[str, ServerConnection] = {}
        self._on_connected: list[ConnCallback] = []
        self._on_disconnected: list[ConnCallback] = []

    # --- registration ------------------------------------------------------------------
    def _register(self, name: str, fn: F, is_stream: bool) -> None:
        if name in self.methods:
            raise ValueError(f"hub method {name!r} already registered on hub {self.name!r}")
        lo, hi = _arity(fn)
        self.methods[name] = HubHandler(name, fn, is_stream, lo, hi)

    def method(self, name: str) -> Callable[[F], F]:
        """Register an ``async def fn(conn, *args)`` hub method (name is case-sensitive)."""

        def deco(fn: F) -> F:
            self._register(name, fn, False)
            return fn

        return deco

    def stream(self, name: str) -> Callable[[F], F]:
        """Register an async-generator ``fn(conn, *args)`` as a server-to-client stream."""

        def deco(fn: F) -> F:
            if not inspect.isasyncgenfunction(fn):
                log.debug("stream %s is not an async generator function; it must return one", name)
            self._register(name, fn, True)
            return fn

        return deco

    def on_connected(self, cb: ConnCallback) -> ConnCallback:
        self._on_connected.append(cb)
        return cb

    def on_disconnected(self, cb: ConnCallback) -> ConnCallback:
        self._on_disconnected.append(cb)
        return cb

    # --- connections -------------------------------------------------------------------
    @property
    def connections(self) -> list[ServerConnection]:
        return list(self._connections.values())

    async def _connected(self, conn: ServerConnection) -> None:
        self._connections[conn.connection_id] = conn
        for cb in self._on_connected:
            try:
                await cb(conn)
            except Exception:
                log.exception("on_connected callback failed for hub %s", self.name)

    async def _disconnected(self, conn: ServerConnection) -> None:
        if self._connections.pop(conn.connection_id, None) is None:
            return
        self.groups.remove_connection(conn)
        for cb in self._on_disconnected:
            try:
                await cb(conn)
            except Exception:
                log.exception("on_disconnected callback failed for hub %s", self.name)

    # --- fan-out -----------------------------------------------------------------------
    @staticmethod
    async def _send_many(conns: list[ServerConnection], target: str, args: tuple[Any, ...]) -> None:
        if not conns:
            return
        if len(conns) == 1:
            await conns[0].send(target, *args)
            return
        await asyncio.gather(*(c.send(target, *args) for c in conns), return_exceptions=True)

    async def send_all(self, target: str, *args: Any) -> None:
        await self._send_many(self.connections, target, args)

    async def send_group(self, name: str, target: str, *args: Any) -> None:
        await self._send_many(self.groups.members(name), target, args)

    async def send_user(self, user_id: str, target: str, *args: Any) -> None:
        await self._send_many([c for c in self.connections if c.user_id == user_id], target, args)
