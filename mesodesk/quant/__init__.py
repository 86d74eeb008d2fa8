"""Qt-free quantitative helpers (option pricing, combo ratios) shared by the simulator and the UI.

Standard library and numpy only (enforced by import-linter and tests/test_layering.py).
"""

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
from mesodesk.quant.combos import combo_unit

__all__ = [
    "Greeks",
    "bs_greeks",
    "bs_price",
    "combo_unit",
    "erfc",
    "implied_vol",
    "norm_cdf",
    "norm_pdf",
    "payoff_at_expiration",
]
