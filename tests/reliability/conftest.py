"""Reliability and security fixtures: a simulator as a real subprocess on a fixed port,
prepared exec plans, RSS sampling and the figures each test reports.

Quick variants run in CI; ``@pytest.mark.heavy`` variants run with ``pytest -m heavy``.
Every test records its figures (restarts survived, events checked, ...) with the
``figures`` fixture; they are written to ``<basetemp>/reliability-figures.json`` and
echoed in the terminal summary.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

API_KEY = "reliability-key-0123456789abcdef"
KEY_ENV = "MESODESK_RELIABILITY_KEY"
FAST: dict[str, Any] = {"reconnect_backoff": lambda attempt: 0.05 if attempt else 0.0, "invoke_timeout": 10.0,
                        "connect_timeout": 5.0}

_FIGURES: dict[str, dict[str, Any]] = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` in KiB (``VmRSS`` of /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


class SimProcess:
    """``python -m mesodesk.sim`` on a fixed port and data dir, restartable (kill -9 or SIGTERM)."""

    def __init__(self, data_dir: Path, port: int | None = None, *, extra: list[str] | None = None,
                 env: dict[str, str] | None = None, log_path: Path | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.extra = extra or []
        self.env = {**os.environ, KEY_ENV: API_KEY, **(env or {})}
        self.log_path = log_path or data_dir.parent / f"sim-{self.port}.log"
        self.proc: asyncio.subprocess.Process | None = None
        self.url = ""
        self.starts = 0
        self.kills = 0
        self.terms = 0

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self, timeout: float = 60.0) -> str:
        assert self.proc is None or self.proc.returncode is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:  # the port may linger for a moment after a kill: retry
            with open(self.log_path, "ab") as log:  # noqa: ASYNC230  # tiny, local
                self.proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "mesodesk.sim", "--port", str(self.port), "--data-dir", str(self.data_dir),
                    "--api-key-env", KEY_ENV, "--ready-json", "--tick-interval", "0.05", "--seed", "3", *self.extra,
                    stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=log, env=self.env,
                )
            assert self.proc.stdout is not None
            line = await asyncio.wait_for(self.proc.stdout.readline(), max(0.1, deadline - loop.time()))
            if line:
                self.url = json.loads(line)["url"]
                self.starts += 1
                return self.url
            await self.proc.wait()
            if loop.time() > deadline:
                raise RuntimeError(f"simulator did not start (see {self.log_path})")
            await asyncio.sleep(0.2)

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        self.kills += 1

    async def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM: a clean shutdown (Close with allowReconnect, clock saved, database closed)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
            raise AssertionError("the simulator did not stop within 15 s of SIGTERM") from None
        self.terms += 1
        return rc

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


@pytest.fixture
async def sim_factory(tmp_path: Path) -> AsyncIterator[Any]:
    procs: list[SimProcess] = []

    def make(data_dir: Path | None = None, **kwargs: Any) -> SimProcess:
        proc = SimProcess(data_dir or tmp_path / "sim", **kwargs)
        procs.append(proc)
        return proc

    yield make
    for p in procs:
        await p.stop()


def prepare_plans(data_dir: Path, paper: int, broker: int) -> tuple[list[int], list[int]]:
    """Exec plans as a prepare job leaves them (one put credit spread each), written before
    the simulator process starts: ``paper`` on the paper account, ``broker`` on the broker account."""
    from mesodesk.sim.seed import PAPER_ACCOUNT
    from mesodesk.sim.server import SimulatorServer
    from tests.sim.test_orders import pcs_plan

    server = SimulatorServer(data_dir, API_KEY, seed=3)
    try:
        papers = [pcs_plan(server, account=PAPER_ACCOUNT, name=f"Paper {i}").id for i in range(paper)]
        brokers = [pcs_plan(server, name=f"Broker {i}").id for i in range(broker)]
        return papers, brokers
    finally:
        server.store.close()


# ------------------------------------------------------------------------------ figures
@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """A dict of figures for this test; reported in the terminal summary and the JSON file."""
    found: dict[str, Any] = {}
    yield found
    if found:
        _FIGURES[request.node.nodeid] = found
        print(f"\nFIGURES {request.node.name}: {json.dumps(found, default=str)}")


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not _FIGURES:
        return
    try:
        base = session.config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
    except Exception:
        return
    (Path(base) / "reliability-figures.json").write_text(json.dumps(_FIGURES, indent=2, default=str))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _FIGURES:
        return
    terminalreporter.section("reliability figures")
    for nodeid, found in _FIGURES.items():
        terminalreporter.write_line(f"{nodeid}: {json.dumps(found, default=str)}")


def record_figures(name: str, **found: Any) -> None:
    """Add figures under ``name`` (for module-scoped counters, e.g. fuzz cases run)."""
    _FIGURES.setdefault(name, {}).update(found)


@contextlib.contextmanager
def sync_simulator(data_dir: Path, extra: list[str] | None = None) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A simulator subprocess for synchronous (hypothesis) tests: yields (process, url)."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(data_dir.parent / "sim.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mesodesk.sim", "--port", "0", "--data-dir", str(data_dir), "--api-key-env",
             KEY_ENV, "--ready-json", "--tick-interval", "0.05", "--seed", "3", *(extra or [])],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, env={**os.environ, KEY_ENV: API_KEY},
        )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"simulator did not start (see {data_dir.parent / 'sim.log'})")
        yield proc, json.loads(line)["url"]
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
