"""The issue's targets, checked against a report: one line per target, met or missed.

Targets are reported, never asserted: a missed target does not fail a run (CI fails only
when a figure crashes).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

# (figure, label, path to the value, comparison, bound)
TARGETS: tuple[tuple[str, str, tuple[str, ...], str, float], ...] = (
    ("startup", "cached rows painted ÷ empty-window floor", ("ratio",), "<=", 2.5),
    ("startup", "live rows − simulator ready alone (s)", ("values", "live_rows_after_simulator_ready_s"), "<=", 0.25),
    ("stream_ingest", "console path CPU/item ÷ raw aiohttp+orjson CPU/item", ("console_cpu_ratio_vs_raw",),
     "<=", 1.5),
    ("stream_ingest", "console path items/s ÷ official node client items/s", ("console_ratio_vs_node",), ">=", 1.5),
    ("stream_ingest", "SDK pydantic CPU/item ÷ raw-with-exact-Decimals CPU/item", ("cpu_ratio_vs_exact_raw",),
     "<=", 2.5),
    ("stream_ingest", "simulator items/s to one client that does not parse", ("server_items_per_s",), ">=",
     100_000),
    ("blotter_lag", "GUI loop lag p99 at 5,000 updates/s (ms)", ("values", "lag_p99_ms"), "<=", 30),
    ("blotter_lag", "QTableWidget CPU/update ÷ ours, 2k rows × 5k/s (net)", ("ratio",), ">=", 3),
    ("blotter_20k", "QTableWidget CPU/update ÷ ours, 20k rows × 5k/s (net)", ("ratio",), ">=", 10),
    ("blotter_fast", "QTableWidget CPU/update ÷ ours, 2k rows × 50k/s (net)", ("ratio",), ">=", 10),
    ("blotter_100k", "GUI loop lag p99, 100k rows × 50k/s (ms)", ("values", "lag_p99_ms"), "<=", 30),
    ("chart_fps", "chart fps, 4 × 1,000,000 points", ("values", "fps"), ">=", 30),
    ("risk_graph", "risk graph recompute (ms)", ("values", "median_ms"), "<=", 50),
    ("idle_cpu", "console CPU, 4 positions streaming, worst chart shown (% core)", ("values", "max_cpu_pct"),
     "<=", 5),
    ("idle_cpu", "that CPU with 8 h of history ÷ with 1 h", ("ratio",), "<=", 1.2),
    ("rss", "RSS, 1,000 positions + 8,000 legs streaming (MB)", ("values", "rss_mb"), "<=", 300),
    ("rss", "RSS growth over the soak's second half (%)", ("values", "second_half_growth_pct"), "<=", 5),
)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {"<=": operator.le, ">=": operator.ge}


def _lookup(entry: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = entry
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def check(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per target whose figure ran: label, value, target, met (None: not measured)."""
    rows = []
    for figure, label, path, op, bound in TARGETS:
        entry = report.get(figure)
        if not isinstance(entry, dict) or "error" in entry:
            continue
        value = _lookup(entry, path)
        met = _COMPARE[op](value, bound) if isinstance(value, int | float) else None
        rows.append({"figure": figure, "target": f"{label} {op} {bound:g}", "value": value, "met": met})
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'target':<62} {'value':>10}  met"]
    for row in rows:
        value = row["value"]
        shown = f"{value:,.3g}" if isinstance(value, float) else ("—" if value is None else f"{value:,}")
        verdict = {True: "yes", False: "NO", None: "n/a"}[row["met"]]
        lines.append(f"{row['target']:<62} {shown:>10}  {verdict}")
    return "\n".join(lines)
