"""The benchmark harness must not rot: a tiny variant of every figure, in-process, in seconds."""

from __future__ import annotations

import json
import math
from typing import Any

from mesodesk.bench import markdown, targets
from mesodesk.bench.__main__ import FIGURES, collect, plan, table


def _numbers(obj: Any) -> list[float]:
    if isinstance(obj, bool):
        return []
    if isinstance(obj, int | float):
        return [float(obj)]
    if isinstance(obj, dict):
        return [n for v in obj.values() for n in _numbers(v)]
    if isinstance(obj, list):
        return [n for v in obj for n in _numbers(v)]
    return []


def test_tiny_report_has_every_figure_with_values_baseline_and_ratio() -> None:
    report, failed = collect(plan(quick=True, tiny=True))
    errors = {k: v.get("error") for k, v in report.items() if isinstance(v, dict) and "error" in v}
    assert not failed and not errors, errors
    assert set(FIGURES) <= set(report)
    json.dumps(report)  # --json must be able to print it
    for name in FIGURES:
        entry = report[name]
        assert entry["seconds"] >= 0
        assert {"values", "baseline", "ratio"} <= set(entry), name
        assert entry["values"] and entry["baseline"], name
        assert isinstance(entry["ratio"], float) and entry["ratio"] > 0 and math.isfinite(entry["ratio"]), name
        assert all(math.isfinite(n) for n in _numbers(entry["values"])), name
    ingest = report["stream_ingest"]
    assert ingest["values"]["sdk"]["items"] == ingest["baseline"]["raw_aiohttp_orjson"]["items"] == 2_000
    assert ingest["server_items_per_s"] > 0 and ingest["cpu_ratio_vs_raw"] > 0
    assert ingest["values"]["console"]["items"] == ingest["baseline"]["no_parse"]["items"] == 2_000
    assert ingest["values"]["console"]["refused"] == 0  # the console path decoded every item itself
    assert report["startup"]["values"]["median_s"] > report["startup"]["baseline"]["median_s"] > 0
    text = table(report)
    assert all(name in text for name in FIGURES)
    # every target finds its value in the report (only the node comparison needs node)
    rows = targets.check(report)
    assert len(rows) == len(targets.TARGETS)
    unmeasured = [r["target"] for r in rows if r["met"] is None and "node" not in r["target"]]
    assert not unmeasured, unmeasured
    assert "met" in targets.render(rows)
    md = markdown.render(report)  # --markdown, for the README's Performance section
    assert all(title in md for title, _ in markdown.ROWS.values())


def test_quick_plan_names_every_figure() -> None:
    assert tuple(plan(quick=True)) == FIGURES == tuple(plan(quick=False)) == tuple(plan(quick=True, tiny=True))
