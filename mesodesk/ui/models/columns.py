"""Blotter columns, declared once: key, header, value getter, formatter, alignment.

The formatters themselves live in :mod:`mesodesk.core.formatting` (one owner of number
formats); they are re-exported here for the column declarations.

The ``key`` is a stable ASCII id used to persist column order and widths. The
value getter returns the raw value: numbers sort numerically through
``SORT_ROLE`` and are formatted for display only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt

from mesodesk.core.formatting import (
    fmt_bool,
    fmt_date,
    fmt_int,
    fmt_number,
    fmt_qty,
    fmt_text,
    fmt_time,
    fmt_time_short,
)
from mesodesk.core.trading.pricing import signed_short

SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
KEY_ROLE = int(Qt.ItemDataRole.UserRole) + 2


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    value: Callable[[Any], Any]
    fmt: Callable[[Any], str] = fmt_text
    numeric: bool = False
    signed_color: bool = False  # colour by sign (PnL)
    tooltip: str = ""
    flash: bool = False  # briefly highlight the cell when its value changes
    visible: bool = True  # shown by default (the user can toggle columns)

    @property
    def alignment(self) -> Qt.AlignmentFlag:
        horizontal = Qt.AlignmentFlag.AlignRight if self.numeric else Qt.AlignmentFlag.AlignLeft
        return horizontal | Qt.AlignmentFlag.AlignVCenter

    def sort_key(self, row: Any) -> Any:
        value = self.value(row)
        if self.numeric:
            return float("-inf") if value is None else float(value)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, bool):
            return int(value)
        return fmt_text(value).lower()


def number(key: str, header: str, value: Callable[[Any], Any], places: int = 2, **kw: Any) -> Column:
    kw.setdefault("flash", True)
    return Column(key, header, value, fmt_number(places), numeric=True, **kw)


def pnl(key: str, header: str, value: Callable[[Any], Any], **kw: Any) -> Column:
    kw.setdefault("flash", True)
    return Column(key, header, value, fmt_number(2), numeric=True, signed_color=True, **kw)


def integer(key: str, header: str, value: Callable[[Any], Any], **kw: Any) -> Column:
    return Column(key, header, value, fmt_int, numeric=True, **kw)


def qty(key: str, header: str, value: Callable[[Any], Any], **kw: Any) -> Column:
    return Column(key, header, value, fmt_qty, numeric=True, **kw)


__all__ = [
    "KEY_ROLE",
    "SORT_ROLE",
    "Column",
    "combo_price",
    "fmt_bool",
    "fmt_date",
    "fmt_int",
    "fmt_number",
    "fmt_qty",
    "fmt_text",
    "fmt_time",
    "fmt_time_short",
    "integer",
    "number",
    "pnl",
    "qty",
]


def combo_price(key: str, header: str, value: Callable[[Any], Any], **kw: Any) -> Column:
    """A signed combo price shown without its sign: ``6.50 cr`` / ``1.20 db`` (sorted by the signed value)."""
    return Column(key, header, value, signed_short, numeric=True, **kw)
