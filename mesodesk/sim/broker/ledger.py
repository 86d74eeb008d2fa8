"""The ledger: fills become executions, legs, positions, plan progress and account cash.

:meth:`Ledger._execute` books one fill of one order (in the caller's transaction) and
publishes the order, leg and position events in the documented reconcile order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from mesodesk.contract import (
    LegStatus,
    LegUpdateEvent,
    LiveAccount,
    LiveExecution,
    LiveLeg,
    LivePositionState,
    MesoContractType,
    MesoLiveEvent,
    OrderState,
    PositionStatus,
    PositionUpdateEvent,
    StatusCode,
)
from mesodesk.sim.broker.records import (
    ZERO,
    BrokerBase,
    BrokerOrder,
    _d2,
    _multiplier,
    _q,
    _sign,
    contract_spec,
)
from mesodesk.sim.execplans import ExecPlan, ExecPlanKind, ExecPlanStatus, LegAction, PlannedLeg
from mesodesk.sim.hubs.api import ApiFailure
from mesodesk.sim.world import PositionRecord


class Ledger(BrokerBase):
    """Executions, legs, positions and accounts (below the fill engine and order intake)."""

    #: Entry.VarDefines evaluated on a completely filled entry (the server sets
    #: :func:`mesodesk.sim.position_env.entry_vars_after_fills`); None keeps the Build preview's.
    entry_vars: Callable[[PositionRecord], dict[str, Decimal]] | None = None

    def _init_cash_basis(self) -> None:
        """Once per database: book the entry value of pre-existing (seed) positions into cash."""
        if self.store.meta_get("broker:cash_basis") is not None:
            return
        with self.store.tx():
            self._guard()
            for account in list(self.world.accounts.values()):
                cost = sum((leg.qty * leg.avg_entry_price * _multiplier(leg.live_contract)
                            for leg in self._open_legs(account.broker_account_id)), ZERO)
                self.world.save_account(account.model_copy(update={"cash": (account.cash or ZERO) - cost}))
                self.refresh_account(account.broker_account_id)
            self.store.meta_set("broker:cash_basis", "1")

    def _execute(self, plan: ExecPlan, record: BrokerOrder, combos: Decimal, combo_price: Decimal,
                 fills: list[tuple[str, Decimal, Decimal, Decimal]], now: datetime) -> list[int]:
        """Apply fills (leg name, signed qty, price, commission) of ``combos`` combo units."""
        position_events: list[MesoLiveEvent] = []
        leg_events: list[MesoLiveEvent] = []
        multiplier = record.qty_multiplier or plan.qty_multiplier
        position, created = self._ensure_position(plan, multiplier, now)
        first_fill = plan.status == ExecPlanStatus.Prepared
        realized_before = self._position_realized(position.id)
        cash_delta = ZERO
        execution_ids: list[int] = []
        for name, qty, price, commission in fills:
            planned = plan.legs[name]
            leg = self._apply_leg(plan, position, planned, qty, price, commission, now, leg_events)
            planned.filled_qty += qty
            execution_id = self.world.next_id("execution")
            execution = LiveExecution(
                execution_id=execution_id, order_id=record.order.order_id, leg_id=leg.id,
                leg_name=name, exec_plan_id=plan.id, broker_account_id=plan.broker_account_id,
                contract=planned.contract, qty=qty, price=price, commission=commission, executed_at=now,
                broker_exec_id=f"SIM-{record.order.order_id}-{execution_id}",
            )
            self._save_execution(execution)
            execution_ids.append(execution.execution_id)
            cash_delta -= qty * price * _multiplier(planned.contract) + commission
        # the order
        o = record.order
        filled_before = record.filled_combos
        record.filled_combos += combos
        avg = ((o.avg_fill_price or ZERO) * filled_before + combo_price * combos) / record.filled_combos
        o.avg_fill_price = _q(avg)
        o.last_fill_price = combo_price
        o.cum_qty = record.filled_combos if o.side == "B" else -record.filled_combos
        o.filled_at = now
        o.last_updated = now
        o.state = OrderState.Filled if record.remaining <= 0 else OrderState.PartiallyFilled
        self._save_order(record)
        # the plan
        done = all(abs(leg.filled_qty) >= abs(self.planned_qty(leg, multiplier)) for leg in plan.legs.values())
        plan.status = ExecPlanStatus.Done if done else ExecPlanStatus.Executing
        plan.qty_multiplier = multiplier
        self.save_plan(plan)
        # the position
        position = self.world.positions[position.id]
        realized = self._position_realized(position.id)
        legs = self.world.position_legs(position.id)
        closed = bool(legs) and all(leg.closed_at is not None for leg in legs)
        groups = {g: list(names) for g, names in position.leg_groups.items()}
        for leg in legs:
            if leg.closed_at is None and leg.name not in groups.setdefault(leg.leg_group_id, []):
                groups[leg.leg_group_id].append(leg.name)
        update: dict[str, Any] = {"realized_pnl": realized, "leg_groups": groups}
        if done and plan.kind == ExecPlanKind.Adjustment and plan.vars:
            update["vars"] = {**position.vars, **plan.vars}  # the adjustment's VarDefines apply once filled
        if done and plan.kind == ExecPlanKind.Entry and self.entry_vars is not None:
            update["vars"] = self.entry_vars(position)  # Entry.VarDefines on the filled position [D]
        if closed:
            update.update(state=LivePositionState.Closed, closed_at=now)
        position = position.model_copy(update=update)
        self.world.save_position(position)
        if created:
            position_events.append(self._position_event(position, PositionStatus.Created, now))
        elif first_fill and plan.kind == ExecPlanKind.Adjustment:
            position_events.append(self._position_event(position, PositionStatus.Adjusted, now))
        if closed:
            position_events.append(self._position_event(position, PositionStatus.Closed, now))
        elif realized != realized_before:
            position_events.append(self._position_event(position, PositionStatus.RealizedPnLChanged, now))
        self.refresh_account(plan.broker_account_id, cash_delta)
        # events: order -> legs -> position (the documented reconcile order)
        self._publish_order(record, now, fill_price=combo_price)
        for event in leg_events + position_events:
            self.events.publish(event)
        return execution_ids

    def _ensure_position(self, plan: ExecPlan, multiplier: Decimal, now: datetime) -> tuple[PositionRecord, bool]:
        if plan.position_id is not None and plan.position_id in self.world.positions:
            return self.world.positions[plan.position_id], False
        position = PositionRecord(
            id=self.world.next_id("position"), state=LivePositionState.Open, created_at=now,
            name=plan.position_name, broker_account_id=plan.broker_account_id, live_strategy_id=plan.strategy_id,
            strategy_name=plan.strategy_name, qty_multiplier=multiplier, underlying=plan.underlying,
            vars=dict(plan.vars), leg_groups={g: list(n) for g, n in plan.leg_groups.items()},
            realized_pnl=ZERO,
        )
        self.world.save_position(position)
        plan.position_id = position.id
        return position, True

    def _find_leg(self, position: PositionRecord, planned: PlannedLeg) -> LiveLeg | None:
        if planned.action == LegAction.Close and planned.existing_leg_id is not None:
            return self.world.legs.get(planned.existing_leg_id)
        for leg in self.world.position_legs(position.id):
            if leg.closed_at is None and leg.name == planned.name and (
                    planned.action == LegAction.Close or leg.live_contract == planned.contract):
                return leg
        return None

    def _apply_leg(self, plan: ExecPlan, position: PositionRecord, planned: PlannedLeg, qty: Decimal,
                   price: Decimal, commission: Decimal, now: datetime, events: list[MesoLiveEvent]) -> LiveLeg:
        mult = _multiplier(planned.contract)
        per_unit = commission / (abs(qty) * mult)
        leg = self._find_leg(position, planned)
        if leg is None:
            if planned.action == LegAction.Close:
                raise ApiFailure(StatusCode.Conflict, f"leg {planned.name!r} to close is not open in position "
                                 f"{position.id}", code="LegNotOpen")
            leg = LiveLeg(
                id=self.world.next_id("leg"), name=planned.name, live_contract=planned.contract,
                leg_group_id=planned.leg_group_id, created_at=now, live_position_id=position.id,
                account_id=plan.broker_account_id, underlying=plan.underlying, qty=qty,
                avg_entry_price=_q(price + per_unit * _sign(qty)), tracked_realized_pnl=ZERO,
            )
            self.world.save_leg(leg)
            events.append(self._leg_event(position, leg, LegStatus.Created, now))
            return leg
        if _sign(qty) == _sign(leg.qty) or leg.qty == 0:
            total = leg.qty + qty
            avg = (leg.avg_entry_price * leg.qty + (price + per_unit * _sign(qty)) * qty) / total
            leg = leg.model_copy(update={"qty": total, "avg_entry_price": _q(avg), "closed_at": None})
            self.world.save_leg(leg)
            events.append(self._leg_event(position, leg, LegStatus.QtyChanged, now))
            return leg
        closing = min(abs(qty), abs(leg.qty))
        pnl = (price - leg.avg_entry_price) * _sign(leg.qty) * closing * mult - commission
        total = leg.qty + qty
        tracked = _q((leg.tracked_realized_pnl or ZERO) + pnl, "0.01")
        leg = leg.model_copy(update={"qty": total, "tracked_realized_pnl": tracked,
                                     "closed_at": now if total == 0 else None})
        self.world.save_leg(leg)
        events.append(self._leg_event(position, leg, LegStatus.Closed if total == 0 else LegStatus.QtyChanged, now))
        if total != 0:
            events.append(self._leg_event(position, leg, LegStatus.RealizedPnLChanged, now))
        return leg

    def _position_realized(self, position_id: int) -> Decimal:
        return sum((leg.total_realized_pnl for leg in self.world.position_legs(position_id)), ZERO)

    # ------------------------------------------------------------------ accounts
    def _open_legs(self, account_id: str) -> list[LiveLeg]:
        return [leg for p in self.world.open_positions() if p.broker_account_id == account_id
                for leg in self.world.position_legs(p.id) if leg.closed_at is None and leg.qty != 0]

    def refresh_account(self, account_id: str, cash_delta: Decimal = ZERO) -> LiveAccount:
        """NAV = cash + marked open legs; margin = sum of positions' max loss at expiration."""
        account = self.world.accounts[account_id]
        legs = [leg for leg in self._open_legs(account_id)
                if leg.live_contract.contract_type == MesoContractType.Options]
        quotes = self.market.quotes([contract_spec(leg.live_contract) for leg in legs]) if legs else []
        value = sum((leg.qty * _d2(q.mark) * _multiplier(leg.live_contract)
                     for leg, q in zip(legs, quotes, strict=True)), ZERO)
        by_position: dict[int, list[LiveLeg]] = {}
        for leg in legs:
            by_position.setdefault(leg.live_position_id, []).append(leg)
        margin = sum((max_loss(p_legs) for p_legs in by_position.values()), ZERO)
        cash = (account.cash or ZERO) + cash_delta
        update = {"cash": _q(cash, "0.01"), "net_liquidation_value": _q(cash + value, "0.01"),
                  "maintenance_margin_req": _q(margin, "0.01"),
                  "active_positions": self.world.active_positions(account_id)}
        if any(getattr(account, k) != v for k, v in update.items()):
            account = account.model_copy(update={**update, "last_updated": self._now()})
            self.world.save_account(account)
        return account

    @staticmethod
    def _leg_event(position: PositionRecord, leg: LiveLeg, status: LegStatus, now: datetime) -> LegUpdateEvent:
        return LegUpdateEvent(
            event_time=now, broker_account_id=leg.account_id, position_id=position.id,
            position_name=position.name, strategy_id=position.live_strategy_id,
            strategy_name=position.strategy_name, leg_id=leg.id, leg_name=leg.name, contract=leg.live_contract,
            status=status, qty=leg.qty, realized_pnl=leg.total_realized_pnl,
        )

    @staticmethod
    def _position_event(position: PositionRecord, status: PositionStatus, now: datetime) -> PositionUpdateEvent:
        return PositionUpdateEvent(
            event_time=now, position_id=position.id, strategy_id=position.live_strategy_id,
            strategy_name=position.strategy_name, position_name=position.name,
            broker_account_id=position.broker_account_id, status=status,
            realized_pnl=position.realized_pnl or ZERO,
        )


def max_loss(legs: list[LiveLeg]) -> Decimal:
    """Worst payoff at expiration (0 to twice the top strike), as a positive number."""
    strikes = sorted({leg.live_contract.strike for leg in legs if leg.live_contract.strike is not None})
    if not strikes:
        return ZERO
    points = [ZERO, *strikes, strikes[-1] * 2]
    worst = ZERO
    for s in points:
        payoff = ZERO
        for leg in legs:
            k = leg.live_contract.strike or ZERO
            call = leg.live_contract.option_type is not None and leg.live_contract.option_type.value == "Call"
            intrinsic = max(s - k, ZERO) if call else max(k - s, ZERO)
            payoff += leg.qty * intrinsic * _multiplier(leg.live_contract)
        worst = min(worst, payoff)
    return -worst
