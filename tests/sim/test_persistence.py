"""Crash safety: a simulator process killed with SIGKILL loses no acknowledged write.

The simulator runs as a real ``python -m mesodesk.sim`` subprocess on its own SQLite
file; it is killed with ``kill -9`` (no shutdown code runs) and restarted on the
same file. Orders, executions, positions, events (sequence ids continue) and
idempotency records must all be there.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import pytest

from mesodesk.contract import OrderState, OrderType, PaperFill, StatusCode, TimeInForce
from mesodesk.sdk import MesoLiveApiException, MesoLiveControlHubClient, MesoLiveEventHubClient
from mesodesk.sim.seed import PAPER_ACCOUNT
from mesodesk.sim.server import DB_NAME, SimulatorServer
from tests.sim.test_orders import API_KEY, order, pcs_plan


@asynccontextmanager
async def simulator_process(data_dir: Path) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mesodesk.sim", "--port", "0", "--data-dir", str(data_dir), "--api-key-env",
        "SIM_TEST_KEY", "--ready-json", "--tick-interval", "0.05", "--seed", "3",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "SIM_TEST_KEY": API_KEY},
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        yield proc, json.loads(line)["url"]
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def prepare_plans(data_dir: Path) -> tuple[int, int]:
    """Exec plans (as a prepare job would leave them) written before the process starts."""
    server = SimulatorServer(data_dir, API_KEY, seed=3)
    try:
        broker_plan = pcs_plan(server, multiplier=2)
        paper_plan = pcs_plan(server, account=PAPER_ACCOUNT)
        return broker_plan.id, paper_plan.id
    finally:
        server.store.close()


async def test_kill_9_loses_no_acknowledged_write(tmp_path: Path) -> None:
    data_dir = tmp_path / "sim"
    broker_plan, paper_plan = prepare_plans(data_dir)
    fills = {"short_put": PaperFill(price=Decimal("4.2")), "long_put": PaperFill(price=Decimal("2.1"))}
    async with simulator_process(data_dir) as (proc, url):
        async with MesoLiveControlHubClient(url, API_KEY) as control:
            filled = await control.send_order(idempotency_key="k-fill", broker_account_id="U7654321",
                                              exec_plan_id=broker_plan, leg_group_id=1,
                                              leg_group_order=order(qty=Decimal(1)))
            resting = await control.send_order(
                idempotency_key="k-rest", broker_account_id="U7654321", exec_plan_id=broker_plan, leg_group_id=1,
                leg_group_order=order(OrderType.Limit, limit_price=Decimal(-500), qty=Decimal(1),
                                      time_in_force=TimeInForce.GTC))
            paper = await control.apply_paper_fills(idempotency_key="k-paper", broker_account_id=PAPER_ACCOUNT,
                                                    exec_plan_id=paper_plan, fills=fills)
            orders_before = (await control.list_orders()).items
            executions_before = (await control.list_executions()).items
            positions_before = (await control.list_positions()).items
        async with MesoLiveEventHubClient(url, API_KEY, strategies=[]) as events:
            latest_before = (await events.get_latest_event_seq_id()).latest_event_seq_id
        proc.kill()  # SIGKILL: no shutdown code runs
        await proc.wait()
    with sqlite3.connect(data_dir / DB_NAME) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert latest_before >= 10
    async with simulator_process(data_dir) as (_proc, url):
        async with MesoLiveControlHubClient(url, API_KEY) as control:
            assert (await control.list_orders()).items == orders_before
            assert (await control.list_executions()).items == executions_before
            assert [p.id for p in (await control.list_positions()).items] == [p.id for p in positions_before]
            assert paper.position_id in [p.id for p in positions_before]
            with pytest.raises(MesoLiveApiException) as info:
                await control.send_order(idempotency_key="k-fill", broker_account_id="U7654321",
                                         exec_plan_id=broker_plan, leg_group_id=1,
                                         leg_group_order=order(qty=Decimal(1)))
            assert info.value.status == StatusCode.DuplicateRequest and info.value.data == filled
            record = await control.get_idempotency_record(idempotency_key="k-paper")
            assert record.live_order_ids == paper.order_ids
            state = await control.cancel_order(order_id=resting.order_ids[0])  # still working after the crash
            assert state.state == OrderState.Cancelled
        async with MesoLiveEventHubClient(url, API_KEY, strategies=[]) as events:
            replay = await events.get_events_since(since_event_seq_id=0, limit=1000)
            seqs = [e.event_seq_id for e in replay.events]
            assert seqs == list(range(1, latest_before + 2))  # contiguous, continued after the restart
            assert replay.events[-1].event_type == "OnOrderUpdate"
