"""Which rows of a model are on screen: the union of what each of its views reports.

A model can be shown by several views at once (the Legs blotter and the Legs tab of
every open position window; Events and Signals). Each view registers as a viewer and
reports the keys of the rows it paints (none while hidden). ``None`` means "every row":
a model nobody reports for (tests, a view that cannot tell) keeps signalling every row.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable


class VisibleKeys:
    def __init__(self) -> None:
        self._by_viewer: dict[int, frozenset[Hashable] | None] = {}
        self._ids = itertools.count(1)
        self.union: set[Hashable] | None = None

    def add(self) -> int:
        """A new viewer, counted as showing every row until it reports."""
        viewer = next(self._ids)
        self._by_viewer[viewer] = None
        return viewer

    def set(self, viewer: int, keys: Iterable[Hashable] | None) -> tuple[set[Hashable] | None, set[Hashable] | None]:
        """Record what ``viewer`` shows (a removed viewer is ignored); returns (union before, union after)."""
        if viewer not in self._by_viewer:
            return self.union, self.union
        self._by_viewer[viewer] = None if keys is None else frozenset(keys)
        return self._recompute()

    def remove(self, viewer: int) -> tuple[set[Hashable] | None, set[Hashable] | None]:
        self._by_viewer.pop(viewer, None)
        return self._recompute()

    def _recompute(self) -> tuple[set[Hashable] | None, set[Hashable] | None]:
        before = self.union
        reports = list(self._by_viewer.values())
        self.union = None if not reports or any(r is None for r in reports) else set().union(*reports)
        return before, self.union
