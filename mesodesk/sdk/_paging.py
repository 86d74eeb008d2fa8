"""Iterate over every item of a paged List* method by following ``ContinuationToken``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from mesodesk.contract import (
    ListAccountsArgs,
    ListExecutionsArgs,
    ListLegsArgs,
    ListOrdersArgs,
    ListPositionsArgs,
    ListStrategiesArgs,
    LiveAccount,
    LiveExecution,
    LiveLeg,
    LivePosition,
    LiveStrategy,
    Order,
)
from mesodesk.sdk._arguments import check_filters

T = TypeVar("T")


async def iterate_pages(fetch: Callable[..., Awaitable[Any]], page_size: int, **filters: Any) -> AsyncIterator[Any]:
    token: str | None = None
    while True:
        page = await fetch(limit=page_size, continuation_token=token, **filters)
        for item in page.items:
            yield item
        token = page.continuation_token
        if not token:
            return


class PagingMixin:
    """``iter_*`` helpers of the Control hub client. Their filters are checked when they are
    called (an unknown or misspelled one raises :class:`MesoLiveArgumentError` at once)."""

    list_accounts: Callable[..., Awaitable[Any]]
    list_strategies: Callable[..., Awaitable[Any]]
    list_positions: Callable[..., Awaitable[Any]]
    list_legs: Callable[..., Awaitable[Any]]
    list_orders: Callable[..., Awaitable[Any]]
    list_executions: Callable[..., Awaitable[Any]]

    def iter_accounts(self, page_size: int = 100, **filters: Any) -> AsyncIterator[LiveAccount]:
        """Every account, page by page (filters as in ``ListAccountsArgs``)."""
        check_filters("iter_accounts", ListAccountsArgs, filters)
        return iterate_pages(self.list_accounts, page_size, **filters)

    def iter_strategies(self, page_size: int = 100, **filters: Any) -> AsyncIterator[LiveStrategy]:
        """Every strategy (filters as in ``ListStrategiesArgs``, e.g. ``active_on_accounts``)."""
        check_filters("iter_strategies", ListStrategiesArgs, filters)
        return iterate_pages(self.list_strategies, page_size, **filters)

    def iter_positions(self, page_size: int = 100, **filters: Any) -> AsyncIterator[LivePosition]:
        """Every position (filters as in ``ListPositionsArgs``)."""
        check_filters("iter_positions", ListPositionsArgs, filters)
        return iterate_pages(self.list_positions, page_size, **filters)

    def iter_legs(self, page_size: int = 100, **filters: Any) -> AsyncIterator[LiveLeg]:
        """Every leg (filters as in ``ListLegsArgs``)."""
        check_filters("iter_legs", ListLegsArgs, filters)
        return iterate_pages(self.list_legs, page_size, **filters)

    def iter_orders(self, page_size: int = 100, **filters: Any) -> AsyncIterator[Order]:
        """Every order (filters as in ``ListOrdersArgs``, e.g. ``exec_plan_id``)."""
        check_filters("iter_orders", ListOrdersArgs, filters)
        return iterate_pages(self.list_orders, page_size, **filters)

    def iter_executions(self, page_size: int = 100, **filters: Any) -> AsyncIterator[LiveExecution]:
        """Every execution (filters as in ``ListExecutionsArgs``)."""
        check_filters("iter_executions", ListExecutionsArgs, filters)
        return iterate_pages(self.list_executions, page_size, **filters)
