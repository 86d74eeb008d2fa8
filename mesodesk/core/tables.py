"""Keyed tables that record what changed between two flushes.

Writers (SDK callbacks, stream consumers) call ``upsert``/``remove`` as often as
they like: each call only touches a dict and a set. Readers (the Qt models) call
``flush()`` at screen rate and get one :class:`ChangeSet` that describes
everything since the previous flush. That is the whole coalescing mechanism:
no per-tick signal ever reaches the UI.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class ChangeSet(Generic[K]):
    """Keys added, updated (value replaced or mutated) and removed since the last flush."""

    added: list[K] = field(default_factory=list)
    updated: set[K] = field(default_factory=set)
    removed: set[K] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.added or self.updated or self.removed)


class Table(Generic[K, V]):
    """An insertion-ordered mapping with change tracking."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._rows: dict[K, V] = {}
        self._added: dict[K, None] = {}
        self._updated: set[K] = set()
        self._removed: set[K] = set()
        self._listeners: list[Callable[[], None]] = []

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def __iter__(self) -> Iterator[K]:
        return iter(self._rows)

    def get(self, key: K) -> V | None:
        return self._rows.get(key)

    def __getitem__(self, key: K) -> V:
        return self._rows[key]

    def values(self) -> list[V]:
        return list(self._rows.values())

    def items(self) -> list[tuple[K, V]]:
        return list(self._rows.items())

    def on_dirty(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` whenever the table goes from clean to dirty. Returns a remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def pending(self, key: K) -> bool:
        """Whether ``key`` was added or updated since the last flush (derived values of it are behind)."""
        return key in self._updated or key in self._added

    @property
    def dirty(self) -> bool:
        return bool(self._added or self._updated or self._removed)

    def upsert(self, key: K, value: V) -> None:
        was_dirty = self.dirty
        if key in self._rows:
            if key not in self._added:
                self._updated.add(key)
        else:
            self._removed.discard(key)
            self._added[key] = None
        self._rows[key] = value
        if not was_dirty:
            self._notify()

    def touch(self, key: K) -> None:
        """Mark ``key`` as updated after its value was mutated in place."""
        updated = self._updated
        if key in updated or key not in self._rows or key in self._added:
            return  # already marked (the common case under a firehose), gone, or new this frame
        was_dirty = bool(updated or self._added or self._removed)
        updated.add(key)
        if not was_dirty:
            self._notify()

    def remove(self, key: K) -> None:
        if key not in self._rows:
            return
        was_dirty = self.dirty
        del self._rows[key]
        self._updated.discard(key)
        if key in self._added:
            del self._added[key]
        else:
            self._removed.add(key)
        if not was_dirty and self.dirty:
            self._notify()

    def replace_all(self, rows: dict[K, V]) -> None:
        """Make the table hold exactly ``rows`` (a snapshot after a (re)connect)."""
        for key in [k for k in self._rows if k not in rows]:
            self.remove(key)
        for key, value in rows.items():
            self.upsert(key, value)

    def flush(self) -> ChangeSet[K]:
        changes = ChangeSet(list(self._added), self._updated, self._removed)
        self._added = {}
        self._updated = set()
        self._removed = set()
        return changes

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()
