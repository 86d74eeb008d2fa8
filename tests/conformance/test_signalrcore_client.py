"""signalrcore (a third-party Python client, default settings) against the MesoLive simulator.

signalrcore 1.0.x asks for version 0 of the JSON hub protocol (it sends the negotiate
version), which ASP.NET Core accepts (``version <= Version``): connect, invoke, list with
paging, stream, receive a pushed event, and be refused with a wrong token. It runs its own
threads with blocking sockets, so every call into it leaves the event loop (which serves
the simulator) through ``asyncio.to_thread``. Results are checked in the simulator's wire
dialect (``$MESODESK_WIRE_DIALECT``): the client passes JSON through untouched.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import urllib.error
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from mesodesk.contract import HUB_PATHS, AgentStatus, BrokerType, StatusCode
from mesodesk.sim.dialect import WireDialect
from mesodesk.sim.seed import BROKER_ACCOUNT, PAPER_ACCOUNT
from mesodesk.sim.server import SimulatorServer

signalrcore = pytest.importorskip("signalrcore.hub_connection_builder")

pytestmark = pytest.mark.timeout(60)

KEY = "signalrcore-key-0123456789"
WAIT = 10.0


class Client:
    """One signalrcore hub connection, built with default settings plus the token."""

    def __init__(self, url: str, token: str) -> None:
        self.opened = threading.Event()
        self.closed = threading.Event()
        self.errors: queue.Queue[Any] = queue.Queue()
        self.hub = (
            signalrcore.HubConnectionBuilder()
            .with_url(url, options={"access_token_factory": lambda: token})
            .build()
        )
        self.hub.on_open(self.opened.set)
        self.hub.on_close(self.closed.set)
        self.hub.on_error(self.errors.put)

    async def start(self) -> None:
        assert await asyncio.to_thread(self.hub.start)
        assert await asyncio.to_thread(self.opened.wait, WAIT), "no handshake response"

    async def stop(self) -> None:
        await asyncio.to_thread(self.hub.stop)

    async def invoke(self, method: str, *args: Any) -> Any:
        done: queue.Queue[Any] = queue.Queue()
        await asyncio.to_thread(self.hub.invoke, method, list(args), done.put)
        completion = await asyncio.to_thread(done.get, True, WAIT)
        return completion.result

    async def stream(self, method: str, *args: Any, count: int) -> list[Any]:
        """The first ``count`` items of a stream (the connection is closed after it). A stream's
        error goes to ``errors`` (signalrcore calls ``on_error``, not the subscriber's ``error``)."""
        items: queue.Queue[Any] = queue.Queue()

        def subscribe() -> None:
            self.hub.stream(method, list(args)).subscribe(
                {"next": items.put, "complete": lambda m: items.put(("complete", m)),
                 "error": lambda m: items.put(("error", m))})

        await asyncio.to_thread(subscribe)
        return [await asyncio.to_thread(items.get, True, WAIT) for _ in range(count)]


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[SimulatorServer]:
    # signalrcore's stop() closes its socket and joins the thread blocked in recv(), which returns
    # with the next frame: quick pings keep that short
    server = SimulatorServer(tmp_path / "sim", KEY, seed=7, tick_interval=0.05, keep_alive_interval=0.5,
                             wire_dialect=WireDialect.from_env())
    await server.start(port=0)
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture(autouse=True)
def _quiet_signalrcore() -> None:
    logging.getLogger("SignalRCoreClient").setLevel(logging.WARNING)


async def until(cond: Any, timeout: float = WAIT) -> None:
    async with asyncio.timeout(timeout):
        while not cond():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def test_signalrcore_invoke_list_and_protocol_version_0(sim: SimulatorServer) -> None:
    dialect, n = sim.wire_dialect, sim.wire_dialect.name
    client = Client(sim.url + HUB_PATHS["control"], KEY)
    await client.start()
    try:
        [conn] = sim.signalr.connections
        assert conn.protocol_version == 0, "signalrcore 1.0 sends version 0; the server took it"

        account = await client.invoke("GetAccount", {"BrokerAccountId": PAPER_ACCOUNT})
        assert account[n("Status")] == dialect.value(StatusCode.Success)
        assert account[n("Error")] is None
        data = account[n("Data")]
        assert data[n("BrokerAccountId")] == PAPER_ACCOUNT and data[n("IsPaperAccount")] is True
        assert data[n("BrokerType")] == dialect.value(BrokerType.MesoLivePaper)

        # List*, page by page through ContinuationToken
        seen: list[str] = []
        token = None
        for _ in range(10):
            page = await client.invoke("ListAccounts", {"Limit": 1, "ContinuationToken": token})
            assert page[n("Status")] == dialect.value(StatusCode.Success)
            items = page[n("Data")][n("Items")]
            assert len(items) == 1
            seen.append(items[0][n("BrokerAccountId")])
            token = page[n("Data")][n("ContinuationToken")]
            if token is None:
                break
        assert set(seen) == {PAPER_ACCOUNT, BROKER_ACCOUNT} and len(seen) == 2

        failed = await client.invoke("GetAccount", {"BrokerAccountId": "nope"})
        assert failed[n("Status")] == dialect.value(StatusCode.NotFound)
        assert failed[n("Error")][n("Code")] == "NotFound"
        assert client.errors.empty()
    finally:
        await client.stop()
    await until(lambda: not sim.signalr.connections)


async def test_signalrcore_stream(sim: SimulatorServer) -> None:
    n = sim.wire_dialect.name
    client = Client(sim.url + HUB_PATHS["data"], KEY)
    await client.start()
    try:
        items = await client.stream("StreamUnderlyingData",
                                    {"Underlying": {"Symbol": "SPX"}, "Provider": "Simulated"}, count=3)
        for item in items:
            assert isinstance(item, dict), item  # not ("complete", ...)
            assert item[n("Symbol")] == "SPX"
            prices = item[n("Prices")]
            assert prices[n("Bid")] < prices[n("Ask")]
        assert client.errors.empty(), client.errors.get()
        assert sim.context.active_streams == 1
    finally:
        await client.stop()
    await until(lambda: not sim.signalr.connections and sim.context.active_streams == 0)


async def test_signalrcore_receives_pushed_events(sim: SimulatorServer) -> None:
    dialect, n = sim.wire_dialect, sim.wire_dialect.name
    client = Client(sim.url + HUB_PATHS["event"], KEY)
    events: queue.Queue[Any] = queue.Queue()
    client.hub.on("OnAgentStatusChange", events.put)
    await client.start()
    try:
        latest = await client.invoke("GetLatestEventSeqId", {})
        sim.context.agents.set_status(AgentStatus.Degraded, "slow feed")
        [event] = await asyncio.to_thread(events.get, True, WAIT)
        assert event[n("Status")] == dialect.value(AgentStatus.Degraded)
        assert event[n("Message")] == "slow feed"
        assert event[n("EventSeqId")] == latest[n("Data")][n("LatestEventSeqId")] + 1
    finally:
        await client.stop()


async def test_signalrcore_wrong_token_is_refused(sim: SimulatorServer) -> None:
    client = Client(sim.url + HUB_PATHS["control"], "not-the-key")
    with pytest.raises(urllib.error.HTTPError) as info:
        await asyncio.to_thread(client.hub.start)
    assert info.value.code == 401
    assert not client.opened.is_set() and not sim.signalr.connections
