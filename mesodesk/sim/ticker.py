"""Drives the market: one step per tick, and a version number streams can wait on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from mesodesk.sim.market import Market
from mesodesk.sim.store import StorageFull

log = logging.getLogger("mesodesk.sim.ticker")


class MarketTicker:
    def __init__(self, market: Market, interval: float = 0.25,
                 on_tick: Callable[[int], None] | None = None) -> None:
        self.market = market
        self.on_tick = on_tick
        self.interval = interval
        self.version = 0
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="market-ticker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def tick(self) -> None:
        """Advance the market one step and wake every waiter."""
        self.market.step()
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()
        if self.on_tick is not None:
            self.on_tick(self.version)

    async def wait_newer(self, seen: int) -> int:
        """Wait until the market version is newer than ``seen``; return the new version."""
        while self.version <= seen:
            await self._changed.wait()
        return self.version

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                self.tick()
            except StorageFull:  # the store logged it once; the market keeps moving
                pass
            except Exception:
                log.exception("market step failed")
