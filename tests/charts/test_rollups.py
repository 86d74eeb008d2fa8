"""Rollups: PnL and greeks summed per strategy and per underlying."""

from __future__ import annotations

import pytest

from mesodesk.core.rollups import compute_rollups, update_rollup_table
from mesodesk.core.tables import Table
from tests.charts.rows import position_row, update


def rows():
    return [
        position_row(1, "PCS 45", "SPX", pnl=100.0, realized=10.0, delta=2.0, gamma=-0.01, theta=5.0, vega=-50.0),
        position_row(2, "PCS 45", "SPX", pnl=-40.0, delta=1.0, gamma=-0.02, theta=4.0, vega=-30.0),
        position_row(3, "IC 30", "RUT", pnl=25.5, delta=-0.5, gamma=-0.03, theta=8.0, vega=-70.0),
        position_row(4, "IC 30", "SPX", pnl=-300.0, realized=-300.0, delta=9.0, theta=9.0, open_=False),
    ]


def test_rollups_by_strategy() -> None:
    r = compute_rollups(rows(), "strategy")
    assert list(r) == ["strategy:IC 30", "strategy:PCS 45"]
    pcs, ic = r["strategy:PCS 45"], r["strategy:IC 30"]
    assert (pcs.positions, pcs.pnl, pcs.realized) == (2, 60.0, 10.0)
    assert (pcs.delta, pcs.gamma, pcs.theta, pcs.vega) == pytest.approx((3.0, -0.03, 9.0, -80.0))
    # a closed position counts in PnL and realized, not in greeks or the open count
    assert (ic.positions, ic.pnl, ic.realized) == (1, -274.5, -300.0)
    assert (ic.delta, ic.theta, ic.vega) == pytest.approx((-0.5, 8.0, -70.0))


def test_rollups_by_underlying_sum_to_the_portfolio() -> None:
    data = rows()
    r = compute_rollups(data, "underlying")
    assert set(r) == {"underlying:SPX", "underlying:RUT"}
    assert r["underlying:SPX"].pnl == pytest.approx(-240.0)
    assert r["underlying:SPX"].delta == pytest.approx(3.0)
    assert sum(x.pnl for x in r.values()) == pytest.approx(sum(float(p.pnl_mark) for p in data))
    with pytest.raises(ValueError):
        compute_rollups(data, "account")


def test_update_rollup_table_touches_only_changed_rows() -> None:
    data = rows()
    table: Table = Table("rollups")
    assert update_rollup_table(table, compute_rollups(data, "strategy"))
    changes = table.flush()
    assert set(changes.added) == {"strategy:IC 30", "strategy:PCS 45"}
    assert not update_rollup_table(table, compute_rollups(data, "strategy"))
    update(data[0], pnl=130.0, realized=10.0, delta=2.0, gamma=-0.01, theta=5.0, vega=-50.0, seconds=1)
    assert update_rollup_table(table, compute_rollups(data, "strategy"))
    changes = table.flush()
    assert changes.updated == {"strategy:PCS 45"} and not changes.added
    assert table["strategy:PCS 45"].pnl == 90.0
    update_rollup_table(table, compute_rollups(data[:2], "strategy"))
    assert table.flush().removed == {"strategy:IC 30"}
