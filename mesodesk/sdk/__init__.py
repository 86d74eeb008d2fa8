"""mesodesk's MesoLive SDK: typed asyncio clients for the Control, Data and Event hubs.

>>> async with MesoLiveControlHubClient("https://host", api_key) as control:
...     async for position in control.iter_positions():
...         print(position.name)
"""

from mesodesk.sdk._signalr import (
    ConnectionLostError,
    ConnectionState,
    InvocationTimeout,
    NotConnectedError,
    SignalRAuthError,
    SignalRError,
    SignalRInvocationError,
    SignalRStreamError,
)
from mesodesk.sdk.control import MesoLiveControlHubClient
from mesodesk.sdk.data import MesoLiveDataHubClient
from mesodesk.sdk.errors import MesoLiveApiException, MesoLiveError
from mesodesk.sdk.events import MesoLiveEventHubClient

#: The official SDK's name for stream failures.
MesoLiveSignalRError = SignalRError

__all__ = [
    "ConnectionLostError",
    "ConnectionState",
    "InvocationTimeout",
    "MesoLiveApiException",
    "MesoLiveControlHubClient",
    "MesoLiveDataHubClient",
    "MesoLiveError",
    "MesoLiveEventHubClient",
    "MesoLiveSignalRError",
    "NotConnectedError",
    "SignalRAuthError",
    "SignalRError",
    "SignalRInvocationError",
    "SignalRStreamError",
]
