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
        """``Error.ValidationErrors``: field path -> messages (empty when none)."""
        errors = getattr(self.error, "validation_errors", None)
        return dict(errors) if errors else {}


class IdempotencyFailedError(MesoLiveApiException):
    """An idempotent call's outcome was recovered and the server recorded it as ``Failed``.

    ``record`` is the :class:`~mesodesk.contract.IdempotencyRecord`; ``status``,
    ``message`` and ``error`` are the original response's.
    """

    def __init__(self, method: str, record: Any) -> None:
        self.record = record
        message = record.response_message or record.error_message or record.job_error_message
        super().__init__(method, record.response_status or record.status, message, record.response_error)


class OutcomeUnknownError(MesoLiveError, TimeoutError):
    """The outcome of an idempotent call could not be established (no reconnection, or
    recovery timed out). ``await client.idempotency_outcome(idempotency_key)`` later."""

    def __init__(self, method: str, idempotency_key: str, reason: str) -> None:
        self.method = method
        self.idempotency_key = idempotency_key
        super().__init__(f"{method} ({idempotency_key}): outcome unknown: {reason}")
