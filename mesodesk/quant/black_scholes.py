"""Vectorised European Black-Scholes-Merton pricing, greeks and implied volatility.

Pure numpy, no scipy: the normal CDF is built on W. J. Cody's rational Chebyshev
approximation of ``erfc`` (Math. Comp. 23, 1969; the CALERF algorithm), accurate
to about 1e-13 relative over the whole real line, including the far tails.

Every function broadcasts its arguments with numpy rules and returns float64
arrays (0-d arrays for all-scalar input; use ``float(x)`` to unwrap).

Conventions (the units MesoSim / MesoLive display):

* ``S`` spot, ``K`` strike, ``T`` time to expiration in **years**, ``sigma`` the
  volatility as a decimal (0.15 = 15 %), ``r`` the continuously compounded rate,
  ``q`` the continuous dividend yield (both decimals).
* ``is_call``: a bool (array); ``True`` for calls, ``False`` for puts.
* ``price``: per share (one unit of the underlying), not per contract.
* ``delta``: dV/dS per share (-1..1), ``gamma``: d2V/dS2 per 1.0 of the underlying.
* ``theta``: dV/dt per **calendar day** (yearly theta / 365), negative for a long
  option that decays.
* ``vega``: dV/dsigma per **1 vol point** (sigma + 0.01).
* ``rho``: dV/dr per **1 rate point** (r + 0.01).
* ``wvega``: MesoSim-style time-weighted vega, ``vega * sqrt(30 / DTE)`` with
  ``DTE = 365 * T`` calendar days, i.e. vega normalised to a 30-day option. Since
  vega itself is proportional to ``sqrt(T)`` this is evaluated in the closed form
  ``S e^{-qT} n(d1) sqrt(30/365) / 100``, which stays finite as ``T -> 0``.

Degenerate inputs never produce NaNs or warnings: at ``T <= 0`` the option is
worth its intrinsic value, delta is 0 or +-1 (+-0.5 exactly at the money),
gamma/theta/vega/rho/wvega are 0; with ``sigma -> 0`` (``T > 0``) the price is
the discounted intrinsic value of the forward.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "Greeks",
    "bs_greeks",
    "bs_price",
    "erfc",
    "implied_vol",
    "norm_cdf",
    "norm_pdf",
    "payoff_at_expiration",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)
_WVEGA_FACTOR = math.sqrt(30.0 / 365.0)
_DAYS_PER_YEAR = 365.0
_LIVE_EPS = 1e-12  # sigma*sqrt(T) below this is treated as "no optionality"

# W. J. Cody's coefficients (published algorithm CALERF).
_A = (
    3.16112374387056560e00,
    1.13864154151050156e02,
    3.77485237685302021e02,
    3.20937758913846947e03,
    1.85777706184603153e-1,
)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_C = (
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
    1.23033935479799725e03,
    2.15311535474403846e-8,
)
_D = (
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
    1.23033935480374942e03,
)
_P = (
    3.05326634961232344e-1,
    3.60344899949804439e-1,
    1.25781726111229246e-1,
    1.60837851487422766e-2,
    6.58749161529837803e-4,
    1.63153871373020978e-2,
)
_Q = (
    2.56852019228982242e00,
    1.87295284992346047e00,
    5.27905102951428412e-1,
    6.05183413124413191e-2,
    2.33520497626869185e-3,
)


def _f64(x: npt.ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def erfc(x: npt.ArrayLike) -> FloatArray:
    """Complementary error function, vectorised (Cody's rational approximations).

    Relative error below 1e-13 everywhere (about 1e-16 for ``|x| < 4``).
    """
    xa = _f64(x)
    y = np.minimum(np.abs(xa), 40.0)  # erfc(40) underflows to 0 anyway
    out = np.empty_like(y)
    m_small = y <= 0.46875
    if m_small.any():
        # erf(y) = y * P(y^2) / Q(y^2)
        ys = y[m_small]
        z = ys * ys
        num = _A[4] * z
        den = z.copy()
        for i in range(3):
            num += _A[i]
            num *= z
            den += _B[i]
            den *= z
        num += _A[3]
        den += _B[3]
        out[m_small] = 1.0 - ys * num / den
    m_big = ~m_small
    if m_big.any():
        yb = y[m_big]
        res = np.empty_like(yb)
        m_tail = yb > 4.0
        m_mid = ~m_tail
        if m_mid.any():
            # erfc(y) = exp(-y^2) * P(y) / Q(y)
            ym = yb[m_mid]
            num = _C[8] * ym
            den = ym.copy()
            for i in range(7):
                num += _C[i]
                num *= ym
                den += _D[i]
                den *= ym
            num += _C[7]
            den += _D[7]
            res[m_mid] = num / den
        if m_tail.any():
            # erfc(y) = exp(-y^2) / y * (1/sqrt(pi) - z P(z) / Q(z)),  z = 1/y^2
            yl = yb[m_tail]
            z = 1.0 / (yl * yl)
            num = _P[5] * z
            den = z.copy()
            for i in range(4):
                num += _P[i]
                num *= z
                den += _Q[i]
                den *= z
            num += _P[4]
            den += _Q[4]
            res[m_tail] = (_INV_SQRT_PI - z * num / den) / yl
        res *= np.exp(-yb * yb)
        out[m_big] = res
    neg = xa < 0.0
    out[neg] = 2.0 - out[neg]
    return out


def norm_cdf(x: npt.ArrayLike) -> FloatArray:
    """Standard normal cumulative distribution function."""
    return 0.5 * erfc(-_f64(x) / _SQRT2)


def norm_pdf(x: npt.ArrayLike) -> FloatArray:
    """Standard normal density."""
    xa = _f64(x)
    with np.errstate(over="ignore"):
        out: FloatArray = _INV_SQRT_2PI * np.exp(-0.5 * xa * xa)
    return out


@dataclass(frozen=True, slots=True)
class Greeks:
    """Price and greeks arrays (all broadcast to the same shape); units in the module doc."""

    price: FloatArray
    delta: FloatArray
    gamma: FloatArray
    theta: FloatArray
    vega: FloatArray
    rho: FloatArray
    wvega: FloatArray


@dataclass(frozen=True, slots=True)
class _Core:
    # Fields keep their inputs' shapes (numpy-broadcastable); only ``price`` is full-shape.
    w: FloatArray  # +1 call, -1 put
    S: FloatArray
    K: FloatArray
    T: FloatArray  # clipped at 0
    sigma: FloatArray  # clipped at 0
    r: FloatArray
    q: FloatArray
    sqrt_t: FloatArray
    sq: FloatArray  # S e^{-qT}
    kr: FloatArray  # K e^{-rT}
    live: BoolArray  # sigma sqrt(T) > eps: a genuine (non-degenerate) option
    d1: FloatArray
    d2: FloatArray
    nd1: FloatArray  # N(w d1)
    nd2: FloatArray  # N(w d2)
    price: FloatArray


def _core(
    is_call: npt.ArrayLike,
    S: npt.ArrayLike,
    K: npt.ArrayLike,
    T: npt.ArrayLike,
    sigma: npt.ArrayLike,
    r: npt.ArrayLike,
    q: npt.ArrayLike,
) -> _Core:
    # No up-front broadcast: per-axis inputs (e.g. T over dates, r and q scalars) are
    # processed at their own size and only the combinations reach the full shape.
    c = np.asarray(is_call, dtype=bool)
    s, k, t, sig, rr, qq = (_f64(a) for a in (S, K, T, sigma, r, q))
    shape = np.broadcast_shapes(c.shape, s.shape, k.shape, t.shape, sig.shape, rr.shape, qq.shape)
    w = np.where(c, 1.0, -1.0)
    t = np.maximum(t, 0.0)
    sig = np.maximum(sig, 0.0)
    sqrt_t = np.sqrt(t)
    v = sig * sqrt_t
    sq = s * np.exp(-qq * t)
    kr = k * np.exp(-rr * t)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ln_fk = np.log(sq / kr)
        live = (v > _LIVE_EPS) & (s > 0.0) & (k > 0.0)
        v_safe = np.where(live, v, 1.0)
        degenerate = np.where(ln_fk > 0.0, np.inf, np.where(ln_fk < 0.0, -np.inf, 0.0))
        d1 = np.where(live, ln_fk / v_safe + 0.5 * v_safe, degenerate)
        d2 = np.where(live, d1 - v_safe, degenerate)
    nd1 = norm_cdf(w * d1)
    nd2 = norm_cdf(w * d2)
    price = _full(np.maximum(w * (sq * nd1 - kr * nd2), 0.0), shape)
    return _Core(w, s, k, t, sig, rr, qq, sqrt_t, sq, kr, live, d1, d2, nd1, nd2, price)


def _full(a: FloatArray, shape: tuple[int, ...]) -> FloatArray:
    """``a`` as a writable float64 array of exactly ``shape``."""
    a = np.asarray(a, dtype=np.float64)
    return a if a.shape == shape else np.broadcast_to(a, shape).copy()


def bs_price(
    is_call: npt.ArrayLike,
    S: npt.ArrayLike,
    K: npt.ArrayLike,
    T: npt.ArrayLike,
    sigma: npt.ArrayLike,
    r: npt.ArrayLike = 0.0,
    q: npt.ArrayLike = 0.0,
) -> FloatArray:
    """Black-Scholes-Merton price per share (intrinsic value at ``T <= 0``)."""
    return _core(is_call, S, K, T, sigma, r, q).price


def bs_greeks(
    is_call: npt.ArrayLike,
    S: npt.ArrayLike,
    K: npt.ArrayLike,
    T: npt.ArrayLike,
    sigma: npt.ArrayLike,
    r: npt.ArrayLike = 0.0,
    q: npt.ArrayLike = 0.0,
) -> Greeks:
    """Price, delta, gamma, theta/day, vega/vol-pt, rho/rate-pt and wvega in one pass."""
    c = _core(is_call, S, K, T, sigma, r, q)
    alive = c.T > 0.0
    pdf = norm_pdf(c.d1)  # 0 for d1 = +-inf
    dfq = np.exp(-c.q * c.T)
    delta = c.w * dfq * c.nd1
    with np.errstate(divide="ignore", invalid="ignore"):
        s_v = np.where(c.live, c.S * c.sigma * c.sqrt_t, 1.0)
        gamma = np.where(c.live, dfq * pdf / s_v, 0.0)
        sqrt_t_safe = np.where(c.live, c.sqrt_t, 1.0)
        decay = np.where(c.live, c.sq * pdf * c.sigma / (2.0 * sqrt_t_safe), 0.0)
    theta_year = -decay - c.w * c.r * c.kr * c.nd2 + c.w * c.q * c.sq * c.nd1
    theta = np.where(alive, theta_year / _DAYS_PER_YEAR, 0.0)
    vega = np.where(alive, c.sq * pdf * c.sqrt_t / 100.0, 0.0)
    rho = np.where(alive, c.w * c.kr * c.T * c.nd2 / 100.0, 0.0)
    wvega = np.where(alive, c.sq * pdf * _WVEGA_FACTOR / 100.0, 0.0)
    shape = c.price.shape
    return Greeks(*(_full(a, shape) for a in (c.price, delta, gamma, theta, vega, rho, wvega)))


def payoff_at_expiration(is_call: npt.ArrayLike, S: npt.ArrayLike, K: npt.ArrayLike) -> FloatArray:
    """Intrinsic value per share: ``max(S-K, 0)`` for calls, ``max(K-S, 0)`` for puts."""
    c, s, k = np.broadcast_arrays(np.asarray(is_call, dtype=bool), _f64(S), _f64(K))
    out: FloatArray = np.where(c, np.maximum(s - k, 0.0), np.maximum(k - s, 0.0))
    return out


def implied_vol(
    price: npt.ArrayLike,
    is_call: npt.ArrayLike,
    S: npt.ArrayLike,
    K: npt.ArrayLike,
    T: npt.ArrayLike,
    r: npt.ArrayLike = 0.0,
    q: npt.ArrayLike = 0.0,
    *,
    max_iter: int = 100,
    sigma_max: float = 10.0,
) -> FloatArray:
    """Implied volatility (decimal) by safeguarded Newton: Newton steps on vega,
    bisection whenever Newton would leave the current bracket.

    NaN where there is no solution in ``(0, sigma_max]``: ``T <= 0``, a price at or
    below the discounted intrinsic value, at or above the no-arbitrage upper bound
    (or above the price at ``sigma_max``), or non-finite input.
    """
    p, c, s, k, t, rr, qq = np.broadcast_arrays(
        _f64(price), np.asarray(is_call, dtype=bool), _f64(S), _f64(K), _f64(T), _f64(r), _f64(q)
    )
    shape = p.shape
    p, c, s, k, t, rr, qq = (np.ravel(a) for a in (p, c, s, k, t, rr, qq))
    out = np.full(p.shape, np.nan)
    with np.errstate(invalid="ignore", over="ignore"):
        finite = np.isfinite(p) & np.isfinite(s) & np.isfinite(k) & np.isfinite(t)
        finite &= np.isfinite(rr) & np.isfinite(qq)
        ok = finite & (t > 0.0) & (s > 0.0) & (k > 0.0) & (p > 0.0)
    if not ok.any():
        return out.reshape(shape)
    idx = np.nonzero(ok)[0]
    p, c, s, k, t, rr, qq = (a[idx] for a in (p, c, s, k, t, rr, qq))
    w = np.where(c, 1.0, -1.0)
    sq = s * np.exp(-qq * t)
    kr = k * np.exp(-rr * t)
    lower = np.maximum(w * (sq - kr), 0.0)
    upper_bound = np.where(c, sq, kr)
    p_max = _core(c, s, k, t, sigma_max, rr, qq).price
    tol = 1e-13 * np.maximum(p, 1e-300) + 1e-300
    solvable = (p > lower + tol) & (p < upper_bound) & (p <= p_max)

    # Start from the larger of the Brenner-Subrahmanyam and Manaster-Koehler estimates.
    with np.errstate(divide="ignore", invalid="ignore"):
        guess = np.maximum(np.sqrt(2.0 * np.pi / t) * p / s, np.sqrt(2.0 * np.abs(np.log(sq / kr)) / t))
    sigma = np.clip(np.nan_to_num(guess, nan=0.2), 0.01, min(3.0, sigma_max))
    lo = np.zeros_like(p)
    hi = np.full_like(p, sigma_max)
    act = np.nonzero(solvable)[0]
    for _ in range(max_iter):
        if act.size == 0:
            break
        sg, lo_a, hi_a, tgt = sigma[act], lo[act], hi[act], p[act]
        core = _core(c[act], s[act], k[act], t[act], sg, rr[act], qq[act])
        f = core.price - tgt
        vega = sq[act] * norm_pdf(core.d1) * core.sqrt_t  # per 1.0 of sigma
        hi_a = np.where(f > 0.0, np.minimum(hi_a, sg), hi_a)
        lo_a = np.where(f < 0.0, np.maximum(lo_a, sg), lo_a)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            newton = sg - f / vega
        use_newton = (vega > 0.0) & (newton > lo_a) & (newton < hi_a)
        nxt = np.where(use_newton, newton, 0.5 * (lo_a + hi_a))
        finished = (np.abs(f) <= tol[act]) | (hi_a - lo_a <= 1e-14 * sg) | (np.abs(nxt - sg) <= 1e-15 * sg)
        sigma[act] = np.where(np.abs(f) <= tol[act], sg, nxt)
        lo[act] = lo_a
        hi[act] = hi_a
        act = act[~finished]
    out[idx] = np.where(solvable, sigma, np.nan)
    return out.reshape(shape)
