"""Everything a hub method needs, in one object."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from mesodesk.contract import LivePositionDetails
from mesodesk.sim.dialect import WireDialect
from mesodesk.sim.events import EventLog
from mesodesk.sim.idempotency import IdempotencyService
from mesodesk.sim.market import Market
from mesodesk.sim.pricing import PositionPricer
from mesodesk.sim.ticker import MarketTicker
from mesodesk.sim.world import PositionRecord, World


@dataclass
class SimContext:
    world: World
    market: Market
    ticker: MarketTicker
    pricer: PositionPricer
    events: EventLog
    idempotency: IdempotencyService
    active_streams: int = 0
    wire_dialect: WireDialect = field(default_factory=WireDialect)  # how the server writes JSON
    # Domain services, created in SimulatorServer._build_services.
    jobs: Any = None  # prepare jobs (entry/exit/adjustment)
    signals: Any = None  # periodic signal evaluator
    broker: Any = None  # paper broker: orders, executions, fills
    agents: Any = None  # simulated agent/connector status

    def position_details(self, position: PositionRecord) -> LivePositionDetails:
        """The GetPosition view: the record plus its legs and current pricing blocks."""
        legs = self.world.position_legs(position.id)
        details = position.model_copy(update={"legs": legs})
        if position.underlying is None or not any(leg.closed_at is None for leg in legs):
            return details
        entry = self.pricer.position_entry(position.id, position.underlying, legs, position.qty_multiplier)
        details.leg_prices = entry.leg_prices
        details.leg_greeks = entry.leg_greeks
        details.leg_pnls = entry.leg_pnls
        details.position_prices = entry.position_prices
        details.position_greeks = entry.position_greeks
        details.position_pnls = entry.position_pnls
        details.underlying_price = entry.underlying_price
        pnl = entry.position_pnls
        if pnl is not None and pnl.mark is not None:
            realized = pnl.realized or Decimal(0)
            details.realized_pnl = realized
            details.unrealized_pnl = pnl.mark - realized
        return details
