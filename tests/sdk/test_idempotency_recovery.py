"""Idempotent calls recover unknown outcomes through GetIdempotencyRecord (scripted control hub).

The simulator-backed end-to-end variants live in test_control_simulator.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mesodesk.contract import IdempotencyRecordStatus, LegGroupOrder, OrderType, SendOrderResult, StatusCode
from mesodesk.sdk import (
    IdempotencyFailedError,
    MesoLiveApiException,
    MesoLiveControlHubClient,
    OutcomeUnknownError,
)
from tests.sdk.conftest import FAST
from tests.sdk.scripted import TOKEN, ScriptedServer

ORDER = LegGroupOrder(order_type=OrderType.Limit, limit_price=1, leg_names=["Short"])


def order_kwargs(key: str | None = None) -> dict[str, Any]:
    kw: dict[str, Any] = {"broker_account_id": "PAPER1", "exec_plan_id": 1, "leg_group_id": 1,
                          "leg_group_order": ORDER}
    if key:
        kw["idempotency_key"] = key
    return kw


def client(server: ScriptedServer, **kw: Any) -> MesoLiveControlHubClient:
    return MesoLiveControlHubClient(server.url, TOKEN, **{**FAST, "recovery_poll_interval": 0.05, "recovery_timeout": 10.0, **kw})


async def drop_when_started(server: ScriptedServer, after: float = 0.05) -> None:
    await server.orders.started.wait()
    await asyncio.sleep(after)
    await server.signalr.disconnect_all()


async def test_drop_while_processing_polls_then_returns_recorded_result(scripted: ScriptedServer) -> None:
    scripted.orders.delay = 0.6  # broker latency: the record stays Processing meanwhile
    async with client(scripted) as c:
        dropper = asyncio.create_task(drop_when_started(scripted))
        result = await c.send_order(**order_kwargs("send_order_drop1"))
        await dropper
    assert isinstance(result, SendOrderResult)
    assert scripted.orders.orders == {"send_order_drop1": result.order_ids}  # exactly one order
    assert scripted.orders.send_calls == ["send_order_drop1"]  # never resent blindly
    assert scripted.orders.record_calls >= 2  # polled while Processing


async def test_request_that_never_arrived_is_resent_once_with_the_same_key(scripted: ScriptedServer) -> None:
    scripted.orders.lose_first.add("send_order_lost1")
    async with client(scripted) as c:
        dropper = asyncio.create_task(drop_when_started(scripted))
        result = await c.send_order(**order_kwargs("send_order_lost1"))
        await dropper
    assert scripted.orders.send_calls == ["send_order_lost1", "send_order_lost1"]
    assert scripted.orders.orders == {"send_order_lost1": result.order_ids}


async def test_timeout_recovers_instead_of_resending(scripted: ScriptedServer) -> None:
    scripted.orders.delay = 0.5
    async with client(scripted) as c:
        result = await c.send_order(**order_kwargs(), timeout=0.1)
    [key] = scripted.orders.orders
    assert key.startswith("send_order_")
    assert scripted.orders.send_calls == [key]
    assert result.order_ids == scripted.orders.orders[key]


async def test_recorded_failure_raises(scripted: ScriptedServer) -> None:
    scripted.orders.delay = 0.4
    scripted.orders.fail_with = StatusCode.BrokerError
    async with client(scripted) as c:
        with pytest.raises(IdempotencyFailedError) as info:
            await c.send_order(**order_kwargs("send_order_fail1"), timeout=0.1)
    assert isinstance(info.value, MesoLiveApiException)
    assert info.value.status == StatusCode.BrokerError
    assert info.value.record.status == IdempotencyRecordStatus.Failed
    assert scripted.orders.send_calls == ["send_order_fail1"]


async def test_recovery_gives_up_after_its_timeout(scripted: ScriptedServer) -> None:
    scripted.orders.delay = 5.0
    async with client(scripted, recovery_timeout=0.4) as c:
        with pytest.raises(OutcomeUnknownError) as info:
            await c.send_order(**order_kwargs("send_order_slow1"), timeout=0.1)
    assert info.value.idempotency_key == "send_order_slow1"


async def test_idempotency_outcome(scripted: ScriptedServer) -> None:
    async with client(scripted) as c:
        missing = await c.idempotency_outcome("send_order_nope")
        assert missing.status is None and not missing.found and missing.data is None
        sent = await c.send_order(**order_kwargs("send_order_ok1"))
        outcome = await c.idempotency_outcome("send_order_ok1")
        assert outcome.completed and outcome.found
        assert outcome.data == sent and isinstance(outcome.data, SendOrderResult)
        # An explicit reuse of a completed key is the caller's business: DuplicateRequest + original data.
        with pytest.raises(MesoLiveApiException) as info:
            await c.send_order(**order_kwargs("send_order_ok1"))
        assert info.value.status == StatusCode.DuplicateRequest
        assert info.value.data == sent
