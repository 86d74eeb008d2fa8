"""Execution plans: what a prepare job decided, and what orders and fills execute.

A prepare job (entry, exit or adjustment) creates one :class:`ExecPlan`; its id is
the ``ExecPlanId`` of the prepare result, of ``SendOrder`` and ``ApplyPaperFills``.
Simulator-internal (not a wire model): stored as JSON in the ``exec_plans`` table.

Quantities: ``PlannedLeg.qty`` is the signed leg quantity for ONE unit of the
combo (QtyMultiplier 1). ``LegGroupQtys[g].LegQtys`` are those ratios and
``GroupQty`` the number of combos (= QtyMultiplier). An entry order with
``SendOrderArgs.QtyMultiplier = m`` fills ``qty * m`` per leg; exits close the
position legs' full quantity (``PlannedLeg.qty`` is then the closing quantity,
already scaled).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field

from mesodesk.contract import LegGroupQtys, LiveContract, PositionAdjustmentOperation, UtcDatetime


class ExecPlanKind(StrEnum):
    Entry = "Entry"
    Exit = "Exit"
    Adjustment = "Adjustment"


class LegAction(StrEnum):
    Open = "Open"  # a new leg of the position
    Close = "Close"  # closes (part of) an existing leg
    Move = "Move"  # MoveLeg: the replacement leg of ``replaces_leg_id``


class ExecPlanStatus(StrEnum):
    Prepared = "Prepared"
    Executing = "Executing"  # at least one order sent or fill applied
    Done = "Done"  # every planned leg filled
    Cancelled = "Cancelled"


class PlannedLeg(BaseModel):
    name: str
    contract: LiveContract
    qty: Decimal
    leg_group_id: int
    action: LegAction = LegAction.Open
    existing_leg_id: int | None = None  # Close: the leg being closed
    replaces_leg_id: int | None = None  # Move: the leg this one replaces
    filled_qty: Decimal = Decimal(0)


class ExecPlan(BaseModel):
    id: int
    kind: ExecPlanKind
    strategy_id: int
    strategy_name: str
    broker_account_id: str
    position_id: int | None = None  # None for an entry until its first fill creates the position
    position_name: str
    underlying: str
    created_at: UtcDatetime
    qty_multiplier: Decimal = Decimal(1)
    legs: dict[str, PlannedLeg] = Field(default_factory=dict)
    leg_groups: dict[int, list[str]] = Field(default_factory=dict)
    leg_group_qtys: dict[int, LegGroupQtys] = Field(default_factory=dict)
    vars: dict[str, Decimal] = Field(default_factory=dict)
    operation: PositionAdjustmentOperation | None = None
    condition: str | None = None
    job_id: str | None = None
    status: ExecPlanStatus = ExecPlanStatus.Prepared
