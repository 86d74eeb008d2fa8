"""Start the simulator as a child process of the GUI, and keep it running.

The simulator runs in its own process so its market, SQLite writes and stream
fan-out never compete with the GUI thread. It binds 127.0.0.1 on a random port
with a random per-run token, and exits when the GUI's end of its stdin closes,
so it cannot outlive a crashed GUI. Its log (stderr) goes to ``simulator.log`` in
its data folder (the previous run's to ``simulator.log.1``).

:class:`SimulatorSupervisor` watches the child: when it dies unexpectedly it is
restarted on the same data folder (its state is in SQLite), the same port and the
same token, so the open session simply reconnects; after ``max_crashes`` crashes
within ``crash_window`` seconds it gives up and reports the last log lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

TOKEN_ENV = "MESODESK_SIM_TOKEN"
LOG_NAME = "simulator.log"

log = logging.getLogger("mesodesk.simulator")


@dataclass(frozen=True)
class SimulatorEndpoint:
    url: str
    api_key: str


class SimulatorError(RuntimeError):
    """The simulator could not be started; ``log_lines`` are the last lines of its log."""

    def __init__(self, message: str, log_lines: list[str] | None = None) -> None:
        self.log_lines = log_lines or []
        super().__init__(message)


def simulator_command(extra: list[str]) -> list[str]:
    if getattr(sys, "frozen", False):  # PyInstaller: the app binary runs the simulator itself
        return [sys.executable, "--run-simulator", *extra]
    return [sys.executable, "-m", "mesodesk.sim", *extra]


def describe_exit(code: int | None) -> str:
    """``exit code 1``, ``killed by SIGKILL`` (POSIX signals are negative return codes)."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class EmbeddedSimulator:
    def __init__(self, data_dir: Path, *, seed: int | None = None, speed: float = 60.0) -> None:
        self.data_dir = data_dir
        self.seed = seed
        self.speed = speed
        self.process: subprocess.Popen[bytes] | None = None
        self._token = ""
        self.endpoint: SimulatorEndpoint | None = None
        self.port = 0
        """The port of the last successful start (a restart asks for it again)."""
        self.stopping = False
        """True once :meth:`stop` was called: an exit after that is not a crash."""
        self.spawns = 0
        self.log_path = data_dir / LOG_NAME

    # -- process -------------------------------------------------------------------------
    @property
    def exit_code(self) -> int | None:
        """The child's exit code once it ended (None while running or before the first spawn)."""
        return None if self.process is None else self.process.poll()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _open_log(self) -> int:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.spawns == 0 and self.log_path.exists():  # keep the previous run's log once
            with contextlib.suppress(OSError):
                os.replace(self.log_path, self.log_path.with_name(LOG_NAME + ".1"))
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
        return os.open(self.log_path, flags, 0o644)

    def spawn(self, port: int = 0) -> None:
        """Start the child process now (synchronously, e.g. before the GUI's heavy imports).

        ``start()`` then only waits for it to be ready. Spawning is a fork+exec: milliseconds.
        Raises :class:`SimulatorError` (one line) when its folder or log cannot be created.
        """
        if self.process is not None:
            return
        self.stopping = False
        self._token = self._token or secrets.token_urlsafe(24)  # restarts keep the token: sessions reconnect
        args = ["--host", "127.0.0.1", "--port", str(port), "--data-dir", str(self.data_dir),
                "--api-key-env", TOKEN_ENV, "--speed", str(self.speed), "--ready-json", "--exit-with-stdin"]
        if self.seed is not None:
            args += ["--seed", str(self.seed)]
        try:
            log_fd = self._open_log()
        except OSError as exc:
            raise SimulatorError(f"the embedded simulator cannot use its folder {self.data_dir}: "
                                 f"{exc.strerror or exc}") from exc
        try:
            if self.spawns:
                os.write(log_fd, f"--- restarted by mesodesk (start {self.spawns + 1}) ---\n".encode())
            self.process = subprocess.Popen(
                simulator_command(args), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log_fd,
                env={**os.environ, TOKEN_ENV: self._token},
            )
        except OSError as exc:
            raise SimulatorError(f"the embedded simulator could not be started: {exc.strerror or exc}") from exc
        finally:
            os.close(log_fd)
        self.spawns += 1

    async def start(self, timeout: float = 30.0) -> SimulatorEndpoint:
        """Spawn (unless already spawned) and wait until the simulator prints its URL.

        Raises :class:`SimulatorError` (with the last log lines) when it cannot be spawned, exits or hangs."""
        self.spawn(self.port)  # a fork+exec; the slow part, start-up, is awaited below
        process = self.process
        assert process is not None
        loop = asyncio.get_running_loop()
        stdout = process.stdout
        assert stdout is not None
        try:
            line = await asyncio.wait_for(loop.run_in_executor(None, stdout.readline), timeout)
        except TimeoutError:
            await self._terminate(process)
            raise SimulatorError(f"the embedded simulator did not start within {timeout:g} s",
                                 self.last_log_lines()) from None
        if not line:
            code = await loop.run_in_executor(None, process.wait)
            self._close_pipes(process)
            raise SimulatorError(f"the embedded simulator exited during start-up ({describe_exit(code)})",
                                 self.last_log_lines())
        info = json.loads(line)
        self.endpoint = SimulatorEndpoint(url=info["url"], api_key=self._token)
        self.port = urlsplit(info["url"]).port or 0
        return self.endpoint

    async def restart(self, timeout: float = 30.0) -> SimulatorEndpoint:
        """Start again after an exit: on the same port if it is free (the open session reconnects
        by itself), else on a new one (the caller must connect to the new ``endpoint.url``)."""
        old, self.process = self.process, None
        if old is not None:
            await self._terminate(old)
        try:
            return await self.start(timeout)
        except SimulatorError:
            if not self.port or self.stopping:
                raise
            log.warning("the simulator could not start on port %s again; trying a new port", self.port)
            old, self.process = self.process, None
            if old is not None:
                await self._terminate(old)
            self.port = 0
            return await self.start(timeout)

    async def stop(self, timeout: float = 3.0) -> None:
        self.stopping = True
        process, self.process = self.process, None
        if process is not None:
            await self._terminate(process, timeout)

    async def _terminate(self, process: subprocess.Popen[bytes], timeout: float = 3.0) -> None:
        if process.poll() is None:
            if process.stdin:
                with contextlib.suppress(OSError):
                    process.stdin.close()  # the simulator exits on stdin EOF
            with contextlib.suppress(OSError):
                process.terminate()
            loop = asyncio.get_running_loop()
            try:
                await asyncio.wait_for(loop.run_in_executor(None, process.wait), timeout)
            except TimeoutError:
                process.kill()
                await loop.run_in_executor(None, process.wait)
        self._close_pipes(process)

    @staticmethod
    def _close_pipes(process: subprocess.Popen[bytes]) -> None:
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()

    async def wait_exit(self, poll: float = 0.25) -> int | None:
        """Return the exit code once the current child ends (None when there is no child)."""
        while True:
            process = self.process
            if process is None:
                return None
            code = process.poll()
            if code is not None:
                return code
            await asyncio.sleep(poll)

    # -- log -------------------------------------------------------------------------------
    def last_log_lines(self, count: int = 20) -> list[str]:
        """The last ``count`` lines of the simulator's log (empty when there is none)."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - 32_768))
                tail = f.read()
        except OSError:
            return []
        lines = tail.decode("utf-8", errors="replace").splitlines()
        if size > 32_768 and lines:
            lines = lines[1:]  # the first line was cut
        return [line for line in lines if line.strip()][-count:]


@dataclass(frozen=True)
class SimulatorCrash:
    """One unexpected exit of the embedded simulator."""

    exit: str
    """How it ended: ``killed by SIGKILL``, ``exit code 1``."""
    crashes: int
    """Unexpected exits within the supervisor's crash window, this one included."""
    log_lines: list[str] = field(default_factory=list)
    log_path: Path | None = None


class SimulatorSupervisor:
    """Restart the simulator when it dies; give up after ``max_crashes`` within ``crash_window`` s.

    Callbacks (called on the event loop): ``on_crash(crash)`` when it died and is being
    restarted, ``on_restarted(crash, endpoint)`` once it runs again, ``on_gave_up(crash)``
    when it crashed too often (it is not restarted; the supervisor ends).
    """

    def __init__(self, simulator: EmbeddedSimulator, *,
                 on_crash: Callable[[SimulatorCrash], object] = lambda crash: None,
                 on_restarted: Callable[[SimulatorCrash, SimulatorEndpoint], object] = lambda crash, ep: None,
                 on_gave_up: Callable[[SimulatorCrash], object] = lambda crash: None,
                 max_crashes: int = 3, crash_window: float = 60.0, poll: float = 0.25) -> None:
        self.simulator = simulator
        self.on_crash = on_crash
        self.on_restarted = on_restarted
        self.on_gave_up = on_gave_up
        self.max_crashes = max_crashes
        self.crash_window = crash_window
        self.poll = poll
        self.gave_up = False
        self.restarts = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())
            self._task.add_done_callback(self._done)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @staticmethod
    def _done(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("the simulator supervisor failed", exc_info=task.exception())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        crashes: deque[float] = deque()
        while True:
            code = await self.simulator.wait_exit(self.poll)
            if self.simulator.stopping or (code is None and self.simulator.process is None and not crashes):
                return
            now = loop.time()
            crashes.append(now)
            while crashes and now - crashes[0] > self.crash_window:
                crashes.popleft()
            crash = SimulatorCrash(describe_exit(code) if code is not None else "did not start",
                                   len(crashes), self.simulator.last_log_lines(), self.simulator.log_path)
            log.warning("the embedded simulator stopped unexpectedly (%s; %d within %g s)",
                        crash.exit, crash.crashes, self.crash_window)
            if len(crashes) >= self.max_crashes:
                self.gave_up = True
                self.on_gave_up(crash)
                return
            self.on_crash(crash)
            try:
                endpoint = await self.simulator.restart()
            except SimulatorError as exc:  # counts as the next crash (the loop sees no running child)
                log.warning("restarting the embedded simulator failed: %s", exc)
                self.simulator.process = None
                continue
            if self.simulator.stopping:
                return
            self.restarts += 1
            log.info("the embedded simulator runs again at %s", endpoint.url)
            self.on_restarted(crash, endpoint)
