"""Data hub (/hubs/data/v1): position snapshots and streams.

Streams are "latest value wins": the generator computes a fresh entry only when
the client has taken the previous one and the market moved, so a slow client
gets fewer, newer items and the server holds no queue for it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from mesodesk.contract import (
    GetPositionSnapshotArgs,
    LivePositionState,
    PositionDataEntry,
    StreamPositionDataArgs,
)
from mesodesk.sim.context import SimContext
from mesodesk.sim.hubs.api import api_method, api_stream, not_found
from mesodesk.sim.signalr import Hub, ServerConnection


def build_data_hub(ctx: SimContext) -> Hub:
    hub = Hub("data")
    world = ctx.world

    def position_entry(args: StreamPositionDataArgs) -> PositionDataEntry:
        position = world.positions.get(args.position_id)
        if position is None:
            raise not_found("position", args.position_id)
        return ctx.pricer.position_entry(
            position.id,
            position.underlying or "SPX",
            world.position_legs(position.id),
            position.qty_multiplier,
            include_position=args.include_position,
            include_legs=args.include_legs,
            include_leg_groups=args.include_leg_groups,
            price_fields=args.price_fields,
            greek_fields=args.greek_fields,
            pnl_fields=args.pnl_fields,
        )

    @api_method(hub, "GetPositionSnapshot", GetPositionSnapshotArgs)
    async def get_position_snapshot(conn: ServerConnection, args: GetPositionSnapshotArgs) -> Any:
        return position_entry(args)

    @api_stream(hub, "StreamPositionData", StreamPositionDataArgs)
    async def stream_position_data(conn: ServerConnection, args: StreamPositionDataArgs) -> AsyncIterator[Any]:
        ctx.active_streams += 1
        try:
            while True:
                version = ctx.ticker.version
                yield position_entry(args)
                position = world.positions.get(args.position_id)
                if position is None or position.state != LivePositionState.Open:
                    return
                await ctx.ticker.wait_newer(version)
        finally:
            ctx.active_streams -= 1

    return hub
