"""Live quotes for a set of named contracts (a prepared plan's legs, a working order's legs).

One ``StreamComboContractsData`` per feed, restarted after a drop with a snapshot in
between; the latest quote per leg wins. Windows read :attr:`LegQuotes.prices` on their
own refresh timer (screen rate), so a burst of stream items costs one repaint.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from mesodesk.contract import (
    ComboContractLeg,
    DataProviderType,
    LiveContract,
    LiveDataInclude,
    LivePrices,
)
from mesodesk.core.session import Session

log = logging.getLogger("mesodesk.trading")


class LegQuotes:
    """Latest quote per leg name; ``start()`` streams until ``stop()``."""

    retry_after = 1.0

    def __init__(self, session: Session, contracts: Mapping[str, LiveContract], ratios: Mapping[str, Decimal],
                 provider: DataProviderType | None, initial: Mapping[str, LivePrices] | None = None) -> None:
        self.session = session
        self.names = list(contracts)
        self.contracts = dict(contracts)
        self.ratios = {n: ratios.get(n) or Decimal(1) for n in self.names}
        self.provider = provider
        self.prices: dict[str, LivePrices] = {n: p for n, p in (initial or {}).items() if p is not None}
        self.underlying: LivePrices | None = None
        self.updated_at: datetime | None = None
        self.updates = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.running and self.names:
            self._task = asyncio.ensure_future(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _legs(self) -> list[ComboContractLeg]:
        return [ComboContractLeg(contract=self.contracts[n], ratio=self.ratios[n]) for n in self.names]

    async def _run(self) -> None:
        while True:
            try:
                async for entry in self.session.data.stream_combo_contracts_data(
                        contracts=self._legs(), provider=self.provider, include=LiveDataInclude.Prices):
                    self._apply(entry.contract_prices, entry.underlying_price, entry.timestamp)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # no stream (older server) or a drop: a snapshot, then retry
                log.info("quote stream ended (%s); falling back to snapshots", exc)
                try:
                    snap = await self.session.data.get_combo_contracts_snapshot(
                        contracts=self._legs(), provider=self.provider, include=LiveDataInclude.Prices)
                    self._apply(snap.contract_prices, snap.underlying_price, snap.timestamp)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    pass
            await asyncio.sleep(self.retry_after)

    def _apply(self, prices: dict[int, LivePrices] | None, underlying: LivePrices | None,
               when: datetime | None) -> None:
        for i, p in (prices or {}).items():
            if 0 <= i < len(self.names) and p is not None:
                self.prices[self.names[i]] = p
        if underlying is not None:
            self.underlying = underlying
        self.updated_at = when or self.updated_at
        self.updates += 1
