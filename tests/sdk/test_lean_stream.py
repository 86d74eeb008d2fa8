"""Lean stream items (mesodesk.sdk.lean): the same values as the pydantic path, within float
precision, on frames the simulator sends in every wire dialect; the tolerant-read cases taken
or handed to the pydantic path; and the pydantic path's errors on malformed items."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from mesodesk.contract import LegDataEntry, LegsDataEntry, LiveDataInclude, PositionDataEntry
from mesodesk.sdk import MesoLiveDataHubClient
from mesodesk.sdk._hub import HubStream
from mesodesk.sdk._signalr import SignalRConnection
from mesodesk.sdk._stream import RawItem, exact_loads, keep_raw
from mesodesk.sdk._wire import reader
from mesodesk.sdk.lean import (
    LeanHubStream,
    LeanItem,
    LeanLegData,
    LeanLegsData,
    LeanPositionData,
    LeanPrices,
    lean_of,
    lean_reader,
)
from mesodesk.sim.dialect import WireDialect
from mesodesk.sim.server import SimulatorServer
from mesodesk.sim.signalr import Hub, ServerConnection, SignalRServer
from tests.conftest import API_KEY

DIALECTS = ["pascal", "camel", "aspnet", "pascal+dotnet-datetimes"]
ALL = {"include_position": LiveDataInclude.All, "include_legs": LiveDataInclude.All,
       "include_leg_groups": LiveDataInclude.All}


# ----------------------------------------------------------------------------- comparing


def same_values(lean: Any, exact: Any, path: str = "$") -> int:
    """Assert that a lean value holds the pydantic value: each number the float nearest to the
    exact Decimal, each timestamp the same instant, the same keys and nulls. Returns how many
    numbers were compared."""
    if isinstance(exact, BaseModel):
        assert isinstance(lean, LeanItem), path
        assert set(lean.__struct_fields__) == set(type(exact).model_fields), path
        return sum(same_values(getattr(lean, name), getattr(exact, name), f"{path}.{name}")
                   for name in lean.__struct_fields__)
    if isinstance(exact, dict):
        assert isinstance(lean, dict) and lean.keys() == exact.keys(), path
        return sum(same_values(lean[k], exact[k], f"{path}[{k}]") for k in exact)
    if isinstance(exact, Decimal):
        assert type(lean) is float and lean == float(exact), (path, lean, exact)
        return 1
    if isinstance(exact, datetime):
        assert isinstance(lean, datetime) and lean == exact and lean.utcoffset() == exact.utcoffset(), path
        return 0
    assert lean == exact and type(lean) is type(exact), (path, lean, exact)
    return 0


def item_bytes(raw: RawItem) -> bytes:
    assert raw.start >= 0
    return raw.record[raw.start:-1]


# ----------------------------------------------------------------------------- captured frames


async def capture(url: str, method: str, args: dict[str, Any], count: int) -> list[RawItem]:
    """``count`` StreamItem records exactly as the transport hands them over."""
    async with MesoLiveDataHubClient(url, API_KEY) as data:
        stream = data.connection.stream(method, args, maxsize=count)
        stream.loads = keep_raw
        got: list[RawItem] = []
        async for raw in stream:
            got.append(raw)
            if len(got) == count:
                break
        await stream.aclose()
    return got


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, list[RawItem]]]]:
    """Real frames from the simulator, per wire dialect: 6 items each of StreamPositionData,
    StreamLegData and StreamLegsData."""
    import asyncio

    async def run() -> dict[str, dict[str, list[RawItem]]]:
        out: dict[str, dict[str, list[RawItem]]] = {}
        for spec in DIALECTS:
            server = SimulatorServer(Path(tmp_path_factory.mktemp(spec.replace("+", "_"))), API_KEY, seed=42,
                                     speed=60.0, tick_interval=0.05, wire_dialect=WireDialect.parse(spec))
            await server.start(port=0)
            try:
                out[spec] = {
                    "StreamPositionData": await capture(server.url, "StreamPositionData", {"PositionId": 1}, 6),
                    "StreamLegData": await capture(server.url, "StreamLegData", {"LegId": 1}, 6),
                    "StreamLegsData": await capture(server.url, "StreamLegsData", {"LegIds": [1, 2]}, 6),
                }
            finally:
                await server.stop()
        return out

    yield asyncio.run(run())


TYPES = {"StreamPositionData": (PositionDataEntry, LeanPositionData), "StreamLegData": (LegDataEntry, LeanLegData),
         "StreamLegsData": (LegsDataEntry, LeanLegsData)}


@pytest.mark.parametrize("spec", DIALECTS)
@pytest.mark.parametrize("method", list(TYPES))
def test_captured_frames_decode_to_the_pydantic_values(frames: dict[str, dict[str, list[RawItem]]], spec: str,
                                                       method: str) -> None:
    model, lean_type = TYPES[method]
    decoder = lean_reader(lean_type)
    refused = decoder.refused
    numbers = 0
    for raw in frames[spec][method]:
        exact = reader(model, sampled=True).read(raw.decode(exact_loads))  # the default path
        lean = decoder.decode(item_bytes(raw))
        assert isinstance(lean, lean_type), "the compiled decoder took the frame"
        numbers += same_values(lean, exact)
        assert lean.to_model() == exact  # Decimals of the floats: the wire's values (<= 15 digits)
        assert lean_of(exact) == lean
    assert decoder.refused == refused
    assert numbers >= 6 * 20  # not vacuous: every frame carries prices, greeks and P&L
    if method == "StreamPositionData":
        entry = decoder.decode(item_bytes(frames[spec][method][0]))
        assert entry is not None and entry.leg_prices and entry.leg_greeks and entry.leg_pnls
    camel = spec.startswith("camel") or spec == "aspnet"
    assert (b'"timestamp"' in item_bytes(frames[spec][method][0])) is camel
    if "dotnet" in spec or spec == "aspnet":  # 7 fraction digits: truncated to microseconds, as pydantic does
        assert b'0Z"' in item_bytes(frames[spec][method][0])


# ----------------------------------------------------------------------------- crafted variants

BASE = {"PositionId": 7, "Timestamp": "2026-11-24T14:30:00.747619Z",
        "UnderlyingPrice": {"Bid": 5999.75, "Ask": 6000.25, "Last": 6000.00, "Mark": 6000.0,
                            "UpdatedAt": "2026-11-24T14:30:00Z"},
        "PositionPnLs": {"Mark": -123.45, "Realized": 10.5},
        "LegPrices": {"3": {"Bid": 2.675, "Ask": 2.7, "Mid": 2.6875}},
        "LegGreeks": {"3": {"Mark": {"Delta": -3.2676, "IV": 17.49, "WVega": 1.25}}},
        "LegPnLs": {"3": {"Mark": 55.1, "Realized": 0}}}


def text(value: Any) -> bytes:
    return json.dumps(value).encode()


def exact_of(data: bytes) -> PositionDataEntry:
    return reader(PositionDataEntry, sampled=True).read(exact_loads(data))  # type: ignore[no-any-return]


def camel_keys(value: Any) -> Any:
    from mesodesk.contract.wire_read import camel_alias

    if isinstance(value, dict):
        return {(camel_alias(k) if k[:1].isupper() else k): camel_keys(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("name", "variant"), [
    ("7-digit fractions", {**BASE, "Timestamp": "2026-11-24T14:30:00.7476199Z"}),
    ("an offset", {**BASE, "Timestamp": "2026-11-24T16:30:00.5+02:00"}),
    ("no zone", {**BASE, "Timestamp": "2026-11-24T14:30:00"}),
    ("lower-case z", {**BASE, "Timestamp": "2026-11-24T14:30:00z"}),
    ("camelCase", camel_keys(BASE)),
    ("nulls everywhere", {k: None for k in BASE}),
    ("empty", {}),
    ("big ints", {**BASE, "LegPrices": {"3": {"Bid": 10 ** 20}}}),
])
def test_tolerated_variants_are_decoded_directly(name: str, variant: dict[str, Any]) -> None:
    decoder = lean_reader(LeanPositionData)
    data = text(variant)
    exact = exact_of(data)
    lean = decoder.decode(data)
    assert lean is not None, name
    same_values(lean, exact)
    assert isinstance(lean, LeanPositionData)
    decoder.decode(text(BASE))  # back to PascalCase for the next case


@pytest.mark.parametrize(("name", "variant"), [
    ("an unknown property", {**BASE, "Novel": 1}),
    ("an unknown nested property", {**BASE, "LegPrices": {"3": {"Bid": 1.5, "Spread": 0.1}}}),
    ("numbers as strings", {**BASE, "PositionPnLs": {"Mark": "-123.45"}}),
    ("snake_case names", {"position_id": 7, "underlying_price": {"bid": 1.5}}),
    ("mixed dialects", {**camel_keys(BASE), "LegPrices": {"3": {"Bid": 2.5}}}),
    ("an integral float id", {**BASE, "PositionId": 7.0}),
    ("a unix-time timestamp", {**BASE, "Timestamp": 1764000000}),
])
def test_other_variants_are_refused_by_the_decoder_and_read_by_the_default_path(
        name: str, variant: dict[str, Any]) -> None:
    data = text(variant)
    exact = exact_of(data)  # the default path reads it (tolerantly)
    decoder = lean_reader(LeanPositionData)
    assert decoder.decode(data) is None, name
    same_values(lean_of(exact), exact)  # ... and what the lean stream yields for it holds every value


# ----------------------------------------------------------------------------- through a real socket

MALFORMED = {
    "a wrong type": b'{"PositionId":"seven"}',
    "a wrong nested type": b'{"UnderlyingPrice":{"Bid":"abc"}}',
    "a list": b"[1,2,3]",
    "a bad timestamp": b'{"Timestamp":"2026-13-40T00:00:00Z"}',
    "a bad leg id": b'{"LegPrices":{"x":{"Bid":1}}}',
    "truncated JSON": b'{"PositionId":1,"UnderlyingPrice":{"Bid":1',
    "a bare string": b'"hello"',
}


@pytest.fixture
async def items_server() -> AsyncIterator[tuple[str, dict[str, list[bytes]]]]:
    """A hub whose stream ``Items(name)`` sends the byte items of ``scripts[name]`` verbatim."""
    scripts: dict[str, list[bytes]] = {}
    hub = Hub("items")

    @hub.stream("Items")
    async def items(conn: ServerConnection, name: str) -> AsyncIterator[Any]:
        for data in scripts[name]:
            yield orjson.Fragment(data)

    server = SignalRServer()
    server.add_hub("/hubs/items", hub)
    await server.start(port=0)
    try:
        yield server.url + "/hubs/items", scripts
    finally:
        await server.stop()


async def read_all(stream: Any) -> tuple[list[Any], BaseException | None]:
    got: list[Any] = []
    try:
        async for item in stream:
            got.append(item)
    except Exception as exc:
        return got, exc
    return got, None


async def test_lean_and_default_streams_agree_item_by_item(items_server: tuple[str, dict[str, list[bytes]]]) -> None:
    url, scripts = items_server
    variants = [text(BASE), text(camel_keys(BASE)), text({**BASE, "Novel": {"x": 1}}),
                text({**BASE, "Timestamp": "2026-11-24T14:30:00.1234567+01:00"}), text(BASE)]
    scripts["ok"] = variants
    async with SignalRConnection(url, connect_timeout=5) as conn:
        exact, error = await read_all(HubStream(conn.stream("Items", "ok", maxsize=64), PositionDataEntry))
        assert error is None
        stream = LeanHubStream(conn.stream("Items", "ok", maxsize=64), PositionDataEntry, LeanPositionData)
        refused = stream.refused
        lean, error = await read_all(stream)
    assert error is None and len(lean) == len(exact) == len(variants)
    for lean_item, exact_item in zip(lean, exact, strict=True):
        assert isinstance(lean_item, LeanPositionData)
        same_values(lean_item, exact_item)
    assert stream.refused == refused + 1  # the unknown property: read by the default path


@pytest.mark.parametrize("name", list(MALFORMED))
async def test_a_malformed_item_raises_the_default_paths_error(items_server: tuple[str, dict[str, list[bytes]]],
                                                               name: str) -> None:
    url, scripts = items_server
    scripts[name] = [text(BASE), MALFORMED[name]]
    async with SignalRConnection(url, connect_timeout=5) as conn:
        exact, exact_error = await read_all(HubStream(conn.stream("Items", name), PositionDataEntry))
        lean, lean_error = await read_all(LeanHubStream(conn.stream("Items", name), PositionDataEntry,
                                                        LeanPositionData))
    assert len(exact) == len(lean) == 1
    assert exact_error is not None and lean_error is not None
    assert type(lean_error) is type(exact_error)
    assert str(lean_error) == str(exact_error)


async def test_the_data_client_opt_in(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """``lean=True`` on the public client: lean items of the live position; the default stays pydantic."""
    server = SimulatorServer(tmp_path / "sim", API_KEY, seed=42, speed=60.0, tick_interval=0.05,
                             wire_dialect=WireDialect.parse("aspnet"))
    await server.start(port=0)
    try:
        async with MesoLiveDataHubClient(server.url, API_KEY) as data:
            caplog.set_level(logging.INFO, "mesodesk.sdk.lean")
            lean_stream = data.stream_position_data(position_id=1, lean=True, **ALL)
            refused = lean_stream.refused  # type: ignore[attr-defined]
            async with lean_stream:
                entries = [await lean_stream.__anext__() for _ in range(3)]
            async with data.stream_position_data(position_id=1, **ALL) as default:
                first = await default.__anext__()
            async with data.stream_leg_data(leg_id=1, lean=True) as legs:
                leg = await legs.__anext__()
    finally:
        await server.stop()
    assert all(isinstance(e, LeanPositionData) and e.position_id == 1 for e in entries)
    assert isinstance(first, PositionDataEntry)
    assert lean_stream.refused == refused  # type: ignore[attr-defined]  # camelCase: decoded directly
    assert isinstance(leg, LeanLegData) and isinstance(leg.prices, LeanPrices) and leg.leg_id == 1
    model = entries[-1].to_model()
    assert isinstance(model, PositionDataEntry) and model.position_id == 1
    assert isinstance(model.underlying_price.mark, Decimal)  # type: ignore[union-attr]


# ----------------------------------------------------------------------------- any values

decimals = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), allow_nan=False, allow_infinity=False,
                       places=4)
maybe = st.one_of(st.none(), decimals)
prices = st.fixed_dictionaries({}, optional={k: maybe for k in ("Bid", "Ask", "Last", "Mark", "Mid")})
greek_values = st.fixed_dictionaries({}, optional={k: maybe for k in ("Delta", "Gamma", "IV", "WVega")})
entries = st.fixed_dictionaries({"PositionId": st.integers(1, 2 ** 40)}, optional={
    "UnderlyingPrice": prices,
    "PositionPnLs": st.fixed_dictionaries({}, optional={"Mark": maybe, "Realized": maybe}),
    "LegPrices": st.dictionaries(st.integers(1, 10 ** 6).map(str), prices, max_size=4),
    "LegGreeks": st.dictionaries(st.integers(1, 10 ** 6).map(str), st.fixed_dictionaries({"Mark": greek_values}),
                                 max_size=4),
})


def wire_text(value: Any) -> bytes:
    """JSON with every Decimal written as its own text (as the server writes numbers)."""
    def default(obj: Any) -> Any:
        if isinstance(obj, Decimal):
            return orjson.Fragment(format(obj, "f").encode())
        raise TypeError
    return orjson.dumps(value, default=default)


@settings(max_examples=150, deadline=None)
@given(entries)
def test_any_values_decode_to_the_pydantic_values(entry: dict[str, Any]) -> None:
    data = wire_text(entry)
    exact = exact_of(data)
    lean = lean_reader(LeanPositionData).decode(data)
    assert lean is not None
    same_values(lean, exact)
    assert lean.to_model() == exact  # 4 places and |x| <= 1e9: at most 13 significant digits
