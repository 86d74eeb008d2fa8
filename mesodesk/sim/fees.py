"""The simulated broker's fees (stdlib only: the console reads them for its order tickets'
commission estimate without importing the simulator)."""

from __future__ import annotations

from decimal import Decimal

#: per contract (per option), each fill
COMMISSION_PER_CONTRACT = Decimal("1.50")
