"""mesodesk's MesoLive SDK: typed asyncio clients for the Control, Data and Event hubs.

>>> async with MesoLiveControlHubClient("https://host", api_key) as control:
...     async for position in control.iter_positions():
...         print(position.name)
"""

from mesodesk.sdk._arguments import ArgumentProblem, MesoLiveArgumentError
from mesodesk.sdk._idempotency import LostPrepareJob, PrepareJobOutcome
from mesodesk.sdk._prepare_kinds import IdempotencyOutcome
from mesodesk.sdk._signalr import (
    ConnectAttemptError,
    ConnectionLostError,
    ConnectionState,
    ConnectTimeoutError,
    HostNotFoundError,
    HubNotFoundError,
    InvocationTimeout,
    NotConnectedError,
    SignalRAuthError,
    SignalRError,
    SignalRInvocationError,
    SignalRStreamError,
    SignalRTLSError,
    StreamGap,
)
from mesodesk.sdk._wire import WireObservations, unmatched_wire_fields, wire_observations
from mesodesk.sdk.control import MesoLiveControlHubClient
from mesodesk.sdk.data import MesoLiveDataHubClient
from mesodesk.sdk.errors import (
    DuplicateRequestError,
    IdempotencyFailedError,
    IdempotencyKeyReusedError,
    MesoLiveApiException,
    MesoLiveError,
    OutcomeUnknownError,
)
from mesodesk.sdk.events import EventCursorStore, JsonFileEventCursorStore, MesoLiveEventHubClient

#: The official SDK's name for stream failures.
MesoLiveSignalRError = SignalRError

__all__ = [
    "ArgumentProblem",
    "ConnectAttemptError",
    "ConnectTimeoutError",
    "ConnectionLostError",
    "ConnectionState",
    "DuplicateRequestError",
    "EventCursorStore",
    "HostNotFoundError",
    "HubNotFoundError",
    "IdempotencyFailedError",
    "IdempotencyKeyReusedError",
    "IdempotencyOutcome",
    "InvocationTimeout",
    "JsonFileEventCursorStore",
    "LostPrepareJob",
    "MesoLiveApiException",
    "MesoLiveArgumentError",
    "MesoLiveControlHubClient",
    "MesoLiveDataHubClient",
    "MesoLiveError",
    "MesoLiveEventHubClient",
    "MesoLiveSignalRError",
    "NotConnectedError",
    "OutcomeUnknownError",
    "PrepareJobOutcome",
    "SignalRAuthError",
    "SignalRError",
    "SignalRInvocationError",
    "SignalRStreamError",
    "SignalRTLSError",
    "StreamGap",
    "WireObservations",
    "unmatched_wire_fields",
    "wire_observations",
]
