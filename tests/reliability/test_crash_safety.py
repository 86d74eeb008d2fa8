"""Crash safety: idempotent writes keep going out (with the SDK's recovery and explicit
same-key retries) while the simulator process is SIGKILLed at random points.

Afterwards every IdempotencyKey maps to exactly one order (SendOrder) or one fill set
(ApplyPaperFills) - checked through ListOrders/ListExecutions/GetIdempotencyRecord and
in the SQLite file itself - no acknowledged write is lost, and
``PRAGMA integrity_check`` is ``ok`` after every kill.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from mesodesk.contract import IdempotencyRecordStatus, OrderState
from mesodesk.sdk import MesoLiveControlHubClient
from mesodesk.sim.server import DB_NAME

from .conftest import API_KEY, FAST, SimProcess, prepare_plans
from .workload import Ledger, idempotent_write


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        for marker in ("recovered the recorded result", "resending with the same key", "outcome unknown"):
            if marker in msg:
                self.counts[marker] += 1


def integrity(db_path: Path) -> str:
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


async def run_crash_safety(sim_factory: Any, tmp_path: Path, figures: dict[str, Any], calls: int, workers: int,
                           kills: int, seed: int) -> None:
    rng = random.Random(seed)
    data_dir = tmp_path / "sim"
    n_paper = calls // 2
    papers, brokers = prepare_plans(data_dir, paper=n_paper, broker=calls - n_paper)
    jobs = [("paper", f"crash-paper-{i}", p) for i, p in enumerate(papers)]
    jobs += [("order", f"crash-order-{i}", b) for i, b in enumerate(brokers)]
    rng.shuffle(jobs)
    plan_of = {key: plan for _, key, plan in jobs}
    sim: SimProcess = sim_factory(data_dir)
    url = await sim.start()
    started = time.monotonic()
    counter = _Count()
    sdk_log = logging.getLogger("mesodesk.sdk.control")
    sdk_log.addHandler(counter)
    previous_level = sdk_log.level
    sdk_log.setLevel(logging.INFO)
    ledger = Ledger()
    queue: asyncio.Queue[tuple[str, str, int]] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    in_flight: set[str] = set()
    killed_in_flight = 0
    integrity_checks = 0
    control = MesoLiveControlHubClient(url, API_KEY, recovery_timeout=90.0, **FAST)
    await control.connect()

    async def worker() -> None:
        while not queue.empty():
            op, key, plan = queue.get_nowait()
            in_flight.add(key)
            try:
                await idempotent_write(control, ledger, op, key, plan)
            finally:
                in_flight.discard(key)

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    try:
        for k in range(kills):
            threshold = (k + 1) * calls // (kills + 1) - rng.randrange(workers)
            while len(ledger.acks) < threshold and not all(t.done() for t in tasks):  # noqa: ASYNC110
                await asyncio.sleep(0.002)
            await asyncio.sleep(rng.uniform(0.0, 0.03))  # a random point inside the next calls
            for t in tasks:
                if t.done() and t.exception() is not None:
                    raise t.exception()  # type: ignore[misc]
            killed_in_flight += len(in_flight)
            await sim.kill()
            assert integrity(data_dir / DB_NAME) == "ok"
            integrity_checks += 1
            await sim.start()
        await asyncio.gather(*tasks)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await control.close()
        sdk_log.removeHandler(counter)
        sdk_log.setLevel(previous_level)

    # one last SIGKILL: the file on disk must hold every acknowledged write
    await sim.kill()
    db_path = data_dir / DB_NAME
    assert integrity(db_path) == "ok"
    integrity_checks += 1
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        rows = db.execute("SELECT id, data FROM idempotency").fetchall()
        db_records = {key: json.loads(data) for key, data in rows}
        db_orders: dict[int, list[int]] = {}
        for order_id, plan_id in db.execute("SELECT id, exec_plan_id FROM orders ORDER BY id"):
            db_orders.setdefault(plan_id, []).append(order_id)
        db_execs = Counter(order_id for (order_id,) in db.execute("SELECT order_id FROM executions"))
    assert len(ledger.acks) == calls and not ledger.failed, ledger.failed
    for key, ack in ledger.acks.items():
        record = db_records[key]
        assert record["Status"] == "Completed" and record["LiveOrderIds"] == ack.order_ids, (key, record)
        assert db_orders.get(plan_of[key]) == ack.order_ids, f"{key}: plan has orders {db_orders.get(plan_of[key])}"
        assert all(db_execs[o] == 2 for o in ack.order_ids), f"{key}: executions {[db_execs[o] for o in ack.order_ids]}"

    await sim.start()
    async with MesoLiveControlHubClient(url, API_KEY) as fresh:
        orders = {o.order_id: o async for o in fresh.iter_orders(page_size=500)}
        executions = [e async for e in fresh.iter_executions(page_size=500)]
        per_order = Counter(e.order_id for e in executions)
        for key, ack in ledger.acks.items():
            record = await fresh.get_idempotency_record(idempotency_key=key)
            assert record.status == IdempotencyRecordStatus.Completed and record.live_order_ids == ack.order_ids
            plan_orders = [o for o in orders.values() if o.exec_plan_id == plan_of[key]]
            assert [o.order_id for o in plan_orders] == ack.order_ids, key
            assert all(o.state == OrderState.Filled for o in plan_orders), key
            assert all(per_order[o] == 2 for o in ack.order_ids), key
    figures.update(
        calls=calls, workers=workers, sigkills=sim.kills, restarts=sim.starts - 1,
        calls_in_flight_at_kills=killed_in_flight, keys_checked=len(ledger.acks), orders_checked=len(orders),
        executions_checked=len(executions), acknowledged_lost=0, applied_twice=0,
        acked_via_duplicate=sum(a.duplicate for a in ledger.acks.values()),
        explicit_retries=ledger.retries, sdk_recovered=counter.counts["recovered the recorded result"],
        sdk_resent=counter.counts["resending with the same key"], integrity_checks_ok=integrity_checks,
        seconds=round(time.monotonic() - started, 1),
    )
    assert sim.kills == kills + 1


@pytest.mark.timeout(240)
async def test_crash_safety_quick(sim_factory: Any, tmp_path: Path, figures: dict[str, Any]) -> None:
    await run_crash_safety(sim_factory, tmp_path, figures, calls=60, workers=4, kills=6, seed=7)


@pytest.mark.heavy
@pytest.mark.timeout(1800)
async def test_crash_safety_heavy(sim_factory: Any, tmp_path: Path, figures: dict[str, Any]) -> None:
    await run_crash_safety(sim_factory, tmp_path, figures, calls=500, workers=8, kills=40, seed=8)
