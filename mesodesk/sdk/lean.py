"""Lean stream items: position and leg pricing decoded by msgspec into Structs with float values.

The default streams yield pydantic models with exact ``Decimal`` values (the reference SDK's
types). ``stream_position_data(..., lean=True)`` (and ``stream_leg_data``/``stream_legs_data``)
yield these Structs instead: the same attributes, market values (prices, greeks, P&L) as
``float``, decoded straight from the item's bytes by a compiled decoder, at a fraction of the
cost. ``item.to_model()`` gives the pydantic model; its ``Decimal`` values are those of the
floats' shortest text, equal to the wire's numbers whenever those have at most 15 significant
digits (every price, greek and P&L MesoLive sends; use the default stream when more matter).

Reads are as tolerant as the default path's, never lossier:

* PascalCase (documented) and camelCase (ASP.NET Core's default) property names are decoded
  directly; the stream switches to the dialect the server speaks.
* Timestamps are read exactly as :data:`~mesodesk.contract.base.UtcDatetime` reads them (0-7
  fraction digits truncated to microseconds, ``Z`` or an offset, converted to UTC).
* Anything else (an unknown property at any depth, numbers sent as strings, mixed or other
  spellings, a missing zone...) makes the compiled decoder refuse the item, which is then
  read by the default pydantic path (tolerant, and logging what it tolerated) and converted:
  no value is dropped silently. An item that path cannot read raises exactly its error
  (pydantic ``ValidationError``, or the JSON parser's error for malformed JSON).
"""

from __future__ import annotations

import functools
import logging
import operator
import typing
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar, cast

import msgspec
import orjson
from pydantic import BaseModel, TypeAdapter

from mesodesk.contract import (
    LegDataEntry,
    LegsDataEntry,
    LiveGreeks,
    LiveGreekValues,
    LivePnL,
    LivePrices,
    PositionDataEntry,
    UtcDatetime,
    WireModel,
)
from mesodesk.contract.wire_read import camel_alias
from mesodesk.sdk._hub import HubStream
from mesodesk.sdk._signalr import SignalRStream
from mesodesk.sdk._stream import RawItem, keep_raw

__all__ = [
    "LeanGreekValues",
    "LeanGreeks",
    "LeanHubStream",
    "LeanItem",
    "LeanLegData",
    "LeanLegsData",
    "LeanPnL",
    "LeanPositionData",
    "LeanPrices",
    "LeanReader",
    "WireTime",
    "lean_of",
    "lean_reader",
]

log = logging.getLogger("mesodesk.sdk.lean")

L = TypeVar("L", bound="LeanItem")
M = TypeVar("M", bound=WireModel)


class WireTime(datetime):
    """An aware UTC ``datetime`` read from the wire by the lean decoder (a plain ``datetime``
    in every respect; the subclass only tells msgspec to read it as the contract does)."""


def _renames(model: type[BaseModel]) -> dict[str, str]:
    """Field name -> documented (PascalCase) property name, from the contract model itself."""
    return {name: str(info.validation_alias if isinstance(info.validation_alias, str) else info.alias or name)
            for name, info in model.model_fields.items()}


class LeanItem(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """Base of the lean Structs: ``to_model()`` and the contract model each one mirrors."""

    #: the contract model this Struct mirrors
    model_type: ClassVar[type[WireModel]]

    def to_model(self) -> Any:
        """The pydantic model of these values (floats as ``Decimal`` of their shortest text)."""
        return self.model_type.model_validate({name: _to_wire(getattr(self, name)) for name in self.__struct_fields__})


def _to_wire(value: Any) -> Any:
    kind = type(value)
    if kind is float:
        return Decimal(repr(value))
    if isinstance(value, LeanItem):
        return value.to_model()
    if kind is dict:
        return {key: _to_wire(item) for key, item in value.items()}
    if isinstance(value, datetime):
        return datetime.combine(value.date(), value.timetz())  # a plain datetime
    return value


class LeanPrices(LeanItem, rename=_renames(LivePrices)):
    """:class:`~mesodesk.contract.LivePrices` with float prices."""

    model_type: ClassVar[type[WireModel]] = LivePrices
    bid: float | None = None
    ask: float | None = None
    last: float | None = None
    mark: float | None = None
    mid: float | None = None
    updated_at: WireTime | None = None


class LeanGreekValues(LeanItem, rename=_renames(LiveGreekValues)):
    """:class:`~mesodesk.contract.LiveGreekValues` with float greeks."""

    model_type: ClassVar[type[WireModel]] = LiveGreekValues
    delta: float | None = None
    gamma: float | None = None
    theta: float | None = None
    vega: float | None = None
    wvega: float | None = None
    rho: float | None = None
    iv: float | None = None


class LeanGreeks(LeanItem, rename=_renames(LiveGreeks)):
    """:class:`~mesodesk.contract.LiveGreeks`: float greeks per basis."""

    model_type: ClassVar[type[WireModel]] = LiveGreeks
    bid: LeanGreekValues | None = None
    ask: LeanGreekValues | None = None
    last: LeanGreekValues | None = None
    mark: LeanGreekValues | None = None
    updated_at: WireTime | None = None


class LeanPnL(LeanItem, rename=_renames(LivePnL)):
    """:class:`~mesodesk.contract.LivePnL` with float P&L."""

    model_type: ClassVar[type[WireModel]] = LivePnL
    bid: float | None = None
    ask: float | None = None
    last: float | None = None
    mark: float | None = None
    realized: float | None = None
    updated_at: WireTime | None = None


class LeanPositionData(LeanItem, rename=_renames(PositionDataEntry)):
    """:class:`~mesodesk.contract.PositionDataEntry` (a ``StreamPositionData`` item), lean."""

    model_type: ClassVar[type[WireModel]] = PositionDataEntry
    position_id: int | None = None
    timestamp: WireTime | None = None
    underlying_price: LeanPrices | None = None
    position_prices: LeanPrices | None = None
    position_greeks: LeanGreeks | None = None
    position_pnls: LeanPnL | None = None
    leg_prices: dict[int, LeanPrices] | None = None
    leg_greeks: dict[int, LeanGreeks] | None = None
    leg_pnls: dict[int, LeanPnL] | None = None
    leg_group_prices: dict[int, LeanPrices] | None = None
    leg_group_greeks: dict[int, LeanGreeks] | None = None
    leg_group_pnls: dict[int, LeanPnL] | None = None

    def to_model(self) -> PositionDataEntry:
        """The pydantic :class:`~mesodesk.contract.PositionDataEntry` of these values."""
        return cast(PositionDataEntry, super().to_model())


class LeanLegData(LeanItem, rename=_renames(LegDataEntry)):
    """:class:`~mesodesk.contract.LegDataEntry` (a ``StreamLegData`` item), lean."""

    model_type: ClassVar[type[WireModel]] = LegDataEntry
    leg_id: int | None = None
    timestamp: WireTime | None = None
    underlying_price: LeanPrices | None = None
    prices: LeanPrices | None = None
    greeks: LeanGreeks | None = None
    pnls: LeanPnL | None = None

    def to_model(self) -> LegDataEntry:
        """The pydantic :class:`~mesodesk.contract.LegDataEntry` of these values."""
        return cast(LegDataEntry, super().to_model())


class LeanLegsData(LeanItem, rename=_renames(LegsDataEntry)):
    """:class:`~mesodesk.contract.LegsDataEntry` (a ``StreamLegsData`` item), lean."""

    model_type: ClassVar[type[WireModel]] = LegsDataEntry
    timestamp: WireTime | None = None
    underlying_price: LeanPrices | None = None
    leg_prices: dict[int, LeanPrices] | None = None
    leg_greeks: dict[int, LeanGreeks] | None = None
    leg_pnls: dict[int, LeanPnL] | None = None

    def to_model(self) -> LegsDataEntry:
        """The pydantic :class:`~mesodesk.contract.LegsDataEntry` of these values."""
        return cast(LegsDataEntry, super().to_model())


_LEAN_TYPES: tuple[type[LeanItem], ...] = (LeanPrices, LeanGreekValues, LeanGreeks, LeanPnL, LeanPositionData,
                                           LeanLegData, LeanLegsData)
_LEAN_OF_MODEL: dict[type[BaseModel], type[LeanItem]] = {cls.model_type: cls for cls in _LEAN_TYPES}


# ----------------------------------------------------------------------------- pydantic -> lean


def _from_wire(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, BaseModel):
        return lean_of(value)
    if type(value) is dict:
        return {key: _from_wire(item) for key, item in value.items()}
    return value


def lean_of(model: BaseModel) -> Any:
    """The lean Struct of a pydantic entry or block (e.g. a ``PositionDataEntry`` read by the
    default path, or a ``GetPositionSnapshotResult``): its ``Decimal`` values as floats."""
    for base in type(model).__mro__:
        lean = _LEAN_OF_MODEL.get(base)
        if lean is not None:
            return lean(**{name: _from_wire(getattr(model, name)) for name in lean.__struct_fields__})
    raise TypeError(f"no lean type mirrors {type(model).__name__}")


# ----------------------------------------------------------------------------- the decoders

_read_utc: Callable[[Any], datetime] | None = None  # UtcDatetime's validator (built on first use)
_last_time: tuple[str, WireTime | None] = ("", None)


def _decode_hook(tp: type, value: Any) -> Any:
    """Timestamps: exactly as the contract reads them (the last string's result is kept: an
    item's timestamps are nearly always one tick)."""
    global _last_time, _read_utc
    if tp is WireTime and type(value) is str:
        last = _last_time
        if value == last[0]:
            return last[1]
        if _read_utc is None:
            _read_utc = TypeAdapter(UtcDatetime).validate_python
        parsed = _read_utc(value)  # a pydantic ValidationError (a ValueError) refuses the item
        wire = WireTime.combine(parsed.date(), parsed.timetz())
        _last_time = (value, wire)
        return wire
    if type(value) is WireTime:  # converting a camelCase item to the public classes
        return value
    raise ValueError(f"not a wire timestamp: {type(value).__name__}")  # e.g. a number: the default path


def _camel_family() -> dict[type[LeanItem], type[msgspec.Struct]]:
    """A Struct of each lean type that decodes camelCase property names (its instances are then
    converted to the public classes)."""
    out: dict[type[LeanItem], type[msgspec.Struct]] = {}

    def camel(tp: Any) -> Any:
        if isinstance(tp, type) and issubclass(tp, LeanItem):
            return out[tp]
        args = typing.get_args(tp)
        if typing.get_origin(tp) is dict:
            return dict[camel(args[0]), camel(args[1])]  # type: ignore[misc]
        if args:  # X | None
            return functools.reduce(operator.or_, [camel(a) for a in args])
        return tp

    for cls in _LEAN_TYPES:  # blocks before the entries that hold them
        fields = [(f.name, camel(f.type), None) for f in msgspec.structs.fields(cls)]
        renames = {name: camel_alias(alias) for name, alias in _renames(cls.model_type).items()}
        out[cls] = msgspec.defstruct(f"_Camel{cls.__name__}", fields, rename=renames, forbid_unknown_fields=True,
                                     gc=False, module=__name__)
    return out


_CAMEL: dict[type[LeanItem], type[msgspec.Struct]] | None = None


class LeanReader(Generic[L]):
    """Decodes one lean item type from item bytes: the current dialect's compiled decoder,
    then the other dialect's (switching to it when it fits), else ``None`` (the caller reads
    the item through the default pydantic path, see :class:`LeanHubStream`)."""

    def __init__(self, lean_type: type[L]) -> None:
        global _CAMEL
        if _CAMEL is None:
            _CAMEL = _camel_family()
        self.type = lean_type
        camel = msgspec.json.Decoder(_CAMEL[lean_type], dec_hook=_decode_hook).decode

        def camel_decode(data: bytes) -> Any:  # into the public classes (equal to the same values read in PascalCase)
            return msgspec.convert(camel(data), lean_type, from_attributes=True, dec_hook=_decode_hook)

        self._decoders: dict[str, Callable[[bytes], Any]] = {
            "pascal": msgspec.json.Decoder(lean_type, dec_hook=_decode_hook).decode, "camel": camel_decode}
        self.dialect = "pascal"
        self._decode = self._decoders["pascal"]
        #: items the compiled decoders refused (read by the default path instead)
        self.refused = 0
        self._told = False

    def decode(self, data: bytes) -> L | None:
        """The lean item of ``data`` (an item's JSON), or ``None`` when neither dialect's
        decoder takes it."""
        try:
            return cast(L, self._decode(data))
        except (ValueError, TypeError) as first:  # msgspec's errors are ValueErrors
            other = "camel" if self.dialect == "pascal" else "pascal"
            try:
                item = cast(L, self._decoders[other](data))
            except (ValueError, TypeError):
                self._refused(first)
                return None
        log.info("lean %s: reading %s property names", self.type.__name__, other)
        self.dialect, self._decode = other, self._decoders[other]
        return item

    def _refused(self, error: BaseException) -> None:
        self.refused += 1
        if not self._told:
            self._told = True
            log.info("lean %s: an item the compiled decoder does not take (%s); such items are read by the "
                     "default path (slower)", self.type.__name__, str(error)[:200])


_READERS: dict[type[LeanItem], LeanReader[Any]] = {}


def lean_reader(lean_type: type[L]) -> LeanReader[L]:
    """The shared :class:`LeanReader` of ``lean_type``."""
    found = _READERS.get(lean_type)
    if found is None:
        found = _READERS.setdefault(lean_type, LeanReader(lean_type))
    return found


class LeanHubStream(HubStream[L]):
    """A :class:`~mesodesk.sdk._hub.HubStream` that yields lean items (see the module docstring).

    Items the compiled decoders refuse are read exactly as the default stream reads them and
    converted with :func:`lean_of`; ``refused`` counts them.
    """

    def __init__(self, stream: SignalRStream, model_type: type[M], lean_type: type[L]) -> None:
        super().__init__(stream, model_type)  # type: ignore[arg-type]  # the default path's reader
        self._lean = lean_reader(lean_type)
        self._exact_loads = self._loads
        stream.loads = keep_raw  # the transport hands over the RawItem itself

    @property
    def refused(self) -> int:
        """Items of this item type read by the default path (process-wide)."""
        return self._lean.refused

    async def __anext__(self) -> L:
        stream = self._stream
        if stream._buf and stream._client is not None:  # started and buffered: no await needed
            return self._read(stream._buf.popleft())
        return self._read(await stream.__anext__())

    def _read(self, item: Any) -> L:
        if type(item) is RawItem:
            if item.start >= 0:
                data = item.record[item.start:-1]
            else:
                try:
                    message = orjson.loads(item.record)
                    data = orjson.dumps(message.get("item")) if type(message) is dict else b""
                except (ValueError, TypeError):
                    data = b""
            if data:
                lean = self._lean.decode(data)
                if lean is not None:
                    return lean
            item = item.decode(self._exact_loads)
        return cast(L, lean_of(cast(BaseModel, self._validate(item))))
