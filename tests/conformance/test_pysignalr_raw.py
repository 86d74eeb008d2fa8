"""Raw pysignalr (its own API, no adapter) against the server core."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pysignalr.client import SignalRClient
from pysignalr.messages import CompletionMessage

from .conftest import TOKEN, Env

pytestmark = pytest.mark.timeout(30)


class Raw:
    """A pysignalr client running in a task, with an on_open counter."""

    def __init__(self, env: Env) -> None:
        self.client = SignalRClient(
            env.url,
            headers={"Authorization": f"Bearer {TOKEN}"},  # bearer on the first negotiate + upgrade
            connection_timeout=1,
            retry_sleep=0.05,
            signalr_ping_interval=1,
        )
        self.opened = 0
        self.open_event = asyncio.Event()
        self.errors: list[CompletionMessage] = []

        async def on_open() -> None:
            self.opened += 1
            self.open_event.set()

        async def on_error(msg: CompletionMessage) -> None:  # quirk: must be set or run() dies
            self.errors.append(msg)

        self.client.on_open(on_open)
        self.client.on_error(on_error)
        self.task: asyncio.Task[None] | None = None

    async def invoke(self, method: str, *args: Any) -> CompletionMessage:
        fut: asyncio.Future[CompletionMessage] = asyncio.get_running_loop().create_future()

        async def cb(msg: Any) -> None:
            fut.set_result(msg)

        await self.client.send(method, list(args), cb)
        return await asyncio.wait_for(fut, 3)


@pytest.fixture
async def raw(env: Env) -> AsyncIterator[Raw]:
    r = Raw(env)
    r.task = asyncio.create_task(r.client.run())
    await asyncio.wait_for(r.open_event.wait(), 5)
    yield r
    r.task.cancel()
    with contextlib.suppress(BaseException):
        await r.task


async def test_invoke(raw: Raw) -> None:
    msg = await raw.invoke("Add", 2, 3)
    assert msg.result == 5 and msg.error is None
    msg = await raw.invoke("Echo", {"nested": [1, "two", None]})
    assert msg.result == {"nested": [1, "two", None]}


async def test_error_completion(raw: Raw) -> None:
    msg = await raw.invoke("Fail", "bad request")
    assert msg.error == "bad request"
    assert [m.error for m in raw.errors] == ["bad request"]
    msg = await raw.invoke("Nope")
    assert msg.error == "Unknown hub method 'Nope'"
    assert (await raw.invoke("Add", 1, 1)).result == 2  # run() survived


async def test_stream(raw: Raw) -> None:
    items: list[Any] = []
    done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def on_next(item: Any) -> None:
        items.append(item)

    async def on_complete(msg: Any) -> None:
        done.set_result(msg)

    await raw.client.stream("Counter", [5, 0], on_next, on_complete)
    msg = await asyncio.wait_for(done, 3)
    assert items == [0, 1, 2, 3, 4] and msg.error is None


async def test_server_push(raw: Raw) -> None:
    got: list[Any] = []
    done = asyncio.Event()

    async def quote(args: list[Any]) -> None:
        got.append(args[0]["seq"])
        if len(got) == 3:
            done.set()

    raw.client.on("quote", quote)
    assert (await raw.invoke("PushMe", 3)).result == 3
    await asyncio.wait_for(done.wait(), 3)
    assert got == [0, 1, 2]


async def test_client_results(raw: Raw) -> None:
    async def info(args: list[Any]) -> Any:
        return {"version": "pysignalr", "q": args[0]}

    raw.client.on("getClientInfo", info)
    msg = await raw.invoke("AskClient", "who")
    assert msg.result == {"client said": {"version": "pysignalr", "q": "who"}}


async def test_reconnect_after_server_drop(raw: Raw, env: Env) -> None:
    """pysignalr retries the stale ?id= first; the server must 404 it so pysignalr re-negotiates."""
    raw.open_event.clear()
    await env.server.disconnect_all()
    await asyncio.wait_for(raw.open_event.wait(), 5)
    assert raw.opened == 2
    assert (await raw.invoke("Add", 40, 2)).result == 42
    assert len(env.state.connected) == 2
