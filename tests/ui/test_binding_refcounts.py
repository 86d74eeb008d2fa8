"""Guard against Qt binding releases that corrupt reference counts.

PySide6 6.12.0 on Python 3.11 drops one reference to ``None`` on every call of a
void C++ method (``QLabel.setText``, ``QTableWidgetItem.setText``...) and crashes
in ``Signal.emit``: a console that repaints for a few minutes would abort with
"deallocating None". pyproject.toml therefore excludes it; this test fails if a
binding with that defect is installed. Python 3.12+ makes ``None`` immortal, so the
check only means something on 3.11.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import sys
from PySide6.QtCore import QAbstractTableModel, QModelIndex
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
class Model(QAbstractTableModel):
    def rowCount(self, parent=QModelIndex()): return 3
    def columnCount(self, parent=QModelIndex()): return 3
    def data(self, index, role=0): return None
model, label = Model(), QLabel()
before = sys.getrefcount(None)
for _ in range(500):
    label.setText("x")
    model.dataChanged.emit(model.index(0, 0), model.index(1, 1))
print(sys.getrefcount(None) - before)
"""


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12")
def test_void_calls_and_emits_keep_none_refcount() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""})
    assert out.returncode == 0, f"the Qt binding crashed: {out.stderr[-400:]}"
    assert abs(int(out.stdout.strip())) < 50, f"None refcount drifted by {out.stdout.strip()} over 1,000 calls"
