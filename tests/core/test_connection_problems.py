"""Connection failures in words (core): URL checks, the classification of what the SDK raises,
fail-fast connecting, keys without a keyring, and the one-instance-per-data-folder lock."""

from __future__ import annotations

import errno
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import keyring
import pytest
from aiohttp import client_exceptions as aio
from keyring.backend import KeyringBackend
from keyring.backends import fail
from pysignalr.exceptions import ConnectionError as PySignalRConnectionError

from mesodesk.core import credentials
from mesodesk.core.connection_problems import (
    EXIT_AUTH,
    EXIT_FAILURE,
    EXIT_NOT_MESOLIVE,
    EXIT_TLS,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    ConnectFailed,
    ProblemKind,
    check_server_url,
    connect_session,
    explain_connection_error,
)
from mesodesk.core.folder_lock import FolderInUse, FolderLock
from mesodesk.core.session import Session
from mesodesk.sdk import ConnectionLostError, ConnectTimeoutError, SignalRAuthError

URL = "https://api.example.com"


def _key(host: str = "api.example.com", port: int = 443) -> Any:
    return SimpleNamespace(host=host, port=port, ssl=True, is_ssl=port == 443)


# -- URLs --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("url", "words"), [
    ("http://", "no host name"),
    ("http://[::1", "IPv6"),
    ("http://127.0.0.1:99999", "1 to 65535"),
    ("http://127.0.0.1:0", "1 to 65535"),
    ("ftp://example.com", "http:// or https://"),
    ("example.com", "http:// or https://"),
    ("https://api.example.com/?x=1", "?query"),
    ("https://user:pw@api.example.com", "user name"),
    ("https://api example.com", "spaces"),
])
def test_bad_server_urls_are_explained(url: str, words: str) -> None:
    problem = check_server_url(url)
    assert problem is not None and words in problem, problem
    assert explain_connection_error(None, url).exit_code == EXIT_USAGE


@pytest.mark.parametrize("url", ["https://api.example.com", "http://127.0.0.1:5057", "http://[::1]:5057",
                                 "https://host/prefix"])
def test_good_server_urls_pass(url: str) -> None:
    assert check_server_url(url) is None


# -- classification --------------------------------------------------------------------------------
def test_rejected_key() -> None:
    p = explain_connection_error(SignalRAuthError("negotiate rejected: 401 Unauthorized"), URL)
    assert (p.kind, p.reason, p.exit_code, p.permanent) == (
        ProblemKind.AUTH, "the server rejected the API key (401)", EXIT_AUTH, True)
    assert p.summary(URL) == f"Could not connect to {URL}: the server rejected the API key (401)"
    forbidden = explain_connection_error(SignalRAuthError("WebSocket upgrade rejected: HTTP 403"), URL)
    assert "(403)" in forbidden.reason and forbidden.exit_code == EXIT_AUTH


def test_refused_behind_a_connect_timeout() -> None:
    """The SDK raises ConnectTimeoutError; the connection's last_error says what really happened."""
    last = aio.ClientConnectorError(_key("127.0.0.1", 5999), ConnectionRefusedError(111, "Connect call failed"))
    p = explain_connection_error(ConnectTimeoutError("no connection within 10s"), "http://127.0.0.1:5999",
                                 last_error=last)
    assert p.kind == ProblemKind.REFUSED and p.exit_code == EXIT_UNREACHABLE and not p.permanent
    assert p.reason == "nothing is listening on 127.0.0.1:5999 (connection refused)"


def test_unknown_host_and_failed_lookup() -> None:
    unknown = aio.ClientConnectorDNSError(_key(), socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    p = explain_connection_error(None, URL, last_error=unknown)
    assert (p.kind, p.reason, p.permanent, p.exit_code) == (
        ProblemKind.HOST_NOT_FOUND, "host not found: api.example.com", True, EXIT_UNREACHABLE)
    offline = aio.ClientConnectorDNSError(_key(), socket.gaierror(socket.EAI_AGAIN, "Temporary failure"))
    q = explain_connection_error(None, URL, last_error=offline)
    assert q.kind == ProblemKind.HOST_NOT_FOUND and not q.permanent and "could not look up" in q.reason


def test_unreachable_network() -> None:
    error = aio.ClientConnectorError(_key(), OSError(errno.ENETUNREACH, "Network is unreachable"))
    p = explain_connection_error(None, URL, last_error=error)
    assert p.kind == ProblemKind.UNREACHABLE and "cannot be reached" in p.reason and p.exit_code == EXIT_UNREACHABLE


def test_untrusted_certificate_and_plain_http_port() -> None:
    verify = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    verify.verify_message = "self-signed certificate"
    p = explain_connection_error(None, URL, last_error=aio.ClientConnectorCertificateError(_key(), verify))
    assert p.kind == ProblemKind.TLS and p.permanent and p.exit_code == EXIT_TLS
    assert p.reason == "the server's TLS certificate is not trusted (self-signed certificate)"
    wrong = aio.ClientConnectorSSLError(_key(), ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"))
    q = explain_connection_error(None, URL, last_error=wrong)
    assert q.kind == ProblemKind.TLS and "does not speak TLS" in q.reason and "http://" in q.hint


@pytest.mark.parametrize(("status", "kind", "code"), [
    (404, ProblemKind.NOT_MESOLIVE, EXIT_NOT_MESOLIVE),
    (501, ProblemKind.NOT_MESOLIVE, EXIT_NOT_MESOLIVE),
    (503, ProblemKind.SERVER_ERROR, EXIT_NOT_MESOLIVE),
])
def test_http_answers_that_are_no_hub(status: int, kind: ProblemKind, code: int) -> None:
    p = explain_connection_error(ConnectTimeoutError("no connection"), URL,
                                 last_error=PySignalRConnectionError(status))
    assert (p.kind, p.exit_code) == (kind, code) and f"HTTP {status}" in p.reason


def test_no_answer_in_time() -> None:
    p = explain_connection_error(
        ConnectTimeoutError("no connection to http://10.9.9.9:5057/hubs/control/v1 within 4s (last error: None)"),
        "http://10.9.9.9:5057", last_error=ConnectTimeoutError("connect attempt timed out after 4s"))
    assert p.kind == ProblemKind.TIMEOUT and p.reason == "10.9.9.9:5057 did not answer within 4 s"


def test_a_dropped_connection() -> None:
    lost = explain_connection_error(None, "http://127.0.0.1:5057", last_error=ConnectionLostError(
        "connection closed by the server"))
    assert lost.kind == ProblemKind.NETWORK and lost.reason == "the connection to 127.0.0.1:5057 was lost"
    silent = explain_connection_error(None, "http://127.0.0.1:5057", last_error=ConnectionLostError(
        "server timeout: nothing received for 30s"))
    assert silent.reason == "127.0.0.1:5057 stopped answering (nothing received for 30s)"


def test_details_are_words_not_a_traceback() -> None:
    p = explain_connection_error(SignalRAuthError("negotiate rejected: 401 Unauthorized"), URL)
    details = p.details(URL)
    assert "Traceback" not in details and "Technical detail: SignalRAuthError" in details
    other = explain_connection_error(RuntimeError("something odd"), URL)
    assert other.kind == ProblemKind.OTHER and other.exit_code == EXIT_FAILURE and "something odd" in other.reason


# -- connecting: give up at once when retrying cannot help ------------------------------------------------
async def test_connect_gives_up_at_once_on_a_wrong_path_and_a_wrong_key(simulator: Any, api_key: str) -> None:
    for url, key, kind in ((simulator.url + "/wrong", api_key, ProblemKind.NOT_MESOLIVE),
                           (simulator.url, "not-the-key", ProblemKind.AUTH)):
        session = Session(url, key, connect_timeout=20)
        started = time.monotonic()
        with pytest.raises(ConnectFailed) as failed:
            await connect_session(session)
        await session.stop()
        assert failed.value.problem.kind == kind
        assert time.monotonic() - started < 5, "a permanent problem must not wait for the connect timeout"


async def test_connect_to_a_closed_port_says_refused(api_key: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    session = Session(f"http://127.0.0.1:{port}", api_key, connect_timeout=1.5)
    with pytest.raises(ConnectFailed) as failed:
        await connect_session(session)
    await session.stop()
    assert failed.value.problem.kind == ProblemKind.REFUSED
    assert str(failed.value) == (f"Could not connect to http://127.0.0.1:{port}: nothing is listening on "
                                 f"127.0.0.1:{port} (connection refused)")


# -- keys without a keyring --------------------------------------------------------------------------------
@pytest.fixture
def no_keyring() -> Any:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    credentials.forget_session_keys()
    yield
    keyring.set_keyring(previous)
    credentials.forget_session_keys()


def test_without_a_keyring_the_key_is_kept_for_this_session_only(no_keyring: None, tmp_path: Path) -> None:
    problem = credentials.keyring_problem()
    assert problem is not None and "no OS keyring" in problem
    with pytest.raises(credentials.KeyringUnavailable) as refused:
        credentials.store_api_key(URL, "k-123")
    assert "\n" not in str(refused.value) and len(str(refused.value)) < 200
    assert credentials.load_api_key(URL) is None
    credentials.remember_for_session(URL + "/", "k-123")
    assert credentials.load_api_key(URL) == "k-123" and credentials.is_session_only(URL)


class _Refusing(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("The collection 'login' is locked\nand no prompt could be shown")

    def delete_password(self, service: str, username: str) -> None:
        pass


def test_a_keyring_that_refuses_is_one_line(no_keyring: None) -> None:
    keyring.set_keyring(_Refusing())
    assert credentials.keyring_problem() is None
    with pytest.raises(credentials.KeyringUnavailable) as refused:
        credentials.store_api_key(URL, "k")
    assert str(refused.value) == "the OS keyring refused to store the key (The collection 'login' is locked)"


# -- one instance per data folder ----------------------------------------------------------------------------
def test_the_data_folder_lock_is_exclusive_and_names_its_owner(tmp_path: Path) -> None:
    first = FolderLock(tmp_path / "data")
    first.acquire()
    try:
        holder = subprocess.run(
            [sys.executable, "-c", "import sys; from pathlib import Path; from mesodesk.core.folder_lock import *\n"
             "try:\n    FolderLock(Path(sys.argv[1])).acquire()\nexcept FolderInUse as e:\n    print(e.pid); sys.exit(7)",
             str(tmp_path / "data")], capture_output=True, text=True, timeout=30)
        assert holder.returncode == 7, holder.stderr
        assert holder.stdout.strip() == str(__import__("os").getpid())
        with pytest.raises(FolderInUse) as busy:
            FolderLock(tmp_path / "data").acquire()
        assert "in use by another mesodesk" in str(busy.value)
    finally:
        first.release()
    with FolderLock(tmp_path / "data"):
        pass


def test_a_killed_owner_leaves_no_stale_lock(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    owner = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from mesodesk.core.folder_lock import "
         "FolderLock\nFolderLock(Path(sys.argv[1])).acquire(); print('locked', flush=True); time.sleep(60)",
         str(folder)], stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None and owner.stdout.readline().strip() == "locked"
        with pytest.raises(FolderInUse):
            FolderLock(folder).acquire()
    finally:
        owner.kill()  # SIGKILL on POSIX: no clean-up code runs
        owner.wait(10)
    with FolderLock(folder) as lock:
        assert lock.held


async def test_a_drop_during_the_first_snapshot_is_no_failure_and_recovers(tmp_path: Path, api_key: str) -> None:
    """Connected, then the server died while the first snapshot loaded: ``connect_session`` does not
    call that a failed connection, and once the server is back all three hubs (events too) connect."""
    import asyncio

    from mesodesk.sdk import ConnectionState
    from mesodesk.sim.server import SimulatorServer

    server = SimulatorServer(tmp_path / "sim", api_key, seed=5, tick_interval=0.05)
    await server.start(port=0)
    port = server.port
    session = Session(server.url, api_key, connect_timeout=5)
    session.events_retry_s = 0.2
    gate, reached = asyncio.Event(), asyncio.Event()
    original = session._resolve_exec_plans
    first = True

    async def resolve_after_the_drop() -> None:
        nonlocal first
        if first:
            first = False
            reached.set()  # the positions are in; orders and executions too
            await gate.wait()
            await session.control.list_agents()  # the server is gone: this raises a SignalRError
        await original()

    session._resolve_exec_plans = resolve_after_the_drop  # type: ignore[method-assign]
    connecting = asyncio.ensure_future(connect_session(session))
    try:
        await asyncio.wait_for(reached.wait(), 20)
        assert session.state.positions and not connecting.done()
        await server.stop()
        gate.set()
        await asyncio.wait_for(connecting, 10)  # returns: no ConnectFailed
        server = SimulatorServer(tmp_path / "sim", api_key, seed=5, tick_interval=0.05)
        await server.start(port=port)
        deadline = asyncio.get_running_loop().time() + 30
        while not all(session.hub_state(h) == ConnectionState.CONNECTED for h in ("control", "data", "event")):
            assert asyncio.get_running_loop().time() < deadline, {h: session.hub_state(h) for h in session.hubs}
            await asyncio.sleep(0.05)
    finally:
        await session.stop()
        await server.stop()
