"""The simulator's entities in memory, written through to SQLite on every change.

Reads come from the in-memory maps (fast enough to price every open position on
each market tick); every mutation goes through :meth:`World.save_*`, which
commits to the :class:`~mesodesk.sim.store.Store` before the caller answers.
"""

from __future__ import annotations

from collections.abc import Iterable

from mesodesk.contract import (
    AgentInfo,
    LiveAccount,
    LiveLeg,
    LivePosition,
    LivePositionDetails,
    LivePositionState,
    LiveStrategy,
)
from mesodesk.sim.store import Store

#: Positions are stored as details records without pricing blocks or legs (legs live in their own table).
PositionRecord = LivePositionDetails


class World:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._load()

    def _load(self) -> None:
        """(Re)read every entity; after a rolled-back transaction the maps equal the database again."""
        store = self.store
        self.accounts: dict[str, LiveAccount] = store.load_all("accounts", LiveAccount)
        self.agents: dict[str, AgentInfo] = store.load_all("agents", AgentInfo)
        self.strategies: dict[int, LiveStrategy] = store.load_all("strategies", LiveStrategy)
        self.positions: dict[int, PositionRecord] = store.load_all("positions", PositionRecord)
        self.legs: dict[int, LiveLeg] = store.load_all("legs", LiveLeg)
        self._legs_by_position: dict[int, list[int]] = {}
        for leg in self.legs.values():
            self._legs_by_position.setdefault(leg.live_position_id, []).append(leg.id)

    @property
    def is_empty(self) -> bool:
        return not self.accounts

    # -- writes ---------------------------------------------------------------
    def _undo_on_rollback(self) -> None:
        """Each save updates the maps at once; if its transaction rolls back (an error, a full
        disk at COMMIT), re-read them so they never show what the database does not hold."""
        self.store.after_rollback(self._load)

    def save_account(self, account: LiveAccount) -> None:
        self._undo_on_rollback()
        self.store.put("accounts", account.broker_account_id, account)
        self.accounts[account.broker_account_id] = account

    def save_agent(self, key: str, agent: AgentInfo) -> None:
        self._undo_on_rollback()
        self.store.put("agents", key, agent)
        self.agents[key] = agent

    def save_strategy(self, strategy: LiveStrategy) -> None:
        self._undo_on_rollback()
        self.store.put("strategies", strategy.id, strategy)
        self.strategies[strategy.id] = strategy

    def save_position(self, position: PositionRecord) -> None:
        self._undo_on_rollback()
        record = position.model_copy(update={"legs": []})
        self.store.put(
            "positions", record.id, record,
            strategy_id=record.live_strategy_id, account_id=record.broker_account_id,
        )
        self.positions[record.id] = record

    def save_leg(self, leg: LiveLeg) -> None:
        self._undo_on_rollback()
        self.store.put("legs", leg.id, leg, position_id=leg.live_position_id)
        if leg.id not in self.legs:
            self._legs_by_position.setdefault(leg.live_position_id, []).append(leg.id)
        self.legs[leg.id] = leg

    def next_id(self, counter: str) -> int:
        return self.store.next_id(counter)

    # -- reads ------------------------------------------------------------------
    def position_legs(self, position_id: int) -> list[LiveLeg]:
        return [self.legs[i] for i in self._legs_by_position.get(position_id, ())]

    def open_positions(self) -> Iterable[PositionRecord]:
        return (p for p in self.positions.values() if p.state == LivePositionState.Open)

    def position_summary(self, position: PositionRecord) -> LivePosition:
        return LivePosition.model_validate(position.model_dump(include=set(LivePosition.model_fields)))

    def active_positions(self, account_id: str) -> int:
        return sum(1 for p in self.open_positions() if p.broker_account_id == account_id)
