"""MesoSim v3 strategy definitions in the simulator: variables and the builder (validation: hubs/strategies.py
and mesodesk.lang.check; the variable catalog: mesodesk.lang.variables).

Decisions ([U] in the API notes, made here):

* ScriptEngine units: leg prices are per share (``leg_x_price`` = mark); leg greeks
  are the position contribution, per-share greek x signed qty x multiplier (so
  ``leg_x_delta`` of one short 20-delta put is +20, ``pos_theta`` is $/day), a
  marker leg (qty 0) counts one unit; ``leg_x_iv`` in percent; ``pos_pnl`` and
  ``leg_x_pnl`` in dollars (mark basis); ``days_in_trade``/``leg_x_dit`` calendar
  days (decimal).
* In an entry build the leg variables use the per-unit qty (QtyMultiplier 1): the
  QtyMultiplier expression is evaluated last and may use them. Entry.VarDefines are
  evaluated again on the filled position and persisted then [D]
  (:mod:`mesodesk.sim.position_env`), so they see the real lots.
* Per position vs per unit (documented: MesoSim's ``ProfitTarget``/``StopLoss`` are
  "the loss of our overall structure", its examples build them from ``pos_theta`` and
  normalise leg greeks with ``/ abs(leg_x_qty)``): ``pos_*``, ``leg_x_pnl``,
  ``leg_x_<greek>``, ``profit_target`` and ``stop_loss`` scale with the quantity;
  ``leg_x_price``/``bid``/``ask``/``mid``, ``leg_x_iv`` and ``leg_x_strike`` do not;
  ``leg_x_qty`` is the signed position quantity. A target built from prices must
  multiply by the contracts (``... * 100 * units``, the bundled strategies' entry variable
  ``units = abs(leg_short_put_qty)``: a position variable survives a closed leg, a leg's does not).
* StrikeSelector ``Min``/``Max`` bound the selector's own attribute (|delta| in
  percent, the price, or the strike); ``Delta`` targets are MesoSim percent
  (``-20``), fractions (``-0.2``) also work; the sign is ignored.
* Ties: delta and strike targets go to the lower strike; price targets to the
  strike nearest the spot. A uniqueness constraint skips to the next-best strike.
* ``Complex`` selectors are valid v3 but not built by the simulator (the build
  fails with a clear message).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np

from mesodesk.contract import (
    ConditionEvaluation,
    ConditionType,
    LiveContract,
    LiveLeg,
    LiveLegSelectionConstraint,
    LiveUnderlying,
    MesoContractType,
    MesoOptionType,
)
from mesodesk.lang.check import ADJUSTMENT_ACTIONS as ADJUSTMENT_ACTIONS
from mesodesk.lang.check import SELECTOR_KINDS as SELECTOR_KINDS
from mesodesk.lang.expressions import Expression, ExpressionError, compile_expression
from mesodesk.lang.variables import LEG_FIELDS as LEG_FIELDS
from mesodesk.lang.variables import NAME_RE as NAME_RE
from mesodesk.sim.market import ET, UNDERLYINGS, Market, OptionSpec, Quote, expiration_datetime
from mesodesk.sim.pricing import PositionPricer
from mesodesk.sim.world import PositionRecord

INDEX_SYMBOLS = frozenset({"SPX", "RUT", "NDX", "VIX", "XSP"})

#: (root, option type, expiration date, strike) identifies one option contract.
ContractKey = tuple[str, str, date, float]


class BuildError(Exception):
    """The structure cannot be resolved against the market (message is user-facing)."""


# ------------------------------------------------------------------ contracts


def underlying_for(symbol: str) -> LiveUnderlying:
    kind = MesoContractType.Index if symbol in INDEX_SYMBOLS else MesoContractType.Stock
    return LiveUnderlying(symbol=symbol, contract_type=kind)


def contract_for(spec: OptionSpec) -> LiveContract:
    return LiveContract(
        contract_type=MesoContractType.Options,
        underlying=underlying_for(spec.underlying),
        root=spec.root,
        option_type=MesoOptionType(spec.option_type),
        expiration=expiration_datetime(spec.root, spec.expiration),
        strike=Decimal(f"{spec.strike:g}"),
        multiplier=Decimal(100),
    )


def spec_key(spec: OptionSpec) -> ContractKey:
    return (spec.root, spec.option_type, spec.expiration, round(spec.strike, 4))


def contract_key(contract: LiveContract) -> ContractKey:
    assert contract.expiration is not None and contract.strike is not None and contract.option_type is not None
    return (contract.root or contract.underlying.symbol, contract.option_type.value,
            contract.expiration.astimezone(ET).date(), round(float(contract.strike), 4))


def spec_of(contract: LiveContract) -> OptionSpec:
    key = contract_key(contract)
    return OptionSpec(contract.underlying.symbol, key[0], key[1], key[2], key[3])  # type: ignore[arg-type]


def taken_contracts(legs: Iterable[LiveLeg]) -> set[ContractKey]:
    return {contract_key(leg.live_contract) for leg in legs if leg.closed_at is None}


def to_decimal(value: float, places: int = 4) -> Decimal:
    return Decimal(f"{value:.{places}f}").normalize() + Decimal(0)


# ------------------------------------------------------------------ references


def referenced_legs(expr: Expression, leg_names: Iterable[str]) -> set[str]:
    """Leg names whose ``leg_<name>_<field>`` variables ``expr`` uses."""
    out = set()
    for var in expr.variables:
        for name in leg_names:
            prefix = f"leg_{name}_"
            if var.startswith(prefix) and var[len(prefix):] in LEG_FIELDS:
                out.add(name)
    return out


def dependency_order(names: Sequence[str], deps: Mapping[str, set[str]]) -> list[str]:
    """``names`` so that each comes after the ones it depends on (stable; cycles raise)."""
    done: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, chain: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise BuildError(f"legs reference each other in a cycle: {' -> '.join([*chain, name])}")
        state[name] = 1
        for dep in sorted(deps.get(name, ()), key=lambda n: names.index(n) if n in names else 0):
            if dep != name and dep in names:
                visit(dep, [*chain, name])
        state[name] = 2
        done.append(name)

    for name in names:
        visit(name, [])
    return done


# ------------------------------------------------------------------ variables


def leg_variables(name: str, quote: Quote, strike: float, qty: float, dte: float, *, multiplier: float = 100.0,
                  dit: float = 0.0, pnl: float = 0.0) -> dict[str, float]:
    scale = (qty if qty != 0 else 1.0) * multiplier
    values = {
        "strike": strike, "price": quote.mark, "bid": quote.bid, "ask": quote.ask, "mid": quote.mid,
        "delta": quote.delta * scale, "gamma": quote.gamma * scale, "theta": quote.theta * scale,
        "vega": quote.vega * scale, "wvega": quote.wvega * scale, "rho": 0.0, "iv": quote.iv,
        "qty": qty, "dte": dte, "dit": dit, "pnl": pnl,
    }
    return {f"leg_{name}_{k}": float(v) for k, v in values.items()}


def underlying_variables(market: Market, symbol: str) -> dict[str, float]:
    q = market.underlying_quote(symbol)
    return {"underlying_price": q.mark, "underlying_today_open": q.open, "underlying_prevday_close": q.prev_close,
            "underlying_iv": q.iv}


def sum_position_greeks(env: Mapping[str, Any], leg_names: Iterable[str]) -> dict[str, float]:
    out = {}
    for greek in ("delta", "gamma", "theta", "vega", "wvega"):
        out[f"pos_{greek}"] = float(sum(float(env[f"leg_{n}_{greek}"]) for n in leg_names))
    return out


def position_variables(market: Market, pricer: PositionPricer, position: PositionRecord, legs: Sequence[LiveLeg],
                       *, nav: float, in_flight: int) -> dict[str, Any]:
    """ScriptEngine variables of an open position (user Vars, legs, pos_*, timing, account)."""
    now = market.now
    symbol = position.underlying or (legs[0].underlying if legs else "SPX")
    env: dict[str, Any] = {k: float(v) for k, v in position.vars.items()}
    env.update(underlying_variables(market, symbol))
    env.update(nav=nav, pos_in_flight=float(in_flight), pos_rho=0.0,
               days_in_trade=(now - position.created_at).total_seconds() / 86400.0)
    open_names = []
    for lv in pricer.leg_values(legs):
        spec = spec_of(lv.leg.live_contract)
        env.update(leg_variables(
            lv.leg.name, lv.quote, spec.strike, lv.qty, float(market.dte(spec.expiration)),
            multiplier=lv.multiplier, dit=(now - lv.leg.created_at).total_seconds() / 86400.0, pnl=lv.pnl("mark")))
        open_names.append(lv.leg.name)
    env.update(sum_position_greeks(env, open_names))
    entry = pricer.position_entry(position.id, symbol, legs, position.qty_multiplier)
    pnl = entry.position_pnls.mark if entry.position_pnls is not None else None
    env["pos_pnl"] = float(pnl or 0)
    return env


def evaluate_conditions(statements: Iterable[Any], env: Mapping[str, Any],
                        kind: ConditionType) -> list[ConditionEvaluation]:
    return [evaluate_condition(s, env, kind) for s in statements]


def evaluate_condition(statement: Any, env: Mapping[str, Any], kind: ConditionType) -> ConditionEvaluation:
    text = statement if isinstance(statement, str) else str(statement)
    try:
        expr = compile_expression(statement)
        result = expr.condition(env)
    except ExpressionError as exc:
        return ConditionEvaluation(statement=text, type=kind, result=None, error=str(exc))
    return ConditionEvaluation(statement=text, type=kind, result=result, values=used_values(expr, env))


def used_values(expr: Expression, env: Mapping[str, Any]) -> dict[str, Decimal]:
    out = {}
    for name in sorted(expr.variables):
        value = env.get(name)
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and abs(float(value)) < 1e15:
            out[name] = to_decimal(float(value))
    return out


def evaluate_var_defines(defines: Mapping[str, Any] | None, env: dict[str, Any]) -> dict[str, Decimal]:
    """Evaluate VarDefines in order (each sees the previous ones); raises BuildError."""
    out: dict[str, Decimal] = {}
    for name, src in (defines or {}).items():
        try:
            value = compile_expression(src).number(env)
        except ExpressionError as exc:
            raise BuildError(f"VarDefines.{name}: {exc}") from None
        env[name] = value
        out[name] = to_decimal(value, 6)
    return out


# ------------------------------------------------------------------ builder


@dataclass
class ResolvedLeg:
    name: str
    spec: OptionSpec
    quote: Quote
    qty: Decimal  # signed, per combo unit for entries; full quantity for adjustments
    leg_group_id: int
    expiration_name: str | None = None

    @property
    def contract(self) -> LiveContract:
        return contract_for(self.spec)


@dataclass
class EntryBuild:
    symbol: str
    legs: dict[str, ResolvedLeg]
    expirations: dict[str, tuple[str, date]]
    vars: dict[str, Decimal]
    entry_conditions: list[ConditionEvaluation]
    abort_conditions: list[ConditionEvaluation]
    entry_allowed: bool
    qty_multiplier: Decimal
    env: dict[str, Any] = field(default_factory=dict)


def _num(src: Any, env: Mapping[str, Any], what: str) -> float:
    try:
        return compile_expression(src).number(env)
    except ExpressionError as exc:
        raise BuildError(f"{what}: {exc}") from None


def constraint_of(definition: Mapping[str, Any]) -> LiveLegSelectionConstraint:
    core = (definition.get("Settings") or {}).get("Core") or {}
    value = core.get("LegSelectionConstraint") if isinstance(core, Mapping) else None
    try:
        return LiveLegSelectionConstraint(value) if value else LiveLegSelectionConstraint.UniqueInPosition
    except ValueError:
        return LiveLegSelectionConstraint.UniqueInPosition


class StrategyBuilder:
    """Resolves a definition's expirations, strikes and quantities against the simulated chain."""

    def __init__(self, market: Market) -> None:
        self.market = market

    # -- expirations ------------------------------------------------------------
    def resolve_expirations(self, symbol: str, defs: Sequence[Mapping[str, Any]],
                            env: dict[str, Any]) -> dict[str, tuple[str, date]]:
        out: dict[str, tuple[str, date]] = {}
        for exp in defs:
            name = str(exp.get("Name"))
            dte = _num(exp.get("DTE"), env, f"expiration {name}: DTE")
            lo = _num(exp["Min"], env, f"expiration {name}: Min") if exp.get("Min") is not None else 0.0
            hi = _num(exp["Max"], env, f"expiration {name}: Max") if exp.get("Max") is not None else 10_000.0
            roots = exp.get("Roots") or {}
            chosen = self.market.select_expiration(symbol, dte, lo, hi, roots_include=roots.get("Include") or None,
                                                   roots_exclude=roots.get("Exclude") or None)
            if chosen is None:
                raise BuildError(f"expiration {name}: no listed {symbol} expiration with DTE in [{lo:g}, {hi:g}]"
                                 f" near {dte:g} (roots {roots.get('Include') or 'any'})")
            out[name] = chosen
            d = float(self.market.dte(chosen[1]))
            env.update({f"expiration_{name}_dte": d, f"expiration_{name}_min": lo, f"expiration_{name}_max": hi})
        return out

    # -- strikes ----------------------------------------------------------------
    def select_strike(self, symbol: str, root: str, expiration: date, option_type: str,
                      selector: Mapping[str, Any], env: Mapping[str, Any], taken: set[ContractKey],
                      what: str) -> OptionSpec:
        kinds = [k for k in SELECTOR_KINDS if selector.get(k) is not None]
        if len(kinds) != 1:
            raise BuildError(f"{what}: StrikeSelector must set exactly one of {', '.join(SELECTOR_KINDS)}")
        kind = kinds[0]
        if kind == "Complex":
            raise BuildError(f"{what}: the Complex StrikeSelector is not supported by the simulator")
        target = _num(selector[kind], env, f"{what}: StrikeSelector.{kind}")
        chain = self.market.chain_arrays(symbol, root, expiration, option_type)  # type: ignore[arg-type]
        strikes = chain.strikes
        if kind == "Delta":
            attr = np.abs(chain.delta) * 100.0
            target = abs(target) * (100.0 if abs(target) <= 1.0 else 1.0)
            order = np.lexsort((strikes, np.round(np.abs(attr - target), 6)))
        elif kind == "StrikePrice":
            attr = strikes
            order = np.lexsort((strikes, np.round(np.abs(attr - target), 6)))
        else:
            attr = {"BidPrice": chain.bid, "AskPrice": chain.ask, "MidPrice": chain.mid}[kind]
            money = np.abs(strikes - self.market.spot(symbol))
            order = np.lexsort((money, np.round(np.abs(attr - target), 6)))
        lo = _num(selector["Min"], env, f"{what}: StrikeSelector.Min") if selector.get("Min") is not None else None
        hi = _num(selector["Max"], env, f"{what}: StrikeSelector.Max") if selector.get("Max") is not None else None
        for j in order.tolist():
            value = float(attr[j])
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                continue
            spec = OptionSpec(symbol, root, option_type, expiration, float(strikes[j]))  # type: ignore[arg-type]
            if spec_key(spec) in taken:
                continue
            return spec
        raise BuildError(f"{what}: no {option_type} strike of {root} {expiration} satisfies the StrikeSelector "
                         f"{kind}={selector[kind]!r} within its Min/Max and the leg selection constraint")

    def resolve_legs(self, symbol: str, leg_defs: Sequence[Mapping[str, Any]],
                     expirations: Mapping[str, tuple[str, date]], env: dict[str, Any], taken: set[ContractKey],
                     *, unique: bool, qty_scale: float = 1.0, default_group: int = 1) -> dict[str, ResolvedLeg]:
        """Resolve legs in dependency order; each resolved leg adds its ``leg_<name>_*`` variables to ``env``.
        With ``unique`` a selected contract is added to ``taken`` (no duplicates)."""
        by_name = {str(leg.get("Name")): leg for leg in leg_defs}
        names = list(by_name)
        deps: dict[str, set[str]] = {}
        for name, leg in by_name.items():
            sources = [leg.get("Qty"), leg.get("LegGroupId")]
            sel = leg.get("StrikeSelector") or {}
            sources += [sel.get(k) for k in (*SELECTOR_KINDS[:-1], "Min", "Max")]
            used: set[str] = set()
            for src in sources:
                if src is not None:
                    try:
                        used |= referenced_legs(compile_expression(src), names)
                    except ExpressionError as exc:
                        raise BuildError(f"leg {name}: {exc}") from None
            deps[name] = used
        resolved: dict[str, ResolvedLeg] = {}
        for name in dependency_order(names, deps):
            leg = by_name[name]
            exp_name = str(leg.get("ExpirationName"))
            if exp_name not in expirations:
                raise BuildError(f"leg {name}: unknown expiration {exp_name!r}")
            root, expiration = expirations[exp_name]
            option_type = str(leg.get("OptionType"))
            if option_type not in ("Call", "Put"):
                raise BuildError(f"leg {name}: OptionType must be Call or Put")
            spec = self.select_strike(symbol, root, expiration, option_type, leg.get("StrikeSelector") or {}, env,
                                      taken, f"leg {name}")
            if unique:
                taken.add(spec_key(spec))
            qty = _num(leg.get("Qty"), env, f"leg {name}: Qty") * qty_scale
            group = default_group
            if leg.get("LegGroupId") is not None:
                g = _num(leg["LegGroupId"], env, f"leg {name}: LegGroupId")
                if g != int(g) or g < 0:
                    raise BuildError(f"leg {name}: LegGroupId must be a whole number >= 0, got {g:g}")
                group = int(g)
            quote = self.market.quote(spec)
            env.update(leg_variables(name, quote, spec.strike, qty, float(self.market.dte(expiration))))
            resolved[name] = ResolvedLeg(name, spec, quote, to_decimal(qty), group, exp_name)
        return {n: resolved[n] for n in names}

    # -- entry ------------------------------------------------------------------
    def build_entry(self, definition: Mapping[str, Any], symbol: str, env: dict[str, Any],
                    constraint: LiveLegSelectionConstraint, account_contracts: set[ContractKey]) -> EntryBuild:
        """Entry conditions (greeks 0), expirations, legs, VarDefines, abort conditions, QtyMultiplier."""
        if symbol not in UNDERLYINGS:
            raise BuildError(f"underlying {symbol!r} is not available in the simulator")
        structure = definition.get("Structure") or {}
        entry = definition.get("Entry") or {}
        env.update(underlying_variables(self.market, symbol))
        env.update({f"pos_{g}": 0.0 for g in ("pnl", "delta", "gamma", "theta", "vega", "wvega", "rho")})
        env.setdefault("days_in_trade", 0.0)
        entry_conditions = evaluate_conditions(entry.get("Conditions") or [], env, ConditionType.Entry)
        expirations = self.resolve_expirations(symbol, structure.get("Expirations") or [], env)
        taken = set(account_contracts) if constraint == LiveLegSelectionConstraint.FullyUnique else set()
        legs = self.resolve_legs(symbol, structure.get("Legs") or [], expirations, env, taken,
                                 unique=constraint != LiveLegSelectionConstraint.None_)
        if not legs:
            raise BuildError("the strategy's Structure has no legs")
        env.update(sum_position_greeks(env, legs))
        variables = evaluate_var_defines(entry.get("VarDefines"), env)
        abort = evaluate_conditions(entry.get("AbortConditions") or [], env, ConditionType.Abort)
        qty_src = entry.get("QtyMultiplier")
        qty_multiplier = _num(qty_src, env, "Entry.QtyMultiplier") if qty_src is not None else 1.0
        if qty_multiplier <= 0 or qty_multiplier != int(qty_multiplier):
            raise BuildError(f"Entry.QtyMultiplier must be a whole number > 0, got {qty_multiplier:g}")
        conditions_ok = not entry_conditions or any(c.result for c in entry_conditions)
        abort_ok = all(c.result is False for c in abort)
        return EntryBuild(symbol, legs, expirations, variables, entry_conditions, abort,
                          conditions_ok and abort_ok, Decimal(int(qty_multiplier)), env)
