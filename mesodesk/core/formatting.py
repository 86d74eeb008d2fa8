"""How numbers, money, quantities and times are written, in one place (Qt-free).

Blotters, tickets, toasts and exports use these; the signed combo-price words live
beside the sign convention in :mod:`mesodesk.core.trading.pricing`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any


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


def fmt_qty(value: Any) -> str:
    """Quantities: no trailing zeros, sign kept ("-2", "1.5")."""
    if value is None:
        return ""
    number = float(value)
    return f"{number:,.0f}" if number == int(number) else f"{number:,.4g}"


def fmt_money(value: Decimal | float | int | None) -> str:
    """``$1,234.50`` / ``-$39.00``; ``–`` for no value."""
    if value is None:
        return "–"
    v = Decimal(str(value))
    sign = "-" if v < 0 else ""
    return f"{sign}${abs(v):,.2f}"


def fmt_signed_money(value: Decimal | float | int | None) -> str:
    """``+$1,234.50`` / ``-$39.00`` (a P&L); ``–`` for no value."""
    if value is None:
        return "–"
    v = Decimal(str(value))
    return ("+" if v > 0 else "") + fmt_money(v)


def fmt_price(value: Decimal | None, places: int = 2) -> str:
    """A plain price: ``1,234.50``; ``–`` for no value."""
    return "–" if value is None else f"{value:,.{places}f}"


def fmt_time(value: Any) -> str:
    if not isinstance(value, datetime):
        return fmt_text(value)
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def fmt_time_short(value: Any) -> str:
    if not isinstance(value, datetime):
        return fmt_text(value)
    return value.astimezone().strftime("%m-%d %H:%M:%S")


def fmt_date(value: Any) -> str:
    if not isinstance(value, datetime):
        return fmt_text(value)
    return value.strftime("%Y-%m-%d")
