"""The application's Qt-free state: the single source of truth the UI renders.

Tables are keyed by id and filled by :class:`~mesodesk.core.session.Session`
from snapshots, paged lists and streams. Rows are small view objects that
combine the summary model with the latest streamed pricing blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from mesodesk.contract import LiveAccount, LivePosition, LivePositionDetails, PositionDataEntry
from mesodesk.core.tables import Table


def _mark(block: Any) -> Any:
    return None if block is None else getattr(block, "mark", None)


@dataclass(eq=False)
class PositionRow:
    """A position summary plus its latest streamed data."""

    summary: LivePosition
    details: LivePositionDetails | None = None
    data: PositionDataEntry | None = None
    updates: int = 0
    received_at: datetime | None = None

    @property
    def id(self) -> int:
        return self.summary.id

    @property
    def underlying(self) -> str | None:
        return self.details.underlying if self.details is not None else None

    @property
    def underlying_price(self) -> Decimal | None:
        if self.data is not None and self.data.underlying_price is not None:
            return _mark(self.data.underlying_price)
        return _mark(self.details.underlying_price) if self.details is not None else None

    def _pnl(self) -> Any:
        if self.data is not None and self.data.position_pnls is not None:
            return self.data.position_pnls
        return self.details.position_pnls if self.details is not None else None

    def _greeks(self) -> Any:
        if self.data is not None and self.data.position_greeks is not None:
            return _mark(self.data.position_greeks)
        return _mark(self.details.position_greeks) if self.details is not None else None

    @property
    def pnl_mark(self) -> Decimal | None:
        return _mark(self._pnl())

    @property
    def realized_pnl(self) -> Decimal | None:
        pnl = self._pnl()
        if pnl is not None and pnl.realized is not None:
            return pnl.realized  # type: ignore[no-any-return]
        return self.details.realized_pnl if self.details is not None else None

    def greek(self, name: str) -> Decimal | None:
        greeks = self._greeks()
        return None if greeks is None else getattr(greeks, name, None)

    @property
    def days_in_trade(self) -> int:
        end = self.summary.closed_at or self.server_time or datetime.now(UTC)
        return max(0, (end - self.summary.created_at).days)

    @property
    def server_time(self) -> datetime | None:
        return self.data.timestamp if self.data is not None else None


@dataclass
class AppState:
    accounts: Table[str, LiveAccount] = field(default_factory=lambda: Table("accounts"))
    positions: Table[int, PositionRow] = field(default_factory=lambda: Table("positions"))
    stream_updates: int = 0
