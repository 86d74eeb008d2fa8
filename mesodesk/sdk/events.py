"""Event hub client (/hubs/event/v1): subscriptions, the event cursor and callbacks.

The client delivers events without gaps, without duplicates and in ``EventSeqId`` order:
on every (re)connect it replays what it missed with ``GetEventsSince`` (paged),
re-subscribes and catches up once more; live events that arrive meanwhile are buffered
and delivered afterwards in order. Nothing at or below the cursor (the highest
``EventSeqId`` delivered, persisted by a cursor store) is delivered again, so the active
signals/errors the server re-pushes on every connect with their original ids are not
repeated; each delivered event says how it came (``event.delivery``: live, replay or
snapshot).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import os
import tempfile
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar, Protocol, cast, runtime_checkable
from uuid import UUID

from mesodesk.contract import (
    EVENT_CALLBACKS,
    EventCallback,
    EventDelivery,
    GetEventsSinceArgs,
    GetEventsSinceResult,
    GetLatestEventSeqIdArgs,
    GetLatestEventSeqIdResult,
    MesoLiveEvent,
    SubscribeToStrategiesArgs,
    SubscribeToStrategiesResult,
    UnsubscribeFromStrategiesArgs,
    UnsubscribeFromStrategiesResult,
    event_type_of,
)
from mesodesk.sdk._callbacks import EventCallbacksMixin, EventHandler, Remover
from mesodesk.sdk._hub import HubClient, build_args
from mesodesk.sdk._signalr import ConnectionState, SignalRInvocationError
from mesodesk.sdk._wire import reader
from mesodesk.sdk.errors import MesoLiveApiException

log = logging.getLogger("mesodesk.sdk.events")

__all__ = ["EventCursorStore", "JsonFileEventCursorStore", "MesoLiveEventHubClient"]

#: callbacks whose events are level states the server re-pushes on connect while active
_STATE_CALLBACKS = frozenset({"OnEntrySignal", "OnExitSignal", "OnAdjustmentSignal", "OnError"})
#: how often a failed (re)connect replay is retried while the connection stays up
_SYNC_ATTEMPTS = 3
#: how long the replay waits for the handlers of earlier events to finish (see ``_dispatched``)
_DISPATCH_WAIT = 10.0


@runtime_checkable
class EventCursorStore(Protocol):
    """Where the last processed ``EventSeqId`` is persisted between runs.

    The client calls ``save(n)`` after the handlers of event ``n`` returned (and after each
    replayed page), so a crash can repeat at most the events whose handlers ran after the
    last save. For exactly-once effects across crashes of your own process, store the
    cursor together with what the handlers write (e.g. ``load()`` reads the last
    ``EventSeqId`` from your own output, ``save()`` does nothing): then nothing is lost or
    repeated even after a ``kill -9``.
    """

    def load(self) -> int | None:
        """The stored cursor, or ``None`` when nothing was stored yet."""
        ...

    def save(self, event_seq_id: int) -> None:
        """Remember ``event_seq_id`` as the last processed event."""
        ...


class JsonFileEventCursorStore:
    """An :class:`EventCursorStore` in a small JSON file (``{"LastEventSeqId": n}``), written atomically."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> int | None:
        """Read the cursor; a missing or unreadable file means ``None``."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            log.warning("ignoring unreadable event cursor file %s", self.path)
            return None
        value = data.get("LastEventSeqId") if isinstance(data, dict) else None
        return value if isinstance(value, int) and value >= 0 else None

    def save(self, event_seq_id: int) -> None:
        """Write the cursor (temp file + rename, so a crash never leaves a torn file)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".cursor-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"LastEventSeqId": event_seq_id}, f)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


class _Registration:
    __slots__ = ("callback", "handler")

    def __init__(self, callback: str | None, handler: EventHandler) -> None:
        self.callback = callback
        self.handler = handler


class MesoLiveEventHubClient(EventCallbacksMixin, HubClient):
    """Event hub client (/hubs/event/v1): subscriptions, the event cursor and callbacks.

    Every method takes its args model, or keyword arguments that build it, and
    raises :class:`~mesodesk.sdk.errors.MesoLiveApiException` on a non-Success status.

    Register handlers with ``on_<event>(handler)`` (17 typed callbacks) or
    ``on_event(handler)`` (every event); sync and ``async def`` handlers both work and
    each returns a remover. On every (re)connect the client:

    1. replays the events after :attr:`last_event_seq_id` with ``GetEventsSince``
       (paged until ``HasMore`` is false),
    2. subscribes with ``SubscribeToStrategies(strategies)`` (``None`` = all),
    3. catches up once more (events published between 1 and 2), and
    4. delivers the live events buffered meanwhile in ``EventSeqId`` order.

    **Exactly once, in order.** The cursor (:attr:`last_event_seq_id`) is the highest
    ``EventSeqId`` delivered; an event at or below it is never delivered again, and every
    delivered event is above the one before it. With a ``cursor_store`` this holds across
    restarts and reconnects of the client and of the server: the active signals and errors
    the server re-pushes on every connect (with their original ``EventId``/``EventSeqId``)
    are not repeated, and never arrive out of order. (Events without an ``EventSeqId``, if
    a server sent any, are deduplicated by ``EventId`` within ``dedupe_window``.)

    **Where to start** (without a stored cursor; a stored cursor always wins):

    * ``since_event_seq_id=0`` (default): every event the server kept, then live;
    * ``since_event_seq_id=n``: the events after ``n``, then live;
    * ``since_event_seq_id=None``: no history; the signals and errors active right now (the
      server's on-connect push) once, then live;
    * ``since_event_seq_id=None, active_state=False``: live only, nothing from before the
      connection.

    **How each event came** (``event.delivery``, ``event.replayed``): ``"live"`` (pushed as it
    happened), ``"replay"`` (history fetched after a (re)connect: it happened while this
    client was away, or before it started; a trading handler usually skips it) or
    ``"snapshot"`` (a still-active signal/error delivered as the current state at start).
    ``connect()`` returns once the first replay was delivered.

    Args:
        strategies: strategy ids to subscribe to and replay; ``None`` = all.
        cursor_store: persists :attr:`last_event_seq_id` (e.g.
            :class:`JsonFileEventCursorStore`); its stored value wins over
            ``since_event_seq_id``.
        since_event_seq_id: where to start without a stored cursor (see above): ``0``
            replays everything the server kept, ``n`` the events after ``n``, ``None``
            starts at the latest event (no history).
        active_state: with ``since_event_seq_id=None``, deliver the signals/errors that are
            active at the start once, as ``"snapshot"`` events (default). ``False``: live only.
        replay_page_size: ``Limit`` of each ``GetEventsSince`` page (1..1000).
        dedupe_window: how many recent ``EventId`` s are remembered.
    """

    HUB: ClassVar[str] = "event"

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        strategies: Iterable[int] | None = None,
        cursor_store: EventCursorStore | None = None,
        since_event_seq_id: int | None = 0,
        active_state: bool = True,
        replay_page_size: int = 500,
        dedupe_window: int = 10_000,
        **kwargs: Any,
    ) -> None:
        super().__init__(base_url, api_key, **kwargs)
        if not 1 <= replay_page_size <= 1000:
            raise ValueError("replay_page_size must be within 1..1000")
        if dedupe_window < 1:
            raise ValueError("dedupe_window must be positive")
        if since_event_seq_id is not None and since_event_seq_id < 0:
            raise ValueError("since_event_seq_id must be >= 0 (or None: start at the latest event)")
        self.strategies: list[int] | None = list(strategies) if strategies is not None else None
        self._cursor_store = cursor_store
        self._replay_page_size = replay_page_size
        self._dedupe_window = dedupe_window
        stored = cursor_store.load() if cursor_store is not None else None
        self._last_seq: int | None = stored if stored is not None else since_event_seq_id
        # the on-connect push of the first connection is the start-up snapshot (once per client)
        self._snapshot_pending = stored is None and since_event_seq_id is None and active_state
        self._seen: OrderedDict[UUID, None] = OrderedDict()
        self._registrations: list[_Registration] = []
        self._buffer: list[MesoLiveEvent] = []
        self._syncing = True  # buffer live events until the (re)connect replay is done
        self._horizon = 0  # LatestEventSeqId seen by the last replay: buffered events up to it were pushed
        self._server_latest: int | None = None  # the server's LatestEventSeqId at the current sync
        self._delivered = 0
        self._suppressed = 0
        self._replays = 0
        self._connection.add_state_listener(self._on_state)
        self._connection.on_connected(self._synchronise)
        for cb in EVENT_CALLBACKS.values():
            self._connection.on(cb.callback, self._raw_handler(cb))

    # -- observation -------------------------------------------------------------
    @property
    def last_event_seq_id(self) -> int | None:
        """The cursor: ``EventSeqId`` of the last delivered event, or where delivery starts
        (``None`` before the first sync when starting at the latest event)."""
        return self._last_seq

    @property
    def delivered_count(self) -> int:
        """How many events were handed to the handlers since this client was created."""
        return self._delivered

    @property
    def suppressed_count(self) -> int:
        """How many received events were not delivered because they were delivered before
        (at or below the cursor, e.g. the active signals re-pushed on every connect)."""
        return self._suppressed

    @property
    def server_latest_event_seq_id(self) -> int | None:
        """The server's latest ``EventSeqId`` as reported at the current (re)connect sync (by
        ``GetEventsSince`` or ``GetLatestEventSeqId``), known before the first event of that sync
        is delivered; ``None`` before it. An application that keeps its own cursor can check it
        is not ahead of the server (a cursor of another server, or of a server that was reset)."""
        return self._server_latest

    @property
    def replay_count(self) -> int:
        """How many (re)connect synchronisations completed."""
        return self._replays

    # -- registration ----------------------------------------------------------------
    def _register(self, callback: str | None, model: type[Any] | None, handler: EventHandler) -> Remover:
        reg = _Registration(callback, handler)
        self._registrations.append(reg)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._registrations.remove(reg)

        return remove

    # -- the pipeline -----------------------------------------------------------------
    def _on_state(self, state: ConnectionState) -> None:
        if state is not ConnectionState.CONNECTED:
            self._syncing = True  # anything pushed on the next connect waits for the replay

    def _raw_handler(self, cb: EventCallback) -> Callable[..., Awaitable[None]]:
        read = reader(cb.model).read  # tolerant: any naming, int enums, unknown members/fields

        async def handle(payload: Any, *_: Any) -> None:
            try:
                event = read(payload)
            except Exception:
                log.exception("dropping malformed %s payload", cb.callback)
                return
            if self._syncing:
                self._buffer.append(event)
            elif await self._deliver(event, "live"):
                self._save_cursor()

        return handle

    def _is_new(self, event: MesoLiveEvent) -> bool:
        seq = event.event_seq_id
        if seq > 0 and self._last_seq is not None and seq <= self._last_seq:
            return False  # delivered before (this run or, with a cursor store, an earlier one)
        return event.event_id not in self._seen

    async def _deliver(self, event: MesoLiveEvent, delivery: EventDelivery) -> bool:
        """Drop what was delivered before, advance the cursor, run the handlers in registration
        order. A ``"snapshot"`` event (at or below the start cursor) is only deduped by ``EventId``."""
        fresh = event.event_id not in self._seen if delivery == "snapshot" else self._is_new(event)
        if not fresh:
            self._suppressed += 1
            if event.event_id in self._seen:
                self._seen.move_to_end(event.event_id)
            return False
        self._seen[event.event_id] = None
        while len(self._seen) > self._dedupe_window:
            self._seen.popitem(last=False)
        if event.event_seq_id > (self._last_seq or 0):
            self._last_seq = event.event_seq_id
        self._delivered += 1
        event._delivery = delivery
        cb_name = event_type_of(event)
        for reg in list(self._registrations):
            if reg.callback is not None and reg.callback != cb_name:
                continue
            try:
                result = reg.handler(event)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("event handler for %s raised", cb_name)
        return True

    def _save_cursor(self) -> None:
        if self._cursor_store is not None and self._last_seq is not None:
            try:
                self._cursor_store.save(self._last_seq)
            except Exception:
                log.exception("saving the event cursor failed")

    async def _replay(self) -> None:
        """Deliver every event after the cursor (``GetEventsSince``, paged until ``HasMore`` is false)."""
        since = self._last_seq or 0
        while True:
            page = await self.get_events_since(
                since_event_seq_id=since, limit=self._replay_page_size, strategies=self.strategies
            )
            self._horizon = max(self._horizon, page.latest_event_seq_id)
            self._server_latest = page.latest_event_seq_id
            for envelope in page.events:
                event = envelope.event
                if event.event_seq_id == 0:
                    event = event.model_copy(update={"event_seq_id": envelope.event_seq_id})
                await self._deliver(event, "replay")
                since = max(since, envelope.event_seq_id)
            self._save_cursor()
            if not page.has_more or not page.events:
                return

    async def _deliver_snapshot(self) -> None:
        """The start-up snapshot: the active signals/errors pushed on connect (at or below the
        start cursor), once, in ``EventSeqId`` order, before anything newer."""
        upto = self._last_seq or 0
        await self._dispatched()  # the pushes arrived before our first Completion
        snapshot = [e for e in self._buffer
                    if 0 < e.event_seq_id <= upto and event_type_of(e) in _STATE_CALLBACKS]
        taken = {id(e) for e in snapshot}
        self._buffer = [e for e in self._buffer if id(e) not in taken]
        for event in sorted(snapshot, key=lambda e: e.event_seq_id):
            await self._deliver(event, "snapshot")

    async def _sync_once(self) -> None:
        if self._last_seq is None:
            latest = await self.get_latest_event_seq_id()
            self._last_seq = self._server_latest = latest.latest_event_seq_id
        if self._snapshot_pending:
            await self._deliver_snapshot()
            self._snapshot_pending = False
        await self._replay()
        result = await self.subscribe_to_strategies(strategies=self.strategies)
        if result.failed_strategies:
            log.warning("SubscribeToStrategies failed for %s", result.failed_strategies)
        await self._replay()

    async def _synchronise(self) -> None:
        """The on-connect routine: replay, subscribe, catch up, drain the live buffer."""
        self._syncing = True
        self._server_latest = None
        for attempt in range(1, _SYNC_ATTEMPTS + 1):
            try:
                await self._sync_once()
            except Exception as exc:
                if not self._connection.connected:
                    # the next connect replays from the cursor again: deliver nothing past a gap now
                    log.info("event replay interrupted by a disconnect (%s); it runs again on reconnect", exc)
                    return
                permanent = isinstance(exc, MesoLiveApiException | SignalRInvocationError)
                if attempt < _SYNC_ATTEMPTS and not permanent:
                    log.warning("event replay/subscribe after connect failed (%s); retrying", exc)
                    await asyncio.sleep(0.5 * attempt)
                    continue
                log.error("event replay/subscribe after connect failed (%s); delivering live events only: "
                          "events published meanwhile may be missing until the next reconnect", exc)
                break
            else:
                self._replays += 1
                break
        await self._dispatched()  # live events that arrived before the last Completion
        await self._drain()

    async def _dispatched(self) -> None:
        """Wait until the server->client messages received so far are in the buffer (bounded: a
        handler still busy with an earlier event must not stall the replay forever)."""
        try:
            await asyncio.wait_for(self._connection.dispatched(), _DISPATCH_WAIT)
        except TimeoutError:
            log.warning("an event handler has been running for over %gs; the replay goes on without waiting",
                        _DISPATCH_WAIT)

    async def _drain(self) -> None:
        while self._buffer:
            self._buffer.sort(key=lambda e: e.event_seq_id)
            pending, self._buffer = self._buffer, []
            for event in pending:
                # pushed on connect (not published live since we subscribed): not news
                pushed = 0 < event.event_seq_id <= self._horizon and event_type_of(event) in _STATE_CALLBACKS
                await self._deliver(event, "snapshot" if pushed and self._is_new(event) else "live")
        self._syncing = False  # no await since the last empty check: nothing can slip through
        self._save_cursor()

    # -- hub methods ----------------------------------------------------------------------
    async def subscribe_to_strategies(
        self, args: SubscribeToStrategiesArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> SubscribeToStrategiesResult:
        """``SubscribeToStrategies``.
        """
        args = build_args(SubscribeToStrategiesArgs, args, kwargs)
        return cast(SubscribeToStrategiesResult, await self._invoke("SubscribeToStrategies", args, SubscribeToStrategiesResult, timeout))

    async def unsubscribe_from_strategies(
        self, args: UnsubscribeFromStrategiesArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> UnsubscribeFromStrategiesResult:
        """``UnsubscribeFromStrategies``.
        """
        args = build_args(UnsubscribeFromStrategiesArgs, args, kwargs)
        return cast(UnsubscribeFromStrategiesResult, await self._invoke("UnsubscribeFromStrategies", args, UnsubscribeFromStrategiesResult, timeout))

    async def get_latest_event_seq_id(
        self, args: GetLatestEventSeqIdArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> GetLatestEventSeqIdResult:
        """``GetLatestEventSeqId``.
        """
        args = build_args(GetLatestEventSeqIdArgs, args, kwargs)
        return cast(GetLatestEventSeqIdResult, await self._invoke("GetLatestEventSeqId", args, GetLatestEventSeqIdResult, timeout))

    async def get_events_since(
        self, args: GetEventsSinceArgs | None = None, /, *, timeout: float | None = None, **kwargs: Any
    ) -> GetEventsSinceResult:
        """``GetEventsSince``.
        """
        args = build_args(GetEventsSinceArgs, args, kwargs)
        return cast(GetEventsSinceResult, await self._invoke("GetEventsSince", args, GetEventsSinceResult, timeout))
