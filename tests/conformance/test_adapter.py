"""Our pysignalr adapter (mesodesk.sdk._signalr.SignalRConnection) against the server core."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest

from mesodesk.sdk._signalr import (
    ConnectionLostError,
    ConnectionState,
    InvocationTimeout,
    NotConnectedError,
    SignalRAuthError,
    SignalRConnection,
    SignalRInvocationError,
    SignalRStreamError,
    redact,
)

from .conftest import TOKEN, USER, Env, MakeServer

pytestmark = pytest.mark.timeout(30)


def make_conn(env: Env, **kw: Any) -> SignalRConnection:
    kw.setdefault("access_token_factory", lambda: TOKEN)
    kw.setdefault("connect_timeout", 3.0)
    return SignalRConnection(env.url, **kw)


async def wait_until(pred: Any, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


async def test_invoke_results(env: Env) -> None:
    async with make_conn(env) as conn:
        assert conn.state is ConnectionState.CONNECTED
        assert await conn.invoke("Add", 2, 3) == 5
        payload = {"a": [1, 2.5, None, True], "b": {"c": "ü€"}}
        assert await conn.invoke("Echo", payload) == payload
        assert await conn.invoke("Void") is None
        who = await conn.invoke("WhoAmI")
        assert who["user"] == USER
        # invocations on one connection run concurrently
        results = await asyncio.gather(*(conn.invoke("Add", i, i) for i in range(50)))
        assert results == [2 * i for i in range(50)]


async def test_invoke_errors(env: Env) -> None:
    async with make_conn(env) as conn:
        with pytest.raises(SignalRInvocationError) as ei:
            await conn.invoke("Fail", "no such account")
        assert ei.value.message == "no such account" and ei.value.method == "Fail"
        with pytest.raises(SignalRInvocationError) as ei:
            await conn.invoke("Boom")
        assert ei.value.message == "An unexpected error occurred invoking 'Boom' on the server."
        assert "secret" not in str(ei.value)
        with pytest.raises(SignalRInvocationError, match="Unknown hub method 'Nope'"):
            await conn.invoke("Nope")
        with pytest.raises(SignalRInvocationError, match="argument"):
            await conn.invoke("Add", 1)
        with pytest.raises(SignalRInvocationError, match="streaming"):
            await conn.invoke("Counter", 1, 0)
        assert await conn.invoke("Add", 1, 1) == 2  # still healthy


async def test_invoke_timeout_and_not_connected(env: Env) -> None:
    conn = make_conn(env)
    with pytest.raises(NotConnectedError):
        await conn.invoke("Add", 1, 2)
    await conn.start()
    try:
        with pytest.raises(InvocationTimeout) as ei:
            await conn.invoke("Slow", 5, timeout=0.1)
        assert isinstance(ei.value, TimeoutError)
        assert await conn.invoke("Add", 1, 2, timeout=2) == 3
        assert not conn._pending
    finally:
        await conn.stop()
    with pytest.raises(NotConnectedError):
        await conn.invoke("Add", 1, 2)


async def test_fire_and_forget_send(env: Env) -> None:
    async with make_conn(env) as conn:
        await conn.send("Record", {"x": 1})
        await wait_until(lambda: env.state.fire_and_forget == [{"x": 1}])


async def test_stream_complete_and_error(env: Env) -> None:
    async with make_conn(env) as conn:
        assert [x async for x in conn.stream("Counter", 5, 0)] == [0, 1, 2, 3, 4]
        got = []
        with pytest.raises(SignalRStreamError, match="stream broke"):
            async for x in conn.stream("FailingStream"):
                got.append(x)
        assert got == [1, 2]
        with pytest.raises(SignalRStreamError, match="non-streaming"):
            async for _ in conn.stream("Add", 1, 2):
                pass
        assert not conn._streams
        assert conn._client is not None and not conn._client._stream_handlers


async def test_stream_early_break_sends_cancel(env: Env) -> None:
    async with make_conn(env) as conn:
        got = []
        async for x in conn.stream("Ticker"):
            got.append(x)
            if len(got) == 3:
                break
        t0 = time.monotonic()
        await asyncio.wait_for(env.state.ticker_closed_event.wait(), 2)
        assert time.monotonic() - t0 < 0.5
        assert got == [0, 1, 2]
        assert env.state.ticker_cancelled == 1 and env.state.ticker_closed == 1
        assert not conn._streams
        assert conn._client is not None and not conn._client._stream_handlers
        assert not conn._client._invocation_handlers
        assert await conn.invoke("Add", 1, 1) == 2


async def test_stream_aclose_and_consumer_cancel(env: Env) -> None:
    async with make_conn(env) as conn:
        s = conn.stream("Ticker")
        assert await s.__anext__() == 0
        await s.aclose()
        await asyncio.wait_for(env.state.ticker_closed_event.wait(), 2)
        env.state.ticker_closed_event.clear()

        first = asyncio.Event()

        async def consume() -> None:
            async for _ in conn.stream("Ticker"):
                first.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(first.wait(), 2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(env.state.ticker_closed_event.wait(), 2)
        assert env.state.ticker_cancelled == 2 and env.state.ticker_closed == 2


async def test_stream_keeps_latest_when_full(env: Env) -> None:
    async with make_conn(env) as conn:
        s = conn.stream("Counter", 500, 0, maxsize=10)
        first = await s.__anext__()
        await wait_until(lambda: s._finished)
        rest = [x async for x in s]
        assert rest == list(range(490, 500))  # the latest values are kept
        assert s.dropped == 500 - 1 - len(rest) and first < 490


async def test_server_push_handler_errors_do_not_kill(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    async with make_conn(env) as conn:
        got: list[Any] = []
        done = asyncio.Event()

        def bad(q: Any) -> None:
            raise ValueError("ui bug")

        async def good(q: Any) -> None:
            got.append(q["seq"])
            if len(got) == 5:
                done.set()

        conn.on("quote", bad)
        remove = conn.on("quote", good)
        with caplog.at_level(logging.ERROR, logger="mesodesk.sdk"):
            assert await conn.invoke("PushMe", 5) == 5
            await asyncio.wait_for(done.wait(), 2)
        assert got == [0, 1, 2, 3, 4]
        assert any("ui bug" in (r.exc_text or "") or r.exc_info for r in caplog.records)
        assert conn.connection_count == 1 and conn.state is ConnectionState.CONNECTED
        remove()
        await conn.invoke("PushMe", 2)
        assert await conn.invoke("Add", 2, 2) == 4
        assert got == [0, 1, 2, 3, 4]


async def test_client_results(env: Env) -> None:
    async with make_conn(env) as conn:
        remove = conn.on("getClientInfo", lambda q: {"answer": q})
        assert await conn.invoke("AskClient", "hi") == {"client said": {"answer": "hi"}}
        remove()

        async def async_handler(q: Any) -> Any:
            await asyncio.sleep(0)
            return None  # sent as "result": null, not as an error

        conn.on("getClientInfo", async_handler)
        assert await conn.invoke("AskClient", "x") == {"client said": None}
        conn.on("getClientInfo", lambda q: 1)  # two handlers: error, like the JS client
        with pytest.raises(SignalRInvocationError, match="multiple results"):
            await conn.invoke("AskClient", "y")


async def test_reconnect_after_server_restart(env: Env) -> None:
    states: list[ConnectionState] = []
    conn = make_conn(env)
    conn.add_state_listener(states.append)
    connected = 0

    async def on_connected() -> None:
        nonlocal connected
        connected += 1
        assert await conn.invoke("Add", 1, 1) == 2  # callbacks may call the hub

    conn.on_connected(on_connected)
    await conn.start()
    try:
        assert connected == 1
        slow = asyncio.create_task(conn.invoke("Slow", 10))
        await asyncio.sleep(0.05)
        port = env.server.port
        t0 = time.monotonic()
        await env.server.stop()
        assert time.monotonic() - t0 < 1.0
        with pytest.raises(ConnectionLostError):
            await slow
        await wait_until(lambda: conn.state is ConnectionState.RECONNECTING)
        with pytest.raises(NotConnectedError):
            await conn.invoke("Add", 1, 2)
        await env.server.start(port=port)
        await wait_until(lambda: connected == 2, timeout=5)
        assert await conn.invoke("Add", 20, 22) == 42
        assert states[:3] == [
            ConnectionState.CONNECTING,
            ConnectionState.CONNECTED,
            ConnectionState.RECONNECTING,
        ]
        assert states[-1] is ConnectionState.CONNECTED
    finally:
        await conn.stop()
    assert conn.state is ConnectionState.DISCONNECTED


async def test_stream_ends_with_connection_lost(env: Env) -> None:
    async with make_conn(env) as conn:
        got = []
        with pytest.raises(ConnectionLostError):
            async for x in conn.stream("Ticker"):
                got.append(x)
                if len(got) == 2:
                    await env.server.disconnect_all()
        await wait_until(lambda: conn.connection_count == 2)


async def test_server_timeout_watchdog(make_server: MakeServer) -> None:
    env = await make_server(keep_alive_interval=100)  # the server never pings
    async with make_conn(env, server_timeout=0.3, keep_alive_interval=0.1) as conn:
        await wait_until(lambda: conn.connection_count >= 2, timeout=3)
        assert "server timeout" in str(conn.last_error)
        await wait_until(lambda: conn.state is ConnectionState.CONNECTED)
        assert await conn.invoke("Add", 1, 2) == 3


async def test_pings_keep_connection_alive(make_server: MakeServer) -> None:
    env = await make_server(keep_alive_interval=0.1, client_timeout=0.5)
    async with make_conn(env, server_timeout=0.4, keep_alive_interval=0.1) as conn:
        await asyncio.sleep(1.2)
        assert conn.connection_count == 1 and conn.state is ConnectionState.CONNECTED


async def test_bad_token_is_401(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    conn = make_conn(env, access_token_factory=lambda: "wrong-secret-token")
    t0 = time.monotonic()
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(SignalRAuthError):
            await conn.start()
    assert time.monotonic() - t0 < 2
    assert conn.state is ConnectionState.DISCONNECTED
    assert "wrong-secret-token" not in caplog.text


async def test_async_token_factory_and_header_on_first_attempt(env: Env) -> None:
    calls = 0

    async def factory() -> str:
        nonlocal calls
        calls += 1
        return TOKEN

    # the server requires the token on negotiate AND upgrade: success proves the first attempt had it
    async with make_conn(env, access_token_factory=factory) as conn:
        assert calls == 1
        await env.server.disconnect_all()
        await wait_until(lambda: conn.connection_count == 2)
        assert calls == 2


async def test_start_times_out_when_nothing_listens(unused_tcp_port: int) -> None:
    conn = SignalRConnection(f"http://127.0.0.1:{unused_tcp_port}/hubs/test", connect_timeout=1)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        await conn.start(timeout=0.5)
    assert time.monotonic() - t0 < 1.5
    assert conn.state is ConnectionState.DISCONNECTED


async def test_stop_is_prompt_even_with_dead_peer(make_server: MakeServer) -> None:
    env = await make_server()
    conn = make_conn(env)
    await conn.start()
    t0 = time.monotonic()
    await conn.stop()
    assert time.monotonic() - t0 < 1.0
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("signalr")]


def test_redact() -> None:
    s = redact(
        "Authorization: Bearer abc.def and ws://h/x?id=1&access_token=xyz&b=2 {'Authorization': 'tok'}"
    )
    assert "abc.def" not in s and "xyz" not in s and "tok'" not in s
    assert "id=1" in s and "b=2" in s
