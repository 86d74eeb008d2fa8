"""Every number a ticket offers, checked against the simulator and an independent ledger.

For structures (credit and debit verticals, an iron condor in two combos, a broken-wing
butterfly, a single long option), sizes, and both account kinds, a whole trade runs
through the Qt-free trading commands against a real simulator with a frozen market:
entry → (MoveLeg adjustment) → exit. At every step:

* the ticket's default price has the sign of the combo's mid, as the order trades it
  (an exit of a credit spread is a debit);
* an entry's max loss equals the minimum of a payoff computed here by brute force;
* filling realizes exactly what "Realizes if filled" said (to the cent per leg), and
  the position's realized P&L equals the cash flows of its executions × multiplier −
  commissions, summed here from the raw executions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesodesk.contract import LiveLegSelectionConstraint, LiveUnderlying, OrderState, OrderType
from mesodesk.core.trading.ledger import LegFill, held_legs, realized_of_fills
from mesodesk.core.trading.plan import FlowKind, PlanView
from mesodesk.core.trading.pricing import direction
from mesodesk.core.trading.ticket import Ticket
from mesodesk.sim.seed import BROKER_ACCOUNT, PAPER_ACCOUNT
from tests.core.trading_world import ADJUST, STRUCTURES, TradingWorld, cash_ledger, until

CENT = Decimal("0.01")

# ------------------------------------------------------------------ the steps


async def prepare(world: TradingWorld, kind: FlowKind, args: dict[str, Any]) -> Ticket:
    result = await world.desk.prepare(kind, args).run()
    plan = world.desk.plan(kind, result)
    ticket = world.desk.open_ticket(plan)
    await until(lambda: ticket.feed.updates > 0, what="live quotes")
    return ticket


def check_default_prices(ticket: Ticket) -> None:
    for line in ticket.lines:
        quote = ticket.line_quote(line)
        assert quote.mid is not None and line.limit_price is not None
        assert direction(line.limit_price) == direction(quote.mid), (
            f"{ticket.plan.kind} {line.label}: default {line.limit_price} vs mid {quote.mid} "
            f"(bid {quote.bid}, ask {quote.ask})")
        assert quote.bid is not None and quote.ask is not None and quote.bid <= quote.mid <= quote.ask


def check_position_risk(ticket: Ticket) -> None:
    """The ticket's max profit / max loss for the whole position (all its orders) by brute force."""
    plan = ticket.plan
    views = [(line, ticket.view(line)) for line in ticket.lines]
    strikes = sorted({plan.legs[n].live_contract.strike for line in ticket.lines for n in line.leg_names})
    grid = {Decimal(0), *strikes, strikes[-1] * 3}

    def payoff(s: Decimal) -> Decimal:
        total = Decimal(0)
        for _line, v in views:
            assert v.price is not None
            cash = -v.price * v.combos * 100
            for name, ratio in v.ratios.items():
                c = plan.legs[name].live_contract
                intrinsic = max(s - c.strike, Decimal(0)) if c.option_type.value == "Call" \
                    else max(c.strike - s, Decimal(0))
                cash += ratio * v.combos * intrinsic * 100
            total += cash - v.commission
        return total

    values = [payoff(s) for s in grid]
    totals = ticket.totals()
    assert totals.risk_defined
    assert totals.max_loss == min(values) and totals.max_profit == max(values)
    if len(ticket.lines) > 1:  # e.g. a condor in two orders: less than the sum of its sides' losses
        per_line = sum((v.risk.max_loss for _, v in views if v.risk and v.risk.max_loss is not None), Decimal(0))
        assert totals.max_loss > per_line


def check_entry_risk(ticket: Ticket) -> None:
    """Max profit / max loss against a brute-force payoff over a price grid that includes the strikes."""
    plan = ticket.plan
    for line in ticket.lines:
        view = ticket.view(line)
        risk = view.risk
        assert risk is not None
        strikes = sorted({plan.legs[n].live_contract.strike for n in line.leg_names})
        grid = {Decimal(0), *strikes, *(s + d for s in strikes for d in (Decimal(-1), Decimal(1)))}
        grid |= {strikes[-1] * 3}
        price = view.price
        assert price is not None

        def payoff(s: Decimal, view: Any = view, price: Decimal = price) -> Decimal:
            total = Decimal(0)
            for name, ratio in view.ratios.items():
                c = plan.legs[name].live_contract
                assert c.strike is not None
                intrinsic = max(s - c.strike, Decimal(0)) if c.option_type.value == "Call" \
                    else max(c.strike - s, Decimal(0))
                total += ratio * intrinsic
            return (total - price) * view.combos * 100 - view.commission

        values = [payoff(s) for s in grid]
        calls = sum(r for n, r in view.ratios.items() if plan.legs[n].live_contract.option_type.value == "Call")
        if calls < 0:
            assert risk.max_loss is None  # naked short calls: unlimited
        else:
            assert risk.max_loss == min(values)
            assert risk.buying_power == max(-min(values), Decimal(0))
        if calls > 0:
            assert risk.max_profit is None
        else:
            assert risk.max_profit == max(values)


async def fill(world: TradingWorld, ticket: Ticket) -> tuple[Decimal, int | None]:
    """Fill the whole ticket the way its account fills: paper at the legs' mids, broker with a limit
    at the natural price. Returns (what the ticket said it realizes, the position id)."""
    plan = ticket.plan
    if plan.paper:
        sheet = world.desk.paper_sheet(ticket)
        for name in sheet.legs:
            assert sheet.set_commission(name, "1.00") is None
        assert not sheet.errors()
        preview = sheet.preview()
        said = preview.realizes or Decimal(0)
        result = await sheet.commit(world.session)
        return said, result.position_id or plan.position_id
    said = Decimal(0)
    for line in ticket.lines:
        quote = ticket.line_quote(line)
        line.order_type = OrderType.Limit
        line.limit_price = quote.ask  # natural: fills now, at exactly this price (the market is frozen)
        view = ticket.view(line)
        if view.realizes is not None:
            said += view.realizes.amount
        order_id = await ticket.send(line)
        assert order_id is not None
        await until(lambda oid=order_id: (r := ticket.orders.row(oid)) is not None and r.state == OrderState.Filled,
                    what=f"order {order_id} filled")
        row = ticket.orders.row(order_id)
        assert row is not None and row.order is not None and row.order.avg_fill_price == quote.ask
    position_id = plan.position_id or world.session.state.exec_plan_positions.get(plan.exec_plan_id)
    if position_id is None:
        position_id = (await world.session.control.list_positions(live_exec_plan_id=plan.exec_plan_id)).items[0].id
    return said, position_id


async def realized(world: TradingWorld, position_id: int) -> Decimal:
    detail = await world.session.control.get_position(position_id=position_id)
    return detail.realized_pnl or Decimal(0)


async def trade(world: TradingWorld, structure: str, paper: bool, size: int, adjust: bool) -> None:
    account = PAPER_ACCOUNT if paper else BROKER_ACCOUNT
    strategy_id = world.strategy_ids[structure]
    plans: set[int] = set()

    # -- entry
    entry = await prepare(world, FlowKind.ENTRY, {
        "position_name": f"{structure} {size}", "strategy_id": strategy_id, "broker_account_id": account,
        "leg_selection_constraint": LiveLegSelectionConstraint.None_, "underlying": LiveUnderlying(symbol="SPX")})
    assert entry.plan.paper is paper
    if size != 1:
        entry.plan.qty_multiplier = Decimal(size)
        entry.follow_market()
    check_default_prices(entry)
    check_entry_risk(entry)
    check_position_risk(entry)
    assert entry.totals().realizes is None  # an entry realizes nothing
    said, position_id = await fill(world, entry)
    entry.feed.stop()
    assert said == 0 and position_id is not None
    plans.add(entry.plan.exec_plan_id)
    await until(lambda: position_id in world.session.state.positions, what="position in the store")
    assert await realized(world, position_id) == 0

    # -- adjustment (MoveLeg: closes one leg, opens its replacement in one combo)
    if adjust and STRUCTURES[structure][1] is not None:
        before = await realized(world, position_id)
        adj = await prepare(world, FlowKind.ADJUSTMENT, {
            "position_id": position_id, "operation": "MoveLeg", "condition": ADJUST})
        check_default_prices(adj)
        said, _ = await fill(world, adj)
        adj.feed.stop()
        plans.add(adj.plan.exec_plan_id)
        after = await realized(world, position_id)
        executions = await world.executions({adj.plan.exec_plan_id})
        # the realized P&L moved by what the closing fills realize against the held cost basis
        # (executions name the plan's leg: "short_put:close" closes the held short_put)
        by_leg = held_legs(adj.plan)
        closing = [LegFill(e.leg_name or "", e.qty, e.price, e.commission) for e in executions
                   if e.leg_name in by_leg and e.qty * by_leg[e.leg_name].qty < 0]
        assert closing, "a MoveLeg closes the moved leg"
        moved = realized_of_fills(by_leg, closing)
        assert abs((after - before) - moved) <= CENT * len(closing)
        # ... and that equals the closed leg's own cash flows (entry + close), from the raw executions
        closed_ids = {x.leg_id for x in executions if x.leg_name in by_leg and x.qty * by_leg[x.leg_name].qty < 0}
        all_executions = await world.executions(plans | {adj.plan.exec_plan_id})
        closed_leg_flows = cash_ledger([e for e in all_executions if e.leg_id in closed_ids])
        assert abs((after - before) - closed_leg_flows) <= CENT * 4
        if paper:  # the paper preview used the very prices that were filled
            assert abs((after - before) - said) <= CENT * len(closing)

    # -- exit
    before = await realized(world, position_id)
    exit_ticket = await prepare(world, FlowKind.EXIT, {"position_id": position_id})
    check_default_prices(exit_ticket)
    said, _ = await fill(world, exit_ticket)
    exit_ticket.feed.stop()
    plans.add(exit_ticket.plan.exec_plan_id)
    await until(lambda: not world.session.state.positions[position_id].is_open, what="position closed")
    final = await realized(world, position_id)
    n_legs = len(exit_ticket.plan.legs)
    assert abs((final - before) - said) <= CENT * n_legs, f"exit realized {final - before}, ticket said {said}"

    # -- the independent ledger: cash flows of every execution of the position
    executions = await world.executions(plans)
    ledger = cash_ledger(executions)
    tolerance = CENT * len(executions)  # cents rounding per leg close, 4-dp cost basis
    assert abs(final - ledger) <= tolerance, f"realized {final} vs cash ledger {ledger}"
    # ... and the store shows it for the closed position
    await until(lambda: world.session.state.positions[position_id].realized_pnl == final,
                what="store realized P&L of the closed position")
    row = world.session.state.positions[position_id]
    assert row.pnl_mark == final and row.greek("delta") is None


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(structure=st.sampled_from(sorted(STRUCTURES)), paper=st.booleans(), size=st.integers(1, 3),
       adjust=st.booleans())
def test_every_trade_realizes_what_its_ticket_said(world: TradingWorld, structure: str, paper: bool, size: int,
                                                   adjust: bool) -> None:
    world.run(trade(world, structure, paper, size, adjust), timeout=120)


@pytest.mark.parametrize("structure", sorted(STRUCTURES))
@pytest.mark.parametrize("paper", [True, False], ids=["paper", "broker"])
def test_each_structure_on_each_account_kind(world: TradingWorld, structure: str, paper: bool) -> None:
    world.run(trade(world, structure, paper, 1, True), timeout=120)


def test_plan_view_exit_quantities_close_the_held_legs(world: TradingWorld) -> None:
    """An exit's order quantities are the opposite of the held ones (the source of the old sign bug)."""
    async def scenario() -> None:
        ticket = await prepare(world, FlowKind.EXIT, {"position_id": 4})  # seeded "PCS 45DTE #2", broker
        plan: PlanView = ticket.plan
        for name, held in plan.legs.items():
            assert plan.planned_qty(name) == -held.qty
        ticket.feed.stop()
    world.run(scenario())
