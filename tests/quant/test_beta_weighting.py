"""Beta weighting (thinkorswim's definition) and the expected-move x-range, against direct
Black-Scholes and formulas written out here."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesodesk.quant.beta_weighting import (
    DEFAULT_BETAS,
    beta_weighted_delta,
    betas_from_settings,
    expected_move,
    expected_move_range,
    parse_beta,
    relative_beta,
)
from mesodesk.quant.black_scholes import bs_greeks, bs_price
from mesodesk.quant.risk import (
    DIVIDEND_YIELDS,
    RISK_FREE_RATE,
    SECONDS_PER_YEAR,
    RiskLeg,
    RiskModel,
    settlement_time,
)

NOW = dt.datetime(2026, 1, 5, 15, 0, tzinfo=dt.UTC)
SPX_EXP = settlement_time("SPXW", dt.date(2026, 2, 6))
SPY_EXP = settlement_time("SPY", dt.date(2026, 1, 30))


def test_defaults() -> None:
    assert DEFAULT_BETAS["SPX"] == 1.0 and DEFAULT_BETAS["SPY"] == 1.0
    assert DEFAULT_BETAS["QQQ"] == pytest.approx(1.15) and DEFAULT_BETAS["RUT"] == pytest.approx(1.1)


@given(delta=st.floats(-500, 500), price=st.floats(1, 10_000), index=st.floats(1, 10_000), beta=st.floats(0.05, 5))
def test_beta_weighted_delta_is_delta_times_price_ratio_times_beta(delta: float, price: float, index: float,
                                                                    beta: float) -> None:
    assert beta_weighted_delta(delta, price, index, beta) == pytest.approx(delta * price / index * beta, rel=1e-12,
                                                                           abs=1e-12)


def test_relative_beta_is_against_the_chosen_index() -> None:
    assert relative_beta("QQQ", "SPX", DEFAULT_BETAS) == pytest.approx(1.15)
    assert relative_beta("QQQ", "QQQ", DEFAULT_BETAS) == 1.0
    assert relative_beta("SPX", "QQQ", DEFAULT_BETAS) == pytest.approx(1 / 1.15)
    assert relative_beta("XYZ", "SPX", DEFAULT_BETAS) == 1.0  # not in the table: moves with the index


@given(spot=st.floats(1, 10_000), iv=st.floats(0.01, 2), days=st.floats(1, 400), k=st.floats(0.5, 5))
def test_expected_move_range(spot: float, iv: float, days: float, k: float) -> None:
    em = spot * iv * math.sqrt(days / 365)
    assert expected_move(spot, iv, days) == pytest.approx(em, rel=1e-12)
    lo, hi = expected_move_range(spot, iv, days, k)
    assert hi == pytest.approx(spot + k * em, rel=1e-12)
    assert lo == pytest.approx(max(spot - k * em, 0.0), rel=1e-12, abs=1e-9)


def test_expected_move_at_expiration_still_spans_a_day() -> None:
    assert expected_move(6000, 0.15, 0.0) == pytest.approx(6000 * 0.15 * math.sqrt(1 / 365))


@pytest.mark.parametrize(("text", "problem"), [("", "number"), ("abc", "number"), ("nan", "between"),
                                               ("0", "between"), ("-1", "between"), ("11", "between"),
                                               ("inf", "between")])
def test_bad_betas_are_refused_with_a_message(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_beta(text)


def test_betas_from_settings_keeps_defaults_for_bad_entries() -> None:
    betas = betas_from_settings({"QQQ": "1.3", "RUT": "oops", " iwm ": 1.2, "SPY": -3})
    assert betas == {"SPX": 1.0, "SPY": 1.0, "QQQ": 1.3, "RUT": 1.1, "IWM": 1.2}
    assert betas_from_settings(None) == DEFAULT_BETAS


def spx_vertical() -> list[RiskLeg]:
    return [RiskLeg(5900, False, -1, SPX_EXP, 0.17, entry=20.0, underlying="SPX"),
            RiskLeg(5850, False, 1, SPX_EXP, 0.18, entry=14.0, underlying="SPX")]


def spy_vertical(qty: float) -> list[RiskLeg]:
    return [RiskLeg(590, False, -qty, SPY_EXP, 0.16, entry=3.0, underlying="SPY"),
            RiskLeg(585, False, qty, SPY_EXP, 0.17, entry=2.2, underlying="SPY")]


@settings(max_examples=40, deadline=None)
@given(beta=st.floats(0.3, 2.0), spy=st.floats(550, 650), qty=st.integers(1, 20),
       moves=st.lists(st.floats(-0.15, 0.15), min_size=1, max_size=8))
def test_beta_weighted_surface_is_direct_black_scholes(beta: float, spy: float, qty: int, moves: list[float]) -> None:
    """An index move m moves SPY by beta × m: T+0 P&L and index-equivalent delta, leg by leg."""
    spx = 6000.0
    legs = [*spx_vertical(), *spy_vertical(qty)]
    model = RiskModel(legs, {"SPX": spx, "SPY": spy}, NOW, reference="SPX", betas={"SPX": 1.0, "SPY": beta})
    assert model.beta_weighted and not model.mixed
    m = np.array(moves)
    surf = model.surface(m, [NOW])
    pnl = np.zeros_like(m)
    delta = np.zeros_like(m)
    for leg in legs:
        b = beta if leg.underlying == "SPY" else 1.0
        s = (spy if leg.underlying == "SPY" else spx) * (1 + b * m)
        t = (leg.expiration - NOW).total_seconds() / SECONDS_PER_YEAR
        q = DIVIDEND_YIELDS[leg.underlying]
        pnl += leg.qty * 100 * (bs_price(leg.is_call, s, leg.strike, t, leg.iv, RISK_FREE_RATE, q) - leg.entry)
        g = bs_greeks(leg.is_call, s, leg.strike, t, leg.iv, RISK_FREE_RATE, q)
        # thinkorswim: delta × (price / index price) × beta, with the prices of now
        delta += leg.qty * 100 * g.delta * ((spy if leg.underlying == "SPY" else spx) / spx) * b
    np.testing.assert_allclose(surf.pnl[0], pnl, rtol=1e-12, atol=1e-8)
    np.testing.assert_allclose(surf.delta[0], delta, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(surf.prices, spx * (1 + m))  # the x axis is the index's price


def test_beta_weighted_expiration_payoff_is_hand_computed() -> None:
    """At the last expiration (SPX, a week after SPY) every leg has expired: the exact payoff."""
    legs = [*spx_vertical(), *spy_vertical(10)]
    model = RiskModel(legs, {"SPX": 6000.0, "SPY": 600.0}, NOW, reference="SPX", betas={"SPX": 1.0, "SPY": 1.2})
    m = np.array([-0.1, -0.03, -0.01, 0.0, 0.02, 0.1])
    got = model.surface(m, [SPX_EXP], greeks=False).pnl[0]
    spx, spy = 6000 * (1 + m), 600 * (1 + 1.2 * m)
    hand = (100 * (-np.maximum(5900 - spx, 0) + 20 + np.maximum(5850 - spx, 0) - 14)
            + 10 * 100 * (-np.maximum(590 - spy, 0) + 3.0 + np.maximum(585 - spy, 0) - 2.2))
    np.testing.assert_allclose(got, hand, atol=1e-9)
    # breakevens on an index axis are not the SPY legs' strikes: sampled, not the exact SPY ones
    assert model.expiration_breakevens() == []


def test_weighting_needs_the_index_price() -> None:
    with pytest.raises(ValueError, match="no price for QQQ"):
        RiskModel(spy_vertical(1), {"SPY": 600.0}, NOW, reference="QQQ", betas={"SPY": 1.0})


def test_x_range_is_three_expected_moves_of_the_position_iv() -> None:
    model = RiskModel(spx_vertical(), {"SPX": 6000.0}, NOW, iv=0.16)
    days = (SPX_EXP - NOW).total_seconds() / 86400
    em = 6000 * 0.16 * math.sqrt(days / 365)
    assert model.x_range() == (pytest.approx(6000 - 3 * em), pytest.approx(6000 + 3 * em))
    grid = model.move_grid(400)
    assert grid[0] * 6000 <= -3 * em and grid[-1] * 6000 >= 3 * em  # the curves cover the view
    # without a streamed IV: the legs' IV weighted by |qty × multiplier| (the simulator's position IV)
    plain = RiskModel(spx_vertical(), {"SPX": 6000.0}, NOW)
    assert plain.implied_vol() == pytest.approx((0.17 + 0.18) / 2)
