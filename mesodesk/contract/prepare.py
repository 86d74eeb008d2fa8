"""Prepare (Build) jobs for position entry, exit and adjustment, and signal results."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from .base import IdempotencyKey, UtcDatetime, WireModel
from .enums import (
    DataProviderType,
    LiveLegSelectionConstraint,
    PositionAdjustmentOperation,
    PreparationStatus,
)
from .market import ConditionEvaluation, LegGroupQtys, LiveGreeks, LivePrices, LiveUnderlying
from .positions import LiveLeg

__all__ = [
    "CancelPreparePositionAdjustmentArgs",
    "CancelPreparePositionEntryArgs",
    "CancelPreparePositionExitArgs",
    "CancelPrepareResult",
    "EntrySignalsResult",
    "ExitSignalsResult",
    "GetPreparePositionAdjustmentStatusArgs",
    "GetPreparePositionAdjustmentStatusResult",
    "GetPreparePositionEntryStatusArgs",
    "GetPreparePositionEntryStatusResult",
    "GetPreparePositionExitStatusArgs",
    "GetPreparePositionExitStatusResult",
    "PreparePositionAdjustmentArgs",
    "PreparePositionAdjustmentResult",
    "PreparePositionEntryArgs",
    "PreparePositionEntryResult",
    "PreparePositionExitArgs",
    "PreparePositionExitResult",
    "StartPrepareResult",
]


# ------------------------------------------------------------------------ args


class PreparePositionEntryArgs(WireModel):
    """``StartPreparePositionEntry`` args."""

    idempotency_key: IdempotencyKey
    position_name: str = Field(min_length=1)
    strategy_id: int
    broker_account_id: str
    leg_selection_constraint: LiveLegSelectionConstraint
    underlying: LiveUnderlying
    data_provider: DataProviderType | None = None


class PreparePositionExitArgs(WireModel):
    """``StartPreparePositionExit`` args: ``{IdempotencyKey, PositionId, DataProvider?}``."""

    idempotency_key: IdempotencyKey
    position_id: int
    data_provider: DataProviderType | None = None


class PreparePositionAdjustmentArgs(WireModel):
    """``StartPreparePositionAdjustment`` args.

    ``Condition`` is the ``Adjustment.ConditionalAdjustments`` key (e.g. taken from an
    AdjustmentSignalEvent's ``Condition.Statement``). ``LegSelectionConstraint`` null
    = the strategy's setting.
    """

    idempotency_key: IdempotencyKey
    position_id: int
    operation: PositionAdjustmentOperation
    condition: str
    leg_selection_constraint: LiveLegSelectionConstraint | None = None
    data_provider: DataProviderType | None = None


class StartPrepareResult(WireModel):
    """The ``JobId`` of a started prepare job; the same IdempotencyKey returns the same JobId."""

    job_id: str


class _JobArgs(WireModel):
    job_id: str = Field(min_length=1)


class GetPreparePositionEntryStatusArgs(_JobArgs):
    """``GetPreparePositionEntryStatus`` args: ``{JobId}``."""


class GetPreparePositionExitStatusArgs(_JobArgs):
    """``GetPreparePositionExitStatus`` args: ``{JobId}``."""


class GetPreparePositionAdjustmentStatusArgs(_JobArgs):
    """``GetPreparePositionAdjustmentStatus`` args: ``{JobId}``."""


class _CancelJobArgs(_JobArgs):
    idempotency_key: IdempotencyKey


class CancelPreparePositionEntryArgs(_CancelJobArgs):
    """``CancelPreparePositionEntry`` args: ``{IdempotencyKey, JobId}``."""


class CancelPreparePositionExitArgs(_CancelJobArgs):
    """``CancelPreparePositionExit`` args: ``{IdempotencyKey, JobId}``."""


class CancelPreparePositionAdjustmentArgs(_CancelJobArgs):
    """``CancelPreparePositionAdjustment`` args: ``{IdempotencyKey, JobId}``."""


class CancelPrepareResult(WireModel):
    """Best-effort cancel answers the job's status after the attempt: ``Cancelled`` if it
    worked, else the terminal status it had already reached.
    """

    job_id: str
    status: PreparationStatus


# --------------------------------------------------------------------- results


class _PricingBlocks(WireModel):
    """Pricing blocks shared by the three prepare results. Leg dicts are keyed by leg name,
    leg-group dicts by leg group id.
    """

    leg_groups: dict[int, list[str]]
    leg_group_qtys: dict[int, LegGroupQtys]
    vars: dict[str, Decimal]
    leg_greeks: dict[str, LiveGreeks]
    leg_prices: dict[str, LivePrices]
    leg_group_greeks: dict[int, LiveGreeks]
    leg_group_prices: dict[int, LivePrices]
    position_greeks: LiveGreeks
    position_price: LivePrices
    underlying_price: LivePrices


class PreparePositionEntryResult(_PricingBlocks):
    """Result of an entry prepare job (every field is always sent)."""

    exec_plan_id: int
    position_name: str
    strategy_id: int
    strategy_name: str
    broker_account_id: str
    selected_legs: dict[str, LiveLeg]
    abort_conditions: list[ConditionEvaluation]
    entry_conditions: list[ConditionEvaluation]
    entry_allowed: bool
    qty_multiplier: Decimal


class PreparePositionExitResult(_PricingBlocks):
    """Result of an exit prepare job (every field is always sent)."""

    exec_plan_id: int
    position_id: int
    position_name: str
    strategy_id: int
    strategy_name: str
    broker_account_id: str
    position_legs: dict[str, LiveLeg]


class PreparePositionAdjustmentResult(_PricingBlocks):
    """Result of an adjustment prepare job. ``OrderLegs`` = legs of the prepared orders."""

    exec_plan_id: int
    operation: PositionAdjustmentOperation
    condition: str
    position_id: int
    position_name: str
    strategy_id: int
    strategy_name: str
    broker_account_id: str
    order_legs: dict[str, LiveLeg]
    qty_multiplier: Decimal | None = None
    abort_conditions: list[ConditionEvaluation] | None = None
    adjustment_allowed: bool | None = None


class _StatusResult(WireModel):
    job_id: str
    status: PreparationStatus
    error: str | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime


class GetPreparePositionEntryStatusResult(_StatusResult):
    """Status of an entry prepare job. ``Result`` set when Completed, ``Error`` when Failed."""

    result: PreparePositionEntryResult | None = None


class GetPreparePositionExitStatusResult(_StatusResult):
    """Status of an exit prepare job. ``Result`` set when Completed, ``Error`` when Failed."""

    result: PreparePositionExitResult | None = None


class GetPreparePositionAdjustmentStatusResult(_StatusResult):
    """Status of an adjustment prepare job. ``Result`` set when Completed, ``Error`` when Failed."""

    result: PreparePositionAdjustmentResult | None = None


# --------------------------------------------------------------------- signals


class EntrySignalsResult(WireModel):
    """Entry condition evaluations plus advisory gates (Schedule / ReentryDays /
    Concurrency). ``EntryAllowed`` = (no conditions or any condition true, as in MesoSim)
    and all gates ok.
    """

    conditions: list[ConditionEvaluation] = Field(default_factory=list)
    schedule_ok: bool = True
    reentry_ok: bool = True
    concurrency_ok: bool = True
    entry_allowed: bool | None = None


class ExitSignalsResult(WireModel):
    """Which exit rules fired, plus the condition evaluations and the values they were
    evaluated with.
    """

    profit_target_hit: bool = False
    stop_loss_hit: bool = False
    max_days_in_trade_hit: bool = False
    conditions: list[ConditionEvaluation] = Field(default_factory=list)
    position_pnl: Decimal | None = Field(default=None, alias="PositionPnL")
    profit_target: Decimal | None = None
    stop_loss: Decimal | None = None
    days_in_trade: int | None = None
