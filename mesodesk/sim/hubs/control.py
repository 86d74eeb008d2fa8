"""Control hub (/hubs/control/v1): accounts, agents, positions and legs here; strategies,
prepare jobs and orders in their own modules."""

from __future__ import annotations

from typing import Any

from mesodesk.contract import (
    GetAccountArgs,
    GetLegArgs,
    GetLegsArgs,
    GetLegsResult,
    GetPositionArgs,
    GetStrategyArgs,
    ListAccountsArgs,
    ListAccountsResult,
    ListAgentsArgs,
    ListAgentsResult,
    ListLegsArgs,
    ListLegsResult,
    ListPositionsArgs,
    ListPositionsResult,
    ListStrategiesArgs,
    ListStrategiesResult,
)
from mesodesk.sim.context import SimContext
from mesodesk.sim.hubs import orders, prepare, strategies
from mesodesk.sim.hubs.api import check_implemented, implements, list_page, not_found, where
from mesodesk.sim.signalr import Hub, ServerConnection


def build_control_hub(ctx: SimContext) -> Hub:
    hub = Hub("control")
    world = ctx.world

    @implements(hub)
    async def list_agents(conn: ServerConnection, args: ListAgentsArgs) -> Any:
        return ListAgentsResult(agents=list(world.agents.values()))

    @implements(hub)
    async def list_accounts(conn: ServerConnection, args: ListAccountsArgs) -> Any:
        page, token = list_page(world.accounts.values(), lambda a: a.broker_account_id, args,
                                where(args.broker_type, lambda a: a.broker_type),
                                where(args.is_paper_account, lambda a: a.is_paper_account))
        return ListAccountsResult(items=page, continuation_token=token)

    @implements(hub)
    async def get_account(conn: ServerConnection, args: GetAccountArgs) -> Any:
        account = world.accounts.get(args.broker_account_id)
        if account is None:
            raise not_found("account", args.broker_account_id)
        return account

    @implements(hub)
    async def list_strategies(conn: ServerConnection, args: ListStrategiesArgs) -> Any:
        wanted = set(args.active_on_accounts or ())
        page, token = list_page(world.strategies.values(), lambda s: s.id, args,
                                (lambda s: bool(wanted.intersection(s.active_on_accounts))) if wanted else None)
        return ListStrategiesResult(items=page, continuation_token=token)

    @implements(hub)
    async def get_strategy(conn: ServerConnection, args: GetStrategyArgs) -> Any:
        strategy = world.strategies.get(args.strategy_id)
        if strategy is None:
            raise not_found("strategy", args.strategy_id)
        return strategy

    @implements(hub)
    async def list_positions(conn: ServerConnection, args: ListPositionsArgs) -> Any:
        plans = None if args.live_exec_plan_id is None else {row[0] for row in world.store.raw_rows(
            "SELECT position_id FROM exec_plans WHERE id = ?", (args.live_exec_plan_id,))}
        page, token = list_page(world.positions.values(), lambda p: p.id, args,
                                where(args.live_strategy_id, lambda p: p.live_strategy_id),
                                where(args.broker_account_id, lambda p: p.broker_account_id),
                                where(args.state, lambda p: p.state),
                                (lambda p: p.id in plans) if plans is not None else None)
        return ListPositionsResult(items=[world.position_summary(p) for p in page], continuation_token=token)

    @implements(hub)
    async def get_position(conn: ServerConnection, args: GetPositionArgs) -> Any:
        position = world.positions.get(args.position_id)
        if position is None:
            raise not_found("position", args.position_id)
        return ctx.position_details(position)

    @implements(hub)
    async def list_legs(conn: ServerConnection, args: ListLegsArgs) -> Any:
        page, token = list_page(world.legs.values(), lambda leg: leg.id, args,
                                where(args.position_id, lambda leg: leg.live_position_id),
                                where(args.broker_account_id, lambda leg: leg.account_id),
                                (lambda leg: leg.closed_at is None) if args.open_only else None)
        return ListLegsResult(items=page, continuation_token=token)

    @implements(hub)
    async def get_leg(conn: ServerConnection, args: GetLegArgs) -> Any:
        leg = world.legs.get(args.leg_id)
        if leg is None:
            raise not_found("leg", args.leg_id)
        return leg

    @implements(hub)
    async def get_legs(conn: ServerConnection, args: GetLegsArgs) -> Any:
        return GetLegsResult(legs=[world.legs[i] for i in args.leg_ids if i in world.legs])

    strategies.register(hub, ctx)
    prepare.register(hub, ctx)
    orders.register(hub, ctx)
    return check_implemented(hub)
