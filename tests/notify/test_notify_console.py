"""Notifications against the real in-process simulator: all 17 callbacks, click-through, actions,
exactly-once across a reconnect and a restart, do-not-disturb, screenshots."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from mesodesk.contract import EVENT_CALLBACKS, AgentStatus
from mesodesk.core.notices import Notice, is_away_summary
from mesodesk.core.session import Session
from mesodesk.core.settings import load_settings
from mesodesk.ui.errors import ErrorHub
from mesodesk.ui.main_window import MainWindow
from mesodesk.ui.notify.center_dock import AWAY_FILTER
from mesodesk.ui.notify.manager import NotificationManager
from mesodesk.ui.notify.toasts import Toast
from tests.notify import causes
from tests.notify.fake_dbus import PrivateBus, dbus_daemon, serve
from tests.ui.aio import run, until
from tests.ui.console import API_KEY, Console, column_texts, console, unexpected_errors

SHOTS = Path("/tmp/shots")


def manager(c: Console) -> NotificationManager:
    return c.window.notifications  # type: ignore[attr-defined]


def callbacks(m: NotificationManager) -> set[str]:
    return {n.callback for n in m.center.notices}


def notices_of(m: NotificationManager, callback: str, **match: Any) -> list[Notice]:
    return [n for n in m.center.notices if n.callback == callback
            and all(getattr(n.event, k, None) == v for k, v in match.items())]


class ToastLog:
    """Every notice handed to the toast stack (shown, merged or queued)."""

    def __init__(self, m: NotificationManager) -> None:
        self.notices: list[Notice] = []
        original = m.stack.show_notice

        def show(notice: Notice) -> Toast | None:
            self.notices.append(notice)
            return original(notice)

        m.stack.show_notice = show  # type: ignore[method-assign]

    def callbacks(self) -> set[str]:
        return {n.callback for n in self.notices}


def desktop_log(m: NotificationManager) -> list[Notice]:
    sent: list[Notice] = []
    m.desktop.notify = sent.append  # type: ignore[method-assign]
    return sent


def toast_for(m: NotificationManager, callback: str, **match: Any) -> Toast:
    for toast in m.stack.visible_toasts():
        for n in toast.notices:
            if n.callback == callback and all(getattr(n.event, k, None) == v for k, v in match.items()):
                return toast
    raise AssertionError(f"no visible toast for {callback} {match}")


def grab(widget: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    assert widget.grab().save(str(path))
    return path


async def caught_up(c: Console) -> None:
    """Every event the simulator published was delivered to the console."""
    await until(lambda: c.session.events.last_event_seq_id == c.server.context.events.latest_seq, timeout=20)


async def started(c: Console) -> NotificationManager:
    await causes.quiet(c)
    m = manager(c)
    await until(lambda: c.session.events.replay_count >= 1 and m.phase() == "live"
                and c.window.models["positions"].rowCount() >= 4)
    return m


def test_all_17_callbacks_toast_and_enter_the_notification_center(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            c.window.settings.notifications = {"max_toasts": 6, "toast_seconds": 60, "desktop": "always"}
            m = await started(c)
            assert not m.center.notices, "a first run shows none of the server's history"
            m.announcer.settle_seconds = 0.2  # a signal's Off is toasted once it has stayed off this long
            toasts, desktop = ToastLog(m), desktop_log(m)

            position_id = await causes.paper_entry(c)
            await causes.set_agent_status(c, "Degraded", "quote feed lagging 4 s")
            jobs = await causes.prepare_jobs(c)
            entry_strategy = await causes.signals_and_errors(c)
            await causes.clear_exit_signal_and_error(c)
            await caught_up(c)
            assert callbacks(m) == set(EVENT_CALLBACKS), (set(EVENT_CALLBACKS) - callbacks(m), {
                k: (c.server.context.jobs.get(j).status, c.server.context.jobs.get(j).error) for k, j in jobs.items()})

            keys = [n.key for n in m.center.notices]
            assert len(keys) == len(set(keys))
            await until(lambda: {n.key for n in toasts.notices} == set(keys))  # the Offs once settled
            assert toasts.callbacks() == set(EVENT_CALLBACKS)  # one toast (or merged toast) per callback type
            assert len(toasts.notices) == len(keys)  # every notification toasted exactly once
            by_job = {n.event.job_id: n for n in m.center.notices if hasattr(n.event, "job_id")}
            assert by_job[jobs["entry"]].callback == "OnPositionEntryPreparationCompleted"
            assert by_job[jobs["entry_failed"]].callback == "OnPositionEntryPreparationFailed"
            assert "expiration" in by_job[jobs["entry_failed"]].body
            assert by_job[jobs["exit"]].callback == "OnPositionExitPreparationCompleted"
            assert by_job[jobs["exit_failed"]].callback == "OnPositionExitPreparationFailed"
            assert by_job[jobs["adjustment"]].callback == "OnPositionAdjustmentPreparationCompleted"
            assert by_job[jobs["adjustment_failed"]].callback == "OnPositionAdjustmentPreparationFailed"
            assert notices_of(m, "OnPositionUpdate", position_id=position_id)
            assert notices_of(m, "OnEntrySignal", strategy_id=entry_strategy)
            (degraded,) = notices_of(m, "OnAgentStatusChange")
            assert degraded.severity.value == "warning" and "lagging" in degraded.body
            (completed,) = notices_of(m, "OnAutoUpdateVarsAdjustmentCompleted")
            assert "marker = 42" in completed.body
            (failed,) = notices_of(m, "OnAutoUpdateVarsAdjustmentFailed")
            assert failed.severity.value == "error" and "nope_var" in failed.body
            raised, cleared = notices_of(m, "OnError", position_id=causes.BWB)
            assert raised.level_on and cleared.level_on is False and raised.level_key == cleared.level_key

            # level states by key: the BWB exit signal and its error are off again, the entry signal stays On
            assert "exit:3" not in m.center.levels and raised.level_key not in m.center.levels
            assert f"entry:{entry_strategy}:U7654321" in m.center.levels
            assert m.indicator.isVisible() and m.indicator.blinking and "signal" in m.indicator.text()
            assert m.indicator_action.isVisible()

            # badge = unread count; errors stay, other toasts are capped at max_toasts
            assert m.button.count == m.center.unread == len(m.center.notices)
            assert len(m.stack.visible_toasts()) <= 6
            assert all(n.sticky for n in m.stack.queue)  # only errors wait for room; the rest make way
            # sounds per type (rate limited) and OS notifications for the important ones (desktop: always)
            assert m.sounds.played and set(m.sounds.played) <= {"signal", "fill", "error", "warning", "success"}
            assert {n.callback for n in desktop} >= {"OnExitSignal", "OnError", "OnAgentStatusChange",
                                                     "OnPositionEntryPreparationFailed"}
            assert not [n for n in desktop if n.callback == "OnLegUpdate"]

            # the notification center: filter, search, unread, mark read, clear
            panel = m.panel
            m.show_center()
            assert panel.proxy.rowCount() == len(m.center.notices)
            assert panel.visible_notices()[0].seq >= panel.visible_notices()[-1].seq  # newest first
            panel.select_type("OnOrderUpdate")
            assert {n.callback for n in panel.visible_notices()} == {"OnOrderUpdate"}
            panel.select_type(",".join(("OnEntrySignal", "OnExitSignal", "OnAdjustmentSignal")))
            assert {n.callback for n in panel.visible_notices()} == {"OnEntrySignal", "OnExitSignal",
                                                                      "OnAdjustmentSignal"}
            panel.select_type(None)
            panel.search.setText("nope_var")
            assert [n.callback for n in panel.visible_notices()] == ["OnAutoUpdateVarsAdjustmentFailed"]
            panel.search.setText("")
            panel.list.clicked.emit(panel.proxy.index(0, 0))
            assert m.center.unread == len(m.center.notices) - 1
            panel.unread_only.setChecked(True)
            assert panel.proxy.rowCount() == m.center.unread
            panel.unread_only.setChecked(False)

            # screenshots: stacked toasts over the console, the center docked, the center on its own
            grab(c.window, "notify-toasts.png")
            c.window.resizeDocks([m.dock], [520], Qt.Orientation.Horizontal)
            grab(panel, "notify-center.png")
            c.window.apply_theme("light", save=False)
            grab(c.window, "notify-toasts-light.png")
            c.window.apply_theme("dark", save=False)

            m.center.mark_all_read()
            assert m.button.count == 0
            total = len(m.center.notices)
            panel.clear_button.click()
            assert not m.center.notices and panel.proxy.rowCount() == 0 and total > 17
            assert not unexpected_errors(c.errors), unexpected_errors(c.errors)

    run(qloop, scenario(), timeout=120)


def test_click_through_and_signal_action_buttons(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            c.window.settings.notifications = {"max_toasts": 8, "toast_seconds": 60}
            m = await started(c)
            w = c.window
            position_id = await causes.paper_entry(c)
            await until(lambda: notices_of(m, "OnOrderUpdate") and notices_of(m, "OnLegUpdate"))
            order_id = notices_of(m, "OnOrderUpdate")[-1].event.order_id
            await until(lambda: w.views["orders"].proxy.row_of_key(order_id) is not None
                        and w.views["positions"].proxy.row_of_key(position_id) is not None
                        and str(position_id) in column_texts(w.models["orders"], "position"))
            # the two leg updates of one position merge into one toast
            legs_toast = toast_for(m, "OnLegUpdate", position_id=position_id)
            assert len(legs_toast.notices) == 2 and legs_toast.count.text() == "×2"

            # click an order toast -> its position is selected, the order is selected in the Orders blotter
            toast = toast_for(m, "OnOrderUpdate", order_id=order_id)
            QTest.mouseClick(toast, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(40, 12))
            assert w.views["positions"].current_key() == position_id
            assert w.views["orders"].current_key() == order_id
            assert toast.closed and m.center.get(toast.notice.key).read

            # signals: clicking selects the position; the buttons emit the prepare requests.
            # Per-type switches: no toasts for errors and auto-update vars here (the history keeps them).
            m.stack.dismiss_all()
            w.resize(1440, 1500)  # room for every signal toast of this burst
            w.settings.notifications = {**w.settings.notifications, "max_toasts": 10}
            quiet_types = ("OnError", "OnAutoUpdateVarsAdjustmentStarted", "OnAutoUpdateVarsAdjustmentCompleted",
                           "OnAutoUpdateVarsAdjustmentFailed")
            w.settings.notifications = {**w.settings.notifications,
                                        "types": {t: {"toast": False} for t in quiet_types}}
            entry_strategy = await causes.signals_and_errors(c)
            await until(lambda: notices_of(m, "OnExitSignal") and notices_of(m, "OnAdjustmentSignal")
                        and notices_of(m, "OnEntrySignal", strategy_id=entry_strategy))
            assert notices_of(m, "OnError") and not [t for t in m.stack.visible_toasts()
                                                     if t.notice.callback in quiet_types]
            prepare: list[tuple[str, dict[str, Any]]] = []
            positions: list[tuple[str, int]] = []
            m.sig_prepare_requested.connect(lambda kind, payload: prepare.append((kind, payload)))
            w.sig_position_action.connect(lambda action, pid: positions.append((action, pid)))
            exit_toast = toast_for(m, "OnExitSignal", position_id=causes.BWB)
            exit_toast.action_buttons["prepare_exit"].click()
            assert positions[-1] == ("exit", causes.BWB)
            assert prepare[-1][0] == "exit" and prepare[-1][1]["position_id"] == causes.BWB
            adj_toast = toast_for(m, "OnAdjustmentSignal", position_id=causes.BWB)
            assert adj_toast.action_buttons["prepare_adjustment"].text() == "Prepare adjustment"
            adj_toast.action_buttons["prepare_adjustment"].click()
            assert positions[-1] == ("adjust", causes.BWB)
            assert prepare[-1][0] == "adjustment" and prepare[-1][1]["condition"]
            entry_toast = toast_for(m, "OnEntrySignal", strategy_id=entry_strategy)
            entry_toast.action_buttons["prepare_entry"].click()
            assert prepare[-1] == ("entry", {"strategy_id": entry_strategy, "broker_account_id": "U7654321",
                                             "strategy_name": "Entry now"})
            assert len(positions) == 2  # an entry has no position
            w.resize(1440, 880)
            connects = m.feed._connects
            await causes.set_agent_status(c, "Degraded", "quote feed lagging 4 s")
            await until(lambda: notices_of(m, "OnAgentStatusChange"))

            def agent_toast() -> bool:
                try:
                    toast_for(m, "OnAgentStatusChange", message="quote feed lagging 4 s")
                    return True
                except AssertionError:
                    # a loaded machine may drop and re-open the Event hub: then the event arrives in the
                    # replay ("while you were away") and its toast (or the summary) comes when it ends
                    return m.feed._connects > connects and any(is_away_summary(t.notice) for t in m.stack.toasts)

            try:
                await until(agent_toast, 10)
            except AssertionError:
                agent_seq = notices_of(m, "OnAgentStatusChange")[0].seq
                raise AssertionError([(n.callback, n.seq, n.title) for n in m.center.notices if n.seq >= agent_seq - 3]
                                     + [t.notice.title for t in m.stack.toasts] + [len(m.stack.queue)]
                                     + [m.phase(), len(m._away), m.feed._connects, connects]) from None
            grab(w, "notify-toasts-mixed.png")
            (exit_notice,) = notices_of(m, "OnExitSignal", position_id=causes.BWB)
            w.views["positions"].table.clearSelection()
            assert m.open_target(exit_notice)
            assert w.views["positions"].current_key() == causes.BWB

            # agent toast -> Agents blotter row; position filter text is cleared when it hides the row
            await causes.set_agent_status(c, "Disconnected", "agent lost its broker session")
            await until(lambda: notices_of(m, "OnAgentStatusChange", message="agent lost its broker session"))
            await until(lambda: w.views["agents"].proxy.rowCount() >= 1)
            (agent,) = notices_of(m, "OnAgentStatusChange", message="agent lost its broker session")
            assert agent.sticky and m.open_target(agent) and w.views["agents"].current_key() == "Simulated"
            w.views["positions"].filter.setText("no such position")
            assert m.open_target(exit_notice) and w.views["positions"].filter.text() == ""

            # a prepared result: the hook for the trading engineer, else a read-only summary
            c.server.context.jobs.delay = 0
            job = (await c.session.control.start_prepare_position_exit(position_id=causes.BWB)).job_id
            await until(lambda: notices_of(m, "OnPositionExitPreparationCompleted", job_id=job))
            (prepared,) = notices_of(m, "OnPositionExitPreparationCompleted", job_id=job)
            assert m.open_target(prepared) and m.dialogs  # nothing connected: the summary dialog
            assert f"job {job}" in m.dialogs[-1].windowTitle()
            m.dialogs[-1].close()
            opened: list[tuple[str, str]] = []
            m.sig_open_prepared.connect(lambda kind, job_id: opened.append((kind, job_id)))
            connects = m.feed._connects

            def prepared_toast() -> Toast | None:
                try:
                    return toast_for(m, "OnPositionExitPreparationCompleted", job_id=job)
                except AssertionError:
                    return None

            def replayed() -> bool:  # a loaded machine re-opened the Event hub: the event came in the replay
                return m.feed._connects > connects and m.phase() == "live" and prepared_toast() is None \
                    and any(is_away_summary(t.notice) for t in m.stack.toasts)

            try:
                await until(lambda: prepared_toast() is not None or replayed(), 10)
            except AssertionError:
                raise AssertionError([t.notice.callback for t in m.stack.visible_toasts()] + [
                    m.stack.holding, len(m.stack.held), len(m.stack.queue), m.phase(), m.feed._connects, connects]) from None
            toast = prepared_toast()
            if toast is not None:
                QTest.mouseClick(toast, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(40, 12))
            else:  # in the "while you were away" summary: the history row opens it the same way
                assert m.open_target(prepared)
            assert opened == [("exit", job)]
            assert w.views["positions"].current_key() == causes.BWB
            assert not unexpected_errors(c.errors), unexpected_errors(c.errors)

    run(qloop, scenario(), timeout=120)


def test_exactly_once_across_a_reconnect_with_replay_and_a_restart(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            c.window.settings.notifications = {"toast_seconds": 60, "max_toasts": 8}
            m = await started(c)
            events = c.session.events
            await causes.set_agent_status(c, "Degraded", "before the drop")
            await causes.signals_and_errors(c)
            await caught_up(c)
            before = {n.key for n in m.center.notices}
            levels_before = dict(m.center.levels)
            exits_before = len(notices_of(m, "OnExitSignal"))
            assert not any(n.away for n in m.center.notices)
            replays = events.replay_count
            flushed: list[int] = []
            m.sig_away_flushed.connect(flushed.append)

            await causes.drop_event_hub(c)
            # missed while disconnected: two events; the exit signal and the error stay active (pushed on connect)
            agents = c.server.context.agents  # published synchronously: the client cannot be back yet
            agents.set_status(AgentStatus.Disconnected, "while away 1")
            agents.set_status(AgentStatus.Connected, "while away 2")
            await until(lambda: events.replay_count > replays and m.phase() == "live", timeout=20)
            await until(lambda: flushed)
            away = [n for n in m.center.notices if n.away]
            assert [n.event.message for n in away] == ["while away 1", "while away 2"]
            assert flushed == [2]
            assert {n.key for n in m.center.notices} == before | {n.key for n in away}  # nothing twice
            # the active signals/errors pushed on connect were neither repeated nor lost
            assert len(notices_of(m, "OnExitSignal")) == exits_before and m.center.levels.keys() == levels_before.keys()
            for n in away:
                assert toast_for(m, "OnAgentStatusChange", message=n.event.message).tag.isVisibleTo(
                    toast_for(m, "OnAgentStatusChange", message=n.event.message))
            m.panel.select_type(AWAY_FILTER)
            assert [n.key for n in m.panel.visible_notices()] == [n.key for n in reversed(away)]

            # a second drop with no news: the replay and the on-connect push add nothing
            count = len(m.center.notices)
            replays = events.replay_count
            await causes.drop_event_hub(c)
            await until(lambda: events.replay_count > replays and m.phase() == "live", timeout=20)
            assert len(m.center.notices) == count

            # live again after the reconnect: not "away"
            await causes.set_agent_status(c, "Degraded", "live after reconnect")
            await until(lambda: notices_of(m, "OnAgentStatusChange", message="live after reconnect"))
            assert not notices_of(m, "OnAgentStatusChange", message="live after reconnect")[0].away
            m.save_cursor()
            assert m.history is not None
            m.history.flush().result(timeout=10)
            seen_keys = {n.key for n in m.center.notices}

            # "restart": a new session + window with the same config dir. Events after the persisted
            # notification cursor were missed while mesodesk was closed; nothing before it shows again.
            c.server.context.agents.set_status(AgentStatus.Disconnected, "while the app was closed")
            session = Session(c.server.url, API_KEY, embedded=True)
            window = MainWindow(session, ErrorHub(), config_dir=tmp_path / "config")
            qtbot.addWidget(window)
            window.show()
            try:
                await session.start()
                m2: NotificationManager = window.notifications  # type: ignore[attr-defined]
                await until(lambda: m2.phase() == "live" and any(n.key not in seen_keys for n in m2.center.notices),
                            timeout=20)
                await until(lambda: not m2._away and m2.history_restored)
                # the history of the first run is back (persisted), and only the missed event is new
                assert [n.key for n in m2.center.notices if n.key in seen_keys] == [
                    n.key for n in sorted(m.center.notices, key=lambda n: (n.time, n.seq)) if n.key in seen_keys]
                new = [n for n in m2.center.notices if n.key not in seen_keys]
                assert [n.event.message for n in new] == ["while the app was closed"]
                assert new[0].away
                assert m2.center.levels.keys() == m.center.levels.keys()  # level states restored, not re-notified
            finally:
                await session.stop()
                window.close()

    run(qloop, scenario(), timeout=120)


def test_do_not_disturb_silences_desktop_and_sound_but_not_toasts_or_history(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            c.window.settings.notifications = {"desktop": "always"}
            m = await started(c)
            sent = desktop_log(m)
            m.action_dnd.setChecked(True)  # the toolbar menu's "Do not disturb"
            assert m.tray.action_dnd.isChecked() and m.button.text() == "Do not disturb"
            assert c.window.settings.notifications["do_not_disturb"] is True
            assert load_settings(tmp_path / "config").notifications["do_not_disturb"] is True
            await causes.set_agent_status(c, "Disconnected", "quiet please")
            await until(lambda: notices_of(m, "OnAgentStatusChange"))
            assert toast_for(m, "OnAgentStatusChange")
            assert sent == [] and m.sounds.played == []
            m.tray.action_dnd.setChecked(False)  # the tray menu's switch
            assert not m.action_dnd.isChecked()
            await causes.set_agent_status(c, "Degraded", "loud again")
            await until(lambda: len(notices_of(m, "OnAgentStatusChange")) == 2)
            assert [n.event.message for n in sent] == ["loud again"] and m.sounds.played == ["warning"]
            # "unfocused": only while the window is in the background / minimised
            c.window.settings.notifications = {**c.window.settings.notifications, "desktop": "unfocused"}
            c.window.showMinimized()
            assert m.wants_desktop()
            c.window.settings.notifications = {**c.window.settings.notifications, "desktop": "never"}
            assert not m.wants_desktop()
            c.window.showNormal()
            # the tray menu: show/hide, connection state, quit
            assert m.tray.action_connection.text() == "Connection: connected"
            m.tray.toggle_window()
            assert not c.window.isVisible()
            m.tray.toggle_window()
            assert c.window.isVisible()

    run(qloop, scenario(), timeout=90)


@pytest.mark.skipif(dbus_daemon() is None, reason="dbus-daemon is not installed (apt: dbus-daemon)")
def test_desktop_notifications_reach_a_real_dbus_notification_server(qloop, qtbot, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    bus = PrivateBus()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)

    async def scenario() -> None:
        server_bus, server = await serve(bus.address)
        try:
            async with console(qtbot, tmp_path) as c:
                c.window.settings.notifications = {"desktop": "always"}
                m = await started(c)
                await causes.set_agent_status(c, "Disconnected", "broker session lost")
                await until(lambda: server.calls, timeout=15)
                assert m.desktop.mode == "native"
                call = server.calls[-1]
                assert call["app_name"] == "mesodesk"
                assert call["summary"] == "Simulated agent disconnected" and call["body"] == "broker session lost"
                assert "default" in call["actions"]  # clickable
                assert call["hints"]["urgency"].value == 2  # an error: critical
                assert toast_for(m, "OnAgentStatusChange")  # the in-app toast fires as well
                assert m.desktop.sent[-1] == (call["summary"], call["body"], "native")
                # the user clicks the OS notification: the window comes up with the agent selected
                await until(lambda: c.window.views["agents"].proxy.rowCount() >= 1)
                c.window.views["agents"].table.clearSelection()
                server.ActionInvoked(call["id"], "default")
                await until(lambda: c.window.views["agents"].current_key() == "Simulated", timeout=10)
                # do not disturb: no OS notification, the history still records
                m.set_do_not_disturb(True)
                await causes.set_agent_status(c, "Degraded", "quiet")
                await until(lambda: notices_of(m, "OnAgentStatusChange", message="quiet"))
                await asyncio.sleep(0.3)
                assert len(server.calls) == 1
                m.shutdown()
        finally:
            server_bus.disconnect()
            await asyncio.sleep(0.05)

    try:
        run(qloop, scenario(), timeout=60)
    finally:
        bus.stop()


def test_without_a_session_bus_desktop_falls_back_silently(qloop, qtbot, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mesodesk-test-bus")

    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            c.window.settings.notifications = {"desktop": "always"}
            m = await started(c)
            await causes.set_agent_status(c, "Disconnected", "no bus here")
            await until(lambda: m.desktop.mode is not None, timeout=10)
            assert m.desktop.mode in ("tray", "none")  # offscreen has no tray: "none"
            assert toast_for(m, "OnAgentStatusChange", message="no bus here")
            assert not unexpected_errors(c.errors)

    run(qloop, scenario(), timeout=60)
