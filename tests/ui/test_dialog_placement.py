"""Dialogs open centred on the main window and never larger than the screen; cancelling a dialog
(its task included) logs no ERROR."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QDialog, QWidget

from mesodesk.ui.dialog_placement import FRAME_ALLOWANCE, fit_rect, place_dialog
from tests.ui.aio import run, until
from tests.ui.console import API_KEY, console

sizes = st.builds(QSize, st.integers(1, 6000), st.integers(1, 6000))
rects = st.builds(QRect, st.integers(-3000, 3000), st.integers(-3000, 3000), st.integers(200, 4000),
                  st.integers(200, 3000))


@given(size=sizes, centre_on=rects, available=rects)
def test_fit_rect_is_inside_the_screen_and_centred_when_it_can_be(size: QSize, centre_on: QRect,
                                                                   available: QRect) -> None:
    rect = fit_rect(size, centre_on, available)
    border, title = FRAME_ALLOWANCE.width() // 2, FRAME_ALLOWANCE.height() - FRAME_ALLOWANCE.width() // 2
    room_w, room_h = available.width() - FRAME_ALLOWANCE.width(), available.height() - FRAME_ALLOWANCE.height()
    assert rect.width() == min(size.width(), room_w) and rect.height() == min(size.height(), room_h)
    # the frame included, the window is on the screen
    assert rect.left() - border >= available.left() and rect.top() - title >= available.top()
    assert rect.right() + border <= available.right() and rect.bottom() + border <= available.bottom()
    # centred on the anchor unless that would put it off the screen
    cx, cy = centre_on.center().x(), centre_on.center().y()
    half_w, half_h = rect.width() / 2, rect.height() / 2
    fits_x = available.left() + border + half_w <= cx + 1 and cx + half_w <= available.right() - border + 1
    fits_y = available.top() + title + half_h <= cy + 1 and cy + half_h <= available.bottom() - border + 1
    if fits_x:
        assert abs(rect.center().x() - cx) <= 1
    if fits_y:
        assert abs(rect.center().y() - cy) <= 1


def _check(dialog: QWidget, window: QWidget, *, centred: bool) -> None:
    screen = window.screen().availableGeometry()
    geometry = dialog.geometry()
    assert screen.contains(geometry), (dialog.objectName(), geometry, screen)
    assert geometry.width() <= screen.width() and geometry.height() <= screen.height()
    if centred:
        delta = geometry.center() - window.frameGeometry().center()
        assert abs(delta.x()) <= 1 and abs(delta.y()) <= 1, (dialog.objectName(), geometry, window.frameGeometry())


def test_dialogs_open_centred_on_the_window_and_within_the_screen(qloop, qtbot, tmp_path: Path, caplog) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            w = c.window
            await until(lambda: c.session.state.strategies and w.models["positions"].rowCount() >= 2)
            screen = w.screen().availableGeometry()
            w.setGeometry(QRect(screen.left() + 200, screen.top() + 120, 1366, 768))
            await asyncio.sleep(0.05)
            opened = [w.open_settings_dialog(), w.open_connection_dialog(), w.open_user_guide(), w.open_shortcuts(),
                      w.trading.open_strategies(), w.trading.new_position(min(c.session.state.strategies)),
                      w._save_layout_dialog()]
            for dialog in opened:
                _check(dialog, w, centred=True)
                dialog.close()
            # a window near the screen's corner: the dialogs stay on the screen
            w.setGeometry(QRect(screen.right() - 700, screen.bottom() - 400, 1366, 768))
            await asyncio.sleep(0.05)
            for dialog in (w.open_settings_dialog(), w.trading.new_position(min(c.session.state.strategies))):
                _check(dialog, w, centred=False)
                dialog.close()
            # a dialog bigger than the screen is cut to the screen and centred on a centred window
            w.setGeometry(QRect(screen.center().x() - 683, screen.center().y() - 384, 1366, 768))
            huge = QDialog(w)
            huge.resize(screen.width() + 900, screen.height() + 700)
            place_dialog(huge, w)
            assert huge.width() <= screen.width() - FRAME_ALLOWANCE.width()
            assert huge.height() <= screen.height() - FRAME_ALLOWANCE.height()
            _check(huge, w, centred=False)
            delta = huge.geometry().center() - w.frameGeometry().center()
            assert abs(delta.x()) <= 1 and abs(delta.y()) <= FRAME_ALLOWANCE.height() // 2  # the title bar's room

    run(qloop, scenario(), timeout=90)


def test_cancelling_the_connection_test_logs_no_error(qloop, qtbot, tmp_path: Path, caplog) -> None:
    """Cancel the connection dialog while its test runs (at several moments of the test), and close
    an entry and an exit window while they prepare: no ERROR record, nothing in the Errors panel."""
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            w = c.window
            await until(lambda: c.session.state.strategies and w.models["positions"].rowCount() >= 2)
            caplog.set_level(logging.DEBUG)
            for delay in (0.0, 0.05, 0.2):
                dialog = w.open_connection_dialog()
                dialog.remote.setChecked(True)
                dialog.url.setText(c.server.url)
                dialog.api_key.setText(API_KEY)
                dialog.test_connection()
                await asyncio.sleep(delay)
                dialog.reject()
                await asyncio.sleep(0.4)
            entry = w.trading.new_position(min(c.session.state.strategies))
            entry.prepare()
            await asyncio.sleep(0.05)
            entry.close()
            position_id = next(k for k, r in c.session.state.positions.items() if r.is_open)
            exit_window = w.trading.exit_position(position_id)
            assert exit_window is not None
            if exit_window.job is None:
                exit_window.prepare()
            await asyncio.sleep(0.05)
            exit_window.close()
            await asyncio.sleep(0.5)
            errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
            assert not errors, [(r.name, r.getMessage()[:200]) for r in errors]
            assert not c.errors.records, [r.summary for r in c.errors.records]
            assert any("connection test cancelled" in r.getMessage() and r.levelno == logging.DEBUG
                       for r in caplog.records)

    run(qloop, scenario(), timeout=90)
