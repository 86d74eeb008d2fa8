"""Colours of the notification widgets per theme and severity.

The severity colours are the theme's state colours (:mod:`mesodesk.ui.theme`), so a toast's
error red is the status bar's; the surfaces are the toast's own, light or dark with the theme.
"""

from __future__ import annotations

from dataclasses import dataclass

from mesodesk.core.notices import Severity
from mesodesk.ui.theme import DARK as THEME_DARK
from mesodesk.ui.theme import LIGHT as THEME_LIGHT
from mesodesk.ui.theme import ThemeColors


@dataclass(frozen=True)
class NotifyPalette:
    background: str
    raised: str
    border: str
    text: str
    muted: str
    accents: dict[Severity, str]
    unread: str
    badge: str
    button: str
    button_hover: str


def _accents(theme: ThemeColors, info: str) -> dict[Severity, str]:
    """Severity colours: success, warning and error are the theme's state colours (one owner)."""
    return {Severity.INFO: info, Severity.SUCCESS: theme.state_ok, Severity.WARNING: theme.state_warn,
            Severity.ERROR: theme.state_bad}


DARK = NotifyPalette(
    background="#222933", raised="#2a323e", border="#38424f", text="#e8edf3", muted=THEME_DARK.muted,
    accents=_accents(THEME_DARK, "#4aa3ff"),
    unread="#4aa3ff", badge="#e5484d", button="#323c49", button_hover="#3d4959",
)
LIGHT = NotifyPalette(
    background="#ffffff", raised="#f4f6f9", border="#d3d9e1", text="#1d2430", muted=THEME_LIGHT.muted,
    accents=_accents(THEME_LIGHT, "#1f6fd1"),
    unread="#1f6fd1", badge="#d92d32", button="#eef1f5", button_hover="#e1e6ed",
)

GLYPHS = {Severity.INFO: "i", Severity.SUCCESS: "✓", Severity.WARNING: "!", Severity.ERROR: "✕"}


def palette(theme: str) -> NotifyPalette:
    return LIGHT if theme == "light" else DARK
