"""The trading facade the windows call (vn.py's ``MainEngine`` role): every write of the
console goes through here or the command objects it holds; widgets render the store and
these objects and never reach the SDK."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from mesodesk.contract import (
    AdjustmentSignalEvent,
    ConditionEvaluation,
    DataProviderType,
    ExitSignalEvent,
    LiveGreeks,
    LiveGreekValues,
    SignalState,
)
from mesodesk.core.session import Session
from mesodesk.core.trading.exit_rules import latest_exit_signal
from mesodesk.core.trading.guards import GuardLimits
from mesodesk.core.trading.orders import OrderCommands
from mesodesk.core.trading.outcome import UnknownListener
from mesodesk.core.trading.paper import PaperSheet
from mesodesk.core.trading.plan import AnyResult, FlowKind, PlanView
from mesodesk.core.trading.prepare import PrepareJob, ProgressListener
from mesodesk.core.trading.quotes import LegQuotes
from mesodesk.core.trading.strategies import StrategyCommands
from mesodesk.core.trading.ticket import Ticket
from mesodesk.sdk.lean import LeanGreeks, LeanGreekValues

ZERO = Decimal(0)


class TradingDesk:
    def __init__(self, session: Session, settings: Callable[[], dict[str, Any]] | None = None, *,
                 default_commission: Decimal = ZERO) -> None:
        """``settings`` returns the trading settings section (guard limits, commission estimate);
        ``default_commission`` is the per-contract commission estimate when the settings give none
        (the app passes the embedded simulator's schedule)."""
        self.session = session
        #: returns the trading settings section; the window points it at its live settings
        self.settings_source: Callable[[], dict[str, Any]] = settings or dict
        self.default_commission = default_commission
        self.orders = OrderCommands(session)
        self.strategies = StrategyCommands(session)

    # -- settings ----------------------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        return dict(self.settings_source() or {})

    def limits(self) -> GuardLimits:
        return GuardLimits.from_settings(self.settings())

    def commission_per_contract(self) -> Decimal:
        value = self.settings().get("commission_per_contract")
        if value is None or value == "":
            return self.default_commission
        try:
            return max(Decimal(str(value)), ZERO)
        except (InvalidOperation, ValueError):
            return self.default_commission

    # -- context -----------------------------------------------------------------------------------
    def provider(self) -> DataProviderType | None:
        for agent in self.session.state.agents.values():
            if agent.provider is not None:
                return agent.provider
        return DataProviderType.Simulated if self.session.embedded else None

    def is_paper(self, account: str) -> bool:
        row = self.session.state.accounts.get(account)
        return bool(row is not None and row.is_paper_account)

    def position_greeks(self, position_id: int | None) -> LiveGreekValues | None:
        row = self.session.state.positions.get(position_id) if position_id is not None else None
        if row is None or not row.is_open:
            return None
        greeks: LeanGreeks | LiveGreeks | None = row.data.position_greeks if row.data is not None else None
        if greeks is None and row.details is not None:
            greeks = row.details.position_greeks
        values = greeks.mark if greeks is not None else None
        return values.to_model() if isinstance(values, LeanGreekValues) else values  # streamed: lean

    def adjustment_signals(self, position_id: int) -> dict[str, AdjustmentSignalEvent]:
        """The latest adjustment signal per condition of a position (On or Off)."""
        latest: dict[str, AdjustmentSignalEvent] = {}
        for row in sorted(self.session.state.events.values(), key=lambda r: r.seq):
            e = row.event
            if isinstance(e, AdjustmentSignalEvent) and e.position_id == position_id:
                latest[e.condition.statement] = e
        return latest

    def exit_signal(self, position_id: int) -> ExitSignalEvent | None:
        """The latest exit signal of a position (On or Off; None: none in the event log)."""
        return latest_exit_signal((row.event for row in self.session.state.events.values()), position_id)

    def active_adjustment_signals(self, position_id: int) -> set[str]:
        return {k for k, e in self.adjustment_signals(position_id).items() if e.state == SignalState.On}

    def trigger_status(self, position_id: int, condition: str) -> ConditionEvaluation | None:
        """The last evaluation of an adjustment's trigger condition the server sent (None: never)."""
        event = self.adjustment_signals(position_id).get(condition)
        return event.condition if event is not None else None

    # -- flows -------------------------------------------------------------------------------------
    def prepare(self, kind: FlowKind, args: dict[str, Any], on_progress: ProgressListener | None = None,
                on_unknown: UnknownListener | None = None) -> PrepareJob:
        return PrepareJob(self.session, kind, args, on_progress, on_unknown)

    def plan(self, kind: FlowKind, result: AnyResult) -> PlanView:
        plan = PlanView(kind, result, paper=self.is_paper(result.broker_account_id))
        if kind is FlowKind.EXIT and plan.position_id is not None:
            plan.exit_signal = self.exit_signal(plan.position_id)
        return plan

    def open_ticket(self, plan: PlanView) -> Ticket:
        """A ticket with a live quote feed on the plan's legs (``ticket.feed.stop()`` when done)."""
        names = list(plan.legs)
        feed = LegQuotes(self.session, {n: plan.legs[n].live_contract for n in names},
                         {n: plan.planned_qty(n) for n in names}, self.provider(),
                         initial={n: p for n, p in plan.result.leg_prices.items() if p is not None})
        feed.start()
        # a paper account's commissions are what the trader enters with the fills (0 unless entered)
        commission = Decimal(0) if plan.paper else self.commission_per_contract()
        ticket = Ticket(self.orders, plan, feed, self.limits(), commission)
        ticket.start()
        return ticket

    def paper_sheet(self, ticket: Ticket) -> PaperSheet:
        plan = ticket.plan

        def underlying() -> Decimal | None:
            live = ticket.feed.underlying
            if live is not None and live.mark is not None:
                return live.mark
            return plan.result.underlying_price.mark if plan.result.underlying_price is not None else None

        return PaperSheet(plan, ticket.quotes, underlying, self.limits())

    def order_quotes(self, order_id: int) -> LegQuotes | None:
        """A live quote feed on a working order's legs (for the modify dialog); None when unknown."""
        spec = self.orders.spec_of(order_id)
        if spec is None:
            return None
        feed = LegQuotes(self.session, spec.contracts, spec.ratios, self.provider())
        feed.start()
        return feed
