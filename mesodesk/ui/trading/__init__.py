"""Point-and-click position management: entry wizard, order ticket, paper fills,
exit, adjustments, strategy manager and the trading key map. The logic lives in
:mod:`mesodesk.core.trading`; these windows render it."""

from mesodesk.ui.trading.controller import TradingController

__all__ = ["TradingController"]
