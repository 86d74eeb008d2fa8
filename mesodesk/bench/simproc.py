"""Run the simulator in a child process, so the client side measures only itself."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
from types import TracebackType


class SimulatorProcess:
    def __init__(self, *, bench: bool = True, tick_interval: float = 0.25) -> None:
        self.bench = bench
        self.tick_interval = tick_interval
        self.api_key = secrets.token_urlsafe(16)
        self.url = ""
        self._tmp = tempfile.TemporaryDirectory()
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> SimulatorProcess:
        command = [sys.executable, "-m", "mesodesk.sim", "--port", "0", "--data-dir", self._tmp.name,
                   "--api-key-env", "MESODESK_BENCH_KEY", "--ready-json", "--exit-with-stdin", "--seed", "11",
                   "--tick-interval", str(self.tick_interval)]
        if self.bench:
            command.append("--bench")
        env = {**os.environ, "MESODESK_BENCH_KEY": self.api_key}
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, text=True, env=env)
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("simulator failed to start")
        self.url = json.loads(line)["url"]
        return self

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._process is not None:
            if self._process.stdin:
                self._process.stdin.close()
            self._process.terminate()
            self._process.wait(timeout=10)
        self._tmp.cleanup()
