"""Every Control hub method through the real SDK against the simulator (success + error paths)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from decimal import Decimal
from typing import Any

import pytest

from mesodesk.contract import (
    CancelPrepareResult,
    DeleteStrategyResult,
    GetAccountArgs,
    GetExecutionsResult,
    GetLegsResult,
    IdempotencyRecord,
    LegGroupOrder,
    ListAccountsResult,
    ListAgentsResult,
    ListLegsResult,
    ListPositionsResult,
    ListStrategiesResult,
    LiveAccount,
    LiveLeg,
    LiveLegSelectionConstraint,
    LivePositionDetails,
    LiveStrategy,
    LiveUnderlying,
    OrderType,
    PaperFill,
    PreparationStatus,
    StartPrepareResult,
    StatusCode,
)
from mesodesk.sdk import MesoLiveApiException, MesoLiveControlHubClient
from tests.sdk.conftest import FAST

PAPER = "ML10001"
BROKER = "U7654321"


async def fails(call: Awaitable[Any], status: StatusCode, method: str) -> MesoLiveApiException:
    with pytest.raises(MesoLiveApiException) as info:
        await call
    exc = info.value
    assert exc.status == status, exc
    assert exc.method == method
    assert exc.message
    return exc


def requires_jobs(simulator: Any) -> None:
    if getattr(simulator.context, "jobs", None) is None:
        pytest.skip("simulator has no prepare job service yet (SimContext.jobs is None in _build_services)")


def requires_broker(simulator: Any) -> None:
    if getattr(simulator.context, "broker", None) is None:
        pytest.skip("simulator has no broker yet (SimContext.broker is None)")


# -- accounts, agents --------------------------------------------------------------------
async def test_list_agents(control: MesoLiveControlHubClient) -> None:
    result = await control.list_agents()
    assert isinstance(result, ListAgentsResult) and result.agents


async def test_list_and_get_account(control: MesoLiveControlHubClient) -> None:
    page = await control.list_accounts(limit=1)
    assert isinstance(page, ListAccountsResult) and len(page.items) == 1 and page.continuation_token
    account = await control.get_account(GetAccountArgs(broker_account_id=PAPER))  # args model form
    assert isinstance(account, LiveAccount) and account.is_paper_account
    exc = await fails(control.get_account(broker_account_id="NOPE"), StatusCode.NotFound, "GetAccount")
    assert exc.error is not None and exc.error.code


async def test_list_accounts_bad_token(control: MesoLiveControlHubClient) -> None:
    exc = await fails(control.list_accounts(continuation_token="garbage!"), StatusCode.InvalidArguments,
                      "ListAccounts")
    assert "ContinuationToken" in exc.validation_errors


async def test_args_model_xor_kwargs(control: MesoLiveControlHubClient) -> None:
    with pytest.raises(TypeError):
        await control.get_account(GetAccountArgs(broker_account_id=PAPER), broker_account_id=PAPER)


# -- strategies ------------------------------------------------------------------------
async def test_strategy_crud(control: MesoLiveControlHubClient) -> None:
    page = await control.list_strategies(active_on_accounts=[PAPER])
    assert isinstance(page, ListStrategiesResult) and page.items
    original = await control.get_strategy(strategy_id=page.items[0].id)
    assert isinstance(original, LiveStrategy)
    clone = await control.create_strategy(clone_strategy_id=original.id, name="SDK clone")
    assert isinstance(clone, LiveStrategy) and clone.name == "SDK clone" and clone.id != original.id
    updated = await control.update_strategy(strategy_id=clone.id, description="via sdk")
    assert isinstance(updated, LiveStrategy) and updated.id == clone.id
    renamed = await control.rename_strategy(strategy_id=clone.id, name="SDK clone 2")
    assert renamed.name == "SDK clone 2"
    deleted = await control.delete_strategy(strategy_id=clone.id)
    assert isinstance(deleted, DeleteStrategyResult) and deleted.strategy_id == clone.id
    await fails(control.get_strategy(strategy_id=clone.id), StatusCode.NotFound, "GetStrategy")


async def test_strategy_errors(control: MesoLiveControlHubClient) -> None:
    await fails(control.create_strategy(clone_strategy_id=99999), StatusCode.NotFound, "CreateStrategy")
    with pytest.raises(ValueError):  # the args model validates locally first
        await control.create_strategy()
    exc = await fails(control.create_strategy(clone_strategy_id=1, active_on_accounts=["NOPE"]),
                      StatusCode.InvalidArguments, "CreateStrategy")
    assert exc.validation_errors
    await fails(control.update_strategy(strategy_id=99999, description="x"), StatusCode.NotFound, "UpdateStrategy")
    await fails(control.rename_strategy(strategy_id=99999, name="x"), StatusCode.NotFound, "RenameStrategy")
    await fails(control.delete_strategy(strategy_id=99999), StatusCode.NotFound, "DeleteStrategy")
    # a strategy with open positions cannot be deleted
    await fails(control.delete_strategy(strategy_id=1), StatusCode.Conflict, "DeleteStrategy")


# -- positions and legs -------------------------------------------------------------------
async def test_positions(control: MesoLiveControlHubClient) -> None:
    page = await control.list_positions(live_strategy_id=1)
    assert isinstance(page, ListPositionsResult) and page.items
    assert all(p.live_strategy_id == 1 for p in page.items)
    details = await control.get_position(position_id=page.items[0].id)
    assert isinstance(details, LivePositionDetails) and details.legs
    await fails(control.get_position(position_id=99999), StatusCode.NotFound, "GetPosition")


async def test_legs(control: MesoLiveControlHubClient) -> None:
    page = await control.list_legs(position_id=1)
    assert isinstance(page, ListLegsResult) and page.items
    leg = await control.get_leg(leg_id=page.items[0].id)
    assert isinstance(leg, LiveLeg) and leg.id == page.items[0].id
    batch = await control.get_legs(leg_ids=[i.id for i in page.items] + [99999])
    assert isinstance(batch, GetLegsResult) and len(batch.legs) == len(page.items)
    await fails(control.get_leg(leg_id=99999), StatusCode.NotFound, "GetLeg")


# -- paging helpers -------------------------------------------------------------------------
async def test_iter_helpers_follow_continuation_tokens(control: MesoLiveControlHubClient) -> None:
    accounts = [a async for a in control.iter_accounts(page_size=1)]
    assert len(accounts) == len({a.broker_account_id for a in accounts}) >= 2
    strategies = [s async for s in control.iter_strategies(page_size=1)]
    assert [s.id for s in strategies] == sorted(s.id for s in strategies) and len(strategies) >= 3
    positions = [p async for p in control.iter_positions(page_size=1)]
    assert len(positions) == len((await control.list_positions(limit=1000)).items)
    by_strategy = [p async for p in control.iter_positions(page_size=1, live_strategy_id=1)]
    assert by_strategy and all(p.live_strategy_id == 1 for p in by_strategy)
    legs = [leg async for leg in control.iter_legs(page_size=2)]
    assert len(legs) == len({leg.id for leg in legs}) == len((await control.list_legs(limit=1000)).items)
    orders = [o async for o in control.iter_orders(page_size=1)]
    assert len(orders) == len((await control.list_orders(limit=1000)).items)
    executions = [e async for e in control.iter_executions(page_size=1)]
    assert len(executions) == len((await control.list_executions(limit=1000)).items)


# -- idempotency records ---------------------------------------------------------------------
async def test_get_idempotency_record_not_found(control: MesoLiveControlHubClient) -> None:
    await fails(control.get_idempotency_record(idempotency_key="send_order_unknown"), StatusCode.NotFound,
                "GetIdempotencyRecord")
    outcome = await control.idempotency_outcome("send_order_unknown")
    assert outcome.status is None and not outcome.found


# -- prepare jobs, orders, paper fills (need the job service) ---------------------------------
async def prepared_entry(simulator: Any, control: MesoLiveControlHubClient, name: str = "sdk entry",
                         account: str = PAPER) -> Any:
    requires_jobs(simulator)
    started = await control.start_prepare_position_entry(
        position_name=name, strategy_id=1, broker_account_id=account,
        leg_selection_constraint=LiveLegSelectionConstraint.UniqueInPosition,
        underlying=LiveUnderlying(symbol="SPX"))
    assert isinstance(started, StartPrepareResult)
    async with asyncio.timeout(20):
        while True:
            status = await control.get_prepare_position_entry_status(job_id=started.job_id)
            if status.status in (PreparationStatus.Completed, PreparationStatus.Failed):
                break
            await asyncio.sleep(0.05)
    assert status.status == PreparationStatus.Completed, status.error
    return status.result


def mid(prices: Any) -> Decimal:
    for name in ("mid", "mark", "last"):
        value = getattr(prices, name, None)
        if value is not None:
            return Decimal(value)
    return (Decimal(prices.bid) + Decimal(prices.ask)) / 2


async def test_prepare_entry_generates_prefixed_key_and_completes(simulator: Any,
                                                                 control: MesoLiveControlHubClient) -> None:
    result = await prepared_entry(simulator, control)
    assert result.exec_plan_id and result.selected_legs
    records = [r for r in simulator.context.idempotency.records.values()]
    assert any(r.idempotency_key.startswith("prep_entry_") for r in records)


async def test_prepare_status_and_cancel_errors(simulator: Any, control: MesoLiveControlHubClient) -> None:
    requires_jobs(simulator)
    for status_call, cancel_call, name in (
        (control.get_prepare_position_entry_status, control.cancel_prepare_position_entry, "PositionEntry"),
        (control.get_prepare_position_exit_status, control.cancel_prepare_position_exit, "PositionExit"),
        (control.get_prepare_position_adjustment_status, control.cancel_prepare_position_adjustment,
         "PositionAdjustment"),
    ):
        await fails(status_call(job_id="job_nope"), StatusCode.NotFound, f"GetPrepare{name}Status")
        await fails(cancel_call(job_id="job_nope"), StatusCode.NotFound, f"CancelPrepare{name}")


async def test_prepare_start_errors(simulator: Any, control: MesoLiveControlHubClient) -> None:
    requires_jobs(simulator)
    await fails(control.start_prepare_position_entry(
        position_name="x", strategy_id=99999, broker_account_id=PAPER,
        leg_selection_constraint=LiveLegSelectionConstraint.UniqueInPosition,
        underlying=LiveUnderlying(symbol="SPX")), StatusCode.NotFound, "StartPreparePositionEntry")
    await fails(control.start_prepare_position_exit(position_id=99999), StatusCode.NotFound,
                "StartPreparePositionExit")
    await fails(control.start_prepare_position_adjustment(position_id=99999, operation="UpdateVars",
                                                          condition="x"),
                StatusCode.NotFound, "StartPreparePositionAdjustment")


async def test_prepare_exit_and_cancel(simulator: Any, control: MesoLiveControlHubClient) -> None:
    requires_jobs(simulator)
    started = await control.start_prepare_position_exit(position_id=1)
    assert isinstance(started, StartPrepareResult)
    cancelled = await control.cancel_prepare_position_exit(job_id=started.job_id)
    assert isinstance(cancelled, CancelPrepareResult) and cancelled.job_id == started.job_id
    status = await control.get_prepare_position_exit_status(job_id=started.job_id)
    assert status.status in (PreparationStatus.Cancelled, PreparationStatus.Completed)


async def test_prepare_adjustment_start_status_cancel(simulator: Any, control: MesoLiveControlHubClient) -> None:
    requires_jobs(simulator)
    position = await control.get_position(position_id=1)  # put credit spread: its delta trigger moves short_put
    strategy = await control.get_strategy(strategy_id=position.live_strategy_id)
    condition = next(iter(strategy.strategy_definition["Adjustment"]["ConditionalAdjustments"]))
    await fails(control.start_prepare_position_adjustment(position_id=1, operation="MoveLeg", condition="nope"),
                StatusCode.InvalidArguments, "StartPreparePositionAdjustment")
    started = await control.start_prepare_position_adjustment(position_id=1, operation="MoveLeg",
                                                              condition=condition)
    assert isinstance(started, StartPrepareResult)
    status = await control.get_prepare_position_adjustment_status(job_id=started.job_id)
    assert status.job_id == started.job_id
    cancelled = await control.cancel_prepare_position_adjustment(job_id=started.job_id)
    assert isinstance(cancelled, CancelPrepareResult) and cancelled.job_id == started.job_id
    keys = [k for k, r in simulator.context.idempotency.records.items()
            if r.operation.value == "CancelPreparePositionAdjustment"]
    assert keys and keys[0].startswith("cancel_prep_adj_")


async def test_prepare_entry_cancel(simulator: Any, control: MesoLiveControlHubClient) -> None:
    requires_jobs(simulator)
    started = await control.start_prepare_position_entry(
        position_name="to cancel", strategy_id=1, broker_account_id=PAPER,
        leg_selection_constraint=LiveLegSelectionConstraint.UniqueInPosition, underlying=LiveUnderlying(symbol="SPX"))
    cancelled = await control.cancel_prepare_position_entry(job_id=started.job_id)
    assert isinstance(cancelled, CancelPrepareResult) and cancelled.job_id == started.job_id
    assert cancelled.status in (PreparationStatus.Cancelled, PreparationStatus.Completed)


async def test_send_get_list_cancel_order_on_broker_account(simulator: Any,
                                                            control: MesoLiveControlHubClient) -> None:
    result = await prepared_entry(simulator, control, "sdk broker", account=BROKER)
    group_id, leg_names = next(iter(result.leg_groups.items()))
    # A limit far away from the market stays working: cancel it.
    order = await control.send_order(
        broker_account_id=BROKER, exec_plan_id=result.exec_plan_id, leg_group_id=group_id,
        leg_group_order=LegGroupOrder(order_type=OrderType.Limit, limit_price=Decimal("-1000"),
                                      leg_names=leg_names))
    order_id = order.order_ids[0]
    got = await control.get_order(order_id=order_id)
    assert got.order_id == order_id
    listed = await control.list_orders(exec_plan_id=result.exec_plan_id)
    assert order_id in [o.order_id for o in listed.items]
    cancelled = await control.cancel_order(order_id=order_id)
    assert cancelled.order_id == order_id
    # cancelling again (new key) is refused: the order is already cancelled
    await fails(control.cancel_order(order_id=order_id), StatusCode.Conflict, "CancelOrder")
    keys = [k for k, r in simulator.context.idempotency.records.items() if r.operation.value == "SendOrder"]
    assert keys and all(k.startswith("send_order_") for k in keys)
    outcome = await control.idempotency_outcome(keys[0])
    assert outcome.completed and outcome.data == order


async def test_paper_fills_executions(simulator: Any, control: MesoLiveControlHubClient) -> None:
    result = await prepared_entry(simulator, control, "sdk paper")
    group_id, leg_names = next(iter(result.leg_groups.items()))
    await fails(control.send_order(
        broker_account_id=PAPER, exec_plan_id=result.exec_plan_id, leg_group_id=group_id,
        leg_group_order=LegGroupOrder(order_type=OrderType.Market, leg_names=leg_names)),
        StatusCode.NotSupported, "SendOrder")
    fills = {name: PaperFill(price=abs(mid(result.leg_prices[name]))) for name in leg_names}
    applied = await control.apply_paper_fills(broker_account_id=PAPER, exec_plan_id=result.exec_plan_id,
                                              leg_group_id=group_id, fills=fills)
    assert applied.execution_ids and applied.position_id
    execution = await control.get_execution(execution_id=applied.execution_ids[0])
    assert execution.execution_id == applied.execution_ids[0]
    batch = await control.get_executions(execution_ids=applied.execution_ids)
    assert isinstance(batch, GetExecutionsResult) and len(batch.executions) == len(applied.execution_ids)
    listed_ex = await control.list_executions(exec_plan_id=result.exec_plan_id)
    assert set(applied.execution_ids) <= {e.execution_id for e in listed_ex.items}
    key = [k for k, r in simulator.context.idempotency.records.items() if r.operation.value == "ApplyPaperFills"][-1]
    record = await control.get_idempotency_record(idempotency_key=key)
    assert isinstance(record, IdempotencyRecord) and record.status.value == "Completed"
    outcome = await control.idempotency_outcome(key)
    assert outcome.data == applied


async def test_order_and_execution_errors(simulator: Any, control: MesoLiveControlHubClient) -> None:
    requires_broker(simulator)
    await fails(control.get_order(order_id=99999), StatusCode.NotFound, "GetOrder")
    await fails(control.get_execution(execution_id=99999), StatusCode.NotFound, "GetExecution")
    assert (await control.get_executions(execution_ids=[99999])).executions == []
    await fails(control.cancel_order(order_id=99999), StatusCode.NotFound, "CancelOrder")
    await fails(control.send_order(broker_account_id=BROKER, exec_plan_id=99999, leg_group_id=1,
                                   leg_group_order=LegGroupOrder(order_type=OrderType.Market, leg_names=["x"])),
                StatusCode.NotFound, "SendOrder")
    await fails(control.apply_paper_fills(broker_account_id=PAPER, exec_plan_id=99999,
                                          fills={"x": PaperFill(price=Decimal(1))}),
                StatusCode.NotFound, "ApplyPaperFills")


# -- idempotency recovery against the real simulator -----------------------------------------
def slow_idempotency(simulator: Any, *, before_commit: float = 0.0, after_commit: float = 0.0) -> Any:
    """Add server-side latency around the idempotent commit (a slow broker / a slow reply)."""
    service = simulator.context.idempotency
    original = service.execute

    async def execute(operation: Any, args: Any, commit: Any, *, before: Any = None, describe: Any = None) -> Any:
        async def slow_before() -> None:
            if before is not None:
                await before()
            await asyncio.sleep(before_commit)

        result = await original(operation, args, commit, before=slow_before, describe=describe)
        await asyncio.sleep(after_commit)
        return result

    service.execute = execute
    return service


async def drop_after(simulator: Any, delay: float) -> None:
    await asyncio.sleep(delay)
    await simulator.signalr.disconnect_all()


async def test_drop_before_commit_resends_same_key_once_and_creates_one_job(simulator: Any, api_key: str) -> None:
    requires_jobs(simulator)
    slow_idempotency(simulator, before_commit=0.5)
    async with MesoLiveControlHubClient(simulator.url, api_key, **FAST, recovery_poll_interval=0.05) as c:
        dropper = asyncio.create_task(drop_after(simulator, 0.2))
        started = await c.start_prepare_position_entry(
            idempotency_key="prep_entry_drop_before", position_name="drop", strategy_id=1,
            broker_account_id=PAPER, leg_selection_constraint=LiveLegSelectionConstraint.UniqueInPosition,
            underlying=LiveUnderlying(symbol="SPX"))
        await dropper
    jobs = [j for j in simulator.context.jobs.jobs.values() if j.args.get("IdempotencyKey") == "prep_entry_drop_before"]
    assert [j.job_id for j in jobs] == [started.job_id]


async def test_drop_after_commit_returns_recorded_result_exactly_one_order(simulator: Any, api_key: str) -> None:
    result = None
    async with MesoLiveControlHubClient(simulator.url, api_key, **FAST, recovery_poll_interval=0.05) as c:
        result = await prepared_entry(simulator, c, "drop after", account=BROKER)
        group_id, leg_names = next(iter(result.leg_groups.items()))
        slow_idempotency(simulator, after_commit=0.6)
        dropper = asyncio.create_task(drop_after(simulator, 0.2))
        sent = await c.send_order(
            idempotency_key="send_order_drop_after", broker_account_id=BROKER, exec_plan_id=result.exec_plan_id,
            leg_group_id=group_id,
            leg_group_order=LegGroupOrder(order_type=OrderType.Limit, limit_price=Decimal("-1000"),
                                          leg_names=leg_names))
        await dropper
        orders = (await c.list_orders(exec_plan_id=result.exec_plan_id)).items
    assert [o.order_id for o in orders] == sent.order_ids  # exactly one order for the key
    record = simulator.context.idempotency.get("send_order_drop_after")
    assert record.live_order_ids == sent.order_ids


async def test_timeout_while_the_server_is_still_working_returns_its_result(simulator: Any, api_key: str) -> None:
    requires_jobs(simulator)
    slow_idempotency(simulator, before_commit=0.8)
    async with MesoLiveControlHubClient(simulator.url, api_key, **FAST, recovery_poll_interval=0.05) as c:
        started = await c.start_prepare_position_entry(
            idempotency_key="prep_entry_slow_timeout", position_name="slow", strategy_id=1,
            broker_account_id=PAPER, leg_selection_constraint=LiveLegSelectionConstraint.UniqueInPosition,
            underlying=LiveUnderlying(symbol="SPX"), timeout=0.2)
        outcome = await c.idempotency_outcome("prep_entry_slow_timeout")
    assert outcome.completed and outcome.data == started
    jobs = [j for j in simulator.context.jobs.jobs.values() if j.args.get("IdempotencyKey") == "prep_entry_slow_timeout"]
    assert [j.job_id for j in jobs] == [started.job_id]
