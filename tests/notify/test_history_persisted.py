"""The notification history survives a restart of the console in the same world (and only there):
the same entries, their text, read flags and dates, in time order; the center shows each with its
date and zone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import Qt

from mesodesk.contract import AgentStatus
from mesodesk.core.notices import describe
from mesodesk.core.notify_history import history_path
from mesodesk.core.session import Session
from mesodesk.core.world import World
from mesodesk.ui.main_window import MainWindow
from mesodesk.ui.notify.manager import NotificationManager
from tests.notify import causes
from tests.ui.aio import run, until
from tests.ui.console import Console, console, reopen

MESSAGES = ["degraded at the open", "back", "lost the broker"]


async def _restart(c: Console, qtbot, tmp_path: Path, world: World | None = None) -> tuple[Session, MainWindow]:
    session, window = reopen(c, qtbot, tmp_path / "config", world)
    await session.start()
    m: NotificationManager = window.notifications
    await until(lambda: session.events.replay_count >= 1 and m.phase() == "live", timeout=20)
    await until(lambda: session.events.last_event_seq_id == c.server.context.events.latest_seq, timeout=20)
    await until(lambda: m.history_restored)  # read by the history's own thread
    return session, window


def test_history_is_kept_across_a_restart_in_the_same_world_only(qloop, qtbot, qapp, tmp_path: Path) -> None:
    qapp.setQuitOnLastWindowClosed(False)  # the windows close and open again; the test's loop runs on

    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await causes.quiet(c)
            m: NotificationManager = c.window.notifications
            await until(lambda: c.session.events.replay_count >= 1 and m.phase() == "live")
            assert not m.center.notices
            agents = c.server.context.agents
            for status, message in zip((AgentStatus.Degraded, AgentStatus.Connected, AgentStatus.Disconnected),
                                       MESSAGES, strict=True):
                agents.set_status(status, message)
            await until(lambda: len(m.center.notices) == 3)
            first = m.center.notices[0]
            m.center.mark_read([first.key])
            # an entry of three days ago (an older day): written as the console writes its entries
            old = describe(first.event)
            old.key, old.title = "older-day-entry", "Agent degraded three days ago"
            old.time = first.time - timedelta(days=3)
            assert m.history is not None
            m.history.put(old)
            before = [(n.key, n.title, n.body, n.time, n.read) for n in m.center.notices]
            assert history_path(c.window.config_dir, c.session.world).parent.name == c.session.world.key
            c.window.close()  # the manager flushes and closes the file

            # the same world again: every entry as it was, the older day first
            session, window = await _restart(c, qtbot, tmp_path)
            try:
                m2: NotificationManager = window.notifications
                restored = [(n.key, n.title, n.body, n.time, n.read) for n in m2.center.notices]
                expected = sorted([*before, (old.key, old.title, old.body, old.time, False)], key=lambda r: r[3])
                assert restored == expected
                assert [n.key for n in m2.center.notices][0] == "older-day-entry"
                times = [n.time for n in m2.center.notices]
                assert times == sorted(times)
                assert m2.center.unread == 3  # the one marked read stays read
                # the replayed events are not entries twice
                assert len({n.key for n in m2.center.notices}) == len(m2.center.notices) == 4
                # newest first in the center, each with its date and zone
                panel = m2.panel
                rows = [panel.proxy.index(r, 0) for r in range(panel.proxy.rowCount())]
                assert [i.data(Qt.ItemDataRole.DisplayRole) for i in rows] == [r[1] for r in reversed(expected)]
                tip = rows[-1].data(Qt.ItemDataRole.ToolTipRole)
                local = old.time.astimezone()
                assert f"{local:%a %d %b}" in tip and f"{local:%H:%M:%S}" in tip and local.tzname() in tip
                # a live event after the restart is added after them, and kept too
                agents.set_status(AgentStatus.Connected, "after the restart")
                await until(lambda: len(m2.center.notices) == 5)
                assert m2.center.notices[-1].body == "after the restart"
            finally:
                await session.stop()
                window.close()

            # another world on the same config folder: none of them
            other = World.embedded(tmp_path / "another-sim-folder")
            session, window = await _restart(c, qtbot, tmp_path, other)
            try:
                m3: NotificationManager = window.notifications
                assert not {n.key for n in m3.center.notices} & {r[0] for r in expected}
            finally:
                await session.stop()
                window.close()

            # and the first world still has them (and the live one) after that
            session, window = await _restart(c, qtbot, tmp_path)
            try:
                m4: NotificationManager = window.notifications
                assert [n.key for n in m4.center.notices][:4] == [r[0] for r in expected]
                assert m4.center.notices[-1].body == "after the restart"
            finally:
                await session.stop()
                window.close()

    try:
        run(qloop, scenario(), timeout=120)
    finally:
        qapp.setQuitOnLastWindowClosed(True)
