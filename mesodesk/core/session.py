"""One trading session: owns the three hub clients and keeps :class:`AppState` in sync.

* Connect: Control, Data and Event hubs in parallel; then the paged snapshots
  (accounts, agents, strategies, positions + details, legs, orders, executions).
* Streams: one ``StreamPositionData`` per open position, kept alive across Data
  hub reconnects; their leg blocks feed the Legs table.
* Events: ``event_client.on_event`` (deduped, in order, replayed by the SDK on
  reconnect) -> :func:`mesodesk.core.store.apply_event`; events about unknown
  ids trigger a (coalesced) snapshot refresh.
* Reconnect of the Control hub -> snapshots again. While a hub is not connected
  ``state.stale[hub]`` is True (the UI greys that data out).
* A heartbeat measures the round trip of a cheap call every few seconds.

Failures of background work are logged at ERROR on ``mesodesk.*`` loggers, which
the UI forwards to its error panel. Methods the server does not serve yet are
recorded in ``state.unsupported`` and skipped. Never touches Qt.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from mesodesk.contract import LiveDataInclude, LivePositionDetails, LivePositionState, MesoLiveEvent
from mesodesk.core import store
from mesodesk.core.startup_timeline import mark
from mesodesk.core.state import AppState
from mesodesk.core.world import World
from mesodesk.sdk import (
    ConnectionState,
    MesoLiveControlHubClient,
    MesoLiveDataHubClient,
    MesoLiveEventHubClient,
    SignalRAuthError,
    SignalRError,
    SignalRInvocationError,
)

log = logging.getLogger("mesodesk.session")

HubStateListener = Callable[[str, ConnectionState], Any]
T = TypeVar("T")
AnyClient = MesoLiveControlHubClient | MesoLiveDataHubClient | MesoLiveEventHubClient


def is_unsupported(exc: BaseException) -> bool:
    """The server does not know this hub method (an older server or the growing simulator)."""
    return isinstance(exc, SignalRInvocationError) and "unknown hub method" in str(exc).lower()


class Session:
    heartbeat_interval = 3.0
    #: seconds :meth:`stop` waits for its tasks, then for the hub connections to close
    stop_timeout = 5.0
    events_retry_s = 2.0

    def __init__(self, url: str, api_key: str, *, embedded: bool = False, world: World | None = None,
                 invoke_timeout: float = 30.0, connect_timeout: float = 10.0) -> None:
        """``connect_timeout``: how long :meth:`start` keeps trying to make the first connection.
        ``world``: what this session looks at, for everything kept per world (chart history, the
        notification cursor); the composition root names it, by default the server at ``url``."""
        self.url = url
        self.embedded = embedded
        self.world = world or World.server(url)
        self.state = AppState()
        # a real MesoLive runs in real time: the computer's clock stands in until it says the time
        self.state.server_clock.wall_fallback = not embedded
        # The session reloads its snapshots itself after a reconnect: a read fails at once while a hub
        # is down (wait_for_reconnect=False) instead of waiting for the reconnect.
        # The embedded simulator (ours) takes the WebSocket without a negotiate request: no aiohttp here.
        options: dict[str, Any] = {"invoke_timeout": invoke_timeout, "connect_timeout": connect_timeout,
                                   "wait_for_reconnect": False, "skip_negotiation": embedded}
        self.control = MesoLiveControlHubClient(url, api_key, **options)
        self.data = MesoLiveDataHubClient(url, api_key, **options)
        self.events = MesoLiveEventHubClient(url, api_key, since_event_seq_id=0, **options)
        self.hubs: dict[str, AnyClient] = {"control": self.control, "data": self.data, "event": self.events}
        self._streams: dict[int, asyncio.Task[None]] = {}
        self._listeners: list[HubStateListener] = []
        self._refresh_task: asyncio.Task[None] | None = None
        self._refresh_again = False
        self._details_task: asyncio.Task[Any] | None = None
        self._details_again = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._started = False
        self._stopped = False
        self._removers: list[Callable[[], None]] = [
            client.add_state_listener(self._hub_listener(name)) for name, client in self.hubs.items()
        ]
        self._removers.append(self.events.on_event(self._on_event))

    # -- observation ---------------------------------------------------------
    def add_hub_state_listener(self, listener: HubStateListener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _hub_listener(self, name: str) -> Callable[[ConnectionState], None]:
        return lambda state: self._on_hub_state(name, state)

    def hub_state(self, name: str) -> ConnectionState:
        return self.hubs[name].state

    def _on_hub_state(self, name: str, state: ConnectionState) -> None:
        self.state.stale[name] = state != ConnectionState.CONNECTED
        for listener in list(self._listeners):
            try:
                listener(name, state)
            except Exception:
                log.exception("hub state listener failed")
        if name == "control" and state == ConnectionState.CONNECTED and self._started and not self._stopped:
            self.schedule_refresh()

    # -- lifecycle -------------------------------------------------------------
    async def start(self) -> None:
        await asyncio.gather(self.control.connect(), self.data.connect())
        self._started = True
        for name, client in self.hubs.items():
            self.state.stale[name] = client.state != ConnectionState.CONNECTED
        try:
            await self.refresh()
        finally:  # also when a drop broke the first snapshot: the reconnect reloads it, and events must flow
            if not self._stopped:
                self._spawn(self._connect_events(), "session-event-hub")
                self._spawn(self._heartbeat(), "session-heartbeat")

    async def stop(self) -> None:
        self._stopped = True
        tasks = [*self._streams.values(), *self._tasks]
        if self._refresh_task is not None:
            tasks.append(self._refresh_task)
        for task in tasks:
            task.cancel()
        if tasks:  # a stop never hangs: a task that ignores its cancellation is left behind, and said
            done, stuck = await asyncio.wait(tasks, timeout=self.stop_timeout)
            for task in done:  # their failures were logged when they happened
                if not task.cancelled():
                    task.exception()
            for task in stuck:
                log.warning("session task %s did not stop within %.0f s", task.get_name(), self.stop_timeout)
        self._streams.clear()
        for remove in self._removers:
            remove()
        closing = asyncio.gather(*(c.close() for c in self.hubs.values()), return_exceptions=True)
        try:
            await asyncio.wait_for(closing, self.stop_timeout)
        except TimeoutError:
            log.warning("the hub connections did not close within %.0f s", self.stop_timeout)
        for name in self.hubs:
            self.state.stale[name] = True

    def _spawn(self, coro: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def _connect_events(self) -> None:
        """The SDK replays and subscribes before ``connect()`` returns. Retried while the server is
        unreachable (a drop during the first snapshot, a restarting simulator), never on a refused key."""
        while True:
            try:
                await self.events.connect()
                return
            except SignalRAuthError:
                raise
            except SignalRError as exc:
                log.info("event hub not connected (%s); retrying", exc)
                await asyncio.sleep(self.events_retry_s)

    async def _heartbeat(self) -> None:
        """Round trip of a cheap call every few seconds -> ``state.latency_ms``.

        The first one waits an interval: right after connecting the GUI thread is busy building
        the deferred panels, which would show as a network round trip of half a second."""
        loop = asyncio.get_running_loop()
        await asyncio.sleep(self.heartbeat_interval)
        while not self._stopped:
            if self.control.state == ConnectionState.CONNECTED:
                started = loop.time()
                try:
                    if self.events.state == ConnectionState.CONNECTED:
                        latest = await self.events.get_latest_event_seq_id(timeout=5)
                        self.state.last_event_seq = max(self.state.last_event_seq, latest.latest_event_seq_id)
                        self.state.server_clock.observe(latest.snapshot_time)
                    else:
                        await self.control.list_agents(timeout=5)
                    self.state.latency_ms = (loop.time() - started) * 1000.0
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a disconnect shows in the status bar; no error dialog for it
                    self.state.latency_ms = None
                    log.info("heartbeat failed: %s", exc)
            else:
                self.state.latency_ms = None
            await asyncio.sleep(self.heartbeat_interval)

    # -- events ----------------------------------------------------------------
    def _on_event(self, event: MesoLiveEvent) -> None:
        needs = store.apply_event(self.state, event)
        if not needs or not self._started or self._stopped:
            return
        if "position_details" in needs:
            self.schedule_details()
        if needs - {"position_details"}:
            self.schedule_refresh()

    # -- snapshots -------------------------------------------------------------
    def schedule_refresh(self) -> None:
        """Reload the snapshots soon; requests during a running refresh coalesce into one more."""
        if self._refresh_task is None or self._refresh_task.done():
            self._refresh_task = asyncio.create_task(self._refresh_logged(), name="session-refresh")
        else:
            self._refresh_again = True

    async def _refresh_logged(self) -> None:
        while True:
            self._refresh_again = False
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception:
                if self.control.state == ConnectionState.CONNECTED:
                    log.exception("refreshing the snapshots failed")
                else:
                    log.info("refresh interrupted by a disconnect; retried on reconnect")
            if not self._refresh_again or self._stopped:
                return

    async def _optional(self, method: str, fetch: Callable[[], Awaitable[T]]) -> T | None:
        """Run ``fetch``; None (and remember) when the server does not serve ``method``."""
        if method in self.state.unsupported:
            return None
        try:
            return await fetch()
        except SignalRInvocationError as exc:
            if not is_unsupported(exc):
                raise
            self.state.unsupported.add(method)
            log.warning("the server does not serve %s yet; that blotter stays empty", method)
            return None

    @staticmethod
    async def _collect(items: AsyncIterator[T]) -> list[T]:
        return [item async for item in items]

    async def refresh(self) -> None:
        """Reload every snapshot, then make the set of position streams match the open positions."""
        c = self.control
        accounts, agents, strategies, summaries, legs = await asyncio.gather(
            self._collect(c.iter_accounts()),
            self._optional("ListAgents", c.list_agents),
            self._optional("ListStrategies", lambda: self._collect(c.iter_strategies())),
            self._collect(c.iter_positions()),
            self._optional("ListLegs", lambda: self._collect(c.iter_legs(open_only=True))),
        )
        open_ids = [p.id for p in summaries if p.state == LivePositionState.Open]
        details = await asyncio.gather(*(c.get_position(position_id=i) for i in open_ids))
        store.apply_accounts(self.state, accounts)
        if agents is not None:
            store.apply_agents(self.state, agents.agents)
        if strategies is not None:
            store.apply_strategies(self.state, strategies)
        store.apply_positions(self.state, summaries, {d.id: d for d in details})
        if legs is not None:
            store.apply_legs(self.state, legs)
        else:
            store.apply_legs(self.state, [leg for d in details for leg in d.legs])
        mark("position snapshot applied")
        self._sync_streams(open_ids)  # positions go live while orders and executions load
        orders, executions = await asyncio.gather(
            self._optional("ListOrders", lambda: self._collect(c.iter_orders())),
            self._optional("ListExecutions", lambda: self._collect(c.iter_executions())),
        )
        if orders is not None:
            store.apply_orders(self.state, orders)
        if executions is not None:
            store.apply_executions(self.state, executions)
        await self._resolve_exec_plans()
        self.schedule_details()

    # -- closed positions' realized P&L ------------------------------------------
    details_concurrency = 8

    def schedule_details(self) -> None:
        """Fetch ``GetPosition`` for closed positions the console has no details of: the list
        call does not carry realized P&L. Requests during a running fetch coalesce."""
        if self._details_task is None or self._details_task.done():
            self._details_task = self._spawn(self._load_missing_details(), "session-closed-details")
        else:
            self._details_again = True

    async def _load_missing_details(self) -> None:
        limit = asyncio.Semaphore(self.details_concurrency)

        async def load(position_id: int) -> None:
            async with limit:
                try:
                    detail = await self.control.get_position(position_id=position_id)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # retried at the next refresh
                    log.info("details of closed position %s not loaded: %s", position_id, exc)
                    return
                store.apply_position_details(self.state, detail)

        while not self._stopped:
            self._details_again = False
            missing = store.positions_missing_details(self.state)
            await asyncio.gather(*(load(i) for i in missing))
            if not self._details_again:
                return

    async def _resolve_exec_plans(self) -> None:
        """Orders and executions carry an exec plan id; find each plan's position once."""
        mapping: dict[int, int] = {}
        for plan_id in sorted(store.unknown_exec_plans(self.state)):
            page = await self.control.list_positions(live_exec_plan_id=plan_id, limit=1)
            if page.items:
                mapping[plan_id] = page.items[0].id
        store.link_exec_plans(self.state, mapping)

    async def load_position_details(self, position_id: int) -> LivePositionDetails:
        """``GetPosition`` for the detail view (legs, vars, pricing blocks)."""
        return await self.control.get_position(position_id=position_id)

    # -- streams -----------------------------------------------------------------
    def _sync_streams(self, open_ids: list[int]) -> None:
        if self._stopped:
            return
        for position_id in open_ids:
            task = self._streams.get(position_id)
            if task is None or task.done():
                self._streams[position_id] = asyncio.create_task(
                    self._stream_position(position_id), name=f"stream-position-{position_id}"
                )
        for position_id in [i for i in self._streams if i not in open_ids]:
            self._streams.pop(position_id).cancel()

    async def _stream_position(self, position_id: int) -> None:
        """Keep one position stream alive across reconnects until cancelled or the position closes."""
        delay = 0.2
        while not self._stopped:
            await self._wait_connected(self.data)
            try:
                async for entry in self.data.stream_position_data(
                    position_id=position_id,
                    include_position=LiveDataInclude.All,
                    include_legs=LiveDataInclude.All,
                    include_leg_groups=LiveDataInclude.All,
                    lean=True,  # float market values, decoded by msgspec (mesodesk.sdk.lean)
                ):
                    if not self.state.stream_updates:
                        mark("first streamed update")
                    if not store.apply_stream_entry(self.state, position_id, entry, datetime.now(UTC)):
                        return
                    delay = 0.2
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # dropped connection or stream error: retry with backoff
                log.info("position %s stream ended (%s); retrying", position_id, exc,
                         exc_info=log.isEnabledFor(logging.DEBUG))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    @staticmethod
    async def _wait_connected(client: AnyClient) -> None:
        def connected_now() -> bool:
            return client.state == ConnectionState.CONNECTED

        if connected_now():
            return
        connected = asyncio.Event()
        remove = client.add_state_listener(lambda state: connected.set() if state == ConnectionState.CONNECTED else None)
        try:
            if not connected_now():  # it may have connected while the listener was added
                await connected.wait()
        finally:
            remove()
