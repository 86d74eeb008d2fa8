"""Calls and streams ride out a reconnect, and connection errors are one line with a hint.

* A read called while the simulator restarts waits for the reconnect (within its timeout) and
  succeeds; ``wait_for_reconnect=False`` restores "fail at once"; writes never wait.
* A ``resume=True`` stream survives a drop and a restart and reports the gap.
* A wrong port, key, path, scheme or host: one line saying what and what to do, typed
  (``.status``, ``.last_error``), fast when retrying cannot help, and no flood of warnings.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from mesodesk.contract import DataProviderType, LiveUnderlying
from mesodesk.sdk import (
    ConnectAttemptError,
    ConnectionLostError,
    ConnectTimeoutError,
    HostNotFoundError,
    HubNotFoundError,
    MesoLiveControlHubClient,
    MesoLiveDataHubClient,
    NotConnectedError,
    SignalRAuthError,
    SignalRError,
    SignalRTLSError,
)
from mesodesk.sdk._signalr import SignalRConnection
from mesodesk.sdk._signalr.diagnose import is_connection_closed
from tests.sdk.conftest import FAST, until

SPX = LiveUnderlying(symbol="SPX")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def restartable(tmp_path: Path, api_key: str) -> Any:
    from mesodesk.sim.server import SimulatorServer

    server = SimulatorServer(tmp_path / "sim", api_key, seed=11, tick_interval=0.05)
    await server.start(port=0)
    return server


async def restart(server: Any, tmp_path: Path, api_key: str, down_for: float) -> Any:
    from mesodesk.sim.server import SimulatorServer

    port = server.port
    await server.stop()
    await asyncio.sleep(down_for)
    fresh = SimulatorServer(tmp_path / "sim", api_key, seed=11, tick_interval=0.05)
    await fresh.start(port=port)
    return fresh


# -- reads wait for the reconnect ------------------------------------------------------------------------
async def test_a_read_during_a_simulator_restart_succeeds_after_the_reconnect(tmp_path: Path, api_key: str) -> None:
    server = await restartable(tmp_path, api_key)
    control = MesoLiveControlHubClient(server.url, api_key, **FAST)
    strict = MesoLiveControlHubClient(server.url, api_key, wait_for_reconnect=False, **FAST)
    await asyncio.gather(control.connect(), strict.connect())
    try:
        port = server.port
        await server.stop()
        await until(lambda: not control.connected and not strict.connected)
        reads = asyncio.gather(control.list_agents(), control.list_accounts(limit=1))  # while nothing listens
        # the old behaviour on request, and writes never wait for a reconnect
        with pytest.raises(NotConnectedError):
            await strict.list_agents()
        with pytest.raises(NotConnectedError):
            await control.send_order(broker_account_id="ML10001", exec_plan_id=1, leg_group_id=1,
                                     leg_group_order={"OrderType": "Market", "LegNames": ["a"]})
        t0 = time.monotonic()
        with pytest.raises(NotConnectedError, match="waiting"):  # a read gives up at its own timeout
            await control.list_agents(timeout=0.3)
        assert 0.25 < time.monotonic() - t0 < 2
        await asyncio.sleep(0.5)
        assert not reads.done()
        from mesodesk.sim.server import SimulatorServer

        server = SimulatorServer(tmp_path / "sim", api_key, seed=11, tick_interval=0.05)
        await server.start(port=port)
        agents, accounts = await asyncio.wait_for(reads, 10)
        assert agents.agents and len(accounts.items) == 1
    finally:
        await asyncio.gather(control.close(), strict.close())
        await server.stop()


async def test_a_read_in_flight_when_the_connection_drops_is_sent_again(simulator: Any, api_key: str) -> None:
    async with MesoLiveControlHubClient(simulator.url, api_key, **FAST) as control:
        slow = asyncio.Event()
        hub = next(h for h in simulator.signalr._hubs.values() if h.name == "control")
        original = hub.methods["ListAgents"]
        calls = {"n": 0}

        async def list_agents(*args: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 1:
                slow.set()
                await asyncio.sleep(3600)  # never answers: the connection drops meanwhile
            return await original.fn(*args)

        hub.methods["ListAgents"] = dataclasses.replace(original, fn=list_agents)
        try:
            read = asyncio.create_task(control.list_agents())
            await asyncio.wait_for(slow.wait(), 5)
            await simulator.signalr.disconnect_all()
            assert (await asyncio.wait_for(read, 10)).agents
            assert calls["n"] == 2 and control.connection.connection_count == 2
        finally:
            hub.methods["ListAgents"] = original


# -- streams resume -----------------------------------------------------------------------------------------
async def test_a_resumed_stream_survives_a_drop_and_a_restart_and_reports_the_gaps(tmp_path: Path,
                                                                                  api_key: str) -> None:
    server = await restartable(tmp_path, api_key)
    data = MesoLiveDataHubClient(server.url, api_key, **FAST)
    await data.connect()
    try:
        stream = data.stream_underlying_data(underlying=SPX, provider=DataProviderType.Simulated, resume=True)
        plain = data.stream_underlying_data(underlying=SPX, provider=DataProviderType.Simulated)
        await stream.__anext__()
        await plain.__anext__()
        await server.signalr.disconnect_all()
        with pytest.raises(ConnectionLostError):  # without resume: ends as before
            while True:
                await plain.__anext__()
        await asyncio.wait_for(stream.__anext__(), 10)  # with resume: items again
        while not stream.gaps:
            await asyncio.wait_for(stream.__anext__(), 10)
        server = await restart(server, tmp_path, api_key, down_for=0.5)
        while len(stream.gaps) < 2:
            await asyncio.wait_for(stream.__anext__(), 15)
        await asyncio.wait_for(stream.__anext__(), 10)
        gap = stream.gaps[1]
        assert gap.seconds >= 0.4 and gap.resumed_at > gap.lost_at and "connection lost" in gap.reason
        await stream.aclose()
    finally:
        await data.close()
        await server.stop()


async def test_a_resumed_stream_ends_when_the_client_closes(simulator: Any, api_key: str) -> None:
    data = MesoLiveDataHubClient(simulator.url, api_key, **FAST)
    await data.connect()
    stream = data.stream_underlying_data(underlying=SPX, provider=DataProviderType.Simulated, resume=True)
    await stream.__anext__()

    async def drain() -> None:
        while True:
            await stream.__anext__()

    consumer = asyncio.create_task(drain())
    await asyncio.sleep(0.1)
    await data.close()
    with pytest.raises(ConnectionLostError):
        await asyncio.wait_for(consumer, 5)


# -- connection errors ----------------------------------------------------------------------------------------
def sdk_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name.startswith("mesodesk.sdk") and r.levelno >= logging.WARNING]


async def test_a_wrong_port_is_one_line_with_a_hint_and_no_warning_flood(api_key: str,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    port = closed_port()
    client = MesoLiveControlHubClient(f"http://127.0.0.1:{port}", api_key,
                                      reconnect_backoff=lambda attempt: 0.05, connect_timeout=1.0)
    with caplog.at_level(logging.DEBUG), pytest.raises(ConnectTimeoutError) as info:
        await client.connect()
    err = info.value
    text = str(err)
    assert "\n" not in text and f"connection refused by 127.0.0.1:{port}" in text and "check the URL/port" in text
    assert "ConnectionKey" not in text and "ClientConnectorError" not in text
    assert isinstance(err.last_error, ConnectAttemptError) and err.__cause__ is err.last_error
    assert isinstance(err.last_error.__cause__, OSError)  # the raw error stays reachable
    assert client.connection.last_error is err.last_error
    assert sdk_warnings(caplog) == []  # attempts are INFO/DEBUG while connect() waits; the exception says it
    infos = [r for r in caplog.records if r.name == "mesodesk.sdk" and "failed" in r.getMessage()
             and r.levelno == logging.INFO]
    assert len(infos) == 1  # one line for the kind of failure, repeats at DEBUG


async def test_a_wrong_key_fails_at_once_with_the_status_and_a_hint(simulator: Any) -> None:
    t0 = time.monotonic()
    with pytest.raises(SignalRAuthError) as info:
        await MesoLiveControlHubClient(simulator.url, "not-the-key", **FAST).connect()
    assert time.monotonic() - t0 < 3
    assert info.value.status == 401
    assert "rejected the API key" in str(info.value) and "check the key" in str(info.value)
    assert SignalRAuthError("WebSocket upgrade rejected: HTTP 403").status == 403  # old spellings still parse


async def test_a_wrong_path_scheme_or_host_fails_at_once(simulator: Any, api_key: str) -> None:
    cases: list[tuple[str, type[ConnectTimeoutError], str]] = [
        (simulator.url + "/wrong", HubNotFoundError, "no MesoLive hub at"),
        (simulator.url.replace("http://", "https://"), SignalRTLSError, "does not speak TLS"),
        ("http://no-such-host.invalid:5057", HostNotFoundError, "host not found: no-such-host.invalid"),
    ]
    for url, kind, words in cases:
        client = MesoLiveControlHubClient(url, api_key, connect_timeout=20, **FAST)
        t0 = time.monotonic()
        with pytest.raises(kind) as info:
            await client.connect()
        assert time.monotonic() - t0 < 5, f"{kind.__name__} must not wait for the connect timeout"
        assert words in str(info.value) and ": " in str(info.value)
        assert isinstance(info.value, ConnectTimeoutError) and isinstance(info.value, SignalRError)
        assert client.state.value == "Disconnected"
    with pytest.raises(HubNotFoundError) as info:
        await MesoLiveControlHubClient(simulator.url + "/wrong", api_key, **FAST).connect()
    assert info.value.status == 404


async def test_sends_over_a_dead_socket_are_a_lost_connection_not_an_error_log(
        simulator: Any, caplog: pytest.LogCaptureFixture) -> None:
    assert is_connection_closed(RuntimeError("Connection is closed"))
    assert not is_connection_closed(RuntimeError("something else"))
    conn = SignalRConnection(simulator.url + "/hubs/control/v1")

    async def dead_send() -> None:
        raise RuntimeError("Connection is closed")

    with caplog.at_level(logging.DEBUG, "mesodesk.sdk"):
        await conn._spawn(dead_send())
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
