"""The risk graph's header line: what is graphed, the underlying price as the Positions blotter
writes it, Σ delta (beta-weighted to the index when weighted) and Σ theta from the blotter's
position greeks, open legs, days to expiration, realized P&L. A compact graph (a risk monitor
panel) shows the position, its price and its P&L."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mesodesk.core.formatting import fmt_signed_money
from mesodesk.core.risk import RiskInputs, RiskScope, beta_weighted_totals
from mesodesk.core.state import AppState
from mesodesk.quant.risk import RiskModel
from mesodesk.ui.charts.style import ChartColors


def header_html(state: AppState, inputs: RiskInputs, model: RiskModel | None, *, scope: RiskScope,
                position_ids: Sequence[int], betas: Mapping[str, float], colors: ChartColors,
                compact: bool, quoted: Mapping[str, float] | None = None) -> str:
    if scope.kind == "selection" or compact:
        names = []
        for pid in position_ids[:3]:
            row = state.positions.get(pid)
            names.append(f"#{pid} {row.summary.name}" if row is not None else f"#{pid}")
        more = f" +{len(position_ids) - 3}" if len(position_ids) > 3 else ""
        what = f"{', '.join(names)}{more}"
    else:
        what = f"{scope.label} ({inputs.open_positions} open)"
    if compact:
        pnl = sum(float(r.pnl_mark) for p in position_ids
                  if (r := state.positions.get(p)) is not None and r.pnl_mark is not None)
        color = colors.bar_pos if pnl >= 0 else colors.bar_neg
        return (f"<b>{what}</b> · {inputs.reference or ''} {inputs.current_price_text(state)} · "
                f"P&amp;L <span style='color:{color}'><b>{fmt_signed_money(pnl)}</b></span>")
    closed = (f" · {inputs.closed_positions} closed, realized {fmt_signed_money(inputs.realized)}"
              if inputs.closed_positions else "")
    if model is None:
        if inputs.closed_positions and not inputs.open_positions:
            return (f"<b>Risk profile</b> · {what} · closed · realized P&amp;L "
                    f"<b>{fmt_signed_money(inputs.realized)}</b> (final)")
        return f"Risk graph · {what} · waiting for legs and prices"
    exp = model.first_expiration
    dte = f" · {max((exp - model.now).total_seconds(), 0) / 86400:.1f} DTE" if exp is not None else ""
    und = model.reference if model.beta_weighted else "/".join(model.underlyings)
    price = inputs.current_price_text(state) if not model.mixed else ""
    return (f"<b>Risk profile</b> · {what} · {und} {price} · "
            f"{greeks_text(state, model, position_ids, betas, quoted)} · "
            f"{len(model.open_legs)} open legs{dte} · realized {fmt_signed_money(model.realized)}{closed}"
            + (f" · <i>{inputs.note}</i>" if inputs.note else ""))


def greeks_text(state: AppState, model: RiskModel, position_ids: Sequence[int], betas: Mapping[str, float],
                quoted: Mapping[str, float] | None = None) -> str:
    """``β-Δ SPX 4.85 · Θ 9.24`` when weighted; ``Δ … · Θ …`` on one underlying; ``Θ …`` when mixed."""
    if model.beta_weighted:
        totals = beta_weighted_totals(state, position_ids, model.reference, betas, quoted)
        delta = "—" if totals.delta is None else f"{totals.delta:,.2f}"
        return f"β-Δ {model.reference} <b>{delta}</b> · Θ {totals.theta:,.2f}"
    rows = [r for p in position_ids if (r := state.positions.get(p)) is not None and r.is_open]
    theta = f"Θ {sum(float(t) for r in rows if (t := r.greek('theta')) is not None):,.2f}"
    if model.mixed:
        return theta  # deltas of different underlyings do not add up: weight them to an index
    return f"Δ {sum(float(d) for r in rows if (d := r.greek('delta')) is not None):,.2f} · {theta}"
