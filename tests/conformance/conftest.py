"""Conformance test hub and server fixtures (shared by the pysignalr, adapter, JS and raw tests)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from mesodesk.sim.dialect import WireDialect
from mesodesk.sim.signalr import Hub, HubError, ServerConnection, SignalRServer, constant_time_token_check

TOKEN = "conformance-token-42"
USER = "tester"
HUB_PATH = "/hubs/test"


@dataclass
class HubState:
    """What the server saw; tests assert on it."""

    ticker_started: int = 0
    ticker_cancelled: int = 0
    ticker_closed: int = 0
    connected: list[str] = field(default_factory=list)
    disconnected: list[str] = field(default_factory=list)
    fire_and_forget: list[Any] = field(default_factory=list)
    ticker_closed_event: asyncio.Event = field(default_factory=asyncio.Event)


def build_hub(state: HubState) -> Hub:
    hub = Hub("test")

    @hub.method("Add")
    async def add(conn: ServerConnection, a: Any, b: Any) -> Any:
        return a + b

    @hub.method("Echo")
    async def echo(conn: ServerConnection, x: Any) -> Any:
        return x

    @hub.method("Fail")
    async def fail(conn: ServerConnection, msg: str) -> None:
        raise HubError(msg)

    @hub.method("Boom")
    async def boom(conn: ServerConnection) -> None:
        raise RuntimeError("secret internal detail")

    @hub.method("Void")
    async def void(conn: ServerConnection) -> None:
        return None

    @hub.method("Slow")
    async def slow(conn: ServerConnection, delay: float) -> str:
        await asyncio.sleep(delay)
        return "done"

    @hub.method("Record")
    async def record(conn: ServerConnection, x: Any) -> None:
        state.fire_and_forget.append(x)

    @hub.method("WhoAmI")
    async def whoami(conn: ServerConnection) -> Any:
        return {"user": conn.user_id, "connectionId": conn.connection_id}

    @hub.stream("Counter")
    async def counter(conn: ServerConnection, n: int, delay: float) -> AsyncIterator[int]:
        for i in range(n):
            yield i
            if delay:
                await asyncio.sleep(delay)

    @hub.stream("FailingStream")
    async def failing(conn: ServerConnection) -> AsyncIterator[int]:
        yield 1
        yield 2
        raise HubError("stream broke")

    @hub.stream("Ticker")
    async def ticker(conn: ServerConnection) -> AsyncIterator[int]:
        state.ticker_started += 1
        i = 0
        try:
            while True:
                yield i
                i += 1
                await asyncio.sleep(0.005)
        except (asyncio.CancelledError, GeneratorExit):
            state.ticker_cancelled += 1
            raise
        finally:
            state.ticker_closed += 1
            state.ticker_closed_event.set()

    @hub.method("TickerStats")
    async def ticker_stats(conn: ServerConnection) -> dict[str, int]:
        return {
            "started": state.ticker_started,
            "cancelled": state.ticker_cancelled,
            "closed": state.ticker_closed,
        }

    @hub.method("PushMe")
    async def push_me(conn: ServerConnection, n: int) -> int:
        for i in range(n):
            await conn.send("quote", {"seq": i, "px": 100 + i})
        return n

    @hub.method("AskClient")
    async def ask_client(conn: ServerConnection, question: Any) -> Any:
        answer = await conn.invoke("getClientInfo", question, timeout=5)
        return {"client said": answer}

    @hub.method("DropMe")
    async def drop_me(conn: ServerConnection) -> bool:
        async def later() -> None:
            await asyncio.sleep(0.05)
            await conn.close(allow_reconnect=True)

        conn.items["drop"] = asyncio.create_task(later())
        return True

    @hub.on_connected
    async def on_connected(conn: ServerConnection) -> None:
        state.connected.append(conn.connection_id)

    @hub.on_disconnected
    async def on_disconnected(conn: ServerConnection) -> None:
        state.disconnected.append(conn.connection_id)

    return hub


@dataclass
class Env:
    server: SignalRServer
    hub: Hub
    state: HubState

    @property
    def url(self) -> str:
        return self.server.url + HUB_PATH


MakeServer = Callable[..., Awaitable[Env]]


@pytest.fixture
async def make_server() -> AsyncIterator[MakeServer]:
    servers: list[SignalRServer] = []

    async def make(**kwargs: Any) -> Env:
        kwargs.setdefault("authenticate", constant_time_token_check(TOKEN, USER))
        # the protocol's own keys never follow the dialect: the same checks pass in every one
        kwargs.setdefault("dumps", WireDialect.from_env().dumps)
        port = kwargs.pop("port", 0)
        state = HubState()
        hub = build_hub(state)
        server = SignalRServer(**kwargs)
        server.add_hub(HUB_PATH, hub)
        await server.start(port=port)
        servers.append(server)
        return Env(server, hub, state)

    yield make
    for s in servers:
        await s.stop()


@pytest.fixture
async def env(make_server: MakeServer) -> Env:
    return await make_server()
