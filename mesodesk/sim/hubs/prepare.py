"""Control hub methods: prepare jobs (Start/GetStatus/Cancel for Entry, Exit and Adjustment).

The work is done by ``ctx.jobs`` (:class:`mesodesk.sim.jobs.JobService`): Start* and
Cancel* are idempotent; Start* answers ``{JobId}`` at once and the job completes
asynchronously (``OnPosition*PreparationCompleted``/``Failed`` events).
"""

from __future__ import annotations

from typing import Any

from mesodesk.sim.context import SimContext
from mesodesk.sim.execplans import ExecPlanKind
from mesodesk.sim.hubs.api import implements
from mesodesk.sim.signalr import Hub, ServerConnection

#: each kind of job and the noun of its methods' python names (``start_prepare_position_entry``...)
_KINDS: tuple[tuple[ExecPlanKind, str], ...] = (
    (ExecPlanKind.Entry, "position_entry"),
    (ExecPlanKind.Exit, "position_exit"),
    (ExecPlanKind.Adjustment, "position_adjustment"),
)


def register(hub: Hub, ctx: SimContext) -> None:
    """Add the nine prepare methods to the Control hub."""
    for kind, noun in _KINDS:
        _register_kind(hub, ctx, kind, noun)


def _register_kind(hub: Hub, ctx: SimContext, kind: ExecPlanKind, noun: str) -> None:
    @implements(hub, f"start_prepare_{noun}")
    async def start(conn: ServerConnection, args: Any) -> Any:
        return await ctx.jobs.start(kind, args)

    @implements(hub, f"get_prepare_{noun}_status")
    async def status(conn: ServerConnection, args: Any) -> Any:
        return ctx.jobs.status(kind, args.job_id)

    @implements(hub, f"cancel_prepare_{noun}")
    async def cancel(conn: ServerConnection, args: Any) -> Any:
        return await ctx.jobs.cancel(kind, args)
