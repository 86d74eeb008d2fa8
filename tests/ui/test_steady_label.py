"""A changing status-bar number must not lay out the whole main window again."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QTableView

from mesodesk.ui.steady_label import SteadyLabel


class LayoutRequests(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def _requests_while_counting(qtbot: Any, label: QLabel) -> int:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.setCentralWidget(QTableView())
    window.statusBar().addPermanentWidget(label)
    window.show()
    qtbot.waitExposed(window)
    label.setText("1,000,000 updates")  # the widest text comes first
    spy = LayoutRequests()
    window.installEventFilter(spy)
    window.statusBar().installEventFilter(spy)
    for _ in range(50):  # the window's own first layouts settle: a quiet 100 ms
        before = spy.count
        qtbot.wait(100)
        if spy.count == before:
            break
    spy.count = 0
    for n in range(40):
        label.setText(f"{n:,} updates")
        QApplication.processEvents()
    return spy.count


def test_a_steady_label_changing_its_text_requests_no_layout(qtbot: Any) -> None:
    assert _requests_while_counting(qtbot, SteadyLabel()) == 0


def test_a_plain_label_would(qtbot: Any) -> None:
    # the reason SteadyLabel exists: if Qt stopped doing this, the class could go
    assert _requests_while_counting(qtbot, QLabel()) > 0


def test_a_steady_label_grows_for_a_wider_text_and_never_shrinks(qtbot: Any) -> None:
    label = SteadyLabel("RTT 9 ms")
    qtbot.addWidget(label)
    narrow = label.width()
    label.setText("RTT 12,345 ms")
    wide = label.width()
    assert wide > narrow and label.sizeHint().width() <= wide
    label.setText("RTT 1 ms")
    assert label.width() == wide and label.text() == "RTT 1 ms"


def test_a_line_label_in_a_dock_changing_its_text_requests_no_layout_of_the_window(qtbot: Any) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDockWidget, QVBoxLayout, QWidget

    from mesodesk.ui.steady_label import LineLabel

    window = QMainWindow()
    qtbot.addWidget(window)
    window.setCentralWidget(QTableView())
    body = QWidget()
    readout = LineLabel("", rich=True)
    QVBoxLayout(body).addWidget(readout)
    dock = QDockWidget("Risk")
    dock.setWidget(body)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.show()
    qtbot.waitExposed(window)
    spy = LayoutRequests()
    window.installEventFilter(spy)
    for _ in range(50):
        before = spy.count
        qtbot.wait(100)
        if spy.count == before:
            break
    spy.count = 0
    for n in range(40):
        readout.setText(f"<b>now</b> SPX {6000 + n * 11.5:,.2f} &nbsp; Δ {n * 1.25:,.2f}")
        QApplication.processEvents()
    assert spy.count == 0
    assert readout.text().endswith("Δ 48.75") and readout.label.text() == readout.text()


def test_a_plain_line_label_elides_to_its_width_and_keeps_the_full_text(qtbot: Any) -> None:
    from mesodesk.ui.steady_label import LineLabel

    label = LineLabel("Risk graph: " + "PCS 45DTE #1, " * 20)
    qtbot.addWidget(label)
    label.resize(200, label.height())
    label.show()
    assert label.text().startswith("Risk graph: PCS") and len(label.label.text()) < len(label.text())
    assert label.label.text().endswith("…") and label.toolTip() == label.text()
