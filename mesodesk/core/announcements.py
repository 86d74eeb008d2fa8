"""What the console announces of a flapping signal: hysteresis for level states (Qt-free).

Entry, exit and adjustment signals are levels: On until they switch Off. When a
value straddles its target (P&L moving in steps around a profit target) the level
flips on every evaluation, and a toast and a sound per flip floods the trader.
:class:`Announcer` decides, per level key (:attr:`Notice.level_key`), what is
*announced* (toast, sound, OS notification):

* **On** is announced once: the first time, or after an Off was announced;
* **Off** is announced once, and only after the level has stayed off for
  ``settle_seconds``; when it switches back on first, nothing is announced;
* the flips in between are *folded* into one history entry, the episode's first
  Off: :attr:`Notice.folded` holds every later event, the title counts the flips
  ("Exit signal flipped 14× in 80 s — PCS 45DTE #1") and the body shows the
  latest value. When the level finally settles off, that entry is what is
  announced.

Nothing is dropped: every event is a history entry of its own or folded into one.
Other notices (orders, errors, …) are announced as they come. Time is injectable:
``clock`` (seconds, monotonic) and ``call_later`` (the settle timer).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from mesodesk.core.notices import Notice, Severity
from mesodesk.core.notify_feed import CallLater, asyncio_call_later

__all__ = ["DEBOUNCED_LEVELS", "OFF_SETTLE_SECONDS", "Announcer", "Decision", "fold", "is_debounced", "span_text"]

#: the level keys (by prefix) whose announcements are debounced: the three signal kinds
DEBOUNCED_LEVELS: tuple[str, ...] = ("entry:", "exit:", "adjustment:")
#: how long a signal must stay off before its Off is announced
OFF_SETTLE_SECONDS = 30.0


def is_debounced(notice: Notice) -> bool:
    """A level-type signal notice (its announcements go through :class:`Announcer`)."""
    return notice.level_key is not None and notice.level_key.startswith(DEBOUNCED_LEVELS)


def span_text(seconds: float) -> str:
    """A duration as the summary says it: "80 s", "12 min", "1.5 h"."""
    if seconds < 90:
        return f"{max(0, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def fold(entry: Notice, notice: Notice, *, count: int, span: str) -> None:
    """Fold ``notice`` (a later event of ``entry``'s level key) into the history entry ``entry``.

    ``entry`` keeps its key and place; it takes the latest value (state, severity,
    time, target) and says how often the level flipped: "<type> flipped <count>× <span>
    — <subject>", body "now ON|off · <latest body>".
    """
    entry.folded.append(notice)
    on = bool(notice.level_on)
    subject = notice.title.split(" — ", 1)[-1]
    entry.title = f"{notice.type_label} flipped {count}× {span} — {subject}"
    entry.body = f"now {'ON' if on else 'off'} · {notice.body}"
    entry.severity = Severity.WARNING if on else Severity.INFO
    entry.level_on = on
    entry.time, entry.seq = notice.time, notice.seq
    entry.target = notice.target or entry.target
    entry.actions = notice.actions


@dataclass(frozen=True)
class Decision:
    """What to do with one notice: a history entry of its own (announced now or not), or folded."""

    announce: bool
    """Toast / sound / OS notification now."""
    fold_into: Notice | None = None
    """The history entry this notice was folded into (then it is no entry of its own)."""


@dataclass
class _Episode:
    """One level key from its announced On until its Off settles."""

    started: float
    events: int
    #: the history entry the later flips fold into (the episode's first Off)
    entry: Notice | None = None
    #: the Off waiting to settle (``entry`` once the level has flipped back at least once)
    pending: Notice | None = None
    cancel: Callable[[], None] | None = None


class Announcer:
    """Hysteresis for what is announced of level-type signals (module doc).

    ``offer(notice)`` -> :class:`Decision` for every new notice; when an Off has
    stayed off for ``settle_seconds`` the settled listeners get its history entry to
    announce. :meth:`forget` drops a key's episode (its events arrived "while you
    were away"); :meth:`close` stops the timers.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, call_later: CallLater = asyncio_call_later,
                 settle_seconds: float = OFF_SETTLE_SECONDS) -> None:
        self.clock = clock
        self.call_later = call_later
        self.settle_seconds = settle_seconds
        self._episodes: dict[str, _Episode] = {}
        self._settled: list[Callable[[Notice], None]] = []

    def add_settled_listener(self, listener: Callable[[Notice], None]) -> Callable[[], None]:
        self._settled.append(listener)
        return lambda: self._settled.remove(listener) if listener in self._settled else None

    def pending(self) -> list[Notice]:
        """The history entries whose Off is waiting to settle."""
        return [e.pending for e in self._episodes.values() if e.pending is not None]

    def offer(self, notice: Notice) -> Decision:
        """Announce ``notice`` now, keep it quiet (an Off that has to settle) or fold it into an entry."""
        if not is_debounced(notice):
            return Decision(announce=True)
        assert notice.level_key is not None
        key, now = notice.level_key, self.clock()
        episode = self._episodes.get(key)
        if notice.level_on:
            if episode is None:  # first On, or On after an announced Off: a new episode
                self._episodes[key] = _Episode(started=now, events=1)
                return Decision(announce=True)
            episode.events += 1
            if episode.pending is not None:  # back on before the Off settled: flapping
                self._stop_timer(episode)
                episode.entry = episode.entry or episode.pending
                episode.pending = None
            if episode.entry is None:  # On again with no Off seen in between: a quiet entry of its own
                return Decision(announce=False)
            return self._fold(episode, notice, now)
        if episode is None:  # an Off the trader was not told the On of (it was on before this install)
            episode = self._episodes[key] = _Episode(started=now, events=0)
        episode.events += 1
        if episode.pending is not None and episode.entry is None:  # a second Off in a row
            episode.entry = episode.pending
        decision = self._fold(episode, notice, now) if episode.entry is not None else Decision(announce=False)
        if episode.pending is None:
            episode.pending = episode.entry or notice
            episode.cancel = self.call_later(self.settle_seconds, lambda: self._settle(key, episode))
        return decision

    def forget(self, level_key: str) -> None:
        """Drop the episode of ``level_key`` (what the trader was told is no longer current)."""
        episode = self._episodes.pop(level_key, None)
        if episode is not None:
            self._stop_timer(episode)

    def close(self) -> None:
        for episode in self._episodes.values():
            self._stop_timer(episode)
        self._episodes.clear()

    # -- internals -------------------------------------------------------------------------
    def _fold(self, episode: _Episode, notice: Notice, now: float) -> Decision:
        assert episode.entry is not None
        fold(episode.entry, notice, count=episode.events, span=f"in {span_text(now - episode.started)}")
        return Decision(announce=False, fold_into=episode.entry)

    @staticmethod
    def _stop_timer(episode: _Episode) -> None:
        if episode.cancel is not None:
            episode.cancel()
            episode.cancel = None

    def _settle(self, key: str, episode: _Episode) -> None:
        episode.cancel = None
        if self._episodes.get(key) is not episode or episode.pending is None:
            return
        del self._episodes[key]
        for listener in list(self._settled):
            listener(episode.pending)
