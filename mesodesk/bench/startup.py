"""Start-up: process start to the first painted window with live position rows, vs a bare Qt floor."""

from __future__ import annotations

import os
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
window.grab().save(sys.argv[1])
print("screenshot saved", flush=True)
"""


def _time_until_saved(command: list[str]) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    elapsed = float("nan")
    assert process.stdout is not None
    for line in process.stdout:
        if "screenshot saved" in line:
            elapsed = time.perf_counter() - start
    process.wait(timeout=120)
    if process.returncode != 0:
        raise RuntimeError(f"{command[:3]} exited with {process.returncode}")
    return elapsed


def run(runs: int) -> dict[str, Any]:
    app_times, floor_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):  # interleave so drift in machine load hits both alike
            floor_times.append(_time_until_saved([sys.executable, "-c", FLOOR, str(Path(tmp) / f"floor{i}.png")]))
            app_times.append(_time_until_saved([
                sys.executable, "-m", "mesodesk", "--data-dir", str(Path(tmp) / f"data{i}"),
                "--screenshot", str(Path(tmp) / f"app{i}.png"),
            ]))
    app, floor = median(app_times), median(floor_times)
    return figure(
        {"median_s": round(app, 3), "runs_s": [round(t, 3) for t in app_times]},
        {"median_s": round(floor, 3), "runs_s": [round(t, 3) for t in floor_times],
         "what": "python -c 'import PySide6.QtWidgets' + empty QMainWindow shown and grabbed"},
        app / floor, target="<= 1.5",
    )
