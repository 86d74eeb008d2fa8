"""Wire conventions shared by every MesoLive contract model.

* Python attributes are snake_case; the JSON wire names are PascalCase exactly as
  MesoLive documents them (``to_pascal`` plus explicit aliases where it differs,
  e.g. ``RealizedPnL``, ``IV``, ``DTE``).
* Money, prices and quantities are :class:`~decimal.Decimal`; on the wire they are
  JSON *numbers* written exactly (``dumps`` emits ``str(decimal)`` verbatim as a
  number, never a string and never through ``float``).
* Datetimes are timezone-aware UTC (naive input is taken as UTC) and go on the
  wire as ISO-8601 with a ``Z`` suffix. On input 0-7 fraction digits are read (.NET
  writes ``DateTime`` with 7, i.e. 100 ns ticks: the 7th digit is truncated) and any
  UTC offset (``+02:00``) is converted to UTC.
* Reading is tolerant of other dialects (camelCase names, int enums, unknown enum
  members, unknown fields): see :mod:`mesodesk.contract.wire_read`. Writing is not:
  ``dumps`` always writes the documented PascalCase names and enum member names.
* Requiredness: a required, non-nullable field has no default. Every *nullable* field
  defaults to ``None`` (a sender may omit it, and ``dumps`` still writes an explicit
  ``null``). Non-required, non-nullable fields get a neutral default (``0``, ``All``...).

Where each rule comes from (MesoLive's documentation, inference, or a mesodesk
decision) is recorded in the documentation's "Contract decisions" page.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, StringConstraints
from pydantic.alias_generators import to_pascal
from pydantic_core import CoreSchema, SchemaValidator, core_schema

from ._lazydoc import WireModelMeta

__all__ = [
    "IDEMPOTENCY_KEY_PATTERN",
    "IdempotencyKey",
    "PageLimit",
    "UtcDatetime",
    "WireModel",
    "dumps",
    "ensure_utc",
    "is_valid_idempotency_key",
    "loads",
    "to_wire",
]


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime (naive input is assumed to be UTC)."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


#: The wire forms of a datetime read on the fast path: ``YYYY-MM-DDTHH:MM:SS`` with 0-7
#: fraction digits (``dumps`` writes up to 6; .NET writes 7) and ``Z`` or a ``±HH:MM`` offset.
#: Checked by pydantic-core's Rust regex (about 0.1 µs; Python's ``re`` takes about 0.3 µs).
_UTC_WIRE_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,7})?(?:Z|[+-][0-9]{2}:[0-9]{2})$"
)
_is_utc_wire = SchemaValidator(
    core_schema.str_schema(pattern=_UTC_WIRE_PATTERN, strict=True, regex_engine="rust-regex")
).isinstance_python
_fromisoformat = datetime.fromisoformat


#: The last wire-form string :func:`_parse_utc_wire` converted, and its result. The timestamps
#: of one stream item are nearly always the same tick (``Timestamp`` and every block's
#: ``UpdatedAt``), so most of them cost one string comparison. One immutable tuple, swapped
#: atomically: safe to share between threads.
_last_wire: tuple[str, datetime] = ("1970-01-01T00:00:00Z", datetime(1970, 1, 1, tzinfo=UTC))


def _parse_utc_wire(value: Any) -> Any:
    """"Before" step of lax :data:`UtcDatetime` validation: a wire-form string
    (:data:`_UTC_WIRE_PATTERN`) becomes its aware UTC datetime; anything else is returned
    unchanged for pydantic's ``datetime`` validation.

    For a wire-form string ``datetime.fromisoformat`` and pydantic's parser agree on every
    value (both truncate a 7th fraction digit) and reject the same invalid dates/times, and
    for ``Z``/``+00:00`` ``fromisoformat`` already returns ``datetime.UTC`` as the tzinfo:
    this skips pydantic's parse and (for UTC) the ``astimezone`` of :func:`ensure_utc`; an
    offset is converted by the "after" step. A string ``fromisoformat`` rejects is passed
    on, so pydantic reports the error exactly as before.
    """
    global _last_wire
    if type(value) is str:
        last = _last_wire
        if value == last[0]:
            return last[1]
        if _is_utc_wire(value):
            try:
                parsed = _fromisoformat(value)
            except ValueError:
                return value  # let pydantic report the error
            _last_wire = (value, parsed)
            return parsed
    return value


def _ensure_utc_after(value: datetime) -> datetime:
    """:func:`ensure_utc`, returning an aware ``datetime.UTC`` value itself at once (as
    ``ensure_utc`` does: ``astimezone`` to the tzinfo a datetime already has is a no-op)."""
    if value.tzinfo is UTC and type(value) is datetime:  # a subclass may override astimezone
        return value
    return ensure_utc(value)


class _UtcDatetimeSchema:
    """Core schema of :data:`UtcDatetime`: pydantic's ``datetime`` validation then
    :func:`ensure_utc`, serialized as a plain ``datetime``.

    Strict validation (which rejects strings in Python mode) is exactly
    ``AfterValidator(ensure_utc)``; lax validation adds the wire-form fast path of
    :func:`_parse_utc_wire` before it. Any value other than a wire-form string reaches
    pydantic's datetime validator unchanged, so this is not a "before" validator for
    :func:`mesodesk.sdk._stream.decimal_safe` (a ``Decimal`` in place of a ``float`` is
    validated exactly as before). Two plain function calls per value cost less than one
    wrap validator (no handler object).
    """

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        inner = handler(source)
        return core_schema.lax_or_strict_schema(
            lax_schema=core_schema.no_info_before_validator_function(
                _parse_utc_wire, core_schema.no_info_after_validator_function(_ensure_utc_after, inner)
            ),
            strict_schema=core_schema.no_info_after_validator_function(ensure_utc, inner),
        )


#: An aware UTC datetime. Naive input is taken as UTC; serialized ISO-8601 with ``Z``.
UtcDatetime = Annotated[datetime, _UtcDatetimeSchema()]

#: Idempotency keys are case-sensitive, 1-128 chars of ``[A-Za-z0-9._:-]``
#: (same rule as the MesoSim REST API). Documented key prefixes such as
#: ``prep_entry_``/``send_order_`` are a convention only and are not enforced.
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
_IDEMPOTENCY_KEY_RE = re.compile(IDEMPOTENCY_KEY_PATTERN)
IdempotencyKey = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=IDEMPOTENCY_KEY_PATTERN)
]

#: Page sizes are 1..1000; ``None`` means the server default
#: (100 for List* methods, 500 for GetEventsSince).
PageLimit = Annotated[int, Field(ge=1, le=1000)]


class WireModel(BaseModel, metaclass=WireModelMeta):
    """Base class of every args/result/entity/event model on the MesoLive wire.

    ``help(Model)`` and ``Model.describe()`` list a model's fields (wire name, attribute,
    type, required, nullable, default).
    """

    model_config = ConfigDict(
        alias_generator=to_pascal,
        validate_by_name=True,
        validate_by_alias=True,
        extra="ignore",
        frozen=False,
        use_enum_values=False,
        defer_build=True,  # schemas are built on first use: start-up imports ~190 models
    )

    @classmethod
    def describe(cls) -> str:
        """A text table of this model's fields: wire name, attribute, type, required,
        nullable, default, and what the docstring says about each (``print(LivePosition.describe())``)."""
        from .fields import describe

        return describe(cls)

    if not TYPE_CHECKING:  # hidden from type checkers, as pydantic's own: ``model.Typo`` stays an error
        # Reading by the reference's (wire) spelling: ``position.Name`` is ``position.name``.
        # ``__getattr__`` runs only when normal lookup fails, so field access costs nothing more.

        def __getattr__(self, item: str) -> Any:
            if item[:1] != "_":
                name = _wire_names(type(self)).get(item)
                if name is not None:
                    return getattr(self, name)
            return super().__getattr__(item)

        def _setattr_handler(self, name: str, value: Any) -> Any:
            # pydantic calls this for a name it has not memoized a setter for (never for fields)
            field = _wire_names(type(self)).get(name)
            if field is not None:
                raise AttributeError(f"{type(self).__name__}.{name} is a read-only alias; assign .{field} instead")
            return super()._setattr_handler(name, value)

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *_wire_names(type(self))})


#: model class -> {wire name -> attribute name} of its fields whose names differ
_WIRE_NAMES: dict[type[BaseModel], dict[str, str]] = {}


def _wire_names(cls: type[BaseModel]) -> dict[str, str]:
    """The fields of ``cls`` by their wire (alias) spelling: ``{"Name": "name", "RealizedPnL": "realized_pnl"}``."""
    found = _WIRE_NAMES.get(cls)
    if found is None:
        found = {}
        for name, info in cls.__pydantic_fields__.items():
            alias = info.validation_alias if isinstance(info.validation_alias, str) else info.alias
            if alias and alias != name and not alias.startswith("_"):
                found[alias] = name
        _WIRE_NAMES[cls] = found  # one dict per class; a racing thread builds an equal one
    return found


def _normalize_decimal(d: Decimal) -> bytes:
    if not d.is_finite():
        raise TypeError(f"non-finite Decimal {d!r} cannot be sent as a JSON number")
    text = format(d, "f")  # plain notation: Decimal('1E+2') -> '100', Decimal('1E-8') -> '0.00000001'
    if d.is_zero() and text.startswith("-"):
        text = text[1:]
    return text.encode()


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return orjson.Fragment(_normalize_decimal(obj))
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="python", by_alias=True)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"Type is not JSON serializable: {type(obj).__name__}")


_OPTS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS | orjson.OPT_NAIVE_UTC


def to_wire(model: BaseModel) -> dict[str, Any]:
    """Python-mode dict keyed by wire (alias) names; ``None`` fields are kept."""
    return model.model_dump(mode="python", by_alias=True)


def dumps(obj: Any) -> bytes:
    """Serialize a model (or any JSON-like structure containing models) to wire JSON bytes."""
    if isinstance(obj, BaseModel):
        obj = to_wire(obj)
    return orjson.dumps(obj, default=_default, option=_OPTS)


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Parse wire JSON with orjson.

    Numbers become int/float; models re-validate a float into Decimal via its
    shortest repr, which is exact for values of up to 15 significant digits (all
    prices/quantities/money in practice).
    """
    return orjson.loads(data)


def is_valid_idempotency_key(key: str) -> bool:
    return bool(_IDEMPOTENCY_KEY_RE.match(key))
