"""Start-up milestones, logged once each as ``startup +N ms: <what>`` from process start.

Milestones reached before logging is set up are logged with the first one after it.
``MESODESK_STARTUP_TRACE=1`` also prints each to stderr (the benchmark reads them there).
"""

from __future__ import annotations

import logging
import os
import sys
import time

log = logging.getLogger("mesodesk.startup")


def _process_age_s() -> float:
    """Seconds since this process was created (Linux /proc), else since this module's import."""
    try:
        with open(f"/proc/{os.getpid()}/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        return time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0


_ORIGIN = time.perf_counter() - _process_age_s()
_seen: dict[str, float] = {}
_unlogged: list[tuple[str, float]] = []
_TRACE = os.environ.get("MESODESK_STARTUP_TRACE") == "1"


def mark(milestone: str) -> float:
    """Record (first time only) and log a milestone; returns seconds since process start."""
    if milestone in _seen:
        return _seen[milestone]
    elapsed = time.perf_counter() - _ORIGIN
    _seen[milestone] = elapsed
    _unlogged.append((milestone, elapsed))
    if logging.getLogger().handlers:
        for name, at in _unlogged:
            log.info("startup +%.0f ms: %s", at * 1000, name)
        _unlogged.clear()
    if _TRACE:
        print(f"startup +{elapsed * 1000:.0f} ms: {milestone}", file=sys.stderr, flush=True)
    return elapsed


def milestones() -> dict[str, float]:
    return dict(_seen)
