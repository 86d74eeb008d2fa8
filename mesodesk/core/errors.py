"""What the UI may know about the SDK: connection states, the errors a command can raise,
and how to word them. The UI imports these from here, never from :mod:`mesodesk.sdk`."""

from __future__ import annotations

from html import escape

from mesodesk.sdk import (
    ConnectionState,
    MesoLiveApiException,
    MesoLiveError,
    NotConnectedError,
    OutcomeUnknownError,
    SignalRError,
)
from mesodesk.sdk.redaction import redact

__all__ = [
    "ConnectionState",
    "MesoLiveApiException",
    "MesoLiveError",
    "NotConnectedError",
    "OutcomeUnknownError",
    "SignalRError",
    "api_error_text",
    "redact",
]


def api_error_text(exc: BaseException, *, html: bool = True) -> str:
    """One readable message for a failed call: the server's message plus its field errors."""
    if isinstance(exc, MesoLiveApiException):
        text = exc.message or str(exc)
        errors = exc.validation_errors
        if not errors:
            return escape(text) if html else text
        if html:
            return escape(text) + "<br>" + "<br>".join(
                f"<b>{escape(k)}</b>: {escape('; '.join(v))}" for k, v in errors.items())
        return text + "; " + "; ".join(f"{k}: {'; '.join(v)}" for k, v in errors.items())
    text = str(exc) or type(exc).__name__
    return escape(text) if html else text
