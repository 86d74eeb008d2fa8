"""Live strategies and their CRUD args.

A strategy definition (MesoSim v3 JSON, ``StrategyDefinition``) is carried as opaque
JSON (``dict[str, Any]``); consumers validate only the keys they need
(``MesoSimVersion`` >= 3, ``StrategyName``, ``Structure``...).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from .base import UtcDatetime, WireModel
from .common import Page, PagedArgs

__all__ = [
    "CreateStrategyArgs",
    "DeleteStrategyArgs",
    "DeleteStrategyResult",
    "GetStrategyArgs",
    "ListStrategiesArgs",
    "ListStrategiesResult",
    "LiveStrategy",
    "RenameStrategyArgs",
    "StrategyDefinition",
    "UpdateStrategyArgs",
]

#: MesoSim v3 strategy definition, opaque JSON object.
StrategyDefinition = dict[str, Any]


class LiveStrategy(WireModel):
    """A live strategy: ``{Id, Name, Description?, StrategyDefinition, ActiveOnAccounts,
    CreatedAt, UpdatedAt?, BacktestId?, MesoSimInstance?}``. ``Id`` is the id used as
    ``StrategyId`` / ``LiveStrategyId`` elsewhere.
    """

    id: int
    name: str
    description: str | None = None
    strategy_definition: StrategyDefinition
    active_on_accounts: list[str] = Field(default_factory=list)
    created_at: UtcDatetime
    updated_at: UtcDatetime | None = None
    backtest_id: str | None = None
    meso_sim_instance: str | None = Field(default=None, alias="MesoSimInstance")


class CreateStrategyArgs(WireModel):
    """``CreateStrategy`` args. The source is a ``StrategyDefinition``, a ``CloneStrategyId``
    or a ``BacktestId`` (MesoSim import, with ``MesoSimInstance``); at least one must be
    given, and not both a definition and a clone id. ``Name``/``Description`` override the
    definition's ``StrategyName``/``Description``. Create, Update and Rename return the
    resulting ``LiveStrategy``.
    """

    strategy_definition: StrategyDefinition | None = None
    clone_strategy_id: int | None = None
    backtest_id: str | None = None
    meso_sim_instance: str | None = Field(default=None, alias="MesoSimInstance")
    active_on_accounts: list[str] | None = None
    name: str | None = Field(default=None, min_length=1, max_length=128)
    description: str | None = None

    @model_validator(mode="after")
    def _check_source(self) -> CreateStrategyArgs:
        if self.strategy_definition is None and self.clone_strategy_id is None and self.backtest_id is None:
            raise ValueError("one of StrategyDefinition, CloneStrategyId or BacktestId is required")
        if self.strategy_definition is not None and self.clone_strategy_id is not None:
            raise ValueError("StrategyDefinition and CloneStrategyId are mutually exclusive")
        return self


class UpdateStrategyArgs(WireModel):
    """``UpdateStrategy`` args: null fields are left unchanged."""

    strategy_id: int
    strategy_definition: StrategyDefinition | None = None
    active_on_accounts: list[str] | None = None
    description: str | None = None


class RenameStrategyArgs(WireModel):
    strategy_id: int
    name: str = Field(min_length=1, max_length=128)


class DeleteStrategyArgs(WireModel):
    strategy_id: int


class DeleteStrategyResult(WireModel):
    """Echoes the deleted id."""

    strategy_id: int


class ListStrategiesArgs(PagedArgs):
    """``ListStrategies`` filters (paged): ``ActiveOnAccounts`` (strategies active on any of these accounts)."""

    active_on_accounts: list[str] | None = None


class ListStrategiesResult(Page[LiveStrategy]):
    """Paged ``LiveStrategy`` items."""


class GetStrategyArgs(WireModel):
    """Result: ``LiveStrategy``."""

    strategy_id: int
