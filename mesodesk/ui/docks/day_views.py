"""The Trade history and Today docks in the main window.

``install_day_views(window)`` makes both docks (keys ``tradeHistory`` and ``today`` in
``window.docks``; the default layout places them, a saved layout restores them) and, unless
``deferred``, their contents: the two widgets, the world's day marks
(:mod:`mesodesk.core.day_marks`) and the Today view hooked to the window's frames. The app
defers the contents until the first live rows are painted (``MainWindow.build_deferred_panels``
calls :meth:`DayViews.build`); until then each dock shows a "Loading" label.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QLabel

from mesodesk.core.day_marks import DayMarksFile, day_marks_path
from mesodesk.core.today import TodayBook
from mesodesk.ui.docks.table_dock import BlotterView, make_dock
from mesodesk.ui.docks.today import TodayWidget
from mesodesk.ui.docks.trade_history import TradeHistoryWidget

if TYPE_CHECKING:
    from mesodesk.core.history import HistoryStore  # numpy: comes with the charts, after the first live paint
    from mesodesk.ui.main_window import MainWindow

#: dock key -> (title, object name)
DAY_DOCKS: dict[str, tuple[str, str]] = {
    "tradeHistory": ("Trade history", "tradeHistoryDock"),
    "today": ("Today", "todayDock"),
}


def _placeholder(key: str) -> QLabel:
    label = QLabel("Loading…")
    label.setObjectName(f"{key}Placeholder")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setEnabled(False)
    return label


class DayViews(QObject):
    """Owns the two docks, their widgets (made by :meth:`build`), the day-marks file and their shutdown."""

    marks_file: DayMarksFile
    book: TodayBook
    trade_history: TradeHistoryWidget
    today: TodayWidget

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.docks: dict[str, QDockWidget] = {
            key: make_dock(title, name, _placeholder(key)) for key, (title, name) in DAY_DOCKS.items()}
        self.built = False
        self._closed = False

    def install(self) -> None:
        w = self.window
        for dock in self.docks.values():
            w.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        w.docks.update(self.docks)
        w.sig_closed.connect(self.close)

    def build(self) -> None:
        """Fill the docks (once): the widgets and the day's marks, the Today view on the window's frames."""
        if self.built or self._closed:
            return
        self.built = True
        w = self.window
        world = w.session.world
        self.marks_file = DayMarksFile(day_marks_path(world, w.config_dir), world.key)
        self.book = TodayBook(self.marks_file.load(), self.marks_file.save)
        state = w.session.state
        self.trade_history = TradeHistoryWidget(state, self._history, theme=w.theme)
        self.today = TodayWidget(state, self.book)
        for key, widget in (("tradeHistory", self.trade_history), ("today", self.today)):
            placeholder = self.docks[key].widget()
            self.docks[key].setWidget(widget)
            if placeholder is not None:
                placeholder.deleteLater()
        # its tab brought to front: the chart it skipped while behind another tab
        self.docks["tradeHistory"].visibilityChanged.connect(
            lambda visible: visible and QTimer.singleShot(0, self.trade_history.chart_if_seen))
        for view in self.views():
            view.restore_header_state(w.qsettings)
        w.frames.add(self.today.on_frame)
        w.sig_theme_changed.connect(self.trade_history.set_theme)

    def _history(self) -> HistoryStore | None:
        charts = self.window.charts
        return charts.store if charts is not None else None

    def views(self) -> list[BlotterView]:
        """The tables of both docks (their column widths and order are kept like the blotters'); none before
        :meth:`build`."""
        if not self.built:
            return []
        return [self.trade_history.view, self.trade_history.fills_view, *self.today.views.values()]

    def close(self) -> None:
        """Save the day's marks (and wait for the write) and the tables' columns; detach from the state."""
        if self._closed:
            return
        self._closed = True
        if not self.built:
            return
        for view in self.views():
            view.save_header_state(self.window.qsettings)
        self.book.flush()
        self.marks_file.close()
        self.trade_history.close_sources()
        self.today.close_sources()


def install_day_views(window: MainWindow, *, deferred: bool = False) -> DayViews:
    views = DayViews(window)
    views.install()
    if not deferred:
        views.build()
    return views
