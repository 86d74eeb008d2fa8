"""Qt-free quantitative helpers (option pricing) shared by the simulator and the UI."""

from mesodesk.quant.black_scholes import (
    Greeks,
    bs_greeks,
    bs_price,
    erfc,
    implied_vol,
    norm_cdf,
    norm_pdf,
    payoff_at_expiration,
)

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
