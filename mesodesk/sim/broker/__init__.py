"""The simulated broker: orders, fills against simulated quotes, executions, legs, positions.

Conventions (the contract leaves them open; decided here):

* An order trades one leg group of an exec plan as ONE combo: ``leg_ratios`` are
  the signed leg quantities per combo unit, ``combos`` how many units. The combo
  is always *bought as defined*; ``LimitPrice``/``StopPrice`` are signed per combo
  unit, positive = debit. ``Side`` is "S" (and ``Qty``/``CumQty`` negative) when
  the order's reference price (limit, else stop, else the natural mark) is a
  credit, "B" otherwise.
* Ratios: ``LegGroupOrder.LegQtys`` when given, else the legs' planned quantities
  divided by their gcd; ``combos``: ``LegGroupOrder.Qty``, else what is left to fill.
  Planned leg quantity = ``PlannedLeg.qty * QtyMultiplier`` for Open/Move legs
  (``SendOrderArgs.QtyMultiplier`` overrides the plan's until the first fill) and
  ``PlannedLeg.qty`` for Close legs. Working orders reserve their remaining
  quantity; asking for more than is left rejects the order ("quantity too large").
* Fills: the natural combo price is the cost of buying every leg at its natural
  side (ask for bought legs, bid for sold legs). A Market order, or a Limit whose
  limit >= natural, fills at the natural price (never worse than the limit). A
  Stop/StopLimit triggers once the combo mark >= StopPrice (a rising cost; for a
  credit structure that is its value falling), then acts as Market/Limit. At most
  ``clip_size`` combos fill per market tick; the rest fill on later ticks.
* A DAY order still working at the close of its session (16:00 ET of the day it was
  placed; of the next session when placed outside one) **expires**: state ``Expired``
  with ``LastUpdated`` and its ``OnOrderUpdate`` at the close, its leg group's reservation
  released. The broker checks on every tick before filling and once at start-up, so a
  clock that jumps from the close to the next open, or a restart past the close, never
  lets it work in a later session. GTC orders keep working.
* Paper accounts (``IsPaperAccount``) take fills only through ``ApplyPaperFills``
  (SendOrder answers NotSupported); broker accounts only through orders.
* Commission: ``commission_per_contract`` per contract for order fills; it is
  reported on the execution, excluded from ``LiveExecution.Price`` and included
  per unit in ``LiveLeg.AvgEntryPrice`` and in realized PnL.
* A MoveLeg plan is expected to carry a Close leg for the replaced leg (same
  group or another one): the Move leg opens the new leg, the Close leg closes the old.

Every effect of one request or one tick fill (order, executions, legs, position,
plan, account, events) commits in one SQLite transaction; in-memory state is
reloaded from the database if that transaction rolls back.
"""

from __future__ import annotations

from mesodesk.sim.agents import AgentService
from mesodesk.sim.broker.fills import chain_tick
from mesodesk.sim.broker.intake import OrderIntake
from mesodesk.sim.broker.ledger import max_loss
from mesodesk.sim.broker.records import (
    ACCOUNT_REFRESH_TICKS,
    CLIP_SIZE,
    BrokerOrder,
    contract_spec,
    invalid,
)
from mesodesk.sim.events import EventLog
from mesodesk.sim.fees import COMMISSION_PER_CONTRACT
from mesodesk.sim.market import Market
from mesodesk.sim.world import World

__all__ = [
    "ACCOUNT_REFRESH_TICKS",
    "CLIP_SIZE",
    "COMMISSION_PER_CONTRACT",
    "Broker",
    "BrokerOrder",
    "chain_tick",
    "contract_spec",
    "invalid",
    "max_loss",
]


class Broker(OrderIntake):
    """``ctx.broker``: the order/fill engine. Hub-facing methods run inside the
    caller's transaction (``IdempotencyService.execute``) and raise ``ApiFailure``.

    Layers, each using only the ones below it: :class:`~.records.BrokerBase` (state,
    persistence, reads) -> :class:`~.ledger.Ledger` (executions, legs, positions,
    accounts) -> :class:`~.fills.FillEngine` (ticks and fills) -> :class:`~.intake.OrderIntake`
    (SendOrder, CancelOrder, ApplyPaperFills).
    """

    def __init__(self, world: World, market: Market, events: EventLog, agents: AgentService) -> None:
        super().__init__(world, market, events, agents)
        self._init_cash_basis()
        self.expire_day_orders()  # a restart past the close: at once, not at the first tick
