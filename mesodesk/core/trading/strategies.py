"""Strategy commands: create, update, rename, delete, clone and activate.

Every definition is validated locally first (JSON basics here, expressions, variables
and name references by :mod:`mesodesk.lang`) and a refused change raises
:class:`StrategyValidationError` with field path -> messages, whether the problems
were found locally or by the server (its ``ValidationErrors``), so a window can show
them at the field. Activating a strategy on accounts re-checks its stored definition:
a definition with errors never goes live.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from mesodesk.contract import DeleteStrategyResult, LiveStrategy
from mesodesk.core.errors import MesoLiveApiException
from mesodesk.core.session import Session
from mesodesk.core.trading.json_locator import PREFIX, basic_errors, local_errors
from mesodesk.lang import Dialect, check_definition, merge_errors
from mesodesk.lang.limits import limits_text

__all__ = ["StrategyCommands", "StrategyValidationError", "expression_limits"]

T = TypeVar("T")


def expression_limits() -> list[str]:
    """The size limits of strategy expressions, one line each (help texts; :mod:`mesodesk.lang.limits`)."""
    return limits_text()


class StrategyValidationError(Exception):
    """A strategy change refused for its content. ``errors``: field path -> messages, paths as the
    server's ValidationErrors (``StrategyDefinition.Structure.Expirations[0].DTE``, ``Name``,
    ``ActiveOnAccounts[0]``; ``$`` for the text as a whole); ``server``: found by the server."""

    def __init__(self, errors: Mapping[str, Sequence[str]], *, server: bool = False,
                 message: str | None = None) -> None:
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in errors.items()}
        self.server = server
        count = sum(len(v) for v in self.errors.values())
        self.message = message or f"{count} problem(s) in {len(self.errors)} field(s)"
        detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in self.errors.items())
        super().__init__(f"{self.message}: {detail}" if detail else self.message)


class StrategyCommands:
    """``TradingDesk.strategies``: the only way windows change strategies."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def dialect(self) -> Dialect:
        """The embedded simulator is checked exactly; a MesoLive server with the documented catalog."""
        return Dialect.SIMULATOR if getattr(self.session, "embedded", False) else Dialect.MESOLIVE

    # -- checks (no I/O) ------------------------------------------------------------------------
    def validate(self, definition: Any, *, name_override: str = "") -> dict[str, list[str]]:
        """Every problem of a parsed definition that can be found locally (empty: none found)."""
        if not isinstance(definition, Mapping):
            return {"$": ["the definition must be a JSON object"]}
        errors = basic_errors(definition, name_override)
        if f"{PREFIX}.MesoSimVersion" in errors:
            return errors  # not a v3 shape: the rest would only be noise
        return merge_errors(errors, check_definition(definition, dialect=self.dialect, prefix=PREFIX))

    def check(self, text: str, name_override: str = "") -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
        """The editor's Check: (the parsed definition or None when it is not a JSON object, errors)."""
        data, errors = local_errors(text, name_override)
        if data is None:
            return None, errors
        return data, merge_errors(errors, self.validate(data, name_override=name_override))

    # -- commands -----------------------------------------------------------------------------------
    async def create(self, definition: Mapping[str, Any], *, name: str | None = None,
                     description: str | None = None, accounts: Iterable[str] = ()) -> LiveStrategy:
        name = (name or "").strip() or None
        self._refuse(self.validate(definition, name_override=name or ""))
        return await self._call(self.session.control.create_strategy(
            strategy_definition=dict(definition), name=name, description=description or None,
            active_on_accounts=list(accounts)))

    async def update(self, strategy_id: int, definition: Mapping[str, Any] | None = None, *,
                     accounts: Iterable[str] | None = None, description: str | None = None) -> LiveStrategy:
        """Change the definition, the activation and/or the description (the name: :meth:`rename`).
        The server keeps the strategy's name, so the definition needs its own StrategyName."""
        accounts = None if accounts is None else list(accounts)
        if definition is not None:
            self._refuse(self.validate(definition))
        elif accounts:
            await self._activatable(strategy_id)
        return await self._call(self.session.control.update_strategy(
            strategy_id=strategy_id, strategy_definition=None if definition is None else dict(definition),
            active_on_accounts=accounts, description=description or None))

    async def activate(self, strategy_id: int, accounts: Iterable[str]) -> LiveStrategy:
        """Set the accounts the strategy is active on (none: deactivate, always allowed)."""
        return await self.update(strategy_id, accounts=list(accounts))

    async def rename(self, strategy_id: int, name: str) -> LiveStrategy:
        name = name.strip()
        if not name:
            raise StrategyValidationError({"Name": ["must not be blank"]})
        return await self._call(self.session.control.rename_strategy(strategy_id=strategy_id, name=name))

    async def clone(self, strategy_id: int, *, name: str | None = None) -> LiveStrategy:
        """A copy of the definition and description, active on no account."""
        return await self._call(self.session.control.create_strategy(clone_strategy_id=strategy_id,
                                                                     name=(name or "").strip() or None))

    async def delete(self, strategy_id: int) -> DeleteStrategyResult:
        return await self._call(self.session.control.delete_strategy(strategy_id=strategy_id))

    # -- helpers ------------------------------------------------------------------------------------
    @staticmethod
    def _refuse(errors: Mapping[str, Sequence[str]], message: str | None = None) -> None:
        if errors:
            raise StrategyValidationError(errors, message=message)

    async def _activatable(self, strategy_id: int) -> None:
        """Refuse to activate a stored definition with problems (one stored before these checks, or
        by another client). Read from the server: the snapshot may lag behind an edit."""
        strategy = await self._call(self.session.control.get_strategy(strategy_id=strategy_id), refresh=False)
        errors = self.validate(strategy.strategy_definition)
        if errors:
            self._refuse(errors, f"“{strategy.name}” cannot be activated: its definition has "
                                 f"{sum(len(v) for v in errors.values())} problem(s); fix them in the editor first")

    async def _call(self, call: Awaitable[T], *, refresh: bool = True) -> T:
        try:
            result = await call
        except MesoLiveApiException as exc:
            if exc.validation_errors:
                raise StrategyValidationError(exc.validation_errors, server=True,
                                              message=exc.message or str(exc)) from exc
            raise
        if refresh:
            self.session.schedule_refresh()
        return result
