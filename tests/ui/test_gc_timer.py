"""Cyclic garbage is collected from the event loop, never by the automatic collector."""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject

from mesodesk.ui.gc_timer import GuiGarbageCollector


class _Cycle:
    def __init__(self) -> None:
        self.me = self
        self.owner = QObject()  # a QObject kept alive only by a reference cycle


def test_cycles_are_collected_by_the_timer_and_automatic_gc_is_restored(qtbot) -> None:
    collector = GuiGarbageCollector(interval_ms=10)
    try:
        assert not gc.isenabled()
        before = gc.get_count()[0]
        for _ in range(5 * gc.get_threshold()[0]):
            _Cycle()
        assert gc.get_count()[0] > before  # nothing collected automatically meanwhile
        qtbot.waitUntil(lambda: collector.collections > 0, timeout=2000)
        assert gc.get_count()[0] < gc.get_threshold()[0]
    finally:
        collector.stop()
    assert gc.isenabled()
