"""Light and dark themes on the Fusion style; "system" follows the OS colour scheme.

A theme is a palette, a small style sheet (``resources/themes/<name>.qss``) and
the semantic colours models paint with (:func:`colors`: PnL sign, flash tints,
stale grey). ``apply_theme`` switches all three at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "dark", "light")
THEME_DIR = Path(__file__).resolve().parents[2] / "resources" / "themes"


@dataclass(frozen=True)
class ThemeColors:
    positive: QColor
    negative: QColor
    flash_up: QColor
    flash_down: QColor
    stale: QColor
    state_ok: str
    state_warn: str
    state_bad: str
    muted: str


DARK = ThemeColors(
    positive=QColor("#3ccf7a"), negative=QColor("#ff5c5c"),
    flash_up=QColor(60, 207, 122, 34), flash_down=QColor(255, 92, 92, 34),
    stale=QColor("#6b7480"), state_ok="#3ccf7a", state_warn="#e8b84a", state_bad="#ff5c5c", muted="#8b95a3",
)
LIGHT = ThemeColors(
    positive=QColor("#137a3e"), negative=QColor("#c62828"),
    flash_up=QColor(19, 160, 80, 30), flash_down=QColor(214, 40, 40, 28),
    stale=QColor("#a0a7b0"), state_ok="#137a3e", state_warn="#a86d00", state_bad="#c62828", muted="#5f6b7a",
)
_current: ThemeColors = DARK


def colors() -> ThemeColors:
    """Semantic colours of the applied theme (models call this in ``data()``: a global read)."""
    return _current


def _dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor("#12161c"), QColor("#1b2028"), QColor("#d8dee7")
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#171c23"))
    p.setColor(QPalette.ColorRole.ToolTipBase, QColor("#262d36"))
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, QColor("#242b34"))
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.BrightText, QColor("#ff6b6b"))
    p.setColor(QPalette.ColorRole.Highlight, QColor("#264f78"))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.Link, QColor("#5aa9ff"))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#6f7986"))
    p.setColor(QPalette.ColorRole.Mid, QColor("#2b323c"))
    p.setColor(QPalette.ColorRole.Dark, QColor("#0d1014"))
    p.setColor(QPalette.ColorRole.Light, QColor("#323a45"))
    p.setColor(QPalette.ColorRole.Midlight, QColor("#2a313b"))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#5d6670"))
    return p


def _light_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor("#ffffff"), QColor("#eef1f5"), QColor("#1d2430")
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#f5f7fa"))
    p.setColor(QPalette.ColorRole.ToolTipBase, QColor("#ffffe8"))
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, QColor("#e4e8ee"))
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.BrightText, QColor("#c62828"))
    p.setColor(QPalette.ColorRole.Highlight, QColor("#cfe3fb"))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#0b1a2c"))
    p.setColor(QPalette.ColorRole.Link, QColor("#1a5fb4"))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#8a94a2"))
    p.setColor(QPalette.ColorRole.Mid, QColor("#c9d0d9"))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#a0a7b0"))
    return p


def resolve(theme: str) -> str:
    if theme != "system":
        return theme
    scheme = QGuiApplication.styleHints().colorScheme()
    return "light" if scheme == Qt.ColorScheme.Light else "dark"


def style_sheet(resolved: str) -> str:
    path = THEME_DIR / f"{resolved}.qss"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def table_font() -> QFont:
    """A compact UI font for blotters (digits are tabular in the usual UI fonts)."""
    font = QFont(QApplication.font())
    size = font.pointSizeF()
    if size > 0:
        font.setPointSizeF(max(8.0, size - 0.5))
    return font


def apply_theme(app: QApplication, theme: str = "system") -> str:
    """Apply ``theme`` and return the resolved name ("dark" or "light")."""
    global _current
    if theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r}; choose from {', '.join(THEMES)}")
    resolved = resolve(theme)
    app.setStyle("Fusion")
    app.setPalette(_dark_palette() if resolved == "dark" else _light_palette())
    _current = DARK if resolved == "dark" else LIGHT
    app.setStyleSheet(style_sheet(resolved))
    app.setProperty("mesodesk_theme", resolved)
    app.setProperty("mesodesk_theme_choice", theme)
    return resolved
