"""ApplyPaperFills on the paper account (and its refusal on a broker account)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mesodesk.contract import LivePositionState, OrderState, PaperFill, StatusCode
from mesodesk.sdk import MesoLiveApiException, MesoLiveControlHubClient
from mesodesk.sim.execplans import ExecPlanStatus
from mesodesk.sim.seed import BROKER_ACCOUNT, PAPER_ACCOUNT
from mesodesk.sim.server import SimulatorServer
from tests.sim import test_orders
from tests.sim.test_orders import API_KEY, pcs_plan

sim = test_orders.sim  # the fixture

FILLS = {"short_put": PaperFill(price=Decimal("4.20"), commission=Decimal("1.30")),
         "long_put": PaperFill(price=Decimal("2.10"), commission=Decimal("1.30"))}


async def test_paper_fills_create_position_legs_and_executions(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim, account=PAPER_ACCOUNT, multiplier=2)
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        result = await control.apply_paper_fills(broker_account_id=PAPER_ACCOUNT, exec_plan_id=plan.id,
                                                 leg_group_id=1, fills=FILLS)
        assert result.exec_plan_id == plan.id and result.position_id is not None
        assert len(result.order_ids) == 1 and len(result.execution_ids) == 2
        o = await control.get_order(order_id=result.order_ids[0])
        assert o.state == OrderState.Filled and o.side == "S" and o.cum_qty == Decimal(-2)
        assert o.avg_fill_price == Decimal("-2.10")
        execs = {e.leg_name: e for e in (await control.get_executions(execution_ids=result.execution_ids)).executions}
        assert execs["short_put"].price == Decimal("4.20") and execs["short_put"].qty == Decimal(-2)
        assert execs["long_put"].commission == Decimal("1.30")
        details = await control.get_position(position_id=result.position_id)
        assert details.state == LivePositionState.Open and details.name == "Test PCS"
        legs = {leg.name: leg for leg in details.legs}
        # commission 1.30 on 2 contracts of 100 = 0.0065 per unit, inside AvgEntryPrice
        assert legs["short_put"].avg_entry_price == Decimal("4.1935")
        assert legs["long_put"].avg_entry_price == Decimal("2.1065")
    assert sim.context.broker.load_plan(plan.id).status == ExecPlanStatus.Done


async def test_partial_paper_fills_per_leg(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim, account=PAPER_ACCOUNT, multiplier=3)
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        first = await control.apply_paper_fills(
            broker_account_id=PAPER_ACCOUNT, exec_plan_id=plan.id,
            fills={"short_put": PaperFill(price=Decimal("4"), qty=Decimal(1))})
        assert sim.context.broker.load_plan(plan.id).status == ExecPlanStatus.Executing
        second = await control.apply_paper_fills(
            broker_account_id=PAPER_ACCOUNT, exec_plan_id=plan.id,
            fills={"short_put": PaperFill(price=Decimal("5")), "long_put": PaperFill(price=Decimal("2"))})
        assert first.position_id == second.position_id
        legs = {leg.name: leg for leg in (await control.get_position(position_id=first.position_id)).legs}
        assert legs["short_put"].qty == Decimal(-3) and legs["long_put"].qty == Decimal(3)
        assert legs["short_put"].avg_entry_price == Decimal("4.6667")  # (4 + 2 * 5) / 3, no commission
        with pytest.raises(MesoLiveApiException) as info:  # nothing left
            await control.apply_paper_fills(broker_account_id=PAPER_ACCOUNT, exec_plan_id=plan.id, fills=FILLS)
        assert info.value.status == StatusCode.Conflict


async def test_paper_fills_refused_on_a_broker_account(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim, account=BROKER_ACCOUNT)
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        with pytest.raises(MesoLiveApiException) as info:
            await control.apply_paper_fills(broker_account_id=BROKER_ACCOUNT, exec_plan_id=plan.id, fills=FILLS)
        assert info.value.status == StatusCode.NotSupported
        assert (await control.list_orders()).items == []
        assert not (await control.list_positions(live_exec_plan_id=plan.id)).items


async def test_bad_paper_fills_are_refused_without_side_effects(sim: SimulatorServer) -> None:
    plan = pcs_plan(sim, account=PAPER_ACCOUNT)
    other = pcs_plan(sim, account=BROKER_ACCOUNT)

    def raw(n: int, **over: object) -> dict[str, object]:
        return {"IdempotencyKey": f"pf-{n}", "BrokerAccountId": PAPER_ACCOUNT, "ExecPlanId": plan.id,
                "Fills": {"short_put": {"Price": 4}, "long_put": {"Price": 2}}, **over}

    cases = [
        (raw(1, Fills={"nope": {"Price": 1}}), "InvalidArguments"),
        (raw(2, Fills={"short_put": {"Price": -1}}), "InvalidArguments"),
        (raw(3, Fills={"short_put": {"Price": 1, "Qty": -1}}), "InvalidArguments"),
        (raw(4, Fills={"short_put": {"Price": 1, "Qty": 5}}), "InvalidArguments"),
        (raw(5, Fills={"short_put": {"Price": "abc"}}), "InvalidArguments"),
        (raw(6, Fills={}), "InvalidArguments"),
        (raw(7, LegGroupId=9), "InvalidArguments"),
        (raw(8, QtyMultiplier=0), "InvalidArguments"),
        (raw(9, ExecPlanId=other.id), "InvalidArguments"),
        (raw(10, ExecPlanId=424242), "NotFound"),
        (raw(11, BrokerAccountId="NOPE"), "NotFound"),
        (raw(12, Fills={"short_put": {"Price": 1, "Commission": -1}}), "InvalidArguments"),
    ]
    async with MesoLiveControlHubClient(sim.url, API_KEY) as control:
        for payload, status in cases:
            reply = await control.connection.invoke("ApplyPaperFills", payload)
            assert reply["Status"] == status, (payload, reply)
        assert (await control.list_orders()).items == []
        assert (await control.list_executions()).items == []
    assert sim.context.broker.load_plan(plan.id).status == ExecPlanStatus.Prepared
