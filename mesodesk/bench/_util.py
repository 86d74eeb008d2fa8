"""Small statistics and process-measurement helpers."""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: Sequence[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return float(ordered[index])


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    """Current resident set size of this process in MB (Linux /proc; max RSS elsewhere)."""
    try:
        with open(f"/proc/{os.getpid()}/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6


@dataclass
class Meter:
    wall: float = 0.0
    cpu: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


@contextmanager
def measure() -> Any:
    meter = Meter()
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    try:
        yield meter
    finally:
        meter.wall = time.perf_counter() - wall0
        meter.cpu = cpu_seconds() - cpu0


def figure(values: dict[str, Any], baseline: dict[str, Any], ratio: float | None, **notes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"values": values, "baseline": baseline, "ratio": None if ratio is None else round(ratio, 3)}
    out.update(notes)
    return out
