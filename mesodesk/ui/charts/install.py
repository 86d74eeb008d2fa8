"""Chart docks in the main window and the controller that feeds them.

``install_chart_docks(window)`` adds five docks (Position chart, Greeks chart, Risk
graph, Risk monitor, Rollups) and wires them:

* every frame of the window's :class:`~mesodesk.ui.frame_scheduler.FrameScheduler`
  (a frame is requested whenever a state table goes dirty) the
  :class:`~mesodesk.core.history.SeriesRecorder` samples the positions whose
  streamed row changed into ring buffers (and the batched SQLite history); only
  then do the panels of the selected position redraw -- one ``setData`` per curve
  per frame at most, whatever the tick rate;
* the risk graph and rollups recompute at most a few times a second (trailing
  single-shot timers), the risk graph instantly on what-if control moves;
* ``sig_position_selected`` picks the charted position (its stored history is loaded
  in the history thread and merged in front of the live samples); a multi-row
  selection in the Positions blotter puts all selected positions on the risk graph;
  the blotter's "Show in risk monitor" puts up to four of them in the risk monitor.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QDockWidget, QWidget

from mesodesk.core.history import HistoryStore, SeriesRecorder
from mesodesk.core.index_quotes import IndexQuotes
from mesodesk.core.world import data_root, world_folder
from mesodesk.core.world_legacy import adopt_legacy_history
from mesodesk.ui.charts.on_screen import on_screen
from mesodesk.ui.charts.placeholders import CHART_DOCKS
from mesodesk.ui.charts.risk_graph import RiskGraphWidget
from mesodesk.ui.charts.risk_monitor import RiskMonitorWidget
from mesodesk.ui.charts.rollups_view import RollupsWidget
from mesodesk.ui.charts.style import fmt_value
from mesodesk.ui.charts.timeseries import PlotSpec, SeriesSpec, TimeSeriesPanel
from mesodesk.ui.docks.table_dock import make_dock

if TYPE_CHECKING:
    from mesodesk.ui.main_window import MainWindow

POSITION_PLOTS = (
    PlotSpec("underlying", "Underlying", (SeriesSpec("underlying", "", "underlying"),)),
    PlotSpec("pnl", "P/L", (SeriesSpec("pnl", "mark", "pnl"),), band=("pnl_bid", "pnl_ask"), stretch=2),
    PlotSpec("drawdown", "Drawdown", (SeriesSpec("drawdown", "", "drawdown", fill=True),)),
)
GREEK_PLOTS = (
    PlotSpec("delta", "Delta", (SeriesSpec("delta", "", "greeks.delta"),)),
    PlotSpec("gamma", "Gamma", (SeriesSpec("gamma", "", "greeks.gamma", places=4),)),
    PlotSpec("theta", "Theta", (SeriesSpec("theta", "", "greeks.theta"),)),
    PlotSpec("vega", "Vega", (SeriesSpec("vega", "", "greeks.vega"),)),
)
RISK_REFRESH_MS = 500
#: the risk monitor's dock (key, title, object name): made here, placed by the window's layout
RISK_MONITOR_DOCK = ("riskMonitor", "Risk monitor", "riskMonitorDock")
SHOW_IN_MONITOR = "showInRiskMonitor"
ROLLUP_REFRESH_MS = 250


#: the chart history's file in its world's folder
HISTORY_FILE = "history.sqlite3"


def history_path(window: MainWindow, data_dir: Path | None = None) -> Path:
    """The chart history of the session's world: ``<data root>/worlds/<world key>/history.sqlite3``.

    Data root: ``data_dir``, else :func:`mesodesk.core.world.data_root` of the window's config
    dir. A remote server's old per-host file is moved there the first time (see
    :mod:`mesodesk.core.world_legacy`).
    """
    world = window.session.world
    root = Path(data_dir) if data_dir is not None else data_root(window.config_dir)
    path = world_folder(world, root) / HISTORY_FILE
    adopt_legacy_history(world, root, path)
    return path


class ChartsController(QObject):
    _sig_loaded = Signal(int, object)  # emitted from the history thread, delivered on the GUI thread

    def __init__(self, window: MainWindow, data_dir: Path | None = None,
                 docks: dict[str, QDockWidget] | None = None) -> None:
        """``docks``: placeholder docks (:mod:`.placeholders`) to fill instead of making new ones."""
        super().__init__(window)
        self.window = window
        self.state = window.session.state
        theme = window.theme
        self.store = HistoryStore(history_path(window, data_dir), world_key=window.session.world.key)
        self.recorder = SeriesRecorder(store=self.store)
        self.selected: int | None = None
        self.frames = 0
        self.position_chart = TimeSeriesPanel("position", POSITION_PLOTS, theme=theme)
        self.greeks_chart = TimeSeriesPanel("greeks", GREEK_PLOTS, theme=theme)
        self.panels = (self.position_chart, self.greeks_chart)
        for panel in self.panels:  # "Hide closed hours" is remembered per chart
            key = f"charts/{panel.name}/compressClosedHours"
            panel.set_compressed(bool(window.qsettings.value(key, True, type=bool)))
            panel.sig_compress_changed.connect(lambda on, key=key: window.qsettings.setValue(key, on))
        def betas() -> dict[str, float]:
            return window.settings.betas

        self.index_quotes = IndexQuotes(window.session, lambda: window.desk.provider())  # the desk comes later
        self.risk_graph = RiskGraphWidget(self.state, theme=theme, betas=betas, index_quotes=self.index_quotes)
        self.risk_monitor = RiskMonitorWidget(self.state, theme=theme, betas=betas)
        self.rollups = RollupsWidget(self.state, theme=theme)
        widgets: dict[str, QWidget] = {"positionChart": self.position_chart, "greeksChart": self.greeks_chart,
                                       "riskGraph": self.risk_graph, "rollups": self.rollups}
        self._placed = docks is not None
        if docks is not None:
            for key, widget in widgets.items():
                old = docks[key].widget()
                docks[key].setWidget(widget)
                if old is not None:
                    old.deleteLater()
            self.docks = dict(docks)
        else:
            self.docks = {key: make_dock(title, name, widgets[key]) for key, (title, name) in CHART_DOCKS.items()}
        key, title, name = RISK_MONITOR_DOCK
        if key in self.docks:  # a placeholder made for it
            old = self.docks[key].widget()
            self.docks[key].setWidget(self.risk_monitor)
            if old is not None:
                old.deleteLater()
            self._monitor_placed = True
        else:
            self.docks[key] = make_dock(title, name, self.risk_monitor)
            self._monitor_placed = False
        self._risk_timer = self._single_shot(RISK_REFRESH_MS, self._refresh_risk)
        self._rollup_timer = self._single_shot(ROLLUP_REFRESH_MS, self._refresh_rollups)
        #: inputs changed while the widget could not be seen: refresh when it shows again
        self._risk_stale = self._rollups_stale = self._monitor_stale = False
        self._risk_changed: set[int] = set()  # positions changed since the last risk refresh
        self._sig_loaded.connect(self._on_history_loaded)
        self._closed = False

    def _single_shot(self, ms: int, slot: Any) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(ms)
        timer.timeout.connect(slot)
        return timer

    # -- wiring -----------------------------------------------------------------------------
    def install(self) -> None:
        w = self.window
        d = self.docks
        # Docked here; the main window's default layout places them (the middle column).
        for key, dock in d.items():
            if not self._placed or (key == RISK_MONITOR_DOCK[0] and not self._monitor_placed):
                w.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        w.docks.update(d)
        for dock in d.values():  # a dock brought to the front (its tab raised, reopened) catches up
            dock.visibilityChanged.connect(self._on_dock_visibility)
        w.installEventFilter(self)  # un-minimised: catch up
        w.frames.add(self.on_frame)
        w.sig_position_selected.connect(self.select)
        w.sig_theme_changed.connect(self.set_theme)
        w.sig_closed.connect(self.close)
        view = w.views["positions"]
        view.table.selectionModel().selectionChanged.connect(self._on_positions_selection)
        view.add_row_action(SHOW_IN_MONITOR, "Show in risk monitor")
        view.sig_row_action.connect(self._on_row_action)
        current = view.current_key()  # built late: catch up with a selection made meanwhile
        if isinstance(current, int):
            self.select(current)
            self._on_positions_selection()

    def set_theme(self, theme: str) -> None:
        for widget in (*self.panels, self.risk_graph, self.risk_monitor, self.rollups):
            widget.set_theme(theme)

    # -- per frame ------------------------------------------------------------------------------
    def on_frame(self) -> None:
        """Sample changed rows into the ring buffers, then redraw what is dirty (once per frame)."""
        self.frames += 1
        changed = self.recorder.poll(self.state.positions.values())
        if self.selected is not None and self.selected in changed:
            for panel in self.panels:
                panel.mark_dirty()
            self._update_stats()
        for panel in self.panels:
            panel.redraw()
        self._risk_changed |= changed
        if changed & set(self.risk_graph.position_ids) and on_screen(self.risk_graph):
            self.risk_graph.update_header()
        if changed and on_screen(self.risk_monitor):
            self.risk_monitor.update_headers(changed)
        if changed and not self._risk_timer.isActive():
            self._risk_timer.start()
        if changed and not self._rollup_timer.isActive():
            self._rollup_timer.start()

    def _refresh_risk(self) -> None:
        """The risk graph and the monitor's panels whose positions changed, if they can be seen (a
        graph skips the work when its inputs are unchanged); the rest when they show again."""
        changed, self._risk_changed = self._risk_changed, set()
        self._risk_stale = not on_screen(self.risk_graph)
        if not self._risk_stale and (changed & set(self.risk_graph.position_ids)
                                     or self.risk_graph.scope_bar.scope.kind != "selection"):
            self.risk_graph.refresh()
        if on_screen(self.risk_monitor):
            self.risk_monitor.refresh(changed)
        else:
            self._monitor_stale = True

    def _refresh_rollups(self) -> None:
        self._rollups_stale = not on_screen(self.rollups)
        if not self._rollups_stale:
            self.rollups.refresh()

    def _on_dock_visibility(self, visible: bool) -> None:
        if visible:  # on_screen() is only true once the dock is laid out: look on the next turn
            QTimer.singleShot(0, self._catch_up)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.WindowStateChange and watched is self.window:
            QTimer.singleShot(0, self._catch_up)
        return False

    def _catch_up(self) -> None:
        """What changed while hidden: panels redraw next frame (still dirty), the rest now."""
        if self._closed:
            return
        if self._risk_stale:
            self.risk_graph.refresh()
            self._risk_stale = not on_screen(self.risk_graph)
        if self._monitor_stale and on_screen(self.risk_monitor):
            self._monitor_stale = False
            self.risk_monitor.refresh()
        if self._rollups_stale:
            self._refresh_rollups()
        self._update_stats()
        self.window.frames.request()

    def _update_stats(self) -> None:
        pid = self.selected
        if not on_screen(self.position_chart):
            return  # _catch_up writes them when the chart shows
        if pid is None:
            self.position_chart.stats.setText("")
            return
        dd = self.recorder.drawdown(pid)
        mdd = self.recorder.max_drawdown(pid)
        peak = self.recorder.peaks.get(pid, math.nan)
        self.position_chart.stats.setText(
            f"Drawdown {fmt_value(dd if dd is not None else math.nan)} · max {fmt_value(mdd if mdd is not None else math.nan)}"
            f" · peak P/L {fmt_value(peak if math.isfinite(peak) else math.nan)}"
        )

    # -- selection ----------------------------------------------------------------------------------
    def select(self, position_id: int | None) -> None:
        self.selected = position_id
        if position_id is None:
            for panel in self.panels:
                panel.set_source(lambda: None)
            self._update_stats()
            return
        self.recorder.poll(self.state.positions.values())
        row = self.state.positions.get(position_id)
        title = f"#{position_id} {row.summary.name} · {row.underlying or ''}" if row is not None else f"#{position_id}"
        buffer = self.recorder.buffer(position_id)
        for panel in self.panels:
            panel.set_source(buffer.view, f"<b>{title}</b>")
        self._update_stats()
        if position_id not in self.recorder.loaded and not self._closed:
            self.recorder.loaded.add(position_id)
            future = self.store.load(position_id, self.recorder.capacity)
            future.add_done_callback(lambda f, pid=position_id: self._sig_loaded.emit(pid, f))
        view = self.window.views["positions"]
        if len(view.selected_rows()) <= 1:
            self.risk_graph.set_positions([position_id])
        self.window.frames.request()

    def _on_history_loaded(self, position_id: int, future: Any) -> None:
        if future.exception() is not None:
            return
        self.recorder.merge_history(position_id, future.result())
        if position_id == self.selected:
            for panel in self.panels:
                panel.mark_dirty()
            self._update_stats()
            self.window.frames.request()

    def _on_positions_selection(self, *_: Any) -> None:
        view = self.window.views["positions"]
        keys = [view.proxy.key_at(r) for r in view.selected_rows()]
        ids = [int(k) for k in keys if isinstance(k, int)]
        if len(ids) > 1:
            self.risk_graph.set_positions(ids)
        elif ids:
            self.risk_graph.set_positions(ids)

    def _on_row_action(self, action: str, key: Any) -> None:
        if action != SHOW_IN_MONITOR:
            return
        view = self.window.views["positions"]
        ids = [int(k) for r in view.selected_rows() if isinstance(k := view.proxy.key_at(r), int)]
        self.show_in_monitor(ids if int(key) in ids else [int(key)])

    def show_in_monitor(self, position_ids: list[int]) -> None:
        """Put up to four positions in the risk monitor and bring its dock to the front."""
        dock = self.docks[RISK_MONITOR_DOCK[0]]
        dock.show()
        dock.raise_()
        self.risk_monitor.set_positions(position_ids)

    # -- shutdown ------------------------------------------------------------------------------------
    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._risk_timer.stop()
            self._rollup_timer.stop()
            self.index_quotes.close()
            self.store.close()


def install_chart_docks(window: MainWindow, data_dir: Path | None = None,
                        docks: dict[str, QDockWidget] | None = None) -> ChartsController:
    """Add the chart docks to ``window`` (registered in ``window.docks``), or fill the placeholder
    ``docks`` already there, and start recording history."""
    controller = ChartsController(window, data_dir, docks)
    controller.install()
    return controller
