"""Accounts and agents."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from .base import UtcDatetime, WireModel
from .common import Page, PagedArgs
from .enums import AgentConnector, AgentStatus, BrokerType, DataProviderType

__all__ = [
    "AgentInfo",
    "GetAccountArgs",
    "ListAccountsArgs",
    "ListAccountsResult",
    "ListAgentsArgs",
    "ListAgentsResult",
    "LiveAccount",
]


class LiveAccount(WireModel):
    """A broker account (``GetAccount`` result, ``ListAccounts`` item). ``CreatedAt`` is
    always sent; ``ActivePositions`` defaults to 0.
    """

    broker_account_id: str
    broker_type: BrokerType
    account_type: str
    currency: str
    is_paper_account: bool
    net_liquidation_value: Decimal | None = None
    maintenance_margin_req: Decimal | None = None
    cash: Decimal | None = None
    last_updated: UtcDatetime | None = None
    created_at: UtcDatetime
    active_positions: int = 0


class AgentInfo(WireModel):
    """One connected agent: its connector, the data provider it serves, its status and the
    broker accounts it handles.
    """

    connector: AgentConnector
    provider: DataProviderType | None = None
    status: AgentStatus
    last_snapshot_at: UtcDatetime | None = None
    broker_account_ids: list[str] | None = None
    message: str | None = None


class ListAgentsArgs(WireModel):
    """``ListAgents`` takes no arguments."""


class ListAgentsResult(WireModel):
    """``ListAgents`` result: every agent (not paged)."""

    agents: list[AgentInfo]


class ListAccountsArgs(PagedArgs):
    """``ListAccounts`` filters (paged): ``BrokerType`` and ``IsPaperAccount``, both optional."""

    broker_type: BrokerType | None = None
    is_paper_account: bool | None = None


class ListAccountsResult(Page[LiveAccount]):
    """Paged ``LiveAccount`` items."""


class GetAccountArgs(WireModel):
    """``GetAccount`` args. Result: ``LiveAccount``."""

    broker_account_id: str = Field(min_length=1)
