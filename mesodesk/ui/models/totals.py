"""Totals of the rows a blotter shows: the sums follow the filter and the live values.

:class:`ShownTotals` watches the blotter's :class:`BlotterProxy` (its accepted rows are
what the user sees) and brings the sums up to date once per frame: the proxy's row
signals and the model's ``rows_updated`` (every updated key, on screen or not: the model
signals ``dataChanged`` for visible rows only) arm one zero-delay timer, which runs after
the frame's syncs. The arithmetic is
:class:`mesodesk.core.totals.RunningSums` over the cells' own getters: a tick re-reads
only the changed rows; rows shown or hidden (filter, inserts, removals) are found by
diffing the shown keys. ``changed`` is emitted only when a total moved.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from mesodesk.core.totals import Getter, RunningSums, Sums
from mesodesk.ui.models.blotter_proxy import BlotterProxy


def shown_keys(proxy: BlotterProxy) -> list[Hashable]:
    """Keys of the rows the proxy accepts, in its order.

    Asks the proxy its row count even in pass-through: a ``QSortFilterProxyModel`` maps rows
    lazily and signals no source change before it has mapped them."""
    model = proxy.blotter
    shown = proxy.rowCount()
    if proxy.passthrough:
        return [model.key_at(row) for row in range(model.rowCount())]
    keys = []
    for row in range(shown):
        key = model.key_at(proxy.mapToSource(proxy.index(row, 0)).row())
        if key is not None:
            keys.append(key)
    return keys


def total_getters(proxy: BlotterProxy, column_keys: Sequence[str]) -> dict[str, Getter]:
    """The cells' own value getters of ``column_keys``."""
    model = proxy.blotter
    return {key: model.columns[model.column_index(key)].value for key in column_keys}


class ShownTotals(QObject):
    changed = Signal()

    def __init__(self, proxy: BlotterProxy, column_keys: Sequence[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.proxy = proxy
        self.column_keys = list(column_keys)
        self.getters = total_getters(proxy, column_keys)
        self._running = RunningSums(self.getters)
        self.sums: Sums = dict.fromkeys(self.column_keys)
        self.rows = 0  # how many rows the sums cover
        self.recomputes = 0  # tests and the benchmark: once per frame at most
        self._membership_dirty = True
        self._dirty_keys: set[Hashable] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.recompute)
        for signal in (proxy.rowsInserted, proxy.rowsRemoved, proxy.rowsMoved, proxy.layoutChanged,
                       proxy.modelReset):
            signal.connect(self._rows_shown_changed)
        proxy.blotter.rows_updated.connect(self._values_changed)
        self.recompute()

    def _rows_shown_changed(self, *_: Any) -> None:
        self._membership_dirty = True
        if not self._timer.isActive():
            self._timer.start()

    def _values_changed(self, keys: set[Hashable]) -> None:
        self._dirty_keys |= keys  # rows not shown are skipped by recompute
        if not self._timer.isActive():
            self._timer.start()

    def recompute(self) -> None:
        """Bring the sums up to date: rows that came or went, and rows whose values changed."""
        self._timer.stop()
        self.recomputes += 1
        table, running = self.proxy.blotter.table, self._running
        dirty, self._dirty_keys = self._dirty_keys, set()
        new: set[Hashable] = set()
        if self._membership_dirty:
            self._membership_dirty = False
            shown = set(shown_keys(self.proxy))
            for key in running.keys() - shown:
                running.discard(key)
            new = shown - running.keys()
        for key in dirty | new:
            row = table.get(key)
            if row is None:
                running.discard(key)
            elif key in new or key in running:
                running.put(key, row)
        sums = running.sums()
        if sums != self.sums or len(running) != self.rows:
            self.sums, self.rows = sums, len(running)
            self.changed.emit()

    def value(self, column_key: str) -> Decimal | None:
        return self.sums.get(column_key)
