"""Blotter columns, declared once: key, header, value getter, formatter, alignment.

The ``key`` is a stable ASCII id used to persist column order and widths. The
value getter returns the raw value: numbers sort numerically through
``SORT_ROLE`` and are formatted for display only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from PySide6.QtCore import Qt

SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
KEY_ROLE = int(Qt.ItemDataRole.UserRole) + 2


def fmt_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def fmt_number(places: int) -> Callable[[Any], str]:
    def fmt(value: Any) -> str:
        if value is None:
            return ""
        return f"{float(value):,.{places}f}"

    return fmt


def fmt_int(value: Any) -> str:
    return "" if value is None else f"{int(value):,d}"


def fmt_bool(value: Any) -> str:
    return "" if value is None else ("Yes" if value else "No")


def fmt_time(value: Any) -> str:
    if not isinstance(value, datetime):
        return fmt_text(value)
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


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


def fmt_qty(value: Any) -> str:
    """Quantities: no trailing zeros, sign kept ("-2", "1.5")."""
    if value is None:
        return ""
    number = float(value)
    return f"{number:,.0f}" if number == int(number) else f"{number:,.4g}"


def qty(key: str, header: str, value: Callable[[Any], Any], **kw: Any) -> Column:
    return Column(key, header, value, fmt_qty, numeric=True, **kw)


def fmt_time_short(value: Any) -> str:
    if not isinstance(value, datetime):
        return fmt_text(value)
    return value.astimezone().strftime("%m-%d %H:%M:%S")


def fmt_date(value: Any) -> str:
    if not isinstance(value, datetime):
        return fmt_text(value)
    return value.strftime("%Y-%m-%d")


def as_float(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)
