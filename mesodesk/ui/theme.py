"""Light and dark themes on the Fusion style; "system" follows the OS colour scheme."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "dark", "light")


def _dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor("#161b22"), QColor("#1f252d"), QColor("#d6dde6")
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#1b2129"))
    p.setColor(QPalette.ColorRole.ToolTipBase, window)
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, QColor("#262d36"))
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.BrightText, QColor("#ff6b6b"))
    p.setColor(QPalette.ColorRole.Highlight, QColor("#2f6fb3"))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.Link, QColor("#5aa9ff"))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#7d8794"))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b7480"))
    return p


def _light_palette() -> QPalette:
    p = QApplication.style().standardPalette()
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#f3f5f8"))
    p.setColor(QPalette.ColorRole.Highlight, QColor("#2f6fb3"))
    return p


def resolve(theme: str) -> str:
    if theme != "system":
        return theme
    scheme = QGuiApplication.styleHints().colorScheme()
    return "light" if scheme == Qt.ColorScheme.Light else "dark"


def apply_theme(app: QApplication, theme: str = "system") -> str:
    """Apply ``theme`` and return the resolved name ("dark" or "light")."""
    if theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r}; choose from {', '.join(THEMES)}")
    resolved = resolve(theme)
    app.setStyle("Fusion")
    app.setPalette(_dark_palette() if resolved == "dark" else _light_palette())
    app.setProperty("mesodesk_theme", resolved)
    return resolved
