"""Tolerant reads in the contract: enums, timestamps, key normalization, exact validators.

Every contract model, written the way ASP.NET Core writes by default (camelCase names,
int enums, 7-digit fractions, offsets, numbers as strings) or with every property in a
random spelling, reads back equal to the original."""

from __future__ import annotations

import copy
import json
import pickle
import random
import types
import typing
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import mesodesk.contract as c
from mesodesk.contract.base import _is_utc_wire
from mesodesk.contract.wire_read import (
    ReadReport,
    camel_alias,
    exact_validator,
    fold_key,
    lenient_adapter,
    model_aliases,
    normalize,
)
from tests.contract.contract_factories import all_models, build
from tests.sdk.relay import Dialect, Rewriter

MODELS = all_models()
# EventEnvelope dispatches on "EventType" in a before-validator: a camelCase envelope only
# reads on the tolerant path (normalize), never on the strict camelCase one.
ENVELOPED = {c.EventEnvelope, c.GetEventsSinceResult}


def wire(model: BaseModel) -> Any:
    return c.loads(c.dumps(model))


# ----------------------------------------------------------------------------- names


@pytest.mark.parametrize(("pascal", "camel"), [
    ("PositionId", "positionId"), ("IV", "iv"), ("WVega", "wVega"), ("RealizedPnL", "realizedPnL"),
    ("DTE", "dte"), ("PnlFields", "pnlFields"), ("LegPnLs", "legPnLs"), ("UserSetRealizedPnL", "userSetRealizedPnL"),
    ("A", "a"), ("already", "already"), ("", ""),
])
def test_camel_alias_is_dotnet_camel_case(pascal: str, camel: str) -> None:
    assert camel_alias(pascal) == camel


def test_fold_key() -> None:
    assert fold_key("realized_pnl") == fold_key("RealizedPnL") == fold_key("REALIZED-PNL") == "realizedpnl"


# ----------------------------------------------------------------------------- enums


def test_enum_reads_names_in_any_case_ints_and_numeric_strings() -> None:
    assert c.OrderState("partiallyfilled") is c.OrderState.PartiallyFilled
    assert c.OrderState("PARTIALLY_FILLED") is c.OrderState.PartiallyFilled
    assert c.OrderState("filled") is c.OrderState.Filled
    assert c.TimeInForce("Day") is c.TimeInForce.DAY
    assert c.LiveLegSelectionConstraint("none") is c.LiveLegSelectionConstraint.None_
    assert c.OrderState(0) is c.OrderState.PendingSubmit  # declaration order, 0-based
    assert c.OrderState("4") is c.OrderState.Filled
    for bad in (True, False, -1, len(c.OrderState), "PendingCancel", 1.0, None):
        with pytest.raises(ValueError):
            c.OrderState(bad)


def test_unknown_member_is_a_visible_cached_pseudo_member() -> None:
    pending = c.OrderState.unknown("PendingCancel")
    assert str(pending) == f"{pending}" == pending.value == pending.name == "unknown (PendingCancel)"
    assert pending.wire_value == "PendingCancel" and pending.is_unknown
    assert not c.OrderState.Filled.is_unknown and c.OrderState.Filled.wire_value == "Filled"
    assert isinstance(pending, c.OrderState) and isinstance(pending, str)
    assert c.OrderState.unknown("PendingCancel") is pending  # cached
    assert c.OrderState.unknown(11) is c.OrderState.unknown("11") and c.OrderState.unknown(11).wire_value == 11
    assert pending not in list(c.OrderState) and pending not in c.TERMINAL_ORDER_STATES
    assert pending != c.OrderState.Filled  # (a StrEnum compares as its text, as every member does)
    # round trips: through its own text (logs, dumps), pickle, deepcopy, pydantic
    assert c.OrderState("unknown (PendingCancel)") is pending
    assert pickle.loads(pickle.dumps(pending)) is pending and copy.deepcopy(pending) is pending
    result = c.CancelOrderResult(order_id=1, state=pending)
    assert json.loads(c.dumps(result))["State"] == "unknown (PendingCancel)"
    assert c.CancelOrderResult.model_validate(c.loads(c.dumps(result))).state is pending
    assert c.CancelOrderResult.model_validate_json(result.model_dump_json(by_alias=True)).state is pending


# ----------------------------------------------------------------------------- timestamps


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-02T14:30:00.1234567Z", datetime(2026, 12, 2, 14, 30, 0, 123456, tzinfo=UTC)),  # 7th digit truncated
    ("2026-12-02T14:30:00.9999999Z", datetime(2026, 12, 2, 14, 30, 0, 999999, tzinfo=UTC)),
    ("2026-12-02T15:30:00.1234567+01:00", datetime(2026, 12, 2, 14, 30, 0, 123456, tzinfo=UTC)),
    ("2026-12-02T09:00:00-05:30", datetime(2026, 12, 2, 14, 30, tzinfo=UTC)),
    ("2026-12-02T14:30:00+00:00", datetime(2026, 12, 2, 14, 30, tzinfo=UTC)),
    ("2026-12-02T14:30:00Z", datetime(2026, 12, 2, 14, 30, tzinfo=UTC)),
    ("2026-12-02T14:30:00.5", datetime(2026, 12, 2, 14, 30, 0, 500000, tzinfo=UTC)),  # no zone: UTC
])
def test_timestamps_with_up_to_7_digits_and_offsets(text: str, expected: datetime) -> None:
    value = c.GetLatestEventSeqIdResult.model_validate({"LatestEventSeqId": 1, "SnapshotTime": text}).snapshot_time
    assert value == expected and value.tzinfo is UTC


def test_fast_path_covers_net_forms() -> None:
    for text in ("2026-12-02T14:30:00.1234567Z", "2026-12-02T14:30:00.1234567+01:00", "2026-12-02T14:30:00Z"):
        assert _is_utc_wire(text)
    assert not _is_utc_wire("2026-12-02T14:30:00.12345678Z") and not _is_utc_wire("2026-12-02T14:30:00")


# ----------------------------------------------------------------------------- every model, every dialect


def aspnet(model: BaseModel) -> Any:
    """``model`` as ASP.NET Core's defaults write it (plus offsets and numbers as strings)."""
    return Rewriter(Dialect(numeric_strings=frozenset({"Strike", "Qty", "Price"}))).value(wire(model), type(model))


def respell(value: Any, tp: Any, rng: random.Random) -> Any:
    """Every property of every model in ``value`` in a random spelling (dict keys kept)."""
    if isinstance(value, dict) and isinstance(tp, type) and issubclass(tp, BaseModel):
        fields = {(i.alias or n): i.annotation for n, i in tp.model_fields.items()}
        names = {(i.alias or n): n for n, i in tp.model_fields.items()}
        out = {}
        for key, item in value.items():
            spelling = rng.choice([key, camel_alias(key), names.get(key, key), key.lower(), key.upper()])
            inner = c.EVENT_CALLBACKS[value["EventType"]].model if tp is c.EventEnvelope and key == "Event" \
                else fields.get(key)
            out[spelling] = respell(item, inner, rng)
        return out
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return respell(value, args[0], rng)
    if origin is typing.Union or origin is types.UnionType:
        options = [a for a in args if a is not type(None)]
        return respell(value, options[0], rng) if len(options) == 1 else value
    if origin is list and isinstance(value, list):
        return [respell(v, args[0], rng) for v in value]
    if origin is dict and isinstance(value, dict):
        return {k: respell(v, args[1], rng) for k, v in value.items()}
    return value


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_aspnet_defaults_read_back_equal(model: type[BaseModel]) -> None:
    original = build(model)
    payload = aspnet(original)
    before = copy.deepcopy(payload)
    report = ReadReport()
    normalized = normalize(model, payload, report)
    assert payload == before  # the input is not modified
    assert not report.unknown_fields and not report.unknown_members
    assert lenient_adapter(model).validate_python(normalized) == original
    if model not in ENVELOPED:
        assert exact_validator(model, "camel").validate_python(payload) == original
    # the strict PascalCase validator refuses the camelCase payload wherever a name differs
    if any(camel_alias(a) != a.lower() for a in model_aliases(model)):
        with pytest.raises(ValidationError):
            exact_validator(model, "pascal").validate_python(payload)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_any_spelling_reads_back_equal(model: type[BaseModel]) -> None:
    original = build(model)
    rng = random.Random(model.__name__)
    payload = respell(wire(original), model, rng)
    assert lenient_adapter(model).validate_python(normalize(model, payload)) == original


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_canonical_payloads_pass_the_strict_validator_unchanged(model: type[BaseModel]) -> None:
    original = build(model)
    payload = wire(original)
    assert exact_validator(model, "pascal").validate_python(payload) == original
    report = ReadReport(detail=True)
    assert normalize(model, payload, report) == payload
    assert not report.changed and not report.notes


# ----------------------------------------------------------------------------- normalize details


def entry() -> c.PositionDataEntry:
    return build(c.PositionDataEntry)


def test_dict_keys_are_data_and_never_renamed() -> None:
    details = build(c.LivePositionDetails).model_copy(update={"vars": {"Short_Put_Strike": Decimal(5), "x": Decimal(1)}})
    payload = aspnet(details)
    assert set(payload["vars"]) == {"Short_Put_Strike", "x"}
    read = lenient_adapter(c.LivePositionDetails).validate_python(normalize(c.LivePositionDetails, payload))
    assert read.vars == {"Short_Put_Strike": Decimal(5), "x": Decimal(1)} and read.leg_prices == details.leg_prices


def test_unknown_properties_are_reported_with_their_path_and_dropped() -> None:
    payload = aspnet(entry())
    payload["serverRevision"] = 3
    payload["underlyingPrice"]["vwap"] = 1.5
    first_leg = next(iter(payload["legGreeks"]))
    payload["legGreeks"][first_leg]["mark"]["charm"] = 0.1
    report = ReadReport()
    normalized = normalize(c.PositionDataEntry, payload, report)
    assert sorted((p, m.__name__, k) for p, m, k in report.unknown_fields) == sorted([
        ("", "PositionDataEntry", "serverRevision"),
        ("UnderlyingPrice", "LivePrices", "vwap"),
        (f"LegGreeks[{first_leg}].Mark", "LiveGreekValues", "charm"),
    ])
    assert "serverRevision" not in normalized and "vwap" not in normalized["UnderlyingPrice"]
    assert lenient_adapter(c.PositionDataEntry).validate_python(normalized) == entry()


def test_unknown_enum_members_become_pseudo_members() -> None:
    order = build(c.Order)
    for raw in ("PendingCancel", 42, "unknown (PendingCancel)"):
        payload = aspnet(order)
        payload["state"] = raw
        report = ReadReport()
        read = lenient_adapter(c.Order).validate_python(normalize(c.Order, payload, report))
        assert read.state.is_unknown and str(read.state) == f"unknown ({raw if raw != 'unknown (PendingCancel)' else 'PendingCancel'})"
        assert report.unknown_members == [("State", "OrderState", raw)]
        assert read.model_copy(update={"state": order.state}) == order  # nothing else lost
        # the strict validators refuse a value they do not know: only the tolerant path reads it
        # (a pseudo-member's own text, e.g. from a log, reads back everywhere)
        if raw != "unknown (PendingCancel)":
            with pytest.raises(ValidationError):
                exact_validator(c.Order, "camel").validate_python(payload)


def test_replayed_events_dispatch_and_unknown_event_types_are_dropped() -> None:
    events = [build(c.OrderUpdateEvent), build(c.PositionUpdateEvent)]
    result = c.GetEventsSinceResult(events=[c.EventEnvelope.wrap(e) for e in events], latest_event_seq_id=9)
    payload = aspnet(result)
    payload["events"].insert(1, {"eventType": "OnSomethingNew", "eventSeqId": 5, "event": {"whatever": 1}})
    report = ReadReport()
    read = lenient_adapter(c.GetEventsSinceResult).validate_python(normalize(c.GetEventsSinceResult, payload, report))
    assert read == result
    assert report.unknown_members == [("Events[1].EventType", "EventType", "OnSomethingNew")]


def test_envelope_of_a_generic_result() -> None:
    page = c.ListPositionsResult(items=[build(c.LivePosition)], continuation_token="abc")
    envelope: Any = c.MesoLiveApiResponse[c.ListPositionsResult]  # type: ignore[misc]
    payload = {"status": 0, "message": None, "error": None,
               "data": aspnet(page)}
    read = lenient_adapter(envelope).validate_python(normalize(envelope, payload))
    assert read.status is c.StatusCode.Success and read.data == page
    assert exact_validator(envelope, "camel").validate_python(payload) == read


# ----------------------------------------------------------------------------- exact validators


def test_strict_validator_fails_on_unknown_nested_properties_unless_tolerated() -> None:
    payload = wire(entry())
    payload["UnderlyingPrice"]["Vwap"] = 1.5
    with pytest.raises(ValidationError, match=r"UnderlyingPrice\.Vwap"):
        exact_validator(c.PositionDataEntry).validate_python(payload)
    tolerant = exact_validator(c.PositionDataEntry, tolerated={c.LivePrices: ["Vwap"]})
    assert tolerant.validate_python(payload) == entry()
    payload["PositionPrices"]["Other"] = 1  # still strict about anything else
    with pytest.raises(ValidationError, match=r"PositionPrices\.Other"):
        tolerant.validate_python(payload)
    # the ordinary validator never notices (that is why the SDK does not rely on it)
    assert c.PositionDataEntry.model_validate(payload) == entry()


def test_strict_validators_return_the_contract_classes() -> None:
    read = exact_validator(c.PositionDataEntry, "camel").validate_python(aspnet(entry()))
    assert type(read) is c.PositionDataEntry and type(read.underlying_price) is c.LivePrices
    # and leave the models' own validation alone
    assert c.PositionDataEntry.model_validate({"Bogus": 1}) == c.PositionDataEntry()


def test_model_aliases() -> None:
    assert "RealizedPnL" in model_aliases(c.LivePositionDetails)
    assert "realizedPnL" in model_aliases(c.LivePositionDetails, "camel")
