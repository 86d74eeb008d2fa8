"""Start the simulator as a child process of the GUI.

The simulator runs in its own process so its market, SQLite writes and stream
fan-out never compete with the GUI thread. It binds 127.0.0.1 on a random port
with a random per-run token, and exits when the GUI's end of its stdin closes,
so it cannot outlive a crashed GUI.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

TOKEN_ENV = "MESODESK_SIM_TOKEN"


@dataclass(frozen=True)
class SimulatorEndpoint:
    url: str
    api_key: str


def simulator_command(extra: list[str]) -> list[str]:
    if getattr(sys, "frozen", False):  # PyInstaller: the app binary runs the simulator itself
        return [sys.executable, "--run-simulator", *extra]
    return [sys.executable, "-m", "mesodesk.sim", *extra]


class EmbeddedSimulator:
    def __init__(self, data_dir: Path, *, seed: int | None = None, speed: float = 60.0) -> None:
        self.data_dir = data_dir
        self.seed = seed
        self.speed = speed
        self.process: subprocess.Popen[bytes] | None = None
        self._token = ""
        self.endpoint: SimulatorEndpoint | None = None

    def spawn(self) -> None:
        """Start the child process now (synchronously, e.g. before the GUI's heavy imports).

        ``start()`` then only waits for it to be ready. Spawning is a fork+exec: milliseconds.
        """
        if self.process is not None:
            return
        self._token = secrets.token_urlsafe(24)
        args = ["--host", "127.0.0.1", "--port", "0", "--data-dir", str(self.data_dir), "--api-key-env", TOKEN_ENV,
                "--speed", str(self.speed), "--ready-json", "--exit-with-stdin"]
        if self.seed is not None:
            args += ["--seed", str(self.seed)]
        self.process = subprocess.Popen(
            simulator_command(args), stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={**os.environ, TOKEN_ENV: self._token}
        )

    async def start(self, timeout: float = 30.0) -> SimulatorEndpoint:
        """Spawn (unless already spawned) and wait until the simulator prints its URL."""
        self.spawn()  # a fork+exec; the slow part, start-up, is awaited below
        assert self.process is not None
        loop = asyncio.get_running_loop()
        stdout = self.process.stdout
        assert stdout is not None
        try:
            line = await asyncio.wait_for(loop.run_in_executor(None, stdout.readline), timeout)
        except TimeoutError:
            await self.stop()
            raise RuntimeError("the embedded simulator did not start in time") from None
        if not line:
            code = self.process.wait(timeout=5)
            raise RuntimeError(f"the embedded simulator exited during start-up (exit code {code})")
        info = json.loads(line)
        self.endpoint = SimulatorEndpoint(url=info["url"], api_key=self._token)
        return self.endpoint

    async def stop(self, timeout: float = 3.0) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        if process.stdin:
            process.stdin.close()  # the simulator exits on stdin EOF
        process.terminate()
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.run_in_executor(None, process.wait), timeout)
        except TimeoutError:
            process.kill()
            await loop.run_in_executor(None, process.wait)
        if process.stdout:
            process.stdout.close()
