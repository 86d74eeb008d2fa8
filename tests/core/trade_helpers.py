"""Trades on the test simulator for the trade history and Today tests: fill a ticket the way its
account fills, a round trip (entry, then exit)."""

from __future__ import annotations

from decimal import Decimal

from mesodesk.contract import LiveLegSelectionConstraint, LiveUnderlying, OrderState, OrderType
from mesodesk.core.trading.plan import FlowKind
from mesodesk.core.trading.ticket import Ticket
from tests.core.trading_world import TradingWorld, until

D = Decimal
ZERO = D(0)


async def fill(world: TradingWorld, ticket: Ticket, edge: Decimal = ZERO) -> None:
    """Fill the whole ticket as its account fills: paper at the legs' mids (each ``edge`` worse:
    a long leg sells lower, a short one buys higher), a broker account with limits at the natural
    price (the market stands still: they fill at once, at that price)."""
    plan = ticket.plan
    if plan.paper:
        sheet = world.desk.paper_sheet(ticket)
        for leg_name, leg in sheet.legs.items():
            if edge:
                assert leg.price is not None
                worse = -edge if plan.planned_qty(leg_name) < 0 else edge
                assert sheet.set_price(leg_name, f"{max(leg.price + worse, D('0.05')):.2f}") is None
        await sheet.commit(world.session)
        return
    for line in ticket.lines:
        quote = ticket.line_quote(line)
        line.order_type = OrderType.Limit
        line.limit_price = quote.ask
        order_id = await ticket.send(line)
        assert order_id is not None
        await until(lambda oid=order_id: (r := ticket.orders.row(oid)) is not None and r.state == OrderState.Filled,
                    what=f"order {order_id} filled")


async def enter(world: TradingWorld, structure: str, account: str, name: str) -> tuple[int, str]:
    """Open ``structure`` on ``account`` as position ``name``, filled as :func:`fill` fills; returns the
    position id (once it has data and a mark) and the entry's exec plan."""
    result = await world.desk.prepare(FlowKind.ENTRY, {
        "position_name": name, "strategy_id": world.strategy_ids[structure], "broker_account_id": account,
        "leg_selection_constraint": LiveLegSelectionConstraint.None_, "underlying": LiveUnderlying(symbol="SPX")}).run()
    ticket = world.desk.open_ticket(world.desk.plan(FlowKind.ENTRY, result))
    await until(lambda: ticket.feed.updates > 0)
    await fill(world, ticket)
    ticket.feed.stop()
    state = world.session.state
    pid = await until(lambda: state.exec_plan_positions.get(result.exec_plan_id)
                      or next((p.id for p in state.positions.values() if p.summary.name == name), None),
                      what="the new position")
    await until(lambda: (r := state.positions.get(pid)) is not None and r.data is not None and r.pnl_mark is not None)
    return int(pid), result.exec_plan_id


async def leave(world: TradingWorld, pid: int, edge: Decimal = ZERO) -> str:
    """Exit position ``pid`` (paper: each leg ``edge`` worse than mid); returns the exit's exec plan."""
    x = await world.desk.prepare(FlowKind.EXIT, {"position_id": pid}).run()
    ticket = world.desk.open_ticket(world.desk.plan(FlowKind.EXIT, x))
    await until(lambda: ticket.feed.updates > 0)
    await fill(world, ticket, edge)
    ticket.feed.stop()
    await until(lambda: not world.session.state.positions[pid].is_open, what="the position closed")
    return x.exec_plan_id


async def round_trip(world: TradingWorld, structure: str, account: str, name: str,
                     exit_edge: Decimal = ZERO) -> tuple[int, set[str]]:
    """Enter ``structure`` on ``account`` and exit it (paper: each exit leg ``exit_edge`` worse than
    mid). Returns the position id and the exec plans used."""
    pid, entry_plan = await enter(world, structure, account, name)
    return pid, {entry_plan, await leave(world, pid, exit_edge)}
