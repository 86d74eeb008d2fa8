"""Start-up: process start to the last session's window painted, and to live rows, vs a bare Qt floor.

Timed on this side, from ``Popen`` to a line the child prints right after a synchronous
``repaint()`` of its window. The app runs on a data folder whose last session (an untimed run
first) left its window cache: its ``cached rows painted`` milestone (the last session's layout and
rows, stale, before the SDK, pydantic and aiohttp are imported) and, in the same run, ``live rows
painted`` (position rows from the embedded simulator, at least one streamed update applied, on
screen; ``MESODESK_STARTUP_TRACE=1`` prints both). The floor is an empty ``QMainWindow`` shown. The
embedded simulator is also started alone (spawn to ready), in the same run: live rows cannot come
before it is ready. The app's own milestones (from its process start) are reported as medians.

mesodesk's bytecode is compiled first, as an installed app has it (``pip install`` and the
PyInstaller bundle ship ``.pyc``; an editable checkout under ``PYTHONDONTWRITEBYTECODE``
would otherwise recompile ~200 modules on every start).
"""

from __future__ import annotations

import asyncio
import compileall
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mesodesk.bench._util import figure, median

FLOOR = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1440, 860)
window.show()
app.processEvents()
window.repaint()
print("startup: first paint", flush=True)
"""
FLOOR_MARKER = "startup: first paint"
CACHED_MARKER = "cached rows painted"
LIVE_MARKER = "live rows painted"
MILESTONE = re.compile(r"startup \+(\d+) ms: (.+)")


def _time_until(command: list[str], markers: tuple[str, ...],
                milestones: dict[str, list[float]] | None = None) -> dict[str, float]:
    """Seconds from ``Popen`` to each of the child's ``markers`` lines (stdout or stderr); waits for its exit."""
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
           "MESODESK_STARTUP_TRACE": "1"}
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    seen: dict[str, float] = {}
    assert process.stdout is not None
    for line in process.stdout:
        for marker in markers:
            if marker in line and marker not in seen:
                seen[marker] = time.perf_counter() - start
        found = MILESTONE.search(line)
        if found and milestones is not None:
            milestones.setdefault(found.group(2).strip(), []).append(int(found.group(1)) / 1000)
    process.wait(timeout=120)
    if process.returncode != 0 or len(seen) != len(markers):
        raise RuntimeError(f"{command[:3]} exited with {process.returncode} (markers seen: {sorted(seen)})")
    return seen


def _simulator_ready_s(data_dir: Path) -> float:
    """The embedded simulator alone: spawned to ready (it prints its URL), as the app starts it."""
    from mesodesk.sim.embedded import EmbeddedSimulator

    async def ready() -> float:
        simulator = EmbeddedSimulator(data_dir / "simulator")
        start = time.perf_counter()
        try:
            await simulator.start()
            return time.perf_counter() - start
        finally:
            await simulator.stop()

    return asyncio.run(ready())


def compile_bytecode() -> None:
    import mesodesk

    compileall.compile_dir(Path(mesodesk.__file__).parent, quiet=2)


def _app(data_dir: Path, screenshot: Path) -> list[str]:
    return [sys.executable, "-m", "mesodesk", "--data-dir", str(data_dir), "--screenshot", str(screenshot)]


def run(runs: int) -> dict[str, Any]:
    compile_bytecode()
    cached_times, live_times, floor_times, simulator_times = [], [], [], []
    milestones: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data, alone = Path(tmp) / "data", Path(tmp) / "simulator-alone"
        _time_until(_app(data, Path(tmp) / "first.png"), (LIVE_MARKER,))  # the last session: leaves its cache
        _simulator_ready_s(alone)  # the same first start for the simulator alone
        for i in range(runs):  # interleave so drift in machine load hits all alike
            floor_times.append(_time_until([sys.executable, "-c", FLOOR], (FLOOR_MARKER,))[FLOOR_MARKER])
            simulator_times.append(_simulator_ready_s(alone))
            seen = _time_until(_app(data, Path(tmp) / f"app{i}.png"), (CACHED_MARKER, LIVE_MARKER), milestones)
            cached_times.append(seen[CACHED_MARKER])
            live_times.append(seen[LIVE_MARKER])
    cached, live, floor, simulator = (median(t) for t in (cached_times, live_times, floor_times, simulator_times))
    return figure(
        {"median_s": round(cached, 3), "runs_s": [round(t, 3) for t in cached_times],
         "what": "the last session's window (layout, rows on screen, stale) painted, from Popen",
         "live_rows_median_s": round(live, 3), "live_rows_runs_s": [round(t, 3) for t in live_times],
         "live_rows_vs_floor": round(live / floor, 3),
         "simulator_ready_median_s": round(simulator, 3), "simulator_ready_runs_s": [round(t, 3) for t in simulator_times],
         "live_rows_after_simulator_ready_s": round(live - simulator, 3),
         "milestones_median_s": {name: round(median(times), 3) for name, times in milestones.items()}},
        {"median_s": round(floor, 3), "runs_s": [round(t, 3) for t in floor_times],
         "what": "python -c 'import PySide6.QtWidgets' + empty QMainWindow shown and painted"},
        cached / floor, target="cached rows <= 2.5 x floor; live rows <= simulator ready + 0.25 s",
    )
