"""Prepare (Build) jobs for position entry, exit and adjustment.

Life cycle: ``Start*`` validates synchronously, then records a ``Pending`` job
together with its idempotency record (same key -> same JobId). An asyncio task
moves it to ``Running``, waits ``delay`` seconds (a realistic build latency) and
resolves it against the live simulated chain in ONE transaction: the
:class:`~mesodesk.sim.execplans.ExecPlan`, the ``Completed`` job with its result,
the idempotency record's job fields and the ``...PreparationCompleted`` event. A
failed build publishes ``...PreparationFailed``. Cancel is best effort and
publishes nothing. Jobs are stored in the ``jobs`` table; a job still
Pending/Running when the server stopped becomes ``Failed`` at the next start.

ExecPlan contents (what the broker executes):

* Entry: ``position_id`` None; one ``Open`` leg per structure leg, ``qty`` per
  combo unit; ``qty_multiplier`` = the evaluated Entry.QtyMultiplier; ``vars`` =
  the Entry.VarDefines preview (copy them onto the position at its first fill).
* Exit: ``qty_multiplier`` 1; one ``Close`` leg per open position leg with the
  full closing quantity (``-leg.qty``) and ``existing_leg_id``.
* Adjustment (``qty_multiplier`` 1, full quantities): RemoveLegs = ``Close`` legs;
  AddLegs = ``Open`` legs (qty scaled by the position's QtyMultiplier);
  MoveLeg = a ``Close`` leg keyed ``"<name>:close"`` plus the replacement keyed
  ``"<name>"`` with action ``Move`` and ``replaces_leg_id``, both in the old leg's
  group; ``vars`` = position vars plus the adjustment's VarDefines.
  UpdateVars is applied at completion; its plan has no legs and is ``Done``.

Result pricing blocks describe the legs dict of the same result: the selected
legs (entry, qty x QtyMultiplier, combo prices per combo unit), the position legs
as held (exit), or the order legs (adjustment). ``LegGroupQtys`` are always the
order quantities (leg fill qty = LegQtys x GroupQty).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from mesodesk.contract import (
    CancelPrepareResult,
    ConditionType,
    DataProviderType,
    GetPreparePositionAdjustmentStatusResult,
    GetPreparePositionEntryStatusResult,
    GetPreparePositionExitStatusResult,
    IdempotencyOperation,
    LegGroupQtys,
    LiveLeg,
    LiveLegSelectionConstraint,
    LivePositionState,
    PositionAdjustmentOperation,
    PositionAdjustmentPreparationCompletedEvent,
    PositionAdjustmentPreparationFailedEvent,
    PositionEntryPreparationCompletedEvent,
    PositionEntryPreparationFailedEvent,
    PositionExitPreparationCompletedEvent,
    PositionExitPreparationFailedEvent,
    PreparationStatus,
    PreparePositionAdjustmentArgs,
    PreparePositionAdjustmentResult,
    PreparePositionEntryArgs,
    PreparePositionEntryResult,
    PreparePositionExitArgs,
    PreparePositionExitResult,
    StartPrepareResult,
    StatusCode,
    UtcDatetime,
    WireModel,
    dumps,
    loads,
)
from mesodesk.sim.execplans import ExecPlan, ExecPlanKind, ExecPlanStatus, LegAction, PlannedLeg
from mesodesk.sim.hubs.api import ApiFailure, not_found
from mesodesk.sim.market import UNDERLYINGS
from mesodesk.sim.position_env import position_env
from mesodesk.sim.pricing import named_blocks
from mesodesk.sim.strategy import (
    ADJUSTMENT_ACTIONS,
    BuildError,
    ResolvedLeg,
    StrategyBuilder,
    constraint_of,
    evaluate_conditions,
    evaluate_var_defines,
    leg_variables,
    spec_key,
    spec_of,
    taken_contracts,
)
from mesodesk.sim.world import PositionRecord

log = logging.getLogger("mesodesk.sim.jobs")

TERMINAL = frozenset({PreparationStatus.Completed, PreparationStatus.Failed, PreparationStatus.Cancelled})
_ACTION_OF = {
    PositionAdjustmentOperation.MoveLeg: "MoveLegAdjustment",
    PositionAdjustmentOperation.RemoveLegs: "RemoveLegsAdjustment",
    PositionAdjustmentOperation.AddLegs: "AddLegsAdjustment",
    PositionAdjustmentOperation.UpdateVars: "UpdateVarsAdjustment",
}
_START_OP = {
    ExecPlanKind.Entry: IdempotencyOperation.StartPreparePositionEntry,
    ExecPlanKind.Exit: IdempotencyOperation.StartPreparePositionExit,
    ExecPlanKind.Adjustment: IdempotencyOperation.StartPreparePositionAdjustment,
}
_CANCEL_OP = {
    ExecPlanKind.Entry: IdempotencyOperation.CancelPreparePositionEntry,
    ExecPlanKind.Exit: IdempotencyOperation.CancelPreparePositionExit,
    ExecPlanKind.Adjustment: IdempotencyOperation.CancelPreparePositionAdjustment,
}
_ARGS: dict[ExecPlanKind, type[WireModel]] = {ExecPlanKind.Entry: PreparePositionEntryArgs, ExecPlanKind.Exit: PreparePositionExitArgs,
         ExecPlanKind.Adjustment: PreparePositionAdjustmentArgs}
_STATUS = {ExecPlanKind.Entry: GetPreparePositionEntryStatusResult,
           ExecPlanKind.Exit: GetPreparePositionExitStatusResult,
           ExecPlanKind.Adjustment: GetPreparePositionAdjustmentStatusResult}
_COMPLETED = {ExecPlanKind.Entry: PositionEntryPreparationCompletedEvent,
              ExecPlanKind.Exit: PositionExitPreparationCompletedEvent,
              ExecPlanKind.Adjustment: PositionAdjustmentPreparationCompletedEvent}
_FAILED = {ExecPlanKind.Entry: PositionEntryPreparationFailedEvent,
           ExecPlanKind.Exit: PositionExitPreparationFailedEvent,
           ExecPlanKind.Adjustment: PositionAdjustmentPreparationFailedEvent}


class JobRecord(BaseModel):
    """A prepare job as stored in the ``jobs`` table (simulator-internal)."""

    job_id: str
    kind: ExecPlanKind
    status: PreparationStatus
    args: dict[str, Any]  # the Start* args, wire JSON
    strategy_id: int
    strategy_name: str
    broker_account_id: str | None = None
    position_id: int | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    error: str | None = None
    result: dict[str, Any] | None = None  # the Prepare*Result, wire JSON
    exec_plan_id: int | None = None


def check_provider(provider: DataProviderType | None) -> None:
    """``null`` = the default (Simulated); any other provider is not connected here."""
    if provider is not None and provider != DataProviderType.Simulated:
        raise ApiFailure(StatusCode.ProviderError, f"data provider {provider.value} is not connected; the "
                         "simulator's agent provides Simulated market data only", code="ProviderNotConnected")


def _invalid(field: str, message: str) -> ApiFailure:
    return ApiFailure(StatusCode.InvalidArguments, f"{field}: {message}", validation_errors={field: [message]})


def load_plan(ctx: Any, exec_plan_id: int) -> ExecPlan | None:
    return ctx.world.store.get("exec_plans", exec_plan_id, ExecPlan)


class JobService:
    """``ctx.jobs``: start/status/cancel of prepare jobs (used by hubs/prepare.py)."""

    def __init__(self, ctx: Any, delay: float = 0.3) -> None:
        self.ctx = ctx
        self.delay = delay
        self.builder = StrategyBuilder(ctx.market)
        self.store = ctx.world.store
        self.jobs: dict[str, JobRecord] = self.store.load_all("jobs", JobRecord)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        for job in list(self.jobs.values()):
            if job.status not in TERMINAL:
                self._fail(job, "interrupted by a server restart before it completed; start a new prepare")

    # ------------------------------------------------------------ public API
    def get(self, job_id: str) -> JobRecord | None:
        return self.jobs.get(job_id)

    async def start(self, kind: ExecPlanKind, args: WireModel) -> StartPrepareResult:
        """Validate, then record a Pending job idempotently and start its task."""
        context: dict[str, Any] = {}

        async def before() -> None:
            context.update(self._validate(kind, args))

        def commit() -> StartPrepareResult:
            now = datetime.now(UTC)
            job = JobRecord(job_id=f"job_{uuid.uuid4().hex}", kind=kind, status=PreparationStatus.Pending,
                            args=loads(dumps(args)), created_at=now, updated_at=now, **context)
            self._save(job)
            self.store.after_commit(lambda: self._spawn(job.job_id))
            return StartPrepareResult(job_id=job.job_id)

        return await self.ctx.idempotency.execute(
            _START_OP[kind], args, commit, before=before,
            describe=lambda r: {"job_id": r.job_id, "job_status": PreparationStatus.Pending})

    def status(self, kind: ExecPlanKind, job_id: str) -> Any:
        job = self._job(kind, job_id)
        model = _STATUS[kind]
        return model.model_validate({"JobId": job.job_id, "Status": job.status, "Error": job.error,
                                     "CreatedAt": job.created_at, "UpdatedAt": job.updated_at,
                                     "Result": job.result})

    async def cancel(self, kind: ExecPlanKind, args: Any) -> CancelPrepareResult:
        async def before() -> None:
            self._job(kind, args.job_id)

        def commit() -> CancelPrepareResult:
            job = self._job(kind, args.job_id)
            if job.status not in TERMINAL:
                job = self._update(job, status=PreparationStatus.Cancelled, error="cancelled by the client")
                self._record_outcome(job)
                task = self._tasks.get(job.job_id)
                if task is not None:
                    self.store.after_commit(task.cancel)
            return CancelPrepareResult(job_id=job.job_id, status=job.status)

        return await self.ctx.idempotency.execute(_CANCEL_OP[kind], args, commit, before=before,
                                                  describe=lambda r: {"job_id": r.job_id, "job_status": r.status})

    async def stop(self) -> None:
        """Cancel running tasks (their jobs are failed as interrupted at the next start)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # ------------------------------------------------------------ validation
    def _validate(self, kind: ExecPlanKind, args: Any) -> dict[str, Any]:
        check_provider(args.data_provider)
        world = self.ctx.world
        if kind == ExecPlanKind.Entry:
            strategy = world.strategies.get(args.strategy_id)
            if strategy is None:
                raise not_found("strategy", args.strategy_id)
            if args.broker_account_id not in world.accounts:
                raise not_found("account", args.broker_account_id)
            if args.underlying.symbol not in UNDERLYINGS:
                raise _invalid("Underlying.Symbol", f"{args.underlying.symbol!r} is not available in the simulator "
                                                    f"({', '.join(UNDERLYINGS)})")
            return {"strategy_id": strategy.id, "strategy_name": strategy.name,
                    "broker_account_id": args.broker_account_id}
        position = self._open_position(args.position_id)
        info = {"strategy_id": position.live_strategy_id, "strategy_name": position.strategy_name,
                "broker_account_id": position.broker_account_id, "position_id": position.id}
        if kind == ExecPlanKind.Exit:
            return info
        definition = self._definition(position)
        actions = self._actions(definition, args.condition)
        action = _ACTION_OF[args.operation]
        if actions.get(action) is None:
            present = [a for a in ADJUSTMENT_ACTIONS if actions.get(a) is not None]
            raise _invalid("Operation", f"the adjustment {args.condition!r} has no {action} "
                                        f"(it has {', '.join(present) or 'nothing'})")
        if args.operation == PositionAdjustmentOperation.MoveLeg:
            name = actions[action].get("LegName")
            if name not in self._open_legs(position):
                raise ApiFailure(StatusCode.Conflict, f"leg {name!r} is not open in position {position.id}",
                                 code="LegNotOpen")
        return info

    def _open_position(self, position_id: int) -> PositionRecord:
        position = self.ctx.world.positions.get(position_id)
        if position is None:
            raise not_found("position", position_id)
        if position.state != LivePositionState.Open:
            raise ApiFailure(StatusCode.Conflict, f"position {position_id} is closed", code="PositionClosed")
        if not self._open_legs(position):
            raise ApiFailure(StatusCode.Conflict, f"position {position_id} has no open legs", code="NoOpenLegs")
        return position

    def _definition(self, position: PositionRecord) -> Mapping[str, Any]:
        strategy = self.ctx.world.strategies.get(position.live_strategy_id)
        if strategy is None:
            raise not_found("strategy", position.live_strategy_id)
        return strategy.strategy_definition

    @staticmethod
    def _actions(definition: Mapping[str, Any], condition: str) -> Mapping[str, Any]:
        conditional = (definition.get("Adjustment") or {}).get("ConditionalAdjustments") or {}
        actions = conditional.get(condition)
        if not isinstance(actions, Mapping):
            known = ", ".join(repr(k) for k in sorted(conditional)) or "none"
            raise _invalid("Condition", f"the strategy has no conditional adjustment {condition!r} "
                                        f"(defined: {known})")
        return actions

    def _open_legs(self, position: PositionRecord) -> dict[str, LiveLeg]:
        return {leg.name: leg for leg in self.ctx.world.position_legs(position.id) if leg.closed_at is None}

    def _job(self, kind: ExecPlanKind, job_id: str) -> JobRecord:
        job = self.jobs.get(job_id)
        if job is None or job.kind != kind:
            raise not_found(f"{kind.value.lower()} prepare job", job_id)
        return job

    # ------------------------------------------------------------ persistence
    def _save(self, job: JobRecord) -> None:
        self.store.put("jobs", job.job_id, job)
        self.jobs[job.job_id] = job

    def _update(self, job: JobRecord, **changes: Any) -> JobRecord:
        job = job.model_copy(update={**changes, "updated_at": datetime.now(UTC)})
        self._save(job)
        return job

    def _record_outcome(self, job: JobRecord) -> None:
        """Mirror the job outcome into its idempotency record (JobStatus/JobResult/LiveExecPlanId)."""
        idem = self.ctx.idempotency
        key = job.args.get("IdempotencyKey")
        record = idem.get(key) if key else None
        if record is None or record.job_id != job.job_id:
            return
        idem.update(record.idempotency_key, job_status=job.status, job_result=job.result,
                    job_error_message=job.error, live_exec_plan_id=job.exec_plan_id)

    def _fail(self, job: JobRecord, error: str) -> None:
        with self.store.tx():
            job = self._update(job, status=PreparationStatus.Failed, error=error)
            self._record_outcome(job)
            self.ctx.events.publish(_FAILED[job.kind](
                event_time=self.ctx.market.now, job_id=job.job_id, strategy_id=job.strategy_id,
                strategy_name=job.strategy_name, broker_account_id=job.broker_account_id, error=error))

    # ------------------------------------------------------------ running
    def _spawn(self, job_id: str) -> None:
        self._tasks[job_id] = asyncio.get_running_loop().create_task(self._run(job_id), name=f"prepare-{job_id}")

    async def _run(self, job_id: str) -> None:
        try:
            job = self.jobs[job_id]
            if job.status != PreparationStatus.Pending:
                return
            self._update(job, status=PreparationStatus.Running)
            await asyncio.sleep(self.delay)
            job = self.jobs[job_id]
            if job.status == PreparationStatus.Running:
                self._complete(job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("prepare job %s failed", job_id)
            job = self.jobs[job_id]
            if job.status not in TERMINAL:
                self._fail(job, f"internal error: {exc}")
        finally:
            self._tasks.pop(job_id, None)

    def _complete(self, job: JobRecord) -> None:
        args = _ARGS[job.kind].model_validate(job.args)
        builds: dict[ExecPlanKind, Callable[[JobRecord, Any], tuple[WireModel, ExecPlan]]] = {
            ExecPlanKind.Entry: self._build_entry, ExecPlanKind.Exit: self._build_exit,
            ExecPlanKind.Adjustment: self._build_adjustment,
        }
        build = builds[job.kind]
        try:
            with self.store.tx():
                result, plan = build(job, args)
                self.store.put("exec_plans", plan.id, plan, position_id=plan.position_id)
                job = self._update(job, status=PreparationStatus.Completed, result=loads(dumps(result)),
                                   exec_plan_id=plan.id)
                self._record_outcome(job)
                self.ctx.events.publish(_COMPLETED[job.kind](
                    event_time=self.ctx.market.now, job_id=job.job_id, strategy_id=job.strategy_id,
                    strategy_name=job.strategy_name, broker_account_id=job.broker_account_id, result=result))
        except (BuildError, ApiFailure) as exc:
            self._fail(job, exc.message if isinstance(exc, ApiFailure) else str(exc))

    # ------------------------------------------------------------ builds
    def _new_plan(self, job: JobRecord, kind: ExecPlanKind, position: PositionRecord | None, name: str,
                  underlying: str, **fields: Any) -> ExecPlan:
        return ExecPlan(id=self.ctx.world.next_id("exec_plan"), kind=kind, strategy_id=job.strategy_id,
                        strategy_name=job.strategy_name, broker_account_id=job.broker_account_id or "",
                        position_id=position.id if position else None, position_name=name, underlying=underlying,
                        created_at=self.ctx.market.now, job_id=job.job_id, **fields)

    def _build_entry(self, job: JobRecord, args: PreparePositionEntryArgs) -> tuple[WireModel, ExecPlan]:
        world, market = self.ctx.world, self.ctx.market
        strategy = world.strategies.get(args.strategy_id)
        account = world.accounts.get(args.broker_account_id)
        if strategy is None or account is None:
            raise BuildError("the strategy or the account no longer exists")
        open_positions = [p for p in world.open_positions() if p.broker_account_id == account.broker_account_id]
        account_legs = [leg for p in open_positions for leg in world.position_legs(p.id)]
        in_flight = sum(1 for p in open_positions if p.live_strategy_id == strategy.id)
        env: dict[str, Any] = {"nav": float(account.net_liquidation_value or 0), "pos_in_flight": float(in_flight)}
        symbol = args.underlying.symbol
        build = self.builder.build_entry(strategy.strategy_definition, symbol, env, args.leg_selection_constraint,
                                         taken_contracts(account_legs))
        qm = build.qty_multiplier
        now = market.now
        selected = {
            n: LiveLeg(id=0, name=n, live_contract=leg.contract, leg_group_id=leg.leg_group_id, created_at=now,
                       live_position_id=0, account_id=account.broker_account_id, underlying=symbol,
                       qty=leg.qty * qm, avg_entry_price=Decimal(0))
            for n, leg in build.legs.items()
        }
        groups = _groups(selected)
        group_qtys = {g: LegGroupQtys(leg_qtys={n: build.legs[n].qty for n in names}, group_qty=qm)
                      for g, names in groups.items()}
        plan = self._new_plan(
            job, ExecPlanKind.Entry, None, args.position_name, symbol, qty_multiplier=qm,
            legs={n: PlannedLeg(name=n, contract=leg.contract, qty=leg.qty, leg_group_id=leg.leg_group_id)
                  for n, leg in build.legs.items()},
            leg_groups=groups, leg_group_qtys=group_qtys, vars=build.vars)
        blocks = named_blocks(market, symbol, selected, units=float(qm))
        result = PreparePositionEntryResult(
            exec_plan_id=plan.id, position_name=args.position_name, strategy_id=strategy.id,
            strategy_name=strategy.name, broker_account_id=account.broker_account_id, selected_legs=selected,
            abort_conditions=build.abort_conditions, entry_conditions=build.entry_conditions,
            entry_allowed=build.entry_allowed, qty_multiplier=qm, leg_groups=groups, leg_group_qtys=group_qtys,
            vars=build.vars, **_blocks(blocks))
        return result, plan

    def _build_exit(self, job: JobRecord, args: PreparePositionExitArgs) -> tuple[WireModel, ExecPlan]:
        position = self._open_position(args.position_id)
        held = self._open_legs(position)
        underlying = position.underlying or next(iter(held.values())).underlying
        groups = _groups(held)
        plan = self._new_plan(
            job, ExecPlanKind.Exit, position, position.name, underlying,
            legs={n: PlannedLeg(name=n, contract=leg.live_contract, qty=-leg.qty, leg_group_id=leg.leg_group_id,
                                action=LegAction.Close, existing_leg_id=leg.id) for n, leg in held.items()},
            leg_groups=groups, leg_group_qtys=_unit_group_qtys(groups, {n: -leg.qty for n, leg in held.items()}),
            vars=dict(position.vars))
        blocks = named_blocks(self.ctx.market, underlying, held, units=1.0)
        result = PreparePositionExitResult(
            exec_plan_id=plan.id, position_id=position.id, position_name=position.name,
            strategy_id=job.strategy_id, strategy_name=job.strategy_name,
            broker_account_id=position.broker_account_id, position_legs=held, leg_groups=groups,
            leg_group_qtys=plan.leg_group_qtys, vars=dict(position.vars), **_blocks(blocks))
        return result, plan

    def _build_adjustment(self, job: JobRecord, args: PreparePositionAdjustmentArgs) -> tuple[WireModel, ExecPlan]:
        world, market = self.ctx.world, self.ctx.market
        position = self._open_position(args.position_id)
        definition = self._definition(position)
        body = self._actions(definition, args.condition).get(_ACTION_OF[args.operation])
        if not isinstance(body, Mapping):
            raise BuildError(f"the adjustment {args.condition!r} has no {_ACTION_OF[args.operation]}")
        held = self._open_legs(position)
        underlying = position.underlying or next(iter(held.values())).underlying
        env = position_env(self.ctx, position)  # as the signal evaluator sees it (closed legs' P&L included)
        constraint = args.leg_selection_constraint or constraint_of(definition)
        taken = self._taken(constraint, position, held)
        order: dict[str, LiveLeg] = {}
        planned: dict[str, PlannedLeg] = {}
        abort = []
        new_vars = dict(position.vars)
        plan_status = ExecPlanStatus.Prepared
        if args.operation == PositionAdjustmentOperation.UpdateVars:
            defines = body.get("VarDefines") if "VarDefines" in body else body
            new_vars.update(evaluate_var_defines(defines, env))
            world.save_position(position.model_copy(update={"vars": new_vars}))
            plan_status = ExecPlanStatus.Done
        elif args.operation == PositionAdjustmentOperation.RemoveLegs:
            for name in body.get("LegNames") or []:
                if name not in held:
                    raise BuildError(f"leg {name!r} is not open in position {position.id}")
                self._close(held[name], name, order, planned)
        elif args.operation == PositionAdjustmentOperation.MoveLeg:
            self._move(body, definition, position, held, env, taken, order, planned)
        else:
            abort = self._add(body, definition, position, held, env, taken, order, planned)
        if args.operation != PositionAdjustmentOperation.UpdateVars:
            new_vars.update(evaluate_var_defines(body.get("VarDefines"), env))
        groups = _groups(order)
        plan = self._new_plan(
            job, ExecPlanKind.Adjustment, position, position.name, underlying, legs=planned, leg_groups=groups,
            leg_group_qtys=_unit_group_qtys(groups, {n: leg.qty for n, leg in order.items()}), vars=new_vars,
            operation=args.operation, condition=args.condition, status=plan_status)
        blocks = named_blocks(market, underlying, order, units=1.0)
        result = PreparePositionAdjustmentResult(
            exec_plan_id=plan.id, operation=args.operation, condition=args.condition, position_id=position.id,
            position_name=position.name, strategy_id=job.strategy_id, strategy_name=job.strategy_name,
            broker_account_id=position.broker_account_id, order_legs=order, leg_groups=groups,
            leg_group_qtys=plan.leg_group_qtys, vars=new_vars, qty_multiplier=position.qty_multiplier,
            abort_conditions=abort, adjustment_allowed=all(c.result is False for c in abort),
            **_blocks(blocks))
        return result, plan

    def _taken(self, constraint: LiveLegSelectionConstraint, position: PositionRecord,
               held: Mapping[str, LiveLeg]) -> set[Any]:
        world = self.ctx.world
        if constraint == LiveLegSelectionConstraint.FullyUnique:
            return taken_contracts(leg for p in world.open_positions()
                                   if p.broker_account_id == position.broker_account_id
                                   for leg in world.position_legs(p.id))
        if constraint == LiveLegSelectionConstraint.UniqueInPosition:
            return taken_contracts(held.values())
        return set()

    @staticmethod
    def _close(leg: LiveLeg, key: str, order: dict[str, LiveLeg], planned: dict[str, PlannedLeg]) -> None:
        order[key] = leg.model_copy(update={"qty": -leg.qty})
        planned[key] = PlannedLeg(name=leg.name, contract=leg.live_contract, qty=-leg.qty,
                                  leg_group_id=leg.leg_group_id, action=LegAction.Close, existing_leg_id=leg.id)

    def _new_leg(self, position: PositionRecord, resolved: ResolvedLeg, qty: Decimal, group: int) -> LiveLeg:
        return LiveLeg(id=0, name=resolved.name, live_contract=resolved.contract, leg_group_id=group,
                       created_at=self.ctx.market.now, live_position_id=position.id,
                       account_id=position.broker_account_id, underlying=resolved.spec.underlying, qty=qty,
                       avg_entry_price=Decimal(0))

    def _expirations(self, symbol: str, definition: Mapping[str, Any], body: Mapping[str, Any], names: set[str],
                     env: dict[str, Any]) -> dict[str, Any]:
        defs = {e.get("Name"): e for e in (definition.get("Structure") or {}).get("Expirations") or []}
        defs.update({e.get("Name"): e for e in body.get("Expirations") or []})
        missing = names - set(defs)
        if missing:
            raise BuildError(f"unknown expiration(s) {', '.join(sorted(map(str, missing)))}")
        return self.builder.resolve_expirations(symbol, [defs[n] for n in sorted(names)], env)

    def _move(self, body: Mapping[str, Any], definition: Mapping[str, Any], position: PositionRecord,
              held: Mapping[str, LiveLeg], env: dict[str, Any], taken: set[Any], order: dict[str, LiveLeg],
              planned: dict[str, PlannedLeg]) -> None:
        name = str(body.get("LegName"))
        old = held.get(name)
        if old is None:
            raise BuildError(f"leg {name!r} is not open in position {position.id}")
        spec = spec_of(old.live_contract)
        root, expiration = spec.root, spec.expiration
        if body.get("ExpirationName"):
            exp_name = str(body["ExpirationName"])
            root, expiration = self._expirations(spec.underlying, definition, body, {exp_name}, env)[exp_name]
        new_spec = self.builder.select_strike(spec.underlying, root, expiration, spec.option_type,
                                              body.get("StrikeSelector") or {}, env, taken | {spec_key(spec)},
                                              f"MoveLeg {name}")
        quote = self.ctx.market.quote(new_spec)
        resolved = ResolvedLeg(name, new_spec, quote, old.qty, old.leg_group_id)
        self._close(old, f"{name}:close", order, planned)
        order[name] = self._new_leg(position, resolved, old.qty, old.leg_group_id)
        planned[name] = PlannedLeg(name=name, contract=resolved.contract, qty=old.qty,
                                   leg_group_id=old.leg_group_id, action=LegAction.Move, replaces_leg_id=old.id)
        env.update(leg_variables(name, quote, new_spec.strike, float(old.qty),
                                 float(self.ctx.market.dte(expiration))))

    def _add(self, body: Mapping[str, Any], definition: Mapping[str, Any], position: PositionRecord,
             held: Mapping[str, LiveLeg], env: dict[str, Any], taken: set[Any], order: dict[str, LiveLeg],
             planned: dict[str, PlannedLeg]) -> list[Any]:
        leg_defs = body.get("Legs") or []
        clash = sorted({str(leg.get("Name")) for leg in leg_defs} & set(held))
        if clash:
            raise BuildError(f"leg(s) {', '.join(clash)} already open in position {position.id}")
        symbol = position.underlying or next(iter(held.values())).underlying
        exps = self._expirations(symbol, definition, body, {str(leg.get("ExpirationName")) for leg in leg_defs}, env)
        next_group = max((leg.leg_group_id for leg in held.values()), default=0) + 1
        scale = float(position.qty_multiplier or 1)
        legs = self.builder.resolve_legs(symbol, leg_defs, exps, env, taken, unique=True, qty_scale=scale,
                                         default_group=next_group)
        for name, leg in legs.items():
            order[name] = self._new_leg(position, leg, leg.qty, leg.leg_group_id)
            planned[name] = PlannedLeg(name=name, contract=leg.contract, qty=leg.qty, leg_group_id=leg.leg_group_id)
        return evaluate_conditions(body.get("AbortConditions") or [], env, ConditionType.Abort)


def _groups(legs: Mapping[str, LiveLeg]) -> dict[int, list[str]]:
    groups: dict[int, list[str]] = {}
    for name, leg in legs.items():
        groups.setdefault(leg.leg_group_id, []).append(name)
    return groups


def _unit_group_qtys(groups: Mapping[int, list[str]], qtys: Mapping[str, Decimal]) -> dict[int, LegGroupQtys]:
    return {g: LegGroupQtys(leg_qtys={n: qtys[n] for n in names}, group_qty=Decimal(1)) for g, names in groups.items()}


def _blocks(blocks: Any) -> dict[str, Any]:
    return {"leg_prices": blocks.leg_prices, "leg_greeks": blocks.leg_greeks,
            "leg_group_prices": blocks.leg_group_prices, "leg_group_greeks": blocks.leg_group_greeks,
            "position_greeks": blocks.position_greeks, "position_price": blocks.position_price,
            "underlying_price": blocks.underlying_price}
