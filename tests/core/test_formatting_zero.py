"""A zero never has a sign: every number formatter, over values that are zero, negative zero or
round to zero, writes an unsigned zero; other values keep their sign."""

from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from mesodesk.core.formatting import fmt_int, fmt_money, fmt_number, fmt_price, fmt_qty, fmt_signed_money

NONZERO_DIGIT = re.compile(r"[1-9]")
SIGNED_ZERO = re.compile(r"^[-+−]\$?[0.,]+$")

values = st.one_of(
    st.decimals(min_value=-10**7, max_value=10**7, allow_nan=False, allow_infinity=False, places=6),
    st.sampled_from([Decimal("-0"), Decimal("-0.000"), Decimal("-0.004"), Decimal("0.004"), Decimal("-0.4")]),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda f: Decimal(repr(f))),
)
FORMATTERS = {
    "number(0)": fmt_number(0), "number(2)": fmt_number(2), "number(3)": fmt_number(3), "int": fmt_int,
    "qty": fmt_qty, "money": fmt_money, "signed money": fmt_signed_money, "price": fmt_price,
}


@given(values)
def test_no_formatter_writes_a_signed_zero(value: Decimal) -> None:
    for name, fmt in FORMATTERS.items():
        text = fmt(value)
        assert not SIGNED_ZERO.match(text), (name, value, text)
        if NONZERO_DIGIT.search(text):  # not a zero: the sign is the value's
            assert text.startswith("-") == (value < 0), (name, value, text)


def test_the_usual_cases() -> None:
    assert [fmt_number(2)(Decimal("-0")), fmt_number(2)(-0.001), fmt_qty(Decimal("-0")), fmt_money(-0.004),
            fmt_signed_money(0.004), fmt_price(Decimal("-0.001"))] == ["0.00", "0.00", "0", "$0.00", "$0.00", "0.00"]
    assert [fmt_number(2)(-0.006), fmt_qty(Decimal(-2)), fmt_money(-39), fmt_signed_money(12.5)] == \
        ["-0.01", "-2", "-$39.00", "+$12.50"]
