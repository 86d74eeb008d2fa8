"""The signal evaluator: level-triggered entry/exit/adjustment signals and evaluation errors.

Every ``interval`` seconds (real time; the first pass after one interval) or on
``evaluate_once()``, against the current market (mark basis, ``ctx.pricer``):

* each open position of a known strategy: Exit ``ProfitTarget`` (hit when
  ``pos_pnl >= target``), ``StopLoss`` (hit when ``pos_pnl <= -|stop|``); both are
  dollars of the whole position, like ``pos_pnl`` (MesoSim: "the loss of our overall
  structure"), never scaled here: a definition states them for its quantity (units:
  :mod:`mesodesk.sim.strategy`, the environment: :mod:`mesodesk.sim.position_env`),
  ``MaxDaysInTrade`` (``days_in_trade >= max``) and ``Exit.Conditions`` -> one
  ``ExitSignalEvent`` per position, ``On`` when any rule holds, ``Off`` when none does;
* ``Adjustment.ConditionalAdjustments`` keys in alphabetical order -> one
  ``AdjustmentSignalEvent`` per (position, condition). Schedules are ignored, as
  MesoLive does, so ``AdjustmentTimeOk`` is always true. When a condition turns On
  and its only action is ``UpdateVarsAdjustment``, the vars are updated right away
  (``AutoUpdateVarsAdjustmentStarted`` -> ``Completed``/``Failed``);
* each (strategy, account in ActiveOnAccounts): ``Entry.Conditions`` (greeks 0; no
  condition = true) plus the advisory gates -> ``EntrySignalEvent``. Gates:
  schedule (market open and today in ``Schedule.Every``), reentry (``ReentryDays``
  since the last position of that strategy on that account closed), concurrency
  (open positions < ``MaxPositionsInFlight`` and ``EntryShiftDays`` since the
  latest entry).

Only transitions are published. A statement that fails to evaluate raises an
``ErrorEvent`` (ErrorId stable per scope + statement) and clears it (same ErrorId)
once it evaluates again or its scope disappears. Each scope (a position; a strategy on
an account) is evaluated on its own: anything else that goes wrong there becomes that
scope's ``ErrorEvent`` (statement ``(position signals)``/``(entry signal)``, logged once
while it keeps failing) and leaves its signals as they were; other scopes are not
affected. Signals whose scope disappears
(position closed, strategy deleted or deactivated) are switched Off. The active
On/Raised events are persisted (meta key ``signals:active``), so a restart neither
loses nor repeats them; ``active_signals()``/``active_errors()`` give them to the
event hub for its on-connect push.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from mesodesk.contract import (
    AdjustmentSignalEvent,
    AutoUpdateVarsAdjustmentCompletedEvent,
    AutoUpdateVarsAdjustmentFailedEvent,
    AutoUpdateVarsAdjustmentStartedEvent,
    ConditionEvaluation,
    ConditionType,
    EntrySignalEvent,
    EntrySignalsResult,
    ErrorEvent,
    ErrorState,
    EventEnvelope,
    ExitSignalEvent,
    ExitSignalsResult,
    LivePositionState,
    LiveStrategy,
    MesoLiveEvent,
    SignalState,
    dumps,
    loads,
)
from mesodesk.lang.expressions import ExpressionError, compile_expression
from mesodesk.sim.market import ET, is_market_open
from mesodesk.sim.position_env import position_env
from mesodesk.sim.strategy import (
    ADJUSTMENT_ACTIONS,
    BuildError,
    evaluate_condition,
    evaluate_var_defines,
    to_decimal,
    underlying_variables,
)
from mesodesk.sim.world import PositionRecord

log = logging.getLogger("mesodesk.sim.signals")

STATE_KEY = "signals:active"
POSITION_STATEMENT = "(position signals)"
ENTRY_STATEMENT = "(entry signal)"
_ERROR_NS = uuid.UUID("6f0c2b1e-4a57-4d0b-9a59-2f4f7d1c8e31")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class _Pass:
    """What one evaluation pass saw."""

    signals: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)


class SignalService:
    """``ctx.signals``: periodic evaluation plus the active signal/error state."""

    def __init__(self, ctx: Any, interval: float = 2.0) -> None:
        self.ctx = ctx
        self.interval = interval
        self.store = ctx.world.store
        self._signals: dict[str, MesoLiveEvent] = {}
        self._errors: dict[str, ErrorEvent] = {}
        self._failing: dict[str, str] = {}  # scope -> what went wrong (logged once while it lasts)
        self._task: asyncio.Task[None] | None = None
        self._load()

    # ------------------------------------------------------------ public API
    def active_signals(self) -> list[MesoLiveEvent]:
        """The latest ``On`` Entry/Exit/Adjustment signal events, in EventSeqId order."""
        return sorted(self._signals.values(), key=lambda e: e.event_seq_id)

    def active_errors(self) -> list[ErrorEvent]:
        """The latest ``Raised`` error events not yet cleared, in EventSeqId order."""
        return sorted(self._errors.values(), key=lambda e: e.event_seq_id)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="signal-evaluator")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def evaluate_once(self) -> None:
        """One full pass; events and the persisted state commit together."""
        seen = _Pass()
        world = self.ctx.world
        failing: dict[str, str] = {}
        with self.store.tx():
            for position in list(world.open_positions()):
                strategy = world.strategies.get(position.live_strategy_id)
                if strategy is None:
                    continue
                fields = {"strategy_id": strategy.id, "strategy_name": strategy.name, "position_id": position.id,
                          "position_name": position.name, "broker_account_id": position.broker_account_id}
                self._guarded(f"pos:{position.id}", fields, ConditionType.Exit, POSITION_STATEMENT, seen, failing,
                              partial(self._position, strategy, position, seen))
            for strategy in list(world.strategies.values()):
                for account in strategy.active_on_accounts:
                    if account in world.accounts:
                        fields = {"strategy_id": strategy.id, "strategy_name": strategy.name,
                                  "broker_account_id": account}
                        self._guarded(f"entry:{strategy.id}:{account}", fields, ConditionType.Entry, ENTRY_STATEMENT,
                                      seen, failing, partial(self._entry, strategy, account, seen))
            self._retire(seen)
            self._save()
        for scope in self._failing.keys() - failing.keys():
            log.info("signals of %s evaluate again", scope)
        self._failing = failing

    def _guarded(self, scope: str, fields: Mapping[str, Any], kind: ConditionType, statement: str, seen: _Pass,
                 failing: dict[str, str], evaluate: Callable[[], None]) -> None:
        """Evaluate one scope; a failure becomes its ErrorEvent and keeps its signals as they were."""
        try:
            evaluate()
        except Exception as exc:
            problem = f"{type(exc).__name__}: {exc}"[:500]
            if self._failing.get(scope) != problem:
                log.exception("evaluating the signals of %s failed", scope)
            failing[scope] = problem
            seen.signals |= {k for k in self._signals if k == scope or k.startswith(f"{scope}:")}
            seen.failed |= {k for k in self._errors if k.startswith(f"{scope}|")}
            self._error(scope, fields, kind, statement, f"internal error: {problem}", seen)

    # ------------------------------------------------------------ persistence
    def _load(self) -> None:
        raw = self.store.meta_get(STATE_KEY)
        if not raw:
            return
        try:
            state = loads(raw)
            self._signals = {k: EventEnvelope.model_validate(v).event for k, v in state["signals"].items()}
            self._errors = {k: EventEnvelope.model_validate(v).event  # type: ignore[misc]
                            for k, v in state["errors"].items()}
        except Exception:
            log.exception("discarding unreadable signal state")
            self._signals, self._errors = {}, {}

    def _save(self) -> None:
        state = {"signals": {k: EventEnvelope.wrap(e) for k, e in self._signals.items()},
                 "errors": {k: EventEnvelope.wrap(e) for k, e in self._errors.items()}}
        raw = dumps(state).decode()
        if raw != self.store.meta_get(STATE_KEY):
            self.store.meta_set(STATE_KEY, raw)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                self.evaluate_once()
            except Exception:
                log.exception("signal evaluation failed")

    # ------------------------------------------------------------ transitions
    @property
    def _now(self) -> datetime:
        return self.ctx.market.now

    def _publish(self, event: MesoLiveEvent) -> MesoLiveEvent:
        return self.ctx.events.publish(event)

    def _transition(self, key: str, on: bool, build: Callable[[SignalState], MesoLiveEvent], seen: _Pass) -> bool:
        """Publish On/Off when the level changes; True when it just turned On."""
        seen.signals.add(key)
        if on and key not in self._signals:
            self._signals[key] = self._publish(build(SignalState.On))
            return True
        if not on and key in self._signals:
            self._publish(build(SignalState.Off))
            del self._signals[key]
        return False

    def _error(self, scope: str, fields: Mapping[str, Any], kind: ConditionType, statement: str,
               error: str | None, seen: _Pass) -> None:
        """Raise the error of (scope, kind, statement) if ``error``; clearing happens in ``_retire``."""
        if error is None:
            return
        key = f"{scope}|{kind.value}|{statement}"
        seen.failed.add(key)
        if key not in self._errors:
            self._errors[key] = self._publish(ErrorEvent(  # type: ignore[assignment]
                event_time=self._now, state=ErrorState.Raised, error_id=uuid.uuid5(_ERROR_NS, key),
                message=f"Eval failed: {error}", condition_type=kind, statement=statement, **fields))

    def _retire(self, seen: _Pass) -> None:
        """Switch Off signals and clear errors that were not active in this pass."""
        for key in [k for k in self._signals if k not in seen.signals]:
            old = self._signals.pop(key)
            self._publish(old.model_copy(update={"state": SignalState.Off, "event_id": uuid.uuid4(),
                                                 "event_seq_id": 0, "event_time": self._now}))
        for key in [k for k in self._errors if k not in seen.failed]:
            old_error = self._errors.pop(key)
            self._publish(old_error.model_copy(update={"state": ErrorState.Cleared, "event_id": uuid.uuid4(),
                                                       "event_seq_id": 0, "event_time": self._now,
                                                       "message": "evaluates again"}))

    # ------------------------------------------------------------ positions
    def _position(self, strategy: LiveStrategy, position: PositionRecord, seen: _Pass) -> None:
        if not any(leg.closed_at is None for leg in self.ctx.world.position_legs(position.id)):
            return
        env = position_env(self.ctx, position)
        fields = {"strategy_id": strategy.id, "strategy_name": strategy.name, "position_id": position.id,
                  "position_name": position.name, "broker_account_id": position.broker_account_id}
        definition = strategy.strategy_definition
        self._exit(definition.get("Exit") or {}, env, fields, seen)
        self._adjustments(strategy, position, env, fields, seen)

    def _value(self, source: Any, env: Mapping[str, Any], scope: str, fields: Mapping[str, Any],
               kind: ConditionType, seen: _Pass) -> float | None:
        if source is None:
            return None
        try:
            return compile_expression(source).number(env)
        except ExpressionError as exc:
            self._error(scope, fields, kind, str(source), str(exc), seen)
            return None

    def _exit(self, ex: Mapping[str, Any], env: dict[str, Any], fields: Mapping[str, Any], seen: _Pass) -> None:
        scope = f"pos:{fields['position_id']}"
        pnl = float(env["pos_pnl"])
        target = self._value(ex.get("ProfitTarget"), env, scope, fields, ConditionType.ProfitTarget, seen)
        stop = self._value(ex.get("StopLoss"), env, scope, fields, ConditionType.StopLoss, seen)
        if target is not None:
            env["profit_target"] = target
        if stop is not None:
            env["stop_loss"] = stop
        max_days = ex.get("MaxDaysInTrade")
        days = float(env["days_in_trade"])
        conditions = []
        for statement in ex.get("Conditions") or []:
            evaluation = evaluate_condition(statement, env, ConditionType.Exit)
            self._error(scope, fields, ConditionType.Exit, evaluation.statement, evaluation.error, seen)
            conditions.append(evaluation)
        result = ExitSignalsResult(
            profit_target_hit=target is not None and pnl >= target,
            stop_loss_hit=stop is not None and pnl <= -abs(stop),
            max_days_in_trade_hit=isinstance(max_days, (int, float)) and max_days > 0 and days >= max_days,
            conditions=conditions, position_pnl=to_decimal(pnl, 2),
            profit_target=None if target is None else to_decimal(target, 2),
            stop_loss=None if stop is None else to_decimal(stop, 2), days_in_trade=int(days))
        on = result.profit_target_hit or result.stop_loss_hit or result.max_days_in_trade_hit or any(
            c.result for c in conditions)
        self._transition(f"{scope}:exit", on, lambda state: ExitSignalEvent(
            event_time=self._now, state=state, exit_signal_result=result, **fields), seen)

    def _adjustments(self, strategy: LiveStrategy, position: PositionRecord, env: dict[str, Any],
                     fields: Mapping[str, Any], seen: _Pass) -> None:
        scope = f"pos:{position.id}"
        conditional = (strategy.strategy_definition.get("Adjustment") or {}).get("ConditionalAdjustments") or {}
        for condition in sorted(conditional):
            evaluation = evaluate_condition(condition, env, ConditionType.Adjustment)
            self._error(scope, fields, ConditionType.Adjustment, condition, evaluation.error, seen)

            def build(state: SignalState, ev: ConditionEvaluation = evaluation) -> MesoLiveEvent:
                return AdjustmentSignalEvent(event_time=self._now, state=state, adjustment_time_ok=True,
                                             condition=ev, **fields)

            turned_on = self._transition(f"{scope}:adj:{condition}", evaluation.result is True, build, seen)
            actions = conditional[condition]
            if turned_on and isinstance(actions, Mapping) and [
                a for a in ADJUSTMENT_ACTIONS if actions.get(a) is not None
            ] == ["UpdateVarsAdjustment"]:
                self._auto_update_vars(position.id, condition, actions["UpdateVarsAdjustment"], env, fields)

    def _auto_update_vars(self, position_id: int, condition: str, body: Any, env: Mapping[str, Any],
                          fields: Mapping[str, Any]) -> None:
        world = self.ctx.world
        self._publish(AutoUpdateVarsAdjustmentStartedEvent(event_time=self._now, condition=condition, **fields))
        defines = body.get("VarDefines") if isinstance(body, Mapping) and "VarDefines" in body else body
        try:
            if not isinstance(defines, Mapping):
                raise BuildError("UpdateVarsAdjustment must map variable names to expressions")
            new_vars = evaluate_var_defines(defines, dict(env))
        except BuildError as exc:
            self._publish(AutoUpdateVarsAdjustmentFailedEvent(event_time=self._now, condition=condition,
                                                              error=str(exc), **fields))
            return
        position = world.positions[position_id]
        merged = {**position.vars, **new_vars}
        world.save_position(position.model_copy(update={"vars": merged}))
        self._publish(AutoUpdateVarsAdjustmentCompletedEvent(event_time=self._now, condition=condition,
                                                             vars=merged, **fields))

    # ------------------------------------------------------------ entries
    def _entry(self, strategy: LiveStrategy, account_id: str, seen: _Pass) -> None:
        world, market = self.ctx.world, self.ctx.market
        definition = strategy.strategy_definition
        entry = definition.get("Entry") or {}
        symbol = definition.get("Symbol") or "SPX"
        mine = [p for p in world.positions.values()
                if p.live_strategy_id == strategy.id and p.broker_account_id == account_id]
        open_now = [p for p in mine if p.state == LivePositionState.Open]
        account = world.accounts[account_id]
        fields = {"strategy_id": strategy.id, "strategy_name": strategy.name, "broker_account_id": account_id}
        scope = f"entry:{strategy.id}:{account_id}"
        env: dict[str, Any] = {"nav": float(account.net_liquidation_value or 0),
                               "pos_in_flight": float(len(open_now)), "days_in_trade": 0.0}
        env.update({f"pos_{g}": 0.0 for g in ("pnl", "delta", "gamma", "theta", "vega", "wvega", "rho")})
        try:
            env.update(underlying_variables(market, symbol))
        except KeyError:
            return  # not a simulated underlying: validation keeps these out
        conditions = []
        for statement in entry.get("Conditions") or []:
            evaluation = evaluate_condition(statement, env, ConditionType.Entry)
            self._error(scope, fields, ConditionType.Entry, evaluation.statement, evaluation.error, seen)
            conditions.append(evaluation)
        now = self._now
        concurrency = entry.get("Concurrency") or {}
        max_flight = concurrency.get("MaxPositionsInFlight")
        shift = float(concurrency.get("EntryShiftDays") or 0)
        latest_open = max((p.created_at for p in open_now), default=None)
        concurrency_ok = (not isinstance(max_flight, (int, float)) or len(open_now) < max_flight) and (
            latest_open is None or (now - latest_open).total_seconds() / 86400 >= shift)
        reentry = float(entry.get("ReentryDays") or 0)
        last_closed = max((p.closed_at for p in mine if p.closed_at is not None), default=None)
        reentry_ok = last_closed is None or (now - last_closed).total_seconds() / 86400 >= reentry
        schedule_ok = _schedule_ok(entry.get("Schedule"), now)
        result = EntrySignalsResult(conditions=conditions, schedule_ok=schedule_ok, reentry_ok=reentry_ok,
                                    concurrency_ok=concurrency_ok)
        result.entry_allowed = (not conditions or any(c.result for c in conditions)) and schedule_ok \
            and reentry_ok and concurrency_ok
        self._transition(scope, bool(result.entry_allowed), lambda state: EntrySignalEvent(
            event_time=now, state=state, entry_signal_result=result, **fields), seen)


def _schedule_ok(schedule: Any, now: datetime) -> bool:
    """Market open and today listed in ``Every`` ("day", "5min" or "mon,wed,fri")."""
    if not is_market_open(now):
        return False
    every = str((schedule or {}).get("Every") or "day").lower() if isinstance(schedule, Mapping) else "day"
    days = [d.strip()[:3] for d in every.split(",")]
    if not any(d in _WEEKDAYS for d in days):
        return True
    return _WEEKDAYS[now.astimezone(ET).weekday()] in days
