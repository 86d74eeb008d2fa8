"""Toasts and the notification list never move under the pointer; folded entries update in place.

The pointer is moved as a real one is: the cursor position and a mouse move on the window
(the offscreen platform does not move the cursor for QTest's window events)."""

from __future__ import annotations

from uuid import uuid4

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QCursor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMainWindow, QMenu, QWidget

import mesodesk.contract as c
from mesodesk.contract import SignalState
from mesodesk.core.announcements import fold
from mesodesk.core.notices import Notice, describe
from mesodesk.ui.notify.center import NotificationCenter
from mesodesk.ui.notify.center_dock import NOTICE_ROLE, NotificationDock
from mesodesk.ui.notify.toasts import Toast, ToastStack
from tests.contract.contract_factories import build


def exit_on(position_id: int, on: bool = True) -> c.ExitSignalEvent:
    return build(c.ExitSignalEvent).model_copy(update={
        "event_id": uuid4(), "state": SignalState.On if on else SignalState.Off, "position_id": position_id,
        "position_name": f"PCS {position_id}"})


def point_at(window: QWidget, widget: QWidget) -> QPoint:
    return widget.mapTo(window, widget.rect().center())


def move(window: QMainWindow, pos: QPoint) -> None:
    QCursor.setPos(window.mapToGlobal(pos))
    handle = window.windowHandle()
    assert handle is not None
    QTest.mouseMove(handle, pos)


def main_window(qtbot) -> QMainWindow:
    window = QMainWindow()
    window.statusBar().showMessage("ready")
    window.resize(1200, 900)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_toasts_hold_still_under_the_pointer_and_reflow_when_it_leaves(qtbot) -> None:
    window = main_window(qtbot)
    stack = ToastStack(window, "dark")
    stack.seconds, stack.max_visible = 1, 4
    toasts = [stack.show_notice(describe(exit_on(pid))) for pid in (1, 2, 3)]
    assert all(isinstance(t, Toast) for t in toasts)
    a, b, _ = toasts
    assert a is not None and b is not None
    qtbot.waitUntil(lambda: all(t.isVisible() for t in stack.toasts))  # where the trader sees them
    qtbot.wait(50)  # laid out
    button = b.action_buttons["prepare_exit"]
    where = {t: point_at(window, t) for t in stack.toasts}
    move(window, point_at(window, button))
    qtbot.waitUntil(lambda: stack.holding)
    # countdowns pause: a 2 s toast (signals stay twice as long) outlives its time while hovered
    qtbot.wait(2600)
    assert not any(t.closed for t in toasts)
    # new toasts go to the far end (the top) while there is room, then wait; nothing under the pointer moves
    top = stack.show_notice(describe(exit_on(4)))
    assert top is not None and stack.toasts[0] is top
    assert stack.show_notice(describe(exit_on(5))) is None and len(stack.held) == 1
    assert stack.more.isVisible() and "+1 more" in stack.more.text()
    assert {t: point_at(window, t) for t in toasts} == where
    # a toast closed under the pointer leaves a gap: the others stay put
    a.dismiss()
    qtbot.wait(50)
    assert stack._gaps and {t: point_at(window, t) for t in toasts[1:]} == {t: where[t] for t in toasts[1:]}
    # the pointer leaves: reflow, the waiting toast comes in, the new ones move to the corner in order
    move(window, QPoint(20, 20))
    qtbot.waitUntil(lambda: not stack.holding and not stack.held)
    assert [t.notice.event.position_id for t in stack.toasts] == [2, 3, 4, 5]
    assert not stack.more.isVisible()
    qtbot.waitUntil(lambda: all(t.closed for t in toasts[1:]), timeout=5000)  # countdowns run again


def test_a_held_button_holds_the_stack_still_without_hover(qtbot) -> None:
    window = main_window(qtbot)
    stack = ToastStack(window, "dark")
    stack.seconds, stack.max_visible = 60, 6
    a = stack.show_notice(describe(exit_on(7)))
    assert a is not None
    qtbot.waitUntil(a.isVisible)
    qtbot.wait(50)  # laid out
    button = a.action_buttons["prepare_exit"]
    before = point_at(window, button)
    handle = window.windowHandle()
    assert handle is not None
    fired: list[int] = []
    stack.sig_action.connect(lambda notice, action: fired.append(action.payload["position_id"]))
    QTest.mousePress(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, before)
    assert a.pressed and stack.holding
    stack.show_notice(describe(exit_on(8)))
    stack.show_notice(describe(exit_on(9)))
    assert point_at(window, button) == before
    QTest.mouseRelease(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, before)
    assert fired == [7] and a.closed


def _dock(qtbot) -> tuple[QMainWindow, NotificationDock, NotificationCenter]:
    window = main_window(qtbot)
    center = NotificationCenter()
    dock = NotificationDock(center)
    window.setCentralWidget(dock)
    return window, dock, center


def test_the_notification_list_holds_new_entries_while_the_pointer_is_over_it(qtbot, qtmodeltester) -> None:
    window, dock, center = _dock(qtbot)
    for pid in range(1, 6):
        center.ingest(exit_on(pid))
    qtmodeltester.check(dock.model)
    rows = [n.key for n in dock.visible_notices()]
    assert len(rows) == 5
    qtbot.wait(50)  # laid out
    viewport = dock.list.viewport()
    move(window, viewport.mapTo(window, QPoint(40, 30)))
    qtbot.waitUntil(lambda: dock.model.holding)
    first = center.ingest(exit_on(11))
    center.ingest(exit_on(12))
    assert [n.key for n in dock.visible_notices()] == rows  # nothing moved: the rows are the same rows
    assert dock.model.held == 2 and "2 new" in dock.summary.text()
    qtmodeltester.check(dock.model)
    # a folded entry updates in place (same row), even while held
    entry = center.notices[2]
    later = describe(exit_on(entry.event.position_id, on=False))
    fold(entry, later, count=2, span="in 4 s")
    changed: list[int] = []
    dock.model.dataChanged.connect(lambda top, _bottom, *_: changed.append(top.row()))
    center.fold(entry, later)
    assert changed == [rows.index(entry.key)] and center.get(later.key) is entry
    move(window, QPoint(5, 5))
    qtbot.waitUntil(lambda: not dock.model.holding)
    assert first is not None
    assert [n.key for n in dock.visible_notices()] == [center.notices[-1].key, first.key, *rows]
    assert dock.model.held == 0 and "new" not in dock.summary.text()
    qtmodeltester.check(dock.model)


def test_a_row_menu_acts_on_its_entry_even_when_rows_come_in(qtbot) -> None:
    _window, dock, center = _dock(qtbot)
    for pid in (1, 2):
        center.ingest(exit_on(pid))
    index = dock.proxy.index(1, 0)
    target: Notice = index.data(NOTICE_ROLE)
    opened: list[Notice] = []
    dock.sig_activate.connect(opened.append)
    dock._menu(dock.list.visualRect(index).center())
    (popup,) = [m for m in dock.findChildren(QMenu) if m.isVisible()]
    center.ingest(exit_on(3))  # a new row 0: the row under the menu is now another entry
    next(a for a in popup.actions() if a.text() == "Open").trigger()
    popup.close()
    assert opened == [target]
