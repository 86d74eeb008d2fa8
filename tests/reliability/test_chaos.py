"""Reconnect chaos: the simulator process is killed and restarted at random moments while
writes, a Data Hub stream and the Event Hub flow; the SDK reconnects by itself.

Afterwards the long-lived clients' view equals a fresh client's, every acknowledged
write is on the server, and the event handler saw every ``EventSeqId`` exactly once,
contiguous, in order. SIGKILL and a clean SIGTERM alternate.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from pathlib import Path
from typing import Any

import pytest

from mesodesk.contract import LiveDataInclude, MesoLiveEvent
from mesodesk.sdk import (
    ConnectionLostError,
    MesoLiveControlHubClient,
    MesoLiveDataHubClient,
    MesoLiveEventHubClient,
    NotConnectedError,
    SignalRStreamError,
)

from .conftest import API_KEY, FAST, SimProcess, prepare_plans
from .workload import Ledger, idempotent_write

ALL = LiveDataInclude.All


async def snapshot(control: MesoLiveControlHubClient) -> dict[str, Any]:
    return {
        "orders": [o async for o in control.iter_orders(page_size=500)],
        "executions": [e async for e in control.iter_executions(page_size=500)],
        "positions": [p.id async for p in control.iter_positions(page_size=500)],
        "accounts": [(a.broker_account_id, a.active_positions) async for a in control.iter_accounts()],
    }


async def run_chaos(sim_factory: Any, tmp_path: Path, figures: dict[str, Any], restarts: int, seed: int) -> None:
    rng = random.Random(seed)
    data_dir = tmp_path / "sim"
    n_plans = 12 + restarts * 6
    papers, brokers = prepare_plans(data_dir, paper=n_plans, broker=n_plans)
    sim: SimProcess = sim_factory(data_dir)
    url = await sim.start()
    started = time.monotonic()

    seen: list[MesoLiveEvent] = []
    events = MesoLiveEventHubClient(url, API_KEY, **FAST)
    events.on_event(seen.append)
    control = MesoLiveControlHubClient(url, API_KEY, recovery_timeout=60.0, **FAST)
    data = MesoLiveDataHubClient(url, API_KEY, **FAST)
    ledger = Ledger()
    await events.connect()
    await control.connect()
    await data.connect()
    stop = asyncio.Event()
    stream_items: list[float] = []
    stream_opens = 0

    opened = await idempotent_write(control, ledger, "paper", "chaos-open", papers.pop(0))
    assert opened is not None
    position_id = (await control.get_idempotency_record(idempotency_key="chaos-open")).live_exec_plan_id
    position = [p async for p in control.iter_positions(live_exec_plan_id=position_id)][0]

    async def writer() -> None:
        i = 0
        while not stop.is_set() and (papers or brokers):
            op = "paper" if (i % 2 == 0 and papers) or not brokers else "order"
            plan = papers.pop(0) if op == "paper" else brokers.pop(0)
            await idempotent_write(control, ledger, op, f"chaos-{op}-{i}", plan)
            i += 1
            await asyncio.sleep(rng.uniform(0.02, 0.15))

    async def streamer() -> None:
        nonlocal stream_opens
        while not stop.is_set():
            try:
                await data.wait_connected(60)
                stream_opens += 1
                async for _ in data.stream_position_data(position_id=position.id, include_position=ALL,
                                                         include_legs=ALL, include_leg_groups=ALL):
                    stream_items.append(time.monotonic())
                    if stop.is_set():
                        return
            except (ConnectionLostError, NotConnectedError, SignalRStreamError):
                await asyncio.sleep(0.05)

    tasks = [asyncio.create_task(writer()), asyncio.create_task(streamer())]
    last_restart = 0.0
    try:
        for n in range(restarts):
            await asyncio.sleep(rng.uniform(0.3, 2.0))
            assert not any(t.done() for t in tasks), [t.exception() for t in tasks if t.done()]
            if n % 2 == 0:
                await sim.kill()
            else:
                await sim.terminate()
            await asyncio.sleep(rng.uniform(0.0, 0.5))  # clients see a dead port for a while
            await sim.start()
            last_restart = time.monotonic()
            await asyncio.wait_for(control.wait_connected(), 30)
        # flows resume after the last restart: writes acknowledged and stream items arrive
        acks_at_restart = len(ledger.acks)
        async with asyncio.timeout(30):
            while len(ledger.acks) < acks_at_restart + 3 or not any(t > last_restart for t in stream_items):
                assert not any(t.done() for t in tasks), [t.exception() for t in tasks if t.done()]
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t

    async with MesoLiveControlHubClient(url, API_KEY) as fresh, MesoLiveEventHubClient(
        url, API_KEY, strategies=[], since_event_seq_id=None
    ) as fresh_events:
        latest = (await fresh_events.get_latest_event_seq_id()).latest_event_seq_id
        async with asyncio.timeout(30):
            while (events.last_event_seq_id or 0) < latest:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        mine, theirs = await snapshot(control), await snapshot(fresh)
        records = {key: await fresh.get_idempotency_record(idempotency_key=key) for key in ledger.acks}
    await asyncio.gather(events.close(), control.close(), data.close())

    # -- events: every EventSeqId exactly once, contiguous, in order
    seqs = [e.event_seq_id for e in seen]
    assert seqs == list(range(1, latest + 1)), "events lost, duplicated or out of order"
    assert len({e.event_id for e in seen}) == len(seen)
    # -- state: the reconnected clients see what a fresh client sees
    assert mine == theirs
    orders = {o.order_id: o for o in theirs["orders"]}
    for key, ack in ledger.acks.items():  # no acknowledged write lost, each applied once
        assert records[key].live_order_ids == ack.order_ids, key
        assert all(oid in orders for oid in ack.order_ids), key
        assert [o.order_id for o in orders.values() if o.exec_plan_id == ack.plan_id] == ack.order_ids, key
    assert not ledger.failed, ledger.failed
    assert events.connection.connection_count == restarts + 1
    assert sim.starts == restarts + 1
    figures.update(
        restarts=restarts, sigkill=sim.kills, sigterm=sim.terms, events_checked=len(seqs), events_lost=0,
        events_duplicated=0, writes_acknowledged=len(ledger.acks), write_retries=ledger.retries,
        orders_checked=len(orders), stream_items=len(stream_items), stream_reopens=stream_opens - 1,
        seconds=round(time.monotonic() - started, 1),
    )


@pytest.mark.timeout(180)
async def test_chaos_quick(sim_factory: Any, tmp_path: Path, figures: dict[str, Any]) -> None:
    await run_chaos(sim_factory, tmp_path, figures, restarts=4, seed=1)


@pytest.mark.heavy
@pytest.mark.timeout(900)
async def test_chaos_heavy(sim_factory: Any, tmp_path: Path, figures: dict[str, Any]) -> None:
    await run_chaos(sim_factory, tmp_path, figures, restarts=20, seed=2)
