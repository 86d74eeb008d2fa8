"""First-run content of a new simulator database: accounts, agent, strategies, open positions.

The positions are built against the live simulated chain (strikes by delta and by
offset, as the bundled strategy definitions describe them), entered a few
simulated days ago at prices near today's marks, so their PnL and greeks move
from the first tick.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

from mesodesk.contract import (
    AgentConnector,
    AgentInfo,
    AgentStatus,
    BrokerType,
    DataProviderType,
    LiveAccount,
    LiveContract,
    LiveLeg,
    LivePositionState,
    LiveStrategy,
    LiveUnderlying,
    MesoContractType,
    MesoOptionType,
)
from mesodesk.sim.execplans import ExecPlan, ExecPlanKind, ExecPlanStatus, PlannedLeg
from mesodesk.sim.fees import COMMISSION_PER_CONTRACT
from mesodesk.sim.market import Market, OptionSpec
from mesodesk.sim.world import PositionRecord, World

PAPER_ACCOUNT = "ML10001"
BROKER_ACCOUNT = "U7654321"
STRATEGY_FILES = ("spx_put_credit_spread.json", "spx_iron_condor.json", "spx_broken_wing_butterfly.json")


def load_strategy_definition(name: str) -> dict[str, Any]:
    text = resources.files("mesodesk.sim").joinpath("strategies", name).read_text(encoding="utf-8")
    return dict(json.loads(text))


@dataclass(frozen=True)
class SeedLeg:
    name: str
    qty: int
    option_type: str  # "Put" | "Call"
    group: int
    delta: float | None = None  # MesoSim style: -20 = 20-delta put
    offset_from: str | None = None
    offset: float = 0.0


@dataclass(frozen=True)
class SeedPosition:
    name: str
    strategy_index: int
    account: str
    qty_multiplier: int
    days_open: int
    dte_at_entry: int
    legs: tuple[SeedLeg, ...]
    #: the legs' prices at entry as a multiple of today's marks (1: no move since entry)
    entry_value_factor: float = 1.0


PCS = (SeedLeg("short_put", -1, "Put", 1, delta=-20), SeedLeg("long_put", 1, "Put", 1, offset_from="short_put", offset=-25))
IC = (
    SeedLeg("short_put", -1, "Put", 1, delta=-16),
    SeedLeg("long_put", 1, "Put", 1, offset_from="short_put", offset=-50),
    SeedLeg("short_call", -1, "Call", 2, delta=16),
    SeedLeg("long_call", 1, "Call", 2, offset_from="short_call", offset=50),
)
BWB = (
    SeedLeg("body", -2, "Put", 1, delta=-30),
    SeedLeg("upper", 1, "Put", 1, offset_from="body", offset=50),
    SeedLeg("lower", 1, "Put", 1, offset_from="body", offset=-75),
)

SEED_POSITIONS = (
    SeedPosition("PCS 45DTE #1", 0, PAPER_ACCOUNT, 2, 6, 45, PCS),
    # the options have lost value since this one was entered: it is past its profit target (50 %
    # of the credit), so a new world shows an exit signal to act on
    SeedPosition("IC 30DTE #1", 1, BROKER_ACCOUNT, 1, 3, 30, IC, entry_value_factor=2.5),
    SeedPosition("BWB 60DTE #1", 2, PAPER_ACCOUNT, 1, 10, 60, BWB),
    SeedPosition("PCS 45DTE #2", 0, BROKER_ACCOUNT, 3, 1, 45, PCS),
)


def _account(account_id: str, broker: BrokerType, paper: bool, nav: str, now: datetime) -> LiveAccount:
    return LiveAccount(
        broker_account_id=account_id,
        broker_type=broker,
        account_type="Individual",
        currency="USD",
        is_paper_account=paper,
        net_liquidation_value=Decimal(nav),
        maintenance_margin_req=Decimal(0),
        cash=Decimal(nav),
        last_updated=now,
        created_at=now - timedelta(days=90),
        active_positions=0,
    )


def _strike_near(market: Market, symbol: str, expiration: Any, target: float) -> float:
    strikes = market.strikes(symbol, expiration)
    return float(strikes[abs(strikes - target).argmin()])


def seed_world(world: World, market: Market, seed: int = 7) -> None:
    """Fill an empty world. Idempotent: does nothing when accounts already exist."""
    if not world.is_empty:
        return
    rng = random.Random(seed)
    now = market.clock.now()
    with world.store.tx():
        world.save_account(_account(PAPER_ACCOUNT, BrokerType.MesoLivePaper, True, "100000", now))
        world.save_account(_account(BROKER_ACCOUNT, BrokerType.Simulated, False, "250000", now))
        world.save_agent("sim", AgentInfo(
            connector=AgentConnector.Simulated, provider=DataProviderType.Simulated, status=AgentStatus.Connected,
            last_snapshot_at=now, broker_account_ids=[BROKER_ACCOUNT], message="Simulated agent connected",
        ))
        strategies = []
        for index, file_name in enumerate(STRATEGY_FILES):
            definition = load_strategy_definition(file_name)
            strategy = LiveStrategy(
                id=world.next_id("strategy"),
                name=definition["StrategyName"],
                description=definition.get("Description"),
                strategy_definition=definition,
                active_on_accounts=[PAPER_ACCOUNT, BROKER_ACCOUNT] if index < 2 else [PAPER_ACCOUNT],
                created_at=now - timedelta(days=30),
            )
            world.save_strategy(strategy)
            strategies.append(strategy)
        for seed_position in SEED_POSITIONS:
            _seed_position(world, market, rng, seed_position, strategies[seed_position.strategy_index], now)
        for account in list(world.accounts.values()):
            world.save_account(account.model_copy(update={"active_positions": world.active_positions(
                account.broker_account_id)}))


def _seed_position(
    world: World, market: Market, rng: random.Random, seed: SeedPosition, strategy: LiveStrategy, now: datetime
) -> None:
    symbol = "SPX"
    opened = now - timedelta(days=seed.days_open, hours=rng.randint(0, 5))
    dte = seed.dte_at_entry - seed.days_open
    chosen = market.select_expiration(symbol, dte, max(1, dte - 12), dte + 15, roots_include=["SPXW", "SPX"])
    if chosen is None:
        raise RuntimeError(f"no expiration near {dte} DTE for the seed position {seed.name}")
    root, expiration = chosen
    strikes: dict[str, float] = {}
    specs: dict[str, OptionSpec] = {}
    for leg in seed.legs:
        if leg.delta is not None:
            spec = market.find_by_delta(symbol, root, expiration, leg.option_type, leg.delta)
        else:
            assert leg.offset_from is not None
            strike = _strike_near(market, symbol, expiration, strikes[leg.offset_from] + leg.offset)
            spec = OptionSpec(symbol, root, leg.option_type, expiration, strike)  # type: ignore[arg-type]
        strikes[leg.name] = spec.strike
        specs[leg.name] = spec
    position_id = world.next_id("position")
    exec_plan_id = world.next_id("exec_plan")
    legs: list[LiveLeg] = []
    # Entry.VarDefines initial_credit as the bundled definitions compute it on the filled position:
    # the credit of ONE combo unit, per share, net of commissions (the exit targets multiply it by
    # 100 and by the units held, since they are dollars of the whole position, as pos_pnl is)
    credit = Decimal(0)
    for leg in seed.legs:
        spec = specs[leg.name]
        quote = market.quote(spec)
        qty = Decimal(leg.qty * seed.qty_multiplier)
        drift = 1 + rng.uniform(-0.03, 0.03)
        fill = Decimal(f"{max(0.05, quote.mark * seed.entry_value_factor * drift):.2f}")
        per_unit_commission = COMMISSION_PER_CONTRACT / 100
        avg_entry = fill + per_unit_commission if qty > 0 else fill - per_unit_commission
        credit -= leg.qty * avg_entry
        expiration_dt = datetime(expiration.year, expiration.month, expiration.day, 21, 0, tzinfo=now.tzinfo)
        legs.append(LiveLeg(
            id=world.next_id("leg"),
            name=leg.name,
            live_contract=LiveContract(
                contract_type=MesoContractType.Options,
                underlying=LiveUnderlying(symbol=symbol, contract_type=MesoContractType.Index),
                root=spec.root,
                option_type=MesoOptionType(leg.option_type),
                expiration=expiration_dt,
                strike=Decimal(f"{spec.strike:g}"),
                multiplier=Decimal(100),
            ),
            leg_group_id=leg.group,
            created_at=opened,
            live_position_id=position_id,
            account_id=seed.account,
            underlying=symbol,
            qty=qty,
            avg_entry_price=avg_entry,
            tracked_realized_pnl=Decimal(0),
        ))
    groups: dict[int, list[str]] = {}
    for leg in seed.legs:
        groups.setdefault(leg.group, []).append(leg.name)
    world.save_position(PositionRecord(
        id=position_id,
        state=LivePositionState.Open,
        created_at=opened,
        name=seed.name,
        broker_account_id=seed.account,
        live_strategy_id=strategy.id,
        strategy_name=strategy.name,
        qty_multiplier=Decimal(seed.qty_multiplier),
        underlying=symbol,
        vars={"units": Decimal(seed.qty_multiplier), "initial_credit": credit},  # as the VarDefines compute them
        leg_groups=groups,
        realized_pnl=Decimal(0),
    ))
    for leg_model in legs:
        world.save_leg(leg_model)
    world.store.put("exec_plans", exec_plan_id, ExecPlan(
        id=exec_plan_id, kind=ExecPlanKind.Entry, strategy_id=strategy.id, strategy_name=strategy.name,
        broker_account_id=seed.account, position_id=position_id, position_name=seed.name, underlying=symbol,
        created_at=opened, qty_multiplier=Decimal(seed.qty_multiplier),
        legs={leg.name: PlannedLeg(name=leg.name, contract=leg.live_contract, qty=leg.qty / seed.qty_multiplier,
                                   leg_group_id=leg.leg_group_id, filled_qty=leg.qty) for leg in legs},
        leg_groups=groups, status=ExecPlanStatus.Done,
    ), position_id=position_id)
