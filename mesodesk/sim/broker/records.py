"""The broker's records and shared state: :class:`BrokerOrder`, the quantity and price
helpers, and :class:`BrokerBase` (persistence, reads, order bookkeeping and events)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from mesodesk.contract import (
    TERMINAL_ORDER_STATES,
    LiveAccount,
    LiveContract,
    LiveExecution,
    MesoContractType,
    Order,
    OrderRejectionInfo,
    OrderState,
    OrderUpdateEvent,
    StatusCode,
)
from mesodesk.quant.calendar import ET
from mesodesk.sim.agents import AgentService
from mesodesk.sim.events import EventLog
from mesodesk.sim.execplans import ExecPlan, ExecPlanKind, LegAction, PlannedLeg
from mesodesk.sim.fees import COMMISSION_PER_CONTRACT
from mesodesk.sim.hubs.api import ApiFailure, not_found
from mesodesk.sim.market import Market, OptionSpec
from mesodesk.sim.world import World

ZERO = Decimal(0)
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


class BrokerBase:
    """State and persistence shared by the broker's layers (ledger, fill engine, intake)."""

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

    def _finish(self, record: BrokerOrder, state: OrderState, now: datetime) -> None:
        record.order.state = state
        record.order.last_updated = now
        self._save_order(record)
        self._publish_order(record, now)

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
