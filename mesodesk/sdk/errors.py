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


def _status_name(status: Any) -> str:
    return str(getattr(status, "value", status))


class DuplicateRequestError(MesoLiveApiException):
    """``DuplicateRequest``: this ``IdempotencyKey`` already completed the same request, so the
    server did nothing again. ``result`` is the ORIGINAL call's typed result (e.g. the
    :class:`~mesodesk.contract.SendOrderResult` with the orders it placed).

    Usually a retry of a call whose answer was lost: treat it as success with ``result``,
    or create the control client with ``on_duplicate="return"`` to get ``result`` returned.
    """

    def __init__(self, method: str, status: Any, message: str | None, error: Any = None, data: Any = None,
                 *, idempotency_key: str | None = None) -> None:
        super().__init__(method, status, message, error, data)
        self.idempotency_key = idempotency_key

    @property
    def result(self) -> Any:
        """The original call's typed result (``None`` if the server sent none and it could not be recovered)."""
        return self.data

    def __str__(self) -> str:
        key = f" {self.idempotency_key!r}" if self.idempotency_key else ""
        found = "the original result is in .result" if self.data is not None else "no original result available"
        return f"{self.method}: IdempotencyKey{key} already completed this same request; nothing was done again ({found})"


class IdempotencyKeyReusedError(MesoLiveApiException):
    """``Conflict`` with ``Error.Code == "IdempotencyKeyReused"``: this ``IdempotencyKey`` already
    belongs to a DIFFERENT request, and this one was not executed. Use a new key for a new request.

    ``record`` is the :class:`~mesodesk.contract.IdempotencyRecord` of the request that owns the
    key and ``result`` that request's typed result when it completed (the control client looks
    both up with ``GetIdempotencyRecord``; ``None`` when unavailable).
    """

    def __init__(self, method: str, status: Any, message: str | None, error: Any = None, data: Any = None,
                 *, idempotency_key: str | None = None, record: Any = None, result: Any = None) -> None:
        super().__init__(method, status, message, error, data)
        self.idempotency_key = idempotency_key
        self.record = record
        self.result = result

    def __str__(self) -> str:
        key = f" {self.idempotency_key!r}" if self.idempotency_key else ""
        owner = ""
        if self.record is not None:
            state = _status_name(getattr(self.record, "status", ""))
            operation = _status_name(getattr(self.record, "operation", ""))
            owner = f" (a {state} {operation})"
        return (f"{self.method}: IdempotencyKey{key} already belongs to a different request{owner}; "
                "this request was not executed: use a new key")


#: ``Error.Code`` of a ``Conflict`` whose key belongs to another request
KEY_REUSED_CODE = "IdempotencyKeyReused"


def api_exception(method: str, status: Any, message: str | None, error: Any = None, data: Any = None,
                  *, idempotency_key: str | None = None) -> MesoLiveApiException:
    """The typed :class:`MesoLiveApiException` of a non-Success envelope:
    :class:`DuplicateRequestError`, :class:`IdempotencyKeyReusedError`, or the base class."""
    name = _status_name(status)
    if name == "DuplicateRequest":
        return DuplicateRequestError(method, status, message, error, data, idempotency_key=idempotency_key)
    if name == "Conflict" and getattr(error, "code", None) == KEY_REUSED_CODE:
        return IdempotencyKeyReusedError(method, status, message, error, data, idempotency_key=idempotency_key)
    return MesoLiveApiException(method, status, message, error, data)


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
