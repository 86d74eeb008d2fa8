"""Idempotency of SendOrder, CancelOrder and ApplyPaperFills; GetIdempotencyRecord; restarts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from mesodesk.contract import (
    IdempotencyOperation,
    IdempotencyRecordStatus,
    OrderType,
    SendOrderArgs,
    StatusCode,
)
from mesodesk.sdk import MesoLiveApiException, MesoLiveControlHubClient
from mesodesk.sim.seed import PAPER_ACCOUNT
from mesodesk.sim.server import SimulatorServer
from tests.sim import test_orders
from tests.sim.test_orders import API_KEY, make_server, natural, order, pcs_plan

sim = test_orders.sim  # the fixture


def send_args(plan_id: int, key: str, **lgo: object) -> SendOrderArgs:
    return SendOrderArgs(idempotency_key=key, broker_account_id="U7654321", exec_plan_id=plan_id, leg_group_id=1,
                         leg_group_order=order(**lgo))  # type: ignore[arg-type]


async def test_same_key_same_request_is_a_duplicate_with_the_original_data(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim, multiplier=3)
    args = send_args(plan.id, "send_order_1", qty=Decimal(1))
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        first = await control.send_order(args)
        with pytest.raises(MesoLiveApiException) as info:
            await control.send_order(args)
        assert info.value.status == StatusCode.DuplicateRequest
        assert info.value.data == first
        assert len((await control.list_orders()).items) == 1  # applied once
        with pytest.raises(MesoLiveApiException) as info:
            await control.send_order(send_args(plan.id, "send_order_1", qty=Decimal(2)))
        assert info.value.status == StatusCode.Conflict
        record = await control.get_idempotency_record(idempotency_key="send_order_1")
        assert record.status == IdempotencyRecordStatus.Completed
        assert record.operation == IdempotencyOperation.SendOrder
        assert record.live_order_ids == first.order_ids and record.live_exec_plan_id == plan.id
        assert record.response_status == StatusCode.Success and record.request_hash
        with pytest.raises(MesoLiveApiException) as info:
            await control.get_idempotency_record(idempotency_key="never-used")
        assert info.value.status == StatusCode.NotFound
        raw = await control.connection.invoke("GetIdempotencyRecord", {"IdempotencyKey": ""})
        assert raw["Status"] == "InvalidArguments"


async def test_failed_outcome_is_recorded_and_replayed(sim: SimulatorServer) -> None:
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        args = send_args(999, "send_order_missing")
        for _ in range(2):
            with pytest.raises(MesoLiveApiException) as info:
                await control.send_order(args)
            assert info.value.status == StatusCode.NotFound
        record = await control.get_idempotency_record(idempotency_key="send_order_missing")
        assert record.status == IdempotencyRecordStatus.Failed


async def test_cancel_and_paper_fills_are_idempotent(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim)
    paper = pcs_plan(sim, account=PAPER_ACCOUNT)
    cost, _ = natural(sim, plan)
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        order_id = (await control.send_order(send_args(plan.id, "s1", order_type=OrderType.Limit,
                                                       limit_price=cost - 5))).order_ids[0]
        await control.cancel_order(idempotency_key="cancel_order_1", order_id=order_id)
        with pytest.raises(MesoLiveApiException) as info:
            await control.cancel_order(idempotency_key="cancel_order_1", order_id=order_id)
        assert info.value.status == StatusCode.DuplicateRequest  # not Conflict: same request
        record = await control.get_idempotency_record(idempotency_key="cancel_order_1")
        assert record.live_order_ids == [order_id]
        fills = {"short_put": {"Price": 4}, "long_put": {"Price": 2}}
        await control.apply_paper_fills(idempotency_key="paper_entry_1", broker_account_id=PAPER_ACCOUNT,
                                        exec_plan_id=paper.id, fills=fills)
        with pytest.raises(MesoLiveApiException) as info:
            await control.apply_paper_fills(idempotency_key="paper_entry_1", broker_account_id=PAPER_ACCOUNT,
                                            exec_plan_id=paper.id, fills=fills)
        assert info.value.status == StatusCode.DuplicateRequest
        assert len((await control.list_executions(exec_plan_id=paper.id)).items) == 2


async def test_records_survive_a_restart(tmp_path: Path) -> None:
    server = make_server(tmp_path / "sim")
    await server.start(port=0)
    plan = pcs_plan(server)
    args = send_args(plan.id, "send_order_restart")
    async with MesoLiveControlHubClient(server.url, API_KEY) as control:
        first = await control.send_order(args)
    await server.stop()
    server = make_server(tmp_path / "sim")
    await server.start(port=0)
    try:
        async with MesoLiveControlHubClient(server.url, API_KEY) as control:
            with pytest.raises(MesoLiveApiException) as info:
                await control.send_order(args)
            assert info.value.status == StatusCode.DuplicateRequest
            assert info.value.data == first
            record = await control.get_idempotency_record(idempotency_key="send_order_restart")
            assert record.live_order_ids == first.order_ids
            assert len((await control.list_orders()).items) == 1
    finally:
        await server.stop()
