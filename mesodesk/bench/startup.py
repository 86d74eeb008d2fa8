"""Start-up: process start to the first painted window with live position rows, vs a bare Qt floor.

Both are timed the same way, on this side: from ``Popen`` to a line the child prints right
after a synchronous ``repaint()`` of its window -- for the app, its ``live rows painted``
start-up milestone (``MESODESK_STARTUP_TRACE=1``: position rows from the embedded simulator,
at least one streamed update applied, on screen); for the floor, an empty ``QMainWindow``
shown. The app's own milestones (from its process start) are reported as medians.

mesodesk's bytecode is compiled first, as an installed app has it (``pip install`` and the
PyInstaller bundle ship ``.pyc``; an editable checkout under ``PYTHONDONTWRITEBYTECODE``
would otherwise recompile ~200 modules on every start).
"""

from __future__ import annotations

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
APP_MARKER = "live rows painted"
MILESTONE = re.compile(r"startup \+(\d+) ms: (.+)")


def _time_until(command: list[str], marker: str, milestones: dict[str, list[float]] | None = None) -> float:
    """Seconds from ``Popen`` to the child's ``marker`` line (stdout or stderr); waits for its exit."""
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
           "MESODESK_STARTUP_TRACE": "1"}
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    elapsed = float("nan")
    assert process.stdout is not None
    for line in process.stdout:
        if marker in line and elapsed != elapsed:
            elapsed = time.perf_counter() - start
        found = MILESTONE.search(line)
        if found and milestones is not None:
            milestones.setdefault(found.group(2).strip(), []).append(int(found.group(1)) / 1000)
    process.wait(timeout=120)
    if process.returncode != 0 or elapsed != elapsed:
        raise RuntimeError(f"{command[:3]} exited with {process.returncode} (marker seen: {elapsed == elapsed})")
    return elapsed


def compile_bytecode() -> None:
    import mesodesk

    compileall.compile_dir(Path(mesodesk.__file__).parent, quiet=2)


def run(runs: int) -> dict[str, Any]:
    compile_bytecode()
    app_times, floor_times = [], []
    milestones: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):  # interleave so drift in machine load hits both alike
            floor_times.append(_time_until([sys.executable, "-c", FLOOR], FLOOR_MARKER))
            app_times.append(_time_until([
                sys.executable, "-m", "mesodesk", "--data-dir", str(Path(tmp) / f"data{i}"),
                "--screenshot", str(Path(tmp) / f"app{i}.png"),
            ], APP_MARKER, milestones))
    app, floor = median(app_times), median(floor_times)
    return figure(
        {"median_s": round(app, 3), "runs_s": [round(t, 3) for t in app_times],
         "milestones_median_s": {name: round(median(times), 3) for name, times in milestones.items()}},
        {"median_s": round(floor, 3), "runs_s": [round(t, 3) for t in floor_times],
         "what": "python -c 'import PySide6.QtWidgets' + empty QMainWindow shown and painted"},
        app / floor, target="<= 1.5",
    )
