"""Colours of the notification widgets per theme and severity."""

from __future__ import annotations

from dataclasses import dataclass

from mesodesk.core.notices import Severity


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


DARK = NotifyPalette(
    background="#222933", raised="#2a323e", border="#38424f", text="#e8edf3", muted="#9aa6b5",
    accents={Severity.INFO: "#4aa3ff", Severity.SUCCESS: "#3ccf7a", Severity.WARNING: "#e8b84a",
             Severity.ERROR: "#ff5c5c"},
    unread="#4aa3ff", badge="#e5484d", button="#323c49", button_hover="#3d4959",
)
LIGHT = NotifyPalette(
    background="#ffffff", raised="#f4f6f9", border="#d3d9e1", text="#1d2430", muted="#5f6b7a",
    accents={Severity.INFO: "#1f6fd1", Severity.SUCCESS: "#16864a", Severity.WARNING: "#b87600",
             Severity.ERROR: "#cf2c2c"},
    unread="#1f6fd1", badge="#d92d32", button="#eef1f5", button_hover="#e1e6ed",
)

GLYPHS = {Severity.INFO: "i", Severity.SUCCESS: "✓", Severity.WARNING: "!", Severity.ERROR: "✕"}


def palette(theme: str) -> NotifyPalette:
    return LIGHT if theme == "light" else DARK
