"""Event hub (/hubs/event/v1): the event cursor.

The event log, subscriptions and replay arrive with the full simulator; until
then the hub answers the cursor query truthfully: no events yet.
"""

from __future__ import annotations

from typing import Any

from mesodesk.contract import GetLatestEventSeqIdArgs, GetLatestEventSeqIdResult
from mesodesk.sim.context import SimContext
from mesodesk.sim.hubs.api import api_method
from mesodesk.sim.signalr import Hub, ServerConnection


def build_event_hub(ctx: SimContext) -> Hub:
    hub = Hub("event")

    @api_method(hub, "GetLatestEventSeqId", GetLatestEventSeqIdArgs)
    async def get_latest_event_seq_id(conn: ServerConnection, args: GetLatestEventSeqIdArgs) -> Any:
        return GetLatestEventSeqIdResult(latest_event_seq_id=0, snapshot_time=ctx.market.clock.now())

    return hub
