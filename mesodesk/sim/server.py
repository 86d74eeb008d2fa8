"""The MesoLive simulator: market, SQLite-backed world and the three hubs on one port."""

from __future__ import annotations

import json
import logging
import ssl
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from mesodesk.contract import HUB_PATHS
from mesodesk.sim.clock import TradingClock
from mesodesk.sim.context import SimContext
from mesodesk.sim.dialect import WireDialect
from mesodesk.sim.events import EventLog
from mesodesk.sim.hubs.admin import ADMIN_HUB_PATH, build_admin_hub
from mesodesk.sim.hubs.bench import BENCH_HUB_PATH, build_bench_hub
from mesodesk.sim.hubs.control import build_control_hub
from mesodesk.sim.hubs.data import build_data_hub
from mesodesk.sim.hubs.events import build_event_hub
from mesodesk.sim.idempotency import IdempotencyService
from mesodesk.sim.market import Market
from mesodesk.sim.pricing import PositionPricer
from mesodesk.sim.seed import seed_world
from mesodesk.sim.signalr import (
    SignalRServer,
    WeakKeyError,
    check_key_strength,
    constant_time_token_check,
    is_loopback,
)
from mesodesk.sim.store import Store
from mesodesk.sim.ticker import MarketTicker
from mesodesk.sim.world import World

log = logging.getLogger("mesodesk.sim")

DB_NAME = "mesolive-sim.sqlite3"

__all__ = ["DB_NAME", "SimulatorServer", "WeakKeyError", "check_key_strength", "is_loopback"]


class SimulatorServer:
    """``await start()`` serves the hubs; ``await stop()`` closes sockets and the database."""

    def __init__(
        self,
        data_dir: Path,
        api_key: str,
        *,
        seed: int | None = None,
        speed: float = 60.0,
        tick_interval: float = 0.25,
        market: Market | None = None,
        keep_alive_interval: float = 15.0,
        client_timeout: float = 30.0,
        bench: bool = False,
        wire_dialect: WireDialect | str | None = None,
        request_header_timeout: float = 10.0,
    ) -> None:
        """``wire_dialect``: how results, stream items and events are written (a
        :class:`WireDialect` or its spec such as ``"camel+int-enums"``; default: PascalCase
        names and enum names, as MesoLive documents them). ``request_header_timeout``: seconds a
        connection may take to send a complete HTTP request before it is closed."""
        if isinstance(wire_dialect, str):
            wire_dialect = WireDialect.parse(wire_dialect)
        self.wire_dialect = wire_dialect or WireDialect()
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(self.data_dir / DB_NAME)
        self.market = market or Market(seed=seed, clock=TradingClock(self._resume_time(), speed=speed))
        self.world = World(self.store)
        self._restore_walk()
        seed_world(self.world, self.market)
        self.ticker = MarketTicker(self.market, tick_interval, on_tick=self._on_tick)
        self.events = EventLog(self.store)
        self.context = SimContext(
            self.world, self.market, self.ticker, PositionPricer(self.market), self.events,
            IdempotencyService(self.store), wire_dialect=self.wire_dialect,
        )
        self._build_services()
        self._api_key = api_key
        self.signalr = SignalRServer(
            authenticate=constant_time_token_check(api_key),
            dumps=self.wire_dialect.dumps,
            keep_alive_interval=keep_alive_interval,
            client_timeout=client_timeout,
            max_message_size=4 << 20,
            request_header_timeout=request_header_timeout,
        )
        self.signalr.add_hub(HUB_PATHS["control"], build_control_hub(self.context))
        self.signalr.add_hub(HUB_PATHS["data"], build_data_hub(self.context))
        self.signalr.add_hub(HUB_PATHS["event"], build_event_hub(self.context))
        if bench:
            self.signalr.add_hub(BENCH_HUB_PATH, build_bench_hub(self.context))
        self.signalr.add_hub(ADMIN_HUB_PATH, build_admin_hub(self.context))

    def _build_services(self) -> None:
        """Create the domain services on ``self.context`` (each section is owned by one module)."""
        # -- strategies, prepare jobs, signals --------------------------------------------
        from mesodesk.sim.jobs import JobService
        from mesodesk.sim.signals import SignalService

        self.context.jobs = JobService(self.context)
        self.context.signals = SignalService(self.context)
        # -- broker, accounts, agents ---------------------------------------------------------
        from mesodesk.sim.agents import AgentService
        from mesodesk.sim.broker import Broker, chain_tick
        from mesodesk.sim.position_env import entry_vars_after_fills

        self.context.agents = AgentService(self.world, self.market, self.events)
        self.context.broker = Broker(self.world, self.market, self.events, self.context.agents)
        self.context.broker.entry_vars = partial(entry_vars_after_fills, self.context)
        self.ticker.on_tick = chain_tick(self.ticker.on_tick, self.context.broker.on_tick)

    def _resume_time(self) -> datetime:
        """Simulated time never runs backwards across restarts."""
        now = datetime.now(UTC)
        saved = self.store.meta_get("clock")
        return max(now, datetime.fromisoformat(saved)) if saved else now

    def save_clock(self) -> None:
        """Persist simulated time and the price walk, so a restart continues where it stopped."""
        with self.store.tx():
            self.store.meta_set("clock", self.market.now.isoformat())
            self.store.meta_set("walk", json.dumps(self.market.walk_state()))

    def _restore_walk(self) -> None:
        saved = self.store.meta_get("walk")
        if saved:
            self.market.restore_walk_state(json.loads(saved))

    @property
    def url(self) -> str:
        return self.signalr.url

    def _on_tick(self, version: int) -> None:
        if version % 40 == 0:
            self.save_clock()

    @property
    def port(self) -> int:
        return self.signalr.port

    async def start(self, host: str = "127.0.0.1", port: int = 0, ssl_context: ssl.SSLContext | None = None) -> None:
        """Listen on ``host:port``; raises :class:`WeakKeyError` if the API key is too weak for ``host``."""
        check_key_strength(self._api_key, host)
        await self.signalr.start(host=host, port=port, ssl_context=ssl_context)
        self.events.start()
        self.ticker.start()
        self.context.signals.start()
        log.info("MesoLive simulator on %s (data in %s, wire dialect %s)", self.url, self.data_dir, self.wire_dialect)

    async def stop(self) -> None:
        await self.ticker.stop()
        await self.context.signals.stop()
        await self.context.jobs.stop()
        await self.events.stop()
        self.save_clock()
        await self.signalr.stop()
        self.store.close()
