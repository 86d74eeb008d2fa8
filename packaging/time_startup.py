"""Time from process start to the first painted window with live data, frozen vs. from source.

    python packaging/time_startup.py [--runs 5] [--frozen dist/mesodesk/mesodesk]

Each run starts `<app> --screenshot PNG` with a fresh HOME (so the embedded simulator seeds a
new database, as on a first launch) and QT_QPA_PLATFORM=offscreen. The app writes the PNG only
once live position rows are painted, so "PNG written" = PNG mtime - spawn time; "exit" is the
wall time until the process has shut the simulator down and exited.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run(cmd: list[str]) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="mesodesk-timing-") as tmp:
        png = Path(tmp) / "shot.png"
        env = {**os.environ, "HOME": tmp, "QT_QPA_PLATFORM": "offscreen"}
        for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
            env.pop(var, None)
        t0 = time.time()
        r = subprocess.run([*cmd, "--screenshot", str(png)], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=180)
        t_exit = time.time() - t0
        if r.returncode != 0 or not png.exists():
            raise SystemExit(f"time_startup: {cmd} failed (rc {r.returncode})")
        return png.stat().st_mtime - t0, t_exit


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--frozen", type=Path, default=ROOT / "dist" / "mesodesk" / "mesodesk")
    args = parser.parse_args()
    variants = {"frozen": [str(args.frozen)], "python -m mesodesk": [sys.executable, "-m", "mesodesk"]}
    for name, cmd in variants.items():
        one_run(cmd)  # warm the page cache: both variants are then measured warm
        runs = [one_run(cmd) for _ in range(args.runs)]
        painted = [r[0] for r in runs]
        exits = [r[1] for r in runs]
        print(f"{name:20s} PNG written: median {statistics.median(painted):.2f} s "
              f"({', '.join(f'{x:.2f}' for x in painted)}); exit: median {statistics.median(exits):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
