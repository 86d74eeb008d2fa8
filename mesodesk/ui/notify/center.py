"""The notification history and the level states (signals On/Off, errors Raised/Cleared).

:class:`NotificationCenter` is the single source of truth the toasts, the dock,
the toolbar badge and the tray read from:

* ``ingest(event, away=...)`` dedupes by ``EventId`` (a bounded window, on top of the
  SDK's own dedupe) and returns the new :class:`Notice`, or ``None`` for a repeat; it is
  :meth:`accept` (dedupe and level state) followed by :meth:`add` (the history entry);
* ``fold(entry, notice)``: ``notice`` was folded into the history entry ``entry`` (a
  flapping signal, :mod:`mesodesk.core.announcements`): the entry updates in place;
* level states are tracked by key: an ``On``/``Raised`` for a key that is already
  active (an on-connect push under a fresh EventId, a replayed state) is absorbed
  silently; ``Off``/``Cleared`` removes the key;
* ``record_state(event)`` only updates the level states (history the trader never
  saw: the first replay of a fresh install);
* ``restore(notices)`` puts the entries of an earlier run (the persisted history,
  :mod:`mesodesk.core.notify_history`) before the others; their events, when the server
  replays them, only update the level states.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from PySide6.QtCore import QObject, Signal

from mesodesk.contract import MesoLiveEvent
from mesodesk.core.notices import Notice, describe


class NotificationCenter(QObject):
    sig_added = Signal(object)
    """A new :class:`Notice` entered the history."""

    sig_updated = Signal(object)
    """A history entry changed in place (a later event was folded into it)."""

    sig_changed = Signal()
    """Read flags changed or the history was cleared."""

    sig_unread_changed = Signal(int)
    sig_levels_changed = Signal(int)
    """Emitted with the number of active level states (signals On + errors Raised)."""

    def __init__(self, parent: QObject | None = None, *, limit: int = 2000, dedupe_window: int = 20_000) -> None:
        super().__init__(parent)
        self.limit = limit
        self._window = dedupe_window
        self.notices: list[Notice] = []
        self._by_key: dict[str, Notice] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()
        #: level key -> the notice that switched it on
        self.levels: dict[str, Notice] = {}
        self._unread = 0
        #: event ids of restored entries whose event has not been delivered in this run yet
        self._restored: set[str] = set()

    # -- intake --------------------------------------------------------------------
    def seen(self, event_id: str) -> bool:
        return event_id in self._seen

    def _remember(self, event_id: str) -> None:
        self._seen[event_id] = None
        while len(self._seen) > self._window:
            self._seen.popitem(last=False)

    def ingest(self, event: MesoLiveEvent, *, away: bool = False) -> Notice | None:
        notice = self.accept(event, away=away)
        if notice is not None:
            self.add(notice)
        return notice

    def accept(self, event: MesoLiveEvent, *, away: bool = False) -> Notice | None:
        """The notice of a new event (level state tracked), or ``None`` for a repeat; not yet in the history."""
        key = str(event.event_id)
        if key in self._seen:
            return None
        self._remember(key)
        if key in self._restored:  # in the history already (an earlier run): its level state only
            self._restored.discard(key)
            self._track_level(describe(event))
            return None
        notice = describe(event)
        notice.away = away
        if notice.level_key is not None:
            active = notice.level_key in self.levels
            if notice.level_on and active:
                self.levels[notice.level_key] = notice  # same state again: absorbed, no new notification
                return None
            self._set_level(notice)
        return notice

    def add(self, notice: Notice) -> None:
        """``notice`` enters the history as an entry of its own (unread)."""
        self.notices.append(notice)
        self._by_key[notice.key] = notice
        for folded in notice.folded:
            self._by_key[folded.key] = notice
        notice.read = False
        self._unread += 1
        if len(self.notices) > self.limit:
            for old in self.notices[: len(self.notices) - self.limit]:
                for k in (old.key, *(f.key for f in old.folded)):
                    self._by_key.pop(k, None)
                if not old.read:
                    self._unread -= 1
            del self.notices[: len(self.notices) - self.limit]
        self.sig_added.emit(notice)
        self.sig_unread_changed.emit(self._unread)

    def fold(self, entry: Notice, notice: Notice) -> None:
        """``notice`` was folded into ``entry`` (its text already updated): the entry is unread again.

        An entry no longer in the history (cleared, trimmed) enters it again.
        """
        if not any(n is entry for n in reversed(self.notices)):
            self.add(entry)
            return
        self._by_key[notice.key] = entry
        if entry.read:
            entry.read = False
            self._unread += 1
            self.sig_unread_changed.emit(self._unread)
        self.sig_updated.emit(entry)

    def record_state(self, event: MesoLiveEvent) -> None:
        """Track the level state of an event without notifying (history before this install)."""
        key = str(event.event_id)
        if key in self._seen:
            return
        self._remember(key)
        self._restored.discard(key)
        self._track_level(describe(event))

    def restore(self, notices: Iterable[Notice]) -> None:
        """Entries of an earlier run (oldest first) go before the current ones, read flags as they were."""
        old = [n for n in notices if n.key not in self._by_key]
        if not old:
            return
        self.notices[:0] = old
        for notice in old:
            for k in (notice.key, *(f.key for f in notice.folded)):
                self._by_key[k] = notice
                if k not in self._seen:
                    self._restored.add(k)
            self._unread += not notice.read
        if len(self.notices) > self.limit:
            for gone in self.notices[: len(self.notices) - self.limit]:
                for k in (gone.key, *(f.key for f in gone.folded)):
                    self._by_key.pop(k, None)
                self._unread -= not gone.read
            del self.notices[: len(self.notices) - self.limit]
        self.sig_changed.emit()
        self.sig_unread_changed.emit(self._unread)

    def _track_level(self, notice: Notice) -> None:
        if notice.level_key is not None:
            self._set_level(notice)

    def _set_level(self, notice: Notice) -> None:
        assert notice.level_key is not None
        before = len(self.levels)
        if notice.level_on:
            self.levels[notice.level_key] = notice
        else:
            self.levels.pop(notice.level_key, None)
        if len(self.levels) != before:
            self.sig_levels_changed.emit(len(self.levels))

    # -- read state --------------------------------------------------------------------
    @property
    def unread(self) -> int:
        return self._unread

    def get(self, key: str) -> Notice | None:
        return self._by_key.get(key)

    def mark_read(self, keys: Iterable[str]) -> None:
        changed = False
        for key in keys:
            notice = self._by_key.get(key)
            if notice is not None and not notice.read:
                notice.read = True
                self._unread -= 1
                changed = True
        if changed:
            self.sig_changed.emit()
            self.sig_unread_changed.emit(self._unread)

    def mark_all_read(self) -> None:
        self.mark_read([n.key for n in self.notices if not n.read])

    def clear(self) -> None:
        """Empty the history (level states and the dedupe window stay)."""
        self.notices.clear()
        self._by_key.clear()
        self._unread = 0
        self.sig_changed.emit()
        self.sig_unread_changed.emit(0)

    # -- level states ------------------------------------------------------------------------
    def active_signal_count(self) -> int:
        return sum(1 for k in self.levels if not k.startswith("error:"))

    def active_error_count(self) -> int:
        return sum(1 for k in self.levels if k.startswith("error:"))
