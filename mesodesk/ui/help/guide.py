"""Help → User guide and Help → Keyboard shortcuts: offline, inside the app.

The guide's text is ``user_guide.md`` in this package (shipped as package data, so the
wheel, the .deb and the frozen app carry it). It is rendered each time it opens, with:

* ``{{sign_convention}}``: the sign convention as its one owner states it, the module text of
  :mod:`mesodesk.core.trading.pricing` (so the guide cannot drift from the code);
* ``{{clock_speed}}``: the simulator clock's speed as the console measures it now;
* ``{{shortcuts}}`` and ``{{key:<action name>}}``: the live key map (:mod:`.shortcut_map`),
  remapped keys included.
"""

from __future__ import annotations

import inspect
import re
from importlib import resources
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from mesodesk.core.trading import pricing
from mesodesk.ui.dialog_placement import place_dialog
from mesodesk.ui.help.shortcut_map import ShortcutEntry, live_shortcuts, markdown_table

if TYPE_CHECKING:
    from mesodesk.ui.main_window import MainWindow

__all__ = ["ShortcutsDialog", "UserGuideDialog", "guide_markdown", "sign_convention_markdown"]

_PLACEHOLDER = re.compile(r"\{\{([a-z_]+)(?::([A-Za-z0-9_]+))?\}\}")


def guide_source() -> str:
    """The guide's Markdown as shipped (placeholders not filled)."""
    return resources.files("mesodesk.ui.help").joinpath("user_guide.md").read_text(encoding="utf-8")


def sign_convention_markdown() -> str:
    """The sign convention paragraphs of :mod:`mesodesk.core.trading.pricing`, as Markdown."""
    doc = inspect.cleandoc(pricing.__doc__ or "")
    paragraphs = doc.split("\n\n")[1:]  # the first line is the module's title
    paragraphs = [p for p in paragraphs if not p.startswith("Every tag")]  # about the code, not prices
    return "\n\n".join(" ".join(p.split()) for p in paragraphs).replace("``", "`")


def _clock_speed(window: MainWindow) -> str:
    rate = window.session.state.server_clock.rate
    measured = f" Right now it runs at **{rate:.0f}×** real time." if rate else ""
    return (f"**60×** real time by default (`mesodesk-sim --speed` sets it for a standalone simulator).{measured}"
            " The status bar's clock tooltip says the speed it measured.")


def guide_markdown(window: MainWindow) -> str:
    """The guide as Markdown, placeholders filled from the running window."""
    entries = live_shortcuts(window, window.settings.trading)
    by_name = {e.name: e for e in entries}

    def fill(match: re.Match[str]) -> str:
        what, arg = match.group(1), match.group(2)
        if what == "sign_convention":
            return sign_convention_markdown()
        if what == "clock_speed":
            return _clock_speed(window)
        if what == "shortcuts":
            return markdown_table(entries)
        if what == "key" and arg is not None:
            entry = by_name.get(arg)
            return entry.keys[0] if entry is not None else "(no key)"
        return match.group(0)

    return _PLACEHOLDER.sub(fill, guide_source())


class UserGuideDialog(QDialog):
    """The user guide in a text browser (non-modal; re-rendered on every open)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.main_window = window
        self.setObjectName("userGuideDialog")
        self.setWindowTitle("mesodesk — User guide")
        self.browser = QTextBrowser()
        self.browser.setObjectName("userGuideText")
        self.browser.setOpenExternalLinks(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(760, 820)
        self.refresh()
        _refresh_after_settings(self, window)

    def refresh(self) -> None:
        self.browser.setMarkdown(guide_markdown(self.main_window))


class ShortcutsDialog(QDialog):
    """The live key map: action, keys, menu; a filter; refreshed each time it is shown."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.main_window = window
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("mesodesk — Keyboard shortcuts")
        self.filter = QLineEdit()
        self.filter.setObjectName("shortcutsFilter")
        self.filter.setPlaceholderText("Filter by action or key")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("shortcutsTable")
        self.table.setHorizontalHeaderLabels(["Action", "Keys", "Where"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        note = QLabel("Trading keys can be changed in Settings → Trading; this list shows the keys as bound now.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.entries: list[ShortcutEntry] = []
        self.resize(640, 720)
        self.refresh()
        _refresh_after_settings(self, window)

    def refresh(self) -> None:
        self.entries = live_shortcuts(self.main_window, self.main_window.settings.trading)
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            for col, text in enumerate((entry.action, "  or  ".join(entry.keys), entry.group)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, entry.name)
                self.table.setItem(row, col, item)
        self._apply_filter(self.filter.text())

    def keys_of(self, name: str) -> tuple[str, ...] | None:
        """The keys the table shows for the action called ``name`` (None when not listed)."""
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == name:
                keys = self.table.item(row, 1)
                return tuple(keys.text().split("  or  ")) if keys is not None else ()
        return None

    def _apply_filter(self, text: str) -> None:
        words = text.lower().split()
        for row in range(self.table.rowCount()):
            items = (self.table.item(row, c) for c in range(3))
            cells = " ".join(item.text().lower() for item in items if item is not None)
            self.table.setRowHidden(row, not all(w in cells for w in words))

    def showEvent(self, event: Any) -> None:
        self.refresh()
        super().showEvent(event)


def _refresh_after_settings(dialog: UserGuideDialog | ShortcutsDialog, window: MainWindow) -> None:
    """Applying settings ends in a theme switch, after which the trading keys are bound again:
    refresh once that is done (the next loop pass), while the dialog is open."""
    def later(_theme: str) -> None:
        if _alive(dialog) and dialog.isVisible():  # the dialog lives as long as the window (its parent)
            QTimer.singleShot(0, dialog, dialog.refresh)

    window.sig_theme_changed.connect(later)


def open_help_dialog(window: MainWindow, dialog: QDialog | None, kind: type[QDialog]) -> QDialog:
    """Show ``dialog`` (made anew when gone), refreshed, centred on the window and within the screen."""
    if dialog is None or not isinstance(dialog, kind) or not _alive(dialog):
        dialog = kind(window)  # type: ignore[call-arg]
    elif hasattr(dialog, "refresh"):
        dialog.refresh()
    place_dialog(dialog, window)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def _alive(widget: QWidget) -> bool:
    try:
        widget.objectName()
    except RuntimeError:  # its C++ object was deleted
        return False
    return True
