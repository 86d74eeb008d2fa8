"""Idempotency keys: generated with the documented prefixes when the caller gives none."""

from __future__ import annotations

import uuid
from typing import Any

from mesodesk.contract import WireModel


def new_idempotency_key(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex}"


def with_idempotency_key(model: type[WireModel], args: WireModel | None, kwargs: dict[str, Any],
                         prefix: str) -> dict[str, Any]:
    """Return ``kwargs`` with a fresh ``IdempotencyKey`` unless one is given (or ``args`` is used)."""
    if args is not None or "idempotency_key" in kwargs or "IdempotencyKey" in kwargs:
        return kwargs
    return {**kwargs, "idempotency_key": new_idempotency_key(prefix)}
