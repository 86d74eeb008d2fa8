"""At start-up, what was missed while the console was closed is one toast (the event log shows the
events themselves), and no toast covers the event log; toasts take the theme's colours."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect
from PySide6.QtGui import QColor

from mesodesk.contract import AgentStatus
from mesodesk.core.notices import Notice, Severity, is_away_summary
from mesodesk.ui import theme
from mesodesk.ui.main_window import MainWindow
from mesodesk.ui.notify.manager import NotificationManager
from mesodesk.ui.notify.style import palette
from mesodesk.ui.notify.toasts import Toast
from tests.notify import causes
from tests.ui.aio import run, until
from tests.ui.console import console, reopen

MISSED = 3  # few enough that a reconnect toasts them one by one: at start-up it is still one toast


def _in_window(window: MainWindow, toast: Toast) -> QRect:
    return QRect(toast.mapTo(window, toast.rect().topLeft()), toast.size())


def _luminance(color: QColor) -> float:
    return 0.2126 * color.redF() + 0.7152 * color.greenF() + 0.0722 * color.blueF()


def test_startup_replay_is_one_toast_that_leaves_the_event_log_readable(qloop, qtbot, qapp, tmp_path: Path) -> None:
    qapp.setQuitOnLastWindowClosed(False)

    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await causes.quiet(c)
            m: NotificationManager = c.window.notifications
            await until(lambda: c.session.events.replay_count >= 1 and m.phase() == "live")
            agents = c.server.context.agents
            agents.set_status(AgentStatus.Degraded, "before closing")
            await until(lambda: m.center.notices)
            c.window.close()
            for i in range(MISSED):  # while the console is closed
                agents.set_status(AgentStatus.Disconnected if i % 2 else AgentStatus.Degraded, f"missed {i}")

            session, window = reopen(c, qtbot, tmp_path / "config")
            window.resize(1600, 1000)
            m2: NotificationManager = window.notifications
            shown: list[Notice] = []
            original = m2.stack.show_notice
            m2.stack.show_notice = lambda n: (shown.append(n), original(n))[1]  # type: ignore[method-assign]
            flushed: list[int] = []
            m2.sig_away_flushed.connect(flushed.append)
            try:
                await session.start()
                await until(lambda: flushed, timeout=20)
                # every missed event is in the history; one toast says how many
                away = [n for n in m2.center.notices if n.away]
                assert [n.body for n in away] == [f"missed {i}" for i in range(MISSED)]
                assert flushed == [MISSED]
                assert len(shown) == 1 and is_away_summary(shown[0])
                assert shown[0].title == f"{MISSED} events while you were away"
                # live events after the start-up toast as usual, up to the stack's limit
                for i in range(4):
                    agents.set_status(AgentStatus.Degraded if i % 2 else AgentStatus.Disconnected, f"live {i}")
                await until(lambda: len(m2.stack.visible_toasts()) >= 3)
                await until(lambda: m2.stack.isVisible())
                events = window.docks["events"]
                assert events.isVisible()
                log_area = events.geometry()
                for toast in m2.stack.visible_toasts():
                    assert not _in_window(window, toast).intersects(log_area), (
                        _in_window(window, toast), log_area)
                # the event log moved to the left: the toasts take the corner again, still off it
                window.removeDockWidget(events)
                window.addDockWidget(window.dockWidgetArea(window.docks["positions"]), events)
                events.show()
                await until(lambda: not any(_in_window(window, t).intersects(events.geometry())
                                            for t in m2.stack.visible_toasts()))
            finally:
                await session.stop()
                window.close()

    try:
        run(qloop, scenario(), timeout=120)
    finally:
        qapp.setQuitOnLastWindowClosed(True)


def test_toasts_follow_the_theme(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            await causes.quiet(c)
            m: NotificationManager = c.window.notifications
            await until(lambda: c.session.events.replay_count >= 1 and m.phase() == "live")
            m.settings_seconds = 60
            c.window.settings.notifications = {"toast_seconds": 60}
            c.server.context.agents.set_status(AgentStatus.Disconnected, "broker gone")  # an error: it stays
            await until(lambda: m.stack.visible_toasts())
            toast = m.stack.visible_toasts()[0]
            assert toast.notice.severity is Severity.ERROR
            backgrounds = {}
            for name in ("light", "dark"):
                c.window.apply_theme(name, save=False)
                image = toast.grab().toImage()
                pixel = image.pixelColor(toast.width() // 2, 3)  # inside the border, above the text
                pal = palette(name)
                assert pixel.name() == QColor(pal.background).name(), (name, pixel.name())
                assert toast.title.palette().windowText().color().name() == QColor(pal.text).name() or \
                    pal.text in toast.styleSheet()
                # the severity colour is the theme's own error colour
                themed = theme.LIGHT if name == "light" else theme.DARK
                assert pal.accents[Severity.ERROR] == themed.state_bad
                assert themed.state_bad in toast.styleSheet()
                backgrounds[name] = pixel
            assert _luminance(backgrounds["light"]) > 0.8 > 0.3 > _luminance(backgrounds["dark"])

    run(qloop, scenario(), timeout=60)
