"""``python -m mesodesk.bench [--quick] [--json] [--only NAME ...]``."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from mesodesk.bench import markdown, targets

FIGURES = ("startup", "stream_ingest", "roundtrip", "blotter_lag", "blotter_20k", "blotter_fast", "blotter_100k",
           "chart_fps", "risk_graph", "idle_cpu", "rss")


def plan(quick: bool, tiny: bool = False) -> dict[str, Callable[[], dict[str, Any]]]:
    """What each figure runs. ``tiny`` is for tests/bench: every figure in seconds, same code paths."""
    from mesodesk.bench import blotter, charts, idle, ingest, memory, risk, roundtrip, startup

    if tiny:
        return {
            "startup": lambda: startup.run(1),
            "stream_ingest": lambda: ingest.run(2_000),
            "roundtrip": lambda: roundtrip.run(20),
            "blotter_lag": lambda: blotter.run(100, 1_000, 0.3),
            "blotter_20k": lambda: blotter.run(1_000, 1_000, 0.3),
            "blotter_fast": lambda: blotter.run(100, 5_000, 0.3),
            "blotter_100k": lambda: blotter.run(2_000, 5_000, 0.3),
            "chart_fps": lambda: charts.run(10_000, 0.3),
            "risk_graph": lambda: risk.run(2),
            "idle_cpu": lambda: idle.run(0.2, 0.1),
            "rss": lambda: memory.run(0.5),
        }
    return {
        "startup": lambda: startup.run(2 if quick else 5),
        "stream_ingest": lambda: ingest.run(20_000 if quick else 200_000),
        "roundtrip": lambda: roundtrip.run(300 if quick else 3_000),
        "blotter_lag": lambda: blotter.run(2_000, 5_000, 2.0 if quick else 10.0),
        "blotter_20k": lambda: blotter.run(20_000, 5_000, 2.0 if quick else 10.0),
        "blotter_fast": lambda: blotter.run(2_000, 50_000, 2.0 if quick else 10.0),
        "blotter_100k": lambda: blotter.run(20_000 if quick else 100_000, 50_000, 2.0 if quick else 10.0),
        "chart_fps": lambda: charts.run(1_000_000, 2.0 if quick else 8.0),
        "risk_graph": lambda: risk.run(20 if quick else 100),
        "idle_cpu": lambda: idle.run(0.6, 0.3) if quick else idle.run(20.0, 3.0),
        "rss": lambda: memory.run(5.0 if quick else 600.0),
    }


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "date": datetime.now(UTC).strftime("%Y-%m-%d")}


def table(report: dict[str, Any]) -> str:
    lines = [f"{'figure':<14} {'ratio':>8}  measured vs baseline"]
    for name in FIGURES:
        entry = report.get(name)
        if entry is None:
            continue
        if "error" in entry or "status" in entry:
            lines.append(f"{name:<14} {'—':>8}  {entry.get('error') or entry.get('status')}")
            continue
        ratio = entry.get("ratio")
        lines.append(f"{name:<14} {ratio if ratio is not None else '—':>8}  "
                     f"{json.dumps(entry['values'])[:110]}  |  {json.dumps(entry['baseline'])[:110]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mesodesk.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs, for CI")
    parser.add_argument("--json", action="store_true", help="print one JSON object with a key per figure")
    parser.add_argument("--markdown", metavar="REPORT.json", help="print a saved --json report as Markdown tables")
    parser.add_argument("--only", nargs="*", choices=FIGURES, help="run only these figures")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # tests/bench: seconds per figure
    args = parser.parse_args(argv)
    if args.markdown:
        with open(args.markdown, encoding="utf-8") as f:
            print(markdown.render(json.load(f)))
        return 0
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    report, failed = collect(plan(args.quick, args.tiny), args.only, progress=not args.json)
    report["quick"] = args.quick or args.tiny
    report["targets"] = targets.check(report)
    print(json.dumps(report, indent=1) if args.json else table(report) + "\n\n" + targets.render(report["targets"]))
    return 1 if failed else 0


def collect(runners: dict[str, Callable[[], dict[str, Any]]], only: list[str] | None = None,
            progress: bool = False) -> tuple[dict[str, Any], bool]:
    """Run the figures; a figure that raises is reported as ``error`` (and fails the run).

    Timings never fail a run: targets are reported next to the values, not asserted.
    """
    report: dict[str, Any] = {"machine": machine()}
    failed = False
    for name, runner in runners.items():
        if only and name not in only:
            continue
        started = time.perf_counter()
        try:
            report[name] = runner()
        except Exception as exc:
            failed = True
            report[name] = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-1500:]}
        report[name]["seconds"] = round(time.perf_counter() - started, 1)
        if progress:
            print(f"… {name} done in {report[name]['seconds']} s", file=sys.stderr, flush=True)
    return report, failed


if __name__ == "__main__":
    raise SystemExit(main())
