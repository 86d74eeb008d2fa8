"""Totals arithmetic: running sums updated row by row equal a fresh sum, exactly."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesodesk.core.totals import RunningSums, column_sums, group_name

GETTERS = {"pnl": lambda r: r.pnl, "delta": lambda r: r.delta}
values = st.one_of(st.none(), st.decimals(-10_000, 10_000, places=2, allow_nan=False, allow_infinity=False))
ops = st.lists(st.tuples(st.integers(0, 6), st.booleans(), values, values), max_size=60)


@given(ops)
def test_running_sums_equal_a_fresh_sum_after_any_updates(steps) -> None:
    running = RunningSums(GETTERS)
    rows: dict[int, SimpleNamespace] = {}
    for key, keep, pnl, delta in steps:
        if keep:
            rows[key] = SimpleNamespace(pnl=pnl, delta=delta)
            running.put(key, rows[key])
        else:
            rows.pop(key, None)
            running.discard(key)
        fresh = {k: (sum((r.pnl for r in rows.values() if r.pnl is not None), Decimal(0))
                     if any(r.pnl is not None for r in rows.values()) else None) for k in ("pnl",)}
        assert running.sums()["pnl"] == fresh["pnl"]
        assert running.sums() == column_sums(rows.values(), GETTERS)
        assert len(running) == len(rows)


def test_a_column_without_values_totals_to_none_and_floats_are_summed_exactly() -> None:
    rows = [SimpleNamespace(pnl=0.1, delta=None), SimpleNamespace(pnl=0.2, delta=None)]
    assert column_sums(rows, GETTERS) == {"pnl": Decimal("0.3"), "delta": None}


def test_group_names() -> None:
    row = SimpleNamespace(summary=SimpleNamespace(strategy_name="", live_strategy_id=7, broker_account_id="A1"),
                          underlying=None)
    assert [group_name(row, g) for g in ("strategy", "account", "underlying")] == ["Strategy 7", "A1", "?"]
    with pytest.raises(ValueError, match="unknown grouping"):
        group_name(row, "colour")
