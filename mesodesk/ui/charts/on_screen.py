"""Whether a chart can be seen: the work of drawing it is skipped while it cannot."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def on_screen(widget: QWidget) -> bool:
    """Shown and not covered: not in a closed or tabbed-away dock (a dock behind another tab stays
    "visible" to Qt, with an empty visible region), not in a minimised window."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty() and not widget.window().isMinimized()
