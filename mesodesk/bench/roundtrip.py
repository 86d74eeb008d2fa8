"""Invocation round trip: ``get_position`` through the SDK vs the same call as raw frames."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import orjson

from mesodesk.bench._util import figure, percentile
from mesodesk.bench.simproc import SimulatorProcess
from mesodesk.sdk import MesoLiveControlHubClient

RS = b"\x1e"


async def sdk_calls(url: str, key: str, calls: int) -> list[float]:
    async with MesoLiveControlHubClient(url, key) as control:
        await control.get_position(position_id=1)  # warm-up
        latencies = []
        for _ in range(calls):
            t0 = time.perf_counter()
            details = await control.get_position(position_id=1)
            latencies.append(time.perf_counter() - t0)
            assert details.id == 1
        return latencies


async def raw_calls(url: str, key: str, calls: int) -> tuple[list[float], int]:
    ws_url = url.replace("http", "ws", 1) + f"/hubs/control/v1?access_token={key}"
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url, max_msg_size=0) as ws:
        await ws.send_str('{"protocol":"json","version":1}\x1e')
        await ws.receive()
        latencies, size = [], 0
        for i in range(calls + 1):
            frame = orjson.dumps({"type": 1, "invocationId": str(i), "target": "GetPosition",
                                  "arguments": [{"PositionId": 1}]}) + RS
            t0 = time.perf_counter()
            await ws.send_str(frame.decode())
            while True:
                msg = await ws.receive()
                data = msg.data if isinstance(msg.data, bytes) else msg.data.encode()
                records = [orjson.loads(r) for r in data.split(RS) if r]
                if any(r.get("type") == 3 for r in records):
                    size = len(data)
                    break
            if i:
                latencies.append(time.perf_counter() - t0)
        return latencies, size


def _summary(latencies: list[float]) -> dict[str, Any]:
    total = sum(latencies)
    return {"p50_ms": round(percentile(latencies, 50) * 1e3, 3), "p99_ms": round(percentile(latencies, 99) * 1e3, 3),
            "calls_per_s": round(len(latencies) / total)}


def run(calls: int) -> dict[str, Any]:
    with SimulatorProcess(bench=False, tick_interval=1.0) as sim:
        raw, size = asyncio.run(raw_calls(sim.url, sim.api_key, calls))
        sdk = asyncio.run(sdk_calls(sim.url, sim.api_key, calls))
    sdk_s, raw_s = _summary(sdk), _summary(raw)
    return figure(sdk_s, {"raw_aiohttp": raw_s, "response_bytes": size}, sdk_s["p50_ms"] / raw_s["p50_ms"],
                  ratio_means="SDK p50 ÷ raw p50 (1.0 = no SDK overhead)")
