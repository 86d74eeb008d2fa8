"""Wire dialects: how the simulator serializes what it writes (results, stream items, events).

MesoLive's documentation shows PascalCase names and enum names as strings, which is
what :func:`mesodesk.contract.dumps` writes and the simulator's default. A real ASP.NET
Core server may instead speak its framework's defaults: property names through
``JsonNamingPolicy.CamelCase``, enums as integers (no ``JsonStringEnumConverter``) and
``DateTime`` values with up to seven fraction digits. A :class:`WireDialect` selects
any mix of these, so clients can be tested against each.

Only what a model writes changes: model property names (never dictionary keys, which
System.Text.Json leaves alone: ``DictionaryKeyPolicy`` is null by default), enum values
and datetimes. The hub protocol's own keys (``type``, ``invocationId``, ``result``...),
hub method and event names, and opaque JSON (a strategy definition) stay as they are.
Negotiation is not serialized through here at all.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum, Flag
from typing import Any, Literal
from uuid import UUID

import orjson
from pydantic import BaseModel

from mesodesk.contract import dumps as pascal_dumps

__all__ = ["ENV_VAR", "WireDialect", "dotnet_camel_case", "dotnet_datetime"]

#: The environment variable the test suite's simulator fixtures read (see :meth:`WireDialect.from_env`).
ENV_VAR = "MESODESK_WIRE_DIALECT"

Naming = Literal["pascal", "camel"]


def dotnet_camel_case(name: str) -> str:
    """``JsonNamingPolicy.CamelCase.ConvertName``, character for character.

    The leading run of upper-case letters is lower-cased, except its last letter when a
    non-upper-case character follows it: ``RealizedPnL`` -> ``realizedPnL``, ``IV`` ->
    ``iv``, ``DTE`` -> ``dte``, ``URLValue`` -> ``urlValue``, ``PositionPnLs`` ->
    ``positionPnLs``. A name not starting with an upper-case letter is returned as is.
    """
    if not name or not name[0].isupper():
        return name
    chars = list(name)
    for i in range(len(chars)):
        if i == 1 and not chars[i].isupper():
            break
        has_next = i + 1 < len(chars)
        if i > 0 and has_next and not chars[i + 1].isupper():
            if chars[i + 1] == " ":
                chars[i] = chars[i].lower()
            break
        chars[i] = chars[i].lower()
    return "".join(chars)


def dotnet_datetime(value: datetime) -> str:
    """A UTC datetime as .NET's round-trip format ``"O"`` writes it: always seven fraction digits."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        value = value.replace(tzinfo=UTC)  # naive = UTC, as contract.dumps takes it
    else:
        value = value.astimezone(UTC)
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:"
            f"{value.second:02d}.{value.microsecond:06d}0Z")


def _decimal(value: Decimal) -> orjson.Fragment:
    """Exactly as :func:`mesodesk.contract.dumps`: plain notation, never through float, no ``-0``."""
    if not value.is_finite():
        raise TypeError(f"non-finite Decimal {value!r} cannot be sent as a JSON number")
    text = format(value, "f")
    if value.is_zero() and text.startswith("-"):
        text = text[1:]
    return orjson.Fragment(text.encode())


_OPTS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS | orjson.OPT_NAIVE_UTC
_PLAIN = (str, int, float, bool, type(None), Decimal, datetime, date, time, UUID)


@dataclass(frozen=True)
class WireDialect:
    """One way of writing the MesoLive wire; the default is what the documentation shows.

    ``naming``: ``"pascal"`` (the documented names) or ``"camel"`` (ASP.NET Core's default
    ``JsonNamingPolicy.CamelCase``). ``int_enums``: enums as their integer value, as C#
    numbers them (declaration order from 0); ``[Flags]`` enums (``LiveQuoteFields``,
    ``LiveDataInclude``) as their bitmask. ``dotnet_datetimes``: datetimes with seven
    fraction digits (``2024-05-01T14:30:00.1234560Z``) instead of up to six.
    """

    naming: Naming = "pascal"
    int_enums: bool = False
    dotnet_datetimes: bool = False

    def __post_init__(self) -> None:
        if self.naming not in ("pascal", "camel"):
            raise ValueError(f"unknown wire naming {self.naming!r} (pascal or camel)")

    # --- naming ----------------------------------------------------------------------
    @property
    def is_default(self) -> bool:
        return self == WireDialect()

    def __str__(self) -> str:
        parts: list[str] = [self.naming]
        if self.int_enums:
            parts.append("int-enums")
        if self.dotnet_datetimes:
            parts.append("dotnet-datetimes")
        return "+".join(parts)

    @classmethod
    def parse(cls, spec: str) -> WireDialect:
        """``"pascal"``, ``"camel"``, optionally with ``+int-enums`` and ``+dotnet-datetimes``
        (``,`` works as a separator too); ``"aspnet"`` is all three of ASP.NET Core's defaults
        (``camel+int-enums+dotnet-datetimes``). An empty spec is the default dialect."""
        naming: Naming = "pascal"
        int_enums = dotnet_datetimes = False
        for raw in spec.replace(",", "+").split("+"):
            token = raw.strip().lower()
            if token in ("", "pascal"):
                continue
            if token == "camel":
                naming = "camel"
            elif token in ("int-enums", "int"):
                int_enums = True
            elif token in ("dotnet-datetimes", "dotnet-dates", "7-digits"):
                dotnet_datetimes = True
            elif token == "aspnet":
                naming, int_enums, dotnet_datetimes = "camel", True, True
            else:
                raise ValueError(f"unknown wire dialect part {raw.strip()!r} in {spec!r} "
                                 "(pascal, camel, int-enums, dotnet-datetimes, aspnet)")
        return cls(naming, int_enums, dotnet_datetimes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WireDialect:
        """The dialect named by ``$MESODESK_WIRE_DIALECT`` (the test suite's switch), else the default."""
        return cls.parse((os.environ if environ is None else environ).get(ENV_VAR, ""))

    # --- writing ---------------------------------------------------------------------
    @property
    def dumps(self) -> Callable[[Any], bytes]:
        """The serializer for :class:`~mesodesk.sim.signalr.SignalRServer`'s ``dumps``.

        The default dialect is :func:`mesodesk.contract.dumps` itself (the fast path)."""
        if self.is_default:
            return pascal_dumps
        return _writer(self).dumps

    def value(self, obj: Any) -> Any:
        """``obj`` (a model, an enum member...) as JSON data the way this dialect writes it."""
        return orjson.loads(self.dumps(obj))

    def name(self, wire_name: str) -> str:
        """A documented (PascalCase) property name as this dialect writes it."""
        return dotnet_camel_case(wire_name) if self.naming == "camel" else wire_name


class _DialectWriter:
    """Rewrites models, in step with their pydantic dump, into a dialect's JSON.

    Each model is dumped once by pydantic (python mode, by alias: the serializers of the
    contract apply, e.g. flags as ``"Bid, Ask"``); the writer then walks the dump beside
    the model instance, so it knows which dicts are models (keys renamed) and which are
    dictionaries (keys kept), and which values are enums.
    """

    def __init__(self, dialect: WireDialect) -> None:
        self.dialect = dialect
        self._camel = dialect.naming == "camel"
        self._int_enums = dialect.int_enums
        self._keys: dict[type[BaseModel], dict[str, tuple[str, str]]] = {}
        self._enum_index: dict[type[Enum], dict[Enum, int]] = {}
        self._option = _OPTS | (orjson.OPT_PASSTHROUGH_DATETIME if dialect.dotnet_datetimes else 0)

    def dumps(self, obj: Any) -> bytes:
        return orjson.dumps(self.convert(obj), default=self._default, option=self._option)

    # --- leaves ------------------------------------------------------------------------
    @staticmethod
    def _default(obj: Any) -> Any:
        if isinstance(obj, Decimal):
            return _decimal(obj)
        if isinstance(obj, datetime):  # only with OPT_PASSTHROUGH_DATETIME (dotnet datetimes)
            return dotnet_datetime(obj)
        if isinstance(obj, (date, time)):
            return obj.isoformat()
        if isinstance(obj, BaseModel):  # not reached: convert() dumps every model
            return obj.model_dump(mode="python", by_alias=True)
        if isinstance(obj, (set, frozenset, tuple)):
            return list(obj)
        raise TypeError(f"Type is not JSON serializable: {type(obj).__name__}")

    def _enum(self, member: Enum, dumped: Any) -> Any:
        if not self._int_enums:
            return dumped
        if isinstance(member, Flag):
            return int(member.value)
        if isinstance(member, int):  # an IntEnum already is its number
            return int(member)
        cls = type(member)
        index = self._enum_index.get(cls)
        if index is None:
            index = self._enum_index[cls] = {m: i for i, m in enumerate(cls)}
        number = index.get(member)
        if number is None:  # not a declared member (a reader's stand-in for an unknown value): as received
            return getattr(member, "wire_value", dumped)
        return number

    # --- structure ---------------------------------------------------------------------
    def _model_keys(self, cls: type[BaseModel]) -> dict[str, tuple[str, str]]:
        """dumped (documented) name -> (attribute, name written)."""
        keys = self._keys.get(cls)
        if keys is None:
            keys = {}
            for attr, info in cls.model_fields.items():
                wire = info.serialization_alias or info.alias or attr
                keys[wire] = (attr, self.dialect.name(wire))
            self._keys[cls] = keys
        return keys

    def convert(self, obj: Any) -> Any:
        """A value with no pydantic dump yet: plain containers keep their keys."""
        if isinstance(obj, _PLAIN) and not isinstance(obj, Enum):
            return obj
        if isinstance(obj, BaseModel):
            return self._model(obj, obj.model_dump(mode="python", by_alias=True))
        if isinstance(obj, Enum):
            return self._enum(obj, obj)
        if isinstance(obj, dict):
            return {k: self.convert(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self.convert(v) for v in obj]
        return obj

    def _model(self, model: BaseModel, dumped: dict[str, Any]) -> dict[str, Any]:
        keys = self._model_keys(type(model))
        out: dict[str, Any] = {}
        for wire, value in dumped.items():
            entry = keys.get(wire)
            if entry is None:  # not a declared field (extra): its value is plain data
                out[self.dialect.name(wire) if isinstance(wire, str) else wire] = self.convert(value)
                continue
            attr, name = entry
            out[name] = self._paired(getattr(model, attr, value), value)
        return out

    def _paired(self, src: Any, dumped: Any) -> Any:
        """``dumped`` is pydantic's dump of ``src``: rewrite it, taking the structure from ``src``."""
        if isinstance(src, _PLAIN) and not isinstance(src, Enum):
            return dumped
        if isinstance(src, BaseModel):
            if isinstance(dumped, dict):
                return self._model(src, dumped)
            return self.convert(dumped)
        if isinstance(src, Enum):
            return self._enum(src, dumped)
        if isinstance(src, dict) and isinstance(dumped, dict) and len(src) == len(dumped):
            return {k: self._paired(s, d) for s, (k, d) in zip(src.values(), dumped.items(), strict=True)}
        if isinstance(src, (list, tuple)) and isinstance(dumped, (list, tuple)) and len(src) == len(dumped):
            return [self._paired(s, d) for s, d in zip(src, dumped, strict=True)]
        return self.convert(dumped)


@functools.cache
def _writer(dialect: WireDialect) -> _DialectWriter:
    """One writer per dialect, so its per-class caches are shared."""
    return _DialectWriter(dialect)
