"""Portfolio rollups: PnL and greeks summed per strategy and per underlying.

Qt-free. :func:`compute_rollups` aggregates position rows; :func:`update_rollup_table`
writes the result into a :class:`~mesodesk.core.tables.Table` (so a
``KeyedTableModel`` shows it and only changed rows repaint). PnL sums every
position (open and closed: realized counts); greeks and the open count only open
positions. A missing value contributes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mesodesk.contract import LivePositionState
from mesodesk.core.tables import Table
from mesodesk.core.totals import group_name

GREEKS = ("delta", "gamma", "theta", "vega")
GROUPINGS = ("strategy", "underlying")


@dataclass
class Rollup:
    key: str  # "<grouping>:<name>"
    grouping: str  # "strategy" | "underlying"
    name: str
    positions: int = 0  # open positions
    pnl: float = 0.0
    realized: float = 0.0
    delta: float = 0.0
    gamma: float = 0.0
    theta: float = 0.0
    vega: float = 0.0

    @property
    def id(self) -> str:
        return self.key

    def as_tuple(self) -> tuple[Any, ...]:
        return (self.positions, self.pnl, self.realized, self.delta, self.gamma, self.theta, self.vega)


def _is_open(row: Any) -> bool:
    return bool(row.summary.state == LivePositionState.Open)


def compute_rollups(rows: Iterable[Any], grouping: str) -> dict[str, Rollup]:
    """Rollups of position rows grouped by ``"strategy"`` or ``"underlying"``, keyed by ``Rollup.key``."""
    if grouping not in GROUPINGS:
        raise ValueError(f"unknown grouping {grouping!r}")
    out: dict[str, Rollup] = {}
    for row in rows:
        name = group_name(row, grouping)
        key = f"{grouping}:{name}"
        r = out.get(key)
        if r is None:
            r = out[key] = Rollup(key, grouping, name)
        pnl = row.pnl_mark
        if pnl is not None:
            r.pnl += float(pnl)
        realized = row.realized_pnl
        if realized is not None:
            r.realized += float(realized)
        if not _is_open(row):
            continue
        r.positions += 1
        for greek in GREEKS:
            value = row.greek(greek)
            if value is not None:
                setattr(r, greek, getattr(r, greek) + float(value))
    return dict(sorted(out.items(), key=lambda kv: kv[1].name))


def update_rollup_table(table: Table[str, Rollup], rollups: dict[str, Rollup]) -> bool:
    """Make ``table`` hold ``rollups``, touching only rows whose values changed. True if anything changed."""
    changed = False
    for key in [k for k in table if k not in rollups]:
        table.remove(key)
        changed = True
    for key, new in rollups.items():
        old = table.get(key)
        if old is None:
            table.upsert(key, new)
            changed = True
        elif old.as_tuple() != new.as_tuple():
            old.positions, old.pnl, old.realized = new.positions, new.pnl, new.realized
            old.delta, old.gamma, old.theta, old.vega = new.delta, new.gamma, new.theta, new.vega
            table.touch(key)
            changed = True
    return changed
