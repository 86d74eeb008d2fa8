"""Control hub methods: orders, executions, paper fills and idempotency records.

SendOrder, CancelOrder and ApplyPaperFills run through ``ctx.idempotency.execute``:
the broker's effects, their events and the idempotency record commit together.
"""

from __future__ import annotations

from typing import Any

from mesodesk.contract import (
    ApplyPaperFillsArgs,
    ApplyPaperFillsResult,
    CancelOrderArgs,
    GetExecutionArgs,
    GetExecutionsArgs,
    GetExecutionsResult,
    GetIdempotencyRecordArgs,
    GetOrderArgs,
    IdempotencyOperation,
    ListExecutionsArgs,
    ListExecutionsResult,
    ListOrdersArgs,
    ListOrdersResult,
    SendOrderArgs,
    SendOrderResult,
)
from mesodesk.sim.context import SimContext
from mesodesk.sim.hubs.api import api_method, not_found, paginate
from mesodesk.sim.signalr import Hub, ServerConnection


def register(hub: Hub, ctx: SimContext) -> None:
    """Add this area's methods to the Control hub."""

    @api_method(hub, "GetIdempotencyRecord", GetIdempotencyRecordArgs)
    async def get_idempotency_record(conn: ServerConnection, args: GetIdempotencyRecordArgs) -> Any:
        record = ctx.idempotency.get(args.idempotency_key)
        if record is None:
            raise not_found("idempotency record", args.idempotency_key)
        return record

    @api_method(hub, "SendOrder", SendOrderArgs)
    async def send_order(conn: ServerConnection, args: SendOrderArgs) -> Any:
        def describe(result: SendOrderResult) -> dict[str, Any]:
            return {"live_exec_plan_id": args.exec_plan_id, "live_order_ids": result.order_ids}

        return await ctx.idempotency.execute(IdempotencyOperation.SendOrder, args,
                                             lambda: ctx.broker.send_order(args), describe=describe)

    @api_method(hub, "CancelOrder", CancelOrderArgs)
    async def cancel_order(conn: ServerConnection, args: CancelOrderArgs) -> Any:
        def describe(result: Any) -> dict[str, Any]:
            order = ctx.broker.orders[args.order_id].order
            return {"live_exec_plan_id": order.exec_plan_id, "live_order_ids": [args.order_id]}

        return await ctx.idempotency.execute(IdempotencyOperation.CancelOrder, args,
                                             lambda: ctx.broker.cancel_order(args), describe=describe)

    @api_method(hub, "ApplyPaperFills", ApplyPaperFillsArgs)
    async def apply_paper_fills(conn: ServerConnection, args: ApplyPaperFillsArgs) -> Any:
        def describe(result: ApplyPaperFillsResult) -> dict[str, Any]:
            return {"live_exec_plan_id": result.exec_plan_id, "live_order_ids": result.order_ids}

        return await ctx.idempotency.execute(IdempotencyOperation.ApplyPaperFills, args,
                                             lambda: ctx.broker.apply_paper_fills(args), describe=describe)

    @api_method(hub, "GetOrder", GetOrderArgs)
    async def get_order(conn: ServerConnection, args: GetOrderArgs) -> Any:
        return ctx.broker.get_order(args.order_id)

    @api_method(hub, "ListOrders", ListOrdersArgs)
    async def list_orders(conn: ServerConnection, args: ListOrdersArgs) -> Any:
        orders = sorted((r.order for r in ctx.broker.orders.values()), key=lambda o: o.order_id)
        if args.exec_plan_id is not None:
            orders = [o for o in orders if o.exec_plan_id == args.exec_plan_id]
        if args.broker_account_id is not None:
            orders = [o for o in orders if o.broker_account_id == args.broker_account_id]
        if args.state is not None:
            orders = [o for o in orders if o.state == args.state]
        page, token = paginate(orders, lambda o: o.order_id, args.limit, args.continuation_token)
        return ListOrdersResult(items=page, continuation_token=token)

    @api_method(hub, "ListExecutions", ListExecutionsArgs)
    async def list_executions(conn: ServerConnection, args: ListExecutionsArgs) -> Any:
        items = sorted(ctx.broker.executions.values(), key=lambda e: e.execution_id)
        if args.exec_plan_id is not None:
            items = [e for e in items if e.exec_plan_id == args.exec_plan_id]
        if args.order_id is not None:
            items = [e for e in items if e.order_id == args.order_id]
        if args.leg_id is not None:
            items = [e for e in items if e.leg_id == args.leg_id]
        if args.broker_account_id is not None:
            items = [e for e in items if e.broker_account_id == args.broker_account_id]
        page, token = paginate(items, lambda e: e.execution_id, args.limit, args.continuation_token)
        return ListExecutionsResult(items=page, continuation_token=token)

    @api_method(hub, "GetExecution", GetExecutionArgs)
    async def get_execution(conn: ServerConnection, args: GetExecutionArgs) -> Any:
        return ctx.broker.get_execution(args.execution_id)

    @api_method(hub, "GetExecutions", GetExecutionsArgs)
    async def get_executions(conn: ServerConnection, args: GetExecutionsArgs) -> Any:
        found = ctx.broker.executions
        return GetExecutionsResult(executions=[found[i] for i in args.execution_ids if i in found])
