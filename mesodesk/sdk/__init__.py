"""mesodesk's MesoLive SDK: typed asyncio clients for the Control, Data and Event hubs.

>>> async with MesoLiveControlHubClient("https://host", api_key) as control:
...     async for position in control.iter_positions():
...         print(position.name)
"""

from mesodesk.sdk._signalr import (
    ConnectionLostError,
    ConnectionState,
    ConnectTimeoutError,
    InvocationTimeout,
    NotConnectedError,
    SignalRAuthError,
    SignalRError,
    SignalRInvocationError,
    SignalRStreamError,
)
from mesodesk.sdk._wire import WireObservations, unmatched_wire_fields, wire_observations
from mesodesk.sdk.control import IdempotencyOutcome, MesoLiveControlHubClient
from mesodesk.sdk.data import MesoLiveDataHubClient
from mesodesk.sdk.errors import (
    IdempotencyFailedError,
    MesoLiveApiException,
    MesoLiveError,
    OutcomeUnknownError,
)
from mesodesk.sdk.events import EventCursorStore, JsonFileEventCursorStore, MesoLiveEventHubClient

#: The official SDK's name for stream failures.
MesoLiveSignalRError = SignalRError

__all__ = [
    "ConnectTimeoutError",
    "ConnectionLostError",
    "ConnectionState",
    "EventCursorStore",
    "IdempotencyFailedError",
    "IdempotencyOutcome",
    "InvocationTimeout",
    "JsonFileEventCursorStore",
    "MesoLiveApiException",
    "MesoLiveControlHubClient",
    "MesoLiveDataHubClient",
    "MesoLiveError",
    "MesoLiveEventHubClient",
    "MesoLiveSignalRError",
    "NotConnectedError",
    "OutcomeUnknownError",
    "SignalRAuthError",
    "SignalRError",
    "SignalRInvocationError",
    "SignalRStreamError",
    "WireObservations",
    "unmatched_wire_fields",
    "wire_observations",
]
