"""Control hub methods: prepare jobs (Start/GetStatus/Cancel for Entry, Exit and Adjustment).

The work is done by ``ctx.jobs`` (:class:`mesodesk.sim.jobs.JobService`): Start* and
Cancel* are idempotent; Start* answers ``{JobId}`` at once and the job completes
asynchronously (``OnPosition*PreparationCompleted``/``Failed`` events).
"""

from __future__ import annotations

from typing import Any

from mesodesk.contract import (
    CancelPreparePositionAdjustmentArgs,
    CancelPreparePositionEntryArgs,
    CancelPreparePositionExitArgs,
    GetPreparePositionAdjustmentStatusArgs,
    GetPreparePositionEntryStatusArgs,
    GetPreparePositionExitStatusArgs,
    PreparePositionAdjustmentArgs,
    PreparePositionEntryArgs,
    PreparePositionExitArgs,
    WireModel,
)
from mesodesk.sim.context import SimContext
from mesodesk.sim.execplans import ExecPlanKind
from mesodesk.sim.hubs.api import api_method
from mesodesk.sim.signalr import Hub, ServerConnection

_METHODS: tuple[tuple[ExecPlanKind, str, type[WireModel], type[WireModel], type[WireModel]], ...] = (
    (ExecPlanKind.Entry, "PositionEntry", PreparePositionEntryArgs, GetPreparePositionEntryStatusArgs,
     CancelPreparePositionEntryArgs),
    (ExecPlanKind.Exit, "PositionExit", PreparePositionExitArgs, GetPreparePositionExitStatusArgs,
     CancelPreparePositionExitArgs),
    (ExecPlanKind.Adjustment, "PositionAdjustment", PreparePositionAdjustmentArgs,
     GetPreparePositionAdjustmentStatusArgs, CancelPreparePositionAdjustmentArgs),
)


def register(hub: Hub, ctx: SimContext) -> None:
    """Add the nine prepare methods to the Control hub."""
    for kind, noun, start_args, status_args, cancel_args in _METHODS:
        _register_kind(hub, ctx, kind, noun, start_args, status_args, cancel_args)


def _register_kind(hub: Hub, ctx: SimContext, kind: ExecPlanKind, noun: str, start_args: type[WireModel],
                   status_args: type[WireModel], cancel_args: type[WireModel]) -> None:
    @api_method(hub, f"StartPrepare{noun}", start_args)
    async def start(conn: ServerConnection, args: Any) -> Any:
        return await ctx.jobs.start(kind, args)

    @api_method(hub, f"GetPrepare{noun}Status", status_args)
    async def status(conn: ServerConnection, args: Any) -> Any:
        return ctx.jobs.status(kind, args.job_id)

    @api_method(hub, f"CancelPrepare{noun}", cancel_args)
    async def cancel(conn: ServerConnection, args: Any) -> Any:
        return await ctx.jobs.cancel(kind, args)
