"""Every enum used on the MesoLive wire.

Enum wire format: enums are sent as strings, the member *name* (each ``StrEnum``
member's value equals its wire name). On input a :class:`WireEnum` also accepts
(``WireEnum._missing_``):

* the name in any case, with or without underscores (``"filled"``, ``"FILLED"``,
  ``"partially_filled"``: what .NET's ``JsonStringEnumConverter`` reads);
* an ``int`` (or a numeric string), taken as the member's index in declaration order
  (0-based): what a .NET server sends when it serializes enums as numbers (C# enums
  number their members 0, 1, 2... in declaration order unless given explicit values).
  ``bool`` is rejected. MesoLive documents no numeric value for any enum, so where the
  member list is documented our declaration order is the documented order, and
  elsewhere the numbers are a guess. Each enum's docstring says which ("ints: ...").
* the text of an unknown pseudo-member, ``"unknown (<value>)"`` (see below), so that a
  logged or dumped unknown value reads back as the same pseudo-member.

Unknown members: a value that is none of these (a state the server added after this
contract was written) makes validation fail, as before: the *tolerant readers* of the
SDK (:mod:`mesodesk.contract.wire_read`) replace it with ``Enum.unknown(value)``, a
pseudo-member of that enum whose ``str()``, ``value`` and ``name`` are
``"unknown (<value>)"`` and whose :attr:`WireEnum.wire_value` is the value as received
(``is_unknown`` is true). It compares unequal to every real member, so ``state ==
OrderState.Filled`` and ``state in TERMINAL_ORDER_STATES`` are simply false, and the UI
shows its text. Pseudo-members are cached: the same value gives the same object.
Never send one: writes stay the documented member names.

Flags: ``LiveQuoteFields`` and ``LiveDataInclude`` are ``enum.Flag``. On the wire they
are .NET-style comma-separated names (``"Bid, Ask"``; a value equal to a named member,
e.g. ``All``, is written as that single name; the empty value is ``"None"``). On input
a string (case-insensitive, comma-separated), a list of names, an int bitmask or a
member are accepted. Use the annotated types ``QuoteFields`` / ``DataInclude`` for
model fields. (They only occur in args, which the SDK writes; see each class for the
bit values.)
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Flag, StrEnum
from threading import Lock
from typing import Annotated, Any, Self, TypeVar

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

__all__ = [
    "TERMINAL_ORDER_STATES",
    "AgentConnector",
    "AgentStatus",
    "BrokerType",
    "ConditionType",
    "DataInclude",
    "DataProviderType",
    "ErrorState",
    "IdempotencyOperation",
    "IdempotencyRecordStatus",
    "LegStatus",
    "LiveDataInclude",
    "LiveLegSelectionConstraint",
    "LivePositionState",
    "LiveQuoteFields",
    "MesoContractType",
    "MesoOptionType",
    "OrderState",
    "OrderType",
    "PositionAdjustmentOperation",
    "PositionStatus",
    "PreparationStatus",
    "QuoteFields",
    "SignalState",
    "StatusCode",
    "TimeInForce",
    "WireEnum",
    "flag_from_wire",
    "flag_to_wire",
]


_UNKNOWN_PREFIX = "unknown ("
#: (enum class, received value) -> its pseudo-member (see ``WireEnum.unknown``)
_UNKNOWN: dict[tuple[type, str | int], Any] = {}
_UNKNOWN_LOCK = Lock()
#: enum class -> {folded spelling -> member}: names/values lower-cased, underscores removed
_FOLDED: dict[type, dict[str, Any]] = {}


def _fold(text: str) -> str:
    return text.replace("_", "").lower()


def _as_int(text: str) -> int | None:
    digits = text[1:] if text[:1] in "+-" else text
    return int(text) if digits.isdigit() and digits.isascii() else None


class WireEnum(StrEnum):
    """StrEnum whose value is the wire name; see the module docstring for what it accepts
    on input (any case, ints by declaration order, ``unknown (...)`` pseudo-members)."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            members = list(cls)
            if 0 <= value < len(members):
                return members[value]
            return None
        if isinstance(value, str):
            text = value.strip()
            number = _as_int(text)
            if number is not None:
                return cls._missing_(number)
            folded = _FOLDED.get(cls)
            if folded is None:
                folded = {}
                for member in cls:
                    folded.setdefault(_fold(member.name), member)
                    folded.setdefault(_fold(member.value), member)
                _FOLDED[cls] = folded
            found = folded.get(_fold(text))
            if found is not None:
                return found
            if text.startswith(_UNKNOWN_PREFIX) and text.endswith(")"):
                return cls.unknown(text[len(_UNKNOWN_PREFIX) : -1])
        return None

    @classmethod
    def unknown(cls, value: str | int) -> Self:
        """The pseudo-member standing for ``value``, a value this contract does not know
        (``str()``/``value``/``name``: ``"unknown (<value>)"``; cached per value)."""
        if isinstance(value, str):
            number = _as_int(value.strip())
            key: str | int = number if number is not None else value
        else:
            key = int(value)
        found: Self | None = _UNKNOWN.get((cls, key))
        if found is not None:
            return found
        with _UNKNOWN_LOCK:
            found = _UNKNOWN.get((cls, key))
            if found is None:
                text = f"{_UNKNOWN_PREFIX}{key})"
                found = str.__new__(cls, text)
                found._name_ = text
                found._value_ = text
                found.__dict__["_wire_value"] = key
                _UNKNOWN[(cls, key)] = found
        return found

    def __reduce_ex__(self, protocol: object) -> tuple[Any, ...]:
        # by value, as Python 3.11.7+ does (3.11.2, Debian 12's, pickles by name, which a
        # pseudo-member does not have among the class's members)
        return self.__class__, (self._value_,)

    @property
    def is_unknown(self) -> bool:
        """True for a pseudo-member made by :meth:`unknown` (a value the contract does not know)."""
        return "_wire_value" in self.__dict__

    @property
    def wire_value(self) -> str | int:
        """The value as the server sent it: the member name, or an unknown member's raw value."""
        raw: str | int = self.__dict__.get("_wire_value", self._value_)
        return raw


class StatusCode(WireEnum):
    """Envelope status of every hub call.

    ``Success``; ``InvalidArguments`` args failed validation (``Error.ValidationErrors``
    filled); ``NotFound`` unknown id; ``Unauthorized``/``Forbidden`` auth problems on a call;
    ``Conflict`` idempotent call still processing, key reused with another payload, or an
    operation invalid in the current state (e.g. cancelling a Filled order);
    ``DuplicateRequest`` key already completed: the envelope carries the original Data;
    ``ProviderError`` market-data provider/agent missing or failing (e.g. a
    provider-required data method with no Provider); ``BrokerError`` broker rejected or
    failed; ``NotSupported`` feature not available (e.g. paper fills on a broker account);
    ``Timeout``; ``InternalError``.

    ints: 0.. in our order, a guess (only Success, DuplicateRequest, Conflict are documented).
    """

    Success = "Success"
    InvalidArguments = "InvalidArguments"
    NotFound = "NotFound"
    Unauthorized = "Unauthorized"
    Forbidden = "Forbidden"
    Conflict = "Conflict"
    DuplicateRequest = "DuplicateRequest"
    ProviderError = "ProviderError"
    BrokerError = "BrokerError"
    NotSupported = "NotSupported"
    Timeout = "Timeout"
    InternalError = "InternalError"


class IdempotencyOperation(WireEnum):
    """One member per idempotent (recorded) hub method, named like the method.

    ints: 0.. in our order, a guess (the member list is not documented).
    """

    StartPreparePositionEntry = "StartPreparePositionEntry"
    StartPreparePositionExit = "StartPreparePositionExit"
    StartPreparePositionAdjustment = "StartPreparePositionAdjustment"
    CancelPreparePositionEntry = "CancelPreparePositionEntry"
    CancelPreparePositionExit = "CancelPreparePositionExit"
    CancelPreparePositionAdjustment = "CancelPreparePositionAdjustment"
    SendOrder = "SendOrder"
    CancelOrder = "CancelOrder"
    ApplyPaperFills = "ApplyPaperFills"


class IdempotencyRecordStatus(WireEnum):
    """Status of an idempotency record.

    ints: 0.. in the documented order (assumed to be the C# declaration order).
    """

    Processing = "Processing"
    Completed = "Completed"
    Failed = "Failed"


class PreparationStatus(WireEnum):
    """Status of a prepare job: Pending, Running, then Completed, Failed or Cancelled.

    ints: 0.. in our order, a guess (only Completed/Failed are documented).
    """

    Pending = "Pending"
    Running = "Running"
    Completed = "Completed"
    Failed = "Failed"
    Cancelled = "Cancelled"


class PositionAdjustmentOperation(WireEnum):
    """What a position adjustment does.

    ints: 0.. in the documented order, a guess (the docs say "common values include").
    """

    AddLegs = "AddLegs"
    RemoveLegs = "RemoveLegs"
    MoveLeg = "MoveLeg"
    UpdateVars = "UpdateVars"


class PositionStatus(WireEnum):
    """High-level lifecycle status carried by PositionUpdateEvent.

    ints: 0.. in the documented order (assumed to be the C# declaration order).
    """

    Created = "Created"
    Closed = "Closed"
    Adjusted = "Adjusted"
    RealizedPnLChanged = "RealizedPnLChanged"


class LivePositionState(WireEnum):
    """Open or Closed. A position only exists once its first entry fill arrived (before
    that there is just an exec plan), and "Set Closed" in the Portal is a plain database
    close, so there is no Pending/Closing state.

    ints: 0.. in our order, a guess (the member list is not documented).
    """

    Open = "Open"
    Closed = "Closed"


class LegStatus(WireEnum):
    """Leg lifecycle status (mirrors PositionStatus at leg level).

    ints: 0.. in our order, a guess (the member list is not documented).
    """

    Created = "Created"
    QtyChanged = "QtyChanged"
    Closed = "Closed"
    RealizedPnLChanged = "RealizedPnLChanged"


class OrderState(WireEnum):
    """Order state (IBKR-like). Life cycle: PendingSubmit -> Submitted -> Working ->
    PartiallyFilled -> Filled | Cancelled | Rejected | Expired. ``Inactive`` = accepted by
    the broker but not working (e.g. held, outside trading hours). ``Expired`` = a DAY order
    still working at the close of its session (not cancelled by anyone). Terminal states are
    in ``TERMINAL_ORDER_STATES``; cancelling one answers ``StatusCode.Conflict``.

    ints: 0.. in our order, a guess (the member list is not documented; ``Expired`` was
    added last so the earlier numbers stay).
    """

    PendingSubmit = "PendingSubmit"
    Submitted = "Submitted"
    Working = "Working"
    PartiallyFilled = "PartiallyFilled"
    Filled = "Filled"
    Cancelled = "Cancelled"
    Rejected = "Rejected"
    Inactive = "Inactive"
    Expired = "Expired"


TERMINAL_ORDER_STATES: frozenset[OrderState] = frozenset(
    {OrderState.Filled, OrderState.Cancelled, OrderState.Rejected, OrderState.Expired}
)


class OrderType(WireEnum):
    """Order type (as in the MesoLive Portal).

    ints: 0.. in the documented order (assumed to be the C# declaration order).
    """

    Market = "Market"
    Limit = "Limit"
    Stop = "Stop"
    StopLimit = "StopLimit"


class TimeInForce(WireEnum):
    """Time in force, spelled upper-case as the MesoLive Portal shows it.

    ints: 0.. in the documented order (assumed to be the C# declaration order).
    """

    DAY = "DAY"
    GTC = "GTC"


class SignalState(WireEnum):
    """State of an entry, exit or adjustment signal.

    ints: 0.. in the documented order (assumed to be the C# declaration order).
    """

    On = "On"
    Off = "Off"


class ErrorState(WireEnum):
    """An error is Raised (becomes active) then Cleared (resolved).

    ints: 0.. in our order, a guess (the member list is not documented).
    """

    Raised = "Raised"
    Cleared = "Cleared"


class ConditionType(WireEnum):
    """Which part of a strategy definition an evaluated statement belongs to.

    ints: 0.. in our order, a guess (the member list is not documented).
    """

    Entry = "Entry"
    Abort = "Abort"
    Exit = "Exit"
    ProfitTarget = "ProfitTarget"
    StopLoss = "StopLoss"
    MaxDaysInTrade = "MaxDaysInTrade"
    Adjustment = "Adjustment"
    VarDefine = "VarDefine"
    StrikeSelector = "StrikeSelector"
    Expiration = "Expiration"
    QtyMultiplier = "QtyMultiplier"


class AgentStatus(WireEnum):
    """Connection status of an agent.

    ints: 0.. in our order, a guess (the member list is not documented).
    """

    Connected = "Connected"
    Disconnected = "Disconnected"
    Degraded = "Degraded"


class AgentConnector(WireEnum):
    """One connector per broker integration, plus the simulator.

    ints: 0.. in our order, a guess (the member list is not documented).
    """

    IbkrTws = "IbkrTws"
    TastyTrade = "TastyTrade"
    Schwab = "Schwab"
    Simulated = "Simulated"


class BrokerType(WireEnum):
    """Broker of an account. ``MesoLivePaper`` is a MesoLive-internal paper account
    (``IsPaperAccount``); ``Simulated`` is an account of the offline simulator.

    ints: 0.. in our order, a guess (the member list is not documented).
    """

    MesoLivePaper = "MesoLivePaper"
    Ibkr = "Ibkr"
    TastyTrade = "TastyTrade"
    Schwab = "Schwab"
    Simulated = "Simulated"


class DataProviderType(WireEnum):
    """The broker family that can supply market data, plus ``Simulated`` (the simulator's
    synthetic provider).

    ints: 0.. in our order, a guess (the member list is not documented).
    """

    Ibkr = "Ibkr"
    TastyTrade = "TastyTrade"
    Schwab = "Schwab"
    Simulated = "Simulated"


class MesoContractType(WireEnum):
    """Kind of contract (see LiveContract).

    ints: 0.. in the documented order (assumed to be the C# declaration order).
    """

    Stock = "Stock"
    Index = "Index"
    Options = "Options"
    Futures = "Futures"
    FuturesOptions = "FuturesOptions"


class MesoOptionType(WireEnum):
    """Call or put.

    ints: 0.. in the documented order (assumed to be the C# declaration order).
    """

    Call = "Call"
    Put = "Put"


class LiveLegSelectionConstraint(WireEnum):
    """How legs may be shared between positions: FullyUnique, UniqueInPosition, or
    ``None`` (wire ``"None"``, as in MesoSim). The Python member is ``None_`` because
    ``None`` is a keyword.

    ints: 0.. in our order, a guess (``None`` comes from MesoSim, its position is not documented).
    """

    FullyUnique = "FullyUnique"
    UniqueInPosition = "UniqueInPosition"
    None_ = "None"


# --------------------------------------------------------------------------- flags


class LiveQuoteFields(Flag):
    """Quote bases (a .NET ``[Flags]`` enum; ``All`` = every basis).

    ints: a bitmask; the bit values are Bid 1, Ask 2, Last 4, Mark 8 (documented order).
    """

    Bid = 1
    Ask = 2
    Last = 4
    Mark = 8
    All = Bid | Ask | Last | Mark


class LiveDataInclude(Flag):
    """Which blocks a data method sends: Prices, Greeks, PnL, All, or ``None`` (Python
    ``None_``, wire "None").

    ints: a bitmask; the bit values are Prices 1, Greeks 2, PnL 4 (documented order).
    """

    None_ = 0
    Prices = 1
    Greeks = 2
    PnL = 4
    All = Prices | Greeks | PnL


F = TypeVar("F", bound=Flag)


def _wire_name(member: Flag) -> str:
    name = member.name or ""
    return "None" if name == "None_" else name


def flag_to_wire(value: Flag) -> str:
    """.NET ``[Flags]`` ``ToString()``: a named value as its name, else ``"A, B"``; 0 as ``"None"``."""
    cls = type(value)
    for member in cls.__members__.values():
        if member.value == value.value:
            return _wire_name(member)
    if value.value == 0:
        return "None"
    parts = [
        _wire_name(m)
        for m in cls.__members__.values()
        if m.value and (m.value & (m.value - 1)) == 0 and (value.value & m.value) == m.value
    ]
    return ", ".join(parts)


def _allowed(cls: type[Flag]) -> str:
    """What a flags value may be, for error messages."""
    names = dict.fromkeys(["None", *(_wire_name(m) for m in cls.__members__.values())])
    return f"allowed: {', '.join(names)}; several as \"A, B\" or a list"


def _lookup(cls: type[F], name: str) -> F:
    wanted = name.strip().lower()
    if wanted == "none":
        return cls(0)
    for key, member in cls.__members__.items():
        if key.lower() == wanted or _wire_name(member).lower() == wanted:
            return member
    raise ValueError(f"{name!r} is not a member of {cls.__name__} ({_allowed(cls)})")


def flag_from_wire(cls: type[F], value: Any) -> F:
    """Parse a flags value from a member, int bitmask, "A, B" string or list of names."""
    if isinstance(value, cls):
        return value
    if isinstance(value, bool):
        raise ValueError(f"invalid {cls.__name__}: {value!r} ({_allowed(cls)})")
    if isinstance(value, int):
        all_bits = 0
        for m in cls.__members__.values():
            all_bits |= int(m.value)
        if value < 0 or value & ~all_bits:
            raise ValueError(f"invalid {cls.__name__} bitmask: {value}")
        return cls(value)
    names: Iterable[Any]
    if isinstance(value, str):
        if value.strip().lstrip("-").isdigit():
            return flag_from_wire(cls, int(value.strip()))
        names = [p for p in value.split(",") if p.strip()]
        if not names:
            raise ValueError(f"empty {cls.__name__} value ({_allowed(cls)})")
    elif isinstance(value, (list, tuple, set, frozenset)):
        names = value
    else:
        raise ValueError(f"invalid {cls.__name__}: {value!r} ({_allowed(cls)})")
    result = cls(0)
    for item in names:
        if isinstance(item, cls):
            result |= item
            continue
        if not isinstance(item, str):
            raise ValueError(f"invalid {cls.__name__} member: {item!r} ({_allowed(cls)})")
        result |= _lookup(cls, item)
    return result


def _quote_fields(value: Any) -> LiveQuoteFields:
    return flag_from_wire(LiveQuoteFields, value)


def _data_include(value: Any) -> LiveDataInclude:
    return flag_from_wire(LiveDataInclude, value)


_FLAG_SCHEMA = WithJsonSchema({"type": "string", "description": ".NET flags: comma-separated names"})

#: Model field type for LiveQuoteFields (wire: "Bid, Ask" / "All").
QuoteFields = Annotated[
    LiveQuoteFields,
    PlainValidator(_quote_fields),
    PlainSerializer(flag_to_wire, return_type=str),
    _FLAG_SCHEMA,
]
#: Model field type for LiveDataInclude (wire: "Prices, Greeks" / "All" / "None").
DataInclude = Annotated[
    LiveDataInclude,
    PlainValidator(_data_include),
    PlainSerializer(flag_to_wire, return_type=str),
    _FLAG_SCHEMA,
]
