"""Idempotency keys (generated with the documented prefixes when the caller gives none) and
the bookkeeping of :meth:`~mesodesk.sdk.MesoLiveControlHubClient.prepare_and_wait`."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from mesodesk.contract import PreparationStatus, WireModel

R = TypeVar("R")

_MAX_KEY = 128
_RESTART_SUFFIX = re.compile(r":r\d+$")
#: how a server words a prepare job that died with the server (ours: "interrupted by a server restart")
_LOST_WORDS = re.compile(r"restart|interrupted|shut ?down|lost", re.IGNORECASE)


def new_idempotency_key(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex}"


def with_idempotency_key(model: type[WireModel], args: WireModel | None, kwargs: dict[str, Any],
                         prefix: str) -> dict[str, Any]:
    """Return ``kwargs`` with a fresh ``IdempotencyKey`` unless one is given (or ``args`` is used)."""
    if args is not None or "idempotency_key" in kwargs or "IdempotencyKey" in kwargs:
        return kwargs
    return {**kwargs, "idempotency_key": new_idempotency_key(prefix)}


def restart_key(key: str, attempt: int) -> str:
    """The key of the ``attempt``-th restart of the request first sent under ``key``:
    ``<key>:r<attempt>`` (traceable), or a fresh key when that would be too long."""
    base = _RESTART_SUFFIX.sub("", key)
    candidate = f"{base}:r{attempt}"
    if len(candidate) <= _MAX_KEY:
        return candidate
    return new_idempotency_key(base[:16] + "_")


def looks_lost(error: str | None) -> bool:
    """Whether a failed prepare job's error says it died with the server (not a failure of the request)."""
    return bool(error) and bool(_LOST_WORDS.search(error or ""))


@dataclass(frozen=True)
class LostPrepareJob:
    """A prepare job lost to a server restart (and started again under a new key)."""

    idempotency_key: str
    job_id: str
    reason: str


@dataclass(frozen=True)
class PrepareJobOutcome(Generic[R]):
    """How a prepare job ended (see :meth:`MesoLiveControlHubClient.prepare_and_wait`).

    ``status`` is ``Completed`` (``result`` is the typed prepare result), ``Failed`` or
    ``Cancelled`` (``error`` says why). ``via`` says what told us: the ``...Preparation*``
    event or a status poll. ``restarts`` lists the jobs that were lost to a server restart
    and started again under a new key (``idempotency_key``/``job_id`` are the last ones).
    """

    job_id: str
    idempotency_key: str
    status: PreparationStatus
    result: R | None = None
    error: str | None = None
    via: Literal["event", "poll"] = "poll"
    restarts: tuple[LostPrepareJob, ...] = ()

    @property
    def completed(self) -> bool:
        return self.status == PreparationStatus.Completed

    @property
    def failed(self) -> bool:
        return self.status == PreparationStatus.Failed

    @property
    def cancelled(self) -> bool:
        return self.status == PreparationStatus.Cancelled

    @property
    def restarted(self) -> bool:
        """Whether the job had to be started again after a server restart lost it."""
        return bool(self.restarts)
