"""Totals and subtotals of blotter rows: the arithmetic, Qt-free.

A blotter names the columns it totals and hands over their value getters (the
same getters its cells show), so a total is exactly the sum of the cells' values
(rounded once, for display; adding the rounded cells can differ in the last digit).
Sums are exact (``Decimal``); a missing value contributes nothing, and a column
with no value in any row totals to ``None`` (shown blank, like its cells).

:class:`RunningSums` keeps sums of keyed rows up to date row by row (a tick costs the
changed rows, not the whole book); being exact, its sums equal :func:`column_sums`.

Position grouping (account, strategy, underlying) is named here once: the
blotter's groups and the portfolio rollups use the same group names.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from decimal import Decimal
from typing import Any

#: groupings of the Positions blotter, in menu order (``None`` is "not grouped")
POSITION_GROUPINGS = ("account", "strategy", "underlying")

Getter = Callable[[Any], Any]
Sums = dict[str, Decimal | None]


def group_name(row: Any, grouping: str) -> str:
    """The group a position row belongs to under ``grouping`` ("account", "strategy" or "underlying")."""
    if grouping == "strategy":
        return str(row.summary.strategy_name or f"Strategy {row.summary.live_strategy_id}")
    if grouping == "account":
        return str(row.summary.broker_account_id or "?")
    if grouping == "underlying":
        return str(row.underlying or "?")
    raise ValueError(f"unknown grouping {grouping!r}")


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(str(float(value)))


def column_sums(rows: Iterable[Any], getters: Mapping[str, Getter]) -> Sums:
    """Per column key: the sum of ``getter(row)`` over ``rows`` (None values skipped; None if all are)."""
    sums: Sums = dict.fromkeys(getters)
    items = list(getters.items())
    for row in rows:
        for key, get in items:
            value = get(row)
            if value is None:
                continue
            total = sums[key]
            sums[key] = _decimal(value) if total is None else total + _decimal(value)
    return sums


class RunningSums:
    """Column sums over a set of keyed rows, updated row by row, exactly."""

    def __init__(self, getters: Mapping[str, Getter]) -> None:
        self._columns = list(getters)
        self._getters = list(getters.values())
        self._values: dict[Hashable, tuple[Decimal | None, ...]] = {}
        self._totals = [Decimal(0)] * len(self._columns)
        self._counts = [0] * len(self._columns)  # rows with a value, per column: None when 0

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def keys(self) -> set[Hashable]:
        return set(self._values)

    def put(self, key: Hashable, row: Any) -> bool:
        """Add ``row`` under ``key`` or replace its previous values; True if a sum changed."""
        new = tuple(None if (v := get(row)) is None else _decimal(v) for get in self._getters)
        old = self._values.get(key)
        if old == new:
            return False
        if old is not None:
            self._apply(old, -1)
        self._apply(new, 1)
        self._values[key] = new
        return True

    def discard(self, key: Hashable) -> bool:
        old = self._values.pop(key, None)
        if old is None:
            return False
        self._apply(old, -1)
        return True

    def _apply(self, values: tuple[Decimal | None, ...], sign: int) -> None:
        for i, value in enumerate(values):
            if value is not None:
                self._totals[i] += value if sign > 0 else -value
                self._counts[i] += sign

    def sums(self) -> Sums:
        return {c: (t if n else None) for c, t, n in zip(self._columns, self._totals, self._counts, strict=True)}
