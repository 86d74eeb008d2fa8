"""Wire-level checks with a bare aiohttp WebSocket client: framing, errors, auth, keep-alive."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest

from .conftest import HUB_PATH, TOKEN, Env, MakeServer

pytestmark = pytest.mark.timeout(30)

RS = "\x1e"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HANDSHAKE = '{"protocol":"json","version":1}' + RS


def frame(*msgs: dict[str, Any]) -> str:
    return "".join(orjson.dumps(m).decode() + RS for m in msgs)


class Wire:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.buffer: list[dict[str, Any]] = []

    async def recv(self, timeout: float = 3.0, skip_pings: bool = True) -> dict[str, Any]:
        while True:
            if not self.buffer:
                msg = await self.ws.receive(timeout=timeout)
                if msg.type != aiohttp.WSMsgType.TEXT:  # the JS client needs text frames for JSON
                    raise AssertionError(f"expected a text frame, got {msg.type}")
                self.buffer = [orjson.loads(r) for r in msg.data.split(RS) if r]
            m = self.buffer.pop(0)
            if not (skip_pings and m.get("type") == 6):
                return m

    async def send(self, *msgs: dict[str, Any]) -> None:
        await self.ws.send_str(frame(*msgs))

    async def expect_closed(self, timeout: float = 3.0) -> None:
        while True:
            msg = await self.ws.receive(timeout=timeout)
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                return


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def negotiate(http: aiohttp.ClientSession, env: Env, version: int | None = 1) -> dict[str, Any]:
    q = "" if version is None else f"?negotiateVersion={version}"
    async with http.post(env.url + "/negotiate" + q, headers=AUTH) as r:
        assert r.status == 200
        data: dict[str, Any] = await r.json()
        return data


async def connect(http: aiohttp.ClientSession, env: Env, handshake: str | None = HANDSHAKE) -> Wire:
    token = (await negotiate(http, env))["connectionToken"]
    ws = await http.ws_connect(f"{env.url}?id={token}", headers=AUTH)
    wire = Wire(ws)
    if handshake is not None:
        await ws.send_str(handshake)
        assert await wire.recv() == {}
    return wire


async def test_negotiate_v1_and_v0(http: aiohttp.ClientSession, env: Env) -> None:
    v1 = await negotiate(http, env, 1)
    assert v1["negotiateVersion"] == 1
    assert v1["connectionToken"] != v1["connectionId"]
    assert {"transport": "WebSockets", "transferFormats": ["Text", "Binary"]} in v1["availableTransports"]
    v0 = await negotiate(http, env, None)
    assert v0["negotiateVersion"] == 0 and "connectionToken" not in v0
    # v0: the connectionId is the id
    ws = await http.ws_connect(f"{env.url}?id={v0['connectionId']}", headers=AUTH)
    await ws.send_str(HANDSHAKE)
    assert (await ws.receive()).data == "{}" + RS
    await ws.close()


async def test_invocation_completion_shapes(http: aiohttp.ClientSession, env: Env) -> None:
    w = await connect(http, env)
    await w.send({"type": 1, "invocationId": "1", "target": "Void", "arguments": [], "headers": {"x": "y"}})
    assert await w.recv() == {"type": 3, "invocationId": "1", "result": None}  # "result": null present
    # non-blocking invocation: no completion; the next message answers "2"
    await w.send({"type": 1, "target": "Record", "arguments": [7]})
    await w.send({"type": 1, "invocationId": "2", "target": "Add", "arguments": [1, 2]})
    assert await w.recv() == {"type": 3, "invocationId": "2", "result": 3}
    assert env.state.fire_and_forget == [7]
    await w.send({"type": 1, "invocationId": "3", "target": "Add", "arguments": [1]})
    m = await w.recv()
    assert m["invocationId"] == "3" and "argument" in m["error"] and "result" not in m


async def test_multiple_messages_per_frame(http: aiohttp.ClientSession, env: Env) -> None:
    w = await connect(http, env)
    await w.send(
        *({"type": 1, "invocationId": str(i), "target": "Add", "arguments": [i, 1]} for i in range(5))
    )
    got = {(m := await w.recv())["invocationId"]: m["result"] for _ in range(5)}
    assert got == {str(i): i + 1 for i in range(5)}


async def test_messages_trailing_the_handshake(http: aiohttp.ClientSession, env: Env) -> None:
    w = await connect(http, env, handshake=None)
    await w.ws.send_str(
        HANDSHAKE + frame({"type": 1, "invocationId": "1", "target": "Echo", "arguments": ["x"]})
    )
    assert await w.recv() == {}
    assert await w.recv() == {"type": 3, "invocationId": "1", "result": "x"}


async def test_record_split_across_frames(http: aiohttp.ClientSession, env: Env) -> None:
    w = await connect(http, env)
    data = frame({"type": 1, "invocationId": "1", "target": "Echo", "arguments": ["split"]})
    await w.ws.send_str(data[:10])
    await w.ws.send_str(data[10:])
    assert (await w.recv())["result"] == "split"


@pytest.mark.parametrize("version", [0, 1])
async def test_protocol_versions_up_to_ours_are_accepted(http: aiohttp.ClientSession, env: Env, version: int) -> None:
    """ASP.NET Core's ``IsVersionSupported(version) => version <= Version``: a version 0 client
    (signalrcore sends the negotiate version) is served like a version 1 one."""
    w = await connect(http, env, handshake=None)
    await w.ws.send_str(f'{{"protocol":"json","version":{version}}}' + RS)
    assert await w.recv() == {}
    [conn] = env.hub.connections
    assert conn.protocol_version == version
    await w.send({"type": 1, "invocationId": "1", "target": "Add", "arguments": [2, 3]})
    assert await w.recv() == {"type": 3, "invocationId": "1", "result": 5}
    await w.send({"type": 4, "invocationId": "2", "target": "Counter", "arguments": [2, 0]})
    assert [await w.recv() for _ in range(3)] == [
        {"type": 2, "invocationId": "2", "item": 0},
        {"type": 2, "invocationId": "2", "item": 1},
        {"type": 3, "invocationId": "2"},
    ]


async def test_protocol_version_above_ours_is_refused_as_aspnet_does(http: aiohttp.ClientSession, env: Env) -> None:
    w = await connect(http, env, handshake=None)
    await w.ws.send_str('{"protocol":"json","version":2}' + RS)
    assert await w.recv() == {"error": "The server does not support version 2 of the 'json' protocol."}
    await w.expect_closed()
    assert not env.hub.connections


@pytest.mark.parametrize(
    "handshake,error",
    [
        ('{"protocol":"messagepack","version":1}' + RS, "not supported"),
        ('{"protocol":"json","version":7}' + RS, "version 7"),
        ("not json" + RS, "JSON"),
        ('{"protocol":"json"}' + RS, "version"),
    ],
)
async def test_bad_handshake(http: aiohttp.ClientSession, env: Env, handshake: str, error: str) -> None:
    w = await connect(http, env, handshake=None)
    await w.ws.send_str(handshake)
    m = await w.recv()
    assert error in m["error"]
    await w.expect_closed()


async def test_handshake_timeout(http: aiohttp.ClientSession, make_server: MakeServer) -> None:
    env = await make_server(handshake_timeout=0.2)
    w = await connect(http, env, handshake=None)
    t0 = time.monotonic()
    await w.expect_closed()
    assert time.monotonic() - t0 < 1.5


@pytest.mark.parametrize(
    "bad",
    [
        "{not json" + RS,
        frame({"type": 99}),
        frame({"invocationId": "1"}),
        frame({"type": 1, "invocationId": "1", "arguments": []}),  # no target
        frame({"type": 1, "invocationId": "1", "target": "Add"}),  # no arguments
        frame({"type": 4, "target": "Counter", "arguments": [1, 0]}),  # stream without id
        frame({"type": 3, "invocationId": "1", "result": 1, "error": "x"}),  # result and error
        frame({"type": 5}),
        "[1,2]" + RS,
    ],
)
async def test_protocol_error_closes_with_error(http: aiohttp.ClientSession, env: Env, bad: str) -> None:
    w = await connect(http, env)
    other = await connect(http, env)
    await w.ws.send_str(bad)
    m = await w.recv()
    assert m["type"] == 7 and m["error"].startswith("Connection closed with an error.")
    assert not m.get("allowReconnect")
    await w.expect_closed()
    # other connections are unaffected and the server still accepts new ones
    await other.send({"type": 1, "invocationId": "1", "target": "Add", "arguments": [1, 1]})
    assert (await other.recv())["result"] == 2
    fresh = await connect(http, env)
    await fresh.send({"type": 1, "invocationId": "1", "target": "Add", "arguments": [2, 2]})
    assert (await fresh.recv())["result"] == 4


async def test_oversized_message(http: aiohttp.ClientSession, make_server: MakeServer) -> None:
    env = await make_server(max_message_size=1000)
    w = await connect(http, env)
    await w.send({"type": 1, "invocationId": "1", "target": "Echo", "arguments": ["x" * 900]})
    assert (await w.recv())["invocationId"] == "1"
    await w.send({"type": 1, "invocationId": "2", "target": "Echo", "arguments": ["x" * 2000]})
    m = await w.recv()
    assert m["type"] == 7 and "maximum size" in m["error"]
    await w.expect_closed()


async def test_stream_and_cancel(http: aiohttp.ClientSession, env: Env) -> None:
    w = await connect(http, env)
    await w.send({"type": 4, "invocationId": "s1", "target": "Counter", "arguments": [3, 0]})
    assert [await w.recv() for _ in range(4)] == [
        {"type": 2, "invocationId": "s1", "item": 0},
        {"type": 2, "invocationId": "s1", "item": 1},
        {"type": 2, "invocationId": "s1", "item": 2},
        {"type": 3, "invocationId": "s1"},  # no "result" for streams
    ]
    await w.send({"type": 4, "invocationId": "t1", "target": "Ticker", "arguments": []})
    assert (await w.recv())["type"] == 2
    await w.send({"type": 5, "invocationId": "t1"})
    await asyncio.wait_for(env.state.ticker_closed_event.wait(), 2)
    assert env.state.ticker_cancelled == 1
    while (m := await w.recv())["type"] == 2:
        pass
    assert m == {"type": 3, "invocationId": "t1"}
    await w.send({"type": 5, "invocationId": "unknown"})  # ignored
    await w.send({"type": 1, "invocationId": "1", "target": "Add", "arguments": [1, 1]})
    assert (await w.recv())["result"] == 2


async def test_stream_error_after_items(http: aiohttp.ClientSession, env: Env) -> None:
    w = await connect(http, env)
    await w.send({"type": 4, "invocationId": "f", "target": "FailingStream", "arguments": []})
    assert [(await w.recv()).get("item") for _ in range(2)] == [1, 2]
    assert await w.recv() == {"type": 3, "invocationId": "f", "error": "stream broke"}
    await w.send({"type": 1, "invocationId": "x", "target": "Counter", "arguments": [1, 0]})
    assert "streaming" in (await w.recv())["error"]


async def test_server_invocations_and_client_results(http: aiohttp.ClientSession, env: Env) -> None:
    w = await connect(http, env)
    await w.send({"type": 1, "invocationId": "1", "target": "PushMe", "arguments": [2]})
    pushes = [await w.recv() for _ in range(3)]
    assert pushes[0] == {"type": 1, "target": "quote", "arguments": [{"seq": 0, "px": 100}]}
    assert all("arguments" in m for m in pushes if m["type"] == 1)
    await w.send({"type": 1, "invocationId": "2", "target": "AskClient", "arguments": ["q"]})
    ask = await w.recv()
    assert ask["type"] == 1 and ask["target"] == "getClientInfo" and ask["arguments"] == ["q"]
    await w.send({"type": 3, "invocationId": ask["invocationId"], "result": {"v": 1}})
    assert await w.recv() == {"type": 3, "invocationId": "2", "result": {"client said": {"v": 1}}}
    await w.send({"type": 1, "invocationId": "3", "target": "AskClient", "arguments": ["q"]})
    ask = await w.recv()
    await w.send({"type": 3, "invocationId": ask["invocationId"], "error": "nope"})
    assert await w.recv() == {"type": 3, "invocationId": "3", "error": "nope"}


async def test_auth_401(http: aiohttp.ClientSession, env: Env) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        async with http.post(env.url + "/negotiate?negotiateVersion=1", headers=headers) as r:
            assert r.status == 401
    async with http.post(env.url + f"/negotiate?negotiateVersion=1&access_token={TOKEN}") as r:
        assert r.status == 200
    for url, headers in (
        (env.url, {}),
        (env.url, {"Authorization": "Bearer wrong"}),
        (env.url + "?access_token=wrong", {}),
    ):
        with pytest.raises(aiohttp.WSServerHandshakeError) as ei:
            await http.ws_connect(url, headers=headers)
        assert ei.value.status == 401
    ws = await http.ws_connect(env.url + f"?access_token={TOKEN}")  # skipNegotiation + query token
    await ws.send_str(HANDSHAKE)
    assert (await ws.receive()).data == "{}" + RS
    await ws.close()


async def test_unknown_used_and_duplicate_ids(http: aiohttp.ClientSession, env: Env) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as ei:
        await http.ws_connect(env.url + "?id=nope", headers=AUTH)
    assert ei.value.status == 404
    token = (await negotiate(http, env))["connectionToken"]
    ws = await http.ws_connect(f"{env.url}?id={token}", headers=AUTH)
    with pytest.raises(aiohttp.WSServerHandshakeError) as ei:
        await http.ws_connect(f"{env.url}?id={token}", headers=AUTH)
    assert ei.value.status == 409
    await ws.close()
    await asyncio.sleep(0.05)
    with pytest.raises(aiohttp.WSServerHandshakeError) as ei:  # a used id never comes back
        await http.ws_connect(f"{env.url}?id={token}", headers=AUTH)
    assert ei.value.status == 404


async def test_negotiated_token_expires(http: aiohttp.ClientSession, make_server: MakeServer) -> None:
    env = await make_server(negotiate_ttl=0.1)
    token = (await negotiate(http, env))["connectionToken"]
    await asyncio.sleep(0.2)
    with pytest.raises(aiohttp.WSServerHandshakeError) as ei:
        await http.ws_connect(f"{env.url}?id={token}", headers=AUTH)
    assert ei.value.status == 404


async def test_ping_when_idle_and_client_timeout(
    http: aiohttp.ClientSession, make_server: MakeServer
) -> None:
    env = await make_server(keep_alive_interval=0.1, client_timeout=0.6)
    w = await connect(http, env)
    t0 = time.monotonic()
    assert await w.recv(skip_pings=False) == {"type": 6}
    assert time.monotonic() - t0 < 0.4
    # we send nothing: after client_timeout the server closes with an error
    while (m := await w.recv(timeout=2)).get("type") != 7:
        pass
    assert "timeout" in m["error"].lower()
    await w.expect_closed()
    assert 0.4 < time.monotonic() - t0 < 2.0


async def test_client_pings_keep_it_open(http: aiohttp.ClientSession, make_server: MakeServer) -> None:
    env = await make_server(keep_alive_interval=0.1, client_timeout=0.3)
    w = await connect(http, env)
    for _ in range(8):
        await w.send({"type": 6})
        await asyncio.sleep(0.1)
    await w.send({"type": 1, "invocationId": "1", "target": "Add", "arguments": [1, 1]})
    assert (await w.recv())["result"] == 2


async def test_client_close_message(http: aiohttp.ClientSession, env: Env) -> None:
    w = await connect(http, env)
    await w.send({"type": 7})
    await w.expect_closed()
    for _ in range(100):
        if env.state.disconnected:
            break
        await asyncio.sleep(0.01)
    assert len(env.state.disconnected) == 1 and not env.hub.connections


async def test_stop_closes_sockets_promptly(http: aiohttp.ClientSession, env: Env) -> None:
    wires = [await connect(http, env) for _ in range(3)]
    await wires[0].send({"type": 4, "invocationId": "t", "target": "Ticker", "arguments": []})
    await wires[0].recv()
    t0 = time.monotonic()
    await env.server.stop()
    assert time.monotonic() - t0 < 1.0
    for w in wires:
        while (m := await w.recv()).get("type") != 7:
            pass
        assert m.get("allowReconnect") is True and "error" not in m
        await w.expect_closed()
    assert env.state.ticker_closed == 1


async def test_groups_and_users(http: aiohttp.ClientSession, env: Env) -> None:
    a, b = await connect(http, env), await connect(http, env)
    conns = env.hub.connections
    assert len(conns) == 2
    env.hub.groups.add(conns[0], "g")
    await env.hub.send_group("g", "note", 1)
    await env.hub.send_user("tester", "note", 2)
    await env.hub.send_all("note", 3)
    env.hub.groups.discard(conns[0], "g")
    await env.hub.send_group("g", "note", 4)
    await env.hub.send_all("note", 5)
    got: dict[str, list[int]] = {"a": [], "b": []}
    for name, w in (("a", a), ("b", b)):
        while len(got[name]) < 5:
            m = await w.recv()
            got[name].append(m["arguments"][0])
            if m["arguments"][0] == 5:
                break
    assert sorted(got["a"] + got["b"]) == [1, 2, 2, 3, 3, 5, 5]
    assert HUB_PATH.startswith("/")
