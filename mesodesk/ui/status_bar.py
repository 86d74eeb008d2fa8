"""Status bar: connection state per hub, latency, last event seq id, server URL, activity."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar

from mesodesk.core.errors import ConnectionState
from mesodesk.core.session import Session
from mesodesk.ui.theme import colors


def state_color(state: ConnectionState) -> str:
    c = colors()
    if state == ConnectionState.CONNECTED:
        return c.state_ok
    if state in (ConnectionState.CONNECTING, ConnectionState.RECONNECTING):
        return c.state_warn
    return c.state_bad


class ConnectionStatus:
    """Owns the status-bar labels; ``refresh()`` re-reads the session (cheap, ~4 Hz)."""

    def __init__(self, bar: QStatusBar, session: Session) -> None:
        self.session = session
        self.hub_labels: dict[str, QLabel] = {}
        for hub in session.hubs:
            label = QLabel()
            label.setObjectName(f"{hub}HubStatus")
            self.hub_labels[hub] = label
            bar.addWidget(label)
        self.latency_label = self._permanent(bar, "latencyStatus", "Round trip of a cheap hub call, every few seconds")
        self.seq_label = self._permanent(bar, "eventSeqStatus", "Last Event Hub sequence id seen")
        self.updates_label = self._permanent(bar, "updatesStatus", "Open positions and stream updates received")
        kind = "Simulator" if session.embedded else "Server"
        self.server_label = self._permanent(bar, "serverStatus", f"{kind} URL")
        self.server_label.setText(f"{kind}: {session.url}")
        self.refresh()

    @staticmethod
    def _permanent(bar: QStatusBar, name: str, tip: str) -> QLabel:
        label = QLabel()
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

    def refresh(self) -> None:
        state = self.session.state
        for hub in self.hub_labels:
            self.show_hub(hub, self.session.hub_state(hub))
        latency = state.latency_ms
        self.latency_label.setText("RTT –" if latency is None else f"RTT {latency:,.0f} ms")
        self.seq_label.setText(f"Event #{state.last_event_seq:,}")
        open_positions = sum(1 for r in state.positions.values() if r.summary.closed_at is None)
        self.updates_label.setText(f"{open_positions} open · {state.stream_updates:,} updates")
