"""The application's Qt-free state: the single source of truth the UI renders.

Tables are keyed by id and filled by :class:`~mesodesk.core.session.Session`
from snapshots, paged lists, streams and Event Hub events (see
:mod:`mesodesk.core.store`). Rows are small view objects that combine the wire
model with the latest streamed pricing blocks; the blotters read them through
their declared columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from mesodesk.contract import (
    AgentInfo,
    LiveAccount,
    LiveContract,
    LiveExecution,
    LiveGreeks,
    LiveLeg,
    LivePnL,
    LivePosition,
    LivePositionDetails,
    LivePositionState,
    LivePrices,
    LiveStrategy,
    MesoLiveEvent,
    Order,
    OrderType,
    PositionDataEntry,
    TimeInForce,
)
from mesodesk.core.market_clock import ServerClock
from mesodesk.core.tables import Table

if TYPE_CHECKING:  # (the SDK's lean types are annotations only: state imports no SDK)
    from mesodesk.sdk.lean import LeanGreeks, LeanPnL, LeanPositionData, LeanPrices

HUBS = ("control", "data", "event")


def contract_text(c: LiveContract) -> str:
    """``SPXW 31DEC26 5755 P``."""
    parts = [c.root or c.underlying.symbol]
    if c.expiration is not None:
        parts.append(c.expiration.strftime("%d%b%y").upper())
    if c.strike is not None:
        parts.append(f"{c.strike.normalize():f}")
    if c.option_type is not None:
        parts.append(str(c.option_type.value)[:1])
    return " ".join(parts)


def _mark(block: Any) -> Any:
    """The ``Mark`` basis of a pricing block (prices, greeks or P&L), None when absent."""
    return None if block is None else getattr(block, "mark", None)


def market_decimal(value: Any) -> Decimal | None:
    """A streamed market value as a ``Decimal``: the console's stream items carry floats
    (:mod:`mesodesk.sdk.lean`), read here as the ``Decimal`` of their shortest text, which is
    the wire's number whenever it has at most 15 significant digits; snapshots carry Decimals."""
    if type(value) is float:
        return Decimal(repr(value))
    return value if isinstance(value, Decimal) else None


def _mark_value(block: Any) -> Decimal | None:
    """The ``Mark`` of a price or P&L block as a number."""
    return market_decimal(_mark(block))


@dataclass(eq=False)
class PositionRow:
    """A position summary plus its latest streamed data.

    Realized P&L has one owner here, :attr:`realized`: whichever source arrived last
    wins (a stream entry's ``PositionPnLs.Realized``, a ``PositionUpdate`` event, a
    ``GetPosition`` detail). A closed position keeps no stream data: its P&L is its
    realized P&L and it has no greeks.

    :attr:`data` is the latest stream item, lean (float market values) as the session streams
    it; the accessors below read market values as ``Decimal`` (:func:`market_decimal`).
    """

    summary: LivePosition
    details: LivePositionDetails | None = None
    data: LeanPositionData | PositionDataEntry | None = None
    updates: int = 0
    received_at: datetime | None = None
    realized: Decimal | None = None

    @property
    def id(self) -> int:
        return self.summary.id

    @property
    def is_open(self) -> bool:
        return self.summary.state == LivePositionState.Open

    @property
    def underlying(self) -> str | None:
        return self.details.underlying if self.details is not None else None

    @property
    def underlying_price(self) -> Decimal | None:
        if self.data is not None and self.data.underlying_price is not None:
            return _mark_value(self.data.underlying_price)
        return _mark_value(self.details.underlying_price) if self.details is not None else None

    def _pnl(self) -> Any:
        if self.data is not None and self.data.position_pnls is not None:
            return self.data.position_pnls
        return self.details.position_pnls if self.details is not None else None

    def _greeks(self) -> Any:
        if not self.is_open:
            return None
        if self.data is not None and self.data.position_greeks is not None:
            return _mark(self.data.position_greeks)
        return _mark(self.details.position_greeks) if self.details is not None else None

    @property
    def pnl_mark(self) -> Decimal | None:
        """Total P&L (realized + open legs at mark); a closed position's is its realized P&L."""
        if not self.is_open:
            return self.realized_pnl
        return _mark_value(self._pnl())

    @property
    def realized_pnl(self) -> Decimal | None:
        if self.realized is not None:
            return self.realized
        pnl = self._pnl()
        if pnl is not None and pnl.realized is not None:
            return market_decimal(pnl.realized)
        return self.details.realized_pnl if self.details is not None else None

    def greek(self, name: str) -> Decimal | None:
        greeks = self._greeks()
        return None if greeks is None else market_decimal(getattr(greeks, name, None))

    @property
    def days_in_trade(self) -> int:
        end = self.summary.closed_at or self.server_time or datetime.now(UTC)
        return max(0, (end - self.summary.created_at).days)

    @property
    def server_time(self) -> datetime | None:
        return self.data.timestamp if self.data is not None else None


@dataclass(eq=False)
class LegRow:
    """A leg plus the leg blocks of its position's stream (lean, as the session streams them;
    market values read as ``Decimal``)."""

    leg: LiveLeg
    prices: LeanPrices | LivePrices | None = None
    greeks: LeanGreeks | LiveGreeks | None = None
    pnl: LeanPnL | LivePnL | None = None
    status: str | None = None  # last LegUpdate status, if any

    @property
    def id(self) -> int:
        return self.leg.id

    @property
    def position_id(self) -> int:
        return self.leg.live_position_id

    @property
    def contract_text(self) -> str:
        return contract_text(self.leg.live_contract)

    @property
    def expiration(self) -> datetime | None:
        return self.leg.live_contract.expiration

    @property
    def mark(self) -> Decimal | None:
        return _mark_value(self.prices)

    @property
    def pnl_mark(self) -> Decimal | None:
        return _mark_value(self.pnl)

    def greek(self, name: str) -> Decimal | None:
        values = _mark(self.greeks)
        return None if values is None else market_decimal(getattr(values, name, None))

    @property
    def is_open(self) -> bool:
        return self.leg.closed_at is None


@dataclass(eq=False)
class StrategyRow:
    strategy: LiveStrategy
    open_positions: int = 0

    @property
    def id(self) -> int:
        return self.strategy.id

    @property
    def accounts_text(self) -> str:
        return ", ".join(self.strategy.active_on_accounts)


@dataclass(frozen=True)
class OrderSpec:
    """What this console sent for an order, beyond the wire ``Order``: the legs (names,
    contracts, signed ratios per combo) a replace and a live quote need."""

    account: str
    exec_plan_id: int
    group_id: int
    leg_names: tuple[str, ...]
    contracts: dict[str, LiveContract]
    ratios: dict[str, Decimal]
    order_type: OrderType
    tif: TimeInForce
    qty_multiplier: Decimal | None = None
    qty: Decimal | None = None
    position_name: str = ""


@dataclass(eq=False)
class OrderRow:
    """An order: the full ``Order`` when known (from a reply, a snapshot or ``GetOrder``),
    patched by ``OnOrderUpdate`` events. The one owner of an order's state."""

    order_id: int
    order: Order | None = None
    position_id: int | None = None
    strategy_name: str | None = None
    rejection: str | None = None
    #: the rejection's ``Code`` (e.g. ``QtyTooLarge``) when the broker gave one
    rejection_code: str | None = None
    #: set when this console sent the order
    spec: OrderSpec | None = None
    #: the replace chain: this order replaced ``replaces``; ``replaced_by`` replaced this one
    replaces: int | None = None
    replaced_by: int | None = None

    def _get(self, name: str) -> Any:
        return None if self.order is None else getattr(self.order, name)

    @property
    def state(self) -> Any:
        return self._get("state")

    @property
    def last_updated(self) -> datetime | None:
        return self._get("last_updated")  # type: ignore[no-any-return]


@dataclass(eq=False)
class ExecutionRow:
    execution: LiveExecution
    position_id: int | None = None

    @property
    def id(self) -> int:
        return self.execution.execution_id


@dataclass(eq=False)
class EventRow:
    """One Event Hub event as the event log shows it."""

    seq: int
    time: datetime
    type: str  # callback name without the "On" prefix, e.g. "OrderUpdate"
    summary: str
    level: str  # "info" | "warning" | "error"
    event_id: UUID
    event: MesoLiveEvent
    strategy_id: int | None = None
    strategy_name: str | None = None
    position_id: int | None = None
    account: str | None = None

    @property
    def is_signal(self) -> bool:
        return self.type.endswith("Signal")


@dataclass
class AppState:
    accounts: Table[str, LiveAccount] = field(default_factory=lambda: Table("accounts"))
    agents: Table[str, AgentInfo] = field(default_factory=lambda: Table("agents"))
    strategies: Table[int, StrategyRow] = field(default_factory=lambda: Table("strategies"))
    positions: Table[int, PositionRow] = field(default_factory=lambda: Table("positions"))
    legs: Table[int, LegRow] = field(default_factory=lambda: Table("legs"))
    orders: Table[int, OrderRow] = field(default_factory=lambda: Table("orders"))
    executions: Table[int, ExecutionRow] = field(default_factory=lambda: Table("executions"))
    events: Table[int, EventRow] = field(default_factory=lambda: Table("events"))
    #: exec plan id -> position id (orders and executions only carry the exec plan)
    exec_plan_positions: dict[int, int] = field(default_factory=dict)
    stream_updates: int = 0
    #: hub name -> True while that hub is not connected (the UI greys its data out)
    stale: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(HUBS, True))
    latency_ms: float | None = None
    last_event_seq: int = 0
    #: server methods this server does not serve (older server / simulator): shown, not retried
    unsupported: set[str] = field(default_factory=set)
    event_log_limit: int = 5000
    #: EventId -> event log key (dedupe of replays and on-connect pushes)
    event_keys: dict[UUID, int] = field(default_factory=dict)
    #: the server's time and the market state, from the timestamps the server sends
    server_clock: ServerClock = field(default_factory=ServerClock)

    def tables(self) -> dict[str, Table[Any, Any]]:
        return {
            "accounts": self.accounts, "agents": self.agents, "strategies": self.strategies,
            "positions": self.positions, "legs": self.legs, "orders": self.orders,
            "executions": self.executions, "events": self.events,
        }
