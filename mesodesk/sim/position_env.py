"""The ScriptEngine environment of an open position, and Entry.VarDefines after the entry fills.

MesoLive evaluates ``Entry.VarDefines`` twice [D] (API notes 7.1): during the Build
preview (not persisted) and after the entry fills (persisted). The preview runs before
``QtyMultiplier`` is known, so its ``leg_<name>_qty``, leg greeks and ``pos_*`` are those
of one combo unit and its ``pos_pnl`` is 0. After the fills the same definitions see the
position as filled: ``N`` lots, ``pos_pnl`` = the fills against the marks (commissions
included). :func:`entry_vars_after_fills` is that second evaluation; the broker calls it
when an entry exec plan is completely filled, and the position keeps its result.

Units (API notes "ScriptEngine variables"; MesoSim job-definition reference): ``pos_*``
are the whole position ($, contract deltas); ``leg_<name>_qty`` is the signed position
quantity; leg greeks are the leg's contribution (per-unit greek x qty x 100); leg
prices are per share of one contract. So a VarDefine that mixes ``pos_pnl`` with leg
prices must divide by ``100 * abs(leg_<name>_qty)`` to stay per share and per combo
unit for any number of lots (see the bundled strategies' ``initial_credit``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mesodesk.lang.expressions import ExpressionError, compile_expression
from mesodesk.sim.strategy import position_variables, to_decimal
from mesodesk.sim.world import PositionRecord

if TYPE_CHECKING:
    from mesodesk.sim.context import SimContext

log = logging.getLogger("mesodesk.sim.position_env")


def position_env(ctx: SimContext, position: PositionRecord) -> dict[str, Any]:
    """The variables an expression sees on ``position`` now (user vars, legs, pos_*, account)."""
    world = ctx.world
    account = world.accounts.get(position.broker_account_id)
    in_flight = sum(1 for p in world.open_positions() if p.live_strategy_id == position.live_strategy_id
                    and p.broker_account_id == position.broker_account_id)
    return position_variables(ctx.market, ctx.pricer, position, world.position_legs(position.id),
                              nav=float(account.net_liquidation_value or 0) if account else 0.0,
                              in_flight=in_flight)


def entry_vars_after_fills(ctx: SimContext, position: PositionRecord) -> dict[str, Decimal]:
    """``position.vars`` with its strategy's Entry.VarDefines evaluated on the filled position.

    Each definition sees the earlier ones. One that cannot be evaluated here (e.g. an
    ``expiration_*`` variable, which only the entry build has) keeps its preview value,
    with a log line; the fill itself never fails because of a VarDefine.
    """
    out = dict(position.vars)
    strategy = ctx.world.strategies.get(position.live_strategy_id)
    defines = ((strategy.strategy_definition.get("Entry") or {}).get("VarDefines") if strategy else None)
    if not isinstance(defines, Mapping) or not defines:
        return out
    try:
        env = position_env(ctx, position)
    except Exception:  # the fill must stand whatever the environment lacks
        log.exception("position %s: no ScriptEngine environment after the fills; the preview vars stay",
                      position.id)
        return out
    for name, source in defines.items():
        try:
            value = compile_expression(source).number(env)
        except ExpressionError as exc:
            log.warning("position %s: Entry.VarDefines.%s after the fills: %s (the preview value stays)",
                        position.id, name, exc)
            continue
        env[name] = value
        out[name] = to_decimal(value, 6)
    return out
