"""The SDK against a MesoLive that writes like ASP.NET Core's defaults (camelCase names, int enums,
7-digit fractions, offsets, numbers as strings), with an unknown property and an unknown enum
member: the simulator behind :class:`tests.sdk.relay.RewritingRelay`. Every call, stream and
event the console uses reads the same values as the same call made to the simulator directly
(the market is frozen, so both see the same numbers)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from mesodesk.contract import (
    METHODS_BY_NAME,
    LegGroupOrder,
    LiveDataInclude,
    LivePosition,
    LivePrices,
    MesoLiveEvent,
    OrderState,
    OrderType,
    PaperFill,
    PositionDataEntry,
)
from mesodesk.contract.wire_read import model_aliases
from mesodesk.sdk import (
    MesoLiveControlHubClient,
    MesoLiveDataHubClient,
    MesoLiveEventHubClient,
    unmatched_wire_fields,
    wire_observations,
)
from mesodesk.sim.server import SimulatorServer
from tests.sdk.conftest import FAST, until
from tests.sdk.relay import Dialect, RewritingRelay
from tests.sdk.test_control_simulator import BROKER, PAPER, mid, prepared_entry

API_KEY = "test-key-0123456789"
UNKNOWN_STATE = len(OrderState) + 3  # an int no OrderState member has


def relay_dialect() -> Dialect:
    return Dialect(extra_properties={LivePrices: {"vwap": Decimal("1.25")}, LivePosition: {"auditTag": "relay"}})


@pytest.fixture
async def frozen(tmp_path: Path) -> AsyncIterator[SimulatorServer]:
    """A simulator whose market and clock stand still: two readers see the same numbers."""
    server = SimulatorServer(tmp_path / "sim", API_KEY, seed=42, speed=0.0, tick_interval=0.05)
    await server.start(port=0)
    server.context.jobs.delay = 0.0
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def relay(frozen: SimulatorServer) -> AsyncIterator[RewritingRelay]:
    async with RewritingRelay(frozen.url, relay_dialect()) as r:
        yield r


@pytest.fixture
async def controls(frozen: SimulatorServer, relay: RewritingRelay
                   ) -> AsyncIterator[tuple[MesoLiveControlHubClient, MesoLiveControlHubClient]]:
    async with MesoLiveControlHubClient(frozen.url, API_KEY, **FAST) as direct, \
            MesoLiveControlHubClient(relay.url, API_KEY, **FAST) as relayed:
        yield direct, relayed


def assert_writes_as_documented(relay: RewritingRelay) -> None:
    """Every invocation the SDK sent through the relay: the args' names are the documented
    PascalCase ones and enums are member names (never numbers)."""
    assert relay.sent
    for hub, target, arguments in relay.sent:
        method = METHODS_BY_NAME.get((hub, target))
        assert method is not None, target
        for args in arguments:
            assert set(args) <= model_aliases(method.args_model), (target, args)
            text = repr(args)
            assert not re.search(r"'(State|OrderType|TimeInForce|Provider|LegSelectionConstraint)': \d", text)


async def test_every_control_read_the_console_uses(controls: tuple[MesoLiveControlHubClient, ...],
                                                   relay: RewritingRelay) -> None:
    direct, relayed = controls
    for name in ("list_accounts", "list_agents", "list_strategies", "list_positions", "list_legs", "list_orders",
                 "list_executions"):
        assert await getattr(relayed, name)() == await getattr(direct, name)(), name
    positions = (await direct.list_positions()).items
    assert positions
    for position in positions:
        assert await relayed.get_position(position_id=position.id) == await direct.get_position(position_id=position.id)
    account = positions[0].broker_account_id
    assert await relayed.get_account(broker_account_id=account) == await direct.get_account(broker_account_id=account)
    strategy = positions[0].live_strategy_id
    assert await relayed.get_strategy(strategy_id=strategy) == await direct.get_strategy(strategy_id=strategy)
    legs = (await direct.list_legs()).items
    assert await relayed.get_leg(leg_id=legs[0].id) == legs[0]
    assert await relayed.get_legs(leg_ids=[leg.id for leg in legs]) == await direct.get_legs(leg_ids=[leg.id for leg in legs])
    assert relay.rewriter.rewritten >= 12
    assert {"LivePosition.auditTag", "LivePrices.vwap"} <= unmatched_wire_fields()
    assert_writes_as_documented(relay)


async def test_trading_calls_and_an_unknown_order_state(frozen: SimulatorServer, relay: RewritingRelay,
                                                        controls: tuple[MesoLiveControlHubClient, ...]) -> None:
    direct, relayed = controls
    # prepare (job status polling), paper fills, executions: through the relay
    result = await prepared_entry(frozen, relayed, "relay paper")
    group_id, leg_names = next(iter(result.leg_groups.items()))
    fills = {name: PaperFill(price=abs(mid(result.leg_prices[name]))) for name in leg_names}
    applied = await relayed.apply_paper_fills(broker_account_id=PAPER, exec_plan_id=result.exec_plan_id,
                                              leg_group_id=group_id, fills=fills)
    assert applied.execution_ids
    assert await relayed.get_executions(execution_ids=applied.execution_ids) == \
        await direct.get_executions(execution_ids=applied.execution_ids)
    # a resting broker order whose state the relay turns into one the contract does not know
    broker = await prepared_entry(frozen, relayed, "relay broker", account=BROKER)
    group_id, leg_names = next(iter(broker.leg_groups.items()))
    sent = await relayed.send_order(broker_account_id=BROKER, exec_plan_id=broker.exec_plan_id, leg_group_id=group_id,
                                    leg_group_order=LegGroupOrder(order_type=OrderType.Limit,
                                                                  limit_price=Decimal("-1000"), leg_names=leg_names))
    order_id = sent.order_ids[0]
    relay.dialect.unknown_order_states[order_id] = UNKNOWN_STATE
    order = await relayed.get_order(order_id=order_id)
    truth = await direct.get_order(order_id=order_id)
    assert truth.state == OrderState.Working
    assert order.state.is_unknown and str(order.state) == f"unknown ({UNKNOWN_STATE})"
    assert order.state not in (OrderState.Working, OrderState.Filled)
    assert order.model_copy(update={"state": truth.state}) == truth  # nothing else lost
    listed = {o.order_id: o for o in (await relayed.list_orders(exec_plan_id=broker.exec_plan_id)).items}
    assert listed[order_id].state is order.state
    cancelled = await relayed.cancel_order(order_id=order_id)
    assert cancelled.state is OrderState.unknown(UNKNOWN_STATE)
    assert (await direct.get_order(order_id=order_id)).state == OrderState.Cancelled
    assert f"OrderState: {UNKNOWN_STATE}" in wire_observations().unknown_enum_values
    assert_writes_as_documented(relay)


async def test_position_stream_values_are_not_dropped(frozen: SimulatorServer, relay: RewritingRelay) -> None:
    async with MesoLiveDataHubClient(frozen.url, API_KEY, **FAST) as direct, \
            MesoLiveDataHubClient(relay.url, API_KEY, **FAST) as relayed:
        args = {"position_id": 1, "include_position": LiveDataInclude.All, "include_legs": LiveDataInclude.All,
                "include_leg_groups": LiveDataInclude.All}

        async def first_items(client: MesoLiveDataHubClient, n: int) -> list[PositionDataEntry]:
            items: list[PositionDataEntry] = []
            async for item in client.stream_position_data(**args):
                items.append(item)
                if len(items) == n:
                    break
            return items

        relayed_items, direct_items = await asyncio.gather(first_items(relayed, 30), first_items(direct, 3))
        reference = direct_items[0]
        assert reference.position_prices is not None and reference.leg_greeks and reference.position_pnls
        for item in relayed_items:
            assert item == reference  # every value, nested blocks and leg dicts included
        snapshot = await relayed.get_position_snapshot(**args)
        assert snapshot == await direct.get_position_snapshot(**args)
    # what the SDK was given: camelCase, 7-digit fractions, an unknown property
    items = [f for f in relay.recent if f.startswith('{"type":2,')]
    assert items and all('"positionPrices":{' in f and '"vwap":1.25' in f and "0Z\"" in f for f in items)
    assert any(s.startswith("StreamPositionData") for _, s, _ in relay.sent)
    assert_writes_as_documented(relay)


async def test_event_hub_reads_and_callbacks(frozen: SimulatorServer, relay: RewritingRelay,
                                             controls: tuple[MesoLiveControlHubClient, ...]) -> None:
    direct_control, relayed_control = controls
    seen_direct: list[MesoLiveEvent] = []
    seen_relayed: list[MesoLiveEvent] = []
    typed: list[str] = []
    async with MesoLiveEventHubClient(frozen.url, API_KEY, **FAST) as direct, \
            MesoLiveEventHubClient(relay.url, API_KEY, **FAST) as relayed:
        direct.on_event(seen_direct.append)
        relayed.on_event(seen_relayed.append)
        relayed.on_order_update(lambda e: typed.append("order"))
        relayed.on_position_entry_preparation_completed(lambda e: typed.append("prepared"))
        # live events (callbacks): a paper trade, and a broker order whose state the relay hides
        result = await prepared_entry(frozen, relayed_control, "relay events")
        group_id, leg_names = next(iter(result.leg_groups.items()))
        await relayed_control.apply_paper_fills(
            broker_account_id=PAPER, exec_plan_id=result.exec_plan_id, leg_group_id=group_id,
            fills={name: PaperFill(price=abs(mid(result.leg_prices[name]))) for name in leg_names})
        broker = await prepared_entry(frozen, direct_control, "relay events broker", account=BROKER)
        group_id, leg_names = next(iter(broker.leg_groups.items()))
        sent = await direct_control.send_order(
            broker_account_id=BROKER, exec_plan_id=broker.exec_plan_id, leg_group_id=group_id,
            leg_group_order=LegGroupOrder(order_type=OrderType.Limit, limit_price=Decimal("-1000"),
                                          leg_names=leg_names))
        order_id = sent.order_ids[0]
        relay.dialect.unknown_order_states[order_id] = UNKNOWN_STATE
        await direct_control.cancel_order(order_id=order_id)
        latest = frozen.events.latest_seq
        await until(lambda: direct.last_event_seq_id == latest and relayed.last_event_seq_id == latest)
        assert "order" in typed and "prepared" in typed
        by_id = {e.event_id: e for e in seen_direct}
        assert [e.event_id for e in seen_relayed] == [e.event_id for e in seen_direct]
        odd = 0
        for event in seen_relayed:
            truth = by_id[event.event_id]
            if getattr(event, "order_id", None) == order_id and truth.state == OrderState.Cancelled:  # type: ignore[attr-defined]
                assert event.state is OrderState.unknown(UNKNOWN_STATE)  # type: ignore[attr-defined]
                assert event.model_copy(update={"state": truth.state}) == truth  # type: ignore[attr-defined]
                odd += 1
            else:
                assert event == truth
        assert odd == 1
        # the cursor calls and the replay (GetEventsSince), in pages
        assert (await relayed.get_latest_event_seq_id()).latest_event_seq_id == latest
        replayed = await relayed.get_events_since(since_event_seq_id=0, limit=7)
        truth_page = await direct.get_events_since(since_event_seq_id=0, limit=7)
        assert replayed.has_more == truth_page.has_more and len(replayed.events) == len(truth_page.events)
        for got, want in zip(replayed.events, truth_page.events, strict=True):
            assert got.event_type == want.event_type and got.event_seq_id == want.event_seq_id
            assert got.event.event_id == want.event.event_id
    # a fresh client replays everything through the relay (paged GetEventsSince on connect)
    replay: list[MesoLiveEvent] = []
    fresh = MesoLiveEventHubClient(relay.url, API_KEY, replay_page_size=5, **FAST)
    fresh.on_event(replay.append)
    async with fresh:
        assert [e.event_id for e in replay] == [e.event_id for e in seen_direct][-len(replay):]
        assert len(replay) >= len(seen_direct)
    assert_writes_as_documented(relay)
