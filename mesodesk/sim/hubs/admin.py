"""Simulator admin hub (/hubs/admin/v1, same bearer auth): test and demo controls.

Not part of MesoLive. ``SetAgentStatus({Status, Message?})`` switches the simulated
agent Connected/Disconnected/Degraded (publishing an ``AgentStatusEvent``);
``GetAgentStatus({})`` reads it. Both answer the usual envelope with ``AgentInfo``.
"""

from __future__ import annotations

from typing import Any

from mesodesk.contract import AgentStatus, WireModel
from mesodesk.sim.context import SimContext
from mesodesk.sim.hubs.api import api_method
from mesodesk.sim.signalr import Hub, ServerConnection

ADMIN_HUB_PATH = "/hubs/admin/v1"


class SetAgentStatusArgs(WireModel):
    status: AgentStatus
    message: str | None = None


class GetAgentStatusArgs(WireModel):
    """No fields."""


def build_admin_hub(ctx: SimContext) -> Hub:
    hub = Hub("admin")

    @api_method(hub, "SetAgentStatus", SetAgentStatusArgs)
    async def set_agent_status(conn: ServerConnection, args: SetAgentStatusArgs) -> Any:
        return ctx.agents.set_status(args.status, args.message)

    @api_method(hub, "GetAgentStatus", GetAgentStatusArgs)
    async def get_agent_status(conn: ServerConnection, args: GetAgentStatusArgs) -> Any:
        return ctx.agents.info

    return hub
