"""Start-up milestones: from process start, recorded once, logged once logging exists."""

from __future__ import annotations

import subprocess
import sys


def test_milestones_are_measured_from_process_start_and_recorded_once() -> None:
    code = """
import logging, time
time.sleep(0.2)  # before the module is imported: still counted, from process start
from mesodesk.core import startup_timeline as t
first = t.mark("early")
logging.basicConfig(level=logging.INFO, format="%(message)s")
second = t.mark("late")
assert t.mark("early") == first
assert t.milestones() == {"early": first, "late": second}
print(first, second)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={"MESODESK_STARTUP_TRACE": "1", "PATH": ""})
    assert out.returncode == 0, out.stderr
    first, second = map(float, out.stdout.split())
    assert 0.2 <= first < second < 30
    logged = [line for line in out.stderr.splitlines() if line.startswith("startup +")]
    # traced to stderr as reached (2 lines), and both logged once logging was set up (2 more)
    assert len(logged) == 4
    assert sum("early" in line for line in logged) == 2 and sum("late" in line for line in logged) == 2
