"""``mesodesk --server URL --api-key-env V`` failures on the command line: each ends with ONE
line on stderr (no traceback, no log chatter) and its documented exit code.

2 bad URL / usage, 3 unreachable (refused, no answer, unknown host), 4 key rejected, 5 TLS,
6 no MesoLive hub at that URL, 7 the data folder is in use (``--screenshot`` then uses a
private temporary folder instead).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from mesodesk.core.folder_lock import FolderLock

SIM_KEY = "cli-test-key-0123456789"
KEY_ENV = "MESODESK_CLI_TEST_KEY"
QT_CHATTER = ("propagateSizeHints", "XDG_RUNTIME_DIR", "QStandardPaths")


def run_cli(tmp_path: Path, *args: str, key: str = SIM_KEY, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "MESODESK_CONFIG_DIR": str(tmp_path / "config"),
           "XDG_STATE_HOME": str(tmp_path / "state"), KEY_ENV: key}
    env.pop("MESODESK_DATA_DIR", None)
    if "--data-dir" not in args:
        args = (*args, "--data-dir", str(tmp_path / "data"))
    return subprocess.run([sys.executable, "-m", "mesodesk", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single line mesodesk printed on stderr (Qt's own platform chatter aside)."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines()
             if line.strip() and not any(chatter in line for chatter in QT_CHATTER)]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mesodesk: "), lines
    return lines[0]


def remote(tmp_path: Path, url: str, *extra: str, key: str = SIM_KEY) -> subprocess.CompletedProcess[str]:
    return run_cli(tmp_path, "--server", url, "--api-key-env", KEY_ENV, "--connect-timeout", "3", *extra, key=key)


def _start_sim(data: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mesodesk.sim", "--port", "0", "--data-dir", str(data), "--api-key-env", KEY_ENV,
         "--ready-json", "--exit-with-stdin", *extra],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, KEY_ENV: SIM_KEY})
    assert proc.stdout is not None
    return proc, json.loads(proc.stdout.readline())["url"]


def _stop_sim(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def sim_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, url = _start_sim(tmp_path_factory.mktemp("cli-sim"))
    yield url
    _stop_sim(proc)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(("url", "words"), [
    ("http://", "has no host name"),
    ("http://[::1", "IPv6 address in the URL is not closed"),
    ("http://127.0.0.1:99999", "port must be a number from 1 to 65535"),
])
def test_a_malformed_url_is_a_usage_error(tmp_path: Path, url: str, words: str) -> None:
    result = remote(tmp_path, url)
    assert result.returncode == 2
    assert words in one_line(result)


def test_a_closed_port_is_unreachable(tmp_path: Path) -> None:
    port = _free_port()
    result = remote(tmp_path, f"http://127.0.0.1:{port}")
    assert result.returncode == 3
    assert one_line(result) == (f"mesodesk: cannot connect to http://127.0.0.1:{port}: nothing is listening on "
                                f"127.0.0.1:{port} (connection refused)")


def test_a_port_that_never_answers_times_out(tmp_path: Path) -> None:
    with socket.socket() as silent:  # accepts connections (the kernel does) but never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        result = remote(tmp_path, f"http://127.0.0.1:{port}")
    assert result.returncode == 3
    assert one_line(result) == f"mesodesk: cannot connect to http://127.0.0.1:{port}: 127.0.0.1:{port} did not " \
                               "answer within 3 s"


def test_an_unknown_host_is_unreachable(tmp_path: Path) -> None:
    result = remote(tmp_path, "http://no-such-host.invalid")
    assert result.returncode == 3
    line = one_line(result)
    assert line.startswith("mesodesk: cannot connect to http://no-such-host.invalid: "), line
    assert any(words in line for words in ("host not found", "could not look up", "did not answer")), line


def test_a_wrong_key_is_rejected(tmp_path: Path, sim_url: str) -> None:
    result = remote(tmp_path, sim_url, key="not-the-key")
    assert result.returncode == 4
    assert one_line(result) == f"mesodesk: cannot connect to {sim_url}: the server rejected the API key (401)"


def test_a_wrong_path_is_no_mesolive_hub(tmp_path: Path, sim_url: str) -> None:
    result = remote(tmp_path, sim_url + "/api")
    assert result.returncode == 6
    assert one_line(result) == f"mesodesk: cannot connect to {sim_url}/api: no MesoLive hub at this URL (HTTP 404)"


def test_https_to_a_plain_http_port_is_a_tls_error(tmp_path: Path, sim_url: str) -> None:
    url = sim_url.replace("http://", "https://")
    result = remote(tmp_path, url)
    assert result.returncode == 5
    assert "does not speak TLS (https)" in one_line(result)


def test_an_untrusted_certificate_is_a_tls_error(tmp_path: Path) -> None:
    from tests.reliability.test_security import make_ca_and_cert

    _, cert, key, _ = make_ca_and_cert(tmp_path)
    proc, url = _start_sim(tmp_path / "tls-sim", "--tls-cert", str(cert), "--tls-key", str(key))
    try:
        result = remote(tmp_path, url)
    finally:
        _stop_sim(proc)
    assert url.startswith("https://") and result.returncode == 5
    line = one_line(result)
    assert "the server's TLS certificate is not trusted (" in line, line


def test_an_unset_key_variable_is_a_usage_error(tmp_path: Path, sim_url: str) -> None:
    result = remote(tmp_path, sim_url, key="")
    assert result.returncode == 2
    assert one_line(result) == f"mesodesk: environment variable {KEY_ENV} is empty or not set"


def test_a_second_instance_on_the_same_data_folder_exits(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with FolderLock(data):  # the first mesodesk
        result = run_cli(tmp_path, "--data-dir", str(data), timeout=30)
    assert result.returncode == 7
    assert one_line(result) == (f"mesodesk: the data folder {data} is in use by another mesodesk (process "
                                f"{os.getpid()}); close it first, or pass --data-dir to use another folder")
    assert not (data / "simulator").exists(), "no second simulator on the same database"


@pytest.mark.timeout(150)
def test_a_screenshot_while_the_folder_is_in_use_runs_in_a_private_folder(tmp_path: Path) -> None:
    data, shot = tmp_path / "data", tmp_path / "shot.png"
    config = tmp_path / "config"
    config.mkdir()
    (config / "ui-state.ini").write_text("[mesodesk]\nmarker=the trader's layout\n")
    with FolderLock(data):
        result = run_cli(tmp_path, "--data-dir", str(data), "--screenshot", str(shot), timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "is in use by another mesodesk" in result.stderr and "private temporary folder" in result.stderr
    assert not (data / "simulator").exists(), "the screenshot's simulator ran in its own folder"
    assert (config / "ui-state.ini").read_text() == "[mesodesk]\nmarker=the trader's layout\n"
    image = QImage(str(shot))
    assert not image.isNull() and image.width() >= 1000


@pytest.mark.parametrize(("option", "value", "words"), [
    ("--data-dir", "{file}", "{file} is a file, not a folder"),
    ("--data-dir", "{file}/data", "{file} is a file"),
    ("--screenshot", "{file}/x.png", "cannot write {file}/x.png: {file} is a file, not a folder"),
    ("--screenshot", "{dir}", "{dir} is a folder, not a file"),
    ("--connect-timeout", "nan", "not a finite number"),
    ("--connect-timeout", "0", "out of range (more than 0"),
    ("--screenshot-timeout", "-1", "out of range (more than 0"),
    ("--screenshot-timeout", "inf", "not a finite number"),
    ("--seed", "-1", "out of range (0 to"),
])
def test_a_bad_option_value_is_one_line_and_exit_2(tmp_path: Path, option: str, value: str, words: str) -> None:
    """Each of these was a traceback (FileExistsError, OverflowError, ValueError in the simulator) or
    was accepted (a negative or nan timeout)."""
    a_file = tmp_path / "hostname"
    a_file.write_text("mine")
    names = {"file": str(a_file), "dir": str(tmp_path)}
    result = run_cli(tmp_path, "--screenshot", str(tmp_path / "shot.png"), f"{option}={value.format(**names)}",
                     timeout=30)
    assert result.returncode == 2, result.stderr
    line = one_line(result)
    assert f"argument {option}: " in line and words.format(**names) in line, line
    assert a_file.read_text() == "mine" and not (tmp_path / "data" / "simulator").exists()


def test_a_file_where_the_simulator_folder_belongs_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "simulator").write_text("mine")
    result = run_cli(tmp_path, "--screenshot", str(tmp_path / "shot.png"), timeout=60)
    assert result.returncode == 8, result.stderr
    assert one_line(result).startswith(f"mesodesk: the embedded simulator cannot use its folder {data / 'simulator'}: ")
    assert (data / "simulator").read_text() == "mine"


def test_a_damaged_simulator_database_is_named_and_left_unchanged(tmp_path: Path) -> None:
    database = tmp_path / "data" / "simulator" / "mesolive-sim.sqlite3"
    database.parent.mkdir(parents=True)
    database.write_bytes(b"\x00\xff" * 3000)
    result = run_cli(tmp_path, "--screenshot", str(tmp_path / "shot.png"), timeout=60)
    assert result.returncode == 8, result.stderr
    line = one_line(result)
    assert line.startswith(f"mesodesk: the embedded simulator could not start: the simulator database {database} ")
    assert f"the simulator database {database} is not an SQLite database" in line and "left unchanged" in line
    assert database.read_bytes() == b"\x00\xff" * 3000
    assert not (tmp_path / "shot.png").exists()
