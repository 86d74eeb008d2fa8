"""The sign convention and the strict price input, without a window or a server."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesodesk.contract import LivePrices
from mesodesk.core.trading.pricing import (
    Direction,
    PriceInputError,
    combo_quote,
    default_price,
    direction,
    direction_tag,
    parse_price,
    quick_price,
    signed_short,
    signed_words,
)

D = Decimal
cents = st.integers(min_value=0, max_value=5000).map(lambda c: D(c) / 100)


@st.composite
def legs_and_ratios(draw: st.DrawFn) -> tuple[dict[str, Decimal], dict[str, LivePrices]]:
    n = draw(st.integers(1, 4))
    ratios: dict[str, Decimal] = {}
    quotes: dict[str, LivePrices] = {}
    for i in range(n):
        ratio = D(draw(st.sampled_from([-2, -1, 1, 2])))
        bid = draw(cents)
        spread = draw(st.integers(min_value=0, max_value=200).map(lambda c: D(c) / 100))
        ratios[f"l{i}"] = ratio
        quotes[f"l{i}"] = LivePrices(bid=bid, ask=bid + spread)
    return ratios, quotes


@given(legs_and_ratios())
def test_combo_quote_is_ordered_and_the_default_price_has_the_sign_of_the_mid(
        data: tuple[dict[str, Decimal], dict[str, LivePrices]]) -> None:
    ratios, quotes = data
    q = combo_quote(ratios, quotes)
    assert q.bid is not None and q.mid is not None and q.ask is not None
    assert q.bid <= q.mid <= q.ask
    # independent: natural = buy the + legs at their ask, sell the − legs at their bid
    natural = sum((r * (quotes[n].ask if r > 0 else quotes[n].bid) for n, r in ratios.items()), D(0))  # type: ignore[operator]
    assert q.ask == natural
    price = default_price(q)
    assert price is not None
    if q.mid != 0:
        assert direction(price) == direction(q.mid)
    assert quick_price(q, "bid") <= q.bid <= q.ask <= quick_price(q, "ask")  # type: ignore[operator]


def test_exit_of_a_credit_spread_is_a_debit() -> None:
    """The defect of the issue: a put credit spread held as −1 / +1 exits by buying it back."""
    short, long_ = LivePrices(bid=D("4.10"), ask=D("4.40")), LivePrices(bid=D("1.90"), ask=D("2.20"))
    entry = combo_quote({"short": D(-1), "long": D(1)}, {"short": short, "long": long_})
    exit_ = combo_quote({"short": D(1), "long": D(-1)}, {"short": short, "long": long_})
    assert direction(entry.mid) is Direction.CREDIT and direction(exit_.mid) is Direction.DEBIT
    assert exit_.bid == D("1.90") and exit_.ask == D("2.50") and exit_.mid == D("2.20")
    assert default_price(exit_) == D("2.20") and direction_tag(default_price(exit_)) == "DEBIT"
    assert signed_words(default_price(entry)) == "2.20 credit"


@pytest.mark.parametrize("text, value", [
    ("-2.55", D("-2.55")), ("2.55", D("2.55")), ("+1.80", D("1.80")), ("2.55 cr", D("-2.55")),
    ("2.55credit", D("-2.55")), ("1.80 db", D("1.80")), ("1.80 debit", D("1.80")), ("1,234.50", D("1234.50")),
    (".5", D("0.5")), ("", None), ("  ", None), ("-0", D(0)),
])
def test_prices_are_parsed_strictly(text: str, value: Decimal | None) -> None:
    assert parse_price(text) == value


@pytest.mark.parametrize("text", ["x1.2.3", "1.2.3", "abc", "1.234", "--1", "1-", "2.55 xx", "-2.55 cr", "1,23",
                                  "1e3", "nan", "inf", ".", "+", "2 . 5"])
def test_malformed_prices_are_refused_not_rewritten(text: str) -> None:
    with pytest.raises(PriceInputError) as info:
        parse_price(text)
    assert str(info.value)


def test_leg_prices_are_unsigned() -> None:
    assert parse_price("1.2345", places=4, signed=False) == D("1.2345")
    with pytest.raises(PriceInputError, match="negative"):
        parse_price("-1", signed=False)
    with pytest.raises(PriceInputError):
        parse_price("1.25 cr", signed=False)


@given(st.integers(-100000, 100000).map(lambda c: D(c) / 100))
def test_the_blotter_form_never_shows_a_minus_sign(price: Decimal) -> None:
    text = signed_short(price)
    assert "-" not in text
    assert text.endswith(" cr") == (price < 0) and text.endswith(" db") == (price > 0)
    assert parse_price(text.replace(",", "")) == price
