"""The simulator's SignalR server under hostile clients (issue 18, findings 5-8).

5. Non-ASCII bearer tokens (header and ``access_token``, negotiate and WebSocket, every hub)
   are a 401, never a 500 with a traceback in the log.
6. A weak API key cannot guard a non-loopback bind (``WeakKeyError``); loopback takes any
   key a client can send.
7. Slowloris: sockets trickling their request headers are closed after the request-header
   timeout (heavy: 300 sockets, one byte every 2 s, against the default configuration).
8. 4 MiB without a record separator in 512-byte frames: the connection is closed for the
   size limit, other clients are served; streams are capped across connections (heavy:
   10 connections x 256 StreamPositionData requests).

CPU seconds and the longest wait another client saw are figures, never assertions.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesodesk.contract import HUB_PATHS
from mesodesk.sim.hubs.admin import ADMIN_HUB_PATH
from mesodesk.sim.server import SimulatorServer, WeakKeyError, check_key_strength

from .conftest import API_KEY, SimProcess, sync_simulator
from .raw import Closed, LoopThread, RawClient

pytestmark = pytest.mark.timeout(120)

HUBS = [HUB_PATHS["control"], HUB_PATHS["data"], HUB_PATHS["event"], ADMIN_HUB_PATH]
WS_UPGRADE = (b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              b"Sec-WebSocket-Version: 13\r\n")
PROBE = ("GetLatestEventSeqId", {})  # a cheap call on the event hub


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ 5: non-ASCII tokens
async def http_status(port: int, request: bytes) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
    return int(line.split()[1])


def auth_requests(hub: str, token: bytes) -> list[bytes]:
    """Negotiate and WebSocket upgrade with ``token`` in the header, then in ``access_token``."""
    header = b"Authorization: Bearer " + token + b"\r\n"
    query = b"access_token=" + b"".join(b"%%%02X" % byte for byte in token)
    neg = hub.encode() + b"/negotiate?negotiateVersion=1"
    return [
        b"POST " + neg + b" HTTP/1.1\r\n" + header + b"Host: x\r\nContent-Length: 0\r\n\r\n",
        b"POST " + neg + b"&" + query + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        b"GET " + hub.encode() + b" HTTP/1.1\r\n" + header + b"Host: x\r\n" + WS_UPGRADE + b"\r\n",
        b"GET " + hub.encode() + b"?" + query + b" HTTP/1.1\r\nHost: x\r\n" + WS_UPGRADE + b"\r\n",
    ]


async def statuses_of(port: int, hub: str, token: bytes) -> list[int]:
    return [await http_status(port, request) for request in auth_requests(hub, token)]


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


# bytes a header value can carry (no CR, LF, NUL or other control characters), at least one non-ASCII
token_bytes = st.lists(st.sampled_from([*range(0x21, 0x7F), *range(0x80, 0x100)]), min_size=1, max_size=24).map(
    bytes).filter(lambda b: max(b) >= 0x80)


def test_non_ascii_tokens_are_401_on_every_hub_without_traceback(tmp_path: Path) -> None:
    data_dir = tmp_path / "sim"
    with sync_simulator(data_dir) as (proc, url):
        loop = LoopThread()
        checked = 0
        try:
            port = port_of(url)
            fixed = [b"\xff\xfe", b"\xc3\xa9", b"\xed\xa0\x80", API_KEY.encode() + b"\xff"]
            for hub in HUBS:
                for token in fixed:
                    statuses = loop.run(statuses_of(port, hub, token), 30)
                    assert statuses == [401] * 4, (hub, token, statuses)
                    checked += 4

            @settings(derandomize=True, max_examples=60, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(token=token_bytes, hub=st.sampled_from(HUBS))
            def random_tokens(token: bytes, hub: str) -> None:
                nonlocal checked
                statuses = loop.run(statuses_of(port, hub, token), 30)
                assert statuses == [401] * 4, (hub, token, statuses)
                checked += 4

            random_tokens()
            # the right key still opens every hub
            for hub in HUBS:
                assert loop.run(http_status(port, auth_requests(hub, API_KEY.encode())[0]), 30) == 200
        finally:
            loop.close()
        assert proc.poll() is None
    log = (data_dir.parent / "sim.log").read_text()
    assert "Traceback" not in log and " ERROR " not in log, log[-3000:]
    assert checked >= 4 * 4 * len(HUBS)


# ------------------------------------------------------------------ 6: key strength
def test_weak_keys_cannot_guard_a_non_loopback_bind() -> None:
    for host in ("0.0.0.0", "::", "192.0.2.10", "example.com", ""):
        for key in (" ", "a", "\t", "k3y", "0123456789abcde", "aaaabbbbccccdddd", "correct horse battery staple",
                    "pässwörd-pässwörd-1234", "ok-but-ends-in-tab\t"):
            with pytest.raises(WeakKeyError):
                check_key_strength(key, host)
        check_key_strength("0123456789abcdef", host)
        check_key_strength("r8i8tzCiXOancYONKBI5-5j0tjYiQIA8", host)  # secrets.token_urlsafe(24) shape
    for host in ("127.0.0.1", "::1", "localhost", "127.8.0.1"):
        for key in ("a", "k3y", "pässwörd", "two words"):
            check_key_strength(key, host)  # tests and the embedded simulator use such keys
        for key in ("", " ", "\t", " padded"):  # a Bearer token is trimmed: no client could send these
            with pytest.raises(WeakKeyError):
                check_key_strength(key, host)


@settings(max_examples=300, deadline=None)
@given(key=st.text(max_size=40) | st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E),
                                          min_size=10, max_size=40))
def test_key_strength_rule_for_exposed_binds(key: str) -> None:
    strong = len(key) >= 16 and all(0x21 <= ord(ch) <= 0x7E for ch in key) and len(set(key)) >= 8
    try:
        check_key_strength(key, "0.0.0.0")
    except WeakKeyError as exc:
        assert not strong
        assert "\n" not in str(exc)  # one line
    else:
        assert strong


async def test_simulator_refuses_to_listen_beyond_loopback_with_a_weak_key(tmp_path: Path) -> None:
    server = SimulatorServer(tmp_path / "sim", "a", seed=1)
    try:
        with pytest.raises(WeakKeyError):
            await server.start(host="0.0.0.0", port=0)
        with pytest.raises(RuntimeError):
            _ = server.port  # nothing is listening
        await server.start(host="127.0.0.1", port=0)  # the same key is fine on loopback
        async with aiohttp.ClientSession() as http:
            for key, want in (("a", 200), ("b", 401)):
                async with http.post(f"{server.url}{HUB_PATHS['control']}/negotiate?negotiateVersion=1",
                                     headers={"Authorization": f"Bearer {key}"}) as r:
                    assert r.status == want
    finally:
        await server.stop()


# ------------------------------------------------------------------ 7: slowloris
async def trickle(port: int, hub: str, *, every: float, seconds: float) -> tuple[bool, float]:
    """A negotiate request whose headers arrive one byte every ``every`` s, for up to ``seconds``.

    Returns (closed by the server, seconds it was held)."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    eof = asyncio.ensure_future(reader.read())
    head = f"POST {hub}/negotiate?negotiateVersion=1 HTTP/1.1\r\nHost: x\r\nX-Slow: ".encode()
    try:
        writer.write(head)
        while loop.time() - t0 < seconds:
            done, _ = await asyncio.wait({eof}, timeout=every)
            if done:
                return True, loop.time() - t0
            try:
                writer.write(b"a")
                await writer.drain()
            except ConnectionError:
                return True, loop.time() - t0
        return False, loop.time() - t0
    finally:
        eof.cancel()
        writer.close()


async def run_slowloris(sim: SimProcess, figures: dict[str, Any], *, sockets: int, seconds: float) -> None:
    url = await sim.start()
    port = port_of(url)
    async with aiohttp.ClientSession() as session:
        probe = await RawClient.connect(url, HUB_PATHS["event"], API_KEY, session=session)
        tasks = [asyncio.create_task(trickle(port, HUBS[i % len(HUBS)], every=2.0, seconds=seconds))
                 for i in range(sockets)]
        served = 0
        while not all(t.done() for t in tasks):  # the authenticated client is served meanwhile
            reply = await probe.invoke(*PROBE, timeout=10)
            assert reply.get("result", {}).get("Status") == "Success", reply
            served += 1
            await asyncio.sleep(0.5)
        results = [t.result() for t in tasks]
        fresh = await RawClient.connect(url, HUB_PATHS["event"], API_KEY, session=session)
        assert (await fresh.invoke(*PROBE))["result"]["Status"] == "Success"
        await fresh.close()
        await probe.close()
    held = sum(1 for closed, _ in results if not closed)
    figures.update(slow_sockets=sockets, trickle_seconds=seconds, held_at_end=held,
                   closed_by_server=sockets - held, longest_held_s=round(max(at for _, at in results), 1),
                   probe_calls_served=served)
    assert held == 0, f"{held} of {sockets} slow sockets still held after {seconds} s"


@pytest.mark.heavy
@pytest.mark.timeout(180)
async def test_slowloris_300_sockets_heavy(sim_factory: Any, figures: dict[str, Any]) -> None:
    """Default configuration (10 s request-header timeout): all 300 closed well before 24 s."""
    await run_slowloris(sim_factory(), figures, sockets=300, seconds=24.0)


# ------------------------------------------------------------------ 8: flood without separator
async def probe_loop(client: RawClient, stop: asyncio.Event, waits: list[float]) -> None:
    """Invoke PROBE back to back; record how long each answer took (a figure only)."""
    while not stop.is_set():
        t0 = time.monotonic()
        reply = await client.invoke(*PROBE, timeout=30)
        assert reply.get("result", {}).get("Status") == "Success", reply
        waits.append(time.monotonic() - t0)
        await asyncio.sleep(0.02)


async def test_unterminated_4_mib_in_small_frames(sim_factory: Any, figures: dict[str, Any]) -> None:
    sim: SimProcess = sim_factory()
    url = await sim.start()
    async with aiohttp.ClientSession() as session:
        flooder = await RawClient.connect(url, HUB_PATHS["data"], API_KEY, session=session)
        other = await RawClient.connect(url, HUB_PATHS["event"], API_KEY, session=session)
        stop, waits = asyncio.Event(), list[float]()
        prober = asyncio.create_task(probe_loop(other, stop, waits))
        cpu0, frames = cpu_seconds(sim.pid), 0
        chunk = b"x" * 512
        try:
            for _ in range((4 << 20) // 512 + 1):  # one frame past the 4 MiB message limit
                await flooder.ws.send_bytes(chunk)
                frames += 1
        except (ConnectionError, aiohttp.ClientError):
            pass  # closed by the server while we were still sending
        with pytest.raises(Closed) as closed:
            while True:
                await flooder.recv(30)
        stop.set()
        await prober
        cpu = cpu_seconds(sim.pid) - cpu0
        await other.close()
        await flooder.close()
    figures.update(frames_sent=frames, server_cpu_s=round(cpu, 2), other_client_calls=len(waits),
                   other_client_max_wait_s=round(max(waits, default=0.0), 3))
    assert closed.value.close_message is not None and "maximum size" in closed.value.close_message["error"]
    assert waits, "the other client got no answer while the flood was read"


# ------------------------------------------------------------------ 8: streams across connections
STREAM_ARGS = {"Underlying": {"Symbol": "SPX"}, "Provider": "Simulated"}


async def read_streams(client: RawClient, seen: dict[str, dict[str, Any]], stop: asyncio.Event) -> bool:
    """Read everything (and ping) until ``stop``, noting each invocation's first answer.

    Returns False if the server dropped the connection."""
    pinged = time.monotonic()
    while not stop.is_set():
        if time.monotonic() - pinged > 5.0:
            await client.send({"type": 6})
            pinged = time.monotonic()
        try:
            m = await client.recv(0.5)
        except TimeoutError:
            continue
        except (Closed, ConnectionError, aiohttp.ClientError):
            return False
        seen.setdefault(m.get("invocationId", ""), m)
    return True


@pytest.mark.heavy
@pytest.mark.timeout(300)
async def test_streams_capped_across_connections_heavy(sim_factory: Any, figures: dict[str, Any]) -> None:
    """10 connections x 256 StreamUnderlyingData requests: the server runs its cap (512) and
    answers the rest with a Completion error naming the limit; it stays responsive."""
    sim: SimProcess = sim_factory(extra=["--tick-interval", "0.25"])  # mesodesk-sim's default
    url = await sim.start()
    async with aiohttp.ClientSession() as session:
        clients = [await RawClient.connect(url, HUB_PATHS["data"], API_KEY, session=session) for _ in range(10)]
        other = await RawClient.connect(url, HUB_PATHS["event"], API_KEY, session=session)
        stop, waits = asyncio.Event(), list[float]()
        answers: list[dict[str, dict[str, Any]]] = [{} for _ in clients]
        readers = [asyncio.create_task(read_streams(cl, seen, stop)) for cl, seen in zip(clients, answers, strict=True)]
        prober = asyncio.create_task(probe_loop(other, stop, waits))
        cpu0 = cpu_seconds(sim.pid)
        for c, client in enumerate(clients):
            await client.send(*({"type": 4, "invocationId": f"s{c}-{i}", "target": "StreamUnderlyingData",
                                 "arguments": [STREAM_ARGS]} for i in range(256)))
        await asyncio.sleep(9.0)  # the accepted streams run
        stop.set()
        kept = await asyncio.gather(*readers)
        await prober
        cpu = cpu_seconds(sim.pid) - cpu0
        for client in clients:
            await client.close()
        await other.close()
    first = [m for per_client in answers for inv, m in per_client.items() if inv.startswith("s")]
    accepted = sum(1 for m in first if m["type"] == 2)
    refused = [m for m in first if m["type"] == 3]
    figures.update(streams_requested=2560, streams_answered=len(first), streams_accepted=accepted,
                   streams_refused=len(refused), connections_dropped=kept.count(False), server_cpu_s=round(cpu, 2),
                   other_client_calls=len(waits), other_client_max_wait_s=round(max(waits, default=0.0), 3))
    assert all(kept), "the server dropped a stream client that kept reading"
    assert len(first) == 2560 and accepted == 512 and len(refused) == 2560 - 512
    assert all("limit 512" in m.get("error", "") for m in refused), refused[:3]
