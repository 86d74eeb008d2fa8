"""The stream ingest fast path: exact decimals, same models as pydantic's own path, server frames."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import orjson
import pytest
from pydantic import BaseModel, TypeAdapter

from mesodesk.contract import LivePrices, PositionDataEntry, WireModel, dumps
from mesodesk.sdk._hub import HubStream
from mesodesk.sdk._signalr import SignalRConnection
from mesodesk.sdk._stream import RawItem, decimal_safe, exact_loads
from mesodesk.sim.signalr import Hub, ServerConnection, SignalRServer

ENTRY = (b'{"PositionId":7,"Timestamp":"2026-11-24T14:30:00.747619Z",'
         b'"UnderlyingPrice":{"Bid":5999.75,"Ask":6000.25,"Last":6000.00,"Mark":1E-8,'
         b'"Mid":12345678901234567890.123456789,"UpdatedAt":"2026-11-24T14:30:00Z"},'
         b'"LegPrices":{"3":{"Bid":0.1000000000000000055511151231257827,"Ask":-0.00,"Last":5}},'
         b'"LegGreeks":{"3":{"Mark":{"Delta":-3.2676,"IV":17.49}}}}')


def test_json_numbers_become_exact_decimals() -> None:
    entry = PositionDataEntry.model_validate(exact_loads(ENTRY))
    up = entry.underlying_price
    assert up is not None and entry.leg_prices is not None and entry.leg_greeks is not None
    assert str(up.last) == "6000.00"  # the wire text, trailing zeros included
    assert up.mark == Decimal("1E-8")
    assert up.mid == Decimal("12345678901234567890.123456789")  # 29 digits: a float keeps ~17
    leg = entry.leg_prices[3]
    assert leg.bid == Decimal("0.1000000000000000055511151231257827") and leg.last == 5
    assert entry.leg_greeks[3].mark is not None and entry.leg_greeks[3].mark.delta == Decimal("-3.2676")
    # and every value is what the float path gives, wherever a float can hold it
    floaty = PositionDataEntry.model_validate(orjson.loads(ENTRY))
    assert floaty.underlying_price is not None and floaty.underlying_price.bid == up.bid
    assert floaty.model_dump(exclude={"underlying_price": {"mid"}, "leg_prices": True}) == entry.model_dump(
        exclude={"underlying_price": {"mid"}, "leg_prices": True})


def test_raw_item_decodes_the_slice_or_falls_back_to_the_whole_record() -> None:
    record = b'{"type":2,"invocationId":"5","item":' + ENTRY + b"}"
    start = len(b'{"type":2,"invocationId":"5","item":')
    assert RawItem(record, start).decode(exact_loads) == exact_loads(ENTRY)
    with_headers = b'{"type":2,"invocationId":"5","item":{"Bid":1.50},"headers":{"a":"b"}}'
    assert RawItem(with_headers, start).decode(exact_loads) == {"Bid": Decimal("1.50")}
    assert RawItem(with_headers, -1).decode(orjson.loads) == {"Bid": 1.5}


class _Loose(WireModel):
    anything: Any = None


class _Floats(BaseModel):
    x: float
    n: int | None = None


def test_only_decimal_safe_item_types_get_the_exact_parser() -> None:
    assert decimal_safe(PositionDataEntry) and decimal_safe(LivePrices) and decimal_safe(_Floats)
    assert not decimal_safe(_Loose) and not decimal_safe(Any) and not decimal_safe(dict[str, Any])
    assert TypeAdapter(_Floats).validate_python(exact_loads(b'{"x":0.1,"n":2.0}')) == _Floats(x=0.1, n=2)


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, Hub]]:
    hub = Hub("fast")
    entry = orjson.Fragment(ENTRY)

    @hub.stream("Burst")
    async def burst(conn: ServerConnection, n: int) -> AsyncIterator[Any]:
        hub_state["conn"] = conn
        for _ in range(n):
            yield entry

    @hub.stream("Mixed")
    async def mixed(conn: ServerConnection) -> AsyncIterator[Any]:
        yield LivePrices(bid=Decimal("1.10"), ask=Decimal("1.20"))
        yield {"Bid": 2}

    hub_state: dict[str, Any] = {}
    srv = SignalRServer()
    srv.add_hub("/hubs/fast", hub)
    await srv.start(port=0)
    hub.state = hub_state  # type: ignore[attr-defined]
    try:
        yield srv.url + "/hubs/fast", hub
    finally:
        await srv.stop()


async def test_burst_is_coalesced_into_few_frames_and_arrives_complete(server: tuple[str, Hub]) -> None:
    url, hub = server
    async with SignalRConnection(url, connect_timeout=5) as conn:
        stream = HubStream(conn.stream("Burst", 3_000, maxsize=3_000), PositionDataEntry)
        items = [item async for item in stream]
    assert len(items) == 3_000 and stream.dropped == 0
    assert all(str(i.underlying_price.last) == "6000.00" for i in items)  # type: ignore[union-attr]
    frames = hub.state["conn"].frames_sent  # type: ignore[attr-defined]
    assert frames < 3_000 // 4  # several records per frame (bounded at 64 KiB)


async def test_models_and_plain_items_through_the_typed_stream(server: tuple[str, Hub]) -> None:
    url, _ = server
    async with SignalRConnection(url, connect_timeout=5) as conn:
        got = [p async for p in HubStream(conn.stream("Mixed"), LivePrices)]
    assert got == [LivePrices(bid=Decimal("1.10"), ask=Decimal("1.20")), LivePrices(bid=Decimal(2))]
    assert str(got[0].bid) == "1.10"
    assert dumps(got[0]).startswith(b'{"Bid":1.10,')


async def test_slow_client_does_not_grow_server_memory(server: tuple[str, Hub]) -> None:
    """A consumer that never reads: the server's queue stays bounded (back-pressure)."""
    url, hub = server
    async with SignalRConnection(url, connect_timeout=5) as conn:
        stream = HubStream(conn.stream("Burst", 1_000_000, maxsize=4), PositionDataEntry)
        await stream.__anext__()
        await asyncio.sleep(0.5)
        sconn = hub.state["conn"]  # type: ignore[attr-defined]
        from mesodesk.sim.signalr.connection import HIGH_WATER

        assert sconn._out_bytes <= HIGH_WATER + 2 * len(ENTRY) + 64
        await stream.aclose()


class _Sink:
    """Stands in for a SignalRStream in the transport's frame parser."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.wakes = 0

    def _push(self, item: Any) -> None:
        self.items.append(item)

    def _wake_up(self) -> None:
        self.wakes += 1


def _record(inv: str, item: bytes) -> bytes:
    return b'{"type":2,"invocationId":"' + inv.encode() + b'","item":' + item + b"}"


async def test_frame_parser_cuts_records_and_routes_items() -> None:
    """Records cut with find (not split): interleaved streams, empty records, items with extra
    keys, unknown invocations, a message between items and a frame without a trailing separator."""
    import weakref

    from mesodesk.sdk._signalr.transport import _Transport

    transport = object.__new__(_Transport)
    a, b = _Sink(), _Sink()
    transport.sinks = {"1": weakref.ref(a), "2": weakref.ref(b)}  # type: ignore[dict-item]
    seen: list[tuple[Any, int, int]] = []

    async def on_message(message: Any) -> None:
        seen.append((message, len(a.items), a.wakes))
        transport.sinks.pop("1")  # e.g. a Completion: later items of stream 1 are dropped

    transport._callback = on_message
    rs = b"\x1e"
    frame = rs.join([
        _record("1", b'{"Bid":1.10}'), b"", _record("1", b'{"Bid":1.20}'), _record("2", b"[1,2]"),
        _record("1", b'{"Bid":1.30}'),
        b'{"type":2,"invocationId":"1","item":{"Bid":1.40},"headers":{"h":"v"}}',  # not the fast form
        b'{"type":2,"item":{"Bid":1.50},"invocationId":"2"}',  # keys in another order
        _record("9", b"{}"),  # unknown invocation: dropped
        b'{"type":6}',  # a ping: dispatched, after the items before it are woken
        _record("1", b'{"Bid":1.60}'), _record("2", b'{"Bid":1.70}'),
    ])
    await transport._on_frame(frame + rs)
    assert [i.decode(exact_loads) for i in a.items] == [
        {"Bid": Decimal(v)} for v in ("1.10", "1.20", "1.30", "1.40")]
    assert [i.decode(exact_loads) for i in b.items] == [[1, 2], {"Bid": Decimal("1.50")}, {"Bid": Decimal("1.70")}]
    assert len(seen) == 1 and seen[0][1:] == (4, 1)  # woken once, before the ping
    assert a.wakes == 1 and b.wakes == 2
    await transport._on_frame(_record("2", b'{"Bid":1.80}'))  # no trailing separator
    assert b.items[-1].decode(exact_loads) == {"Bid": Decimal("1.80")}
    await transport._on_frame(_record("2", b'{"Bid":1.90') + rs + _record("2", b"7"))  # truncated record first
    assert b.items[-1].decode(exact_loads) == 7 and len(b.items) == 6
    with pytest.raises(Exception):  # noqa: B017 - the truncated one is not valid JSON, whatever the path
        b.items[-2].decode(exact_loads)
