"""The ScriptEngine variable catalog: which variables exist where a definition is evaluated.

Derived from what the simulator puts in its evaluation environments
(``sim/strategy.py``: ``build_entry``, ``position_variables``, ``leg_variables``,
``resolve_expirations``; ``sim/signals.py``: the entry and exit passes;
``sim/jobs.py``: the prepare builds) and from the documented MesoLive
ScriptEngine variables (API notes, "ScriptEngine variables").

Two kinds of evaluation, :class:`Context`:

* ``ENTRY``: the entry build and the entry signal. ``Entry.Conditions`` (greeks 0,
  no legs yet), then ``Structure.Expirations`` in order, the ``Structure.Legs`` in
  dependency order, ``Entry.VarDefines`` in order, ``Entry.AbortConditions`` and
  ``Entry.QtyMultiplier``.
* ``POSITION``: an open position. ``Exit`` (``ProfitTarget``, then ``StopLoss``,
  then ``Conditions``, which see ``profit_target``/``stop_loss``), the
  ``Adjustment.ConditionalAdjustments`` conditions and their actions. The user
  variables are the position's vars: every name any VarDefines of the definition
  can set (Entry.VarDefines, and the VarDefines of the adjustment actions).

Units, per position or per unit (API notes, "ScriptEngine variables" [D]; MesoSim's
job-definition reference: ``ProfitTarget``/``StopLoss`` are "the loss of our overall
structure", its examples build them from ``pos_theta`` and turn a leg's greek into a
per-contract delta target with ``/ abs(leg_x_qty)``; API notes 7.4: a marker leg's
greeks are per one unit, i.e. the others' are not):

* per position, scaled by the quantity: ``pos_pnl`` and ``leg_<name>_pnl`` ($),
  ``pos_<greek>`` and ``leg_<name>_<greek>`` (the leg's contribution: per-share greek x
  signed qty x 100), ``profit_target`` and ``stop_loss`` ($, compared with ``pos_pnl``);
  ``leg_<name>_qty`` is the signed position quantity (QtyMultiplier applied);
* per unit: ``leg_<name>_price``/``bid``/``ask``/``mid`` (per share of one contract),
  ``leg_<name>_iv``, ``leg_<name>_strike``, the ``underlying_*`` and ``expiration_*`` values.

So an expression that mixes them must convert: a credit per share times
``100 * abs(leg_<name>_qty)`` is the position's dollars. Entry.VarDefines are evaluated
twice [D]: in the Build preview (one combo unit, ``pos_pnl`` 0, not persisted) and on
the filled position (persisted), so a VarDefine sees the real lots.

Families of names besides the built-ins: ``leg_<name>_<field>`` (:data:`LEG_FIELDS`),
``expiration_<name>_<field>`` (:data:`EXPIRATION_FIELDS`) and the user variables of
VarDefines. Which legs, expirations and user variables are visible at one field is
decided by :mod:`mesodesk.lang.check`.

:class:`Dialect`: ``SIMULATOR`` is exactly what the simulator provides (it refuses a
definition that would fail there); ``MESOLIVE`` adds the documented variables the
simulator does not compute (``underlying_iv_rank``, ``underlying_iv_pct``,
``underlying_hv``, ``acc_*``), expiration variables in position contexts and the
``timing``/``options`` modules, which cannot be checked locally.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

__all__ = [
    "ACCOUNT_PREFIX",
    "BUILTINS",
    "EXIT_VARIABLES",
    "EXPIRATION_FIELDS",
    "LEG_FIELDS",
    "MODULES",
    "NAME_RE",
    "Context",
    "Dialect",
    "Variable",
    "builtin_names",
    "expiration_variable",
    "is_reserved",
    "leg_variable",
    "split_family",
]


class Dialect(enum.Enum):
    SIMULATOR = "simulator"
    MESOLIVE = "mesolive"


class Context(enum.Enum):
    ENTRY = "entry"
    POSITION = "position"


#: ``leg_<name>_<field>``: per share prices, position-contribution greeks, iv in percent,
#: signed position qty, pnl in dollars, dte/dit in (decimal) calendar days.
LEG_FIELDS: tuple[str, ...] = ("strike", "price", "bid", "ask", "mid", "delta", "gamma", "theta", "vega", "wvega",
                               "rho", "iv", "qty", "dte", "dit", "pnl")
#: ``expiration_<name>_<field>``: the chosen expiration's DTE and the Min/Max bounds.
EXPIRATION_FIELDS: tuple[str, ...] = ("dte", "min", "max")
#: Set by the exit pass once ProfitTarget/StopLoss evaluated (later exit expressions see them);
#: dollars of the whole position, like ``pos_pnl``.
EXIT_VARIABLES: tuple[str, ...] = ("profit_target", "stop_loss")
#: Documented account variables ``acc_*`` (MesoLive only; the names are not listed).
ACCOUNT_PREFIX = "acc_"
#: Documented ScriptEngine modules (``timing.*``, ``options.*``); the simulator has neither.
MODULES: tuple[str, ...] = ("timing", "options")
#: A user variable, leg or expiration name.
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Variable:
    name: str
    doc: str
    contexts: frozenset[Context] = frozenset(Context)
    #: False: documented for MesoLive, not computed by the simulator.
    simulator: bool = True


def _v(name: str, doc: str, *, simulator: bool = True) -> Variable:
    return Variable(name, doc, frozenset(Context), simulator)


#: The built-in variables (every family member and user variable aside).
BUILTINS: tuple[Variable, ...] = (
    _v("nav", "account net liquidation value ($)"),
    _v("pos_in_flight", "open positions of this strategy on the account"),
    _v("days_in_trade", "calendar days since the position opened (decimal; 0 at entry)"),
    _v("pos_pnl", "position P&L, mark basis ($, whole position; 0 in the entry build)"),
    _v("pos_delta", "sum of the legs' delta contributions (0 in Entry.Conditions)"),
    _v("pos_gamma", "sum of the legs' gamma contributions (0 in Entry.Conditions)"),
    _v("pos_theta", "sum of the legs' theta contributions, $/day (0 in Entry.Conditions)"),
    _v("pos_vega", "sum of the legs' vega contributions (0 in Entry.Conditions)"),
    _v("pos_wvega", "sum of the legs' weighted-vega contributions (0 in Entry.Conditions)"),
    _v("pos_rho", "position rho (always 0)"),
    _v("underlying_price", "underlying mark"),
    _v("underlying_today_open", "underlying open of today"),
    _v("underlying_prevday_close", "underlying close of the previous day"),
    _v("underlying_iv", "underlying implied volatility (percent)"),
    _v("underlying_iv_rank", "IV rank (percent)", simulator=False),
    _v("underlying_iv_pct", "IV percentile (percent)", simulator=False),
    _v("underlying_hv", "historical volatility (percent)", simulator=False),
)


def builtin_names(context: Context, dialect: Dialect = Dialect.SIMULATOR) -> frozenset[str]:
    """The built-in variable names available in ``context`` (no leg/expiration/user/exit names)."""
    return frozenset(v.name for v in BUILTINS
                     if context in v.contexts and (v.simulator or dialect is Dialect.MESOLIVE))


def leg_variable(leg: str, field: str) -> str:
    return f"leg_{leg}_{field}"


def expiration_variable(expiration: str, field: str) -> str:
    return f"expiration_{expiration}_{field}"


def split_family(name: str) -> tuple[str, str, str] | None:
    """``("leg" | "expiration", <name>, <field>)`` for a family-shaped name, else None.

    The field is the part after the last ``_`` (no field contains one), so names
    with underscores split unambiguously: ``leg_short_put_strike`` -> short_put, strike.
    """
    for family in ("leg", "expiration"):
        head = f"{family}_"
        if name.startswith(head):
            rest = name[len(head):]
            owner, sep, field = rest.rpartition("_")
            if sep and owner:
                return family, owner, field
            return family, "", rest
    return None


def is_reserved(name: str) -> str | None:
    """Why ``name`` cannot be a user variable (None when it can)."""
    if name in builtin_names(Context.POSITION, Dialect.MESOLIVE) or name in EXIT_VARIABLES:
        return f"{name!r} is a built-in variable (the built-in value would replace it)"
    if name.startswith(("leg_", "expiration_")):
        return f"{name!r} looks like a leg_/expiration_ variable; choose a name without that prefix"
    if name.startswith(ACCOUNT_PREFIX):
        return f"{name!r} uses the account variable prefix {ACCOUNT_PREFIX!r}"
    if name in MODULES:
        return f"{name!r} is a ScriptEngine module name"
    return None
