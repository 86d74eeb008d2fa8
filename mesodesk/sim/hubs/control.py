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
from mesodesk.sim.hubs.api import api_method, not_found, paginate
from mesodesk.sim.signalr import Hub, ServerConnection


def build_control_hub(ctx: SimContext) -> Hub:
    hub = Hub("control")
    world = ctx.world

    @api_method(hub, "ListAgents", ListAgentsArgs)
    async def list_agents(conn: ServerConnection, args: ListAgentsArgs) -> Any:
        return ListAgentsResult(agents=list(world.agents.values()))

    @api_method(hub, "ListAccounts", ListAccountsArgs)
    async def list_accounts(conn: ServerConnection, args: ListAccountsArgs) -> Any:
        accounts = sorted(world.accounts.values(), key=lambda a: a.broker_account_id)
        if args.broker_type is not None:
            accounts = [a for a in accounts if a.broker_type == args.broker_type]
        if args.is_paper_account is not None:
            accounts = [a for a in accounts if a.is_paper_account == args.is_paper_account]
        page, token = paginate(accounts, lambda a: a.broker_account_id, args.limit, args.continuation_token)
        return ListAccountsResult(items=page, continuation_token=token)

    @api_method(hub, "GetAccount", GetAccountArgs)
    async def get_account(conn: ServerConnection, args: GetAccountArgs) -> Any:
        account = world.accounts.get(args.broker_account_id)
        if account is None:
            raise not_found("account", args.broker_account_id)
        return account

    @api_method(hub, "ListStrategies", ListStrategiesArgs)
    async def list_strategies(conn: ServerConnection, args: ListStrategiesArgs) -> Any:
        strategies = sorted(world.strategies.values(), key=lambda s: s.id)
        if args.active_on_accounts:
            wanted = set(args.active_on_accounts)
            strategies = [s for s in strategies if wanted.intersection(s.active_on_accounts)]
        page, token = paginate(strategies, lambda s: s.id, args.limit, args.continuation_token)
        return ListStrategiesResult(items=page, continuation_token=token)

    @api_method(hub, "GetStrategy", GetStrategyArgs)
    async def get_strategy(conn: ServerConnection, args: GetStrategyArgs) -> Any:
        strategy = world.strategies.get(args.strategy_id)
        if strategy is None:
            raise not_found("strategy", args.strategy_id)
        return strategy

    @api_method(hub, "ListPositions", ListPositionsArgs)
    async def list_positions(conn: ServerConnection, args: ListPositionsArgs) -> Any:
        positions = sorted(world.positions.values(), key=lambda p: p.id)
        if args.live_strategy_id is not None:
            positions = [p for p in positions if p.live_strategy_id == args.live_strategy_id]
        if args.broker_account_id is not None:
            positions = [p for p in positions if p.broker_account_id == args.broker_account_id]
        if args.state is not None:
            positions = [p for p in positions if p.state == args.state]
        if args.live_exec_plan_id is not None:
            plans = {row[0] for row in world.store.raw_rows(
                "SELECT position_id FROM exec_plans WHERE id = ?", (args.live_exec_plan_id,))}
            positions = [p for p in positions if p.id in plans]
        page, token = paginate(positions, lambda p: p.id, args.limit, args.continuation_token)
        return ListPositionsResult(items=[world.position_summary(p) for p in page], continuation_token=token)

    @api_method(hub, "GetPosition", GetPositionArgs)
    async def get_position(conn: ServerConnection, args: GetPositionArgs) -> Any:
        position = world.positions.get(args.position_id)
        if position is None:
            raise not_found("position", args.position_id)
        return ctx.position_details(position)

    @api_method(hub, "ListLegs", ListLegsArgs)
    async def list_legs(conn: ServerConnection, args: ListLegsArgs) -> Any:
        legs = sorted(world.legs.values(), key=lambda leg: leg.id)
        if args.position_id is not None:
            legs = [leg for leg in legs if leg.live_position_id == args.position_id]
        if args.broker_account_id is not None:
            legs = [leg for leg in legs if leg.account_id == args.broker_account_id]
        if args.open_only:
            legs = [leg for leg in legs if leg.closed_at is None]
        page, token = paginate(legs, lambda leg: leg.id, args.limit, args.continuation_token)
        return ListLegsResult(items=page, continuation_token=token)

    @api_method(hub, "GetLeg", GetLegArgs)
    async def get_leg(conn: ServerConnection, args: GetLegArgs) -> Any:
        leg = world.legs.get(args.leg_id)
        if leg is None:
            raise not_found("leg", args.leg_id)
        return leg

    @api_method(hub, "GetLegs", GetLegsArgs)
    async def get_legs(conn: ServerConnection, args: GetLegsArgs) -> Any:
        return GetLegsResult(legs=[world.legs[i] for i in args.leg_ids if i in world.legs])

    strategies.register(hub, ctx)
    prepare.register(hub, ctx)
    orders.register(hub, ctx)
    return hub
