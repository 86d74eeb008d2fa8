"""SDK stream ingest vs bare aiohttp clients and the official JS client, same stream.

Ours: ``sdk`` (the public path: pydantic models with exact Decimals) and ``console`` (the
console's path: lean msgspec items with float market values, :mod:`mesodesk.sdk.lean`, each
applied to the store, a position with its legs, as the session applies them).

Baselines: ``raw_aiohttp_orjson`` (frames split, parsed with orjson into dicts of floats: the
floor), ``raw_aiohttp_exact_decimal`` (the same, parsed with msgspec ``float_hook=Decimal`` into
dicts of exact Decimals, as the SDK parses: the floor *with* exactness), the official JS
client, and ``no_parse`` (a bare aiohttp WebSocket that counts item records without parsing
them: what the simulator can send to one client, ``server_items_per_s``; the raw client is
CPU-bound and measures itself). ``exactness_cpu_us_per_item`` is exact-raw minus raw (the cost
of exact Decimals), ``typing_cpu_us_per_item`` is SDK minus exact-raw (validated pydantic
models + the SDK's transport).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import orjson

from mesodesk.bench._util import figure, measure
from mesodesk.bench.simproc import SimulatorProcess
from mesodesk.contract import (
    LiveContract,
    LiveLeg,
    LivePosition,
    LivePositionState,
    LiveUnderlying,
    MesoContractType,
    PositionDataEntry,
    WireModel,
)
from mesodesk.core import store
from mesodesk.core.state import AppState, LegRow, PositionRow
from mesodesk.sdk import MesoLiveDataHubClient
from mesodesk.sdk._signalr import SignalRConnection
from mesodesk.sdk.lean import LeanHubStream, LeanPositionData

RS = b"\x1e"
JS_DIR = Path(__file__).resolve().parents[2] / "tests" / "conformance" / "js"


class SyntheticStreamArgs(WireModel):
    count: int


async def sdk_client(url: str, key: str, count: int) -> dict[str, Any]:
    """The SDK's typed stream path: adapter stream + PositionDataEntry validation per item."""
    connection = SignalRConnection(url + "/hubs/bench/v1", access_token_factory=lambda: key)
    client = MesoLiveDataHubClient(url, connection=connection)
    await client.connect()
    try:
        items = 0
        with measure() as m:
            async for entry in client._stream("StreamSyntheticPositionData", SyntheticStreamArgs(count=count),
                                              PositionDataEntry, count):
                assert entry.position_id is not None
                items += 1
        return {"items": items, "wall": m.wall, "cpu": m.cpu}
    finally:
        await client.close()


def _console_state(entry: LeanPositionData) -> AppState:
    """A store holding the streamed position (open) and every leg its items price."""
    now = datetime.now(UTC)
    state = AppState()
    pid = entry.position_id or 1
    state.positions.upsert(pid, PositionRow(LivePosition(
        id=pid, state=LivePositionState.Open, created_at=now, name="bench", broker_account_id="ML1",
        live_strategy_id=1, strategy_name="S", qty_multiplier=Decimal(1))))
    contract = LiveContract(contract_type=MesoContractType.Index, underlying=LiveUnderlying(symbol="SPX"))
    for leg_id in entry.leg_prices or {}:
        state.legs.upsert(leg_id, LegRow(LiveLeg(
            id=leg_id, name=f"leg{leg_id}", live_contract=contract, leg_group_id=1, created_at=now,
            live_position_id=pid, account_id="ML1", underlying="SPX", qty=Decimal(-1),
            avg_entry_price=Decimal(1))))
    return state


async def console_client(url: str, key: str, count: int) -> dict[str, Any]:
    """The console's path: lean stream items (msgspec, float market values), each applied to
    the store as the session applies it."""
    connection = SignalRConnection(url + "/hubs/bench/v1", access_token_factory=lambda: key)
    client = MesoLiveDataHubClient(url, connection=connection)
    await client.connect()

    def lean_stream(n: int) -> LeanHubStream[LeanPositionData]:
        return LeanHubStream(connection.stream("StreamSyntheticPositionData", {"Count": n}, maxsize=n),
                             PositionDataEntry, LeanPositionData)

    try:
        first = None
        async for entry in lean_stream(1):
            first = entry
        assert first is not None
        state = _console_state(first)
        pid = first.position_id or 1
        stream = lean_stream(count)
        refused = stream.refused
        items = 0
        now = datetime.now(UTC)
        with measure() as m:
            async for entry in stream:
                store.apply_stream_entry(state, pid, entry, now)
                items += 1
        assert state.stream_updates == items
        return {"items": items, "wall": m.wall, "cpu": m.cpu, "refused": stream.refused - refused}
    finally:
        await client.close()


@contextlib.asynccontextmanager
async def _bench_socket(url: str, key: str) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    """A bare aiohttp WebSocket to the bench hub, past the SignalR handshake."""
    ws_url = url.replace("http", "ws", 1) + f"/hubs/bench/v1?access_token={key}"
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url, max_msg_size=0) as ws:
        await ws.send_str('{"protocol":"json","version":1}\x1e')
        await ws.receive()
        yield ws


async def _start_stream(ws: aiohttp.ClientWebSocketResponse, count: int) -> None:
    await ws.send_str(orjson.dumps({"type": 4, "invocationId": "1", "target": "StreamSyntheticPositionData",
                                    "arguments": [{"Count": count}]}).decode() + "\x1e")


async def no_parse_client(url: str, key: str, count: int) -> dict[str, Any]:
    """What the simulator sends to one client: a bare aiohttp WebSocket that counts item records
    (``{"type":2,``) and parses none of them."""
    async with _bench_socket(url, key) as ws:
        items = 0
        with measure() as m:
            await _start_stream(ws, count)
            while True:
                msg = await ws.receive()
                if msg.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    raise RuntimeError(f"the stream ended with {msg.type.name}")
                data = msg.data if isinstance(msg.data, bytes) else msg.data.encode()
                items += data.count(b'{"type":2,')
                if b'{"type":3' in data:
                    break
        return {"items": items, "wall": m.wall, "cpu": m.cpu}


async def raw_client(url: str, key: str, count: int,
                     loads: Callable[[bytes], Any] = orjson.loads) -> dict[str, Any]:
    """The floor: a bare aiohttp WebSocket, frames split and parsed with ``loads`` into dicts."""
    async with _bench_socket(url, key) as ws:
        items = 0
        with measure() as m:
            await _start_stream(ws, count)
            done = False
            while not done:
                msg = await ws.receive()
                data = msg.data if isinstance(msg.data, bytes) else msg.data.encode()
                for record in data.split(RS):
                    if not record:
                        continue
                    message = loads(record)
                    kind = message.get("type")
                    if kind == 2:
                        items += 1
                    elif kind == 3:
                        done = True
        return {"items": items, "wall": m.wall, "cpu": m.cpu}


async def exact_raw_client(url: str, key: str, count: int) -> dict[str, Any]:
    """The floor with exact numbers: as :func:`raw_client`, but every JSON number with a fraction
    or exponent becomes ``Decimal(<its text>)`` (msgspec ``float_hook=Decimal``), into dicts."""
    return await raw_client(url, key, count, msgspec.json.Decoder(float_hook=Decimal).decode)


def node_client(url: str, key: str, count: int) -> dict[str, Any] | None:
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules" / "@microsoft" / "signalr").exists():
        return None
    script = Path(__file__).with_name("signalr_ingest.cjs")
    out = subprocess.run([node, str(script), url, key, str(count)], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "SIGNALR_JS_DIR": str(JS_DIR)})
    if out.returncode != 0:
        return {"error": out.stderr.strip()[-300:]}
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _rates(result: dict[str, Any]) -> dict[str, Any]:
    items = result["items"]
    return {"items": items, "items_per_s": round(items / result["wall"]),
            "cpu_us_per_item": round(result["cpu"] / items * 1e6, 2)}


def run(count: int) -> dict[str, Any]:
    with SimulatorProcess(bench=True, tick_interval=1.0) as sim:
        no_parse = asyncio.run(no_parse_client(sim.url, sim.api_key, count))
        raw = asyncio.run(raw_client(sim.url, sim.api_key, count))
        exact = asyncio.run(exact_raw_client(sim.url, sim.api_key, count))
        sdk = asyncio.run(sdk_client(sim.url, sim.api_key, count))
        console = asyncio.run(console_client(sim.url, sim.api_key, count))
        node = node_client(sim.url, sim.api_key, count)
    sdk_rates, raw_rates, exact_rates = _rates(sdk), _rates(raw), _rates(exact)
    console_rates, no_parse_rates = {**_rates(console), "refused": console["refused"]}, _rates(no_parse)
    node_rates = _rates(node) if node and "items" in node else node
    result = figure(
        {"sdk": sdk_rates, "console": console_rates},
        {"raw_aiohttp_orjson": raw_rates, "raw_aiohttp_exact_decimal": exact_rates, "no_parse": no_parse_rates,
         "official_js_client": node_rates or "node or @microsoft/signalr not found"},
        sdk_rates["items_per_s"] / raw_rates["items_per_s"],
        ratio_means="SDK items/s ÷ raw items/s",
        cpu_ratio_vs_raw=round(sdk_rates["cpu_us_per_item"] / raw_rates["cpu_us_per_item"], 3),
        console_cpu_ratio_vs_raw=round(console_rates["cpu_us_per_item"] / raw_rates["cpu_us_per_item"], 3),
        console_ratio_vs_raw=round(console_rates["items_per_s"] / raw_rates["items_per_s"], 3),
        server_items_per_s=no_parse_rates["items_per_s"],
        raw_client_items_per_s=raw_rates["items_per_s"],
        cpu_ratio_vs_exact_raw=round(sdk_rates["cpu_us_per_item"] / exact_rates["cpu_us_per_item"], 3),
        ratio_vs_exact_raw=round(sdk_rates["items_per_s"] / exact_rates["items_per_s"], 3),
        exactness_cpu_us_per_item=round(exact_rates["cpu_us_per_item"] - raw_rates["cpu_us_per_item"], 2),
        typing_cpu_us_per_item=round(sdk_rates["cpu_us_per_item"] - exact_rates["cpu_us_per_item"], 2),
    )
    if isinstance(node_rates, dict) and "items_per_s" in node_rates:
        result["ratio_vs_node"] = round(sdk_rates["items_per_s"] / node_rates["items_per_s"], 3)
        result["cpu_ratio_vs_node"] = round(sdk_rates["cpu_us_per_item"] / node_rates["cpu_us_per_item"], 3)
        result["console_ratio_vs_node"] = round(console_rates["items_per_s"] / node_rates["items_per_s"], 3)
    return result
