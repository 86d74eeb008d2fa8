"""The trading key map: every trading action has a shortcut, remappable in Settings → Trading.

Defaults are designed for speed: with a strategy selected in the Strategies blotter,
a paper position opens in five keystrokes — Ctrl+N (wizard on that strategy),
Enter (prepare), Enter (continue to the ticket), Ctrl+Enter (paper-fill step,
prefilled at mid), Ctrl+Enter (commit). On a broker account the last two are
review and send. In the ticket B / M / A set the focused line (or every line) to
the live bid / mid / ask.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction, QKeySequence

#: action id -> (label, default key sequence)
SHORTCUTS: dict[str, tuple[str, str]] = {
    "trade.new_position": ("New position…", "Ctrl+N"),
    "trade.exit_position": ("Exit selected position…", "Ctrl+E"),
    "trade.adjust_position": ("Adjust selected position…", "Ctrl+J"),
    "trade.strategies": ("Strategy manager…", "Ctrl+G"),
    "trade.new_strategy": ("New strategy…", "Ctrl+Shift+N"),
    "trade.cancel_order": ("Cancel selected order", "Ctrl+Shift+X"),
    "trade.replace_order": ("Modify selected order's price…", "Ctrl+Shift+M"),
    "ticket.accept": ("Ticket: accept / next step", "Return"),
    "ticket.commit": ("Ticket: send / commit", "Ctrl+Return"),
    "ticket.bid": ("Ticket: price = bid", "B"),
    "ticket.mid": ("Ticket: price = mid", "M"),
    "ticket.ask": ("Ticket: price = ask (marketable)", "A"),
    "ticket.split": ("Ticket: split the focused combo into single legs", "Ctrl+Shift+G"),
    "ticket.cancel": ("Ticket: cancel working orders / prepare job", "Ctrl+Shift+X"),
    "ticket.replace": ("Ticket: modify working orders' price", "Ctrl+Shift+M"),
    "ticket.back": ("Ticket: back one step", "Alt+Left"),
}


def shortcut_map(trading: dict[str, Any] | None) -> dict[str, str]:
    """Defaults overridden by ``settings.trading["shortcuts"]``."""
    custom = (trading or {}).get("shortcuts") or {}
    return {key: str(custom.get(key, default)) for key, (_label, default) in SHORTCUTS.items()}


def keys(trading: dict[str, Any] | None, action_id: str) -> QKeySequence:
    return QKeySequence(shortcut_map(trading)[action_id])


def apply_to(action: QAction, trading: dict[str, Any] | None, action_id: str) -> QAction:
    seq = keys(trading, action_id)
    extra = []
    if seq.toString() == "Return":
        extra = [QKeySequence("Enter")]
    elif seq.toString() == "Ctrl+Return":
        extra = [QKeySequence("Ctrl+Enter")]
    action.setShortcuts([seq, *extra])
    label = SHORTCUTS[action_id][0]
    action.setToolTip(f"{label} ({seq.toString(QKeySequence.SequenceFormat.NativeText)})")
    return action
