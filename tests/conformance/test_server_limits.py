"""Limits of the generic SignalR server (issue 18, findings 5, 7 and 8), over real sockets.

Non-ASCII bearer tokens are a 401 (not a 500 with a traceback); connections that trickle
their request headers are closed after the request-header timeout while WebSockets live on;
``RecordReader`` copies each byte a bounded number of times however a record is framed; the
number of concurrent streams is capped across all connections.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import tracemalloc
from collections.abc import AsyncIterator

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesodesk.sim.signalr.protocol import RS, MessageTooLarge, RecordReader

from .conftest import HUB_PATH, TOKEN, Env, MakeServer
from .test_raw_protocol import Wire, connect

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


# ------------------------------------------------------------------ finding 5: non-ASCII tokens
WS_UPGRADE = (
    b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
)


async def raw_status(port: int, request: bytes) -> int:
    """Send ``request`` on a fresh TCP connection; the HTTP status code of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
    return int(status_line.split()[1])


def auth_requests(path: str, token: bytes) -> list[bytes]:
    """Negotiate and WebSocket upgrade, with ``token`` in the header and in ``access_token``."""
    header = b"Authorization: Bearer " + token + b"\r\n"
    query = b"access_token=" + b"".join(b"%%%02X" % byte for byte in token)
    neg, ws = path.encode() + b"/negotiate?negotiateVersion=1", path.encode()
    end = b"Host: x\r\nContent-Length: 0\r\n"
    return [
        b"POST " + neg + b" HTTP/1.1\r\n" + header + end + b"\r\n",
        b"POST " + neg + b"&" + query + b" HTTP/1.1\r\n" + end + b"\r\n",
        b"GET " + ws + b" HTTP/1.1\r\n" + header + b"Host: x\r\n" + WS_UPGRADE + b"\r\n",
        b"GET " + ws + b"?" + query + b" HTTP/1.1\r\nHost: x\r\n" + WS_UPGRADE + b"\r\n",
    ]


async def test_non_ascii_bearer_token_is_401_without_traceback(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for token in (b"\xff\xfe", b"\xc3\xa9t\xc3\xa9", b"\xed\xa0\x80", TOKEN.encode() + b"\xff"):
        statuses = [await raw_status(env.server.port, req) for req in auth_requests(HUB_PATH, token)]
        assert statuses == [401, 401, 401, 401], (token, statuses)
    tracebacks = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert tracebacks == []
    # the right token still works, in the header and in the query
    statuses = [await raw_status(env.server.port, req) for req in auth_requests(HUB_PATH, TOKEN.encode())[:2]]
    assert statuses == [200, 200]


async def test_malformed_request_is_400_and_one_log_line(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    """A raw UTF-8 request target is the peer's mistake: 400, logged as one INFO line."""
    caplog.set_level(logging.DEBUG)
    request = "POST /hubs/test/negotiate?access_token=\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    assert await raw_status(env.server.port, request) == 400
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
    assert any(r.getMessage().startswith("bad HTTP request") for r in caplog.records)


# ------------------------------------------------------------------ finding 7: request-header timeout
async def trickle_headers(port: int, *, every: float, max_bytes: int) -> tuple[bool, int]:
    """Open a connection and send a negotiate request's headers one byte every ``every`` s.

    Returns (closed by the server, header bytes sent before that).
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"POST {HUB_PATH}/negotiate?negotiateVersion=1 HTTP/1.1\r\nHost: x\r\nX-Slow: {'a' * max_bytes}"
    sent = 0
    eof = asyncio.ensure_future(reader.read())
    try:
        writer.write(request.encode()[:40])  # the request line arrives at once, the headers trickle
        for byte in request.encode()[40:40 + max_bytes]:
            done, _ = await asyncio.wait({eof}, timeout=every)
            if done:
                return True, sent
            try:
                writer.write(bytes([byte]))
                await writer.drain()
            except ConnectionError:
                return True, sent
            sent += 1
        return False, sent
    finally:
        eof.cancel()
        writer.close()


async def test_slow_request_headers_are_closed_websockets_are_not(
    http: aiohttp.ClientSession, make_server: MakeServer
) -> None:
    env = await make_server(request_header_timeout=1.0, keep_alive_interval=0.2)
    wire = await connect(http, env)
    # 5 sockets trickle a header byte every 0.25 s for up to 24 bytes (6 s, six timeouts)
    slow = [trickle_headers(env.server.port, every=0.25, max_bytes=24) for _ in range(5)]
    results = await asyncio.gather(*slow)
    assert [closed for closed, _ in results] == [True] * 5
    assert all(sent < 24 for _, sent in results)
    # meanwhile the WebSocket (open for longer than the timeout) and new clients are served
    await wire.send({"type": 1, "invocationId": "1", "target": "Add", "arguments": [2, 3]})
    assert (await wire.recv())["result"] == 5
    fresh = await connect(http, env)
    await fresh.send({"type": 1, "invocationId": "1", "target": "Add", "arguments": [1, 1]})
    assert (await fresh.recv())["result"] == 2


# ------------------------------------------------------------------ finding 8: linear record reader
records_st = st.lists(st.binary(max_size=40).filter(lambda b: RS not in b), max_size=30)


@settings(max_examples=200, deadline=None)
@given(records=records_st, cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=40))
def test_record_reader_returns_the_records_however_framed(records: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(r + RS for r in records)
    bounds = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})
    frames = [stream[a:b] for a, b in itertools.pairwise(bounds)]
    reader = RecordReader(max_message_size=1000)
    got = [rec for frame in frames for rec in reader.feed(frame)]
    assert got == [r for r in records if r]  # empty records (bare separators) are skipped
    assert reader.feed(b"") == []


@settings(max_examples=100, deadline=None)
@given(size=st.integers(min_value=1, max_value=300), frame=st.integers(min_value=1, max_value=64),
       terminated=st.booleans())
def test_record_reader_refuses_records_over_the_limit(size: int, frame: int, terminated: bool) -> None:
    limit = 100
    stream = b"x" * size + (RS if terminated else b"")
    reader = RecordReader(max_message_size=limit)
    got: list[bytes] = []
    try:
        for i in range(0, len(stream), frame):
            got += reader.feed(stream[i:i + frame])
    except MessageTooLarge:
        assert size > limit
    else:
        assert size <= limit
        assert got == ([b"x" * size] if terminated else [])


def test_record_reader_copies_a_small_frame_not_the_whole_partial_record() -> None:
    """Feeding a 512-byte frame after 2 MiB of an unterminated record allocates O(frame), not
    O(buffered): the old reader concatenated and re-split the whole buffer on every frame
    (quadratic: 4 MiB in 512-byte frames cost 7.9 CPU-s)."""
    reader = RecordReader(max_message_size=4 << 20)
    chunk = b"y" * 512
    for _ in range(4096):  # 2 MiB, no separator
        assert reader.feed(chunk) == []
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for _ in range(16):
            assert reader.feed(chunk) == []
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - before < 64 * 1024
    # the record is whole when its separator arrives
    tail = reader.feed(b"z" + RS + b"next")
    assert tail == [chunk * (4096 + 16) + b"z"]
    assert reader.feed(RS) == [b"next"]


async def test_record_in_many_small_frames_is_served(http: aiohttp.ClientSession, env: Env) -> None:
    """A 768 KiB invocation sent in 512-byte WebSocket frames is reassembled and answered."""
    wire = await connect(http, env)
    payload = b'{"type":1,"invocationId":"big","target":"Echo","arguments":["' + b"q" * (768 << 10) + b'"]}' + RS
    for i in range(0, len(payload), 512):
        await wire.ws.send_str(payload[i:i + 512].decode())
    answer = await wire.recv(timeout=20)
    assert answer["invocationId"] == "big" and answer["result"] == "q" * (768 << 10)


# ------------------------------------------------------------------ finding 8: global stream cap
async def open_stream(wire: Wire, inv_id: str) -> dict[str, object]:
    """Start a Ticker stream; its first message (an item, or the Completion that refused it)."""
    await wire.send({"type": 4, "invocationId": inv_id, "target": "Ticker", "arguments": []})
    while True:
        m = await wire.recv()
        if m.get("invocationId") == inv_id:
            return m


async def test_concurrent_streams_are_capped_across_connections(
    http: aiohttp.ClientSession, make_server: MakeServer
) -> None:
    env = await make_server(max_streams=4, max_server_streams=6)
    first, second = await connect(http, env), await connect(http, env)
    assert [(await open_stream(first, f"a{i}"))["type"] for i in range(4)] == [2, 2, 2, 2]
    assert [(await open_stream(second, f"b{i}"))["type"] for i in range(2)] == [2, 2]
    refused = await open_stream(second, "b2")
    assert refused["type"] == 3 and "limit 6" in str(refused["error"])
    assert env.server.streams.active == 6
    # invocations are not streams: still served
    await second.send({"type": 1, "invocationId": "add", "target": "Add", "arguments": [1, 2]})
    while (m := await second.recv())["invocationId"] != "add":
        pass
    assert m["result"] == 3
    # a cancelled stream frees its place ...
    await first.send({"type": 5, "invocationId": "a0"})
    while (m := await first.recv()) != {"type": 3, "invocationId": "a0"}:
        pass
    assert (await open_stream(second, "b3"))["type"] == 2
    # ... and so does a closed connection, all of its streams at once
    await first.ws.close()
    for _ in range(100):
        if env.server.streams.active == 3:
            break
        await asyncio.sleep(0.05)
    assert env.server.streams.active == 3
    third = await connect(http, env)
    assert [(await open_stream(third, f"c{i}"))["type"] for i in range(3)] == [2, 2, 2]
    assert (await open_stream(third, "c3"))["type"] == 3

