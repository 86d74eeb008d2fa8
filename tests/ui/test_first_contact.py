"""First contact with a real MesoLive, in the GUI: the Connect dialog without a keyring, a wrong key
and an unreachable server explained (status bar + Errors panel, no traceback), "Reconnecting"
explained, the embedded simulator supervised (restarted after ``kill -9``, given up on when it
keeps dying), and a prepare's progress ending when its request fails."""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from mesodesk.app_controller import AppController
from mesodesk.core import credentials
from mesodesk.core.errors import ConnectionState
from mesodesk.sim.dialect import WireDialect
from mesodesk.sim.server import SimulatorServer
from mesodesk.ui.dialogs.connection_dialog import MAX_WIDTH, ConnectionChoice, ConnectionDialog
from mesodesk.ui.errors import ErrorHub, install_log_forwarding
from tests.ui.aio import run, until
from tests.ui.console import API_KEY, console

HUBS = ("control", "data", "event")


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    credentials.forget_session_keys()
    yield
    keyring.set_keyring(previous)
    credentials.forget_session_keys()


class _LockedKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(
            "Failed to unlock the collection! org.freedesktop.Secret.Error.IsLocked: " + "x" * 400)

    def delete_password(self, service: str, username: str) -> None:
        pass


def _fits_on_screen(dialog: ConnectionDialog) -> None:
    screen = QGuiApplication.primaryScreen().availableGeometry()
    assert dialog.width() <= min(MAX_WIDTH, screen.width()), dialog.width()
    for button in dialog.buttons.buttons():  # OK and Cancel inside the dialog, not pushed off
        corner = button.mapTo(dialog, button.rect().bottomRight())
        assert 0 <= corner.x() <= dialog.width() and 0 <= corner.y() <= dialog.height(), corner


# -- the Connect dialog without a keyring ---------------------------------------------------------------
def test_without_a_keyring_the_dialog_offers_this_session_only(qtbot, no_keyring: None, tmp_path: Path) -> None:
    dialog = ConnectionDialog("remote", "https://api.example.com")
    qtbot.addWidget(dialog)
    dialog.show()
    hint = dialog.key_hint.text()
    assert "cannot be saved" in hint and "this session only" in hint and "never written to disk" in hint
    assert credentials.KEYRING_HELP_URL in hint and dialog.key_hint.openExternalLinks()
    assert dialog.key_hint.wordWrap() and dialog.error.wordWrap()
    assert not dialog.save_key.isEnabled() and not dialog.save_key.isChecked()
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).text() == "Connect for this session"
    _fits_on_screen(dialog)
    chosen: list[ConnectionChoice] = []
    dialog.sig_connection_chosen.connect(chosen.append)
    dialog.api_key.setText("sk-session-0001")
    dialog.accept()
    assert chosen == [ConnectionChoice("remote", "https://api.example.com")]
    assert credentials.load_api_key("https://api.example.com") == "sk-session-0001"
    assert credentials.is_session_only("https://api.example.com")
    written = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]
    assert not any(b"sk-session-0001" in data for data in written), "the key reached a file"


def test_a_keyring_that_refuses_is_said_in_a_wrapped_message(qtbot, no_keyring: None) -> None:
    keyring.set_keyring(_LockedKeyring())
    dialog = ConnectionDialog("remote", "https://api.example.com")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.save_key.isChecked()
    chosen: list[ConnectionChoice] = []
    dialog.sig_connection_chosen.connect(chosen.append)
    dialog.api_key.setText("sk-0002")
    dialog.accept()
    assert not chosen and dialog.error.isVisible()
    assert dialog.error.text().startswith("Could not save the key: the OS keyring refused to store the key")
    assert "this session only" in dialog.error.text()
    _fits_on_screen(dialog)
    assert dialog.error.height() > dialog.error.fontMetrics().height() * 2  # wrapped onto several lines
    dialog.accept()  # "Connect for this session"
    assert chosen == [ConnectionChoice("remote", "https://api.example.com")]
    assert credentials.is_session_only("https://api.example.com")


def test_a_malformed_url_is_refused_in_the_dialog(qtbot, no_keyring: None) -> None:
    dialog = ConnectionDialog("remote", "http://[::1")
    qtbot.addWidget(dialog)
    dialog.api_key.setText("k")
    dialog.accept()
    assert dialog.error.text() == "Server URL: the IPv6 address in the URL is not closed with ']'."


# -- connection failures in the window ------------------------------------------------------------------
def _args(tmp_path: Path, **extra: object) -> argparse.Namespace:
    values: dict[str, object] = {"server": None, "api_key_env": None, "data_dir": tmp_path / "data",
                                 "screenshot": None, "screenshot_timeout": 60.0, "seed": 5, "connect_timeout": 2.0,
                                 "early_simulator": None}
    values.update(extra)
    return argparse.Namespace(**values)


async def _close(controller: AppController) -> None:
    """The controller's shutdown without its cancel-every-task step (that would cancel the test)."""
    tasks = list(controller._tasks)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await controller._stop_simulator()
    if controller.session is not None:
        await controller.session.stop()
    if controller.window is not None:
        controller.window.hide()
        controller.window.deleteLater()
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, ConnectionDialog):
            widget.close()


def _no_tracebacks(errors: ErrorHub) -> None:
    for record in errors.records:
        assert "Traceback" not in record.details, record.details


def test_a_wrong_key_is_explained_and_the_dialog_asks_again(qloop, qtbot, tmp_path: Path, no_keyring: None) -> None:
    async def scenario() -> None:
        server = SimulatorServer(tmp_path / "sim", API_KEY, seed=5, tick_interval=0.05,
                                 wire_dialect=WireDialect.from_env())
        await server.start(port=0)
        errors = ErrorHub()
        controller = AppController(_args(tmp_path), errors)
        try:
            controller._open(server.url, "not-the-key")
            window = controller.window
            assert window is not None
            await until(lambda: errors.records, timeout=10)
            record = errors.records[-1]
            assert record.summary == f"Could not connect to {server.url}: the server rejected the API key (401)"
            assert "Technical detail: SignalRAuthError" in record.details
            _no_tracebacks(errors)
            await until(lambda: window.status.notice == "Not connected: the server rejected the API key (401)")
            assert window.errors_dock.isVisible()
            dialog = window._connection_dialog
            assert dialog is not None and dialog.isVisible() and dialog.remote.isChecked()
            assert dialog.url.text() == server.url
            assert dialog.error.text().startswith("The server rejected the API key (401): enter the correct key")
        finally:
            await _close(controller)
            await server.stop()

    run(qloop, scenario())


def test_an_unreachable_server_is_explained(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        errors = ErrorHub()
        forwarder = install_log_forwarding(errors)  # as the app: ERROR logs reach the panel too
        controller = AppController(_args(tmp_path), errors)
        try:
            url = f"http://127.0.0.1:{port}"
            controller._open(url, "any-key")
            window = controller.window
            assert window is not None
            # while it retries, the status bar says why
            await until(lambda: "Connecting: nothing is listening" in window.status.notice, timeout=10)
            await until(lambda: errors.records, timeout=10)
            assert [r.summary for r in errors.records] == [
                f"Could not connect to {url}: nothing is listening on 127.0.0.1:{port} (connection refused)"]
            _no_tracebacks(errors)
            assert window.status.notice == f"Not connected: nothing is listening on 127.0.0.1:{port} " \
                                           "(connection refused)"
            assert window.status.notice_label.toolTip() == window.status.notice
        finally:
            import logging

            logging.getLogger("mesodesk").removeHandler(forwarder)
            await _close(controller)

    run(qloop, scenario())


def test_reconnecting_says_why(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await until(lambda: all(c.session.hub_state(h) == ConnectionState.CONNECTED for h in HUBS), timeout=30)
            assert c.window.status.notice == ""
            port = c.server.port
            await c.stop_server()
            await until(lambda: c.window.status.notice.startswith("Reconnecting: "), timeout=20)
            assert c.window.status.notice in (
                f"Reconnecting: nothing is listening on 127.0.0.1:{port} (connection refused); retrying",
                f"Reconnecting: 127.0.0.1:{port} closed the connection without answering; retrying")
            # the label never asks the window for more width: it elides
            width = c.window.width()
            c.window.status.show_notice("x" * 2000, "warn")
            await asyncio.sleep(0.05)
            assert c.window.width() == width and c.window.status.notice_label.text().endswith("…")

    run(qloop, scenario(), timeout=90)


# -- the embedded simulator, supervised ------------------------------------------------------------------
@pytest.mark.skipif(sys.platform == "win32", reason="kill() is TerminateProcess there: same path, other words")
def test_a_killed_simulator_is_restarted_and_a_crashing_one_given_up(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        errors = ErrorHub()
        controller = AppController(_args(tmp_path), errors)
        try:
            url, key = await controller._endpoint(ConnectionChoice("embedded"))
            controller._open(url, key)
            window, session, simulator = controller.window, controller.session, controller.simulator
            assert window is not None and session is not None and simulator is not None
            await until(lambda: window.positions_model.rowCount() == 4 and not window.positions_model.stale,
                        timeout=30)
            assert simulator.process is not None
            simulator.process.kill()  # kill -9
            await until(lambda: "Simulator died (killed by SIGKILL); restarting it" in window.status.notice,
                        timeout=10)
            assert errors.records[-1].summary == "The embedded simulator stopped unexpectedly (killed by SIGKILL)"
            assert "Its last log lines (" in errors.records[-1].details
            await until(lambda: window.status.notice.startswith("Simulator restarted at "), timeout=30)
            assert window.status.notice.endswith(" after it died (killed by SIGKILL); reconnected")
            assert controller.session is session and session.url == url  # same port: the session reconnected
            await until(lambda: all(session.hub_state(h) == ConnectionState.CONNECTED for h in HUBS), timeout=30)
            await until(lambda: window.positions_model.rowCount() == 4 and not window.positions_model.stale)
            assert "--- restarted by mesodesk (start 2) ---" in simulator.log_path.read_text()

            supervisor = controller.supervisor
            assert supervisor is not None and supervisor.restarts == 1
            supervisor.max_crashes = 2  # the next death within the minute is one too many
            assert simulator.process is not None
            simulator.process.kill()
            await until(lambda: supervisor.gave_up, timeout=10)
            record = errors.records[-1]
            assert record.summary == ("The embedded simulator crashed 2 times within a minute (killed by SIGKILL); "
                                      "it is not restarted again")
            assert str(simulator.log_path) in record.details and "restarted by mesodesk" in record.details
            assert "not restarted" in window.status.notice and "Errors panel" in window.status.notice
            await until(lambda: all(session.hub_state(h) == ConnectionState.DISCONNECTED for h in HUBS), timeout=10)
            _no_tracebacks(errors)
            # File → Connect… → Embedded simulator starts it again
            url2, _ = await controller._endpoint(ConnectionChoice("embedded"))
            assert controller.simulator is not simulator and controller.simulator.running
            assert url2
        finally:
            await _close(controller)

    run(qloop, scenario(), timeout=120)


# -- progress ends when the request fails --------------------------------------------------------------
def test_a_prepare_without_a_connection_ends_its_progress(qloop, qtbot, tmp_path: Path) -> None:
    from tests.trading.test_paper_and_broker import PCS, ready

    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await ready(c)
            await c.stop_server()
            await until(lambda: c.session.hub_state("control") != ConnectionState.CONNECTED, timeout=15)
            w = c.window.trading.new_position(PCS)
            w.setup.name.setText("no connection")
            w.prepare()
            assert w.page() == "review"
            await until(lambda: w.review.progress.maximum() == 1, timeout=40)  # no longer busy
            assert "connection" in w.review.progress_label.text().lower(), w.review.progress_label.text()
            assert not w.review.cancel_button.isEnabled()
            w.close()

    run(qloop, scenario(), timeout=90)
