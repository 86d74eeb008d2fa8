"""Which Event Hub events are news: the exactly-once rule of the notifications (Qt-free).

:class:`NotificationFeed` listens to the event client and hands every delivered
event to its subscribers together with an :class:`Arrival`: ``LIVE`` (news, notify
now), ``AWAY`` (missed while mesodesk was closed or disconnected: notify once,
marked "while you were away") or ``SEEN`` (notified before, older than this
install, or a re-pushed state: track its level state only, show nothing).

Exactly once — the rule
-----------------------
The SDK already delivers every event once, in order, deduped by ``EventId`` and
replayed after reconnects (the notification center dedupes by ``EventId`` again
and absorbs a level state that is already active).

Each delivered event is classified by *when* it arrives, using the event client's
public counters: a (re)connect sets ``sync_target = replay_count + 1`` (the state
listener runs before the SDK's on-connect replay); while ``replay_count <
sync_target`` the client is replaying what it missed (:attr:`Phase.INITIAL` for the
first connect of this feed, :attr:`Phase.AWAY` for a reconnect):

* **first sync** (start-up replay of the server's history): events after the
  persisted *notification cursor* (the last ``EventSeqId`` this install notified
  for this world, see :func:`notify_cursor_path`) were missed while mesodesk was closed ->
  ``AWAY``. Without a cursor (first run) or at/below it they were seen before (or
  predate this install) -> ``SEEN``;
* **a later sync** (a reconnect): every replayed event was missed while
  disconnected -> ``AWAY``;
* **otherwise** the event is ``LIVE``, unless its ``EventSeqId`` is at or below the
  highest one already processed: a re-pushed state, not news -> ``SEEN``.

A cursor *ahead* of the server's latest ``EventSeqId`` (the event client's
``server_latest_event_seq_id``, known before the first event of a sync) is not this
world's (a server that was reset, a data folder made anew): it is reset to 0 with one
WARNING, so this world's events are announced from its first one (the history as
``AWAY``, then ``LIVE``).

When a sync ends the replay-end listeners run (the UI then shows what was missed).
If a replay fails, the SDK logs it and delivers live events; ``replay_count`` then
stays behind until the next reconnect, so those events arrive as ``AWAY`` (still
exactly once).

Timing (the replay-end poll, the throttled cursor save) goes through a
:data:`CallLater` function: the asyncio loop by default, a Qt timer in the UI, a
manual clock in tests.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from mesodesk.contract import MesoLiveEvent
from mesodesk.core.world import World, data_root, world_folder
from mesodesk.core.world_legacy import adopt_legacy_cursor
from mesodesk.sdk import ConnectionState, EventCursorStore, JsonFileEventCursorStore

log = logging.getLogger("mesodesk.notify")

__all__ = [
    "Arrival",
    "CallLater",
    "EventSource",
    "NotificationFeed",
    "Phase",
    "asyncio_call_later",
    "notify_cursor_path",
]

#: ``call_later(seconds, callback)`` runs ``callback`` once after ``seconds``; returns a cancel function
CallLater = Callable[[float, Callable[[], None]], Callable[[], None]]
Remover = Callable[[], None]
ArrivalHandler = Callable[[MesoLiveEvent, "Arrival"], object]

#: how often the end of a replay is checked while one is running
SYNC_POLL_SECONDS = 0.1
#: the notification cursor is written at most this often (and once more at :meth:`NotificationFeed.close`)
CURSOR_SAVE_SECONDS = 1.0


class Arrival(StrEnum):
    """How a delivered event is to be notified."""

    LIVE = "live"
    """News: notify now."""
    AWAY = "away"
    """Missed while closed or disconnected: notify once, marked "while you were away"."""
    SEEN = "seen"
    """Notified before, older than this install, or a re-pushed state: level state only."""


class Phase(StrEnum):
    """Where the event client is: replaying the start-up history, replaying after a reconnect, or live."""

    INITIAL = "initial"
    AWAY = "away"
    LIVE = "live"


class EventSource(Protocol):
    """What the feed needs of the event hub client (:class:`mesodesk.sdk.MesoLiveEventHubClient`)."""

    @property
    def state(self) -> ConnectionState: ...

    @property
    def replay_count(self) -> int: ...

    @property
    def server_latest_event_seq_id(self) -> int | None: ...

    def add_state_listener(self, listener: Callable[[ConnectionState], Any]) -> Callable[[], None]: ...

    def on_event(self, handler: Callable[[MesoLiveEvent], None]) -> Callable[[], None]: ...


class _SessionLike(Protocol):
    """What the feed needs of a :class:`mesodesk.core.session.Session`."""

    url: str
    world: World

    @property
    def events(self) -> EventSource: ...


#: the notification cursor's file in its world's folder
NOTIFY_CURSOR_FILE = "notify-cursor.json"


def notify_cursor_path(config_dir: str | Path, world: World) -> Path:
    """The one place that decides which notification cursor a world uses:
    ``<data root>/worlds/<world key>/notify-cursor.json`` (:func:`mesodesk.core.world.data_root`
    of ``config_dir``)."""
    return world_folder(world, data_root(config_dir)) / NOTIFY_CURSOR_FILE


def asyncio_call_later(delay: float, callback: Callable[[], None]) -> Callable[[], None]:
    """The default :data:`CallLater`: the running asyncio loop's ``call_later``."""
    handle = asyncio.get_running_loop().call_later(delay, callback)
    return handle.cancel


class NotificationFeed:
    """Classifies every delivered event as :class:`Arrival` and keeps the notification cursor.

    ``subscribe(handler)`` -> ``handler(event, arrival)`` for every event;
    ``add_replay_end_listener(listener)`` -> ``listener()`` when a (re)connect replay has
    ended. :meth:`start` attaches to the event client, :meth:`close` detaches and
    saves the cursor. Handlers run in subscription order; an exception is logged and
    does not stop the others.
    """

    def __init__(self, events: EventSource, cursor: EventCursorStore, *,
                 call_later: CallLater = asyncio_call_later, world_label: str = "this server") -> None:
        self.events = events
        self.cursor = cursor
        self.world_label = world_label
        self._cursor_checked = False
        self._call_later = call_later
        self._connects = 0
        self._sync_target = 0
        #: the cursor as loaded at start-up: the first sync shows only what came after it
        self.loaded_cursor: int | None = cursor.load()
        self._saved = self.loaded_cursor
        #: the highest ``EventSeqId`` processed so far
        self.high_water = self.loaded_cursor or 0
        self._handlers: list[ArrivalHandler] = []
        self._replay_end: list[Callable[[], None]] = []
        self._removers: list[Remover] = []
        self._cancel_poll: Callable[[], None] | None = None
        self._cancel_save: Callable[[], None] | None = None

    @classmethod
    def for_session(cls, session: _SessionLike, config_dir: str | Path, *,
                    call_later: CallLater = asyncio_call_later) -> NotificationFeed:
        """The feed of ``session``'s event client, with the cursor of ``session.world``
        (:func:`notify_cursor_path`; an old per-URL cursor of a remote server is adopted)."""
        path = notify_cursor_path(config_dir, session.world)
        adopt_legacy_cursor(session.world, Path(config_dir), path, session.url)
        return cls(session.events, JsonFileEventCursorStore(path), call_later=call_later,
                   world_label=session.world.label)

    # -- subscription --------------------------------------------------------------------
    def subscribe(self, handler: ArrivalHandler) -> Remover:
        self._handlers.append(handler)
        return lambda: self._handlers.remove(handler) if handler in self._handlers else None

    def add_replay_end_listener(self, listener: Callable[[], None]) -> Remover:
        self._replay_end.append(listener)
        return lambda: self._replay_end.remove(listener) if listener in self._replay_end else None

    def start(self) -> None:
        """Attach to the event client (call once, before it connects or while it is connected)."""
        if self._removers:
            return
        self._removers = [self.events.add_state_listener(self._on_state), self.events.on_event(self._on_event)]
        if self.events.state is ConnectionState.CONNECTED:
            self._on_state(ConnectionState.CONNECTED)

    def close(self) -> None:
        """Detach, stop the timers and save the cursor."""
        for remove in self._removers:
            remove()
        self._removers = []
        self._stop_poll()
        if self._cancel_save is not None:
            self._cancel_save()
            self._cancel_save = None
        self.save_cursor()

    # -- classification ------------------------------------------------------------------
    def phase(self) -> Phase:
        if self.events.replay_count < self._sync_target:
            return Phase.INITIAL if self._connects <= 1 else Phase.AWAY
        return Phase.LIVE

    @property
    def syncing(self) -> bool:
        return self.phase() is not Phase.LIVE

    def classify(self, event: MesoLiveEvent, phase: Phase | None = None) -> Arrival:
        """The :class:`Arrival` of ``event`` in ``phase`` (default: now); advances :attr:`high_water`."""
        phase = self.phase() if phase is None else phase
        self._check_cursor()
        seq = event.event_seq_id
        if phase is Phase.INITIAL:
            seen = self.loaded_cursor is None or seq <= self.loaded_cursor
        else:
            seen = bool(seq) and seq <= self.high_water
        if seq > self.high_water:
            self.high_water = seq
            self._schedule_save()
        if seen:
            return Arrival.SEEN
        return Arrival.LIVE if phase is Phase.LIVE else Arrival.AWAY

    def _on_event(self, event: MesoLiveEvent) -> None:
        arrival = self.classify(event)
        for handler in list(self._handlers):
            try:
                handler(event, arrival)
            except Exception:
                log.exception("notifying %s failed", type(event).__name__)
        if arrival is Arrival.AWAY and self._cancel_poll is None:  # e.g. after a failed replay
            self._poll()

    def _on_state(self, state: ConnectionState) -> None:
        if state is ConnectionState.CONNECTED:
            self._connects += 1
            self._sync_target = self.events.replay_count + 1
            self._stop_poll()
            self._poll()

    # -- the end of a replay ---------------------------------------------------------------
    def _poll(self) -> None:
        self._cancel_poll = None
        self._check_cursor()
        if self.syncing:
            self._cancel_poll = self._call_later(SYNC_POLL_SECONDS, self._poll)
            return
        for listener in list(self._replay_end):
            try:
                listener()
            except Exception:
                log.exception("replay-end listener failed")

    def _stop_poll(self) -> None:
        if self._cancel_poll is not None:
            self._cancel_poll()
            self._cancel_poll = None

    # -- the cursor ---------------------------------------------------------------------------
    def _check_cursor(self) -> None:
        """Once the server's latest ``EventSeqId`` is known: reset a loaded cursor ahead of it."""
        if self._cursor_checked:
            return
        latest = self.events.server_latest_event_seq_id
        if latest is None:
            return
        self._cursor_checked = True
        if self.loaded_cursor is None or self.loaded_cursor <= latest:
            return
        log.warning("notification cursor %d is ahead of the latest event %d of %s: it belongs to another "
                    "world (or the server was reset); reset to 0, this world's events are shown from the first",
                    self.loaded_cursor, latest, self.world_label)
        self.loaded_cursor = 0
        self.high_water = 0
        self._saved = None
        try:
            self.cursor.save(0)
        except OSError:
            log.warning("could not save the notification cursor", exc_info=True)
        else:
            self._saved = 0

    def _schedule_save(self) -> None:
        if self._cancel_save is None:
            self._cancel_save = self._call_later(CURSOR_SAVE_SECONDS, self._save_now)

    def _save_now(self) -> None:
        self._cancel_save = None
        self.save_cursor()

    def save_cursor(self) -> None:
        """Persist :attr:`high_water` (when it moved since the last save; errors are logged)."""
        if not self.high_water or self.high_water == self._saved:
            return
        try:
            self.cursor.save(self.high_water)
        except OSError:
            log.warning("could not save the notification cursor", exc_info=True)
        else:
            self._saved = self.high_water
