"""The trading commands on their own (no Qt): paper-fill guards, the replace chain, order state
owned by the store, closed positions' realized P&L, and the risk inputs."""

from __future__ import annotations

from decimal import Decimal

from mesodesk.contract import LiveLegSelectionConstraint, LiveUnderlying, OrderState, OrderType
from mesodesk.core.risk import risk_inputs
from mesodesk.core.trading.plan import FlowKind
from mesodesk.core.trading.pricing import direction, leg_mid
from mesodesk.core.trading.ticket import Ticket
from mesodesk.sim.seed import BROKER_ACCOUNT, PAPER_ACCOUNT
from tests.core.trading_world import TradingWorld, until

D = Decimal


async def entry(world: TradingWorld, structure: str, account: str, name: str) -> Ticket:
    result = await world.desk.prepare(FlowKind.ENTRY, {
        "position_name": name, "strategy_id": world.strategy_ids[structure], "broker_account_id": account,
        "leg_selection_constraint": LiveLegSelectionConstraint.None_, "underlying": LiveUnderlying(symbol="SPX")}).run()
    ticket = world.desk.open_ticket(world.desk.plan(FlowKind.ENTRY, result))
    await until(lambda: ticket.feed.updates > 0)
    return ticket


def test_paper_fills_refuse_impossible_prices_and_confirm_odd_ones(world: TradingWorld) -> None:
    async def scenario() -> None:
        ticket = await entry(world, "credit vertical", PAPER_ACCOUNT, "paper guards")
        sheet = world.desk.paper_sheet(ticket)
        quotes = ticket.quotes()
        short_mid = leg_mid(quotes["short_put"])
        assert sheet.legs["short_put"].price == short_mid and not sheet.legs["short_put"].edited
        # refused at the field: not a number, negative, more than a put can be worth
        for text in ("abc", "x1.2.3", "-1", "999999"):
            error = sheet.set_price("long_put", text)
            assert error, text
            assert sheet.legs["long_put"].price is None and "long_put" in sheet.errors()
        assert "strike" in (sheet.set_price("long_put", "999999") or "")
        # accepted but must be confirmed: zero, outside the market, far from mid
        assert sheet.set_price("short_put", "0") is None
        warnings = sheet.warnings()
        assert any(w.startswith("short_put: fill at 0.00") and "bid" in w for w in warnings)
        q = quotes["long_put"]
        assert q.ask is not None
        assert sheet.set_price("long_put", f"{q.ask + D('5'):.2f}") is None
        assert any("long_put" in w and "outside the market" in w for w in sheet.warnings())
        # All at mid: every leg follows the market again, no warning left
        sheet.all_at_mid()
        assert not sheet.errors() and not sheet.warnings()
        assert sheet.legs["long_put"].price == leg_mid(ticket.quotes()["long_put"])
        ticket.feed.stop()
    world.run(scenario())


def test_unedited_paper_prices_follow_the_market(world: TradingWorld) -> None:
    async def scenario() -> None:
        ticket = await entry(world, "single long option", PAPER_ACCOUNT, "follows")
        sheet = world.desk.paper_sheet(ticket)
        from mesodesk.contract import LivePrices
        ticket.feed.prices["long_put"] = LivePrices(bid=D("10.00"), ask=D("10.40"))
        assert sheet.follow_market() == ["long_put"] and sheet.legs["long_put"].price == D("10.20")
        sheet.set_price("long_put", "10.25")
        ticket.feed.prices["long_put"] = LivePrices(bid=D("11.00"), ask=D("11.40"))
        assert sheet.follow_market() == [] and sheet.legs["long_put"].price == D("10.25")  # edited: stays
        ticket.feed.stop()
    world.run(scenario())


def test_replace_chain_and_order_state_are_owned_by_the_store(world: TradingWorld) -> None:
    async def scenario() -> None:
        ticket = await entry(world, "credit vertical", BROKER_ACCOUNT, "resting")
        line = ticket.lines[0]
        quote = ticket.line_quote(line)
        assert quote.bid is not None and direction(quote.bid) == direction(quote.mid)
        line.order_type = OrderType.Limit
        line.limit_price = quote.bid - D("1.00")  # more credit than anyone pays: rests
        first = await ticket.send(line)
        assert first is not None
        row = world.session.state.orders[first]  # the reply put it in the store at once
        assert row.state == OrderState.Working and row.spec is not None and row.spec.leg_names == tuple(line.leg_names)
        line.limit_price = quote.bid - D("0.75")
        second = await ticket.replace(line)
        assert second is not None and second != first
        await until(lambda: world.session.state.orders[first].state == OrderState.Cancelled)
        assert world.desk.orders.live_order(first) == second  # the blotter's "modify" follows the chain
        assert world.session.state.orders[first].replaced_by == second
        assert ticket.view(line).order_id == second and ticket.view(line).working
        # modifying the cancelled original is refused with a sentence that names the live one
        try:
            await world.desk.orders.replace(first, quote.bid)
        except Exception as exc:  # OrderCommandError
            assert f"#{second}" in str(exc)
        else:
            raise AssertionError("replacing a cancelled order must be refused")
        # a replacement from the blotter (by order id) keeps legs, type, TIF
        third = await world.desk.orders.replace(second, quote.bid - D("0.50"))
        assert third is not None
        assert world.desk.orders.live_order(first) == third
        state = await world.desk.orders.cancel(third)
        assert state == OrderState.Cancelled
        ticket.feed.stop()
    world.run(scenario())


def test_closed_positions_keep_their_realized_pnl_and_lose_their_greeks(world: TradingWorld) -> None:
    async def scenario() -> None:
        ticket = await entry(world, "debit vertical", PAPER_ACCOUNT, "to close")
        sheet = world.desk.paper_sheet(ticket)
        result = await sheet.commit(world.session)
        pid = result.position_id
        assert pid is not None
        await until(lambda: (r := world.session.state.positions.get(pid)) is not None and r.data is not None)
        x = await world.desk.prepare(FlowKind.EXIT, {"position_id": pid}).run()
        exit_ticket = world.desk.open_ticket(world.desk.plan(FlowKind.EXIT, x))
        await world.desk.paper_sheet(exit_ticket).commit(world.session)
        exit_ticket.feed.stop()
        ticket.feed.stop()
        detail = await world.session.control.get_position(position_id=pid)
        row = world.session.state.positions[pid]
        await until(lambda: not row.is_open and row.realized_pnl == detail.realized_pnl)
        assert row.data is None and row.greek("delta") is None and row.pnl_mark == detail.realized_pnl
        # the risk graph of a closed position: its final realized P&L, no open legs
        inputs = risk_inputs(world.session.state, [pid])
        assert inputs.closed_positions == 1 and inputs.open_positions == 0 and inputs.model() is None
        assert D(str(inputs.realized)) == detail.realized_pnl
        # a fresh session (a restart of the console) fetches it: the list call does not carry it
        from mesodesk.core.session import Session
        fresh = Session(world.server.url, "trading-test-key-0123456789", embedded=True)
        await fresh.start()
        try:
            await until(lambda: (r := fresh.state.positions.get(pid)) is not None and r.realized_pnl is not None)
            assert fresh.state.positions[pid].realized_pnl == detail.realized_pnl
        finally:
            await fresh.stop()
    world.run(scenario())


def test_risk_inputs_total_pnl_at_spot_equals_the_live_pnl(world: TradingWorld) -> None:
    """Realized + open legs' value − cost: at the spot and now, the T+0 curve is the blotter's P&L;
    at expiration it is the exact payoff plus the realized P&L (computed here by hand)."""
    async def scenario() -> None:
        positions = [pid for pid, r in world.session.state.positions.items() if r.is_open]
        await until(lambda: all(world.session.state.positions[p].pnl_mark is not None for p in positions))
        for pid in positions[:3]:
            inputs = risk_inputs(world.session.state, [pid])
            model = inputs.model()
            assert model is not None and inputs.live_pnl is not None
            import numpy as np
            at_spot = float(model.surface(np.zeros(1), [model.now], greeks=False).pnl[0, 0])
            assert abs(at_spot - inputs.live_pnl) < 0.005
            exp = model.first_expiration
            assert exp is not None
            price = model.spot * 0.97
            by_hand = inputs.realized + sum(
                leg.qty * leg.multiplier * ((max(leg.strike - price, 0) if not leg.is_call else max(price - leg.strike, 0))
                                            - leg.entry) for leg in inputs.legs)
            got = float(model.surface(np.array([-0.03]), [exp], greeks=False).pnl[0, 0])
            assert abs(got - by_hand) < 0.01
    world.run(scenario())
