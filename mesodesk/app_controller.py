"""The composition root: simulator or remote server, API key, session, trading desk, window,
shutdown. The only module that wires ``mesodesk.sim`` and the SDK-backed core to the UI.

Failures a user can run into are put in words, never shown as a traceback: a connection
that fails (:mod:`mesodesk.core.connection_problems`) shows in the status bar and the
Errors panel, and with ``--server`` on the command line ends the app with one line on
stderr and an exit code. The embedded simulator is supervised: restarted when it dies,
given up on (with its last log lines) when it keeps crashing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Awaitable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from mesodesk.core.connection_problems import (
    EXIT_FAILURE,
    EXIT_SIMULATOR,
    EXIT_USAGE,
    ConnectFailed,
    ProblemKind,
    check_server_url,
    connect_session,
)
from mesodesk.core.credentials import load_api_key
from mesodesk.core.errors import ConnectionState
from mesodesk.core.session import Session
from mesodesk.core.session_cache import SessionCache, write_cache
from mesodesk.core.settings import load_settings
from mesodesk.core.startup_timeline import mark
from mesodesk.core.trading.desk import TradingDesk
from mesodesk.core.world import World, account_fingerprint, default_data_dir, world_folder
from mesodesk.sim.embedded import (
    EmbeddedSimulator,
    SimulatorCrash,
    SimulatorEndpoint,
    SimulatorError,
    SimulatorSupervisor,
)
from mesodesk.sim.fees import COMMISSION_PER_CONTRACT
from mesodesk.ui.cached_window import CachedWindow, capture_window
from mesodesk.ui.dialogs.connection_dialog import ConnectionChoice
from mesodesk.ui.errors import EXPLAINED, ErrorHub
from mesodesk.ui.main_window import MainWindow

log = logging.getLogger("mesodesk.app")


DEFERRED_PANELS_AFTER_S = 3.0
"""Also how long the last session's window (:mod:`mesodesk.ui.cached_window`) waits for live rows."""
#: how often the last session's window is written while the console runs (also at exit)
SESSION_CACHE_EVERY_S = 30.0
#: how long the "simulator restarted" line stays in the status bar
RESTART_NOTICE_MS = 600_000


class StartupError(Exception):
    """A start-up problem in one line, with the exit code ``mesodesk`` ends with (command line)."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE, details: str = "", *, short: str = "") -> None:
        self.exit_code = exit_code
        self.details = details or message
        self.short = short or message
        """Without the command-line advice, for the window."""
        super().__init__(message)


class AppController:
    def __init__(self, args: argparse.Namespace, errors: ErrorHub) -> None:
        self.args = args
        self.errors = errors
        self.data_dir: Path = args.data_dir or default_data_dir()
        self.simulator: EmbeddedSimulator | None = None
        self.supervisor: SimulatorSupervisor | None = None
        self.session: Session | None = None
        self.window: MainWindow | None = None
        self._closed: asyncio.Future[None] | None = None
        self.settings = load_settings()
        self._switching: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self._exit_code = 0
        self._first_connect = True
        self._startup_notice: tuple[str, str] | None = None
        self.connect_timeout: float = getattr(args, "connect_timeout", None) or 10.0
        #: the last session's window, painted by app.main before the heavy imports; until live rows
        self.cached_window: CachedWindow | None = getattr(args, "cached_window", None)
        if self.cached_window is not None:
            self.cached_window.sig_closed.connect(self._on_window_closed)
        self._live_window: MainWindow | None = None
        self._final_cache: tuple[Path, SessionCache] | None = None
        self._cache_write_failed = False

    def _initial_choice(self) -> ConnectionChoice:
        """--server wins; otherwise the last choice from the settings (never for --screenshot)."""
        if self.args.server:
            return ConnectionChoice("remote", self.args.server)
        if self.settings.connection_mode == "remote" and self.settings.server_url and not self.args.screenshot:
            return ConnectionChoice("remote", self.settings.server_url)
        return ConnectionChoice("embedded")

    # -- endpoints ---------------------------------------------------------------------------
    async def _endpoint(self, choice: ConnectionChoice) -> tuple[str, str]:
        if choice.mode == "remote":
            url = choice.url
            problem = check_server_url(url)
            if problem is not None:
                raise StartupError(f"{url}: {problem}")
            if self.args.api_key_env and url == self.args.server:
                key = os.environ.get(self.args.api_key_env, "")
                if not key:
                    raise StartupError(f"environment variable {self.args.api_key_env} is empty or not set")
            else:
                key = load_api_key(url) or ""
                if not key:
                    raise StartupError(f"no API key for {url}: pass --api-key-env NAME or enter it in "
                                       "File → Connect…", short=f"no API key for {url} in this session")
            return url, key
        if self.simulator is None or (self.supervisor is not None and self.supervisor.gave_up):
            await self._stop_simulator()
            early = getattr(self.args, "early_simulator", None)  # spawned by app.main before the heavy imports
            self.args.early_simulator = None
            simulator = early or EmbeddedSimulator(self.data_dir / "simulator", seed=self.args.seed)
            try:
                endpoint = await simulator.start()
            except SimulatorError as exc:
                await simulator.stop()
                last = exc.log_lines[-1] if exc.log_lines else ""
                # a refusal of the simulator's own (its data folder or database) is one sentence already
                said = last.removeprefix("mesodesk-sim: ") if last.startswith("mesodesk-sim: ") else ""
                message = (f"the embedded simulator could not start: {said}" if said
                           else f"{exc}{': ' + last if last else ''}")
                raise StartupError(message, EXIT_SIMULATOR,
                                   details=f"{exc}.\nIts last log lines ({simulator.log_path}):\n\n"
                                           + "\n".join(exc.log_lines)) from exc
            self.simulator = simulator
            mark("embedded simulator ready")
            self._sim_endpoint = (endpoint.url, endpoint.api_key)
            self._supervise(simulator)
        return self._sim_endpoint

    _sim_endpoint: tuple[str, str] = ("", "")

    # -- session and window --------------------------------------------------------------------
    def _world(self, url: str, key: str, embedded: bool) -> World:
        """The embedded simulator is its data folder (its URL and key change every run); a server is
        its URL and the account its key signs in as."""
        if embedded:
            return World.embedded(self.simulator.data_dir if self.simulator is not None else self.data_dir / "simulator")
        return World.server(url, account_fingerprint(url, key))

    def _open(self, url: str, key: str) -> None:
        """Build the session and its window, show it and start connecting (in the background)."""
        embedded = url == self._sim_endpoint[0]
        session = self.session = Session(url, key, embedded=embedded, world=self._world(url, key, embedded),
                                         connect_timeout=self.connect_timeout)
        # the commission estimate of tickets: the simulator's schedule; a real broker's comes from Settings
        desk = TradingDesk(session, default_commission=COMMISSION_PER_CONTRACT if embedded else Decimal(0))
        window = self.window = MainWindow(session, self.errors, settings=self.settings, defer_charts=True, desk=desk)
        window.sig_closed.connect(self._on_window_closed)
        window.sig_connect_requested.connect(self._on_connect_requested)
        window.show()
        mark("main window shown")
        if self.cached_window is not None:  # over its panels until live rows are painted
            self.cached_window.sig_closed.disconnect(self._on_window_closed)
            self.cached_window.cover(window, window.statusBar().geometry().top() or window.height())
        if self._startup_notice is not None:
            window.status.show_notice(*self._startup_notice)
            self._startup_notice = None
        first, self._first_connect = self._first_connect, False
        start = asyncio.ensure_future(connect_session(session))
        start.add_done_callback(lambda task: self._on_connect_done(task, session, window, first))
        if not self.args.screenshot:
            self._spawn(self._build_panels_when_live(window))

    def _on_connect_done(self, task: asyncio.Future[None], session: Session, window: MainWindow,
                         first: bool) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            self._live_window = window
            self._select_first_position(window if window is self.window else None)
        elif isinstance(exc, ConnectFailed):
            self._connection_failed(exc, session, window, first)
        else:
            if window is self.window:
                self._drop_cached_window()
            self.errors.report(f"Could not connect: {type(exc).__name__}: {exc}", exc)  # a bug: traceback

    def _connection_failed(self, exc: ConnectFailed, session: Session, window: MainWindow, first: bool) -> None:
        problem, summary = exc.problem, exc.problem.summary(exc.url)
        if first and self.args.server:  # `mesodesk --server URL`: one line and an exit code
            log.warning("%s", problem.details(exc.url), extra={EXPLAINED: True})
            self._exit(problem.exit_code, f"cannot connect to {exc.url}: {problem.reason}")
            return
        self.errors.explain(summary, problem.details(exc.url))
        if window is not self.window:
            return
        self._drop_cached_window()
        window.status.show_notice(f"Not connected: {problem.reason}", "error")
        if problem.kind == ProblemKind.AUTH and not session.embedded:
            dialog = window.open_connection_dialog()
            dialog.remote.setChecked(True)
            dialog.url.setText(session.url)
            dialog.show_error(f"{problem.reason[0].upper()}{problem.reason[1:]}: enter the correct key and connect "
                              "again.")

    async def _build_panels_when_live(self, window: MainWindow) -> None:
        """Live rows replace the last session's, and charts come second (or both after a few seconds)."""
        live = False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(window.wait_until_live(min_updates=1), DEFERRED_PANELS_AFTER_S)
            live = True
        if window is not self.window:
            return
        self._drop_cached_window()
        if live:
            mark("live rows painted")
        window.build_deferred_panels()
        mark("charts built")

    # -- the last session's window (mesodesk.ui.cached_window) --------------------------------------
    def _drop_cached_window(self) -> None:
        """The live window's own panels from now on (the last session's window goes, once)."""
        cached, self.cached_window = self.cached_window, None
        if cached is not None:
            if cached.isWindow():  # not yet over the live window: closing it would end the app
                cached.sig_closed.disconnect(self._on_window_closed)
            cached.hide()
            cached.deleteLater()

    def _session_cache(self) -> tuple[Path, SessionCache] | None:
        """What the live window shows now, and where it goes (None: no live window on screen)."""
        window, session = self.window, self.session
        if window is None or session is None or window is not self._live_window or not window.isVisible():
            return None
        folder = world_folder(session.world, self.data_dir)
        return folder, capture_window(window, session.world.key, window.docks, window.views)

    def _write_session_cache(self, snapshot: tuple[Path, SessionCache] | None) -> None:
        if snapshot is None:
            return
        try:
            write_cache(*snapshot)
        except OSError as exc:
            if not self._cache_write_failed:  # once: it is a convenience, the console works without it
                log.warning("could not keep the last session's window in %s: %s", snapshot[0],
                            exc.strerror or exc)
            self._cache_write_failed = True

    async def _keep_session_cache(self) -> None:
        """Every half minute: capture on the GUI thread (the rows on screen: cheap), write off it."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(SESSION_CACHE_EVERY_S)
            snapshot = self._session_cache()
            if snapshot is not None:
                await loop.run_in_executor(None, self._write_session_cache, snapshot)

    @staticmethod
    def _select_first_position(window: MainWindow | None) -> None:
        """Once connected, select the first position (if the trader selected none) so the charts,
        the risk graph and the linked blotters open on something."""
        if window is None:
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

    # -- switching (File → Connect…) ------------------------------------------------------------
    def _on_connect_requested(self, choice: ConnectionChoice) -> None:
        if self._switching is None or self._switching.done():
            self._switching = asyncio.ensure_future(self._switch(choice))
            self._switching.add_done_callback(self._report_task_failure)

    async def _switch(self, choice: ConnectionChoice) -> None:
        """Close the current session and window, then open the chosen connection."""
        url, key = await self._endpoint(choice)  # fails before anything is torn down
        self._write_session_cache(self._session_cache())
        self._drop_cached_window()
        old_session, old_window = self.session, self.window
        self.session = self.window = None
        if old_window is not None:
            old_window.sig_closed.disconnect(self._on_window_closed)
            if not self.args.screenshot:
                old_window.save_ui_state()
            old_window.hide()
            old_window.deleteLater()
        if old_session is not None:
            await asyncio.wait_for(old_session.stop(), 3)
        if choice.mode == "remote" and self.simulator is not None:
            await self._stop_simulator()
        self._open(url, key)

    # -- the embedded simulator's supervision ------------------------------------------------------
    def _supervise(self, simulator: EmbeddedSimulator) -> None:
        self.supervisor = SimulatorSupervisor(simulator, on_crash=self._on_simulator_crash,
                                              on_restarted=self._on_simulator_restarted,
                                              on_gave_up=self._on_simulator_gave_up)
        self.supervisor.start()

    def _embedded_window(self) -> MainWindow | None:
        return self.window if self.session is not None and self.session.embedded else None

    @staticmethod
    def _crash_details(summary: str, crash: SimulatorCrash, tail: str) -> str:
        lines = "\n".join(crash.log_lines) or "(the log is empty)"
        return f"{summary}.\n{tail}\n\nIts last log lines ({crash.log_path}):\n\n{lines}"

    def _on_simulator_crash(self, crash: SimulatorCrash) -> None:
        summary = f"The embedded simulator stopped unexpectedly ({crash.exit})"
        self.errors.explain(summary, self._crash_details(
            summary, crash, "mesodesk restarts it on the same data folder (its state is kept) and reconnects."))
        window = self._embedded_window()
        if window is not None:
            window.status.show_notice(f"Simulator died ({crash.exit}); restarting it…", "warn")

    def _on_simulator_restarted(self, crash: SimulatorCrash, endpoint: SimulatorEndpoint) -> None:
        self._sim_endpoint = (endpoint.url, endpoint.api_key)
        session, window = self.session, self._embedded_window()
        if session is None or window is None:
            return
        if endpoint.url != session.url:  # its port was taken: a new session on the new port
            self._spawn(self._reopen_embedded(crash))
        else:
            self._spawn(self._announce_recovery(crash, session, window))

    @staticmethod
    def _restarted_text(crash: SimulatorCrash) -> str:
        return f"Simulator restarted at {datetime.now():%H:%M:%S} after it died ({crash.exit}); reconnected"

    async def _announce_recovery(self, crash: SimulatorCrash, session: Session, window: MainWindow) -> None:
        while session.hub_state("control") != ConnectionState.CONNECTED:
            await asyncio.sleep(0.1)
            if window is not self.window:
                return
        window.status.show_notice(self._restarted_text(crash), "ok", RESTART_NOTICE_MS)

    async def _reopen_embedded(self, crash: SimulatorCrash) -> None:
        await self._switch(ConnectionChoice("embedded"))
        window = self.window
        if window is None:
            return
        session = self.session
        while session is not None and session.hub_state("control") != ConnectionState.CONNECTED:
            await asyncio.sleep(0.1)
            if window is not self.window:
                return
        window.status.show_notice(self._restarted_text(crash), "ok", RESTART_NOTICE_MS)

    def _on_simulator_gave_up(self, crash: SimulatorCrash) -> None:
        summary = (f"The embedded simulator crashed {crash.crashes} times within a minute ({crash.exit}); "
                   "it is not restarted again")
        self.errors.explain(summary, self._crash_details(
            summary, crash, "File → Connect… → Embedded simulator starts it again."))
        window, session = self._embedded_window(), self.session
        if window is not None and session is not None:
            window.status.show_notice(f"Simulator died {crash.crashes}× in a minute: not restarted (see the Errors "
                                      "panel)", "error")
            self._spawn(self._stop_reconnecting(session))

    @staticmethod
    async def _stop_reconnecting(session: Session) -> None:
        """No more reconnect attempts to a port nobody serves. Waits (briefly) until the hubs noticed
        the drop: closing a socket the SDK still thinks open makes it log a send failure as a bug."""
        dropped = asyncio.Event()

        def check(*_: object) -> None:
            if all(session.hub_state(hub) != ConnectionState.CONNECTED for hub in session.hubs):
                dropped.set()

        remove = session.add_hub_state_listener(check)
        check()
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(dropped.wait(), 5.0)
        finally:
            remove()
        await session.stop()
        session.state.latency_ms = None

    async def _stop_simulator(self) -> None:
        supervisor, self.supervisor = self.supervisor, None
        if supervisor is not None:
            await supervisor.stop()
        simulator, self.simulator = self.simulator, None
        if simulator is not None:
            await simulator.stop()

    # -- running -------------------------------------------------------------------------------
    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        self._closed = loop.create_future()
        try:
            choice = self._initial_choice()
            try:
                try:
                    url, key = await self._endpoint(choice)
                except StartupError as exc:
                    if self.args.server or choice.mode == "embedded":
                        raise
                    log.warning("%s; starting on the embedded simulator instead", exc)
                    self._startup_notice = (f"Using the embedded simulator: {exc.short} (File → Connect… to enter "
                                            "it)", "warn")
                    url, key = await self._endpoint(ConnectionChoice("embedded"))
            except StartupError as exc:
                log.warning("%s", exc.details, extra={EXPLAINED: True})
                self._print(str(exc))
                return exc.exit_code
            self._open(url, key)
            self._spawn(self._keep_session_cache())
            if self.args.screenshot:
                return await self._screenshot(self.args.screenshot, self.args.screenshot_timeout)
            await self._closed
            return self._exit_code
        finally:
            await self.shutdown()

    @staticmethod
    def _print(message: str) -> None:
        print(f"mesodesk: {message}", file=sys.stderr, flush=True)

    def _exit(self, code: int, message: str) -> None:
        """End the app with ``code`` after printing ``message`` (one line)."""
        self._exit_code = code
        self._print(message)
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(self._report_task_failure)
        return task

    def _report_task_failure(self, task: asyncio.Future[Any]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        assert exc is not None
        if isinstance(exc, StartupError):
            self.errors.explain(str(exc)[:1].upper() + str(exc)[1:], exc.details)
            if self.window is not None:
                self.window.status.show_notice(str(exc), "error")
        elif isinstance(exc, ConnectFailed):
            self.errors.explain(exc.problem.summary(exc.url), exc.problem.details(exc.url))
        else:
            self.errors.report(f"{type(exc).__name__}: {exc}", exc)

    def _on_window_closed(self) -> None:
        self._final_cache = self._session_cache()  # while the window is still on screen
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)

    async def _screenshot(self, path: Path, timeout: float) -> int:
        window = self.window
        assert window is not None and self._closed is not None

        async def live() -> None:
            await window.wait_until_live(min_updates=1)
            self._drop_cached_window()
            window.repaint()
            mark("live rows painted")
            window.build_deferred_panels()
            mark("charts built")
            await window.wait_until_live(min_updates=3)  # a few chart samples

        waiting = asyncio.ensure_future(live())
        done, _ = await asyncio.wait({waiting, self._closed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if waiting not in done:
            waiting.cancel()
            await asyncio.gather(waiting, return_exceptions=True)
            if self._closed.done():  # the connection failed (already said) or the window was closed
                return self._exit_code or EXIT_FAILURE
            log.error("no live data within %.0f s; screenshot not taken", timeout)
            self._print(f"no live data within {timeout:.0f} s; screenshot not taken")
            return EXIT_FAILURE
        waiting.result()
        await asyncio.sleep(0.05)  # let pending paints run (never processEvents() inside a coroutine)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(path)):
            self._print(f"could not write {path}")
            return EXIT_FAILURE
        mark("screenshot saved")
        print(f"mesodesk: screenshot saved to {path}")
        return 0

    async def shutdown(self) -> None:
        try:
            self._write_session_cache(self._final_cache or self._session_cache())
        except Exception:  # a bug in the capture must not stop the shutdown
            log.exception("the last session's window was not kept")
        supervisor, self.supervisor = self.supervisor, None
        if supervisor is not None:
            await supervisor.stop()
        session, self.session = self.session, None
        simulator, self.simulator = self.simulator, None
        if session is not None:
            try:
                await asyncio.wait_for(session.stop(), 3)
            except Exception:
                log.exception("session did not stop cleanly")
        if simulator is not None:
            await simulator.stop()
        self._drop_cached_window()
        if self.window is not None:
            if not self.args.screenshot:  # a screenshot run leaves the trader's layout alone
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
