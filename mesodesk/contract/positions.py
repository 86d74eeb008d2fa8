"""Positions and legs."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from .base import UtcDatetime, WireModel
from .common import Page, PagedArgs
from .enums import LivePositionState
from .market import LiveContract, LiveGreeks, LivePnL, LivePrices

__all__ = [
    "GetLegArgs",
    "GetLegsArgs",
    "GetLegsResult",
    "GetPositionArgs",
    "ListLegsArgs",
    "ListLegsResult",
    "ListPositionsArgs",
    "ListPositionsResult",
    "LiveLeg",
    "LivePosition",
    "LivePositionDetails",
]


class LiveLeg(WireModel):
    """A leg of a position. In prepare results (not yet filled) ``Id`` and
    ``LivePositionId`` are 0.
    """

    id: int
    name: str
    live_contract: LiveContract
    leg_group_id: int
    created_at: UtcDatetime
    closed_at: UtcDatetime | None = None
    live_position_id: int
    account_id: str
    underlying: str
    qty: Decimal
    avg_entry_price: Decimal
    user_set_realized_pnl: Decimal | None = Field(default=None, alias="UserSetRealizedPnL")
    tracked_realized_pnl: Decimal | None = Field(default=None, alias="TrackedRealizedPnL")

    @property
    def total_realized_pnl(self) -> Decimal:
        """Realized PnL = tracked + user set."""
        return (self.tracked_realized_pnl or Decimal(0)) + (self.user_set_realized_pnl or Decimal(0))


class LivePosition(WireModel):
    """Position summary (``ListPositions`` item)."""

    id: int
    state: LivePositionState
    created_at: UtcDatetime
    closed_at: UtcDatetime | None = None
    name: str
    broker_account_id: str
    live_strategy_id: int
    strategy_name: str
    qty_multiplier: Decimal | None = None


class LivePositionDetails(LivePosition):
    """``GetPosition`` result: the LivePosition fields plus legs, vars and pricing blocks.
    Leg-keyed dicts use the live leg id; ``LegGroups`` maps leg group id -> leg names.
    ``PositionPnLs`` is spelled like PositionDataEntry's. Blocks are null when no market
    data is available.
    """

    underlying: str | None = None
    legs: list[LiveLeg] = Field(default_factory=list)
    vars: dict[str, Decimal] = Field(default_factory=dict)
    leg_groups: dict[int, list[str]] = Field(default_factory=dict)
    leg_prices: dict[int, LivePrices] | None = None
    leg_greeks: dict[int, LiveGreeks] | None = None
    leg_pnls: dict[int, LivePnL] | None = Field(default=None, alias="LegPnLs")
    position_prices: LivePrices | None = None
    position_greeks: LiveGreeks | None = None
    position_pnls: LivePnL | None = Field(default=None, alias="PositionPnLs")
    underlying_price: LivePrices | None = None
    realized_pnl: Decimal | None = Field(default=None, alias="RealizedPnL")
    unrealized_pnl: Decimal | None = Field(default=None, alias="UnrealizedPnL")


class ListPositionsArgs(PagedArgs):
    """``ListPositions`` filters (paged): strategy, exec plan, broker account and ``State``."""

    live_strategy_id: int | None = None
    live_exec_plan_id: int | None = None
    broker_account_id: str | None = None
    state: LivePositionState | None = None


class ListPositionsResult(Page[LivePosition]):
    """Paged ``LivePosition`` items."""


class GetPositionArgs(WireModel):
    """Result: ``LivePositionDetails``."""

    position_id: int


class ListLegsArgs(PagedArgs):
    """``ListLegs`` filters (paged): ``PositionId``, ``BrokerAccountId``, ``OpenOnly``."""

    position_id: int | None = None
    broker_account_id: str | None = None
    open_only: bool | None = None


class ListLegsResult(Page[LiveLeg]):
    """Paged ``LiveLeg`` items."""


class GetLegArgs(WireModel):
    """Result: ``LiveLeg``."""

    leg_id: int


class GetLegsArgs(WireModel):
    """``GetLegs`` args: batch get by ``LegIds``."""

    leg_ids: list[int] = Field(max_length=1000)


class GetLegsResult(WireModel):
    """``{Legs}`` in request order; unknown ids are omitted."""

    legs: list[LiveLeg]
