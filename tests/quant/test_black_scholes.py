from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mesodesk.quant.black_scholes import (
    bs_greeks,
    bs_price,
    erfc,
    implied_vol,
    norm_cdf,
    norm_pdf,
    payoff_at_expiration,
)

spots = st.floats(10.0, 10_000.0)
moneyness = st.floats(0.6, 1.6)
times = st.floats(1.0 / 365.0, 3.0)
vols = st.floats(0.05, 1.2)
rates = st.floats(-0.01, 0.10)
yields = st.floats(0.0, 0.05)


def test_erfc_matches_math_erfc() -> None:
    x = np.concatenate([np.linspace(-6.0, 26.0, 20001), [-0.46875, 0.46875, 4.0, -4.0, 0.0]])
    ref = np.array([math.erfc(v) for v in x])
    rel = np.abs(erfc(x) - ref) / ref
    assert rel.max() < 1e-12


def test_erfc_edge_values() -> None:
    out = erfc(np.array([np.inf, -np.inf, 0.0, 60.0, -60.0]))
    assert out.tolist() == [0.0, 2.0, 1.0, 0.0, 2.0]
    assert np.isnan(erfc(np.nan))
    assert erfc(0.3).shape == ()


def test_norm_cdf_and_pdf() -> None:
    assert float(norm_cdf(0.0)) == pytest.approx(0.5, abs=1e-16)
    assert float(norm_cdf(1.96)) == pytest.approx(0.9750021048517795, rel=1e-13)
    assert float(norm_cdf(-8.0)) == pytest.approx(6.220960574271785e-16, rel=1e-11)
    assert float(norm_pdf(0.0)) == pytest.approx(1.0 / math.sqrt(2.0 * math.pi))


def test_hull_textbook_prices() -> None:
    # Hull, Options Futures and Other Derivatives, Example 15.6
    call, put = bs_price([True, False], 42.0, 40.0, 0.5, 0.2, 0.1)
    assert call == pytest.approx(4.76, abs=0.005)
    assert put == pytest.approx(0.81, abs=0.005)
    assert call == pytest.approx(4.759422392871535, rel=1e-12)


def test_hull_textbook_greeks() -> None:
    # Hull, the running example of the greek letters chapter: S=49, K=50, r=5%, sigma=20%, 20 weeks
    g = bs_greeks(True, 49.0, 50.0, 0.3846, 0.2, 0.05)
    assert float(g.price) == pytest.approx(2.40, abs=0.01)
    assert float(g.delta) == pytest.approx(0.522, abs=0.001)
    assert float(g.gamma) == pytest.approx(0.066, abs=0.001)
    assert float(g.theta) * 365.0 == pytest.approx(-4.31, abs=0.01)  # per year
    assert float(g.vega) * 100.0 == pytest.approx(12.1, abs=0.05)  # per 1.0 of sigma
    assert float(g.rho) * 100.0 == pytest.approx(8.91, abs=0.01)  # per 1.0 of r


@settings(max_examples=200, deadline=None)
@given(spots, moneyness, times, vols, rates, yields)
def test_put_call_parity(s: float, m: float, t: float, sigma: float, r: float, q: float) -> None:
    k = s * m
    call, put = bs_price([True, False], s, k, t, sigma, r, q)
    forward = s * math.exp(-q * t) - k * math.exp(-r * t)
    assert call - put == pytest.approx(forward, abs=1e-9 * s)
    g = bs_greeks([True, False], s, k, t, sigma, r, q)
    assert g.delta[0] - g.delta[1] == pytest.approx(math.exp(-q * t), abs=1e-12)
    assert g.gamma[0] == pytest.approx(g.gamma[1], rel=1e-12)
    assert g.vega[0] == pytest.approx(g.vega[1], rel=1e-12)


@settings(max_examples=150, deadline=None)
@given(st.booleans(), spots, st.floats(0.8, 1.25), st.floats(0.05, 2.0), st.floats(0.08, 0.8), rates, yields)
def test_greeks_match_finite_differences(
    is_call: bool, s: float, m: float, t: float, sigma: float, r: float, q: float
) -> None:
    assume(sigma * math.sqrt(t) > 0.03)  # keep finite-difference truncation error small
    k = s * m

    def p(**kw: float) -> float:
        args = {"S": s, "K": k, "T": t, "sigma": sigma, "r": r, "q": q} | kw
        return float(bs_price(is_call, **args))

    g = bs_greeks(is_call, s, k, t, sigma, r, q)
    hd = s * 1e-5
    assert float(g.delta) == pytest.approx((p(S=s + hd) - p(S=s - hd)) / (2 * hd), abs=1e-6)
    hs = s * 1e-4
    gamma_fd = (p(S=s + hs) - 2 * p() + p(S=s - hs)) / hs**2
    assert float(g.gamma) == pytest.approx(gamma_fd, rel=1e-3, abs=1e-6 / s)
    ht = 1e-5
    theta_fd = -(p(T=t + ht) - p(T=t - ht)) / (2 * ht) / 365.0
    assert float(g.theta) == pytest.approx(theta_fd, rel=1e-4, abs=1e-7 * s)
    hv = 1e-5
    vega_fd = (p(sigma=sigma + hv) - p(sigma=sigma - hv)) / (2 * hv) / 100.0
    assert float(g.vega) == pytest.approx(vega_fd, rel=1e-5, abs=1e-8 * s)
    rho_fd = (p(r=r + hv) - p(r=r - hv)) / (2 * hv) / 100.0
    assert float(g.rho) == pytest.approx(rho_fd, rel=1e-5, abs=1e-8 * s)
    dte = 365.0 * t
    assert float(g.wvega) == pytest.approx(float(g.vega) * math.sqrt(30.0 / dte), rel=1e-12)


@settings(max_examples=300, deadline=None)
@given(st.booleans(), spots, moneyness, times, vols, rates, yields)
def test_implied_vol_inverts_price(
    is_call: bool, s: float, m: float, t: float, sigma: float, r: float, q: float
) -> None:
    k = s * m
    g = bs_greeks(is_call, s, k, t, sigma, r, q)
    if float(g.vega) < 1e-6 * s:  # no information left in the price
        return
    iv = implied_vol(g.price, is_call, s, k, t, r, q)
    assert float(iv) == pytest.approx(sigma, abs=1e-7)


def test_implied_vol_vectorised_and_nan_where_unsolvable() -> None:
    k = np.linspace(80.0, 120.0, 41)
    sig = 0.1 + 0.3 * (k - 80.0) / 40.0
    p = bs_price(True, 100.0, k, 0.25, sig, 0.03, 0.01)
    iv = implied_vol(p, True, 100.0, k, 0.25, 0.03, 0.01)
    np.testing.assert_allclose(iv, sig, atol=1e-9)
    bad = implied_vol(
        [1.0, 200.0, 5.0, 5.0, np.nan, 0.0],
        [True, True, True, False, True, True],
        100.0,
        [50.0, 100.0, 100.0, 100.0, 100.0, 100.0],
        [1.0, 1.0, 0.0, -1.0, 1.0, 1.0],
    )
    assert np.isnan(bad).all()
    assert implied_vol(5.0, True, 100.0, 100.0, 0.5).shape == ()


def test_expiry_gives_intrinsic_and_step_greeks() -> None:
    with np.errstate(divide="raise", invalid="raise", over="raise"):
        k = np.array([90.0, 100.0, 110.0])
        for t in (0.0, -0.1):
            call = bs_greeks(True, 100.0, k, t, 0.2, 0.05, 0.02)
            put = bs_greeks(False, 100.0, k, t, 0.2, 0.05, 0.02)
            np.testing.assert_array_equal(call.price, [10.0, 0.0, 0.0])
            np.testing.assert_array_equal(put.price, [0.0, 0.0, 10.0])
            np.testing.assert_array_equal(call.delta, [1.0, 0.5, 0.0])
            np.testing.assert_array_equal(put.delta, [0.0, -0.5, -1.0])
            for g in (call, put):
                for arr in (g.gamma, g.theta, g.vega, g.rho, g.wvega):
                    np.testing.assert_array_equal(arr, 0.0)


def test_zero_vol_is_discounted_forward_intrinsic() -> None:
    with np.errstate(divide="raise", invalid="raise", over="raise"):
        s, k, t, r, q = 100.0, np.array([80.0, 120.0]), 1.0, 0.05, 0.01
        g = bs_greeks(True, s, k, t, 0.0, r, q)
        fwd = s * math.exp(-q * t) - k * math.exp(-r * t)
        np.testing.assert_allclose(g.price, np.maximum(fwd, 0.0), rtol=1e-14)
        np.testing.assert_allclose(g.delta, [math.exp(-q * t), 0.0])
        assert np.all(np.isfinite(g.theta)) and np.all(g.gamma == 0.0)
        # tiny vol converges to the same thing
        tiny = bs_price(True, s, k, t, 1e-9, r, q)
        np.testing.assert_allclose(tiny, np.maximum(fwd, 0.0), atol=1e-12)
        # extreme inputs stay finite
        assert np.all(np.isfinite(bs_price([True, False], [1e-6, 1e6], 100.0, 30.0, 3.0, 0.05, 0.0)))


def test_shapes_broadcast() -> None:
    s = np.linspace(90.0, 110.0, 5)[:, None]
    t = np.array([0.1, 0.2, 0.3])[None, :]
    assert bs_price(True, s, 100.0, t, 0.2).shape == (5, 3)
    g = bs_greeks(np.array([True, False])[:, None, None], s[None], 100.0, t[None], 0.2, 0.01)
    for arr in (g.price, g.delta, g.gamma, g.theta, g.vega, g.rho, g.wvega):
        assert arr.shape == (2, 5, 3)
    assert bs_price(True, 100.0, 100.0, 0.5, 0.2).shape == ()
    assert isinstance(bs_greeks(True, 100.0, 100.0, 0.5, 0.2).delta, np.ndarray)


def test_payoff_at_expiration() -> None:
    s = np.array([90.0, 100.0, 110.0])
    np.testing.assert_array_equal(payoff_at_expiration(True, s, 100.0), [0.0, 0.0, 10.0])
    np.testing.assert_array_equal(payoff_at_expiration(False, s, 100.0), [10.0, 0.0, 0.0])
    np.testing.assert_array_equal(payoff_at_expiration([True, False], 105.0, [100.0, 100.0]), [5.0, 0.0])


def test_risk_graph_workload_is_fast() -> None:
    # 8 legs x 400 underlying prices x 4 dates; the budget is ~5 ms, asserted loosely for shared CI.
    legs = np.array([True, False] * 4)[:, None, None]
    k = np.linspace(5800.0, 6200.0, 8)[:, None, None]
    s = np.linspace(5000.0, 7000.0, 400)[None, :, None]
    t = np.array([1.0, 7.0, 14.0, 30.0])[None, None, :] / 365.0
    bs_greeks(legs, s, k, t, 0.15, 0.045, 0.013)
    best = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        bs_greeks(legs, s, k, t, 0.15, 0.045, 0.013)
        best = min(best, time.perf_counter() - t0)
    assert best < 0.05
