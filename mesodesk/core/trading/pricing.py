"""The sign convention, in one place.

A combo price is signed **per combo unit**: ``+`` is a **debit** (you pay), ``−`` a
**credit** (you receive). This holds for entries, exits, adjustments and single-leg
orders alike: every order *buys its combo as the order trades it* (the ratios are the
order's own signed leg quantities, so an exit's ratios are the opposite of the held
quantities). Hence the combo **Ask** (bought legs at their ask, sold legs at their bid)
is the natural, marketable price and the **Bid** the passive one, and ``bid <= mid <= ask``
numerically whatever the direction.

Leg prices (quotes, fills) are per contract unit and never negative; a leg's direction
comes from the sign of its quantity.

Every tag, word, quick price, default price and preview on screen derives from the
functions here; nothing else decides what "credit" means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from mesodesk.contract import LivePrices, Order

ZERO = Decimal(0)
#: the combo price increment used for quick prices and the default price
TICK = Decimal("0.05")
CENT = Decimal("0.01")


class Direction(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"
    EVEN = "even"


def direction(price: Decimal | None) -> Direction | None:
    """``+`` debit, ``−`` credit, ``0`` even; None for no price."""
    if price is None:
        return None
    return Direction.DEBIT if price > 0 else Direction.CREDIT if price < 0 else Direction.EVEN


def direction_tag(price: Decimal | None) -> str:
    """``DEBIT`` / ``CREDIT`` / ``EVEN`` (empty for no price): the ticket's tag."""
    d = direction(price)
    return d.value.upper() if d is not None else ""


def signed_words(price: Decimal | None, places: int = 2) -> str:
    """``-2.55`` -> ``2.55 credit``; ``1.85`` -> ``1.85 debit``; ``–`` for no price."""
    d = direction(price)
    if price is None or d is None:
        return "–"
    if d is Direction.EVEN:
        return f"{ZERO:.{places}f} even"
    return f"{abs(price):,.{places}f} {d.value}"


def signed_short(price: Decimal | None, places: int = 2) -> str:
    """The blotter form without a minus sign: ``6.50 cr`` / ``1.20 db`` (empty for no price)."""
    d = direction(price)
    if price is None or d is None:
        return ""
    suffix = {Direction.DEBIT: " db", Direction.CREDIT: " cr", Direction.EVEN: ""}[d]
    return f"{abs(price):,.{places}f}{suffix}"


def signed_number(price: Decimal | None, places: int = 2) -> str:
    """The editable form: ``-2.55`` / ``1.85`` (no thousands separator, so it parses back)."""
    return "" if price is None else f"{price:.{places}f}"


def order_side(order: Order | None) -> str:
    """``Buy`` / ``Sell`` for an order: the wire ``Side`` (``S`` when its price is a credit),
    shown next to an unsigned quantity and an unsigned ``cr``/``db`` price."""
    if order is None:
        return ""
    side = str(getattr(order.side, "value", order.side)).upper()
    return {"B": "Buy", "S": "Sell"}.get(side, side)


def round_tick(value: Decimal, mode: str = "nearest", tick: Decimal = TICK) -> Decimal:
    """Round a signed combo price to the tick: ``up`` (more debit / less credit), ``down`` or ``nearest``."""
    rounding = {"up": ROUND_CEILING, "down": ROUND_FLOOR}.get(mode, ROUND_HALF_UP)
    return ((value / tick).quantize(Decimal(1), rounding=rounding) * tick).quantize(CENT)


# ------------------------------------------------------------------ input


class PriceInputError(ValueError):
    """Typed text is not a price; the message is meant for the field."""


_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?$")
_WORDS = {"cr": -1, "credit": -1, "db": 1, "dr": 1, "debit": 1}


def parse_price(text: str, *, places: int = 2, signed: bool = True, what: str = "price") -> Decimal | None:
    """Strictly parse a typed price; None for an empty field.

    Accepts ``-2.55``, ``+1.80``, ``1,234.50`` and, for signed combo prices, a word
    instead of the sign: ``2.55 cr`` / ``2.55 credit`` (= ``-2.55``), ``1.80 db`` /
    ``debit``. Anything else raises :class:`PriceInputError` (never a silent rewrite:
    ``x1.2.3`` is refused, not read as ``1.23``). ``signed=False`` refuses negatives
    (leg prices). At most ``places`` decimals.
    """
    raw = text.strip()
    if not raw:
        return None
    body, factor = raw, 1
    if signed:
        m = re.match(r"^(.*?)\s*([A-Za-z]+)$", raw)
        if m is not None:
            word = m.group(2).lower()
            if word not in _WORDS:
                raise PriceInputError(f"“{raw}” is not a {what}: use a number (+ debit, − credit) "
                                      "or a word cr / db after it, e.g. -2.55 or 2.55 cr")
            body, factor = m.group(1).strip(), _WORDS[word]
            if body.startswith(("-", "+")):
                raise PriceInputError(f"“{raw}”: give either a sign or cr / db, not both")
    if not body or not _NUMBER.match(body) or body in ("+", "-", ".", "+.", "-."):
        raise PriceInputError(f"“{raw}” is not a {what}: use digits with one decimal point, e.g. "
                              + ("-2.55" if signed else "2.55"))
    try:
        value = Decimal(body.replace(",", "")) * factor
    except InvalidOperation:  # pragma: no cover - the pattern above admits only valid numbers
        raise PriceInputError(f"“{raw}” is not a {what}") from None
    if not signed and value < 0:
        raise PriceInputError(f"A {what} cannot be negative (the side comes from the leg's quantity)")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise PriceInputError(f"“{raw}” has more than {places} decimals")
    return value + 0  # drop a negative zero


# ------------------------------------------------------------------ combo quotes


@dataclass(frozen=True)
class ComboQuote:
    """Signed per-combo prices of a combo as the order trades it. ``ask`` is natural."""

    bid: Decimal | None = None
    ask: Decimal | None = None
    mid: Decimal | None = None
    mark: Decimal | None = None

    @property
    def known(self) -> bool:
        return self.bid is not None and self.ask is not None


def leg_mid(p: LivePrices | None) -> Decimal | None:
    if p is None:
        return None
    if p.bid is not None and p.ask is not None:
        return (p.bid + p.ask) / 2
    return p.mid if p.mid is not None else p.mark


def combo_quote(ratios: dict[str, Decimal], legs: dict[str, LivePrices]) -> ComboQuote:
    """Combo bid/ask/mid/mark from per-leg quotes and the order's signed ratios.

    ``ask`` (natural) buys the ``+`` legs at their ask and sells the ``−`` legs at their
    bid; ``bid`` the other way round. Unknown when a leg has no bid or ask.
    """
    bid = ask = mark = ZERO
    if not ratios:
        return ComboQuote()
    for name, ratio in ratios.items():
        p = legs.get(name)
        if p is None or p.bid is None or p.ask is None:
            return ComboQuote()
        bid += ratio * (p.bid if ratio > 0 else p.ask)
        ask += ratio * (p.ask if ratio > 0 else p.bid)
        mark += ratio * (p.mark if p.mark is not None else (p.bid + p.ask) / 2)
    return ComboQuote(bid=bid, ask=ask, mid=(bid + ask) / 2, mark=mark)


def quick_price(quote: ComboQuote, kind: str) -> Decimal | None:
    """The Bid / Mid / Ask button's price on the tick: bid rounds down, ask up, mid to nearest."""
    value = {"bid": quote.bid, "mid": quote.mid, "ask": quote.ask}.get(kind)
    if value is None:
        return None
    return round_tick(value, {"bid": "down", "ask": "up"}.get(kind, "nearest"))


def default_price(quote: ComboQuote) -> Decimal | None:
    """The price a new ticket line starts at: the combo's mid on the tick (same sign as the mid)."""
    if quote.mid is None:
        return None
    price = round_tick(quote.mid)
    if price == 0 and quote.mid != 0:  # never round a small credit into a debit (or to "even")
        price = round_tick(quote.mid, "down" if quote.mid < 0 else "up")
    return price
