"""The price of an index a risk graph is beta-weighted to when no open position is on it.

An open position on the index gives its price (the blotter's "Und. price",
:func:`mesodesk.core.risk.index_row`); otherwise the graph asks the server for a snapshot of the
underlying (``GetUnderlyingSnapshot``), at most once per :data:`MAX_AGE_S` per symbol, and the
graph shows the last price it got meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from mesodesk.contract import DataProviderType, LiveUnderlying
from mesodesk.core.errors import MesoLiveError
from mesodesk.core.session import Session

log = logging.getLogger("mesodesk.risk")

#: a snapshot older than this is fetched again (when the graph asks for it)
MAX_AGE_S = 5.0


class IndexQuotes:
    def __init__(self, session: Session, provider: Callable[[], DataProviderType | None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.session = session
        self.provider = provider
        self._clock = clock
        self._prices: dict[str, tuple[float, float]] = {}  # symbol -> (price, fetched at)
        self._inflight: set[str] = set()
        self._tasks: set[asyncio.Future[float | None]] = set()
        self.problems: dict[str, str] = {}  # symbol -> why its last fetch failed

    def prices(self) -> dict[str, float]:
        """The last price fetched per symbol (maybe a few seconds old)."""
        return {symbol: price for symbol, (price, _at) in self._prices.items()}

    def wanted(self, symbol: str) -> bool:
        """No fresh price of ``symbol`` and none on its way."""
        got = self._prices.get(symbol)
        fresh = got is not None and self._clock() - got[1] < MAX_AGE_S
        return not fresh and symbol not in self._inflight

    def request(self, symbol: str, on_price: Callable[[], None]) -> None:
        """Fetch ``symbol`` in the background if :meth:`wanted`; ``on_price()`` once a price came."""
        if not self.wanted(symbol):
            return
        coro = self.fetch(symbol)
        try:
            task = asyncio.ensure_future(coro)
        except RuntimeError:  # no event loop to run it on
            coro.close()
            return
        self._inflight.add(symbol)  # before the task runs: one request per symbol at a time
        self._tasks.add(task)

        def done(finished: asyncio.Future[float | None]) -> None:
            self._tasks.discard(finished)
            if not finished.cancelled() and finished.exception() is None and finished.result() is not None:
                on_price()

        task.add_done_callback(done)

    def close(self) -> None:
        """Cancel the fetches under way (their callbacks are not called)."""
        for task in list(self._tasks):
            task.cancel()

    async def fetch(self, symbol: str) -> float | None:
        """Ask the server for ``symbol``'s mark; None (and :attr:`problems` says why) when it cannot."""
        self._inflight.add(symbol)
        try:
            entry = await self.session.data.get_underlying_snapshot(
                underlying=LiveUnderlying(symbol=symbol), provider=self.provider(), timeout=10.0)
        except (MesoLiveError, TimeoutError, ConnectionError) as exc:
            self.problems[symbol] = f"no {symbol} price: {exc}"
            log.info("no snapshot of %s for beta weighting: %s", symbol, exc)
            return None
        finally:
            self._inflight.discard(symbol)
        prices = entry.prices
        value = None if prices is None else (prices.mark or prices.mid or prices.last)
        if value is None or value <= 0:
            self.problems[symbol] = f"no {symbol} price from the server"
            return None
        self.problems.pop(symbol, None)
        self._prices[symbol] = (float(value), self._clock())
        return float(value)
