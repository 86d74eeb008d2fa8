"""Slow consumer: a client that opens several StreamPositionData streams and then never reads
(but keeps pinging, so it is not timed out) must not grow the simulator's memory, and
the simulator keeps serving other clients meanwhile.

The simulator is a real subprocess; its RSS (/proc/PID/status VmRSS) is sampled
throughout. Socket buffers fill in the first second or two (back-pressure then stalls
the stream writers), so growth is measured from a short warm-up on.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mesodesk.contract import DataProviderType, LiveDataInclude, LiveUnderlying
from mesodesk.sdk import MesoLiveControlHubClient, MesoLiveDataHubClient

from .conftest import API_KEY, FAST, SimProcess, prepare_plans, rss_kib
from .raw import RawClient
from .workload import Ledger, idempotent_write

STREAMS = 8
WARMUP = 2.0
GROWTH_BOUND_KIB = 16 * 1024  # flat: allocator noise and caches, not a queue per item


async def run_slow_consumer(sim_factory: Any, tmp_path: Path, figures: dict[str, Any], seconds: float) -> None:
    data_dir = tmp_path / "sim"
    papers, _ = prepare_plans(data_dir, paper=1, broker=0)
    sim: SimProcess = sim_factory(data_dir)
    url = await sim.start()
    async with MesoLiveControlHubClient(url, API_KEY, **FAST) as control:
        ack = await idempotent_write(control, Ledger(), "paper", "slow-open", papers[0])
        assert ack is not None
        position_id = [p async for p in control.iter_positions()][0].id
    args = {"PositionId": position_id, "IncludePosition": "All", "IncludeLegs": "All", "IncludeLegGroups": "All"}

    async with aiohttp.ClientSession() as session:
        stalled = await RawClient.connect(url, "/hubs/data/v1", API_KEY, session=session)
        for i in range(STREAMS):
            await stalled.send({"type": 4, "invocationId": f"stall{i}", "target": "StreamPositionData",
                                "arguments": [args]})
        # from here on the stalled client never reads; it only pings (it looks alive)
        served: list[float] = []
        calls: list[float] = []
        samples: list[tuple[float, int]] = []
        stop = asyncio.Event()

        async def pinger() -> None:
            while not stop.is_set():
                await stalled.send({"type": 6})
                await asyncio.sleep(2.0)

        async def good_client() -> None:
            async with MesoLiveDataHubClient(url, API_KEY, **FAST) as data:
                stream = data.stream_underlying_data(underlying=LiveUnderlying(symbol="SPX"),
                                                     provider=DataProviderType.Simulated)
                async with stream:
                    async for _ in stream:
                        served.append(time.monotonic())
                        if len(served) % 20 == 0:
                            await data.get_position_snapshot(position_id=position_id,
                                                             include_position=LiveDataInclude.All,
                                                             include_legs=LiveDataInclude.All,
                                                             include_leg_groups=LiveDataInclude.All, timeout=5)
                            calls.append(time.monotonic())
                        if stop.is_set():
                            return

        tasks = [asyncio.create_task(pinger()), asyncio.create_task(good_client())]
        t0 = time.monotonic()
        try:
            while time.monotonic() - t0 < seconds:
                samples.append((time.monotonic() - t0, rss_kib(sim.pid)))
                for t in tasks:
                    if t.done():
                        t.result()
                await asyncio.sleep(0.25)
        finally:
            stop.set()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        assert sim.proc is not None and sim.proc.returncode is None
        # the stalled connection is still open and still usable once it reads again
        assert not stalled.ws.closed
        await stalled.close()

    warm = [rss for at, rss in samples if at >= WARMUP]
    start, end, peak = warm[0], warm[-1], max(warm)
    figures.update(stalled_streams=STREAMS, seconds=seconds, rss_kib_at_start=samples[0][1],
                   rss_kib_after_warmup=start, rss_kib_end=end, rss_kib_max=peak, growth_kib=peak - start,
                   other_client_items=len(served), other_client_calls=len(calls))
    assert peak - start < GROWTH_BOUND_KIB, f"RSS grew {peak - start} KiB under a stalled client: {samples}"
    # served meanwhile: items kept arriving in every second of the measurement
    gaps = [b - a for a, b in zip([t0, *served], [*served, t0 + seconds], strict=True)]
    assert len(served) > seconds * 2 and max(gaps) < 2.0, f"other client starved: max gap {max(gaps):.2f}s"
    assert calls, "no snapshot call completed meanwhile"


@pytest.mark.timeout(120)
async def test_slow_consumer_quick(sim_factory: Any, tmp_path: Path, figures: dict[str, Any]) -> None:
    await run_slow_consumer(sim_factory, tmp_path, figures, seconds=10.0)


@pytest.mark.heavy
@pytest.mark.timeout(300)
async def test_slow_consumer_heavy(sim_factory: Any, tmp_path: Path, figures: dict[str, Any]) -> None:
    await run_slow_consumer(sim_factory, tmp_path, figures, seconds=30.0)
