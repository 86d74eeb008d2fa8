"""The default name of a new position: the strategy's name and the market's date and time (Qt-free).

The time is the **server's** (:class:`mesodesk.core.market_clock.ServerClock`): the embedded
simulator runs an accelerated clock that may be days away from the computer's, and a real
server's is the exchange's. It is written in exchange time (New York), as the status bar's
market clock: ``PCS 45DTE 02Dec 14:48``. When the server has said nothing yet, the name is
the strategy's alone: no wall-clock time stands in for the market's.
"""

from __future__ import annotations

import datetime as dt

from mesodesk.quant.calendar import ET, as_utc

__all__ = ["default_position_name"]


def default_position_name(strategy_name: str, market_time: dt.datetime | None) -> str:
    """``"<strategy> <ddMon HH:MM>"`` at ``market_time`` in exchange time, or the strategy name alone."""
    name = strategy_name.strip() or "Position"
    if market_time is None:
        return name
    return f"{name} {as_utc(market_time).astimezone(ET):%d%b %H:%M}"
