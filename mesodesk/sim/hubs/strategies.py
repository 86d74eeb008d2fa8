"""Control hub methods: strategy CRUD (ListStrategies/GetStrategy live in control.py).

Decisions ([U] in the API notes):

* Create takes a ``StrategyDefinition`` (validated, see :func:`validate_definition`)
  or a ``CloneStrategyId`` (copies definition and description, not the account
  activation; name "<name> (copy)" unless ``Name`` is given). A ``BacktestId``
  alone (MesoSim import) is ``NotSupported`` offline; given with a definition it
  is stored as metadata.
* ``Name``/``Description`` override the definition's StrategyName/Description.
  UpdateStrategy keeps the strategy's name (RenameStrategy changes it; the stored
  definition is not rewritten).
* DeleteStrategy is refused with ``Conflict`` while the strategy has open
  positions (they could not be exited or adjusted any more); closed positions
  keep their strategy id and name.
* A definition over a size limit of :mod:`mesodesk.lang.limits` is refused with
  ``InvalidArguments`` naming the limit (and nothing else). Validation runs in a worker
  thread: it is bounded by those limits, and the event loop keeps serving meanwhile.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from mesodesk.contract import (
    CreateStrategyArgs,
    DeleteStrategyArgs,
    DeleteStrategyResult,
    LiveStrategy,
    RenameStrategyArgs,
    StatusCode,
    UpdateStrategyArgs,
)
from mesodesk.lang.check import ADJUSTMENT_ACTIONS, SELECTOR_KINDS, merge_errors
from mesodesk.lang.check import check_definition as check_expressions
from mesodesk.lang.variables import NAME_RE, Dialect
from mesodesk.sim.context import SimContext
from mesodesk.sim.hubs.api import ApiFailure, implements, not_found
from mesodesk.sim.market import UNDERLYINGS
from mesodesk.sim.signalr import Hub, ServerConnection

MAX_NAME = 128


# ------------------------------------------------------------------ validation


def _version_major(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        m = re.match(r"^\s*v?(\d+)", value)
        return int(m.group(1)) if m else None
    return None


class _Validator:
    """The shape of a definition (required fields, types, kinds, duplicate names); expressions,
    variables and name references are :func:`mesodesk.lang.check.check_definition`'s."""

    def __init__(self, definition: Mapping[str, Any], prefix: str) -> None:
        self.d = definition
        self.prefix = prefix
        self.errors: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(f"{self.prefix}.{path}" if path else self.prefix, []).append(message)

    def obj(self, value: Any, path: str, required: bool = True) -> Mapping[str, Any] | None:
        if value is None:
            if required:
                self.add(path, "is required")
            return None
        if not isinstance(value, Mapping):
            self.add(path, "must be an object")
            return None
        return value

    def items(self, value: Any, path: str, required: bool = True) -> list[Any]:
        if value is None:
            if required:
                self.add(path, "is required")
            return []
        if not isinstance(value, list):
            self.add(path, "must be a list")
            return []
        return value

    def expr(self, value: Any, path: str, required: bool = True) -> None:
        """Presence only: parsing and variables are checked by mesodesk.lang."""
        if value is None and required:
            self.add(path, "is required")

    def run(self) -> dict[str, list[str]]:
        d = self.d
        major = _version_major(d.get("MesoSimVersion"))
        if d.get("MesoSimVersion") is None:
            self.add("MesoSimVersion", "is required (MesoLive accepts MesoSim v3+ definitions)")
        elif major is None or major < 3:
            self.add("MesoSimVersion", f"MesoLive requires a MesoSim v3 (or later) strategy definition, got "
                                       f"{d.get('MesoSimVersion')!r}; migrate it in MesoSim (v2 -> v3) first")
            return self.errors  # a v2 definition has another shape: don't pile up errors
        expression_errors = check_expressions(d, dialect=Dialect.SIMULATOR, prefix=self.prefix)
        if self.prefix in expression_errors:  # over a per-strategy size limit: that is the answer
            return expression_errors
        name = d.get("StrategyName")
        if not isinstance(name, str) or not name.strip():
            self.add("StrategyName", "is required")
        elif len(name) > MAX_NAME:
            self.add("StrategyName", f"must be at most {MAX_NAME} characters")
        symbol = d.get("Symbol")
        if symbol is not None and symbol not in UNDERLYINGS:
            self.add("Symbol", f"{symbol!r} is not available in the simulator ({', '.join(UNDERLYINGS)})")
        structure = self.obj(d.get("Structure"), "Structure")
        if structure is not None:
            self.expirations(structure.get("Expirations"), "Structure.Expirations", required=True)
            self.legs(structure.get("Legs"), "Structure.Legs", required=True)
        self.entry(self.obj(d.get("Entry"), "Entry", required=False))
        self.exit(self.obj(d.get("Exit"), "Exit", required=False))
        self.adjustment(self.obj(d.get("Adjustment"), "Adjustment", required=False))
        self.settings(self.obj(d.get("Settings"), "Settings", required=False))
        return merge_errors(self.errors, expression_errors)

    def expirations(self, value: Any, path: str, required: bool) -> None:
        names: set[str] = set()
        entries = self.items(value, path, required)
        if required and value is not None and not entries:
            self.add(path, "must contain at least one expiration")
        for i, exp in enumerate(entries):
            p = f"{path}[{i}]"
            exp = self.obj(exp, p)
            if exp is None:
                continue
            name = exp.get("Name")
            if not isinstance(name, str) or not name:
                self.add(f"{p}.Name", "is required")
            elif name in names:
                self.add(f"{p}.Name", f"duplicate expiration name {name!r}")
            else:
                names.add(name)
            self.expr(exp.get("DTE"), f"{p}.DTE")
            roots = self.obj(exp.get("Roots"), f"{p}.Roots", required=False)
            for key in ("Include", "Exclude"):
                if roots is not None and roots.get(key) is not None and (
                    not isinstance(roots[key], list) or not all(isinstance(r, str) for r in roots[key])
                ):
                    self.add(f"{p}.Roots.{key}", "must be a list of root symbols")

    def selector(self, value: Any, path: str) -> None:
        sel = self.obj(value, path)
        if sel is None:
            return
        kinds = [k for k in SELECTOR_KINDS if sel.get(k) is not None]
        if len(kinds) != 1:
            self.add(path, f"must set exactly one of {', '.join(SELECTOR_KINDS)} (got "
                           f"{', '.join(kinds) if kinds else 'none'})")
        removed = [k for k in ("Statement", "Gamma", "Theta", "Vega", "WVega", "Rho", "IV") if sel.get(k) is not None]
        for k in removed:
            self.add(f"{path}.{k}", "is not a v3 strike selector (v3: BidPrice, AskPrice, MidPrice, Delta, "
                                    "StrikePrice, Complex)")
        if "Complex" in kinds:
            self.obj(sel["Complex"], f"{path}.Complex")

    def legs(self, value: Any, path: str, required: bool) -> None:
        entries = self.items(value, path, required)
        if required and value is not None and not entries:
            self.add(path, "must contain at least one leg")
        names: set[str] = set()
        for i, leg in enumerate(entries):
            p = f"{path}[{i}]"
            leg = self.obj(leg, p)
            if leg is None:
                continue
            name = leg.get("Name")
            if not isinstance(name, str) or not NAME_RE.match(name):
                self.add(f"{p}.Name", "is required: letters, digits and '_' (it is used in leg_<name>_* variables)")
            elif name in names:
                self.add(f"{p}.Name", f"duplicate leg name {name!r}")
            else:
                names.add(name)
            self.expr(leg.get("Qty"), f"{p}.Qty")
            if leg.get("OptionType") not in ("Call", "Put"):
                self.add(f"{p}.OptionType", "must be 'Call' or 'Put'")
            exp_name = leg.get("ExpirationName")
            if not isinstance(exp_name, str) or not exp_name:
                self.add(f"{p}.ExpirationName", "is required")
            self.selector(leg.get("StrikeSelector"), f"{p}.StrikeSelector")

    def exprs(self, value: Any, path: str) -> None:
        self.items(value, path, required=False)

    def var_defines(self, value: Any, path: str) -> None:
        self.obj(value, path, required=False)

    def entry(self, entry: Mapping[str, Any] | None) -> None:
        if entry is None:
            return
        self.exprs(entry.get("Conditions"), "Entry.Conditions")
        self.exprs(entry.get("AbortConditions"), "Entry.AbortConditions")
        self.var_defines(entry.get("VarDefines"), "Entry.VarDefines")
        self.number(entry.get("ReentryDays"), "Entry.ReentryDays")
        conc = self.obj(entry.get("Concurrency"), "Entry.Concurrency", required=False)
        if conc is not None:
            self.number(conc.get("MaxPositionsInFlight"), "Entry.Concurrency.MaxPositionsInFlight")
            self.number(conc.get("EntryShiftDays"), "Entry.Concurrency.EntryShiftDays")

    def number(self, value: Any, path: str) -> None:
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            self.add(path, "must be a number")

    def exit(self, ex: Mapping[str, Any] | None) -> None:
        if ex is None:
            return
        self.number(ex.get("MaxDaysInTrade"), "Exit.MaxDaysInTrade")
        self.exprs(ex.get("Conditions"), "Exit.Conditions")

    def adjustment(self, adj: Mapping[str, Any] | None) -> None:
        if adj is None:
            return
        path = "Adjustment.ConditionalAdjustments"
        conditional = self.obj(adj.get("ConditionalAdjustments"), path, required=False)
        for cond, actions in (conditional or {}).items():
            p = f"{path}[{cond}]"
            actions = self.obj(actions, p)
            if actions is None:
                continue
            if actions.get("RemoveLegAdjustment") is not None:
                self.add(f"{p}.RemoveLegAdjustment", "is v2; v3 uses RemoveLegsAdjustment{LegNames}")
            present = [a for a in ADJUSTMENT_ACTIONS if actions.get(a) is not None]
            if not present:
                self.add(p, f"needs at least one of {', '.join(ADJUSTMENT_ACTIONS)}")
            for action in present:
                self.action(action, actions[action], f"{p}.{action}")

    def action(self, action: str, value: Any, p: str) -> None:
        body = self.obj(value, p)
        if body is None:
            return
        self.expirations(body.get("Expirations"), f"{p}.Expirations", required=False)
        self.var_defines(body.get("VarDefines"), f"{p}.VarDefines")
        if action == "MoveLegAdjustment":
            if not isinstance(body.get("LegName"), str):
                self.add(f"{p}.LegName", "is required")
            self.selector(body.get("StrikeSelector"), f"{p}.StrikeSelector")
        elif action == "RemoveLegsAdjustment":
            self.items(body.get("LegNames"), f"{p}.LegNames")
        elif action == "AddLegsAdjustment":
            self.legs(body.get("Legs"), f"{p}.Legs", required=True)
            self.exprs(body.get("AbortConditions"), f"{p}.AbortConditions")

    def settings(self, settings: Mapping[str, Any] | None) -> None:
        core = self.obj(settings.get("Core"), "Settings.Core", required=False) if settings else None
        constraint = core.get("LegSelectionConstraint") if core else None
        if constraint is not None and constraint not in ("FullyUnique", "UniqueInPosition", "None"):
            self.add("Settings.Core.LegSelectionConstraint", "must be FullyUnique, UniqueInPosition or None")


def validate_definition(definition: Mapping[str, Any], prefix: str = "StrategyDefinition") -> dict[str, list[str]]:
    """Validation errors of a MesoSim v3 definition keyed by field path (empty = valid): the shape
    here, then every expression, variable and name reference (mesodesk.lang, simulator dialect)."""
    return _Validator(definition, prefix).run()


# ------------------------------------------------------------------ hub methods


def _invalid(errors: dict[str, list[str]]) -> ApiFailure:
    path, messages = next(iter(errors.items()))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return ApiFailure(StatusCode.InvalidArguments, f"invalid strategy: {path}: {messages[0]}{more}",
                      validation_errors=errors)


def check_accounts(ctx: SimContext, accounts: Iterable[str] | None) -> list[str]:
    """Unknown ids -> InvalidArguments keyed ``ActiveOnAccounts[i]``; duplicates are dropped."""
    if accounts is None:
        return []
    out: list[str] = []
    errors: dict[str, list[str]] = {}
    for i, account in enumerate(accounts):
        if account not in ctx.world.accounts:
            errors[f"ActiveOnAccounts[{i}]"] = [f"unknown account {account!r}"]
        elif account not in out:
            out.append(account)
    if errors:
        raise _invalid(errors)
    return out


async def check_definition(definition: Mapping[str, Any], name_override: str | None = None) -> None:
    """Refuse an invalid definition (``InvalidArguments``); validated off the event loop."""
    errors = await asyncio.to_thread(validate_definition, definition)
    if name_override is not None:
        errors.pop("StrategyDefinition.StrategyName", None)
    if errors:
        raise _invalid(errors)


def register(hub: Hub, ctx: SimContext) -> None:
    """Add CreateStrategy, UpdateStrategy, RenameStrategy and DeleteStrategy to the Control hub."""
    world = ctx.world

    def get(strategy_id: int) -> LiveStrategy:
        strategy = world.strategies.get(strategy_id)
        if strategy is None:
            raise not_found("strategy", strategy_id)
        return strategy

    @implements(hub)
    async def create_strategy(conn: ServerConnection, args: CreateStrategyArgs) -> Any:
        accounts = check_accounts(ctx, args.active_on_accounts)
        if args.strategy_definition is not None:
            definition = dict(args.strategy_definition)
            await check_definition(definition, args.name)
            name = args.name or str(definition["StrategyName"])
            description = args.description if args.description is not None else definition.get("Description")
        elif args.clone_strategy_id is not None:
            source = get(args.clone_strategy_id)
            definition = dict(source.strategy_definition)
            name = args.name or f"{source.name} (copy)"[:128]
            description = args.description if args.description is not None else source.description
        else:
            raise ApiFailure(StatusCode.NotSupported, "importing a strategy from a MesoSim backtest (BacktestId) "
                             "needs MesoSim, which the offline simulator cannot reach; send the StrategyDefinition "
                             "(MesoSim v3 JSON) instead", code="BacktestImportNotSupported")
        with world.store.tx():
            strategy = LiveStrategy(
                id=world.next_id("strategy"), name=name, description=description, strategy_definition=definition,
                active_on_accounts=accounts, created_at=datetime.now(UTC), backtest_id=args.backtest_id,
                meso_sim_instance=args.meso_sim_instance)
            world.save_strategy(strategy)
        return strategy

    @implements(hub)
    async def update_strategy(conn: ServerConnection, args: UpdateStrategyArgs) -> Any:
        get(args.strategy_id)
        changes: dict[str, Any] = {"updated_at": datetime.now(UTC)}
        if args.strategy_definition is not None:
            await check_definition(args.strategy_definition)
            changes["strategy_definition"] = dict(args.strategy_definition)
        strategy = get(args.strategy_id)  # as it is now, after the validation's await
        if args.active_on_accounts is not None:
            changes["active_on_accounts"] = check_accounts(ctx, args.active_on_accounts)
        if args.description is not None:
            changes["description"] = args.description
        updated = strategy.model_copy(update=changes)
        world.save_strategy(updated)
        return updated

    @implements(hub)
    async def rename_strategy(conn: ServerConnection, args: RenameStrategyArgs) -> Any:
        name = args.name.strip()
        if not name:
            raise ApiFailure(StatusCode.InvalidArguments, "Name must not be blank",
                             validation_errors={"Name": ["must not be blank"]})
        updated = get(args.strategy_id).model_copy(update={"name": name, "updated_at": datetime.now(UTC)})
        world.save_strategy(updated)
        return updated

    @implements(hub)
    async def delete_strategy(conn: ServerConnection, args: DeleteStrategyArgs) -> Any:
        strategy = get(args.strategy_id)
        open_ids = [p.id for p in world.open_positions() if p.live_strategy_id == strategy.id]
        if open_ids:
            raise ApiFailure(StatusCode.Conflict, f"strategy {strategy.id} still has open positions "
                             f"{open_ids}; exit or close them first", code="StrategyHasOpenPositions")
        with world.store.tx():
            world.store.delete("strategies", strategy.id)
            world.strategies.pop(strategy.id, None)
        return DeleteStrategyResult(strategy_id=strategy.id)
