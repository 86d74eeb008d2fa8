"""Every enum used on the MesoLive wire.

[U] decision (enum wire format): enums are sent as strings, the member *name*
(each ``StrEnum`` member's value equals its wire name). On input an ``int`` is
also accepted and taken as the member's index in declaration order (0-based), as
a .NET server serializing enums as numbers would send them. ``bool`` is rejected.

[U] decision (flags): ``LiveQuoteFields`` and ``LiveDataInclude`` are ``enum.Flag``.
On the wire they are .NET-style comma-separated names (``"Bid, Ask"``; a value
equal to a named member, e.g. ``All``, is written as that single name; the empty
value is ``"None"``). On input a string (case-insensitive, comma-separated), a
list of names, an int bitmask or a member are accepted. Use the annotated types
``QuoteFields`` / ``DataInclude`` for model fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Flag, StrEnum
from typing import Annotated, Any, TypeVar

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


class WireEnum(StrEnum):
    """StrEnum whose value is the wire name; also accepts an int member index on input."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            members = list(cls)
            if 0 <= value < len(members):
                return members[value]
        return None


class StatusCode(WireEnum):
    """Envelope status. ``Success``, ``DuplicateRequest`` and ``Conflict`` are [D].

    [U] decision (other members and their meaning):
    ``InvalidArguments`` args failed validation (``Error.ValidationErrors`` filled);
    ``NotFound`` unknown id; ``Unauthorized``/``Forbidden`` auth problems on a call;
    ``Conflict`` idempotent call still processing, key reused with another payload,
    or an operation invalid in the current state (e.g. cancelling a Filled order);
    ``DuplicateRequest`` key already completed: the envelope carries the original Data;
    ``ProviderError`` market-data provider/agent missing or failing (e.g. a
    provider-required data method with no Provider); ``BrokerError`` broker rejected
    or failed; ``NotSupported`` feature not available (e.g. paper fills on a broker
    account); ``Timeout``; ``InternalError``.
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
    """[U] decision: one member per idempotent (recorded) hub method, named like the method."""

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
    """[D] from the reliability guide text."""

    Processing = "Processing"
    Completed = "Completed"
    Failed = "Failed"


class PreparationStatus(WireEnum):
    """``Completed``/``Failed`` are [D]. [U] decision: add Pending, Running, Cancelled."""

    Pending = "Pending"
    Running = "Running"
    Completed = "Completed"
    Failed = "Failed"
    Cancelled = "Cancelled"


class PositionAdjustmentOperation(WireEnum):
    """[D] "common values include"."""

    AddLegs = "AddLegs"
    RemoveLegs = "RemoveLegs"
    MoveLeg = "MoveLeg"
    UpdateVars = "UpdateVars"


class PositionStatus(WireEnum):
    """[D] high-level lifecycle status carried by PositionUpdateEvent."""

    Created = "Created"
    Closed = "Closed"
    Adjusted = "Adjusted"
    RealizedPnLChanged = "RealizedPnLChanged"


class LivePositionState(WireEnum):
    """[U] decision: only Open and Closed. A position only exists once its first entry
    fill arrived (before that there is just an exec plan), and "Set Closed" in the
    Portal is a plain database close, so no Pending/Closing state is needed."""

    Open = "Open"
    Closed = "Closed"


class LegStatus(WireEnum):
    """[U] decision: mirrors PositionStatus at leg level."""

    Created = "Created"
    QtyChanged = "QtyChanged"
    Closed = "Closed"
    RealizedPnLChanged = "RealizedPnLChanged"


class OrderState(WireEnum):
    """[U] decision (IBKR-like). Life cycle: PendingSubmit -> Submitted -> Working ->
    PartiallyFilled -> Filled | Cancelled | Rejected. ``Inactive`` = accepted by the
    broker but not working (e.g. held, outside trading hours). Terminal states are in
    ``TERMINAL_ORDER_STATES``; cancelling one answers ``StatusCode.Conflict``."""

    PendingSubmit = "PendingSubmit"
    Submitted = "Submitted"
    Working = "Working"
    PartiallyFilled = "PartiallyFilled"
    Filled = "Filled"
    Cancelled = "Cancelled"
    Rejected = "Rejected"
    Inactive = "Inactive"


TERMINAL_ORDER_STATES: frozenset[OrderState] = frozenset(
    {OrderState.Filled, OrderState.Cancelled, OrderState.Rejected}
)


class OrderType(WireEnum):
    """[D] via the Portal manual."""

    Market = "Market"
    Limit = "Limit"
    Stop = "Stop"
    StopLimit = "StopLimit"


class TimeInForce(WireEnum):
    """[D] via the Portal manual. [U] decision: member spelling upper-case as the Portal shows."""

    DAY = "DAY"
    GTC = "GTC"


class SignalState(WireEnum):
    """[D]."""

    On = "On"
    Off = "Off"


class ErrorState(WireEnum):
    """[U] decision: an error is Raised (becomes active) then Cleared (resolved)."""

    Raised = "Raised"
    Cleared = "Cleared"


class ConditionType(WireEnum):
    """[U] decision: which part of a strategy definition an evaluated statement belongs to."""

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
    """[U] decision."""

    Connected = "Connected"
    Disconnected = "Disconnected"
    Degraded = "Degraded"


class AgentConnector(WireEnum):
    """[U] decision: one connector per broker integration, plus our simulator."""

    IbkrTws = "IbkrTws"
    TastyTrade = "TastyTrade"
    Schwab = "Schwab"
    Simulated = "Simulated"


class BrokerType(WireEnum):
    """[U] decision: ``MesoLivePaper`` is a MesoLive-internal paper account
    (``IsPaperAccount``); ``Simulated`` is an account of our offline simulator."""

    MesoLivePaper = "MesoLivePaper"
    Ibkr = "Ibkr"
    TastyTrade = "TastyTrade"
    Schwab = "Schwab"
    Simulated = "Simulated"


class DataProviderType(WireEnum):
    """[U] decision: the broker family that can supply market data, plus ``Simulated``
    (the simulator's synthetic provider)."""

    Ibkr = "Ibkr"
    TastyTrade = "TastyTrade"
    Schwab = "Schwab"
    Simulated = "Simulated"


class MesoContractType(WireEnum):
    """[D] from the LiveContract description."""

    Stock = "Stock"
    Index = "Index"
    Options = "Options"
    Futures = "Futures"
    FuturesOptions = "FuturesOptions"


class MesoOptionType(WireEnum):
    """[D]."""

    Call = "Call"
    Put = "Put"


class LiveLegSelectionConstraint(WireEnum):
    """FullyUnique/UniqueInPosition are [D]; ``None`` (wire ``"None"``) from MesoSim.
    The Python member is ``None_`` because ``None`` is a keyword."""

    FullyUnique = "FullyUnique"
    UniqueInPosition = "UniqueInPosition"
    None_ = "None"


# --------------------------------------------------------------------------- flags


class LiveQuoteFields(Flag):
    """[D] members; [I] it is a .NET ``[Flags]`` enum (``All`` = every basis)."""

    Bid = 1
    Ask = 2
    Last = 4
    Mark = 8
    All = Bid | Ask | Last | Mark


class LiveDataInclude(Flag):
    """[D] members Prices/Greeks/PnL/All; [U] decision: add ``None`` (Python ``None_``, wire "None")."""

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


def _lookup(cls: type[F], name: str) -> F:
    wanted = name.strip().lower()
    if wanted == "none":
        return cls(0)
    for key, member in cls.__members__.items():
        if key.lower() == wanted or _wire_name(member).lower() == wanted:
            return member
    raise ValueError(f"{name!r} is not a member of {cls.__name__}")


def flag_from_wire(cls: type[F], value: Any) -> F:
    """Parse a flags value from a member, int bitmask, "A, B" string or list of names."""
    if isinstance(value, cls):
        return value
    if isinstance(value, bool):
        raise ValueError(f"invalid {cls.__name__}: {value!r}")
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
            raise ValueError(f"empty {cls.__name__} value")
    elif isinstance(value, (list, tuple, set, frozenset)):
        names = value
    else:
        raise ValueError(f"invalid {cls.__name__}: {value!r}")
    result = cls(0)
    for item in names:
        if not isinstance(item, str):
            raise ValueError(f"invalid {cls.__name__} member: {item!r}")
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
