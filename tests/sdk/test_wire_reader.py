"""The SDK's tolerant readers: dialect switching, the sampled stream fast path, unknown
properties logged once, unknown enum members, and writes that stay as documented."""

from __future__ import annotations

import logging
import uuid
from collections import deque
from typing import Any

import pytest
from pydantic import ValidationError

import mesodesk.contract as c
from mesodesk.contract.wire_read import camel_alias
from mesodesk.sdk import unmatched_wire_fields, wire_observations
from mesodesk.sdk._hub import HubStream, wire_args
from mesodesk.sdk._stream import RawItem, plain_loads
from mesodesk.sdk._wire import SAMPLE_EVERY, STRICT_FIRST, WireReader
from tests.contract.contract_factories import build
from tests.contract.test_wire_read import aspnet, wire


def entry() -> c.PositionDataEntry:
    return build(c.PositionDataEntry)


def camel_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {camel_alias(k) if k[:1].isupper() else k: camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


def test_pascal_camel_and_back() -> None:
    reader: WireReader[c.PositionDataEntry] = WireReader(c.PositionDataEntry)
    assert reader.read(wire(entry())) == entry() and reader.dialect == "pascal"
    assert reader.read(aspnet(entry())) == entry() and reader.dialect == "camel"
    assert reader.read(aspnet(entry())) == entry() and reader.dialect == "camel"
    assert reader.read(wire(entry())) == entry() and reader.dialect == "pascal"


def test_camel_case_item_values_are_never_dropped() -> None:
    """The bug: a camelCase PositionDataEntry validated by the ordinary validator is all None."""
    payload = camel_keys(wire(entry()))
    assert c.PositionDataEntry.model_validate(payload).position_prices is None  # what used to happen
    reader: WireReader[c.PositionDataEntry] = WireReader(c.PositionDataEntry, sampled=True)
    for _ in range(STRICT_FIRST + 3 * SAMPLE_EVERY):
        assert reader.read(payload) == entry()


def test_sampled_reader_takes_the_lenient_path_only_for_its_own_top_level_names() -> None:
    reader: WireReader[c.PositionDataEntry] = WireReader(c.PositionDataEntry, sampled=True)
    canonical = wire(entry())
    for _ in range(STRICT_FIRST):
        reader.read(canonical)
    assert reader._skip == SAMPLE_EVERY - 1  # now on the lenient fast path
    # a camelCase item in between is not validated by the PascalCase lenient validator
    assert reader.read(camel_keys(canonical)) == entry() and reader.dialect == "camel"
    # an unknown enum member on the fast path falls back to the tolerant path
    events: WireReader[c.OrderUpdateEvent] = WireReader(c.OrderUpdateEvent, sampled=True)
    event = wire(build(c.OrderUpdateEvent))
    for _ in range(STRICT_FIRST):
        events.read(event)
    assert events._skip
    odd = dict(event, State="Parked")
    assert events.read(odd).state is c.OrderState.unknown("Parked")


def test_unknown_properties_are_logged_once_and_then_tolerated(caplog: pytest.LogCaptureFixture) -> None:
    name = f"vwap{uuid.uuid4().hex[:6]}"
    payload = aspnet(entry())
    payload["underlyingPrice"][name] = 1.5
    payload["positionPrices"][name] = 1.5
    reader: WireReader[c.PositionDataEntry] = WireReader(c.PositionDataEntry, sampled=True)
    with caplog.at_level(logging.WARNING, logger="mesodesk.sdk.wire"):
        for _ in range(STRICT_FIRST + 2 * SAMPLE_EVERY):
            assert reader.read(payload) == entry()
        other: WireReader[c.LegDataEntry] = WireReader(c.LegDataEntry)  # another type, same model
        leg = aspnet(build(c.LegDataEntry))
        leg["prices"][name] = 2
        other.read(leg)
    logged = [r for r in caplog.records if name in r.getMessage()]
    assert len(logged) == 1 and logged[0].name == "mesodesk.sdk.wire"
    assert f"LivePrices.{name}" in logged[0].getMessage() and "ignored" in logged[0].getMessage()
    assert f"LivePrices.{name}" in unmatched_wire_fields()
    assert f"LivePrices.{name}" in wire_observations().unmatched_fields
    assert reader._tolerated == {c.LivePrices: {name}} and reader.dialect == "camel"
    strict = reader._strict
    assert strict is not None and strict(payload) == entry()  # tolerated: back on the fast path


def test_logged_names_are_redacted_and_shortened(caplog: pytest.LogCaptureFixture) -> None:
    reader: WireReader[c.LivePrices] = WireReader(c.LivePrices)
    secret = "api_key=" + "s3cr3t" * 30
    with caplog.at_level(logging.WARNING, logger="mesodesk.sdk.wire"):
        reader.read({"Bid": 1, secret: 1})
    text = caplog.text
    assert "s3cr3t" not in text and "api_key=***" in text


def test_unknown_enum_members_are_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    value = f"Parked{uuid.uuid4().hex[:6]}"
    reader: WireReader[c.Order] = WireReader(c.Order)
    order = wire(build(c.Order))
    with caplog.at_level(logging.WARNING, logger="mesodesk.sdk.wire"):
        for _ in range(3):
            read = reader.read(dict(order, State=value))
            assert read.state.is_unknown and str(read.state) == f"unknown ({value})"
    assert sum(value in r.getMessage() for r in caplog.records) == 1
    assert f"OrderState: {value}" in wire_observations().unknown_enum_values


def test_a_payload_still_invalid_raises_the_ordinary_error() -> None:
    reader: WireReader[c.Order] = WireReader(c.Order)
    payload = camel_keys(wire(build(c.Order)))
    del payload["orderId"]
    with pytest.raises(ValidationError, match="OrderId"):
        reader.read(payload)


def test_hub_stream_reads_camel_items() -> None:
    class FakeStream:
        method = "StreamPositionData"
        dropped = 0

        def __init__(self) -> None:
            self._buf: deque[Any] = deque()
            self._client = object()
            self.loads = plain_loads

    fake = FakeStream()
    stream: HubStream[c.PositionDataEntry] = HubStream(fake, c.PositionDataEntry)  # type: ignore[arg-type]
    head = b'{"type":2,"invocationId":"1","item":'
    record = head + c.dumps(camel_keys(wire(entry()))) + b"}"
    for _ in range(3):
        fake._buf.append(RawItem(record, len(head)))
        coroutine = stream.__anext__()
        with pytest.raises(StopIteration) as done:
            coroutine.send(None)
        assert done.value.value == entry()


def test_writes_stay_as_documented() -> None:
    args = c.ListOrdersArgs(state=c.OrderState.Working)
    assert wire_args(args)["State"] == "Working" and set(wire_args(args)) <= {"Limit", "ContinuationToken",
                                                                              "ExecPlanId", "BrokerAccountId", "State"}
    with pytest.raises(ValueError, match="unknown"):
        wire_args(c.ListOrdersArgs(state=c.OrderState.unknown("Parked")))


def test_mixed_naming_turns_the_lenient_fast_path_off(caplog: pytest.LogCaptureFixture) -> None:
    """A server naming some classes explicitly: PascalCase items, camelCase price blocks inside.
    The top-level names look canonical, yet the ordinary validator would drop the prices."""
    payload = wire(entry())
    for key in ("UnderlyingPrice", "PositionPrices"):
        payload[key] = camel_keys(payload[key])
    assert c.PositionDataEntry.model_validate(payload).position_prices.updated_at is None  # type: ignore[union-attr]
    reader: WireReader[c.PositionDataEntry] = WireReader(c.PositionDataEntry, sampled=True)
    with caplog.at_level(logging.WARNING, logger="mesodesk.sdk.wire"):
        for _ in range(STRICT_FIRST + 2 * SAMPLE_EVERY):
            assert reader.read(payload) == entry()
    assert not reader._trust_top and reader._skip == 0
    assert sum("more than one way" in r.getMessage() for r in caplog.records) == 1
    # a reader that already trusted the top level finds it at its next sampled check
    trusting: WireReader[c.PositionDataEntry] = WireReader(c.PositionDataEntry, sampled=True)
    for _ in range(STRICT_FIRST):
        trusting.read(wire(entry()))
    reads = [trusting.read(payload) for _ in range(SAMPLE_EVERY + 1)]
    assert not trusting._trust_top and reads[-1] == entry()
