"""Risk graph recompute: 8 legs x 400 prices x 4 dates, numpy vs a scalar pure-Python loop."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from mesodesk.bench._util import figure, median
from mesodesk.quant.black_scholes import bs_price


def _legs() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    strikes = np.array([5600, 5650, 5700, 5750, 6250, 6300, 6350, 6400], dtype=float)
    is_call = np.array([False] * 4 + [True] * 4)
    qty = np.array([1, -1, -1, 1, 1, -1, -1, 1], dtype=float)
    vols = np.array([0.20, 0.19, 0.18, 0.17, 0.13, 0.13, 0.135, 0.14])
    return strikes, is_call, qty, vols


def numpy_surface(prices: np.ndarray, days: np.ndarray) -> np.ndarray:
    strikes, is_call, qty, vols = _legs()
    t = (days[:, None, None] / 365.0)
    values = bs_price(is_call[None, None, :], prices[None, :, None], strikes[None, None, :], t, vols, 0.045, 0.013)
    return (values * qty).sum(axis=2) * 100.0


def _norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def scalar_surface(prices: np.ndarray, days: np.ndarray) -> list[list[float]]:
    strikes, is_call, qty, vols = _legs()
    out = []
    for d in days:
        t = d / 365.0
        row = []
        for s in prices:
            total = 0.0
            for k, call, q, v in zip(strikes, is_call, qty, vols, strict=True):
                if t <= 0:
                    value = max(s - k, 0.0) if call else max(k - s, 0.0)
                else:
                    sq = v * math.sqrt(t)
                    d1 = (math.log(s / k) + (0.045 - 0.013 + 0.5 * v * v) * t) / sq
                    d2 = d1 - sq
                    if call:
                        value = s * math.exp(-0.013 * t) * _norm_cdf(d1) - k * math.exp(-0.045 * t) * _norm_cdf(d2)
                    else:
                        value = k * math.exp(-0.045 * t) * _norm_cdf(-d2) - s * math.exp(-0.013 * t) * _norm_cdf(-d1)
                total += q * value
            row.append(total * 100.0)
        out.append(row)
    return out


def run(repeats: int) -> dict[str, Any]:
    prices = np.linspace(5000, 7000, 400)
    days = np.array([30.0, 20.0, 10.0, 0.0])
    fast, slow = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        surface = numpy_surface(prices, days)
        fast.append(time.perf_counter() - t0)
    for _ in range(max(1, repeats // 5)):
        t0 = time.perf_counter()
        reference = scalar_surface(prices, days)
        slow.append(time.perf_counter() - t0)
    assert np.allclose(surface, np.array(reference), atol=1e-6)
    fast_ms, slow_ms = median(fast) * 1e3, median(slow) * 1e3
    return figure({"median_ms": round(fast_ms, 3)}, {"scalar_python_ms": round(slow_ms, 2)}, fast_ms / slow_ms,
                  target_ms=50, ratio_means="numpy ÷ scalar loop (lower is better)")
