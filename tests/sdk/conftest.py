"""SDK test fixtures: connected clients against the simulator and a scripted server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from mesodesk.sdk import MesoLiveControlHubClient, MesoLiveDataHubClient, MesoLiveEventHubClient
from tests.sdk.scripted import ScriptedServer

FAST = {"reconnect_backoff": lambda attempt: 0.05 if attempt else 0.0, "invoke_timeout": 10.0}


async def until(cond: Any, timeout: float = 10.0) -> None:
    """Wait until ``cond()`` is true (polling: conditions span processes and sockets)."""
    async with asyncio.timeout(timeout):
        while not cond():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def server_has(simulator: Any, hub: str, method: str) -> bool:
    """Whether the simulator's ``hub`` implements ``method`` yet."""
    for h in simulator.signalr._hubs.values():
        if h.name == hub:
            return method in h.methods
    return False


def require(simulator: Any, hub: str, *methods: str) -> None:
    missing = [m for m in methods if not server_has(simulator, hub, m)]
    if missing:
        pytest.skip(f"simulator {hub} hub lacks {', '.join(missing)} (being built by the server engineers)")


@pytest.fixture
async def control(simulator: Any, api_key: str) -> AsyncIterator[MesoLiveControlHubClient]:
    async with MesoLiveControlHubClient(simulator.url, api_key, **FAST) as client:
        yield client


@pytest.fixture
async def data(simulator: Any, api_key: str) -> AsyncIterator[MesoLiveDataHubClient]:
    async with MesoLiveDataHubClient(simulator.url, api_key, **FAST) as client:
        yield client


@pytest.fixture
async def events(simulator: Any, api_key: str) -> AsyncIterator[MesoLiveEventHubClient]:
    async with MesoLiveEventHubClient(simulator.url, api_key, **FAST) as client:
        yield client


@pytest.fixture
async def scripted() -> AsyncIterator[ScriptedServer]:
    server = ScriptedServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
