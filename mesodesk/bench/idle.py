"""Idle console CPU: 4 positions streaming from the simulator, each chart visible in turn, at 1 h and 8 h of history.

The console runs in a child process (the real main window, connected to a simulator
in a third process, so only the console is measured); nothing is clicked. Its
history store is pre-filled with synthetic samples (one a second, as a live server
streams) in front of the live ones: one position gets 1 h, another of the same
strategy 8 h. Then, in one run:

* ``nothing_selected``: the default layout, no position selected;
* for each history length, that position selected and each of the position chart,
  greeks chart and risk graph raised in its dock in turn;
* baseline ``no_chart``: the same window with the chart docks closed.

Each scenario settles, then the child's CPU time (every thread) over wall time is
its figure, in % of one core. The ratio is the growth with history: the worst
chart's CPU at 8 h ÷ at 1 h (1.0 = cost independent of history length).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mesodesk.bench._util import figure

CHARTS = ("positionChart", "greeksChart", "riskGraph")
CHART_NAMES = {"positionChart": "position_chart", "greeksChart": "greeks_chart", "riskGraph": "risk_graph"}
HOURS = (1, 8)
SAMPLE_SECONDS = 1.0  # synthetic history density: a sample a second per position


def run(seconds: float, settle: float) -> dict[str, Any]:
    """``seconds`` measured per scenario after ``settle`` seconds of letting it reach its steady state."""
    from mesodesk.bench.simproc import SimulatorProcess

    with SimulatorProcess(bench=False) as sim, tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MESODESK_BENCH_KEY": sim.api_key, "MESODESK_CONFIG_DIR": str(Path(tmp) / "config"),
               "MESODESK_DATA_DIR": str(Path(tmp) / "data"),
               "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
        command = [sys.executable, "-m", "mesodesk.bench.idle", "--child", sim.url, "--workdir", tmp,
                   "--seconds", str(seconds), "--settle", str(settle)]
        out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300 + 12 * (seconds + settle))
    if out.returncode != 0:
        raise RuntimeError((out.stderr or out.stdout)[-1500:])
    child: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    cpu = child["cpu_pct"]
    per_hours = {f"{h}h": {CHART_NAMES[c]: cpu[f"{h}h/{c}"] for c in CHARTS} for h in HOURS}
    worst = {key: max(charts.values()) for key, charts in per_hours.items()}
    growth = {CHART_NAMES[c]: _ratio(cpu[f"8h/{c}"], cpu[f"1h/{c}"]) for c in CHARTS}
    values = {"cpu_pct": per_hours, "nothing_selected_cpu_pct": cpu["nothing_selected"],
              "max_cpu_pct": max(max(worst.values()), cpu["nothing_selected"]),
              "growth_8h_over_1h": growth, "history_rows": child["history_rows"],
              "measured_s_per_scenario": seconds, "positions_streaming": child["positions"],
              "updates_per_s": child["updates_per_s"]}
    baseline = {"no_chart_cpu_pct": cpu["no_chart"],
                "what": "same window, same positions streaming, the chart docks closed"}
    return figure(values, baseline, _ratio(worst["8h"], worst["1h"]),
                  ratio_means="worst chart's CPU at 8 h of history ÷ at 1 h (1.0 = no growth)",
                  chart_over_no_chart=_ratio(max(worst.values()), cpu["no_chart"]), target_cpu_pct=5)


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b > 0 else None


# --------------------------------------------------------------------------- the child: the console
def _synthetic_history(t_end: float, hours: float) -> Any:
    """``hours`` of FIELDS samples ending at ``t_end``: random walks, one sample per SAMPLE_SECONDS."""
    import numpy as np

    from mesodesk.core.history import FIELDS

    n = int(hours * 3600 / SAMPLE_SECONDS)
    rng = np.random.default_rng(int(hours))
    rows = np.empty((n, len(FIELDS)))
    rows[:, 0] = t_end - SAMPLE_SECONDS * np.arange(n, 0, -1, dtype=np.float64)
    rows[:, 1] = 6000 + np.cumsum(rng.normal(0, 0.5, n))
    pnl = np.cumsum(rng.normal(0, 2.0, n))
    rows[:, 2], rows[:, 3], rows[:, 4] = pnl, pnl - 15, pnl + 15
    for col in range(5, len(FIELDS)):
        rows[:, col] = np.cumsum(rng.normal(0, 0.01, n))
    return rows


def _pick_positions(window: Any) -> list[int]:
    """Two open positions of the same strategy and leg count (so only their history differs)."""
    state = window.session.state
    by_kind: dict[tuple[str, int], list[int]] = {}
    for pid, row in sorted(state.positions.items()):
        legs = sum(1 for leg in state.legs.values() if leg.position_id == pid)
        by_kind.setdefault((str(row.summary.live_strategy_id), legs), []).append(int(pid))
    pairs = [ids for ids in by_kind.values() if len(ids) >= 2]
    ids = pairs[0][:2] if pairs else sorted(int(p) for p, _row in state.positions.items())[:2]
    if len(ids) < 2:
        raise RuntimeError(f"need two positions streaming, have {len(ids)}")
    return ids


async def _prefill(window: Any, ids: list[int]) -> dict[str, int]:
    """Store 1 h / 8 h of samples in front of each chosen position's first live sample."""
    charts = window.charts
    rows_by_hours: dict[str, int] = {}
    for pid, hours in zip(ids, HOURS, strict=True):
        await _until(lambda pid=pid: len(charts.recorder.buffer(pid)) > 0)
        first_live = float(charts.recorder.buffer(pid).view()[0, 0])
        history = _synthetic_history(first_live - 1.0, hours)
        for row in history:
            charts.store.append(pid, tuple(float(v) for v in row))
        rows_by_hours[f"{hours}h"] = int(history.shape[0])
    await asyncio.wrap_future(charts.store.flush())
    return rows_by_hours


async def _until(predicate: Any, timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    while True:
        if predicate():
            return
        if time.perf_counter() > deadline:
            raise RuntimeError("the console did not get there in time")
        await asyncio.sleep(0.05)


async def _measure(seconds: float) -> float:
    """% of one core used by this process (all threads) over ``seconds`` of the event loop running."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    return round((time.process_time() - cpu0) / (time.perf_counter() - wall0) * 100.0, 2)


async def _child(url: str, workdir: Path, seconds: float, settle: float) -> dict[str, Any]:
    from mesodesk.core.session import Session
    from mesodesk.core.trading.desk import TradingDesk
    from mesodesk.ui.errors import ErrorHub
    from mesodesk.ui.main_window import MainWindow

    session = Session(url, os.environ["MESODESK_BENCH_KEY"], embedded=True)
    window = MainWindow(session, ErrorHub(), config_dir=workdir / "config", desk=TradingDesk(session))
    window.resize(1920, 1080)
    window.show()
    await session.start()
    try:
        await window.wait_until_live(min_updates=2)
        assert window.charts is not None
        ids = _pick_positions(window)
        rows = await _prefill(window, ids)
        positions = window.views["positions"]
        docks = {name: window.docks[name] for name in CHARTS}
        cpu: dict[str, float] = {}

        async def scenario(name: str, settle: float = settle) -> None:
            await asyncio.sleep(settle)
            cpu[name] = await _measure(seconds)

        docks["riskGraph"].raise_()
        await scenario("nothing_selected", 3 * settle)  # the first: start-up's tail (toasts, replays) settles
        recorder = window.charts.recorder
        for pid, hours in zip(ids, HOURS, strict=True):
            positions.select_key(pid)  # loads its stored history, merged in front of the live rows
            await _until(lambda pid=pid, hours=hours: len(recorder.buffer(pid)) > rows[f"{hours}h"])
            for chart in CHARTS:
                docks[chart].raise_()
                await scenario(f"{hours}h/{chart}")
        for dock in docks.values():
            dock.close()
        await scenario("no_chart")
        updates0 = sum(r.updates for r in session.state.positions.values())
        started = time.perf_counter()
        await asyncio.sleep(max(0.5, min(seconds, 2.0)))
        updates = sum(r.updates for r in session.state.positions.values()) - updates0
        return {"cpu_pct": cpu, "history_rows": rows, "positions": len(session.state.positions),
                "updates_per_s": round(updates / (time.perf_counter() - started), 1)}
    finally:
        window.close()
        await session.stop()


def child_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", required=True, metavar="URL")
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--settle", type=float, required=True)
    args = parser.parse_args(argv)
    import qasync
    from PySide6.QtWidgets import QApplication

    from mesodesk.ui.gc_timer import GuiGarbageCollector

    app = QApplication([])
    app.setQuitOnLastWindowClosed(False)
    collector = GuiGarbageCollector()  # as the app runs
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        result = loop.run_until_complete(_child(args.child, args.workdir, args.seconds, args.settle))
    collector.stop()
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(child_main(sys.argv[1:]))
