"""Session against the real in-process simulator: snapshots, streams into legs, stale flags, latency."""

from __future__ import annotations

import asyncio

from mesodesk.core.session import Session
from tests.conftest import API_KEY


async def _until(predicate, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met"
        await asyncio.sleep(0.05)


async def test_session_fills_state_and_streams_leg_blocks(simulator) -> None:
    session = Session(simulator.url, API_KEY)
    session.heartbeat_interval = 0.2
    try:
        await session.start()
        state = session.state
        assert len(state.accounts) >= 2 and len(state.agents) >= 1 and len(state.strategies) >= 3
        assert len(state.positions) == 4 and len(state.legs) >= 8
        assert sum(r.open_positions for r in state.strategies.values()) == 4
        await _until(lambda: all(leg.mark is not None and leg.greeks is not None for leg in state.legs.values()))
        await _until(lambda: state.latency_ms is not None)
        assert not any(state.stale.values())
        # Methods the simulator does not serve yet are remembered, not retried (and not fatal).
        for method in state.unsupported:
            assert method in {"ListOrders", "ListExecutions", "ListAgents", "ListStrategies", "ListLegs"}
    finally:
        await session.stop()
    assert session.state.stale["control"] and session.state.stale["data"]
