"""Beta weighting (thinkorswim's definition) and expected moves, Qt-free.

A position in underlying ``U`` is expressed in units of an index ``I``:

* beta-weighted delta = ``delta × (price_U / price_I) × beta``, with
  ``beta = beta_U / beta_I`` (every beta in the table is against the S&P 500, so a QQQ
  position weighted to QQQ has beta 1);
* on a beta-weighted price axis, an index move of ``x`` % maps to a move of ``beta × x`` %
  in ``U``.

The expected move of an underlying over ``days`` calendar days is ``S × IV × sqrt(days / 365)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

__all__ = [
    "BETA_INDEXES",
    "DEFAULT_BETAS",
    "DEFAULT_INDEX",
    "EXPECTED_MOVES_SHOWN",
    "MAX_BETA",
    "MIN_BETA",
    "MIN_DAYS",
    "beta_weighted_delta",
    "betas_from_settings",
    "expected_move",
    "expected_move_range",
    "parse_beta",
    "relative_beta",
]

#: the indexes a portfolio can be weighted to
BETA_INDEXES: tuple[str, ...] = ("SPX", "SPY", "QQQ", "RUT")
DEFAULT_INDEX = "SPX"
#: betas against the S&P 500 (the Settings table starts from these)
DEFAULT_BETAS: dict[str, float] = {"SPX": 1.0, "SPY": 1.0, "QQQ": 1.15, "RUT": 1.1}
MIN_BETA, MAX_BETA = 0.05, 10.0
#: the default risk-graph x-range is the price ± this many expected moves
EXPECTED_MOVES_SHOWN = 3.0
#: the expected move of a position at (or past) its expiration still spans one day
MIN_DAYS = 1.0


def parse_beta(text: str) -> float:
    """A beta typed by the trader; ``ValueError`` with a message for the field otherwise."""
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"beta must be a number, not {text.strip()!r}") from None
    if not math.isfinite(value) or not MIN_BETA <= value <= MAX_BETA:
        raise ValueError(f"beta must be between {MIN_BETA:g} and {MAX_BETA:g}")
    return value


def betas_from_settings(raw: object) -> dict[str, float]:
    """The defaults overlaid with the valid entries of a settings value (bad entries are dropped)."""
    betas = dict(DEFAULT_BETAS)
    if isinstance(raw, Mapping):
        for symbol, value in raw.items():
            try:
                betas[str(symbol).strip().upper()] = parse_beta(str(value))
            except ValueError:
                continue
    return betas


def relative_beta(underlying: str, index: str, betas: Mapping[str, float]) -> float:
    """Beta of ``underlying`` against ``index`` (an underlying missing from the table counts as 1)."""
    return betas.get(underlying, 1.0) / betas.get(index, 1.0)


def beta_weighted_delta(delta: float, price: float, index_price: float, beta: float) -> float:
    """``delta × (price / index_price) × beta``: index-equivalent delta."""
    if index_price <= 0:
        raise ValueError("the index price must be positive")
    return delta * (price / index_price) * beta


def expected_move(spot: float, iv: float, days: float) -> float:
    """``spot × iv × sqrt(days / 365)``; ``iv`` a decimal (0.15), ``days`` floored at :data:`MIN_DAYS`."""
    return spot * max(iv, 0.0) * math.sqrt(max(days, MIN_DAYS) / 365.0)


def expected_move_range(spot: float, iv: float, days: float,
                        moves: float = EXPECTED_MOVES_SHOWN) -> tuple[float, float]:
    """``spot ± moves × expected move``, never below zero."""
    em = expected_move(spot, iv, days)
    return max(spot - moves * em, 0.0), spot + moves * em
