"""The signal badge blinks when the set of active signals changes, then stays lit, and its blink
never re-lays out the main window."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import mesodesk.contract as c
from mesodesk.contract import SignalState
from mesodesk.ui.notify.badge import SignalIndicator
from mesodesk.ui.notify.center import NotificationCenter
from tests.contract.contract_factories import build
from tests.ui.test_steady_label import LayoutRequests


def _exit_on(position_id: int) -> Any:
    return build(c.ExitSignalEvent).model_copy(update={
        "event_id": uuid4(), "state": SignalState.On, "position_id": position_id, "event_seq_id": position_id})


def test_the_badge_blinks_for_a_while_after_a_change_then_stays_lit_without_layouts(qtbot: Any) -> None:
    from PySide6.QtWidgets import QMainWindow, QTableView, QToolBar

    center = NotificationCenter()
    window = QMainWindow()
    qtbot.addWidget(window)
    window.setCentralWidget(QTableView())
    badge = SignalIndicator(center)
    badge.timer.setInterval(20)
    badge.blink_seconds = 0.4  # 20 ticks
    toolbar = QToolBar()
    badge.visibility_action = toolbar.addWidget(badge)
    badge.refresh()
    window.addToolBar(toolbar)
    window.show()
    qtbot.waitExposed(window)
    center.ingest(_exit_on(1))
    qtbot.waitUntil(badge.isVisible)
    assert badge.blinking and badge.text().endswith("1 signal")
    spy = LayoutRequests()
    window.installEventFilter(spy)
    toolbar.installEventFilter(spy)
    qtbot.wait(50)  # the layout the new text asked for (the badge grew once)
    spy.count = 0
    lit_changes = 0
    last = badge.lit
    for _ in range(300):  # 1.5 s at most: the blink lasts 0.4 s
        if not badge.blinking:
            break
        qtbot.wait(5)
        lit_changes += badge.lit != last
        last = badge.lit
    assert lit_changes >= 4, "it blinked"
    assert not badge.blinking, "it stopped blinking"
    assert badge.lit, "it ends lit, not dark"
    assert spy.count == 0, "a blink is a repaint, not a layout"
    qtbot.wait(100)
    assert not badge.blinking
    center.ingest(_exit_on(2))  # a new signal: it blinks again
    assert badge.blinking and badge.text().endswith("2 signals")
