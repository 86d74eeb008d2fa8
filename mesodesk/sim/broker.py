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
* DAY orders still working on a later trading date are cancelled.
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

import logging
import math
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from mesodesk.contract import (
    TERMINAL_ORDER_STATES,
    ApplyPaperFillsArgs,
    ApplyPaperFillsResult,
    CancelOrderArgs,
    CancelOrderResult,
    LegStatus,
    LegUpdateEvent,
    LiveAccount,
    LiveContract,
    LiveExecution,
    LiveLeg,
    LivePositionState,
    MesoContractType,
    MesoLiveEvent,
    Order,
    OrderRejectionInfo,
    OrderState,
    OrderType,
    OrderUpdateEvent,
    PositionStatus,
    PositionUpdateEvent,
    SendOrderArgs,
    SendOrderResult,
    StatusCode,
    TimeInForce,
)
from mesodesk.sim.agents import AgentService
from mesodesk.sim.events import EventLog
from mesodesk.sim.execplans import ExecPlan, ExecPlanKind, ExecPlanStatus, LegAction, PlannedLeg
from mesodesk.sim.hubs.api import ApiFailure, not_found
from mesodesk.sim.market import ET, Market, OptionSpec, Quote
from mesodesk.sim.world import PositionRecord, World

log = logging.getLogger("mesodesk.sim.broker")

ZERO = Decimal(0)
COMMISSION_PER_CONTRACT = Decimal("1.50")
CLIP_SIZE = Decimal(10)
ACCOUNT_REFRESH_TICKS = 40


class BrokerOrder(BaseModel):
    """Simulator-internal order record (the wire ``Order`` plus what the broker needs)."""

    order: Order
    strategy_id: int
    strategy_name: str
    kind: ExecPlanKind = ExecPlanKind.Entry
    leg_ratios: dict[str, Decimal] = Field(default_factory=dict)
    leg_contracts: dict[str, LiveContract] = Field(default_factory=dict)
    combos: Decimal = ZERO
    filled_combos: Decimal = ZERO
    qty_multiplier: Decimal | None = None
    triggered: bool = False
    paper: bool = False
    rejection: OrderRejectionInfo | None = None
    replaces_order_id: int | None = None
    replaced_by_order_id: int | None = None

    @property
    def remaining(self) -> Decimal:
        return self.combos - self.filled_combos

    @property
    def working(self) -> bool:
        return self.order.state not in TERMINAL_ORDER_STATES


class _Rejected(Exception):
    """Internal: SendOrder accepted the request but the broker rejects the order."""

    def __init__(self, reason: str, code: str = "Rejected") -> None:
        super().__init__(reason)
        self.info = OrderRejectionInfo(code=code, reason=reason, provider="Simulated")


def _sign(x: Decimal) -> int:
    return (x > 0) - (x < 0)


def _q(x: Decimal, places: str = "0.0001") -> Decimal:
    return x.quantize(Decimal(places)) if x else ZERO


def _fmt(x: Decimal) -> str:
    return format(x.normalize(), "f")


def _d2(x: float) -> Decimal:
    return Decimal(f"{x:.2f}")


def _gcd(values: Iterable[Decimal]) -> Decimal:
    vals = [abs(v) for v in values]
    if not vals or any(v != v.to_integral_value() for v in vals):
        return Decimal(1)
    g = 0
    for v in vals:
        g = math.gcd(g, int(v))
    return Decimal(g or 1)


def contract_spec(contract: LiveContract) -> OptionSpec:
    if (contract.contract_type != MesoContractType.Options or contract.expiration is None
            or contract.strike is None or contract.option_type is None):
        raise ValueError("only option contracts can be quoted")
    symbol = contract.underlying.symbol
    return OptionSpec(symbol, contract.root or symbol, contract.option_type.value,  # type: ignore[arg-type]
                      contract.expiration.astimezone(ET).date(), float(contract.strike))


def _multiplier(contract: LiveContract) -> Decimal:
    return contract.multiplier or Decimal(100)


def invalid(field: str, message: str) -> ApiFailure:
    return ApiFailure(StatusCode.InvalidArguments, f"{field}: {message}", validation_errors={field: [message]})


class Broker:
    """``ctx.broker``: the order/fill engine. Hub-facing methods run inside the
    caller's transaction (``IdempotencyService.execute``) and raise ``ApiFailure``."""

    def __init__(self, world: World, market: Market, events: EventLog, agents: AgentService) -> None:
        self.world = world
        self.store = world.store
        self.market = market
        self.events = events
        self.agents = agents
        self.commission_per_contract = COMMISSION_PER_CONTRACT
        self.clip_size = CLIP_SIZE
        self.orders: dict[int, BrokerOrder] = self.store.load_all("orders", BrokerOrder)
        self.executions: dict[int, LiveExecution] = self.store.load_all("executions", LiveExecution)
        self._ticks = 0
        self._init_cash_basis()

    # ------------------------------------------------------------------ persistence
    def _now(self) -> datetime:
        return self.market.clock.now()

    def _reload(self) -> None:
        """Rebuild in-memory state from the database after a rolled-back transaction."""
        World.__init__(self.world, self.store)
        self.orders = self.store.load_all("orders", BrokerOrder)
        self.executions = self.store.load_all("executions", LiveExecution)

    def _guard(self) -> None:
        self.store.after_rollback(self._reload)

    def load_plan(self, plan_id: int) -> ExecPlan | None:
        return self.store.get("exec_plans", plan_id, ExecPlan)

    def save_plan(self, plan: ExecPlan) -> None:
        self.store.put("exec_plans", plan.id, plan, position_id=plan.position_id)

    def _save_order(self, record: BrokerOrder) -> None:
        self.store.put("orders", record.order.order_id, record, exec_plan_id=record.order.exec_plan_id)
        self.orders[record.order.order_id] = record

    def _save_execution(self, execution: LiveExecution) -> None:
        self.store.put("executions", execution.execution_id, execution, order_id=execution.order_id)
        self.executions[execution.execution_id] = execution

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

    # ------------------------------------------------------------------ reads
    def get_order(self, order_id: int) -> Order:
        record = self.orders.get(order_id)
        if record is None:
            raise not_found("order", order_id)
        return record.order

    def order_rejection(self, order_id: int) -> OrderRejectionInfo | None:
        record = self.orders.get(order_id)
        return None if record is None else record.rejection

    def get_execution(self, execution_id: int) -> LiveExecution:
        execution = self.executions.get(execution_id)
        if execution is None:
            raise not_found("execution", execution_id)
        return execution

    def _account(self, account_id: str) -> LiveAccount:
        account = self.world.accounts.get(account_id)
        if account is None:
            raise not_found("account", account_id)
        return account

    def _plan_for(self, plan_id: int, account: LiveAccount) -> ExecPlan:
        plan = self.load_plan(plan_id)
        if plan is None:
            raise not_found("exec plan", plan_id)
        if plan.broker_account_id != account.broker_account_id:
            raise invalid("BrokerAccountId", f"exec plan {plan_id} belongs to account {plan.broker_account_id}")
        return plan

    # ------------------------------------------------------------------ quantities
    @staticmethod
    def _multiplier_of(plan: ExecPlan, override: Decimal | None) -> Decimal:
        return override if override is not None else plan.qty_multiplier

    @staticmethod
    def planned_qty(leg: PlannedLeg, multiplier: Decimal) -> Decimal:
        """Total signed quantity the plan wants for ``leg``."""
        return leg.qty if leg.action == LegAction.Close else leg.qty * multiplier

    def _reserved(self, plan_id: int, leg_name: str) -> Decimal:
        return sum((r.leg_ratios.get(leg_name, ZERO) * r.remaining for r in self.orders.values()
                    if r.order.exec_plan_id == plan_id and r.working and not r.paper), ZERO)

    def _remaining(self, plan: ExecPlan, leg: PlannedLeg, multiplier: Decimal) -> Decimal:
        return self.planned_qty(leg, multiplier) - leg.filled_qty - self._reserved(plan.id, leg.name)

    def _check_multiplier(self, plan: ExecPlan, multiplier: Decimal | None) -> Decimal:
        if multiplier is None:
            return plan.qty_multiplier
        if multiplier <= 0:
            raise invalid("QtyMultiplier", "must be greater than 0")
        if plan.status != ExecPlanStatus.Prepared and multiplier != plan.qty_multiplier:
            raise _Rejected(f"QtyMultiplier {multiplier} differs from {plan.qty_multiplier}, "
                            "which the exec plan is already executing with", "QtyMultiplierMismatch")
        return multiplier

    @staticmethod
    def _check_plan_open(plan: ExecPlan) -> None:
        if plan.status == ExecPlanStatus.Cancelled:
            raise _Rejected(f"exec plan {plan.id} is Cancelled", "ExecPlanCancelled")
        if plan.status == ExecPlanStatus.Done:
            raise _Rejected(f"exec plan {plan.id} is already fully executed", "ExecPlanDone")

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

    # ------------------------------------------------------------------ SendOrder
    def send_order(self, args: SendOrderArgs) -> SendOrderResult:
        """Accept (maybe as a Rejected order) and try to fill at once. Call inside a transaction."""
        account = self._account(args.broker_account_id)
        if account.is_paper_account:
            raise ApiFailure(StatusCode.NotSupported, f"{account.broker_account_id} is a paper account: "
                             "record its fills with ApplyPaperFills", code="PaperAccount")
        self.agents.require_broker(account)
        plan = self._plan_for(args.exec_plan_id, account)
        replaced = self._replaced(args) if args.replaces_order is not None else None
        self._guard()
        now = self._now()
        if replaced is not None:  # its reservation is released while the new order is built
            previous_state, replaced.order.state = replaced.order.state, OrderState.Cancelled
        record = self._new_order(plan, args, now)
        try:
            self._build(record, plan, args)
        except _Rejected as rejected:  # a rejected replacement leaves the original working
            if replaced is not None:
                replaced.order.state = previous_state
            record.rejection = rejected.info
            record.replaces_order_id = args.replaces_order
            record.order.state = OrderState.Rejected
            self._save_order(record)
            self._publish_order(record, now)
            return SendOrderResult(order_ids=[record.order.order_id])
        if replaced is not None:
            replaced.replaced_by_order_id = record.order.order_id
            self._finish(replaced, OrderState.Cancelled, now)
            record.replaces_order_id = replaced.order.order_id
        if plan.status == ExecPlanStatus.Prepared and args.qty_multiplier is not None:
            plan.qty_multiplier = args.qty_multiplier
            self.save_plan(plan)
        self._save_order(record)
        self._publish_order(record, now)
        self._try_fill(record, now)
        return SendOrderResult(order_ids=[record.order.order_id])

    def _replaced(self, args: SendOrderArgs) -> BrokerOrder:
        assert args.replaces_order is not None
        original = self.orders.get(args.replaces_order)
        if original is None:
            raise not_found("order", args.replaces_order)
        o = original.order
        if o.exec_plan_id != args.exec_plan_id or o.leg_group_id != args.leg_group_id:
            raise invalid("ReplacesOrder", f"order {o.order_id} belongs to exec plan {o.exec_plan_id} "
                          f"leg group {o.leg_group_id}")
        if not original.working:
            raise ApiFailure(StatusCode.Conflict, f"order {o.order_id} is {o.state.value} and cannot be replaced",
                             code="InvalidOrderState")
        return original

    def _new_order(self, plan: ExecPlan, args: SendOrderArgs, now: datetime) -> BrokerOrder:
        lgo = args.leg_group_order
        return BrokerOrder(
            order=Order(order_id=self.world.next_id("order"), created_at=now, exec_plan_id=plan.id,
                        broker_account_id=plan.broker_account_id, leg_group_id=args.leg_group_id,
                        state=OrderState.Working, side="B", qty=lgo.qty or ZERO, cum_qty=ZERO,
                        limit_price=lgo.limit_price, stop_price=lgo.stop_price, order_type=lgo.order_type,
                        time_in_force=lgo.time_in_force, last_updated=now),
            strategy_id=plan.strategy_id, strategy_name=plan.strategy_name, kind=plan.kind,
            combos=lgo.qty or ZERO, qty_multiplier=args.qty_multiplier,
        )

    def _build(self, record: BrokerOrder, plan: ExecPlan, args: SendOrderArgs) -> None:
        """Ratios, quantity and side of a new order; raises ``_Rejected``."""
        lgo = args.leg_group_order
        self._check_plan_open(plan)
        multiplier = self._check_multiplier(plan, args.qty_multiplier)
        group = plan.leg_groups.get(args.leg_group_id)
        if group is None:
            raise _Rejected(f"leg group {args.leg_group_id} is not part of exec plan {plan.id}", "UnknownLegGroup")
        for name in lgo.leg_names:
            if name not in group or name not in plan.legs:
                raise _Rejected(f"leg {name!r} is not in leg group {args.leg_group_id} of exec plan {plan.id}",
                                "LegNotInGroup")
        if len(set(lgo.leg_names)) != len(lgo.leg_names):
            raise _Rejected("LegNames contains duplicates", "DuplicateLeg")
        remaining = {n: self._remaining(plan, plan.legs[n], multiplier) for n in lgo.leg_names}
        if lgo.leg_qtys is not None:
            if set(lgo.leg_qtys) != set(lgo.leg_names) or any(v == 0 for v in lgo.leg_qtys.values()):
                raise _Rejected("LegQtys must give a non-zero ratio for exactly the legs in LegNames", "BadLegQtys")
            ratios = dict(lgo.leg_qtys)
            first = lgo.leg_names[0]
            combos = lgo.qty or (abs(remaining[first] / ratios[first]) if ratios[first] else ZERO)
        else:
            planned = {n: self.planned_qty(plan.legs[n], multiplier) for n in lgo.leg_names}
            g = _gcd(planned.values())
            ratios = {n: q / g for n, q in planned.items() if q}
            if len(ratios) != len(planned):
                raise _Rejected("the exec plan has a zero quantity for a leg in LegNames", "QtyTooLarge")
            combos = lgo.qty or min(abs(remaining[n] / ratios[n]) for n in lgo.leg_names)
        for name in lgo.leg_names:
            want, left = ratios[name] * combos, remaining[name]
            if left == 0:
                raise _Rejected(f"quantity too large: leg {name!r} has nothing left to fill", "QtyTooLarge")
            if _sign(want) != _sign(left) or abs(want) > abs(left):
                raise _Rejected(f"quantity too large: leg {name!r} would fill {_fmt(want)} but only {_fmt(left)} "
                                "remain in the exec plan", "QtyTooLarge")
        record.leg_ratios = ratios
        record.leg_contracts = {n: plan.legs[n].contract for n in lgo.leg_names}
        record.combos = combos
        record.qty_multiplier = multiplier
        try:
            _, mark, _ = self.natural(record)
        except ValueError as exc:
            raise _Rejected(str(exc), "UnsupportedContract") from None
        reference = lgo.limit_price if lgo.limit_price is not None else lgo.stop_price
        side = "S" if (reference if reference is not None else mark) < 0 else "B"
        record.order.side = side
        record.order.qty = combos if side == "B" else -combos

    # ------------------------------------------------------------------ CancelOrder
    def cancel_order(self, args: CancelOrderArgs) -> CancelOrderResult:
        record = self.orders.get(args.order_id)
        if record is None:
            raise not_found("order", args.order_id)
        if args.broker_account_id is not None and args.broker_account_id != record.order.broker_account_id:
            raise invalid("BrokerAccountId", f"order {args.order_id} belongs to {record.order.broker_account_id}")
        if not record.working:
            raise ApiFailure(StatusCode.Conflict, f"order {args.order_id} is {record.order.state.value}; only "
                             "working orders can be cancelled", code="InvalidOrderState")
        self.agents.require_broker(self._account(record.order.broker_account_id))
        self._guard()
        self._finish(record, OrderState.Cancelled, self._now())
        return CancelOrderResult(order_id=args.order_id, state=record.order.state)

    def cancel_plan_orders(self, plan_id: int) -> list[int]:
        """Cancel every working order of an exec plan (e.g. when the plan is cancelled)."""
        with self.store.tx():
            self._guard()
            now = self._now()
            ids = [r.order.order_id for r in self.orders.values() if r.order.exec_plan_id == plan_id and r.working]
            for order_id in ids:
                self._finish(self.orders[order_id], OrderState.Cancelled, now)
        return ids

    def _finish(self, record: BrokerOrder, state: OrderState, now: datetime) -> None:
        record.order.state = state
        record.order.last_updated = now
        self._save_order(record)
        self._publish_order(record, now)

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

    # ------------------------------------------------------------------ ApplyPaperFills
    def apply_paper_fills(self, args: ApplyPaperFillsArgs) -> ApplyPaperFillsResult:
        account = self._account(args.broker_account_id)
        if not account.is_paper_account:
            raise ApiFailure(StatusCode.NotSupported, f"{account.broker_account_id} is a broker account: paper "
                             "fills apply to paper accounts only; send orders instead", code="NotPaperAccount")
        plan = self._plan_for(args.exec_plan_id, account)
        if plan.status in (ExecPlanStatus.Cancelled, ExecPlanStatus.Done):
            raise ApiFailure(StatusCode.Conflict, f"exec plan {plan.id} is {plan.status.value}",
                             code="InvalidExecPlanState")
        if args.qty_multiplier is not None and args.qty_multiplier <= 0:
            raise invalid("QtyMultiplier", "must be greater than 0")
        multiplier = self._multiplier_of(plan, args.qty_multiplier)
        if plan.status != ExecPlanStatus.Prepared and multiplier != plan.qty_multiplier:
            raise invalid("QtyMultiplier", f"the exec plan is executing with {plan.qty_multiplier}")
        if args.leg_group_id is not None and args.leg_group_id not in plan.leg_groups:
            raise invalid("LegGroupId", f"leg group {args.leg_group_id} is not part of exec plan {plan.id}")
        scope = (plan.leg_groups[args.leg_group_id] if args.leg_group_id is not None
                 else [n for names in plan.leg_groups.values() for n in names] or list(plan.legs))
        group_of = {n: g for g, names in plan.leg_groups.items() for n in names}
        by_group: dict[int, list[tuple[str, Decimal, Decimal, Decimal]]] = {}
        for name, fill in args.fills.items():
            field = f"Fills.{name}"
            if name not in scope or name not in plan.legs:
                raise invalid(field, "not a leg of the exec plan" + (
                    f" in leg group {args.leg_group_id}" if args.leg_group_id is not None else ""))
            if fill.price < 0:
                raise invalid(f"{field}.Price", "must not be negative (the sign comes from the leg quantity)")
            if fill.commission is not None and fill.commission < 0:
                raise invalid(f"{field}.Commission", "must not be negative")
            planned = plan.legs[name]
            left = self.planned_qty(planned, multiplier) - planned.filled_qty
            if left == 0:
                raise invalid(field, "this leg is already filled")
            if fill.qty is not None and fill.qty <= 0:
                raise invalid(f"{field}.Qty", "must be greater than 0 (the sign comes from the plan)")
            qty = left if fill.qty is None else fill.qty * _sign(left)
            if abs(qty) > abs(left):
                raise invalid(f"{field}.Qty", f"quantity too large: only {_fmt(abs(left))} remain")
            by_group.setdefault(group_of.get(name, planned.leg_group_id), []).append((name, qty, fill.price, fill.commission or ZERO))
        self._guard()
        now = self._now()
        order_ids: list[int] = []
        execution_ids: list[int] = []
        for group_id, fills in sorted(by_group.items()):
            g = _gcd(q for _, q, _, _ in fills)
            ratios = {n: q / g for n, q, _, _ in fills}
            price = sum((ratios[n] * p for n, _, p, _ in fills), ZERO)
            record = BrokerOrder(
                order=Order(order_id=self.world.next_id("order"), created_at=now, exec_plan_id=plan.id,
                            broker_account_id=plan.broker_account_id, leg_group_id=group_id,
                            state=OrderState.Working, side="S" if price < 0 else "B", qty=g if price >= 0 else -g,
                            cum_qty=ZERO, limit_price=price, order_type=OrderType.Limit,
                            time_in_force=TimeInForce.DAY, last_updated=now),
                strategy_id=plan.strategy_id, strategy_name=plan.strategy_name, kind=plan.kind,
                leg_ratios=ratios, leg_contracts={n: plan.legs[n].contract for n in ratios}, combos=g,
                qty_multiplier=multiplier, paper=True,
            )
            execution_ids += self._execute(plan, record, g, price, fills, now)
            order_ids.append(record.order.order_id)
        return ApplyPaperFillsResult(exec_plan_id=plan.id, position_id=plan.position_id, order_ids=order_ids,
                                     execution_ids=execution_ids)

    # ------------------------------------------------------------------ ticks
    def on_tick(self, version: int) -> None:
        """Market tick: trigger/fill working orders, expire DAY orders, refresh accounts."""
        try:
            self._process_tick()
        except Exception:
            log.exception("broker tick failed")

    def _process_tick(self) -> None:
        self._ticks += 1
        working = [r for r in self.orders.values() if r.working and not r.paper]
        if working:
            now = self._now()
            today = now.astimezone(ET).date()
            for record in sorted(working, key=lambda r: r.order.order_id):
                with self.store.tx():
                    self._guard()
                    if (record.order.time_in_force == TimeInForce.DAY
                            and record.order.created_at.astimezone(ET).date() < today):
                        self._finish(record, OrderState.Cancelled, now)
                    elif self.agents.routing:
                        self._try_fill(record, now)
        if self._ticks % ACCOUNT_REFRESH_TICKS == 0:
            with self.store.tx():
                self._guard()
                for account_id in list(self.world.accounts):
                    self.refresh_account(account_id)

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

    # ------------------------------------------------------------------ events
    def _publish_order(self, record: BrokerOrder, now: datetime, fill_price: Decimal | None = None) -> None:
        o = record.order
        self.events.publish(OrderUpdateEvent(
            event_time=now, order_id=o.order_id, broker_account_id=o.broker_account_id,
            exec_plan_id=o.exec_plan_id, leg_group_id=o.leg_group_id, strategy_id=record.strategy_id,
            strategy_name=record.strategy_name, state=o.state, filled_qty=o.cum_qty,
            remaining_qty=o.qty - o.cum_qty, fill_price=fill_price, avg_fill_price=o.avg_fill_price,
            rejection=record.rejection,
        ))

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


def chain_tick(first: Callable[[int], None] | None, then: Callable[[int], None]) -> Callable[[int], None]:
    """Compose tick callbacks (``MarketTicker.on_tick`` holds one): ``first`` runs, then ``then``."""

    def on_tick(version: int) -> None:
        if first is not None:
            first(version)
        then(version)

    return on_tick
