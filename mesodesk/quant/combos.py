"""Combo arithmetic: turning signed leg quantities into a combo's ratios and size.

A combo order trades its legs in fixed ratios: ``quantities = ratios * units``. The
simulator's broker (order building, paper fills) and the console's order ticket both
split planned leg quantities this way, so they share this one rule.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal

__all__ = ["combo_unit"]

_ONE = Decimal(1)


def combo_unit(quantities: Iterable[Decimal]) -> Decimal:
    """How many combo units the signed leg ``quantities`` make: their greatest common divisor.

    The rule:

    * zero quantities are ignored (a leg with nothing to trade does not shape the combo);
    * when every remaining quantity is an integer (by value: ``Decimal("2.0")`` and
      ``Decimal("2E+1")`` count), the result is the gcd of their absolute values;
    * otherwise (a fractional or a non-finite quantity), and when nothing is left,
      the result is ``Decimal(1)``: the quantities themselves are the ratios.

    The result is a positive integer-valued ``Decimal`` with exponent 0, the same for any
    order and any signs of ``quantities``. ``{leg: q / combo_unit(qs)}`` are then the
    per-unit ratios: coprime integers whenever the quantities are integers.

    >>> combo_unit([Decimal(-4), Decimal(2), Decimal(0)])
    Decimal('2')
    >>> combo_unit([Decimal("1.5"), Decimal(3)])
    Decimal('1')
    """
    g = 0
    for q in quantities:
        if not q.is_finite():
            return _ONE
        if not q:
            continue
        if q != q.to_integral_value():
            return _ONE
        g = math.gcd(g, int(q))
    return Decimal(g) if g else _ONE
