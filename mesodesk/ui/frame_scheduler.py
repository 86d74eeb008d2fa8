"""Runs model ``sync()`` at most once per screen frame.

A table that goes dirty asks for a frame; the first request arms a single-shot
timer at the screen's refresh interval (capped at 60 Hz) and later requests in
the same frame are free. When the timer fires every registered model syncs.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication


def frame_interval_ms(max_hz: float = 60.0) -> int:
    screen = QGuiApplication.primaryScreen()
    hz = screen.refreshRate() if screen is not None else max_hz
    hz = min(max(hz, 1.0), max_hz)
    return max(1, round(1000.0 / hz))


class FrameScheduler(QObject):
    def __init__(self, parent: QObject | None = None, max_hz: float = 60.0) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(frame_interval_ms(max_hz))
        self._timer.timeout.connect(self._run_frame)
        self._callbacks: list[Callable[[], None]] = []
        self.frames = 0

    def add(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def request(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _run_frame(self) -> None:
        self.frames += 1
        for callback in list(self._callbacks):
            callback()
