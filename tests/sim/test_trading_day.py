"""A full trading day through the SDK over real sockets, on a paper and on a broker account.

Create a strategy; prepare an entry; execute it per leg group (orders on the broker
account, paper fills on the paper account); adjust with MoveLeg; prepare an exit and
close. Meanwhile an Event Hub client must see every event exactly once, in
``EventSeqId`` order.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest

from mesodesk.contract import (
    LegGroupOrder,
    LiveLegSelectionConstraint,
    LivePositionState,
    LiveUnderlying,
    MesoLiveEvent,
    OrderState,
    OrderType,
    PaperFill,
    PositionAdjustmentOperation,
    PreparationStatus,
    TimeInForce,
)
from mesodesk.sdk import MesoLiveControlHubClient, MesoLiveEventHubClient
from mesodesk.sim.seed import BROKER_ACCOUNT, PAPER_ACCOUNT
from mesodesk.sim.server import SimulatorServer

pytestmark = pytest.mark.timeout(120)


async def wait_job(get_status: Any, job_id: str) -> Any:
    for _ in range(400):
        status = await get_status(job_id=job_id)
        if status.status == PreparationStatus.Completed:
            return status.result
        assert status.status in (PreparationStatus.Pending, PreparationStatus.Running), status
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not complete")


async def execute(control: MesoLiveControlHubClient, account: str, paper: bool, result: Any,
                  qty_multiplier: Decimal | None) -> None:
    """One SendOrder per leg group (marketable limits) or paper fills at mid, then wait until filled."""
    if paper:
        fills = {name: PaperFill(price=(prices.mid or prices.mark)) for name, prices in result.leg_prices.items()}
        await control.apply_paper_fills(broker_account_id=account, exec_plan_id=result.exec_plan_id,
                                        qty_multiplier=qty_multiplier, fills=fills)
        return
    order_ids = []
    for group_id, names in result.leg_groups.items():
        natural_cost = result.leg_group_prices[group_id].ask  # signed: what buying this combo costs now
        sent = await control.send_order(
            broker_account_id=account, exec_plan_id=result.exec_plan_id, leg_group_id=group_id,
            qty_multiplier=qty_multiplier,
            leg_group_order=LegGroupOrder(order_type=OrderType.Limit, time_in_force=TimeInForce.DAY,
                                          limit_price=natural_cost + Decimal("0.50"), leg_names=names),
        )
        order_ids += sent.order_ids
    for order_id in order_ids:
        for _ in range(400):
            order = await control.get_order(order_id=order_id)
            if order.state == OrderState.Filled:
                break
            assert order.state not in (OrderState.Rejected, OrderState.Cancelled), order
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"order {order_id} not filled: {order}")


async def trading_day(control: MesoLiveControlHubClient, strategy_id: int, account: str, paper: bool) -> int:
    job = await control.start_prepare_position_entry(
        position_name=f"Day trade {account}", strategy_id=strategy_id, broker_account_id=account,
        leg_selection_constraint=LiveLegSelectionConstraint.FullyUnique, underlying=LiveUnderlying(symbol="SPX"))
    entry = await wait_job(control.get_prepare_position_entry_status, job.job_id)
    assert set(entry.selected_legs) == {"short_put", "long_put"}
    assert entry.leg_groups == {1: ["short_put", "long_put"]}
    strikes = {n: leg.live_contract.strike for n, leg in entry.selected_legs.items()}
    assert strikes["short_put"] - strikes["long_put"] == 25
    await execute(control, account, paper, entry, Decimal(2))
    [position] = [p async for p in control.iter_positions(broker_account_id=account)
                  if p.name == f"Day trade {account}"]
    assert position.state == LivePositionState.Open and position.qty_multiplier == 2
    legs = (await control.get_position(position_id=position.id)).legs
    assert sorted(leg.qty for leg in legs) == [Decimal(-2), Decimal(2)]

    job = await control.start_prepare_position_adjustment(
        position_id=position.id, operation=PositionAdjustmentOperation.MoveLeg,
        condition="pos_delta > 8 * units")
    adjustment = await wait_job(control.get_prepare_position_adjustment_status, job.job_id)
    await execute(control, account, paper, adjustment, None)
    details = await control.get_position(position_id=position.id)
    shorts = [leg for leg in details.legs if leg.name == "short_put"]
    assert len(shorts) == 2, "MoveLeg closes the old short put and opens the new one"
    old, new = sorted(shorts, key=lambda leg: leg.id)
    assert old.closed_at is not None and new.closed_at is None and new.qty == Decimal(-2)
    assert new.live_contract.strike != old.live_contract.strike

    job = await control.start_prepare_position_exit(position_id=position.id)
    exit_result = await wait_job(control.get_prepare_position_exit_status, job.job_id)
    await execute(control, account, paper, exit_result, None)
    closed = await control.get_position(position_id=position.id)
    assert closed.state == LivePositionState.Closed and closed.closed_at is not None
    assert all(leg.closed_at is not None for leg in closed.legs)
    assert closed.realized_pnl is not None
    return position.id


async def test_full_trading_day_on_paper_and_broker_accounts(simulator: SimulatorServer, api_key: str) -> None:
    simulator.context.jobs.delay = 0.05
    seen: list[MesoLiveEvent] = []
    events = MesoLiveEventHubClient(simulator.url, api_key)
    events.on_event(seen.append)
    definition = json.loads(resources.files("mesodesk.sim").joinpath(
        "strategies", "spx_put_credit_spread.json").read_text())
    async with MesoLiveControlHubClient(simulator.url, api_key) as control:
        await events.connect()
        try:
            strategy = await control.create_strategy(
                strategy_definition=definition, name="Day test PCS", active_on_accounts=[PAPER_ACCOUNT, BROKER_ACCOUNT])
            paper_position = await trading_day(control, strategy.id, PAPER_ACCOUNT, paper=True)
            broker_position = await trading_day(control, strategy.id, BROKER_ACCOUNT, paper=False)
            latest = (await events.get_latest_event_seq_id()).latest_event_seq_id
            for _ in range(100):
                if seen and seen[-1].event_seq_id >= latest:
                    break
                await asyncio.sleep(0.05)
        finally:
            await events.close()
    seqs = [e.event_seq_id for e in seen]
    assert seqs == list(range(1, latest + 1)), "every event exactly once, contiguous, in order"
    assert len({e.event_id for e in seen}) == len(seen)
    kinds = {type(e).__name__ for e in seen}
    assert {"PositionEntryPreparationCompletedEvent", "PositionAdjustmentPreparationCompletedEvent",
            "PositionExitPreparationCompletedEvent", "OrderUpdateEvent", "LegUpdateEvent",
            "PositionUpdateEvent"} <= kinds
    for position_id in (paper_position, broker_position):
        statuses = [e.status.value for e in seen
                    if type(e).__name__ == "PositionUpdateEvent" and e.position_id == position_id]
        assert statuses[0] == "Created" and statuses[-1] == "Closed" and "Adjusted" in statuses
