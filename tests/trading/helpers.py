"""Helpers for driving the real trading widgets: clicks, typing, screenshots, waits."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit, QWidget

from mesodesk.ui.trading.flow import TradeWindow
from tests.ui.aio import until
from tests.ui.console import Console

SHOTS = Path("/tmp/shots")


def click(widget: QAbstractButton) -> None:
    assert widget.isVisible(), f"{widget.objectName()} is not visible"
    assert widget.isEnabled(), f"{widget.objectName()} is disabled"
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(widget.width() // 2, widget.height() // 2))


def type_into(edit: QLineEdit, text: str) -> None:
    """Replace the field's text the way a user does: select all, type."""
    edit.setFocus()
    QTest.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(edit, Qt.Key.Key_Backspace)
    if text:
        QTest.keyClicks(edit, text)


def choose(combo: QComboBox, data: Any) -> None:
    """Pick an entry with the keyboard: focus, then arrow keys until ``data`` is current."""
    target = combo.findData(data)
    assert target >= 0, f"{data!r} not in {combo.objectName()}"
    combo.setFocus()
    while combo.currentIndex() != target:
        key = Qt.Key.Key_Down if combo.currentIndex() < target else Qt.Key.Key_Up
        QTest.keyClick(combo, key)


def toolbar_button(c: Console, name: str) -> QAbstractButton:
    button = c.window.toolbar.findChild(QWidget, f"toolbar_{name}")
    assert isinstance(button, QAbstractButton), name
    return button


async def new_window(c: Console, before: int) -> TradeWindow:
    trading = c.window.trading  # type: ignore[attr-defined]
    await until(lambda: len(trading.windows) > before)
    return trading.windows[-1]


async def prepared(w: TradeWindow, timeout: float = 20.0) -> None:
    await until(lambda: w.plan is not None and w.review.continue_button.isEnabled(), timeout)
    await asyncio.sleep(0.3)  # a few live quote ticks


async def shot(widget: QWidget, name: str) -> Path:
    await asyncio.sleep(0.35)  # pending layouts and a live refresh
    os.makedirs(SHOTS, exist_ok=True)
    path = SHOTS / f"trading-{name}.png"
    assert widget.grab().save(str(path))
    return path
