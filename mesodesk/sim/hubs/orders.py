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
from mesodesk.sim.hubs.api import implements, list_page, not_found, where
from mesodesk.sim.signalr import Hub, ServerConnection


def register(hub: Hub, ctx: SimContext) -> None:
    """Add this area's methods to the Control hub."""

    @implements(hub)
    async def get_idempotency_record(conn: ServerConnection, args: GetIdempotencyRecordArgs) -> Any:
        record = ctx.idempotency.get(args.idempotency_key)
        if record is None:
            raise not_found("idempotency record", args.idempotency_key)
        return ctx.idempotency.for_wire(record, ctx.wire_dialect)

    @implements(hub)
    async def send_order(conn: ServerConnection, args: SendOrderArgs) -> Any:
        def describe(result: SendOrderResult) -> dict[str, Any]:
            return {"live_exec_plan_id": args.exec_plan_id, "live_order_ids": result.order_ids}

        return await ctx.idempotency.execute(IdempotencyOperation.SendOrder, args,
                                             lambda: ctx.broker.send_order(args), describe=describe)

    @implements(hub)
    async def cancel_order(conn: ServerConnection, args: CancelOrderArgs) -> Any:
        def describe(result: Any) -> dict[str, Any]:
            order = ctx.broker.orders[args.order_id].order
            return {"live_exec_plan_id": order.exec_plan_id, "live_order_ids": [args.order_id]}

        return await ctx.idempotency.execute(IdempotencyOperation.CancelOrder, args,
                                             lambda: ctx.broker.cancel_order(args), describe=describe)

    @implements(hub)
    async def apply_paper_fills(conn: ServerConnection, args: ApplyPaperFillsArgs) -> Any:
        def describe(result: ApplyPaperFillsResult) -> dict[str, Any]:
            return {"live_exec_plan_id": result.exec_plan_id, "live_order_ids": result.order_ids}

        return await ctx.idempotency.execute(IdempotencyOperation.ApplyPaperFills, args,
                                             lambda: ctx.broker.apply_paper_fills(args), describe=describe)

    @implements(hub)
    async def get_order(conn: ServerConnection, args: GetOrderArgs) -> Any:
        return ctx.broker.get_order(args.order_id)

    @implements(hub)
    async def list_orders(conn: ServerConnection, args: ListOrdersArgs) -> Any:
        page, token = list_page((r.order for r in ctx.broker.orders.values()), lambda o: o.order_id, args,
                                where(args.exec_plan_id, lambda o: o.exec_plan_id),
                                where(args.broker_account_id, lambda o: o.broker_account_id),
                                where(args.state, lambda o: o.state))
        return ListOrdersResult(items=page, continuation_token=token)

    @implements(hub)
    async def list_executions(conn: ServerConnection, args: ListExecutionsArgs) -> Any:
        page, token = list_page(ctx.broker.executions.values(), lambda e: e.execution_id, args,
                                where(args.exec_plan_id, lambda e: e.exec_plan_id),
                                where(args.order_id, lambda e: e.order_id),
                                where(args.leg_id, lambda e: e.leg_id),
                                where(args.broker_account_id, lambda e: e.broker_account_id))
        return ListExecutionsResult(items=page, continuation_token=token)

    @implements(hub)
    async def get_execution(conn: ServerConnection, args: GetExecutionArgs) -> Any:
        return ctx.broker.get_execution(args.execution_id)

    @implements(hub)
    async def get_executions(conn: ServerConnection, args: GetExecutionsArgs) -> Any:
        found = ctx.broker.executions
        return GetExecutionsResult(executions=[found[i] for i in args.execution_ids if i in found])
