"""Order intake: SendOrder (with replacement), CancelOrder and ApplyPaperFills.

Requests are validated and turned into broker orders here (ratios from
:func:`mesodesk.quant.combos.combo_unit`); a marketable order is filled at once.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from mesodesk.contract import (
    ApplyPaperFillsArgs,
    ApplyPaperFillsResult,
    CancelOrderArgs,
    CancelOrderResult,
    Order,
    OrderState,
    OrderType,
    SendOrderArgs,
    SendOrderResult,
    StatusCode,
    TimeInForce,
)
from mesodesk.quant.combos import combo_unit
from mesodesk.sim.broker.fills import FillEngine
from mesodesk.sim.broker.records import ZERO, BrokerOrder, _fmt, _Rejected, _sign, invalid
from mesodesk.sim.execplans import ExecPlan, ExecPlanStatus, PlannedLeg
from mesodesk.sim.hubs.api import ApiFailure, not_found


class OrderIntake(FillEngine):
    """Hub-facing order requests; they run inside the caller's transaction and raise ``ApiFailure``."""

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
            self._set_side(record, self._reference_price(record, args))  # shown as any other order
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
            g = combo_unit(planned.values())
            ratios = {n: q / g for n, q in planned.items() if q}
            if len(ratios) != len(planned):
                raise _Rejected("the exec plan has a zero quantity for a leg in LegNames", "QtyTooLarge")
            combos = lgo.qty or min(abs(remaining[n] / ratios[n]) for n in lgo.leg_names)
        record.leg_ratios = ratios  # known from here on, also to a rejected order (its side)
        record.leg_contracts = {n: plan.legs[n].contract for n in lgo.leg_names}
        record.combos = combos
        for name in lgo.leg_names:
            want, left = ratios[name] * combos, remaining[name]
            if left == 0:
                raise _Rejected(f"quantity too large: leg {name!r} has nothing left to fill", "QtyTooLarge")
            if _sign(want) != _sign(left) or abs(want) > abs(left):
                raise _Rejected(f"quantity too large: leg {name!r} would fill {_fmt(want)} but only {_fmt(left)} "
                                "remain in the exec plan", "QtyTooLarge")
        record.qty_multiplier = multiplier
        try:
            self.natural(record)
        except ValueError as exc:
            raise _Rejected(str(exc), "UnsupportedContract") from None
        self._set_side(record, self._reference_price(record, args))

    def _reference_price(self, record: BrokerOrder, args: SendOrderArgs) -> Decimal | None:
        """The order's limit, else its stop, else the combo mark (None when it cannot be priced)."""
        lgo = args.leg_group_order
        if lgo.limit_price is not None or lgo.stop_price is not None:
            return lgo.limit_price if lgo.limit_price is not None else lgo.stop_price
        if not record.leg_ratios:
            return None
        try:
            return self.natural(record)[1]
        except ValueError:
            return None

    @staticmethod
    def _set_side(record: BrokerOrder, price: Decimal | None) -> None:
        """``Side`` "S" and a negative ``Qty`` for a credit, "B" and a positive one otherwise."""
        side: Literal["B", "S"] = "S" if price is not None and price < 0 else "B"
        record.order.side = side
        record.order.qty = ZERO - record.combos if side == "S" else record.combos  # never a -0

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
            g = combo_unit(q for _, q, _, _ in fills)
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
