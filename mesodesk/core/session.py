"""One trading session: owns the hub clients and keeps :class:`AppState` in sync.

On connect (and after every reconnect of the Control hub) it loads the paged
snapshots; it keeps one ``StreamPositionData`` per open position alive across
Data hub reconnects. It never touches Qt: the UI reads ``state`` and listens to
``add_hub_state_listener``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from mesodesk.contract import LiveDataInclude, LivePositionState
from mesodesk.core.state import AppState, PositionRow
from mesodesk.sdk import ConnectionState, MesoLiveControlHubClient, MesoLiveDataHubClient
from mesodesk.sdk.errors import MesoLiveError

log = logging.getLogger("mesodesk.session")

HubStateListener = Callable[[str, ConnectionState], Any]


class Session:
    def __init__(self, url: str, api_key: str, *, embedded: bool = False, invoke_timeout: float = 30.0) -> None:
        self.url = url
        self.embedded = embedded
        self.state = AppState()
        self.control = MesoLiveControlHubClient(url, api_key, invoke_timeout=invoke_timeout)
        self.data = MesoLiveDataHubClient(url, api_key, invoke_timeout=invoke_timeout)
        self.hubs = {"control": self.control, "data": self.data}
        self._streams: dict[int, asyncio.Task[None]] = {}
        self._listeners: list[HubStateListener] = []
        self._refresh_task: asyncio.Task[None] | None = None
        self._stopped = False
        self._removers = [
            client.add_state_listener(lambda state, name=name: self._on_hub_state(name, state))
            for name, client in self.hubs.items()
        ]

    # -- observation ---------------------------------------------------------
    def add_hub_state_listener(self, listener: HubStateListener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def hub_state(self, name: str) -> ConnectionState:
        return self.hubs[name].state

    def _on_hub_state(self, name: str, state: ConnectionState) -> None:
        for listener in list(self._listeners):
            try:
                listener(name, state)
            except Exception:
                log.exception("hub state listener failed")
        if name == "control" and state == ConnectionState.CONNECTED and self._started and not self._stopped:
            self._schedule_refresh()

    # -- lifecycle -------------------------------------------------------------
    _started = False

    async def start(self) -> None:
        await asyncio.gather(self.control.connect(), self.data.connect())
        self._started = True
        await self.refresh()

    async def stop(self) -> None:
        self._stopped = True
        tasks = list(self._streams.values())
        if self._refresh_task is not None:
            tasks.append(self._refresh_task)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._streams.clear()
        for remove in self._removers:
            remove()
        await asyncio.gather(self.control.close(), self.data.close(), return_exceptions=True)

    def _schedule_refresh(self) -> None:
        if self._refresh_task is None or self._refresh_task.done():
            self._refresh_task = asyncio.create_task(self._refresh_logged(), name="session-refresh")

    async def _refresh_logged(self) -> None:
        try:
            await self.refresh()
        except MesoLiveError:
            log.exception("refresh after reconnect failed")

    # -- snapshots -------------------------------------------------------------
    async def refresh(self) -> None:
        """Reload accounts and positions, then make the set of position streams match."""
        accounts = [account async for account in self.control.iter_accounts()]
        self.state.accounts.replace_all({a.broker_account_id: a for a in accounts})
        summaries = [position async for position in self.control.iter_positions()]
        open_ids = [p.id for p in summaries if p.state == LivePositionState.Open]
        details = await asyncio.gather(*(self.control.get_position(position_id=i) for i in open_ids))
        details_by_id = {d.id: d for d in details}
        rows: dict[int, PositionRow] = {}
        for summary in summaries:
            row = self.state.positions.get(summary.id) or PositionRow(summary)
            row.summary = summary
            row.details = details_by_id.get(summary.id, row.details)
            rows[summary.id] = row
        self.state.positions.replace_all(rows)
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
                ):
                    row = self.state.positions.get(position_id)
                    if row is None:
                        return
                    row.data = entry
                    row.updates += 1
                    row.received_at = datetime.now(UTC)
                    self.state.stream_updates += 1
                    self.state.positions.touch(position_id)
                    delay = 0.2
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # dropped connection or stream error: retry with backoff
                log.info("position %s stream ended (%s); retrying", position_id, exc, exc_info=log.isEnabledFor(logging.DEBUG))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    @staticmethod
    async def _wait_connected(client: MesoLiveDataHubClient | MesoLiveControlHubClient) -> None:
        if client.state == ConnectionState.CONNECTED:
            return
        connected = asyncio.Event()
        remove = client.add_state_listener(lambda state: connected.set() if state == ConnectionState.CONNECTED else None)
        try:
            if client.state != ConnectionState.CONNECTED:
                await connected.wait()
        finally:
            remove()
