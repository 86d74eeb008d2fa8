"""``mesodesk-sim`` on the command line, as a real process: every mistake is one line on stderr
and exit code 2 (never a traceback), a database it cannot use is named and left unchanged, and
the API key is printed only when the simulator generated it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mesodesk.sim.server import DB_NAME
from mesodesk.sim.store import Store

KEY_ENV = "MESODESK_SIM_CLI_TEST_KEY"
KEY = "sim-cli-test-key-0123456789"


def run_sim(*args: str, env_key: str | None = KEY, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != KEY_ENV}
    if env_key is not None:
        env[KEY_ENV] = env_key
    return subprocess.run([sys.executable, "-m", "mesodesk.sim", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, stdin=subprocess.DEVNULL)


def usage_error(result: subprocess.CompletedProcess[str]) -> str:
    """The one line of a refused start (exit code 2)."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mesodesk-sim: "), lines
    return lines[0]


@pytest.mark.parametrize(("option", "value", "words"), [
    ("--port", "99999", "not a port number (0-65535)"),
    ("--port", "-1", "not a port number"),
    ("--port", "http", "not a port number"),
    ("--speed", "-5", "out of range (more than 0"),
    ("--speed", "0", "out of range (more than 0"),
    ("--speed", "nan", "not a finite number"),
    ("--speed", "inf", "not a finite number"),
    ("--tick-interval", "0", "out of range (at least 0.01"),
    ("--tick-interval", "-inf", "not a finite number"),
    ("--tick-interval", "NaN", "not a finite number"),
    ("--seed", "-1", "out of range (0 to"),
])
def test_a_bad_value_is_one_line_and_exit_2(tmp_path: Path, option: str, value: str, words: str) -> None:
    line = usage_error(run_sim("--data-dir", str(tmp_path), "--api-key-env", KEY_ENV, f"{option}={value}"))
    assert f"argument {option}: " in line and words in line, line
    assert not list(tmp_path.iterdir())  # refused before anything was created


def test_a_file_as_data_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    line = usage_error(run_sim("--port", "0", "--data-dir", str(a_file), "--api-key-env", KEY_ENV))
    assert f"argument --data-dir: {a_file} is a file, not a folder" in line
    line = usage_error(run_sim("--port", "0", "--data-dir", str(a_file / "sim"), "--api-key-env", KEY_ENV))
    assert f"{a_file} is a file" in line
    assert a_file.read_text() == "mine"


def _half_a_database(tmp_path: Path) -> bytes:
    Store(tmp_path / "whole.sqlite3").close()
    whole = (tmp_path / "whole.sqlite3").read_bytes()
    (tmp_path / "whole.sqlite3").unlink()
    return whole[: len(whole) // 2]


@pytest.mark.parametrize(("content", "words"), [
    (lambda tmp: b"", "is empty (0 bytes"),
    (lambda tmp: b"\x00\xff" * 3000, "is not an SQLite database"),
    (_half_a_database, "is damaged"),
], ids=["zero-length", "garbage", "truncated"])
def test_a_database_it_cannot_use_is_named_and_left_unchanged(tmp_path: Path, content: Any, words: str) -> None:
    """A zero-length file was once silently taken for a new database and reseeded."""
    database = tmp_path / DB_NAME
    database.write_bytes(content := content(tmp_path))
    line = usage_error(run_sim("--port", "0", "--data-dir", str(tmp_path), "--api-key-env", KEY_ENV))
    assert str(database) in line and words in line and "left unchanged" in line, line
    assert database.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == [DB_NAME]


def test_a_folder_where_the_database_belongs_is_one_line(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).mkdir()
    line = usage_error(run_sim("--port", "0", "--data-dir", str(tmp_path), "--api-key-env", KEY_ENV))
    assert f"{tmp_path / DB_NAME} is a folder, not a file" in line


def test_an_unset_key_variable_is_a_usage_error(tmp_path: Path) -> None:
    line = usage_error(run_sim("--port", "0", "--data-dir", str(tmp_path), "--api-key-env", KEY_ENV, env_key=None))
    assert f"environment variable {KEY_ENV} is empty or not set" in line


def test_a_weak_key_for_a_non_loopback_bind_is_a_usage_error(tmp_path: Path) -> None:
    line = usage_error(run_sim("--host", "0.0.0.0", "--port", "0", "--data-dir", str(tmp_path),
                               "--api-key-env", KEY_ENV, env_key="a"))
    assert f"--api-key-env {KEY_ENV}: " in line and "0.0.0.0" in line
    assert not (tmp_path / DB_NAME).exists()  # refused before the database was made


def _first_lines(*args: str, count: int, env_key: str | None = KEY) -> list[str]:
    """The first ``count`` stdout lines of a running simulator, which is then stopped."""
    env = {**os.environ, **({KEY_ENV: env_key} if env_key else {})}
    proc = subprocess.Popen([sys.executable, "-m", "mesodesk.sim", "--port", "0", "--exit-with-stdin", *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=env)
    assert proc.stdout is not None and proc.stdin is not None
    try:
        return [proc.stdout.readline().rstrip("\n") for _ in range(count)]
    finally:
        proc.stdin.close()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_a_key_from_the_environment_is_never_printed(tmp_path: Path) -> None:
    lines = _first_lines("--data-dir", str(tmp_path), "--api-key-env", KEY_ENV, count=3)
    assert lines[0].startswith("MesoLive simulator listening on http://127.0.0.1:")
    assert lines[1] == f"API key: from the environment variable {KEY_ENV}"
    assert KEY not in "\n".join(lines)
    ready = json.loads(_first_lines("--data-dir", str(tmp_path), "--api-key-env", KEY_ENV, "--ready-json",
                                    count=1)[0])
    assert ready["api_key_env"] == KEY_ENV and "api_key" not in ready and KEY not in json.dumps(ready)


def test_a_generated_key_is_printed(tmp_path: Path) -> None:
    lines = _first_lines("--data-dir", str(tmp_path), count=3, env_key=None)
    assert lines[1].startswith("API key: ") and lines[1].endswith(" (generated for this run)")
    key = lines[1].removeprefix("API key: ").removesuffix(" (generated for this run)")
    assert len(key) >= 24 and " " not in key
    ready = json.loads(_first_lines("--data-dir", str(tmp_path), "--ready-json", count=1, env_key=None)[0])
    assert len(ready["api_key"]) >= 24
