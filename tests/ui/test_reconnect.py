"""The console through simulator restarts: shows "Reconnecting", marks data stale, recovers by itself.

The simulator runs in-process on a fixed port and is stopped and started again on the
same SQLite file three times; after each restart the window must reconnect without
any action, clear the stale marks, stream live values again and keep the event log
gap-free.
"""

from __future__ import annotations

from pathlib import Path

from mesodesk.contract import AgentStatus
from mesodesk.sdk import ConnectionState
from mesodesk.sim.server import SimulatorServer
from tests.ui.aio import run, until
from tests.ui.console import API_KEY, column_texts, console

HUBS = ("control", "data", "event")


def test_console_reconnects_after_restarts_and_marks_stale_data(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            positions = c.window.models["positions"]
            await until(lambda: positions.rowCount() == 4 and not positions.stale)
            await until(lambda: all(c.session.hub_state(h) == ConnectionState.CONNECTED for h in HUBS), timeout=30)
            port = c.server.port
            c.server.context.agents.set_status(AgentStatus.Degraded, "before the restarts")
            for cycle in range(3):
                await c.stop_server()
                await until(lambda: positions.stale, timeout=15)
                # Each hub notices the drop on its own socket, in no fixed order (positions go stale
                # with the first of control/data): wait for all three before reading their labels.
                await until(lambda: all(c.session.hub_state(h) != ConnectionState.CONNECTED for h in HUBS),
                            timeout=15)
                for hub in HUBS:
                    state = c.session.hub_state(hub)
                    label = c.window.status_label(f"{hub}HubStatus").text()
                    assert state in (ConnectionState.RECONNECTING, ConnectionState.CONNECTING), (hub, state)
                    assert label.endswith(f"{hub.capitalize()}: {state.value}"), (hub, label)
                c.server = SimulatorServer(tmp_path / "sim", API_KEY, seed=5, tick_interval=0.05)
                await c.server.start(port=port)
                c.server_running = True
                c.server.context.agents.set_status(AgentStatus.Degraded, f"restart {cycle}")
                c.server.context.agents.set_status(AgentStatus.Connected, f"restart {cycle} done")
                await until(lambda: all(c.session.hub_state(h) == ConnectionState.CONNECTED
                                        for h in ("control", "data", "event")), timeout=30)
                await until(lambda: not positions.stale, timeout=15)
                before = column_texts(positions, "pnl")
                await until(lambda before=before: column_texts(positions, "pnl") != before, timeout=15)
            log = c.session.state.events
            latest = c.server.events.latest_seq
            assert latest > 0
            await until(lambda: max(log, default=0) >= latest, timeout=15)
            seqs = sorted(log)
            assert seqs == list(range(1, latest + 1)), "event log has gaps or duplicates across restarts"

    run(qloop, scenario(), timeout=150)
