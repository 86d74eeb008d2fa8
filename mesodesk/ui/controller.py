"""Wires the pieces together: simulator or remote server, session, window, shutdown."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from pathlib import Path

from platformdirs import user_data_path
from PySide6.QtWidgets import QApplication

from mesodesk.core.credentials import load_api_key
from mesodesk.core.session import Session
from mesodesk.sim.embedded import EmbeddedSimulator
from mesodesk.ui.errors import ErrorHub
from mesodesk.ui.main_window import MainWindow

log = logging.getLogger("mesodesk.app")


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

    async def _endpoint(self) -> tuple[str, str]:
        if self.args.server:
            url = self.args.server
            if self.args.api_key_env:
                key = os.environ.get(self.args.api_key_env, "")
                if not key:
                    raise StartupError(f"environment variable {self.args.api_key_env} is empty or not set")
            else:
                key = load_api_key(url) or ""
                if not key:
                    raise StartupError(f"no API key for {url}: pass --api-key-env NAME or save one in the keyring")
            return url, key
        self.simulator = EmbeddedSimulator(self.data_dir / "simulator", seed=self.args.seed)
        endpoint = await self.simulator.start()
        return endpoint.url, endpoint.api_key

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        self._closed = loop.create_future()
        try:
            try:
                url, key = await self._endpoint()
            except StartupError as exc:
                log.error("%s", exc)
                print(f"mesodesk: {exc}")
                return 2
            self.session = Session(url, key, embedded=self.simulator is not None)
            self.window = MainWindow(self.session, self.errors)
            self.window.sig_closed.connect(self._on_window_closed)
            self.window.show()
            start = asyncio.ensure_future(self.session.start())
            start.add_done_callback(self._report_start_failure)
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

    def _on_window_closed(self) -> None:
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)

    async def _screenshot(self, path: Path, timeout: float) -> int:
        assert self.window is not None
        try:
            await asyncio.wait_for(self.window.wait_until_live(), timeout)
        except TimeoutError:
            log.error("no live data within %.0f s; screenshot not taken", timeout)
            print(f"mesodesk: no live data within {timeout:.0f} s")
            return 1
        QApplication.processEvents()
        path.parent.mkdir(parents=True, exist_ok=True)
        if not self.window.grab().save(str(path)):
            print(f"mesodesk: could not write {path}")
            return 1
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
            self.window.hide()
            self.window.deleteLater()
            self.window = None
        current = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=1.0)
