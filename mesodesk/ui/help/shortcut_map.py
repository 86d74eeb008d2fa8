"""The live key map: every action of the main window that has a shortcut, as it is bound now.

Read from the window's QActions (menus, the toolbar, the panels' toggles, actions added to
the window only) each time it is asked, so a shortcut remapped in Settings → Trading shows
its new key. The order ticket's keys exist as actions only while a ticket is open; they are
listed from the same key map the ticket binds (:func:`mesodesk.ui.trading.shortcuts.shortcut_map`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from mesodesk.ui.trading import shortcuts

__all__ = ["ShortcutEntry", "live_shortcuts", "markdown_table"]

TICKET_GROUP = "Order ticket"
#: actions in no menu: the tables' own (Copy, Find, Clear selection), one row each
OTHER_GROUP = "In a table"
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


@dataclass(frozen=True)
class ShortcutEntry:
    group: str  # the menu it is in ("Trade", "View", …), "Order ticket" or "Window"
    action: str  # what it does, as its menu says it
    keys: tuple[str, ...]  # native text of each key sequence, the first one is the main one
    name: str  # the action's object name (stable, for tests)


def _text(action: QAction) -> str:
    text = action.text().replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip(".…").strip()
    if " " not in text:  # an internal name ("ClearSelection"): in words
        text = _CAMEL.sub(" ", text).capitalize()
    return text


def _keys(sequences: list[QKeySequence]) -> tuple[str, ...]:
    out: list[str] = []
    for seq in sequences:
        text = seq.toString(QKeySequence.SequenceFormat.NativeText)
        if text and text not in out:
            out.append(text)
    return tuple(out)


def _menu_groups(window: QMainWindow) -> dict[int, str]:
    """id(action) -> the title of the top-level menu it is in (sub-menus count as their top menu)."""
    groups: dict[int, str] = {}

    def walk(menu: QMenu, title: str) -> None:
        for action in menu.actions():
            sub = action.menu()
            if isinstance(sub, QMenu):
                walk(sub, title)
            else:
                groups.setdefault(id(action), title)

    for top in window.menuBar().actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            walk(menu, _text(top))
    return groups


def live_shortcuts(window: QMainWindow, trading: dict[str, Any] | None = None) -> list[ShortcutEntry]:
    """Every bound action of ``window`` (by menu, in menu order), then the order ticket's keys."""
    groups = _menu_groups(window)
    order = {title: i for i, title in enumerate(dict.fromkeys(groups.values()))}
    seen: set[tuple[str, str, tuple[str, ...]]] = set()
    entries: list[ShortcutEntry] = []
    for action in window.findChildren(QAction):
        keys = _keys(action.shortcuts())
        if not keys or action.isSeparator():
            continue
        entry = ShortcutEntry(groups.get(id(action), OTHER_GROUP), _text(action), keys, action.objectName())
        if (entry.group, entry.action, entry.keys) not in seen:  # each table has its own Copy: one row
            seen.add((entry.group, entry.action, entry.keys))
            entries.append(entry)
    entries.sort(key=lambda e: (order.get(e.group, len(order)), e.group, e.action.lower()))
    ticket_keys = shortcuts.shortcut_map(trading)
    for action_id, (label, _default) in shortcuts.SHORTCUTS.items():
        if action_id.startswith("ticket."):
            keys = _keys([QKeySequence(ticket_keys[action_id])])
            entries.append(ShortcutEntry(TICKET_GROUP, label.removeprefix("Ticket: "), keys, action_id))
    return entries


def markdown_table(entries: list[ShortcutEntry]) -> str:
    """The entries as Markdown tables, one per group."""
    parts: list[str] = []
    for group in dict.fromkeys(e.group for e in entries):
        rows = [f"| {e.action.replace('|', '/')} | {' or '.join(f'`{k}`' for k in e.keys)} |"
                for e in entries if e.group == group]
        parts.append(f"### {group}\n\n| Action | Keys |\n|---|---|\n" + "\n".join(rows))
    return "\n\n".join(parts)
