"""A pyqtgraph axis whose tick labels are plain numbers: ``6,150`` or ``12.5``, never ``6.15e+03``,
never an SI prefix (``k``, ``m``) moved into the axis title."""

from __future__ import annotations

import math
from typing import Any

import pyqtgraph as pg


def tick_text(value: float, spacing: float) -> str:
    """``value`` with thousands separators and as many decimals as the tick spacing needs (0-4)."""
    places = 0 if spacing >= 1 or spacing <= 0 else min(4, max(0, math.ceil(-math.log10(spacing) - 1e-9)))
    text = f"{value:,.{places}f}"
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text) else text


class PlainAxis(pg.AxisItem):
    def __init__(self, orientation: str, **kw: Any) -> None:
        super().__init__(orientation, **kw)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [tick_text(v * scale, spacing * scale) for v in values]
