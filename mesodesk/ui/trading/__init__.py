"""Point-and-click position management: entry wizard, order ticket, paper fills,
exit, adjustments, strategy manager and the trading key map."""

from mesodesk.ui.trading.controller import TradingController, install_trading

__all__ = ["TradingController", "install_trading"]
