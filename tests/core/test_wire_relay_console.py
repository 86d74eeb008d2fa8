"""The console's Qt-free layers against a MesoLive that writes like ASP.NET Core's defaults:
the simulator behind :class:`tests.sdk.relay.RewritingRelay` (camelCase names, int enums, 7-digit
fractions, offsets, numbers as strings, an unknown property, an unknown order state).

* a :class:`Session` through the relay fills its store with exactly the numbers a Session
  connected directly gets (frozen market: both see the same values);
* an order state the contract does not know shows as ``unknown (n)`` in the store and the
  blotter text, nothing crashes;
* whole trades (prepare entry -> send/fill -> adjust -> exit, checked against an independent
  ledger) run through the :class:`TradingDesk` over the relay.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from mesodesk.contract import (
    LegGroupOrder,
    LiveLegSelectionConstraint,
    LivePosition,
    LivePrices,
    LiveUnderlying,
    OrderState,
    OrderType,
    PaperFill,
)
from mesodesk.core.formatting import fmt_text
from mesodesk.core.session import Session
from mesodesk.core.state import AppState
from mesodesk.core.trading.desk import TradingDesk
from mesodesk.core.trading.plan import FlowKind
from mesodesk.sim.seed import BROKER_ACCOUNT, PAPER_ACCOUNT
from mesodesk.sim.server import SimulatorServer
from tests.core.test_trading_ledger_property import trade
from tests.core.trading_world import API_KEY, STRUCTURES, TradingWorld, definition, until
from tests.sdk.relay import Dialect, RewritingRelay
from tests.sdk.test_control_simulator import mid, prepared_entry

UNKNOWN_STATE = len(OrderState) + 3


def relay_dialect() -> Dialect:
    return Dialect(extra_properties={LivePrices: {"vwap": Decimal("1.25")}, LivePosition: {"auditTag": "relay"}})


# ------------------------------------------------------------------ the store


def store_contents(state: AppState) -> dict[str, Any]:
    """Everything the blotters show, as comparable values."""
    return {
        "accounts": dict(state.accounts.items()),
        "agents": dict(state.agents.items()),
        "strategies": {k: (r.strategy, r.open_positions) for k, r in state.strategies.items()},
        "positions": {k: (r.summary, r.details, r.data, r.realized_pnl, r.pnl_mark, r.underlying_price,
                          [r.greek(g) for g in ("delta", "gamma", "theta", "vega")])
                      for k, r in state.positions.items()},
        "legs": {k: (r.leg, r.prices, r.greeks, r.pnl, r.mark, r.pnl_mark) for k, r in state.legs.items()},
        "orders": {k: (r.order, r.position_id) for k, r in state.orders.items()},
        "executions": {k: (r.execution, r.position_id) for k, r in state.executions.items()},
        "exec_plans": dict(state.exec_plan_positions),
        "events": sorted((r.event_id, r.seq, r.type, r.summary, r.level, r.time) for r in state.events.values()),
    }


def loaded(session: Session) -> bool:
    state = session.state
    open_rows = [r for r in state.positions.values() if r.is_open]
    return bool(open_rows) and all(r.data is not None for r in open_rows) and bool(state.legs) and \
        all(r.prices is not None for r in state.legs.values() if r.is_open) and state.last_event_seq > 0


@pytest.fixture
async def frozen(tmp_path: Path) -> AsyncIterator[SimulatorServer]:
    server = SimulatorServer(tmp_path / "sim", API_KEY, seed=7, speed=0.0, tick_interval=0.05)
    await server.start(port=0)
    server.context.jobs.delay = 0.0
    try:
        yield server
    finally:
        await server.stop()


async def test_session_through_the_relay_fills_the_same_store(frozen: SimulatorServer,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    async with RewritingRelay(frozen.url, relay_dialect()) as relay:
        direct = Session(frozen.url, API_KEY, embedded=True)
        relayed = Session(relay.url, API_KEY, embedded=True)
        direct.heartbeat_interval = relayed.heartbeat_interval = 0.2
        with caplog.at_level(logging.WARNING, logger="mesodesk"):
            await direct.start()
            await relayed.start()
            try:
                # a paper trade (orders, executions, events) and a resting broker order
                result = await prepared_entry(frozen, direct.control, "relay store")
                group_id, leg_names = next(iter(result.leg_groups.items()))
                await direct.control.apply_paper_fills(
                    broker_account_id=PAPER_ACCOUNT, exec_plan_id=result.exec_plan_id, leg_group_id=group_id,
                    fills={n: PaperFill(price=abs(mid(result.leg_prices[n]))) for n in leg_names})
                latest = frozen.events.latest_seq
                for session in (direct, relayed):
                    await until(lambda s=session: loaded(s) and s.events.last_event_seq_id == latest,
                                what="session loaded")
                    session.schedule_refresh()
                def complete(contents: dict[str, Any]) -> bool:  # the trade's orders, fills, legs and events
                    return bool(contents["orders"] and contents["executions"] and contents["legs"]
                                and len(contents["events"]) >= 3)

                # both refreshed and equal (two stores caught half-way through a refresh can be equal too)
                await until(lambda: complete(store_contents(direct.state))
                            and store_contents(direct.state) == store_contents(relayed.state), timeout=15,
                            what="the same complete store")
                contents = store_contents(relayed.state)
                assert relay.rewriter.rewritten > 20
                assert all(p[2] is not None for p in contents["positions"].values() if p[0].state.value == "Open")
                assert relayed.state.stream_updates > 0

                # an order state the contract does not know
                broker = await prepared_entry(frozen, direct.control, "relay unknown", account=BROKER_ACCOUNT)
                group_id, leg_names = next(iter(broker.leg_groups.items()))
                sent = await direct.control.send_order(
                    broker_account_id=BROKER_ACCOUNT, exec_plan_id=broker.exec_plan_id, leg_group_id=group_id,
                    leg_group_order=LegGroupOrder(order_type=OrderType.Limit, limit_price=Decimal("-1000"),
                                                  leg_names=leg_names))
                order_id = sent.order_ids[0]
                relay.dialect.unknown_order_states[order_id] = UNKNOWN_STATE
                await direct.control.cancel_order(order_id=order_id)
                await until(lambda: (r := relayed.state.orders.get(order_id)) is not None and r.order is not None
                            and r.state.is_unknown, what="the unknown state in the store")
                relayed.schedule_refresh()  # ListOrders brings it too
                await until(lambda: (r := direct.state.orders.get(order_id)) is not None
                            and r.state == OrderState.Cancelled)
                row = relayed.state.orders[order_id]
                assert fmt_text(row.state) == f"unknown ({UNKNOWN_STATE})"
                assert row.state not in (OrderState.Working, OrderState.Cancelled)
                truth = direct.state.orders[order_id].order
                assert row.order is not None and truth is not None
                assert row.order.model_copy(update={"state": truth.state, "last_updated": truth.last_updated}) == \
                    truth.model_copy(update={"last_updated": truth.last_updated})
                event_rows = [r for r in relayed.state.events.values()
                              if getattr(r.event, "order_id", None) == order_id]
                assert event_rows and any("unknown" in r.summary for r in event_rows)
            finally:
                await relayed.stop()
                await direct.stop()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    wire_warnings = {r.getMessage() for r in caplog.records if r.name == "mesodesk.sdk.wire"}
    assert all("vwap" in m or "auditTag" in m or "OrderState" in m for m in wire_warnings)


# ------------------------------------------------------------------ trades through the desk


class RelayTradingWorld(TradingWorld):
    """:class:`TradingWorld` whose Session talks to the simulator through the rewriting relay."""

    relay: RewritingRelay

    async def _start(self) -> None:
        self.server = SimulatorServer(self.data_dir, API_KEY, seed=11, speed=0.0, tick_interval=0.05)
        await self.server.start(port=0)
        self.server.context.jobs.delay = 0.0
        self.relay = RewritingRelay(self.server.url, relay_dialect())
        await self.relay.start()
        self.session = Session(self.relay.url, API_KEY, embedded=True)
        self.desk = TradingDesk(self.session, default_commission=self.server.context.broker.commission_per_contract)
        await self.session.start()

    async def _stop(self) -> None:
        await self.session.stop()
        await self.relay.stop()
        await self.server.stop()


@pytest.fixture(scope="module")
def relay_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayTradingWorld]:
    world = RelayTradingWorld(Path(tmp_path_factory.mktemp("relay-world")))
    try:
        for name in STRUCTURES:
            created = world.run(world.session.control.create_strategy(
                strategy_definition=definition(name), active_on_accounts=[PAPER_ACCOUNT, BROKER_ACCOUNT]))
            world.strategy_ids[name] = created.id
            # the definition is opaque JSON: it comes back as it was sent, keys and all
            assert created.strategy_definition == definition(name)
        yield world
    finally:
        world.close()


@pytest.mark.parametrize(("structure", "paper", "size", "adjust"), [
    ("credit vertical", False, 1, True),   # broker: send a limit at the natural price, filled
    ("iron condor", True, 2, True),        # paper: fills applied at the mids, two combos
])
def test_whole_trades_through_the_relay(relay_world: RelayTradingWorld, structure: str, paper: bool, size: int,
                                        adjust: bool) -> None:
    relay_world.run(trade(relay_world, structure, paper, size, adjust), timeout=120)
    assert relay_world.relay.rewriter.rewritten > 100


def test_an_unknown_order_state_through_the_desk(relay_world: RelayTradingWorld) -> None:
    world = relay_world

    async def scenario() -> None:
        result = await world.desk.prepare(FlowKind.ENTRY, {
            "position_name": "relay resting", "strategy_id": world.strategy_ids["credit vertical"],
            "broker_account_id": BROKER_ACCOUNT, "leg_selection_constraint": LiveLegSelectionConstraint.None_,
            "underlying": LiveUnderlying(symbol="SPX")}).run()
        ticket = world.desk.open_ticket(world.desk.plan(FlowKind.ENTRY, result))
        await until(lambda: ticket.feed.updates > 0, what="live quotes")
        line = ticket.lines[0]
        quote = ticket.line_quote(line)
        assert quote.bid is not None
        line.order_type = OrderType.Limit
        line.limit_price = quote.bid - Decimal("1.00")  # more credit than anyone pays: rests
        order_id = await ticket.send(line)
        assert order_id is not None
        await until(lambda: world.session.state.orders[order_id].state == OrderState.Working, what="working")
        world.relay.dialect.unknown_order_states[order_id] = UNKNOWN_STATE
        state = await world.desk.orders.cancel(order_id)
        assert state.is_unknown and str(state) == f"unknown ({UNKNOWN_STATE})"
        await until(lambda: world.session.state.orders[order_id].state.is_unknown, what="unknown in the store")
        view = ticket.view(line)
        assert view.state is not None and view.state.is_unknown and not view.done
        ticket.feed.stop()

    world.run(scenario())
