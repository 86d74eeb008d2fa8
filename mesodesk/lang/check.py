"""Static checks of a MesoSim v3 StrategyDefinition: every expression parses, every
variable it uses exists where it is evaluated, every leg/expiration name it refers
to is defined, and legs do not reference each other in a cycle.

:func:`check_definition` returns field path -> messages in the simulator's
``ValidationErrors`` format (``StrategyDefinition.Structure.Expirations[0].DTE``,
``StrategyDefinition.Entry.Conditions[1]``, ``StrategyDefinition.Entry.VarDefines.x``,
``StrategyDefinition.Adjustment.ConditionalAdjustments[pos_delta > 8].MoveLegAdjustment.StrikeSelector.Delta``).

The shape of the definition (required fields, types, option types, selector
kinds...) is not checked here: parts of the wrong shape are skipped. Visibility
rules (see :mod:`mesodesk.lang.variables` for the built-ins) follow the evaluation
order of the simulator:

=======================================  ==============================================================
field                                    sees (besides the built-ins)
=======================================  ==============================================================
``Entry.Conditions[i]``                  nothing else: no leg, expiration or user variable yet
``Structure.Expirations[i].DTE/Min/Max`` the expirations before ``i``
``Structure.Legs[i].*``                  all structure expirations, the other structure legs
``Entry.VarDefines.<name>``              structure legs/expirations, the VarDefines before it
``Entry.AbortConditions``/``QtyMult..``  structure legs/expirations, all Entry.VarDefines
``Exit.*``, adjustment conditions        position: every leg, every user variable, ``profit_target``
                                         (after ProfitTarget) / ``stop_loss`` (after StopLoss)
adjustment actions                       position; the expirations the action resolves; AddLegs legs
=======================================  ==============================================================

Size: a definition over the per-strategy limits of :mod:`mesodesk.lang.limits` (number
of expressions, characters of expressions) gets that one error, at ``StrategyDefinition``,
and nothing else is checked; an expression over a per-expression limit gets an
``invalid expression`` naming the limit. At most :data:`MAX_UNKNOWN_REPORTED` unknown
variables are reported per expression, and spelling hints stop after
:data:`MAX_HINTS`, so checking stays linear in the size of the definition.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from mesodesk.lang.expressions import Expression, ExpressionError, parse_expression
from mesodesk.lang.limits import STRATEGY_EXPRESSION_CHARS, STRATEGY_EXPRESSIONS, Limit
from mesodesk.lang.variables import (
    ACCOUNT_PREFIX,
    EXIT_VARIABLES,
    EXPIRATION_FIELDS,
    LEG_FIELDS,
    MODULES,
    NAME_RE,
    Context,
    Dialect,
    builtin_names,
    expiration_variable,
    is_reserved,
    leg_variable,
    split_family,
)

__all__ = [
    "ADJUSTMENT_ACTIONS",
    "MAX_HINTS",
    "MAX_UNKNOWN_REPORTED",
    "PREFIX",
    "SELECTOR_EXPRESSIONS",
    "SELECTOR_KINDS",
    "check_definition",
    "leg_cycle",
    "merge_errors",
]

PREFIX = "StrategyDefinition"
SELECTOR_KINDS: tuple[str, ...] = ("Delta", "BidPrice", "AskPrice", "MidPrice", "StrikePrice", "Complex")
#: StrikeSelector fields that hold expressions (``Complex`` holds an object, not checked).
SELECTOR_EXPRESSIONS: tuple[str, ...] = ("Delta", "BidPrice", "AskPrice", "MidPrice", "StrikePrice", "Min", "Max")
ADJUSTMENT_ACTIONS: tuple[str, ...] = ("MoveLegAdjustment", "RemoveLegsAdjustment", "AddLegsAdjustment",
                                       "UpdateVarsAdjustment")
_MODULE_RE = re.compile(r"\b(" + "|".join(MODULES) + r")\s*\.")
#: Unknown variables reported per expression (the rest are counted in one more message).
MAX_UNKNOWN_REPORTED = 5
#: "did you mean" hints per definition, and the most candidates one hint compares against.
MAX_HINTS = 20
_MAX_HINT_CANDIDATES = 2_000


def check_definition(definition: Mapping[str, Any], *, dialect: Dialect = Dialect.MESOLIVE,
                     prefix: str = PREFIX) -> dict[str, list[str]]:
    """Expression, variable and name-reference errors keyed by field path (empty: none found)."""
    if not isinstance(definition, Mapping):
        return {}
    return _Checker(definition, dialect, prefix).run()


def merge_errors(*sources: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """Union of error maps, in order, without repeating a message at one path."""
    out: dict[str, list[str]] = {}
    for errors in sources:
        for path, messages in errors.items():
            bucket = out.setdefault(path, [])
            bucket.extend(m for m in messages if m not in bucket)
    return out


def leg_cycle(deps: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One cycle (``[a, b, a]``) in a leg -> referenced legs graph, else None (self-loops ignored)."""
    state: dict[str, int] = {}
    names = list(deps)

    def visit(name: str, chain: list[str]) -> list[str] | None:
        if state.get(name) == 2:
            return None
        if state.get(name) == 1:
            return [*chain[chain.index(name):], name]
        state[name] = 1
        for dep in sorted(set(deps.get(name, ())), key=lambda n: names.index(n) if n in names else 0):
            if dep != name and dep in deps:
                found = visit(dep, [*chain, name])
                if found:
                    return found
        state[name] = 2
        return None

    for name in names:
        found = visit(name, [])
        if found:
            return found
    return None


# ------------------------------------------------------------------ internals


def _mapping(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _names(items: Any) -> list[str]:
    """Distinct ``Name`` strings of a list of objects, in order."""
    out: dict[str, None] = {}
    for entry in _items(items):
        name = entry.get("Name") if isinstance(entry, Mapping) else None
        if isinstance(name, str) and name:
            out[name] = None
    return list(out)


def _str_keys(value: Any) -> list[str]:
    mapping = _mapping(value)
    return [str(k) for k in mapping] if mapping is not None else []


def _defines(action: str, body: Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    """The VarDefines of an adjustment action and the path suffix of its entries."""
    if action == "UpdateVarsAdjustment" and body.get("VarDefines") is None:
        return {k: v for k, v in body.items() if k not in ("Expirations", "VarDefines")}, ""
    return _mapping(body.get("VarDefines")) or {}, ".VarDefines"


class _OverLimit(Exception):
    """A per-strategy limit is exceeded: checking stops."""

    def __init__(self, limit: Limit) -> None:
        super().__init__(f"the definition exceeds the {limit.name} of {limit.describe()}")


@dataclass(frozen=True)
class _Ordered:
    """The VarDefines being checked: entry ``index`` sees the names before it (``order``)."""

    order: Mapping[str, int]
    index: int

    def before(self, var: str) -> bool:
        return self.order.get(var, self.index) < self.index

    def later(self, var: str) -> bool:
        return self.order.get(var, -1) >= self.index


@dataclass(frozen=True)
class _Scope:
    where: str
    names: frozenset[str]
    legs: frozenset[str] = frozenset()
    expirations: frozenset[str] = frozenset()
    self_leg: str | None = None
    ordered: _Ordered | None = None  # VarDefines: earlier entries visible, later ones not yet
    defining: str | None = None  # the VarDefines entry being checked
    also: Callable[[str], bool] | None = None  # more visible names, by rule (adjustment actions)

    def sees(self, var: str) -> bool:
        return var in self.names or (self.ordered is not None and self.ordered.before(var)) or (
            self.also is not None and self.also(var))


@dataclass(frozen=True)
class _Block:
    """One adjustment action (for the position-wide names)."""

    path: str
    action: str
    body: Mapping[str, Any]
    defines: Mapping[str, Any]
    defines_path: str
    legs: list[str]
    expirations: list[str]


class _Checker:
    def __init__(self, d: Mapping[str, Any], dialect: Dialect, prefix: str) -> None:
        self.d = d
        self.dialect = dialect
        self.prefix = prefix
        self.errors: dict[str, list[str]] = {}
        self.structure = _mapping(d.get("Structure")) or {}
        self.entry = _mapping(d.get("Entry")) or {}
        self.exit = _mapping(d.get("Exit")) or {}
        self.s_exps = _names(self.structure.get("Expirations"))
        self.s_legs = _names(self.structure.get("Legs"))
        self.entry_vars = _str_keys(self.entry.get("VarDefines"))
        self.conditional = _mapping((_mapping(d.get("Adjustment")) or {}).get("ConditionalAdjustments")) or {}
        self.blocks = self._blocks()
        self.all_legs = set(self.s_legs).union(*(b.legs for b in self.blocks))
        self.all_exps = set(self.s_exps).union(*(b.expirations for b in self.blocks))
        self.position_vars = set(self.entry_vars).union(*(map(str, b.defines) for b in self.blocks))
        self.entry_builtins = builtin_names(Context.ENTRY, dialect)
        self.position_builtins = builtin_names(Context.POSITION, dialect)
        self.lenient = dialect is Dialect.MESOLIVE
        self.expressions = 0
        self.expression_chars = 0
        self.hints = 0
        self.legs_set = frozenset(self.all_legs)
        self.exps_set = frozenset(self.all_exps)

    def _blocks(self) -> list[_Block]:
        out = []
        for cond, actions in self.conditional.items():
            actions = _mapping(actions)
            for action in ADJUSTMENT_ACTIONS:
                body = _mapping(actions.get(action)) if actions is not None else None
                if body is None:
                    continue
                defines, suffix = _defines(action, body)
                legs = _names(body.get("Legs")) if action == "AddLegsAdjustment" else []
                out.append(_Block(f"Adjustment.ConditionalAdjustments[{cond}].{action}", action, body, defines,
                                  suffix, legs, _names(body.get("Expirations"))))
        return out

    # -- reporting -------------------------------------------------------------------------------
    def add(self, path: str, message: str) -> None:
        bucket = self.errors.setdefault(f"{self.prefix}.{path}" if path else self.prefix, [])
        if message not in bucket:
            bucket.append(message)

    def count_holders(self) -> None:
        """Expirations, legs, VarDefines entries, adjustment conditions and condition list items each are
        or hold an expression in a valid definition: more of them than the expression count limit is
        refused before any work that grows with their number."""
        sections = [self.structure.get("Expirations"), self.structure.get("Legs"), self.entry.get("Conditions"),
                    self.entry.get("AbortConditions"), self.exit.get("Conditions")]
        sections += [b.body.get(key) for b in self.blocks for key in ("Expirations", "Legs", "AbortConditions")]
        holders = sum(len(_items(section)) for section in sections)
        holders += len(self.conditional) + len(self.entry_vars) + sum(len(b.defines) for b in self.blocks)
        if holders > STRATEGY_EXPRESSIONS.value:
            raise _OverLimit(STRATEGY_EXPRESSIONS)

    def count(self, value: Any) -> None:
        """Count one expression against the per-strategy limits (raises :class:`_OverLimit`)."""
        self.expressions += 1
        self.expression_chars += len(value) if isinstance(value, str) else 0
        if self.expressions > STRATEGY_EXPRESSIONS.value:
            raise _OverLimit(STRATEGY_EXPRESSIONS)
        if self.expression_chars > STRATEGY_EXPRESSION_CHARS.value:
            raise _OverLimit(STRATEGY_EXPRESSION_CHARS)

    def expression(self, value: Any, path: str, scope: _Scope) -> Expression | None:
        if value is None:
            return None  # required or not: the shape check's business
        self.count(value)
        module = _MODULE_RE.search(value) if isinstance(value, str) else None
        if module is not None:
            if not self.lenient:
                self.add(path, f"the simulator does not implement the ScriptEngine module {module.group(1)!r}")
            return None  # MesoLive has it; nothing to check locally
        try:
            expr = parse_expression(value)
        except ExpressionError as exc:
            self.add(path, f"invalid expression: {exc}")
            return None
        unknown = [var for var in sorted(expr.variables) if self.unknown_without_hint(var, scope)]
        for var in unknown[:MAX_UNKNOWN_REPORTED]:
            problem = self.unknown(var, scope)
            if problem is not None:
                self.add(path, f"unknown variable {var!r}: {problem}" if problem else f"unknown variable {var!r}")
        if len(unknown) > MAX_UNKNOWN_REPORTED:
            self.add(path, f"and {len(unknown) - MAX_UNKNOWN_REPORTED} more unknown variables")
        return expr

    def unknown_without_hint(self, var: str, scope: _Scope) -> bool:
        """Whether ``var`` is unknown in ``scope`` (cheap: no explanation)."""
        if scope.sees(var) or (self.lenient and var.startswith(ACCOUNT_PREFIX)):
            return False
        family = split_family(var)
        if family is None:
            return True
        kind, owner, field = family
        fields, visible = (LEG_FIELDS, scope.legs) if kind == "leg" else (EXPIRATION_FIELDS, scope.expirations)
        return field not in fields or not owner or (kind == "leg" and owner == scope.self_leg) or owner not in visible

    def unknown(self, var: str, scope: _Scope) -> str | None:
        """None when ``var`` exists in ``scope``; else why not ("" = no better explanation)."""
        if scope.sees(var) or (self.lenient and var.startswith(ACCOUNT_PREFIX)):
            return None
        family = split_family(var)
        if family is not None:
            return self.unknown_family(*family, scope)
        if var == scope.defining:
            return "a variable cannot use itself in its own definition"
        if scope.ordered is not None and scope.ordered.later(var):
            return "it is defined later in these VarDefines (they are evaluated in order)"
        if var in self.position_vars:
            return f"it is set by VarDefines, which are evaluated after {scope.where}"
        if var in EXIT_VARIABLES:
            target = "ProfitTarget" if var == "profit_target" else "StopLoss"
            return f"{var} exists once Exit.{target} is set, in the exit and adjustment conditions after it"
        if var in builtin_names(Context.POSITION, Dialect.MESOLIVE):
            return "documented for MesoLive, but the simulator does not compute it"
        if var in (*MODULES, "math"):
            return f"{var} is a module; use {var}.<function>(...)"
        return self.hint(var, scope)

    def hint(self, var: str, scope: _Scope) -> str:
        """ "did you mean ..." for a misspelt name, within the hint budget ("" = none)."""
        size = len(scope.names) + len(scope.legs) * len(LEG_FIELDS) + len(scope.expirations) * len(EXPIRATION_FIELDS)
        if self.hints >= MAX_HINTS or size > _MAX_HINT_CANDIDATES:
            return ""
        self.hints += 1
        candidates = set(scope.names) | {leg_variable(n, f) for n in scope.legs for f in LEG_FIELDS} | {
            expiration_variable(n, f) for n in scope.expirations for f in EXPIRATION_FIELDS}
        if scope.ordered is not None:
            candidates |= {n for n in scope.ordered.order if scope.ordered.before(n)}
        if scope.also is not None and len(self.position_vars) <= _MAX_HINT_CANDIDATES:
            candidates |= {n for n in self.position_vars if scope.also(n)}
        close = difflib.get_close_matches(var, sorted(candidates), n=1, cutoff=0.75)
        return f"did you mean {close[0]!r}?" if close else ""

    def unknown_family(self, family: str, owner: str, field: str, scope: _Scope) -> str | None:
        if family == "leg":
            fields, visible, known, kind = LEG_FIELDS, scope.legs, self.all_legs, "leg"
        else:
            fields, visible, known, kind = EXPIRATION_FIELDS, scope.expirations, self.all_exps, "expiration"
        if field not in fields or not owner:
            return f"{kind} variables are {kind}_<name>_<field>, fields: {', '.join(fields)}"
        if kind == "leg" and owner == scope.self_leg:
            return f"a leg cannot use its own leg_{owner}_* variables (they exist once it is selected)"
        if owner in visible:
            return None
        if owner in known:
            return f"{kind} {owner!r} is not selected yet when {scope.where} is evaluated"
        listed = ", ".join(sorted(known)) or "none"
        return f"no {kind} named {owner!r} (defined: {listed})"

    def name_ref(self, value: Any, path: str, known: Iterable[str], kind: str) -> None:
        if isinstance(value, str) and value and value not in known:
            self.add(path, f"unknown {kind} {value!r} (defined: {', '.join(sorted(known)) or 'none'})")

    # -- walking -------------------------------------------------------------------------------------
    def run(self) -> dict[str, list[str]]:
        try:
            self.count_holders()
            self.entry_context()
            self.exit_context()
            self.adjustments()
        except _OverLimit as exc:
            return {self.prefix: [str(exc)]}
        return self.errors

    def entry_scope(self, where: str, **kw: Any) -> _Scope:
        names = kw.pop("names", frozenset())
        return _Scope(where, self.entry_builtins | names, **kw)

    def entry_context(self) -> None:
        for i, src in enumerate(_items(self.entry.get("Conditions"))):
            self.expression(src, f"Entry.Conditions[{i}]", self.entry_scope("Entry.Conditions"))
        before: set[str] = set()
        for i, exp in enumerate(_items(self.structure.get("Expirations"))):
            if not isinstance(exp, Mapping):
                continue
            scope = self.entry_scope(f"Structure.Expirations[{i}]", expirations=frozenset(before))
            if isinstance(exp.get("Name"), str) and exp["Name"]:
                before.add(exp["Name"])
            for key in ("DTE", "Min", "Max"):
                self.expression(exp.get(key), f"Structure.Expirations[{i}].{key}", scope)
        legs, exps = frozenset(self.s_legs), frozenset(self.s_exps)
        self.legs(self.structure.get("Legs"), "Structure.Legs", self.entry_builtins, legs, exps, exps,
                  "Structure.Legs")
        self.var_defines(_mapping(self.entry.get("VarDefines")) or {}, "Entry.VarDefines",
                         _Scope("Entry.VarDefines", self.entry_builtins, legs, exps))
        after = self.entry_scope("Entry.AbortConditions", names=frozenset(self.entry_vars), legs=legs,
                                 expirations=exps)
        for i, src in enumerate(_items(self.entry.get("AbortConditions"))):
            self.expression(src, f"Entry.AbortConditions[{i}]", after)
        self.expression(self.entry.get("QtyMultiplier"), "Entry.QtyMultiplier", after)

    def legs(self, value: Any, path: str, builtins: frozenset[str] | _Scope, visible_legs: frozenset[str],
             exps: frozenset[str], exp_refs: frozenset[str], where: str) -> None:
        """Legs selected together: each sees ``visible_legs`` (the legs outside the group and its
        siblings) but itself (dependency order)."""
        siblings = set(_names(value))
        deps: dict[str, set[str]] = {}
        base = builtins if isinstance(builtins, _Scope) else _Scope(where, builtins)
        for i, leg in enumerate(_items(value)):
            if not isinstance(leg, Mapping):
                continue
            p = f"{path}[{i}]"
            name = leg.get("Name") if isinstance(leg.get("Name"), str) else None
            scope = _Scope(where, base.names, visible_legs, exps, self_leg=name, also=base.also)
            self.name_ref(leg.get("ExpirationName"), f"{p}.ExpirationName", exp_refs, "expiration")
            exprs = [self.expression(leg.get("Qty"), f"{p}.Qty", scope),
                     self.expression(leg.get("LegGroupId"), f"{p}.LegGroupId", scope)]
            selector = _mapping(leg.get("StrikeSelector")) or {}
            exprs += [self.expression(selector.get(k), f"{p}.StrikeSelector.{k}", scope)
                      for k in SELECTOR_EXPRESSIONS]
            if name is not None:
                deps[name] = {family[1] for e in exprs if e is not None for v in e.variables
                              if (family := split_family(v)) is not None and family[0] == "leg"
                              and family[2] in LEG_FIELDS and family[1] in siblings}
        cycle = leg_cycle(deps)
        if cycle:
            self.add(path, f"legs reference each other in a cycle: {' -> '.join(cycle)}")

    def var_defines(self, defines: Mapping[str, Any], path: str, outer: _Scope) -> None:
        """Ordered VarDefines: entry ``k`` sees what ``outer`` sees and the entries before it."""
        names = [str(k) for k in defines]
        order = {name: k for k, name in reversed(list(enumerate(names)))}
        for k, (name, src) in enumerate(zip(names, defines.values(), strict=True)):
            p = f"{path}.{name}"
            if not NAME_RE.match(name):
                self.add(p, "variable names are letters, digits and '_'")
            elif (reason := is_reserved(name)) is not None:
                self.add(p, reason)
            scope = replace(outer, ordered=_Ordered(order, k))
            scope = replace(scope, defining=None if scope.sees(name) else name)
            self.expression(src, p, scope)

    def exit_variables(self, upto: str | None = None) -> frozenset[str]:
        """``profit_target``/``stop_loss`` of the targets defined (before ``upto`` when given)."""
        order: tuple[tuple[str, str], ...] = (("ProfitTarget", "profit_target"), ("StopLoss", "stop_loss"))
        if upto is not None:
            order = order[:[k for k, _ in order].index(upto)]
        return frozenset(v for k, v in order if self.exit.get(k) is not None)

    def exit_context(self) -> None:
        names = self.position_builtins | self.position_vars
        legs = frozenset(self.all_legs)
        exps = frozenset(self.all_exps) if self.lenient else frozenset()
        for key in ("ProfitTarget", "StopLoss"):
            scope = _Scope(f"Exit.{key}", names | self.exit_variables(key), legs, exps)
            self.expression(self.exit.get(key), f"Exit.{key}", scope)
        scope = _Scope("Exit.Conditions", names | self.exit_variables(), legs, exps)
        for i, src in enumerate(_items(self.exit.get("Conditions"))):
            self.expression(src, f"Exit.Conditions[{i}]", scope)

    def adjustments(self) -> None:
        names = self.position_builtins | self.position_vars | self.exit_variables()
        exps = frozenset(self.all_exps) if self.lenient else frozenset()
        scope = _Scope("the adjustment conditions", names, frozenset(self.all_legs), exps)
        for cond in self.conditional:
            self.expression(cond, f"Adjustment.ConditionalAdjustments[{cond}]", scope)
        builtins = self.position_builtins | (self.exit_variables() if self.lenient else frozenset())
        names = builtins | frozenset(self.entry_vars)
        defined_by_blocks = Counter(name for b in self.blocks for name in map(str, b.defines))
        for block in self.blocks:
            self.action(block, names, defined_by_blocks)

    def action(self, block: _Block, names: frozenset[str], defined_by_blocks: Counter[str]) -> None:
        """One adjustment action, evaluated against the position (jobs.py / the auto UpdateVars).
        ``names``: the built-ins and Entry.VarDefines; ``defined_by_blocks``: how many actions define a name."""
        p, body = block.path, block.body
        where = p.split("].", 1)[-1]
        own = frozenset(map(str, block.defines))

        def other_blocks_define(var: str) -> bool:
            # user variables the position can hold before this action ran: a name only this
            # action defines exists only after it
            return defined_by_blocks[var] > (var in own)

        legs = self.legs_set
        exp_refs = set(self.s_exps) | set(block.expirations)
        resolved: frozenset[str] = self.exps_set if self.lenient else frozenset()
        for i, exp in enumerate(_items(body.get("Expirations"))):
            if isinstance(exp, Mapping):
                for key in ("DTE", "Min", "Max"):
                    self.expression(exp.get(key), f"{p}.Expirations[{i}].{key}",
                                    _Scope(where, names, legs, resolved, also=other_blocks_define))
        if block.action == "MoveLegAdjustment":
            self.name_ref(body.get("LegName"), f"{p}.LegName", self.all_legs, "leg")
            target = body.get("ExpirationName")
            self.name_ref(target, f"{p}.ExpirationName", exp_refs, "expiration")
            if isinstance(target, str) and target in exp_refs:
                resolved |= {target}
            selector = _mapping(body.get("StrikeSelector")) or {}
            scope = _Scope(where, names, legs, resolved, also=other_blocks_define)
            for k in SELECTOR_EXPRESSIONS:
                self.expression(selector.get(k), f"{p}.StrikeSelector.{k}", scope)
        elif block.action == "RemoveLegsAdjustment":
            for i, name in enumerate(_items(body.get("LegNames"))):
                self.name_ref(name, f"{p}.LegNames[{i}]", self.all_legs, "leg")
        elif block.action == "AddLegsAdjustment":
            used = {leg.get("ExpirationName") for leg in _items(body.get("Legs")) if isinstance(leg, Mapping)}
            resolved |= {e for e in used if isinstance(e, str) and e in exp_refs}
            # the legs outside this action and its own legs: every leg
            self.legs(body.get("Legs"), f"{p}.Legs", _Scope(where, names, also=other_blocks_define), legs,
                      resolved, frozenset(exp_refs), where)
            scope = _Scope(where, names, legs, resolved, also=other_blocks_define)
            for i, src in enumerate(_items(body.get("AbortConditions"))):
                self.expression(src, f"{p}.AbortConditions[{i}]", scope)
        self.var_defines(block.defines, f"{p}{block.defines_path}",
                         _Scope(where, names, legs, resolved, also=other_blocks_define))
