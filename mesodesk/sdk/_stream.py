"""Decoding of stream items: raw records, exact-Decimal JSON parsing, which item types can use it.

The transport does not parse a StreamItem of a registered stream: it buffers the raw record
(:class:`RawItem`) and the consumer decodes the item when it takes it, so an item that a newer
one pushes out of the bounded buffer (latest wins) is never parsed nor validated.

Typed items whose numbers all land in ``Decimal``/``int``/``float``/``bool`` fields are parsed
with :func:`exact_loads`: every JSON number with a fraction or exponent becomes
``Decimal(<its text>)``, exactly as written (``6000.00`` -> ``Decimal('6000.00')``; 30 digits
stay 30 digits), where parsing to ``float`` first keeps only ~15-17 significant digits. It is
also cheaper for pydantic: ``Decimal`` -> ``Decimal`` validation is a type check (and one
``is_finite()`` call), while ``float`` -> ``Decimal`` goes through ``str``.

Measured cost of one 3.1 KB ``PositionDataEntry`` (150 decimals, 14 timestamps, 30 nested
models): JSON structure ~13 µs, creating the ``Decimal`` objects ~21 µs (``Decimal(str)`` itself;
msgspec's typed ``Decimal`` decoding, ``Context.create_decimal`` and letting pydantic convert
strings are no cheaper; a value cache loses when values change from item to item), pydantic
validation ~45 µs (of which ~30 µs the 30 model instances and their ~200 fields, ~10 µs the
``is_finite`` check of each ``Decimal``, ~3 µs the timestamps).
"""

from __future__ import annotations

import datetime as _dt
import enum
import json
import types
import typing
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import orjson
from pydantic import BaseModel, BeforeValidator, PlainValidator, WrapValidator

__all__ = ["RawItem", "decimal_safe", "exact_loads", "keep_raw", "plain_loads"]

Loads = Callable[[Any], Any]

try:  # optional accelerator: same results as the stdlib parser, about twice as fast
    import msgspec

    #: Parse JSON; numbers with a fraction or exponent become exact ``Decimal``. (The decoder's
    #: bound ``decode`` itself: no Python frame per item.)
    exact_loads: Callable[[bytes | str], Any] = msgspec.json.Decoder(float_hook=Decimal).decode

except ImportError:  # pragma: no cover - depends on the environment

    def _no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")

    _json_decoder = json.JSONDecoder(parse_float=Decimal, parse_constant=_no_constants)

    def _json_exact_loads(data: bytes | str) -> Any:
        """Parse JSON; numbers with a fraction or exponent become exact ``Decimal``."""
        return _json_decoder.decode(data.decode() if isinstance(data, bytes | bytearray) else data)

    exact_loads = _json_exact_loads


plain_loads: Loads = orjson.loads


def keep_raw(data: Any) -> Any:
    """A ``loads`` that parses nothing: :meth:`RawItem.decode` returns the RawItem itself (the
    lean streams decode the item's bytes with their own decoder, :mod:`mesodesk.sdk.lean`)."""
    raise TypeError("keep_raw is a marker, not a parser")


class RawItem:
    """A StreamItem record that nobody has parsed yet; ``start`` is where its item value begins
    (the record is ``{"type":2,"invocationId":"…","item":<item>}``), or -1 if unknown."""

    __slots__ = ("record", "start")

    def __init__(self, record: bytes, start: int) -> None:
        self.record = record
        self.start = start

    def decode(self, loads: Loads) -> Any:
        if loads is keep_raw:
            return self
        if self.start >= 0:
            try:
                return loads(self.record[self.start : -1])
            except Exception:
                pass
        message = loads(self.record)
        return message.get("item") if isinstance(message, dict) else None


_SCALARS: tuple[type, ...] = (Decimal, int, float, bool, str, bytes, _dt.datetime, _dt.date, _dt.time,
                              _dt.timedelta, type(None))


def _safe(tp: Any, seen: set[Any]) -> bool:
    """True when every JSON number reaching ``tp`` lands in a Decimal/int/float/bool field, so
    handing pydantic a ``Decimal`` instead of a ``float`` cannot change the validated result."""
    if tp in seen:
        return True
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        if any(isinstance(m, BeforeValidator | PlainValidator | WrapValidator) for m in tp.__metadata__):
            return False  # such a validator sees the parsed value itself
        return _safe(typing.get_args(tp)[0], seen)
    if origin is typing.Union or origin is types.UnionType:
        return all(_safe(arg, seen) for arg in typing.get_args(tp))
    if origin is typing.Literal:
        return not any(isinstance(v, float) for v in typing.get_args(tp))
    if origin in (list, set, frozenset, dict, tuple) or origin in (
        typing.get_origin(typing.Sequence[int]), typing.get_origin(typing.Mapping[int, int])
    ):
        return all(arg is Ellipsis or _safe(arg, seen) for arg in typing.get_args(tp))
    if origin is not None:
        return False
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            return not any(isinstance(member.value, float) for member in tp)
        if issubclass(tp, BaseModel):
            if tp.model_config.get("extra") == "allow":
                return False  # extra values are kept as parsed
            decorators = tp.__pydantic_decorators__
            validators: list[Any] = [*decorators.field_validators.values(), *decorators.model_validators.values()]
            if any(getattr(v.info, "mode", "after") != "after" for v in validators):
                return False  # a before/wrap/plain validator sees the parsed value itself
            seen.add(tp)
            return all(_safe(field.annotation, seen) and not any(
                isinstance(m, BeforeValidator | PlainValidator | WrapValidator) for m in field.metadata)
                for field in tp.model_fields.values())
        return issubclass(tp, _SCALARS)
    return False  # Any, TypeVar, forward references, ...


_SAFE: dict[Any, bool] = {}


def decimal_safe(item_type: Any) -> bool:
    """Whether items of ``item_type`` may be parsed with :func:`exact_loads` (cached)."""
    safe = _SAFE.get(item_type)
    if safe is None:
        try:
            safe = _safe(item_type, set())
        except Exception:
            safe = False
        _SAFE[item_type] = safe
    return safe
