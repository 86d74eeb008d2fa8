"""A real simulator (frozen market), a Session and a TradingDesk on a background event loop,
for Qt-free tests of the trading commands (hypothesis drives them from a plain thread)."""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import Awaitable, Callable, Coroutine
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from mesodesk.contract import LiveExecution
from mesodesk.core.session import Session
from mesodesk.core.trading.desk import TradingDesk
from mesodesk.sim.seed import BROKER_ACCOUNT, PAPER_ACCOUNT
from mesodesk.sim.server import SimulatorServer

API_KEY = "trading-test-key-0123456789"
T = TypeVar("T")


class TradingWorld:
    """``run(coro)`` executes on the world's loop and returns the result."""

    def __init__(self, data_dir: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="trading-world", daemon=True)
        self.thread.start()
        self.data_dir = data_dir
        self.server: SimulatorServer
        self.session: Session
        self.desk: TradingDesk
        self.strategy_ids: dict[str, int] = {}
        self.run(self._start())

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _start(self) -> None:
        # speed 0: the market stands still, so a limit at the natural price fills at exactly that price
        self.server = SimulatorServer(self.data_dir, API_KEY, seed=11, speed=0.0, tick_interval=0.05)
        await self.server.start(port=0)
        self.server.context.jobs.delay = 0.0
        self.session = Session(self.server.url, API_KEY, embedded=True)
        self.desk = TradingDesk(self.session, default_commission=self.server.context.broker.commission_per_contract)
        await self.session.start()

    async def _stop(self) -> None:
        await self.session.stop()
        await self.server.stop()

    def close(self) -> None:
        try:
            self.run(self._stop(), timeout=30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()

    async def executions(self, exec_plan_ids: set[int]) -> list[LiveExecution]:
        return [e async for e in self.session.control.iter_executions() if e.exec_plan_id in exec_plan_ids]


async def until(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what}: not met within {timeout} s")
        await asyncio.sleep(0.02)


async def settle(coro: Awaitable[T]) -> T:
    return await coro


def cash_ledger(executions: list[LiveExecution]) -> Decimal:
    """The independent ledger: every execution's cash flow (qty × price × multiplier, signed: buying
    pays) minus its commission. For a position whose legs are all closed this is its realized P&L."""
    total = Decimal(0)
    for e in executions:
        mult = e.contract.multiplier or Decimal(100)
        total += -e.qty * e.price * mult - e.commission
    return total


# ------------------------------------------------------------------ test strategies

BASE: dict[str, Any] = {
    "MesoSimVersion": "3.0",
    "Symbol": "SPX",
    "Entry": {"Schedule": {"AfterMarketOpenMinutes": None, "BeforeMarketCloseMinutes": None, "Every": "day"},
              "Conditions": [], "VarDefines": {}, "AbortConditions": [], "QtyMultiplier": "1", "ReentryDays": 0,
              "Concurrency": {"MaxPositionsInFlight": 100, "EntryShiftDays": 0}},
    "Exit": {"Schedule": {"AfterMarketOpenMinutes": 30, "BeforeMarketCloseMinutes": None, "Every": "day"},
             "MaxDaysInTrade": 60, "Conditions": []},
    "Settings": {"Core": {"LegSelectionConstraint": "None", "Margin": None}},
}
EXP = {"Name": "exp", "DTE": "45", "Min": "30", "Max": "60", "Roots": {"Include": ["SPXW", "SPX"], "Exclude": None}}


def leg(name: str, qty: int, kind: str, selector: dict[str, str], group: int = 1) -> dict[str, Any]:
    return {"Name": name, "Qty": str(qty), "OptionType": kind, "ExpirationName": "exp",
            "LegGroupId": str(group), "StrikeSelector": selector}


STRUCTURES: dict[str, tuple[list[dict[str, Any]], dict[str, Any] | None]] = {
    "credit vertical": ([leg("short_put", -1, "Put", {"Delta": "-20"}),
                         leg("long_put", 1, "Put", {"StrikePrice": "leg_short_put_strike - 25"})],
                        {"MoveLegAdjustment": {"LegName": "short_put", "StrikeSelector": {"Delta": "-12"}}}),
    "debit vertical": ([leg("long_call", 1, "Call", {"Delta": "40"}),
                        leg("short_call", -1, "Call", {"StrikePrice": "leg_long_call_strike + 50"})],
                       {"MoveLegAdjustment": {"LegName": "short_call", "StrikeSelector": {"Delta": "15"}}}),
    "iron condor": ([leg("short_put", -1, "Put", {"Delta": "-15"}),
                     leg("long_put", 1, "Put", {"StrikePrice": "leg_short_put_strike - 25"}),
                     leg("short_call", -1, "Call", {"Delta": "15"}, 2),
                     leg("long_call", 1, "Call", {"StrikePrice": "leg_short_call_strike + 25"}, 2)],
                    {"MoveLegAdjustment": {"LegName": "short_call", "StrikeSelector": {"Delta": "10"}}}),
    "broken-wing butterfly": ([leg("upper", 1, "Put", {"StrikePrice": "leg_body_strike + 50"}),
                               leg("body", -2, "Put", {"Delta": "-30"}),
                               leg("lower", 1, "Put", {"StrikePrice": "leg_body_strike - 75"})], None),
    "single long option": ([leg("long_put", 1, "Put", {"Delta": "-30"})],
                           {"MoveLegAdjustment": {"LegName": "long_put", "StrikeSelector": {"Delta": "-20"}}}),
}
ADJUST = "pos_delta > -1000000"


def definition(name: str) -> dict[str, Any]:
    legs, move = STRUCTURES[name]
    d = copy.deepcopy(BASE)
    d["StrategyName"] = f"Property {name}"
    d["Structure"] = {"Name": name, "Expirations": [EXP], "Legs": legs}
    d["Adjustment"] = {"Schedule": {"AfterMarketOpenMinutes": 0, "BeforeMarketCloseMinutes": None, "Every": "day"},
                       "ConditionalAdjustments": {ADJUST: move} if move else {}, "MaxAdjustmentCount": 5}
    return d


def make_world(data_dir: Path) -> TradingWorld:
    """A world with one strategy per structure of :data:`STRUCTURES`, active on both accounts."""
    w = TradingWorld(data_dir)
    for name in STRUCTURES:
        created = w.run(w.session.control.create_strategy(strategy_definition=definition(name),
                                                          active_on_accounts=[PAPER_ACCOUNT, BROKER_ACCOUNT]))
        w.strategy_ids[name] = created.id
    return w
