"""``UtcDatetime``'s wire-form fast path behaves exactly like ``AfterValidator(ensure_utc)``."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any

import pytest
from pydantic import AfterValidator, BaseModel, ValidationError

from mesodesk.contract import dumps
from mesodesk.contract.base import UtcDatetime, ensure_utc
from mesodesk.contract.data import PositionDataEntry
from mesodesk.sdk._stream import decimal_safe

_Reference = Annotated[datetime, AfterValidator(ensure_utc)]


class Fast(BaseModel):
    t: UtcDatetime
    o: UtcDatetime | None = None


class Reference(BaseModel):
    t: _Reference
    o: _Reference | None = None


def _outcome(model: type[BaseModel], mode: str, value: Any) -> tuple[Any, ...]:
    try:
        if mode == "json":
            result = model.model_validate_json(json.dumps({"t": value, "o": value}))
        else:
            result = model.model_validate({"t": value, "o": value}, strict=mode == "strict")
    except ValidationError as exc:
        return ("error", [(e["type"], e["loc"], e["msg"]) for e in exc.errors(include_url=False)])
    except OverflowError as exc:  # ensure_utc near datetime.max/min (same in both)
        return ("overflow", str(exc))
    t = result.t  # type: ignore[attr-defined]
    return ("ok", repr(t), t.tzinfo is UTC, t.fold, result.model_dump_json(), dumps(result))


def _wire_like(rng: random.Random) -> str:
    year = rng.choice(["0000", "0001", "1970", "2024", "2026", "9999"])
    month = rng.choice(["00", "01", "02", "06", "12", "13"])
    day = rng.choice(["00", "01", "28", "29", "30", "31", "32"])
    hour = rng.choice(["00", "09", "23", "24"])
    minute = rng.choice(["00", "30", "59", "60"])
    second = rng.choice(["00", "30", "59", "60"])
    fraction = rng.choice(["", "."] + ["." + "".join(rng.choices("0123456789", k=k)) for k in range(1, 10)])
    tz = rng.choice(["Z", "Z", "z", "+00:00", "-00:00", "+02:00", "-05:30", ""])
    sep = rng.choice(["T", "T", "t", " ", "_"])
    return f"{year}-{month}-{day}{sep}{hour}:{minute}:{second}{fraction}{tz}"


class _OwnAstimezone(datetime):
    """A datetime subclass whose ``astimezone`` is not the no-op for its own tzinfo."""

    def astimezone(self, tz: Any = None) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), tz)


_FIXED: list[Any] = [
    "2026-11-24T14:30:00.577261Z", "2026-11-24T14:30:00Z", "2026-11-24T14:30:00.5Z",
    "2026-11-24T14:30:00.1234567Z", "2026-11-24T14:30:00.999999Z", "2026-02-29T10:00:00Z",
    "2024-02-29T10:00:00Z", "2026-W48-2T14:30:00.57726Z", "20261124T143000.577261Z",
    "2026-11-24T143000.5772610Z", "2026-11-24T14:30:00,577261Z", "2026-11-24T14:30Z",
    "2026-11-24T14:30:00.5+0000Z", "2026-11-24T14:30:00.577261Z\n", " 2026-11-24T14:30:00Z",
    "２026-11-24T14:30:00Z", "2026-11-24T14:30:00.٥Z", "2026-11-24", "", "bad",
    "2026-11-24T14:30:00.577261+00:00", "2026-11-24T14:30:00+02:00", "2026-11-24T14:30:00",
    1_700_000_000, 1_700_000_000.5, Decimal("1700000000.5"), "1700000000", None,
    datetime(2026, 1, 1, 12), datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2026, 1, 1, tzinfo=UTC), _OwnAstimezone(2026, 1, 1, 12, tzinfo=UTC),
]


@pytest.mark.parametrize("mode", ["python", "strict"])
@pytest.mark.parametrize("value", _FIXED, ids=repr)
def test_fixed_inputs_match_reference(value: Any, mode: str) -> None:
    assert _outcome(Fast, mode, value) == _outcome(Reference, mode, value)


@pytest.mark.parametrize("value", [v for v in _FIXED if isinstance(v, str | int | float | type(None))], ids=repr)
def test_fixed_json_inputs_match_reference(value: Any) -> None:
    assert _outcome(Fast, "json", value) == _outcome(Reference, "json", value)


def test_random_wire_like_strings_match_reference() -> None:
    rng = random.Random(20261124)
    for _ in range(3000):
        value = _wire_like(rng)
        for mode in ("python", "json"):
            assert _outcome(Fast, mode, value) == _outcome(Reference, mode, value), (value, mode)


def test_wire_form_is_utc_singleton() -> None:
    got = Fast.model_validate({"t": "2026-11-24T14:30:00.577261Z"}).t
    assert got == datetime(2026, 11, 24, 14, 30, 0, 577261, tzinfo=UTC)
    assert got.tzinfo is UTC


def test_json_schema_unchanged() -> None:
    assert Fast.model_json_schema()["properties"] == Reference.model_json_schema()["properties"]


def test_position_entry_stays_decimal_safe() -> None:
    assert decimal_safe(PositionDataEntry)


@pytest.mark.parametrize("primed", [None, "2026-11-24T14:30:00Z", "1970-01-01T00:00:00Z"])
def test_cache_state_never_changes_a_result(primed: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the one-entry cache holds (its initial value included), every input gives the
    reference result; e.g. ``""`` is an error, not the cached value."""
    from mesodesk.contract import base

    cached, parsed = base._last_wire  # the invariant that makes the cache safe
    assert type(cached) is str and base._is_utc_wire(cached) and parsed == datetime.fromisoformat(cached)
    assert parsed.tzinfo is UTC
    for value in [v for v in _FIXED if isinstance(v, str)] + [None]:
        monkeypatch.setattr(base, "_last_wire", base._last_wire if primed is None else (primed, datetime.fromisoformat(primed)))
        for mode in ("python", "json"):
            assert _outcome(Fast, mode, value) == _outcome(Reference, mode, value), (value, mode, primed)


def test_last_wire_value_cache_gives_the_reference_result_for_every_value() -> None:
    """The one-entry cache of the last wire-form string never leaks into another value."""
    values = ["2026-11-24T14:30:00.577261Z", "2026-11-24T14:30:00.577261Z", "2026-11-24T14:30:01Z",
              "2026-02-30T10:00:00Z", "2026-11-24T14:30:01Z", "2026-11-24T14:30:00.577261Z",
              "2026-02-30T10:00:00Z", "2026-11-24T14:30:00.577261", "2026-11-24T14:30:00.577261Z"]
    for value in values:
        for mode in ("python", "json", "strict"):
            assert _outcome(Fast, mode, value) == _outcome(Reference, mode, value), (value, mode)


def test_one_entry_fields_share_the_parsed_timestamp() -> None:
    """Every block's ``UpdatedAt`` is usually the entry's tick: parsed once, equal everywhere."""
    stamp = "2026-11-24T14:30:00.577261Z"
    entry = PositionDataEntry.model_validate(
        {"Timestamp": stamp, "UnderlyingPrice": {"Bid": 1, "UpdatedAt": stamp}, "PositionPrices": {"UpdatedAt": stamp}})
    assert entry.timestamp == datetime(2026, 11, 24, 14, 30, 0, 577261, tzinfo=UTC)
    assert entry.underlying_price is not None and entry.position_prices is not None
    assert entry.underlying_price.updated_at == entry.position_prices.updated_at == entry.timestamp
    assert entry.timestamp.tzinfo is UTC
    assert dumps(entry).count(b'"2026-11-24T14:30:00.577261Z"') == 3
