"""Qt-light unit tests: the center's dedupe and level states, prefs, sounds, toasts, the settings page.

The text of the 17 notices is tested without Qt in tests/core/test_notices.py."""

from __future__ import annotations

import wave
from uuid import uuid4

from PySide6.QtWidgets import QMainWindow, QWidget

import mesodesk.contract as c
from mesodesk.contract import ErrorState, SignalState
from mesodesk.core.notices import EVENT_TYPES, Notice, Severity, describe
from mesodesk.core.settings import Settings, load_settings, save_settings
from mesodesk.ui.dialogs.settings_dialog import SettingsDialog
from mesodesk.ui.notify.center import NotificationCenter
from mesodesk.ui.notify.prefs import SOUNDS, NotificationPrefs
from mesodesk.ui.notify.settings_page import NotificationSettingsPage
from mesodesk.ui.notify.sounds import SoundPlayer, sound_path
from mesodesk.ui.notify.toasts import ToastStack
from tests.contract.contract_factories import build


def test_center_dedupes_by_event_id_and_tracks_level_states(qapp) -> None:
    center = NotificationCenter()
    levels: list[int] = []
    center.sig_levels_changed.connect(levels.append)
    raised = build(c.ErrorEvent).model_copy(update={"state": ErrorState.Raised})
    assert center.ingest(raised) is not None
    assert center.ingest(raised) is None  # same EventId: never twice
    again = raised.model_copy(update={"event_id": uuid4()})  # the same active state pushed again
    assert center.ingest(again) is None
    assert center.active_error_count() == 1 and levels == [1]
    cleared = raised.model_copy(update={"state": ErrorState.Cleared, "event_id": uuid4()})
    notice = center.ingest(cleared)
    assert notice is not None and notice.severity is Severity.SUCCESS
    assert center.active_error_count() == 0 and levels == [1, 0]
    assert center.unread == 2
    center.mark_read([notice.key])
    assert center.unread == 1
    center.mark_all_read()
    assert center.unread == 0
    center.record_state(build(c.ExitSignalEvent).model_copy(update={"state": SignalState.On, "event_id": uuid4()}))
    assert center.active_signal_count() == 1 and len(center.notices) == 2
    center.clear()
    assert not center.notices and center.active_signal_count() == 1  # levels are state, not history


def test_prefs_round_trip_and_defaults() -> None:
    prefs = NotificationPrefs()
    assert set(prefs.rules) == set(EVENT_TYPES)
    assert prefs.rule("OnExitSignal").sound == "signal" and not prefs.rule("OnLegUpdate").desktop
    prefs.do_not_disturb = True
    prefs.rule("OnLegUpdate").toast = False
    data = prefs.to_dict()
    again = NotificationPrefs.from_dict(data)
    assert again.do_not_disturb and not again.rule("OnLegUpdate").toast
    junk = NotificationPrefs.from_dict({"desktop": "sometimes", "toast_seconds": 999, "types": {"OnNope": {}}})
    assert junk.desktop == "unfocused" and junk.toast_seconds == 60
    assert NotificationPrefs.from_dict(None).toasts


def test_bundled_sounds_are_short_valid_wavs(qapp) -> None:
    for name in SOUNDS:
        with wave.open(str(sound_path(name))) as wav:
            seconds = wav.getnframes() / wav.getframerate()
            assert wav.getnchannels() == 1 and wav.getsampwidth() == 2 and 0.05 < seconds < 1.0
    player = SoundPlayer(min_gap=10.0, backend="none")
    assert player.play("signal") and not player.play("error")  # rate limited
    assert player.played == ["signal"]
    assert not SoundPlayer(backend="none").play("no-such-sound")


def _notice(model: type, **changes: object) -> Notice:
    return describe(build(model).model_copy(update={"event_id": uuid4(), **changes}))


def test_toast_stack_auto_dismisses_keeps_errors_merges_and_makes_room(qtbot) -> None:
    window = QMainWindow()
    window.resize(1200, 900)
    qtbot.addWidget(window)
    window.show()
    stack = ToastStack(window, "dark")
    stack.seconds, stack.max_visible = 1, 3
    info = stack.show_notice(_notice(c.PositionUpdateEvent))
    error = stack.show_notice(_notice(c.ErrorEvent, state=ErrorState.Raised))
    assert info is not None and error is not None and error.sticky and not info.sticky
    assert stack.isVisible() and stack.geometry().right() <= window.width()
    qtbot.waitUntil(lambda: info.closed, timeout=3000)  # non-errors dismiss themselves
    qtbot.wait(300)
    assert not error.closed  # errors stay until dismissed
    order = _notice(c.OrderUpdateEvent, state=c.OrderState.Working, rejection=None)
    toast = stack.show_notice(order)
    filled = describe(order.event.model_copy(update={"event_id": uuid4(), "state": c.OrderState.Filled}))
    assert stack.show_notice(filled) is toast and toast.count.text() == "×2"  # one toast per order
    assert "filled" in toast.title.text()
    errors = [stack.show_notice(_notice(c.ErrorEvent, state=ErrorState.Raised)) for _ in range(3)]
    assert len(stack.visible_toasts()) == 3 and toast.closed  # the plain toast made room first
    assert errors[-1] in stack.visible_toasts() and len(stack.queue) == 1  # then an error waits
    assert stack.more.isVisible() and "+1 more" in stack.more.text()
    errors[-1].dismiss()
    assert not stack.queue and len(stack.visible_toasts()) == 3
    stack.dismiss_all()
    assert not stack.visible_toasts() and not stack.isVisible()


def test_settings_dialog_has_a_notifications_tab(qtbot, tmp_path) -> None:
    settings = Settings()
    dialog = SettingsDialog(settings, {"positions": "Positions"})
    qtbot.addWidget(dialog)
    page = dialog.findChild(QWidget, "notificationSettings")
    assert isinstance(page, NotificationSettingsPage)
    assert "Notifications" in [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    page.dnd.setChecked(True)
    page.type_toast["OnLegUpdate"].setChecked(False)
    page.type_sound["OnOrderUpdate"].setCurrentIndex(page.type_sound["OnOrderUpdate"].findData("success"))
    applied: list[Settings] = []
    dialog.sig_settings_applied.connect(applied.append)
    dialog.accept()
    prefs = NotificationPrefs.from_dict(applied[0].notifications)
    assert prefs.do_not_disturb and not prefs.rule("OnLegUpdate").toast
    assert prefs.rule("OnOrderUpdate").sound == "success"
    save_settings(applied[0], tmp_path)
    assert NotificationPrefs.from_dict(load_settings(tmp_path).notifications).do_not_disturb
