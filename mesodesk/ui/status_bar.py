"""Status bar: connection state per hub, why a hub is not connected, the market clock (exchange
time and open/closed, :mod:`mesodesk.core.market_clock`), latency, last event seq id, server URL,
activity.

The notice label says in one line why the console is not connected ("Reconnecting: nothing
is listening on 127.0.0.1:5057 (connection refused)"), or what the app did about it ("The
embedded simulator stopped unexpectedly ...; restarted"). It elides to the space it has
(the full text is its tooltip), so a long message never widens the window.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QWidget

from mesodesk.core.connection_problems import explain_connection_error, session_connect_error
from mesodesk.core.errors import ConnectionState
from mesodesk.core.market_clock import MarketClockReadout
from mesodesk.core.session import Session
from mesodesk.ui.steady_label import SteadyLabel
from mesodesk.ui.theme import colors

LEVELS = ("error", "warn", "ok", "info")


def state_color(state: ConnectionState) -> str:
    c = colors()
    if state == ConnectionState.CONNECTED:
        return c.state_ok
    if state in (ConnectionState.CONNECTING, ConnectionState.RECONNECTING):
        return c.state_warn
    return c.state_bad


def level_color(level: str) -> str:
    c = colors()
    return {"error": c.state_bad, "warn": c.state_warn, "ok": c.state_ok}.get(level, c.muted)


class ElidedLabel(QLabel):
    """A one-line label that elides its text to its width instead of asking for more.

    ``preferred``: it asks for its full text's width, but a narrow window may shrink it
    (to 60 px) rather than grow past the screen.
    """

    def __init__(self, parent: QWidget | None = None, *, preferred: bool = False) -> None:
        super().__init__(parent)
        self._full = ""
        self._preferred = preferred
        policy = QSizePolicy.Policy.Preferred if preferred else QSizePolicy.Policy.Ignored
        self.setSizePolicy(policy, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(60)
        self.setTextFormat(Qt.TextFormat.PlainText)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        if self._preferred:
            hint.setWidth(self.fontMetrics().horizontalAdvance(self._full) + 8)
        return hint

    def full_text(self) -> str:
        return self._full

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(self.width(), self.minimumWidth())
        super().setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, width))


class ConnectionStatus:
    """Owns the status-bar labels; ``refresh()`` re-reads the session (cheap, ~4 Hz)."""

    #: a hub not connected for this long gets its reason shown (a reconnect usually takes less)
    explain_after_s = 1.5

    def __init__(self, bar: QStatusBar, session: Session) -> None:
        self.bar = bar
        self.session = session
        self.hub_labels: dict[str, QLabel] = {}
        for hub in session.hubs:
            label = SteadyLabel()
            label.setObjectName(f"{hub}HubStatus")
            self.hub_labels[hub] = label
            bar.addWidget(label)
        self.notice_label = ElidedLabel()
        self.notice_label.setObjectName("connectionNotice")
        bar.addWidget(self.notice_label, 1)
        self._notice = ""
        self._notice_level = "info"
        self._notice_timer = QTimer(self.notice_label)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.timeout.connect(self.clear_notice)
        self._down_since: float | None = None
        self.market = MarketClockReadout(session.state.server_clock)
        self.market_label = self._permanent(bar, "marketClock", "")
        self._market_shown_at = -float("inf")
        self.latency_label = self._permanent(bar, "latencyStatus", "Round trip of a cheap hub call, every few seconds")
        self.seq_label = self._permanent(bar, "eventSeqStatus", "Last Event Hub sequence id seen")
        self.updates_label = self._permanent(bar, "updatesStatus", "Open positions and stream updates received")
        kind = "Simulator" if session.embedded else "Server"
        # the URL may be long: it gives way (elided, full text in its tooltip) before the window
        # would grow wider than a laptop screen
        self.server_label = ElidedLabel(preferred=True)
        self.server_label.setObjectName("serverStatus")
        bar.addPermanentWidget(self.server_label)
        self.server_label.set_full_text(f"{kind}: {session.url}")
        self.refresh()

    @staticmethod
    def _permanent(bar: QStatusBar, name: str, tip: str) -> QLabel:
        label = SteadyLabel()
        label.setObjectName(name)
        label.setToolTip(tip)
        bar.addPermanentWidget(label)
        return label

    def show_hub(self, hub: str, state: ConnectionState) -> None:
        label = self.hub_labels.get(hub)
        if label is None:
            return
        label.setText(f"<span style='color:{state_color(state)}'>●</span> {hub.capitalize()}: {state.value}")
        label.setToolTip(f"{hub} hub: {state.value}")

    # -- the notice: why not connected, or what the app did ----------------------------------
    def show_notice(self, text: str, level: str = "info", timeout_ms: int | None = None) -> None:
        """Show ``text`` (one line) until replaced, cleared, or ``timeout_ms`` passed. It wins
        over the automatic "Reconnecting: <reason>" explanation while shown."""
        self._notice = text
        self._notice_level = level if level in LEVELS else "info"
        self.bar.clearMessage()  # a transient message would hide it; the notice is the newer news
        self._notice_timer.stop()
        if timeout_ms:
            self._notice_timer.start(timeout_ms)
        self._paint_notice(text, self._notice_level)

    def clear_notice(self) -> None:
        self._notice = ""
        self._notice_timer.stop()
        self._paint_notice("", "info")
        self.refresh()

    @property
    def notice(self) -> str:
        """The text the notice label shows now (explicit or automatic), unelided."""
        return self.notice_label.full_text()

    def _paint_notice(self, text: str, level: str) -> None:
        self.notice_label.setStyleSheet(f"color: {level_color(level)}" if text else "")
        self.notice_label.set_full_text(text)

    def _auto_notice(self) -> str:
        """Why the Control (or another) hub is not connected, once that lasted a moment; else ''."""
        states = {hub: self.session.hub_state(hub) for hub in self.hub_labels}
        down = [hub for hub, state in states.items()
                if state in (ConnectionState.CONNECTING, ConnectionState.RECONNECTING)]
        if not down:
            self._down_since = None
            return ""
        now = time.monotonic()
        if self._down_since is None:
            self._down_since = now
        if now - self._down_since < self.explain_after_s:
            return ""
        error = session_connect_error(self.session)
        if error is None:
            return ""
        problem = explain_connection_error(None, self.session.url, last_error=error)
        verb = "Reconnecting" if ConnectionState.RECONNECTING in states.values() else "Connecting"
        return f"{verb}: {problem.reason}; retrying"

    def refresh(self) -> None:
        state = self.session.state
        for hub in self.hub_labels:
            self.show_hub(hub, self.session.hub_state(hub))
        if not self._notice:
            auto = self._auto_notice()
            if auto != self.notice_label.full_text():
                self._paint_notice(auto, "warn")
        latency = state.latency_ms
        self.latency_label.setText("RTT –" if latency is None else f"RTT {latency:,.0f} ms")
        self.seq_label.setText(f"Event #{state.last_event_seq:,}")
        open_positions = sum(1 for r in state.positions.values() if r.summary.closed_at is None)
        self.updates_label.setText(f"{open_positions} open · {state.stream_updates:,} updates")
        self.refresh_market()

    #: the market clock changes at most this often on screen (seconds)
    market_interval_s = 1.0

    def refresh_market(self, *, force: bool = False) -> None:
        """Exchange time and market state, at most once per :attr:`market_interval_s`."""
        now = time.monotonic()
        if not force and now - self._market_shown_at < self.market_interval_s:
            return
        self._market_shown_at = now
        readout = self.market.read()
        text = f"{readout.time_text} · {readout.state_text}" if readout.state_text else readout.time_text
        if readout.is_open is not None:
            c = colors()
            dot = c.state_ok if readout.is_open else c.muted
            text = f"<span style='color:{dot}'>●</span> {text}"
        if text != self.market_label.text():
            self.market_label.setText(text)
        if readout.tooltip != self.market_label.toolTip():
            self.market_label.setToolTip(readout.tooltip)
