"""The MesoLive hubs are registered from the contract's method registry (mesodesk.contract.methods)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mesodesk.contract import ALL_METHODS, HUB_PATHS, ListAccountsArgs
from mesodesk.sim.hubs.api import check_implemented, implements
from mesodesk.sim.server import SimulatorServer
from mesodesk.sim.signalr import Hub, ServerConnection


def test_each_hub_has_exactly_the_contract_methods(tmp_path: Path) -> None:
    server = SimulatorServer(tmp_path, "test-key-0123456789", seed=1)
    try:
        hubs = {h.name: h for h in server.signalr._hubs.values()}
        for name in HUB_PATHS:
            contract = {m.name: m.stream for m in ALL_METHODS if m.hub == name}
            registered = {n: h.is_stream for n, h in hubs[name].methods.items()}
            assert registered == contract, name
    finally:
        server.store.close()


def test_implements_takes_the_name_args_model_and_kind_from_the_registry() -> None:
    hub = Hub("control")

    @implements(hub)
    async def list_accounts(conn: ServerConnection, args: ListAccountsArgs) -> Any:
        return None

    handler = hub.methods["ListAccounts"]
    assert not handler.is_stream and (handler.min_args, handler.max_args) == (1, 1)

    data = Hub("data")

    @implements(data, "stream_underlying_data")
    def stream(conn: ServerConnection, args: Any) -> Any:
        return iter(())

    assert data.methods["StreamUnderlyingData"].is_stream


def test_implements_refuses_unknown_names_and_mismatched_args_models() -> None:
    hub = Hub("control")
    with pytest.raises(LookupError, match="list_acounts"):

        @implements(hub)
        async def list_acounts(conn: ServerConnection, args: Any) -> Any:  # a typo
            return None

    with pytest.raises(LookupError):  # a data-hub method on the control hub

        @implements(hub, "get_underlying_snapshot")
        async def snapshot(conn: ServerConnection, args: Any) -> Any:
            return None

    with pytest.raises(TypeError, match="ListOrdersArgs"):

        @implements(hub)
        async def list_orders(conn: ServerConnection, args: ListAccountsArgs) -> Any:
            return None


def test_check_implemented_names_what_is_missing() -> None:
    hub = Hub("event")

    @implements(hub)
    async def get_latest_event_seq_id(conn: ServerConnection, args: Any) -> Any:
        return None

    with pytest.raises(LookupError, match="SubscribeToStrategies") as info:
        check_implemented(hub)
    assert "GetLatestEventSeqId" not in str(info.value)
