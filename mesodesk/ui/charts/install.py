"""Chart docks in the main window and the controller that feeds them.

``install_chart_docks(window)`` adds four docks (Position chart, Greeks chart, Risk
graph, Rollups) and wires them:

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
  selection in the Positions blotter puts all selected positions on the risk graph.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QDockWidget, QWidget

from mesodesk.core.history import DATA_ENV, HistoryStore, SeriesRecorder, default_data_dir
from mesodesk.core.settings import CONFIG_ENV, default_config_dir
from mesodesk.ui.charts.placeholders import CHART_DOCKS
from mesodesk.ui.charts.risk_graph import RiskGraphWidget
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
ROLLUP_REFRESH_MS = 250


def history_path(window: MainWindow, data_dir: Path | None = None) -> Path:
    """The history file: one per server ("local" for a simulator on this machine).

    Directory: ``data_dir``, else ``$MESODESK_DATA_DIR``, else ``<config dir>/history``
    when the window runs on a non-default (isolated) config dir, else the
    platformdirs user data dir.
    """
    if data_dir is None:
        config_dir = Path(window.config_dir)
        isolated = bool(os.environ.get(CONFIG_ENV)) or config_dir != default_config_dir()
        data_dir = default_data_dir() if os.environ.get(DATA_ENV) or not isolated else config_dir / "history"
    url = window.session.url or ""
    host = urlsplit(url).hostname or "local"
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    name = "local" if local else re.sub(r"[^A-Za-z0-9.-]+", "_", host)
    return Path(data_dir) / f"history-{name}.sqlite3"


class ChartsController(QObject):
    _sig_loaded = Signal(int, object)  # emitted from the history thread, delivered on the GUI thread

    def __init__(self, window: MainWindow, data_dir: Path | None = None,
                 docks: dict[str, QDockWidget] | None = None) -> None:
        """``docks``: placeholder docks (:mod:`.placeholders`) to fill instead of making new ones."""
        super().__init__(window)
        self.window = window
        self.state = window.session.state
        theme = window.theme
        self.store = HistoryStore(history_path(window, data_dir))
        self.recorder = SeriesRecorder(store=self.store)
        self.selected: int | None = None
        self.frames = 0
        self.position_chart = TimeSeriesPanel("position", POSITION_PLOTS, theme=theme)
        self.greeks_chart = TimeSeriesPanel("greeks", GREEK_PLOTS, theme=theme)
        self.panels = (self.position_chart, self.greeks_chart)
        self.risk_graph = RiskGraphWidget(self.state, theme=theme)
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
        self._risk_timer = self._single_shot(RISK_REFRESH_MS, self.risk_graph.refresh)
        self._rollup_timer = self._single_shot(ROLLUP_REFRESH_MS, self._refresh_rollups)
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
        if not self._placed:
            for dock in d.values():
                w.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        w.docks.update(d)
        w.frames.add(self.on_frame)
        w.sig_position_selected.connect(self.select)
        w.sig_theme_changed.connect(self.set_theme)
        w.sig_closed.connect(self.close)
        view = w.views["positions"]
        view.table.selectionModel().selectionChanged.connect(self._on_positions_selection)
        current = view.current_key()  # built late: catch up with a selection made meanwhile
        if isinstance(current, int):
            self.select(current)
            self._on_positions_selection()

    def set_theme(self, theme: str) -> None:
        for widget in (*self.panels, self.risk_graph, self.rollups):
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
        if changed & set(self.risk_graph.position_ids) and not self._risk_timer.isActive():
            self._risk_timer.start()
        if changed and not self._rollup_timer.isActive():
            self._rollup_timer.start()

    def _refresh_rollups(self) -> None:
        if self.rollups.isVisible():
            self.rollups.refresh()

    def _update_stats(self) -> None:
        pid = self.selected
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

    # -- shutdown ------------------------------------------------------------------------------------
    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._risk_timer.stop()
            self._rollup_timer.stop()
            self.store.close()


def install_chart_docks(window: MainWindow, data_dir: Path | None = None,
                        docks: dict[str, QDockWidget] | None = None) -> ChartsController:
    """Add the chart docks to ``window`` (registered in ``window.docks``), or fill the placeholder
    ``docks`` already there, and start recording history."""
    controller = ChartsController(window, data_dir, docks)
    controller.install()
    return controller
