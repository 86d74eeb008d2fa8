"""Against the real in-process simulator: a flapping exit signal is announced once each way (toasts and
sounds counted) while the history keeps every event, and a toast's action acts on its own position even
when toasts arrive between the mouse press and release."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

from mesodesk.contract import ExitSignalEvent
from mesodesk.core.announcements import OFF_SETTLE_SECONDS
from mesodesk.core.notices import Notice
from mesodesk.sim.seed import load_strategy_definition
from mesodesk.ui.notify.manager import NotificationManager
from mesodesk.ui.notify.toasts import Toast
from tests.core.test_notify_feed import Clock
from tests.notify import causes
from tests.notify.test_notify_console import caught_up, grab, started, toast_for
from tests.ui.aio import run, until
from tests.ui.console import Console, console, unexpected_errors


def exit_definition(source: str, on: bool) -> dict[str, Any]:
    """``source``'s definition with only an exit rule that holds (``on``) or cannot hold."""
    definition = load_strategy_definition(source)
    definition["Exit"].update(ProfitTarget="-1000000" if on else "1000000", StopLoss="1000000",
                              MaxDaysInTrade=400, Conditions=[])
    definition["Adjustment"]["ConditionalAdjustments"] = {}
    return definition


async def set_exit(c: Console, strategy_id: int, source: str, on: bool) -> None:
    await c.session.control.update_strategy(strategy_id=strategy_id, strategy_definition=exit_definition(source, on))
    c.server.context.signals.evaluate_once()
    await caught_up(c)


class Announced:
    """What reached the trader's eyes and ears: every toast request and every sound request."""

    def __init__(self, m: NotificationManager) -> None:
        self.toasts: list[Notice] = []
        self.sounds: list[tuple[str, Notice | None]] = []
        show, play = m.stack.show_notice, m.sounds.play

        def show_notice(notice: Notice) -> Toast | None:
            self.toasts.append(notice)
            return show(notice)

        def play_sound(name: str) -> bool:
            self.sounds.append((name, self.toasts[-1] if self.toasts else None))
            return play(name)

        m.stack.show_notice = show_notice  # type: ignore[method-assign]
        m.sounds.play = play_sound  # type: ignore[method-assign]

    def of(self, level_key: str) -> tuple[list[Notice], list[str]]:
        return ([n for n in self.toasts if n.level_key == level_key],
                [name for name, n in self.sounds if n is not None and n.level_key == level_key])


def test_a_flapping_exit_signal_is_announced_once_each_way_and_the_history_keeps_every_event(
        qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            c.window.settings.notifications = {"toast_seconds": 60, "max_toasts": 8}
            m = await started(c)
            clock = Clock()  # the announcer's time: 4 s between evaluations without waiting for them
            m.announcer.clock, m.announcer.call_later = (lambda: clock.now), clock.call_later
            await set_exit(c, causes.BWB, "spx_broken_wing_butterfly.json", on=False)
            first_seq = c.server.context.events.latest_seq
            announced = Announced(m)

            # P&L straddles the target: On and off on every evaluation, 20 times in 80 s
            for flip in range(20):
                if flip:
                    clock.advance(4)
                await set_exit(c, causes.BWB, "spx_broken_wing_butterfly.json", on=flip % 2 == 0)
            published = [e.event for e in c.server.context.events.since(first_seq, 1000)
                         if isinstance(e.event, ExitSignalEvent) and e.event.position_id == causes.BWB]
            assert [e.state.value for e in published] == ["On", "Off"] * 10  # the simulator did flap 20 times

            toasts, sounds = announced.of(f"exit:{causes.BWB}")
            assert [n.title for n in toasts] == [f"Exit signal ON — {published[0].position_name}"]
            assert sounds == ["signal"]
            # the history: the On, and one entry the other 19 flips folded into, saying so
            rows = [n for n in m.center.notices if n.level_key == f"exit:{causes.BWB}"]
            assert len(rows) == 2
            entry = rows[1]
            assert entry.title.startswith("Exit signal flipped 20× in 76 s — ") and entry.body.startswith("now off")
            held = [k for row in rows for k in (row.key, *(f.key for f in row.folded))]
            assert sorted(held) == sorted(str(e.event_id) for e in published)  # every event, once
            m.show_center()
            assert entry in m.panel.visible_notices()

            # it stays off: once settled, the Off is announced once (no sound for an Off), with the summary
            clock.advance(OFF_SETTLE_SECONDS)
            toasts, sounds = announced.of(f"exit:{causes.BWB}")
            assert [n.title for n in toasts][1:] == [entry.title] and sounds == ["signal"]
            assert toast_for(m, "OnExitSignal", position_id=causes.BWB, state=published[-1].state).notice is entry
            assert len([n for n in m.center.notices if n.level_key == f"exit:{causes.BWB}"]) == 2
            c.window.resizeDocks([m.dock], [700], Qt.Orientation.Horizontal)
            await asyncio.sleep(0.3)  # shown and laid out
            grab(c.window, "notify-flapping.png")  # the two toasts and the folded entry in the center
            assert not unexpected_errors(c.errors), unexpected_errors(c.errors)

    run(qloop, scenario(), timeout=150)


class Pointer:
    """A mouse button on the main window, delivered as Qt delivers it: the press goes to the widget under
    the pointer, the release to that same widget (the implicit grab) at the same window position.

    Sent directly (QTest's window events process events, which re-enters the asyncio loop's tasks)."""

    def __init__(self, window: QWidget, pos: QPoint) -> None:
        self.window, self.pos = window, pos
        self.grabber: QWidget | None = None

    def _send(self, kind: QEvent.Type, buttons: Qt.MouseButton) -> None:
        assert self.grabber is not None
        local = QPointF(self.grabber.mapFrom(self.window, self.pos))
        event = QMouseEvent(kind, local, QPointF(self.pos), QPointF(self.window.mapToGlobal(self.pos)),
                            Qt.MouseButton.LeftButton, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(self.grabber, event)

    def press(self) -> QWidget:
        self.grabber = self.window.childAt(self.pos)
        self._send(QEvent.Type.MouseButtonPress, Qt.MouseButton.LeftButton)
        return self.grabber

    def release(self) -> None:
        self._send(QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton)


def test_a_toast_action_acts_on_its_own_position_when_toasts_arrive_during_the_click(
        qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            w = c.window
            w.settings.notifications = {"toast_seconds": 60, "max_toasts": 8}
            m = await started(c)
            w.resize(1440, 1000)
            await set_exit(c, causes.BWB, "spx_broken_wing_butterfly.json", on=True)
            toast = toast_for(m, "OnExitSignal", position_id=causes.BWB)
            await until(toast.isVisible)
            await asyncio.sleep(0.1)  # laid out
            button = toast.action_buttons["prepare_exit"]
            prepare: list[tuple[str, dict[str, Any]]] = []
            actions: list[tuple[str, int]] = []
            m.sig_prepare_requested.connect(lambda kind, payload: prepare.append((kind, payload)))
            w.sig_position_action.connect(lambda action, pid: actions.append((action, pid)))

            # the trader presses position #3's "Prepare exit" …
            pointer = Pointer(w, button.mapTo(w, button.rect().center()))
            assert pointer.press() is button and button.isDown()
            # … and exit signals for positions #1 and #4 (strategy 1) arrive before the release
            await set_exit(c, 1, "spx_put_credit_spread.json", on=True)
            await until(lambda: {1, 4} <= {getattr(n.event, "position_id", None) for n in m.center.notices
                                          if n.callback == "OnExitSignal"})
            arrived = [t for t in m.stack.toasts if t.notice.callback == "OnExitSignal"]
            assert len(arrived) + len(m.stack.held) >= 3
            await asyncio.sleep(0.1)  # whatever the stack does, it has done it
            pointer.release()

            assert actions == [("exit", causes.BWB)]
            assert [(kind, payload["position_id"]) for kind, payload in prepare] == [("exit", causes.BWB)]
            trade = w.trading.windows[-1]
            name = c.session.state.positions[causes.BWB].summary.name
            assert trade.position_id == causes.BWB
            assert f"#{causes.BWB}" in trade.windowTitle() and name in trade.windowTitle()
            # the button is up: the stack reflows and the toasts that waited come in
            await until(lambda: not m.stack.holding and not m.stack.held)
            assert {t.notice.event.position_id for t in m.stack.toasts if t.notice.callback == "OnExitSignal"} \
                >= {1, 4}
            assert not unexpected_errors(c.errors), unexpected_errors(c.errors)

    run(qloop, scenario(), timeout=120)


def test_flips_missed_while_away_fold_into_one_entry_and_count_in_the_summary(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            c.window.settings.notifications = {"toast_seconds": 60, "max_toasts": 8}
            m = await started(c)
            await set_exit(c, causes.BWB, "spx_broken_wing_butterfly.json", on=False)
            events, world = c.session.events, c.server.world
            first_seq = c.server.context.events.latest_seq
            replays = events.replay_count
            flushed: list[int] = []
            m.sig_away_flushed.connect(flushed.append)
            await causes.drop_event_hub(c)
            # six flips while the console is disconnected (published synchronously: it cannot be back yet)
            for flip in range(6):
                strategy = world.strategies[causes.BWB]
                definition = exit_definition("spx_broken_wing_butterfly.json", on=flip % 2 == 0)
                world.save_strategy(strategy.model_copy(update={"strategy_definition": definition}))
                c.server.context.signals.evaluate_once()
            await until(lambda: events.replay_count > replays and m.phase() == "live" and flushed, timeout=20)
            published = [e.event for e in c.server.context.events.since(first_seq, 1000)
                         if isinstance(e.event, ExitSignalEvent) and e.event.position_id == causes.BWB]
            assert len(published) == 6
            (entry,) = [n for n in m.center.notices if n.level_key == f"exit:{causes.BWB}" and n.away]
            assert entry.title.startswith("Exit signal flipped 6× while you were away — ")
            assert entry.body.startswith("now off") and entry.event_count == 6
            assert [entry.key, *(f.key for f in entry.folded)] == [str(e.event_id) for e in published]
            missed = sum(n.event_count for n in m.center.notices if n.away)
            assert missed >= 6 and flushed == [len([n for n in m.center.notices if n.away])]

    run(qloop, scenario(), timeout=90)
