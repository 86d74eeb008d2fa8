"""Risk-graph math (mesodesk.quant.risk) against hand-computed payoffs and direct Black-Scholes."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pytest

from mesodesk.quant.black_scholes import bs_greeks, bs_price
from mesodesk.quant.risk import (
    DIVIDEND_YIELDS,
    RISK_FREE_RATE,
    SECONDS_PER_YEAR,
    RiskLeg,
    RiskModel,
    crossings,
    expiration_breakevens,
    settlement_time,
)

NOW = dt.datetime(2026, 1, 5, 15, 0, tzinfo=dt.UTC)
EXP = settlement_time("SPXW", dt.date(2026, 2, 6))
PRICES = np.array([5700.0, 5850.0, 5870.5, 5894.0, 5900.0, 5950.0, 6000.0, 6100.0, 6150.0, 6200.0, 6300.0])


def vertical() -> list[RiskLeg]:
    """Bull put spread: sell 5900P at 20.00, buy 5850P at 14.00 (credit 6.00 = $600)."""
    return [RiskLeg(5900, False, -1, EXP, 0.17, entry=20.0, underlying="SPX"),
            RiskLeg(5850, False, 1, EXP, 0.18, entry=14.0, underlying="SPX")]


def iron_condor() -> list[RiskLeg]:
    """Sell 5900P/6100C at 20/18, buy 5850P/6150C at 14/11, two contracts: credit 13.00 x 2."""
    return [RiskLeg(5850, False, 2, EXP, 0.18, entry=14.0, underlying="SPX"),
            RiskLeg(5900, False, -2, EXP, 0.17, entry=20.0, underlying="SPX"),
            RiskLeg(6100, True, -2, EXP, 0.13, entry=18.0, underlying="SPX"),
            RiskLeg(6150, True, 2, EXP, 0.125, entry=11.0, underlying="SPX")]


def at_expiration(model: RiskModel, prices: np.ndarray) -> np.ndarray:
    moves = prices / model.spot - 1.0
    return model.surface(moves, [EXP], greeks=False).pnl[0]


def test_vertical_at_expiration_is_the_hand_computed_payoff() -> None:
    model = RiskModel(vertical(), {"SPX": 6000.0}, NOW)
    s = PRICES
    hand = 100 * (-np.maximum(5900 - s, 0) + 20.0 + np.maximum(5850 - s, 0) - 14.0)
    np.testing.assert_allclose(at_expiration(model, s), hand, rtol=0, atol=1e-9)
    # max profit above 5900 = credit, max loss below 5850 = width - credit
    assert at_expiration(model, np.array([6300.0]))[0] == pytest.approx(600.0, abs=1e-9)
    assert at_expiration(model, np.array([5700.0]))[0] == pytest.approx(-4400.0, abs=1e-9)


def test_iron_condor_at_expiration_is_the_hand_computed_payoff() -> None:
    model = RiskModel(iron_condor(), {"SPX": 6000.0}, NOW)
    s = PRICES
    hand = 2 * 100 * (np.maximum(5850 - s, 0) - 14.0 - np.maximum(5900 - s, 0) + 20.0
                      - np.maximum(s - 6100, 0) + 18.0 + np.maximum(s - 6150, 0) - 11.0)
    np.testing.assert_allclose(at_expiration(model, s), hand, rtol=0, atol=1e-9)
    assert at_expiration(model, np.array([6000.0]))[0] == pytest.approx(2600.0, abs=1e-9)
    assert model.expiration_breakevens() == pytest.approx([5887.0, 6113.0], abs=1e-9)


def test_vertical_breakevens() -> None:
    legs = vertical()
    assert expiration_breakevens(legs) == pytest.approx([5894.0], abs=1e-9)
    model = RiskModel(legs, {"SPX": 6000.0}, NOW)
    assert model.expiration_breakevens() == pytest.approx([5894.0], abs=1e-9)
    # the sampled expiration curve crosses zero at the same place (linear between kinks)
    surf = model.surface(model.move_grid(400), [NOW, EXP], greeks=False)
    assert surf.breakevens(1) == pytest.approx([5894.0], abs=1e-6)
    # a debit call spread: buy 6000C at 50, sell 6050C at 30 -> BE 6020
    debit = [RiskLeg(6000, True, 1, EXP, 0.15, entry=50.0), RiskLeg(6050, True, -1, EXP, 0.14, entry=30.0)]
    assert expiration_breakevens(debit) == pytest.approx([6020.0], abs=1e-9)


def test_t0_matches_direct_black_scholes() -> None:
    legs = iron_condor()
    model = RiskModel(legs, {"SPX": 6000.0}, NOW)
    moves = np.linspace(-0.1, 0.1, 41)
    later = NOW + dt.timedelta(days=10)
    surf = model.surface(moves, [NOW, later], vol_shift=2.0)
    for row, when in enumerate((NOW, later)):
        t = (EXP - when).total_seconds() / SECONDS_PER_YEAR
        s = 6000.0 * (1 + moves)
        direct = np.zeros_like(s)
        delta = np.zeros_like(s)
        for leg in legs:
            v = bs_price(leg.is_call, s, leg.strike, t, leg.iv + 0.02, RISK_FREE_RATE, DIVIDEND_YIELDS["SPX"])
            g = bs_greeks(leg.is_call, s, leg.strike, t, leg.iv + 0.02, RISK_FREE_RATE, DIVIDEND_YIELDS["SPX"])
            direct += leg.qty * 100 * (v - leg.entry)
            delta += leg.qty * 100 * g.delta
        np.testing.assert_allclose(surf.pnl[row], direct, rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(surf.delta[row], delta, rtol=1e-12, atol=1e-12)
    point = model.at(0.0, NOW, vol_shift=2.0)
    assert point["pnl"] == pytest.approx(surf.pnl[0, 20], abs=1e-9)


def test_realized_and_closed_legs_shift_the_curve() -> None:
    legs = [*vertical(), RiskLeg(5800, False, 0, EXP, 0.2, entry=5.0, realized=-130.0, underlying="SPX", is_open=False),
            RiskLeg(5950, False, -1, EXP, 0.2, entry=0.0, realized=0.0, underlying="SPX", is_open=False)]
    model = RiskModel(legs, {"SPX": 6000.0}, NOW)
    np.testing.assert_allclose(at_expiration(model, np.array([6300.0])), [600.0 - 130.0], atol=1e-9)


def test_same_conventions_as_the_simulator() -> None:
    from mesodesk.sim import market

    assert RISK_FREE_RATE == market.RISK_FREE_RATE
    assert {k: v.dividend_yield for k, v in market.UNDERLYINGS.items()} == DIVIDEND_YIELDS
    for root in ("SPX", "SPXW", "RUT", "SPY", "QQQ"):
        for day in (dt.date(2026, 1, 16), dt.date(2026, 7, 17)):
            assert settlement_time(root, day) == market.expiration_datetime(root, day)
            assert settlement_time(root, dt.datetime(day.year, day.month, day.day, 21, tzinfo=dt.UTC)) \
                == market.expiration_datetime(root, day)


def test_mixed_underlyings_use_a_relative_move_grid() -> None:
    legs = [*vertical(), RiskLeg(600, False, -10, EXP, 0.17, entry=2.0, underlying="SPY")]
    model = RiskModel(legs, {"SPX": 6000.0, "SPY": 600.0}, NOW)
    assert model.mixed
    surf = model.surface(np.array([0.0, 0.1]), [EXP], greeks=False)
    # +10 %: SPX 6600 (spread max profit 600), SPY 660 (short put expires worthless: +2 x 10 x 100)
    assert surf.pnl[0, 1] == pytest.approx(600.0 + 2000.0, abs=1e-9)


def test_crossings_interpolate() -> None:
    x = np.array([0.0, 1.0, 2.0, 3.0])
    assert crossings(x, np.array([-1.0, 1.0, 0.0, -2.0])) == pytest.approx([0.5, 2.0])


def test_surface_is_fast_enough_for_slider_moves() -> None:
    legs = [RiskLeg(5800 + 50 * i, i % 2 == 0, (-1) ** i, EXP + dt.timedelta(days=7 * (i % 2)), 0.16, entry=10.0,
                    underlying="SPX") for i in range(8)]
    model = RiskModel(legs, {"SPX": 6000.0}, NOW)
    grid = model.move_grid(400)
    dates = [NOW + dt.timedelta(days=d) for d in (0, 10, 20, 32)]
    model.surface(grid, dates, greeks=False)
    started = time.perf_counter()
    for _ in range(10):
        surf = model.surface(grid, dates, greeks=False)
    per_call_ms = (time.perf_counter() - started) * 100
    assert surf.pnl.shape == (4, 400)
    assert per_call_ms < 50.0, per_call_ms  # ~3-4 ms here; generous for loaded CI machines
