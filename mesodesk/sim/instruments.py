"""What the simulated market lists and how it quotes it: option and underlying specs,
quotes, chain arrays, and the four underlyings (SPX, SPY, QQQ, RUT) with their parameters.

Units as in :mod:`mesodesk.sim.market`: quotes per share, ``iv`` in percent.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "CORRELATION",
    "UNDERLYINGS",
    "ChainArrays",
    "FloatArray",
    "OptionSpec",
    "OptionType",
    "PriceSide",
    "Quote",
    "UnderlyingQuote",
    "UnderlyingSpec",
]

FloatArray = npt.NDArray[np.float64]
OptionType = Literal["Call", "Put"]
PriceSide = Literal["bid", "ask", "mid"]


@dataclass(frozen=True, slots=True)
class OptionSpec:
    underlying: str
    root: str
    option_type: OptionType
    expiration: dt.date
    strike: float


@dataclass(slots=True)
class Quote:
    """One option quote, per share. ``iv`` in percent; greeks as in the module doc."""

    bid: float
    ask: float
    mid: float
    last: float
    mark: float
    iv: float
    delta: float
    gamma: float
    theta: float
    vega: float
    wvega: float
    rho: float
    underlying_price: float
    time: dt.datetime


@dataclass(slots=True)
class UnderlyingQuote:
    """``iv``: the 30-day ATM implied vol in percent (a VIX-like level)."""

    symbol: str
    bid: float
    ask: float
    last: float
    mark: float
    prev_close: float
    open: float
    iv: float
    time: dt.datetime


@dataclass(frozen=True, slots=True)
class ChainArrays:
    """One option type of one expiration, as arrays aligned on ``strikes``."""

    underlying: str
    root: str
    option_type: OptionType
    expiration: dt.date
    strikes: FloatArray
    bid: FloatArray
    ask: FloatArray
    mid: FloatArray
    theo: FloatArray
    iv: FloatArray  # percent
    delta: FloatArray
    gamma: FloatArray
    theta: FloatArray
    vega: FloatArray
    wvega: FloatArray
    rho: FloatArray


@dataclass(frozen=True, slots=True)
class UnderlyingSpec:
    symbol: str
    spot: float  # initial spot
    atm_vol: float  # base ATM implied vol (decimal); also the walk's vol
    dividend_yield: float
    monthly_root: str
    weekly_root: str
    daily_weekdays: tuple[int, ...]  # weekdays listed as short-dated "dailies"
    daily_horizon_days: int  # dailies are listed this many calendar days out
    strike_bands: tuple[tuple[float, float], ...]  # (max |K/S - 1|, increment)
    tick_small: float
    tick_large: float
    tick_threshold: float  # prices below it trade in tick_small
    max_spread: float
    index_half_spread: float  # underlying bid/ask half width
    skew_slope: float  # a in sigma = atm * (1 + a x + b x^2), x = standardised moneyness
    skew_curve: float  # b
    spot_vol_beta: float  # ATM vol level multiplier exp(-beta ln(S/S0))


# Skew a/b are calibrated so a 30-45 DTE 20-delta put sits about 4-5 vol points over ATM
# and the local slope there is ~0.02 vol points per index point (SPX), as listed markets show.
UNDERLYINGS: dict[str, UnderlyingSpec] = {
    "SPX": UnderlyingSpec(
        "SPX", 6000.0, 0.15, 0.013, "SPX", "SPXW", (0, 1, 2, 3, 4), 14,
        ((0.12, 5.0), (0.20, 25.0), (0.30, 50.0)), 0.05, 0.10, 3.0, 1.00, 0.25,
        -0.16, 0.07, 3.0,
    ),
    "SPY": UnderlyingSpec(
        "SPY", 600.0, 0.15, 0.012, "SPY", "SPY", (0, 2, 4), 35,
        ((0.30, 1.0),), 0.01, 0.01, math.inf, 0.10, 0.005,
        -0.16, 0.07, 3.0,
    ),
    "QQQ": UnderlyingSpec(
        "QQQ", 520.0, 0.19, 0.006, "QQQ", "QQQ", (0, 2, 4), 35,
        ((0.30, 1.0),), 0.01, 0.01, math.inf, 0.12, 0.005,
        -0.14, 0.06, 2.5,
    ),
    "RUT": UnderlyingSpec(
        "RUT", 2300.0, 0.21, 0.012, "RUT", "RUTW", (0, 1, 2, 3, 4), 14,
        ((0.10, 5.0), (0.30, 10.0)), 0.05, 0.10, 3.0, 1.00, 0.10,
        -0.12, 0.055, 2.5,
    ),
}  # fmt: skip

# Daily log-return correlations (SPX, SPY, QQQ, RUT).
CORRELATION = np.array(
    [
        [1.000, 0.998, 0.90, 0.80],
        [0.998, 1.000, 0.90, 0.80],
        [0.90, 0.90, 1.00, 0.70],
        [0.80, 0.80, 0.70, 1.00],
    ]
)
