"""Cyclic garbage collection only at safe points, from the GUI event loop.

Python's automatic collector runs wherever an allocation crosses its threshold -- also
inside a Qt call that holds one of Qt's internal locks. Collecting a reference cycle that
owns a QObject there runs the C++ destructor, which may need the same lock: the process
hangs (seen in CI: a garbage ``QMenu``'s actions destroyed inside the ``QObject::disconnect``
of a pyqtgraph item being added, both waiting on Qt's connection mutex). So the automatic
collector is off and a timer collects, generation by generation, from the event loop --
the pattern of pyqtgraph's ``GarbageCollector``.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 250


class GuiGarbageCollector(QObject):
    """While alive: automatic collection disabled, a timer collecting what is due."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self.collections = 0
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(interval_ms)

    def check(self) -> None:
        """Collect the generations whose counts passed their thresholds (as CPython would)."""
        count0, count1, count2 = gc.get_count()
        if count0 > self.thresholds[0]:
            generation = 0
            if count1 > self.thresholds[1]:
                generation = 2 if count2 > self.thresholds[2] else 1
            gc.collect(generation)
            self.collections += 1

    def stop(self) -> None:
        """Back to automatic collection (after one full collection here)."""
        self._timer.stop()
        gc.collect()
        gc.enable()
