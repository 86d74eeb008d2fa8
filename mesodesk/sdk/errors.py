"""Exceptions raised by the mesodesk SDK."""

from __future__ import annotations

from typing import Any


class MesoLiveError(Exception):
    """Base class of every SDK error."""


class MesoLiveApiException(MesoLiveError):
    """A hub method answered with a non-``Success`` status.

    ``status`` is the :class:`~mesodesk.contract.StatusCode`, ``message`` and
    ``error`` come from the envelope, ``method`` is the hub method name and
    ``data`` is the envelope's ``Data`` when the server sent one (for example the
    original result of a ``DuplicateRequest``).
    """

    def __init__(self, method: str, status: Any, message: str | None, error: Any = None, data: Any = None) -> None:
        self.method = method
        self.status = status
        self.message = message
        self.error = error
        self.data = data
        status_name = getattr(status, "value", status)
        detail = f": {message}" if message else ""
        super().__init__(f"{method} returned {status_name}{detail}")

    @property
    def validation_errors(self) -> dict[str, list[str]]:
        errors = getattr(self.error, "validation_errors", None)
        return dict(errors) if errors else {}
