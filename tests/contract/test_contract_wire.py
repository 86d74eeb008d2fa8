"""Wire-format details: Decimal, datetimes, enums, flags, envelope, events, validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

import mesodesk.contract as c
from tests.contract.contract_factories import build

# ----------------------------------------------------------------- Decimal


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("0.1"), b"0.1"),
        (Decimal("1234.55"), b"1234.55"),
        (Decimal("1e-8"), b"0.00000001"),
        (Decimal("1E+2"), b"100"),
        (Decimal("-2.50"), b"-2.50"),
        (Decimal("-0"), b"0"),
        (Decimal("123456789.123456"), b"123456789.123456"),
    ],
)
def test_decimal_is_exact_json_number(value: Decimal, text: bytes) -> None:
    prices = c.LivePrices(bid=value)
    wire = c.dumps(prices)
    assert b'"Bid":' + text + b"," in wire
    restored = c.LivePrices.model_validate(c.loads(wire))
    assert restored.bid == value
    assert isinstance(restored.bid, Decimal)
    assert isinstance(c.loads(wire)["Bid"], (int, float))  # a number, not a string


def test_dumps_is_exact_beyond_float_precision() -> None:
    # dumps never goes through float; loads (orjson) is exact up to 15 significant digits
    value = Decimal("123456789012.1234567890")
    assert b'"Bid":123456789012.1234567890,' in c.dumps(c.LivePrices(bid=value))


def test_decimal_from_float_and_string_is_exact() -> None:
    assert c.LivePrices(**{"Bid": 0.1}).bid == Decimal("0.1")
    assert c.LivePrices.model_validate({"Bid": 1234.55}).bid == Decimal("1234.55")
    assert c.LivePrices.model_validate(orjson.loads(b'{"Bid": 1e-8}')).bid == Decimal("1e-8")
    assert c.LivePrices.model_validate({"Bid": "5875.25"}).bid == Decimal("5875.25")


def test_non_finite_decimal_rejected() -> None:
    with pytest.raises(ValidationError):
        c.LivePrices.model_validate({"Bid": "NaN"})
    with pytest.raises(TypeError):
        c.dumps({"x": Decimal("Infinity")})


def test_dumps_plain_structures() -> None:
    out = c.loads(c.dumps({"a": [Decimal("1.5"), c.StatusCode.Conflict], 3: UUID(int=1)}))
    assert out == {"a": [1.5, "Conflict"], "3": "00000000-0000-0000-0000-000000000001"}


@given(
    st.decimals(min_value=-9_999_999, max_value=9_999_999, places=8, allow_nan=False, allow_infinity=False)
)
def test_decimal_roundtrip_property(value: Decimal) -> None:
    restored = c.LivePnL.model_validate(c.loads(c.dumps(c.LivePnL(mark=value))))
    assert restored.mark == value


# --------------------------------------------------------------- datetimes


def test_datetimes_end_in_z_and_naive_is_utc() -> None:
    naive = datetime(2024, 1, 5, 14, 30)
    pos = build(c.LivePosition).model_copy()
    pos = c.LivePosition.model_validate({**c.to_wire(pos), "CreatedAt": naive, "ClosedAt": None})
    assert pos.created_at == datetime(2024, 1, 5, 14, 30, tzinfo=UTC)
    assert pos.created_at.tzinfo is UTC
    assert c.loads(c.dumps(pos))["CreatedAt"] == "2024-01-05T14:30:00Z"


def test_offset_datetime_is_converted_to_utc() -> None:
    est = timezone(timedelta(hours=-5))
    res = c.GetLatestEventSeqIdResult(
        latest_event_seq_id=5, snapshot_time=datetime(2024, 1, 5, 9, 30, tzinfo=est)
    )
    assert res.snapshot_time == datetime(2024, 1, 5, 14, 30, tzinfo=UTC)
    assert res.snapshot_time.utcoffset() == timedelta(0)
    assert b'"SnapshotTime":"2024-01-05T14:30:00Z"' in c.dumps(res)
    parsed = c.GetLatestEventSeqIdResult.model_validate(
        {"LatestEventSeqId": 1, "SnapshotTime": "2024-01-05T09:30:00-05:00"}
    )
    assert parsed.snapshot_time == res.snapshot_time
    assert c.loads(c.dumps(parsed))["SnapshotTime"].endswith("Z")


def test_model_dump_json_also_uses_z() -> None:
    res = c.GetLatestEventSeqIdResult(latest_event_seq_id=5, snapshot_time=datetime(2024, 1, 5, 14, 30))
    assert '"SnapshotTime":"2024-01-05T14:30:00Z"' in res.model_dump_json(by_alias=True)


# ------------------------------------------------------------------- enums


def test_enums_serialize_by_name() -> None:
    assert c.loads(c.dumps(c.LiveUnderlying(symbol="SPX", contract_type=c.MesoContractType.Index))) == {
        "Symbol": "SPX",
        "ContractType": "Index",
        "Exchange": None,
        "Currency": None,
    }
    assert c.LiveLegSelectionConstraint.None_.value == "None"
    args = build(c.PreparePositionEntryArgs)
    args.leg_selection_constraint = c.LiveLegSelectionConstraint.None_
    assert c.loads(c.dumps(args))["LegSelectionConstraint"] == "None"
    assert c.TimeInForce.DAY.value == "DAY"


def test_enums_accept_int_index() -> None:
    assert next(iter(c.StatusCode)) is c.StatusCode.Success
    env = c.MesoLiveApiResponse[int].model_validate({"Status": 0, "Data": 3})
    assert env.status is c.StatusCode.Success
    assert c.MesoLiveApiResponse[int].model_validate({"Status": 5}).status is c.StatusCode.Conflict
    assert c.OrderState(4) is c.OrderState.Filled  # type: ignore[arg-type]
    assert c.LiveLegSelectionConstraint(2) is c.LiveLegSelectionConstraint.None_  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        c.MesoLiveApiResponse[int].model_validate({"Status": 99})
    with pytest.raises(ValidationError):
        c.MesoLiveApiResponse[int].model_validate({"Status": True})
    with pytest.raises(ValidationError):
        c.MesoLiveApiResponse[int].model_validate({"Status": "success-ish"})


def test_documented_enum_members() -> None:
    assert [m.value for m in c.MesoContractType] == ["Stock", "Index", "Options", "Futures", "FuturesOptions"]
    assert [m.value for m in c.PositionStatus] == ["Created", "Closed", "Adjusted", "RealizedPnLChanged"]
    assert [m.value for m in c.PreparationStatus] == [
        "Pending",
        "Running",
        "Completed",
        "Failed",
        "Cancelled",
    ]
    assert {"Success", "DuplicateRequest", "Conflict"} <= {m.value for m in c.StatusCode}
    assert [m.value for m in c.OrderType] == ["Market", "Limit", "Stop", "StopLimit"]
    assert [m.value for m in c.SignalState] == ["On", "Off"]
    assert "Simulated" in {m.value for m in c.DataProviderType}
    assert "MesoLivePaper" in {m.value for m in c.BrokerType}
    assert c.TERMINAL_ORDER_STATES == {c.OrderState.Filled, c.OrderState.Cancelled, c.OrderState.Rejected,
                                       c.OrderState.Expired}


# ------------------------------------------------------------------- flags

Q = c.LiveQuoteFields
I = c.LiveDataInclude  # noqa: E741


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Bid, Ask", Q.Bid | Q.Ask),
        ("Bid,Ask", Q.Bid | Q.Ask),
        ("bid, mark", Q.Bid | Q.Mark),
        (["Bid", "Ask"], Q.Bid | Q.Ask),
        (3, Q.Bid | Q.Ask),
        ("3", Q.Bid | Q.Ask),
        ("All", Q.All),
        (15, Q.All),
        ("Bid, Ask, Last, Mark", Q.All),
        (Q.Last, Q.Last),
        ("None", Q(0)),
    ],
)
def test_quote_fields_parse(raw: Any, expected: c.LiveQuoteFields) -> None:
    args = c.StreamUnderlyingDataArgs(underlying=c.LiveUnderlying(symbol="SPX"), price_fields=raw)
    assert args.price_fields == expected


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (Q.Bid | Q.Ask, "Bid, Ask"),
        (Q.All, "All"),
        (Q.Bid | Q.Ask | Q.Last | Q.Mark, "All"),
        (Q.Mark, "Mark"),
        (Q.Ask | Q.Mark | Q.Last, "Ask, Last, Mark"),
        (Q(0), "None"),
    ],
)
def test_quote_fields_serialize(value: c.LiveQuoteFields, wire: str) -> None:
    args = c.StreamUnderlyingDataArgs(underlying=c.LiveUnderlying(symbol="SPX"), price_fields=value)
    assert c.to_wire(args)["PriceFields"] == wire
    assert c.loads(c.dumps(args))["PriceFields"] == wire
    assert c.StreamUnderlyingDataArgs.model_validate(c.loads(c.dumps(args))).price_fields == value


@pytest.mark.parametrize(
    ("raw", "expected", "wire"),
    [
        ("None", I.None_, "None"),
        (0, I.None_, "None"),
        ("Prices, Greeks", I.Prices | I.Greeks, "Prices, Greeks"),
        (["PnL"], I.PnL, "PnL"),
        (7, I.All, "All"),
        ("pnl,prices", I.Prices | I.PnL, "Prices, PnL"),
    ],
)
def test_data_include_roundtrip(raw: Any, expected: c.LiveDataInclude, wire: str) -> None:
    args = c.StreamPositionDataArgs(
        position_id=1, include_position=raw, include_legs="All", include_leg_groups="None"
    )
    assert args.include_position == expected
    assert c.loads(c.dumps(args))["IncludePosition"] == wire


def test_flag_defaults_and_errors() -> None:
    args = c.StreamLegDataArgs(leg_id=1)
    assert args.price_fields == Q.All and args.include == I.All
    assert c.to_wire(args)["PnlFields"] == "All"
    for bad in ("Bid, Foo", 16, -1, True, "", 1.5, ["Bid", 2]):
        with pytest.raises(ValidationError):
            c.StreamLegDataArgs(leg_id=1, price_fields=bad)


def test_flag_helpers() -> None:
    assert c.flag_to_wire(Q.Bid | Q.Last) == "Bid, Last"
    assert c.flag_from_wire(c.LiveDataInclude, "Greeks, PnL") == I.Greeks | I.PnL


# ---------------------------------------------------------------- envelope


def test_envelope_parses_data_as_type() -> None:
    page = build(c.ListAccountsResult)
    wire = c.dumps(c.MesoLiveApiResponse[c.ListAccountsResult](status=c.StatusCode.Success, data=page))
    env = c.MesoLiveApiResponse[c.ListAccountsResult].model_validate(c.loads(wire))
    assert env.ok
    assert isinstance(env.data, c.ListAccountsResult)
    assert isinstance(env.data.items[0], c.LiveAccount)
    assert env.data == page
    assert set(c.loads(wire)) == {"Status", "Message", "Error", "Data"}


def test_envelope_failure_and_plain_generics() -> None:
    raw: dict[str, Any] = {
        "Status": "InvalidArguments",
        "Message": "bad args",
        "Error": {"Code": "Validation", "ValidationErrors": {"LegGroupOrder.LimitPrice": ["required"]}},
        "Data": None,
    }
    env = c.MesoLiveApiResponse[c.SendOrderResult].model_validate(raw)
    assert not env.ok and env.data is None
    assert env.error is not None and env.error.validation_errors == {"LegGroupOrder.LimitPrice": ["required"]}
    assert c.loads(c.dumps(env)) == {**raw, "Error": {**raw["Error"], "Detail": None, "Provider": None}}
    lst = c.MesoLiveApiResponse[list[int]].model_validate({"Status": "Success", "Data": [1, 2]})
    assert lst.data == [1, 2]
    page = c.Page[c.Order].model_validate({"Items": [c.to_wire(build(c.Order))], "ContinuationToken": None})
    assert isinstance(page.items[0], c.Order)
    dup = c.MesoLiveApiResponse[c.SendOrderResult].model_validate(
        {"Status": "DuplicateRequest", "Data": {"OrderIds": [501]}}
    )
    assert dup.data == c.SendOrderResult(order_ids=[501])


# ------------------------------------------------------------------ events

EVENT_MODELS = [cb.model for cb in c.EVENT_CALLBACKS.values()]


def test_event_callbacks_table() -> None:
    assert len(c.EVENT_CALLBACKS) == 17
    for name, cb in c.EVENT_CALLBACKS.items():
        assert cb.callback == name and name.startswith("On")
        assert cb.handler == "on_" + "".join(
            "_" + ch.lower() if ch.isupper() else ch for ch in name[2:]
        ).lstrip("_")
        assert c.EVENT_CALLBACKS_BY_MODEL[cb.model] is cb
    assert c.EVENT_CALLBACKS["OnAgentStatusChange"].model is c.AgentStatusEvent
    assert c.EVENT_CALLBACKS["OnError"].handler == "on_error"


@pytest.mark.parametrize("model", EVENT_MODELS, ids=lambda m: m.__name__)
def test_event_envelope_dispatch(model: type[c.MesoLiveEvent]) -> None:
    event = build(model)
    event.event_seq_id = 42
    env = c.EventEnvelope.wrap(event)
    assert env.event_type == c.event_type_of(event)
    assert env.event_seq_id == 42
    wire = c.loads(c.dumps(env))
    assert set(wire) == {"EventType", "EventSeqId", "Event"}
    assert wire["EventType"].startswith("On")
    assert {"EventId", "EventSeqId", "EventTime"} <= set(wire["Event"])
    parsed = c.EventEnvelope.model_validate(wire)
    assert type(parsed.event) is model
    assert parsed == env
    # the payload model name is accepted as EventType too
    by_model_name = c.EventEnvelope.model_validate({**wire, "EventType": model.__name__})
    assert type(by_model_name.event) is model and by_model_name.event_type == wire["EventType"]


def test_event_envelope_errors() -> None:
    ev = c.loads(c.dumps(build(c.OrderUpdateEvent)))
    with pytest.raises(ValidationError):
        c.EventEnvelope.model_validate({"EventType": "OnNothing", "EventSeqId": 1, "Event": ev})
    with pytest.raises(ValidationError):
        c.EventEnvelope.model_validate({"EventType": "OnErrorr", "EventSeqId": 1, "Event": ev})
    with pytest.raises(ValidationError):
        c.EventEnvelope(event_type="OnError", event_seq_id=1, event=build(c.OrderUpdateEvent))
    with pytest.raises(ValidationError):
        c.EventEnvelope.model_validate({"EventType": "OnPositionUpdate", "EventSeqId": 1, "Event": ev})


def test_events_since_result_mixed() -> None:
    events = [c.EventEnvelope.wrap(build(m)) for m in EVENT_MODELS]
    res = c.GetEventsSinceResult(events=events, latest_event_seq_id=99, has_more=True)
    back = c.GetEventsSinceResult.model_validate(c.loads(c.dumps(res)))
    assert [type(e.event) for e in back.events] == EVENT_MODELS
    assert back == res


def test_event_header_defaults() -> None:
    ev = c.AgentStatusEvent(event_time=datetime(2024, 1, 5), status=c.AgentStatus.Connected, message="up")
    assert isinstance(ev.event_id, UUID) and ev.event_seq_id == 0
    assert c.loads(c.dumps(ev))["EventId"] == str(ev.event_id)


# -------------------------------------------------------------- validation


@pytest.mark.parametrize("key", ["prep_entry_1", "a", "send_order:ML1234.2024-01-05_1", "x" * 128])
def test_idempotency_key_valid(key: str) -> None:
    assert c.GetIdempotencyRecordArgs(idempotency_key=key).idempotency_key == key
    assert c.is_valid_idempotency_key(key)


@pytest.mark.parametrize("key", ["", "x" * 129, "has space", "slash/no", "ümlaut", "semi;colon"])
def test_idempotency_key_invalid(key: str) -> None:
    with pytest.raises(ValidationError):
        c.GetIdempotencyRecordArgs(idempotency_key=key)
    with pytest.raises(ValidationError):
        c.SendOrderArgs.model_validate({**c.to_wire(build(c.SendOrderArgs)), "IdempotencyKey": key})
    assert not c.is_valid_idempotency_key(key)


@pytest.mark.parametrize("limit", [0, -1, 1001])
def test_limit_bounds(limit: int) -> None:
    with pytest.raises(ValidationError):
        c.ListAccountsArgs(limit=limit)
    with pytest.raises(ValidationError):
        c.GetEventsSinceArgs(since_event_seq_id=0, limit=limit)


def test_limit_ok() -> None:
    assert c.ListOrdersArgs(**{"Limit": 50}).limit == 50
    assert c.ListOrdersArgs().limit is None
    with pytest.raises(ValidationError):
        c.GetEventsSinceArgs(since_event_seq_id=-1)


def test_leg_group_order_price_rules() -> None:
    c.LegGroupOrder(order_type=c.OrderType.Market, leg_names=["a"])
    c.LegGroupOrder(order_type=c.OrderType.Limit, limit_price=Decimal("-1.2"), leg_names=["a"])
    with pytest.raises(ValidationError):
        c.LegGroupOrder(order_type=c.OrderType.Limit, leg_names=["a"])
    with pytest.raises(ValidationError):
        c.LegGroupOrder(order_type=c.OrderType.StopLimit, limit_price=Decimal(1), leg_names=["a"])
    with pytest.raises(ValidationError):
        c.LegGroupOrder(order_type=c.OrderType.Market, leg_names=[])


def test_create_strategy_source_rules() -> None:
    c.CreateStrategyArgs(clone_strategy_id=123, active_on_accounts=["ML1234"])
    c.CreateStrategyArgs(strategy_definition={"MesoSimVersion": "3.0"})
    with pytest.raises(ValidationError):
        c.CreateStrategyArgs()
    with pytest.raises(ValidationError):
        c.CreateStrategyArgs(strategy_definition={}, clone_strategy_id=1)


def test_request_hash_ignores_key_and_detects_changes() -> None:
    a = build(c.SendOrderArgs)
    b = a.model_copy(update={"idempotency_key": "another-key"})
    changed = a.model_copy(update={"exec_plan_id": a.exec_plan_id + 1})
    assert c.request_hash(a) == c.request_hash(b)
    assert c.request_hash(a) != c.request_hash(changed)
    assert len(c.request_hash(a)) == 64


def test_nullable_fields_sent_as_null() -> None:
    wire = c.loads(
        c.dumps(
            c.SendOrderArgs(
                idempotency_key="k1",
                broker_account_id="ML1",
                exec_plan_id=1,
                leg_group_id=1,
                leg_group_order=c.LegGroupOrder(order_type=c.OrderType.Market, leg_names=["a"]),
            )
        )
    )
    assert wire["ReplacesOrder"] is None and wire["QtyMultiplier"] is None
    assert "ReplacesOrder" in wire


def test_int_keyed_dicts() -> None:
    entry = c.PositionDataEntry(leg_prices={101: c.LivePrices(mark=Decimal("1.5"))})
    wire = c.loads(c.dumps(entry))
    assert wire["LegPrices"] == {
        "101": {"Bid": None, "Ask": None, "Last": None, "Mark": 1.5, "Mid": None, "UpdatedAt": None}
    }
    assert c.PositionDataEntry.model_validate(wire).leg_prices == {101: c.LivePrices(mark=Decimal("1.5"))}


def test_job_result_any_json() -> None:
    rec = build(c.IdempotencyRecord)
    rec.job_result = {"ExecPlanId": 7, "Legs": [1, 2], "Ok": True, "Nested": {"x": None}}
    assert c.IdempotencyRecord.model_validate(c.loads(c.dumps(rec))).job_result == rec.job_result
