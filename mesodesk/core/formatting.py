"""How numbers, money, quantities and times are written, in one place (Qt-free).

A zero never has a sign: ``-0``, ``-0.00``, ``-$0.00`` (a negative zero, or a tiny value
rounded away) are written ``0``, ``0.00``, ``$0.00`` (:func:`unsigned_zero`).

Blotters, tickets, toasts and exports use these; the signed combo-price words live
beside the sign convention in :mod:`mesodesk.core.trading.pricing`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from mesodesk.quant.calendar import ET


def unsigned_zero(text: str) -> str:
    """Drop the sign of a formatted number that shows no non-zero digit (``-0.00`` -> ``0.00``)."""
    if text[:1] in ("-", "+", "−") and not any(c in "123456789" for c in text):
        return text[1:]
    return text


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
        return unsigned_zero(f"{float(value):,.{places}f}")

    return fmt


def fmt_int(value: Any) -> str:
    return "" if value is None else unsigned_zero(f"{int(value):,d}")


def fmt_bool(value: Any) -> str:
    return "" if value is None else ("Yes" if value else "No")


def fmt_qty(value: Any) -> str:
    """Quantities: no trailing zeros, sign kept ("-2", "1.5"; a zero is "0")."""
    if value is None:
        return ""
    number = float(value)
    return unsigned_zero(f"{number:,.0f}" if number == int(number) else f"{number:,.4g}")


def fmt_money(value: Decimal | float | int | None) -> str:
    """``$1,234.50`` / ``-$39.00``; ``–`` for no value."""
    if value is None:
        return "–"
    v = Decimal(str(value))
    sign = "-" if v < 0 else ""
    return unsigned_zero(f"{sign}${abs(v):,.2f}")


def fmt_signed_money(value: Decimal | float | int | None) -> str:
    """``+$1,234.50`` / ``-$39.00`` (a P&L); ``–`` for no value."""
    if value is None:
        return "–"
    v = Decimal(str(value))
    return unsigned_zero(("+" if v > 0 else "") + fmt_money(v))


def fmt_price(value: Decimal | float | None, places: int = 2) -> str:
    """A plain price: ``1,234.50``; ``–`` for no value. A float (a streamed market value) is
    rounded as the Decimal of its shortest text, so both forms of one value read alike."""
    if type(value) is float:
        value = Decimal(repr(value))
    return "–" if value is None else unsigned_zero(f"{value:,.{places}f}")


def local_zone_name() -> str:
    """This computer's time zone as written after a local time (``UTC``, ``CET``, ``EST``):
    :func:`fmt_time` writes local times, and a time shown without its zone is a guess."""
    return datetime.now().astimezone().tzname() or "local"


def fmt_time(value: Any) -> str:
    if not isinstance(value, datetime):
        return fmt_text(value)
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def fmt_time_short(value: Any) -> str:
    if not isinstance(value, datetime):
        return fmt_text(value)
    return value.astimezone().strftime("%m-%d %H:%M:%S")


def fmt_time_compact(value: Any, now: datetime | None = None) -> str:
    """A local date and time in a narrow column: ``11-24 14:30`` this year, ``2025-11-24 14:30``
    another year (no seconds: a position's open time is read to the minute)."""
    if not isinstance(value, datetime):
        return fmt_text(value)
    local = value.astimezone()
    this_year = (now or datetime.now().astimezone()).year
    return local.strftime("%m-%d %H:%M" if local.year == this_year else "%Y-%m-%d %H:%M")


def fmt_date(value: Any) -> str:
    if not isinstance(value, datetime):
        return fmt_text(value)
    return value.strftime("%Y-%m-%d")


def fmt_market_time(value: Any) -> str:
    """An exchange time (ET), as the market's day and clock read it: ``2026-11-24 10:05``."""
    if not isinstance(value, datetime):
        return fmt_text(value)
    return value.astimezone(ET).strftime("%Y-%m-%d %H:%M")
