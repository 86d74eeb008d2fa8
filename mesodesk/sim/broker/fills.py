"""The fill engine: natural combo prices, triggering and filling working orders on market ticks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from mesodesk.contract import LiveContract, OrderState, OrderType, TimeInForce
from mesodesk.quant.calendar import session_close_after
from mesodesk.sim.broker.ledger import Ledger
from mesodesk.sim.broker.records import ACCOUNT_REFRESH_TICKS, ZERO, BrokerOrder, _d2, contract_spec
from mesodesk.sim.execplans import ExecPlanStatus
from mesodesk.sim.market import Quote

log = logging.getLogger("mesodesk.sim.broker")


class FillEngine(Ledger):
    """Fills working orders against the simulated quotes (``clip_size`` combos per tick)."""

    # ------------------------------------------------------------------ quotes
    def _quotes(self, contracts: dict[str, LiveContract]) -> dict[str, Quote]:
        names = list(contracts)
        quotes = self.market.quotes([contract_spec(contracts[n]) for n in names])
        return dict(zip(names, quotes, strict=True))

    def natural(self, record: BrokerOrder) -> tuple[Decimal, Decimal, dict[str, Decimal]]:
        """(natural combo cost, combo mark, natural leg prices) per combo unit; positive = debit."""
        quotes = self._quotes(record.leg_contracts)
        legs = {n: _d2(q.ask if record.leg_ratios[n] > 0 else q.bid) for n, q in quotes.items()}
        cost = sum((record.leg_ratios[n] * p for n, p in legs.items()), ZERO)
        mark = sum((record.leg_ratios[n] * _d2(q.mark) for n, q in quotes.items()), ZERO)
        return cost, mark, legs

    # ------------------------------------------------------------------ fills
    def _try_fill(self, record: BrokerOrder, now: datetime) -> bool:
        """Fill (part of) a working order if the market allows; True if something filled."""
        o = record.order
        if not record.working or record.remaining <= 0:
            return False
        cost, mark, legs = self.natural(record)
        if o.order_type in (OrderType.Stop, OrderType.StopLimit) and not record.triggered:
            assert o.stop_price is not None
            if mark < o.stop_price:
                return False
            record.triggered = True
            self._save_order(record)
        if o.order_type in (OrderType.Limit, OrderType.StopLimit):
            assert o.limit_price is not None
            if cost > o.limit_price:
                return False
        clip = min(record.remaining, self.clip_size)
        plan = self.load_plan(o.exec_plan_id)
        if plan is None or plan.status == ExecPlanStatus.Cancelled:
            self._finish(record, OrderState.Cancelled, now)
            return False
        fills = [(n, record.leg_ratios[n] * clip, legs[n], self.commission_per_contract * abs(record.leg_ratios[n] * clip))
                 for n in record.leg_ratios]
        self._execute(plan, record, clip, cost, fills, now)
        return True

    # ------------------------------------------------------------------ expiry
    @staticmethod
    def expires_at(record: BrokerOrder) -> datetime | None:
        """When a working order ends by itself: a DAY order at the close of the session it was
        placed in (the next session's when placed outside one); None for GTC."""
        if record.order.time_in_force != TimeInForce.DAY:
            return None
        return session_close_after(record.order.created_at)

    def expire_day_orders(self) -> list[int]:
        """Expire every DAY order whose session has closed (state ``Expired`` at the close, with its
        ``OnOrderUpdate``); its remaining quantity no longer reserves the leg group. Runs on every
        tick before any fill and once at start-up, so a clock that jumps from the close to the
        next open, or a restart after the close, never lets one work (or fill) in a later session."""
        now = self._now()
        due = [(record, close) for record in self.orders.values() if record.working and not record.paper
               and (close := self.expires_at(record)) is not None and now >= close]
        expired = []
        for record, close in sorted(due, key=lambda due_order: due_order[0].order.order_id):
            with self.store.tx():
                self._guard()
                self._finish(record, OrderState.Expired, close)
            expired.append(record.order.order_id)
        if expired:
            log.info("expired DAY orders %s at the close", expired)
        return expired

    # ------------------------------------------------------------------ ticks
    def on_tick(self, version: int) -> None:
        """Market tick: expire DAY orders, trigger/fill working orders, refresh accounts."""
        try:
            self._process_tick()
        except Exception:
            log.exception("broker tick failed")

    def _process_tick(self) -> None:
        self._ticks += 1
        self.expire_day_orders()
        working = [r for r in self.orders.values() if r.working and not r.paper]
        if working and self.agents.routing:
            now = self._now()
            for record in sorted(working, key=lambda r: r.order.order_id):
                with self.store.tx():
                    self._guard()
                    self._try_fill(record, now)
        if self._ticks % ACCOUNT_REFRESH_TICKS == 0:
            with self.store.tx():
                self._guard()
                for account_id in list(self.world.accounts):
                    self.refresh_account(account_id)


def chain_tick(first: Callable[[int], None] | None, then: Callable[[int], None]) -> Callable[[int], None]:
    """Compose tick callbacks (``MarketTicker.on_tick`` holds one): ``first`` runs, then ``then``."""

    def on_tick(version: int) -> None:
        if first is not None:
            first(version)
        then(version)

    return on_tick
