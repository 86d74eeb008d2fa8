"""The simulated agent/connector: its status, status events and the gates it imposes.

One agent (key ``"sim"``, connector ``Simulated``) supplies market data for every
account and routes orders of the broker (non-paper) accounts. While it is
``Disconnected`` data methods fail with ``ProviderError`` and order routing with
``BrokerError``; ``Degraded`` is reported but still serves.
"""

from __future__ import annotations

from datetime import datetime

from mesodesk.contract import (
    AgentConnector,
    AgentInfo,
    AgentStatus,
    AgentStatusEvent,
    DataProviderType,
    LiveAccount,
    StatusCode,
)
from mesodesk.sim.events import EventLog
from mesodesk.sim.hubs.api import ApiFailure
from mesodesk.sim.market import Market
from mesodesk.sim.world import World

AGENT_KEY = "sim"


class AgentService:
    def __init__(self, world: World, market: Market, events: EventLog) -> None:
        self.world = world
        self.market = market
        self.events = events
        if AGENT_KEY not in world.agents:
            broker_ids = [a.broker_account_id for a in world.accounts.values() if not a.is_paper_account]
            world.save_agent(AGENT_KEY, AgentInfo(
                connector=AgentConnector.Simulated, provider=DataProviderType.Simulated,
                status=AgentStatus.Connected, last_snapshot_at=self._now(), broker_account_ids=broker_ids,
                message="Simulated agent connected",
            ))

    def _now(self) -> datetime:
        return self.market.clock.now()

    @property
    def info(self) -> AgentInfo:
        return self.world.agents[AGENT_KEY]

    @property
    def status(self) -> AgentStatus:
        return self.info.status

    def set_status(self, status: AgentStatus, message: str | None = None) -> AgentInfo:
        """Change the agent status; publishes an ``AgentStatusEvent`` when it changed."""
        current = self.info
        text = message or f"Simulated agent {status.value.lower()}"
        if current.status == status and current.message == text:
            return current
        updated = current.model_copy(update={"status": status, "message": text, "last_snapshot_at": self._now()})
        with self.world.store.tx():
            self.world.save_agent(AGENT_KEY, updated)
            self.events.publish(AgentStatusEvent(
                event_time=self._now(), status=status, message=text, connector=updated.connector))
        return updated

    # -- gates ------------------------------------------------------------------------
    def require_data(self) -> None:
        """Raise ``ProviderError`` while the agent cannot supply market data."""
        if self.status == AgentStatus.Disconnected:
            raise ApiFailure(StatusCode.ProviderError,
                             "the Simulated agent is Disconnected: market data is unavailable",
                             code="AgentDisconnected")

    def check_provider(self, provider: DataProviderType | None, *, required: bool) -> None:
        """Provider rules of the data hub (``required`` for free-standing instruments)."""
        if provider is None:
            if required:
                raise ApiFailure(StatusCode.ProviderError, "Provider is required for this method",
                                 code="ProviderRequired")
            return
        if provider != self.info.provider:
            raise ApiFailure(StatusCode.ProviderError,
                             f"no connected agent provides {provider.value} data (available: "
                             f"{self.info.provider.value if self.info.provider else 'none'})",
                             code="ProviderUnavailable")

    def require_broker(self, account: LiveAccount) -> None:
        """Raise ``BrokerError`` when orders of ``account`` cannot be routed."""
        if not account.is_paper_account and self.status == AgentStatus.Disconnected:
            raise ApiFailure(StatusCode.BrokerError,
                             f"the Simulated agent is Disconnected: cannot route orders for "
                             f"{account.broker_account_id}", code="AgentDisconnected")

    @property
    def routing(self) -> bool:
        """Whether working broker orders can fill now."""
        return self.status != AgentStatus.Disconnected
