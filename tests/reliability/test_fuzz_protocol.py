"""Protocol fuzzing of the simulator's SignalR server over real sockets (bare aiohttp client).

Random and mutated frames, bad handshakes, oversized messages, unknown targets, wrong
argument counts/types, interleaved cancels and garbage between record separators.
After every case: the process is alive, the fuzzed connection answered with
Completion errors or a Close (or is still usable), and a fresh client is served - each
case runs under a watchdog timeout, so a hang fails the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesodesk.contract import HUB_PATHS

from .conftest import API_KEY, record_figures, sync_simulator
from .raw import RS, Closed, LoopThread, RawClient

pytestmark = pytest.mark.timeout(300)

WATCHDOG = 10.0  # seconds one case may take
HUBS = [HUB_PATHS["control"], HUB_PATHS["data"], HUB_PATHS["event"]]
PROBES = {HUB_PATHS["control"]: ("ListAgents", {}), HUB_PATHS["data"]: ("GetUnderlyingSnapshot", {
    "Underlying": {"Symbol": "SPX"}, "Provider": "Simulated"}), HUB_PATHS["event"]: ("GetLatestEventSeqId", {})}
QUICK = settings(derandomize=True, max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
HEAVY = settings(max_examples=3000, deadline=None, database=None, suppress_health_check=list(HealthCheck))
COUNTS: dict[str, int] = {}
SLOWEST: dict[str, float] = {}


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()  # stdlib: integers beyond 64 bits too


@dataclass
class Env:
    proc: Any
    url: str
    loop: LoopThread
    session: aiohttp.ClientSession


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz-protocol") / "sim"
    with sync_simulator(data_dir) as (proc, url):
        loop = LoopThread()

        async def make_session() -> aiohttp.ClientSession:
            return aiohttp.ClientSession()

        session = loop.run(make_session(), 10)
        try:
            yield Env(proc, url, loop, session)
        finally:
            loop.run(session.close(), 10)
            loop.close()
            assert proc.poll() is None, "the simulator died during fuzzing"
    record_figures("fuzz_protocol", cases=sum(COUNTS.values()), by_kind=dict(COUNTS), server_crashes=0, hangs=0,
                   slowest_case_s={k: round(v, 2) for k, v in SLOWEST.items()})


async def probe_fresh(env: Env, hub: str) -> None:
    """A brand-new client negotiates, hands shakes and gets a Success answer."""
    client = await RawClient.connect(env.url, hub, API_KEY, session=env.session)
    try:
        target, args = PROBES[hub]
        reply = await client.invoke(target, args, timeout=5)
        assert reply.get("result", {}).get("Status") == "Success", reply
    finally:
        await client.close()


async def after_case(client: RawClient, hub: str) -> str:
    """The fuzzed connection either closed (with or without a Close message) or still answers."""
    target, args = PROBES[hub]
    try:
        reply = await client.invoke(target, args, timeout=5)
    except Closed:
        return "closed"
    except (ConnectionError, aiohttp.ClientError):
        return "closed"
    # the probe may have been glued to an unterminated fuzz record: then it gets a Close instead
    assert reply.get("type") == 3, reply
    assert "error" in reply or reply.get("result", {}).get("Status") == "Success", reply
    return "open"


def run_case(env: Env, kind: str, hub: str, case: Callable[[], Awaitable[Any]]) -> None:
    async def guarded() -> None:
        async with asyncio.timeout(WATCHDOG):
            await case()
        await probe_fresh(env, hub)

    t0 = time.monotonic()
    env.loop.run(guarded(), WATCHDOG + 10)
    SLOWEST[kind] = max(SLOWEST.get(kind, 0.0), time.monotonic() - t0)
    assert env.proc.poll() is None, f"the simulator died after a {kind} case"
    COUNTS[kind] = COUNTS.get(kind, 0) + 1


# --------------------------------------------------------------------------- strategies
json_scalars = st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(
    allow_nan=False, allow_infinity=False) | st.text(max_size=40)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=10), inner, max_size=4), max_leaves=12)
KEYS = ["type", "invocationId", "target", "arguments", "streamIds", "item", "result", "error", "headers",
        "allowReconnect"]


def valid_messages(hub: str) -> list[dict[str, Any]]:
    target, args = PROBES[hub]
    return [
        {"type": 1, "invocationId": "v1", "target": target, "arguments": [args]},
        {"type": 1, "target": target, "arguments": [args]},
        {"type": 4, "invocationId": "s1", "target": "StreamUnderlyingData",
         "arguments": [{"Underlying": {"Symbol": "SPX"}, "Provider": "Simulated"}]},
        {"type": 5, "invocationId": "s1"},
        {"type": 3, "invocationId": "nope", "result": 1},
        {"type": 2, "invocationId": "nope", "item": 1},
        {"type": 6},
    ]


@st.composite
def mutated_message(draw: st.DrawFn, hub: str) -> bytes:
    msg = dict(draw(st.sampled_from(valid_messages(hub))))
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["drop", "set", "add", "type", "target", "arity", "args-type"]))
        if action == "drop" and msg:
            msg.pop(draw(st.sampled_from(sorted(msg))))
        elif action == "set" and msg:
            msg[draw(st.sampled_from(sorted(msg)))] = draw(json_values)
        elif action == "add":
            msg[draw(st.sampled_from(KEYS) | st.text(max_size=8))] = draw(json_values)
        elif action == "type":
            msg["type"] = draw(st.integers(-3, 12) | st.text(max_size=3))
        elif action == "target":
            msg["target"] = draw(st.text(max_size=30) | st.sampled_from(
                ["getlatesteventseqid", "SendOrder", "StreamPositionData", "", " ListAgents", "__init__"]))
        elif action == "arity":
            msg["arguments"] = draw(st.lists(json_values, max_size=4))
        elif action == "args-type":
            msg["arguments"] = [draw(json_values)]
    return _dumps(msg)


garbage = st.binary(max_size=200) | st.text(max_size=200).map(str.encode)


@st.composite
def frame(draw: st.DrawFn, hub: str) -> tuple[bytes, bool]:
    """One WebSocket frame: records (valid, mutated, garbage) joined by separators, maybe a stray tail."""
    parts = draw(st.lists(st.one_of(mutated_message(hub), garbage, st.just(b""),
                                    st.sampled_from([orjson.dumps(m) for m in valid_messages(hub)])),
                          min_size=1, max_size=5))
    data = RS.join(parts) + draw(st.sampled_from([RS, RS + RS, b"", b"garbage"]))
    return data, draw(st.booleans())


# --------------------------------------------------------------------------- cases
def _frames_case(env: Env, data: st.DataObject) -> None:
    hub = data.draw(st.sampled_from(HUBS))
    frames = data.draw(st.lists(frame(hub), min_size=1, max_size=4))

    async def case() -> None:
        client = await RawClient.connect(env.url, hub, API_KEY, session=env.session)
        try:
            for payload, binary in frames:
                with contextlib.suppress(ConnectionError, aiohttp.ClientError):
                    if binary:
                        await client.ws.send_bytes(payload)
                    else:
                        await client.ws.send_str(payload.decode("utf-8", "replace"))
            await after_case(client, hub)
        finally:
            await client.close()

    run_case(env, "frames", hub, case)


def _handshake_case(env: Env, data: st.DataObject) -> None:
    hub = data.draw(st.sampled_from(HUBS))
    body = data.draw(st.one_of(
        json_values.map(_dumps),
        st.fixed_dictionaries({"protocol": st.sampled_from(["json", "messagepack", "JSON", ""]) | st.text(max_size=5),
                               "version": st.integers(-2, 3) | json_values}).map(_dumps),
        garbage,
    ))
    terminated = data.draw(st.booleans())

    async def case() -> None:
        client = await RawClient.connect(env.url, hub, API_KEY, session=env.session, handshake=False)
        try:
            await client.ws.send_str(body.decode("utf-8", "replace") + ("\x1e" if terminated else ""))
            if not terminated or not body.replace(RS, b""):
                return  # the server waits for the rest of the record (empty records are skipped)
            try:
                first = await client.recv(5.0, skip_pings=False)
            except Closed:
                return
            try:
                request = json.loads(body)
            except ValueError:
                request = None
            # any version up to the server's own (1) is accepted, as ASP.NET Core does
            valid = (isinstance(request, dict) and request.get("protocol") == "json"
                     and type(request.get("version")) is int and request["version"] <= 1)
            if first == {}:
                assert valid, f"handshake {body!r} was accepted"
            else:
                assert "error" in first, first
                assert await client.drain_until_closed_or_quiet(quiet=3.0), "not closed after a handshake error"
        finally:
            await client.close()

    run_case(env, "handshake", hub, case)


def _cancel_case(env: Env, data: st.DataObject) -> None:
    ops = data.draw(st.lists(st.tuples(st.sampled_from(["stream", "cancel", "invoke", "ping"]),
                                       st.sampled_from(["a", "b", "c", "d", "v1"])), min_size=1, max_size=12))
    hub = HUB_PATHS["data"]

    async def case() -> None:
        client = await RawClient.connect(env.url, hub, API_KEY, session=env.session)
        started: set[str] = set()
        try:
            for op, inv in ops:
                if op == "stream":
                    started.add(inv)
                    await client.send({"type": 4, "invocationId": inv, "target": "StreamUnderlyingData",
                                       "arguments": [{"Underlying": {"Symbol": "SPX"}, "Provider": "Simulated"}]})
                elif op == "cancel":
                    await client.send({"type": 5, "invocationId": inv})
                elif op == "invoke":
                    target, args = PROBES[hub]
                    await client.send({"type": 1, "invocationId": inv, "target": target, "arguments": [args]})
                else:
                    await client.send({"type": 6})
            for inv in sorted(started):
                await client.send({"type": 5, "invocationId": inv})
            assert await after_case(client, hub) == "open"  # all of this is legal: the connection stays up
        finally:
            await client.close()

    run_case(env, "cancels", hub, case)


@QUICK
@given(data=st.data())
def test_fuzz_frames_quick(env: Env, data: st.DataObject) -> None:
    _frames_case(env, data)


@QUICK
@given(data=st.data())
def test_fuzz_handshake_quick(env: Env, data: st.DataObject) -> None:
    _handshake_case(env, data)


@QUICK
@given(data=st.data())
def test_fuzz_interleaved_cancels_quick(env: Env, data: st.DataObject) -> None:
    _cancel_case(env, data)


@pytest.mark.heavy
@pytest.mark.timeout(3600)
@HEAVY
@given(data=st.data())
def test_fuzz_frames_heavy(env: Env, data: st.DataObject) -> None:
    _frames_case(env, data)


@pytest.mark.heavy
@pytest.mark.timeout(3600)
@HEAVY
@given(data=st.data())
def test_fuzz_handshake_heavy(env: Env, data: st.DataObject) -> None:
    _handshake_case(env, data)


@pytest.mark.heavy
@pytest.mark.timeout(3600)
@HEAVY
@given(data=st.data())
def test_fuzz_interleaved_cancels_heavy(env: Env, data: st.DataObject) -> None:
    _cancel_case(env, data)


# --------------------------------------------------------------------------- fixed cases
@pytest.mark.parametrize("size,terminated", [(5 << 20, True), (5 << 20, False), (20 << 20, True)])
def test_oversized_message_is_closed(env: Env, size: int, terminated: bool) -> None:
    hub = HUB_PATHS["control"]

    async def case() -> None:
        client = await RawClient.connect(env.url, hub, API_KEY, session=env.session)
        try:
            body = '{"type":1,"target":"ListAgents","arguments":["' + "x" * size + '"]}'
            with contextlib.suppress(ConnectionError, aiohttp.ClientError):
                await client.ws.send_str(body + ("\x1e" if terminated else ""))
            assert await client.drain_until_closed_or_quiet(quiet=5.0), "an oversized message did not close"
        finally:
            await client.close()

    run_case(env, "oversized", hub, case)


@pytest.mark.parametrize("hub", HUBS)
def test_unknown_targets_and_wrong_arity_get_completion_errors(env: Env, hub: str) -> None:
    async def case() -> None:
        client = await RawClient.connect(env.url, hub, API_KEY, session=env.session)
        try:
            target, args = PROBES[hub]
            for tgt, arguments in [("NoSuchMethod", [args]), (target.lower(), [args]), (target, []),
                                   (target, [args, args]), (target, [args, 1, "x"])]:
                reply = await client.invoke(tgt, *arguments)
                assert "error" in reply and "result" not in reply, reply
            reply = await client.invoke(target, "not an object")
            assert reply["result"]["Status"] == "InvalidArguments", reply
            assert await after_case(client, hub) == "open"
        finally:
            await client.close()

    run_case(env, "unknown-target-arity", hub, case)


def test_garbage_between_record_separators(env: Env) -> None:
    hub = HUB_PATHS["event"]

    async def case() -> None:
        client = await RawClient.connect(env.url, hub, API_KEY, session=env.session)
        try:
            await client.ws.send_str('\x1e\x1e{"type":6}\x1enot json\x1e')
            assert await client.drain_until_closed_or_quiet(quiet=3.0)
            assert client.close_message is not None and "error" in client.close_message
        finally:
            await client.close()

    run_case(env, "garbage-between-rs", hub, case)
