"""Qt-free quantitative helpers (option pricing, combo ratios) shared by the simulator and the UI.

Standard library and numpy only (enforced by import-linter and tests/test_layering.py). The names
below are loaded on first use: importing a light submodule (``mesodesk.quant.beta_weighting``,
read with the settings at start-up) does not import numpy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
_HOME = {name: "mesodesk.quant.combos" if name == "combo_unit" else "mesodesk.quant.black_scholes"
         for name in __all__}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOME[name]), name)
    globals()[name] = value
    return value
