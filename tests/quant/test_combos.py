"""``combo_unit``: the one gcd rule for combo ratios (simulator broker and order ticket)."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from mesodesk.quant import combo_unit

integral = st.integers(-10_000, 10_000).map(Decimal)
nonzero_integral = st.integers(1, 10_000).flatmap(lambda n: st.sampled_from([Decimal(n), Decimal(-n)]))
# integers written with other exponents: 2.0, 2.00, 2E+1 are integers by value
respelled = st.tuples(st.integers(-500, 500), st.integers(-2, 2)).map(
    lambda t: Decimal(t[0]).scaleb(t[1]) if t[1] > 0 else Decimal(t[0]).quantize(Decimal(1).scaleb(t[1]))
)
finite = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False)


def legacy_broker_gcd(values: Iterable[Decimal]) -> Decimal:
    """The simulator broker's ``_gcd`` before ``combo_unit`` (the oracle for unchanged behaviour)."""
    vals = [abs(v) for v in values]
    if not vals or any(v != v.to_integral_value() for v in vals):
        return Decimal(1)
    g = 0
    for v in vals:
        g = math.gcd(g, int(v))
    return Decimal(g or 1)


def legacy_ticket_gcd(values: list[Decimal]) -> Decimal:
    """The order ticket's ``_gcd`` (mesodesk/ui/trading/model.py) before ``combo_unit``."""
    vals = [abs(v) for v in values if v]
    if not vals or any(v != v.to_integral_value() for v in vals):
        return Decimal(1)
    g = 0
    for v in vals:
        g = math.gcd(g, int(v))
    return Decimal(g or 1)


def test_examples() -> None:
    D = Decimal
    assert combo_unit([D(-4), D(2)]) == D(2)  # a 1x2 ratio spread, two units
    assert combo_unit([D(10), D(-10), D(-10), D(10)]) == D(10)  # an iron condor, ten units
    assert combo_unit([D(3), D(0), D(-6)]) == D(3)  # a zero leg is ignored
    assert combo_unit([D("1.5"), D(3)]) == D(1)  # fractional: the quantities are the ratios
    assert combo_unit([D("2.0"), D("4.00")]) == D(2)
    assert combo_unit([D("2E+1"), D(30)]) == D(10)
    assert combo_unit([]) == D(1)
    assert combo_unit([D(0), D("-0.00")]) == D(1)
    assert combo_unit(iter([D(6), D(9)])) == D(3)  # any iterable


def test_non_finite_quantities_give_one() -> None:
    for bad in (Decimal("Infinity"), Decimal("-Infinity"), Decimal("NaN")):
        assert combo_unit([Decimal(2), bad]) == Decimal(1)


@given(st.lists(integral, max_size=8))
def test_integral_quantities_split_into_coprime_integral_ratios(qs: list[Decimal]) -> None:
    g = combo_unit(qs)
    assert type(g) is Decimal and g > 0 and g.as_tuple().exponent == 0
    ratios = [q / g for q in qs if q]
    assert all(r == r.to_integral_value() for r in ratios)
    if ratios:
        assert math.gcd(*(int(r) for r in ratios)) == 1
        assert g == math.gcd(*(int(q) for q in qs))
    else:
        assert g == 1


@given(st.lists(nonzero_integral, min_size=1, max_size=6), st.integers(1, 50))
def test_scaling_the_quantities_scales_the_unit(qs: list[Decimal], k: int) -> None:
    assert combo_unit([q * k for q in qs]) == combo_unit(qs) * k


@given(st.lists(integral, max_size=8), st.randoms(use_true_random=False), st.integers(0, 3))
def test_order_signs_and_zero_legs_do_not_matter(qs: list[Decimal], rnd: random.Random, zeros: int) -> None:
    shuffled = [q if rnd.random() < 0.5 else -q for q in qs] + [Decimal(0)] * zeros
    rnd.shuffle(shuffled)
    assert combo_unit(shuffled) == combo_unit(qs)


@given(st.lists(respelled, max_size=6))
def test_the_exponent_of_an_integer_does_not_matter(qs: list[Decimal]) -> None:
    assert combo_unit(qs) == combo_unit([Decimal(int(q)) for q in qs])


@given(st.lists(finite, max_size=6), finite.filter(lambda d: d != d.to_integral_value()))
def test_any_fractional_quantity_gives_one(qs: list[Decimal], frac: Decimal) -> None:
    assert combo_unit([*qs, frac]) == Decimal(1)


@given(st.lists(st.one_of(finite, integral, respelled), max_size=8))
def test_same_results_as_both_previous_helpers(qs: list[Decimal]) -> None:
    assert combo_unit(qs) == legacy_broker_gcd(qs) == legacy_ticket_gcd(qs)
