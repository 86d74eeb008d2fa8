"""The composition root: simulator or remote server, API key, session, trading desk, window,
shutdown. The only module that wires ``mesodesk.sim`` and the SDK-backed core to the UI."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
from decimal import Decimal
from pathlib import Path

from platformdirs import user_data_path

from mesodesk.core.credentials import load_api_key
from mesodesk.core.session import Session
from mesodesk.core.settings import load_settings
from mesodesk.core.startup_timeline import mark
from mesodesk.core.trading.desk import TradingDesk
from mesodesk.sim.broker import COMMISSION_PER_CONTRACT
from mesodesk.sim.embedded import EmbeddedSimulator
from mesodesk.ui.dialogs.connection_dialog import ConnectionChoice
from mesodesk.ui.errors import ErrorHub
from mesodesk.ui.main_window import MainWindow

log = logging.getLogger("mesodesk.app")


DEFERRED_PANELS_AFTER_S = 3.0


class StartupError(Exception):
    pass


class AppController:
    def __init__(self, args: argparse.Namespace, errors: ErrorHub) -> None:
        self.args = args
        self.errors = errors
        self.data_dir: Path = args.data_dir or user_data_path("mesodesk", appauthor=False)
        self.simulator: EmbeddedSimulator | None = None
        self.session: Session | None = None
        self.window: MainWindow | None = None
        self._closed: asyncio.Future[None] | None = None
        self.settings = load_settings()
        self._switching: asyncio.Task[None] | None = None

    def _initial_choice(self) -> ConnectionChoice:
        """--server wins; otherwise the last choice from the settings (never for --screenshot)."""
        if self.args.server:
            return ConnectionChoice("remote", self.args.server)
        if self.settings.connection_mode == "remote" and self.settings.server_url and not self.args.screenshot:
            return ConnectionChoice("remote", self.settings.server_url)
        return ConnectionChoice("embedded")

    async def _endpoint(self, choice: ConnectionChoice) -> tuple[str, str]:
        if choice.mode == "remote":
            url = choice.url
            if self.args.api_key_env and url == self.args.server:
                key = os.environ.get(self.args.api_key_env, "")
                if not key:
                    raise StartupError(f"environment variable {self.args.api_key_env} is empty or not set")
            else:
                key = load_api_key(url) or ""
                if not key:
                    raise StartupError(f"no API key for {url}: pass --api-key-env NAME or save one in the keyring")
            return url, key
        if self.simulator is None:
            early = getattr(self.args, "early_simulator", None)  # spawned by app.main before the heavy imports
            self.args.early_simulator = None
            self.simulator = early or EmbeddedSimulator(self.data_dir / "simulator", seed=self.args.seed)
            endpoint = await self.simulator.start()
            mark("embedded simulator ready")
            self._sim_endpoint = (endpoint.url, endpoint.api_key)
        return self._sim_endpoint

    _sim_endpoint: tuple[str, str] = ("", "")

    def _open(self, url: str, key: str) -> None:
        """Build the session and its window, show it and start connecting (in the background)."""
        embedded = url == self._sim_endpoint[0]
        self.session = Session(url, key, embedded=embedded)
        # the commission estimate of tickets: the simulator's schedule; a real broker's comes from Settings
        desk = TradingDesk(self.session, default_commission=COMMISSION_PER_CONTRACT if embedded else Decimal(0))
        self.window = MainWindow(self.session, self.errors, settings=self.settings, defer_charts=True, desk=desk)
        self.window.sig_closed.connect(self._on_window_closed)
        self.window.sig_connect_requested.connect(self._on_connect_requested)
        self.window.show()
        mark("main window shown")
        start = asyncio.ensure_future(self.session.start())
        start.add_done_callback(self._report_start_failure)
        start.add_done_callback(lambda task, window=self.window: self._select_first_position(task, window))
        if not self.args.screenshot:
            charts = asyncio.ensure_future(self._build_panels_when_live(self.window))
            charts.add_done_callback(self._report_start_failure)

    async def _build_panels_when_live(self, window: MainWindow) -> None:
        """Charts come second: once the first live rows are painted (or after a few seconds)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(window.wait_until_live(min_updates=1), DEFERRED_PANELS_AFTER_S)
            mark("live rows painted")
        if window is self.window:
            window.build_deferred_panels()
            mark("charts built")

    @staticmethod
    def _select_first_position(task: asyncio.Future[None], window: MainWindow | None) -> None:
        """Once connected, select the first position (if the trader selected none) so the charts,
        the risk graph and the linked blotters open on something."""
        if window is None or task.cancelled() or task.exception() is not None:
            return
        mark("connected, snapshot loaded")
        view = window.views["positions"]

        def select_first(*_: object) -> None:
            if view.proxy.rowCount() == 0:
                return  # rows arrive with the next frame
            view.proxy.rowsInserted.disconnect(select_first)
            key = view.proxy.key_at(0)
            if view.current_key() is None and key is not None:
                view.select_key(key)

        view.proxy.rowsInserted.connect(select_first)
        select_first()

    def _on_connect_requested(self, choice: ConnectionChoice) -> None:
        if self._switching is None or self._switching.done():
            self._switching = asyncio.ensure_future(self._switch(choice))
            self._switching.add_done_callback(self._report_start_failure)

    async def _switch(self, choice: ConnectionChoice) -> None:
        """Close the current session and window, then open the chosen connection."""
        url, key = await self._endpoint(choice)  # fails before anything is torn down
        old_session, old_window = self.session, self.window
        self.session = self.window = None
        if old_window is not None:
            old_window.sig_closed.disconnect(self._on_window_closed)
            old_window.save_ui_state()
            old_window.hide()
            old_window.deleteLater()
        if old_session is not None:
            await asyncio.wait_for(old_session.stop(), 3)
        if choice.mode == "remote" and self.simulator is not None:
            simulator, self.simulator = self.simulator, None
            await simulator.stop()
        self._open(url, key)

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        self._closed = loop.create_future()
        try:
            choice = self._initial_choice()
            try:
                url, key = await self._endpoint(choice)
            except StartupError as exc:
                if self.args.server:
                    log.error("%s", exc)
                    print(f"mesodesk: {exc}")
                    return 2
                log.warning("%s; starting on the embedded simulator instead", exc)
                url, key = await self._endpoint(ConnectionChoice("embedded"))
            self._open(url, key)
            if self.args.screenshot:
                return await self._screenshot(self.args.screenshot, self.args.screenshot_timeout)
            await self._closed
            return 0
        finally:
            await self.shutdown()

    def _report_start_failure(self, task: asyncio.Future[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            assert exc is not None
            self.errors.report(f"Could not connect: {exc}", exc)
            if isinstance(exc, StartupError) and self.window is not None:
                self.window.statusBar().showMessage(str(exc), 15_000)

    def _on_window_closed(self) -> None:
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)

    async def _screenshot(self, path: Path, timeout: float) -> int:
        assert self.window is not None
        try:
            await asyncio.wait_for(self.window.wait_until_live(min_updates=1), timeout)
            self.window.repaint()
            mark("live rows painted")
            self.window.build_deferred_panels()
            mark("charts built")
            await asyncio.wait_for(self.window.wait_until_live(min_updates=3), timeout)  # a few chart samples
        except TimeoutError:
            log.error("no live data within %.0f s; screenshot not taken", timeout)
            print(f"mesodesk: no live data within {timeout:.0f} s")
            return 1
        await asyncio.sleep(0.05)  # let pending paints run (never processEvents() inside a coroutine)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not self.window.grab().save(str(path)):
            print(f"mesodesk: could not write {path}")
            return 1
        mark("screenshot saved")
        print(f"mesodesk: screenshot saved to {path}")
        return 0

    async def shutdown(self) -> None:
        session, self.session = self.session, None
        simulator, self.simulator = self.simulator, None
        if session is not None:
            try:
                await asyncio.wait_for(session.stop(), 3)
            except Exception:
                log.exception("session did not stop cleanly")
        if simulator is not None:
            await simulator.stop()
        if self.window is not None:
            self.window.save_ui_state()
            self.window.hide()
            self.window.deleteLater()
            self.window = None
        current = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=1.0)
