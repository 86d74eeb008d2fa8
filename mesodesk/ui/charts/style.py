"""Chart colours per theme and the global pyqtgraph options (no antialias, no OpenGL)."""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem

pg.setConfigOptions(antialias=False, useOpenGL=False)


@dataclass(frozen=True)
class ChartColors:
    background: str
    foreground: str
    grid_alpha: float
    underlying: str
    pnl: str
    band: tuple[int, int, int, int]
    drawdown: str
    drawdown_fill: tuple[int, int, int, int]
    greeks: dict[str, str]
    expiration: str
    t0: str
    tn: tuple[str, ...]
    profit_fill: tuple[int, int, int, int]
    loss_fill: tuple[int, int, int, int]
    spot: str
    whatif: str
    breakeven: str
    zero: str
    crosshair: str
    bar_pos: str
    bar_neg: str


DARK = ChartColors(
    background="#12161c", foreground="#c8d0da", grid_alpha=0.18,
    underlying="#e8b84a", pnl="#5aa9ff", band=(90, 169, 255, 45), drawdown="#ff5c5c",
    drawdown_fill=(255, 92, 92, 60),
    greeks={"delta": "#5aa9ff", "gamma": "#c678dd", "theta": "#3ccf7a", "vega": "#e8b84a"},
    expiration="#4da3ff", t0="#ff9f43", tn=("#b794f6", "#7fd1c7", "#f78fb3"),
    profit_fill=(60, 207, 122, 50), loss_fill=(255, 92, 92, 30),
    spot="#f5f5f5", whatif="#e8b84a", breakeven="#ffd166", zero="#6b7480", crosshair="#8b95a3",
    bar_pos="#3ccf7a", bar_neg="#ff5c5c",
)
LIGHT = ChartColors(
    background="#ffffff", foreground="#1d2430", grid_alpha=0.25,
    underlying="#a86d00", pnl="#1a5fb4", band=(26, 95, 180, 40), drawdown="#c62828",
    drawdown_fill=(198, 40, 40, 50),
    greeks={"delta": "#1a5fb4", "gamma": "#8e44ad", "theta": "#137a3e", "vega": "#a86d00"},
    expiration="#1a5fb4", t0="#e06c00", tn=("#7b4fc9", "#138a7e", "#c2185b"),
    profit_fill=(19, 122, 62, 40), loss_fill=(198, 40, 40, 40),
    spot="#1d2430", whatif="#a86d00", breakeven="#b8860b", zero="#a0a7b0", crosshair="#5f6b7a",
    bar_pos="#137a3e", bar_neg="#c62828",
)


def chart_colors(theme: str) -> ChartColors:
    return LIGHT if theme == "light" else DARK


def style_plot(plot: pg.PlotItem, colors: ChartColors, *, grid: bool = True) -> None:
    """Axis colours, and the grid unless ``grid=False``: pyqtgraph redraws axis grids on every
    pan, which costs a live chart most of its frame time (33 → 7 fps measured), so the
    streaming charts go without and rely on the crosshair read-out."""
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(colors.foreground))
        axis.setTextPen(pg.mkPen(colors.foreground))
        # an axis (ticks, labels, grid) is replayed on every repaint of its plot, which the live
        # curves cause several times a second: cached as a pixmap, it is drawn again only when
        # it changes (pyqtgraph calls update() on a range or style change)
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    plot.showGrid(x=grid, y=grid, alpha=colors.grid_alpha)


def fmt_value(value: float, places: int = 2) -> str:
    if value != value:  # NaN
        return "—"
    return f"{value:,.{places}f}"
