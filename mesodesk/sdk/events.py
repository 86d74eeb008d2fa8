"""Event hub client (/hubs/event/v1): subscriptions, the event cursor and callbacks."""

from __future__ import annotations

from typing import Any, ClassVar, cast

from mesodesk.contract import (
    GetEventsSinceArgs,
    GetEventsSinceResult,
    GetLatestEventSeqIdArgs,
    GetLatestEventSeqIdResult,
    SubscribeToStrategiesArgs,
    SubscribeToStrategiesResult,
    UnsubscribeFromStrategiesArgs,
    UnsubscribeFromStrategiesResult,
)
from mesodesk.sdk._callbacks import EventCallbacksMixin
from mesodesk.sdk._hub import HubClient, build_args


class MesoLiveEventHubClient(EventCallbacksMixin, HubClient):
    """Event hub client (/hubs/event/v1): subscriptions, the event cursor and callbacks.

    Every method takes its args model, or keyword arguments that build it, and
    raises :class:`~mesodesk.sdk.errors.MesoLiveApiException` on a non-Success status.
    """

    HUB: ClassVar[str] = "event"

    async def subscribe_to_strategies(
        self, args: SubscribeToStrategiesArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> SubscribeToStrategiesResult:
        """``SubscribeToStrategies``.
        """
        args = build_args(SubscribeToStrategiesArgs, args, kwargs)
        return cast(SubscribeToStrategiesResult, await self._invoke("SubscribeToStrategies", args, SubscribeToStrategiesResult, timeout))

    async def unsubscribe_from_strategies(
        self, args: UnsubscribeFromStrategiesArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> UnsubscribeFromStrategiesResult:
        """``UnsubscribeFromStrategies``.
        """
        args = build_args(UnsubscribeFromStrategiesArgs, args, kwargs)
        return cast(UnsubscribeFromStrategiesResult, await self._invoke("UnsubscribeFromStrategies", args, UnsubscribeFromStrategiesResult, timeout))

    async def get_latest_event_seq_id(
        self, args: GetLatestEventSeqIdArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> GetLatestEventSeqIdResult:
        """``GetLatestEventSeqId``.
        """
        args = build_args(GetLatestEventSeqIdArgs, args, kwargs)
        return cast(GetLatestEventSeqIdResult, await self._invoke("GetLatestEventSeqId", args, GetLatestEventSeqIdResult, timeout))

    async def get_events_since(
        self, args: GetEventsSinceArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> GetEventsSinceResult:
        """``GetEventsSince``.
        """
        args = build_args(GetEventsSinceArgs, args, kwargs)
        return cast(GetEventsSinceResult, await self._invoke("GetEventsSince", args, GetEventsSinceResult, timeout))
