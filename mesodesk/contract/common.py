"""Envelope, error, paging and idempotency models shared by all hubs."""

from __future__ import annotations

import hashlib
from typing import Any, Generic, TypeVar

import orjson

from .base import IdempotencyKey, PageLimit, UtcDatetime, WireModel, dumps, loads
from .enums import IdempotencyOperation, IdempotencyRecordStatus, PreparationStatus, StatusCode

__all__ = [
    "GetIdempotencyRecordArgs",
    "IdempotencyRecord",
    "MesoLiveApiError",
    "MesoLiveApiResponse",
    "Page",
    "PagedArgs",
    "request_hash",
]

T = TypeVar("T")


class MesoLiveApiError(WireModel):
    """Error details of a failed call; every field is optional and nullable."""

    code: str | None = None
    detail: str | None = None
    provider: str | None = None
    validation_errors: dict[str, list[str]] | None = None


class MesoLiveApiResponse(WireModel, Generic[T]):
    """Envelope returned by every non-stream hub method: ``Status``, ``Message``,
    ``Error``, ``Data``.

    A ``DuplicateRequest`` response carries the original call's ``Data``; ``Data`` is null
    on other failures, ``Error`` is null on success. Use ``MesoLiveApiResponse[LiveAccount]``
    to parse ``Data`` as a given type.
    """

    status: StatusCode
    message: str | None = None
    error: MesoLiveApiError | None = None
    data: T | None = None

    @property
    def ok(self) -> bool:
        return self.status is StatusCode.Success


class PagedArgs(WireModel):
    """Paging fields of every List* args model: ``Limit`` and ``ContinuationToken``.

    ``Limit`` is 1..1000, null = server default (100). The token is opaque; null asks
    for the first page.
    """

    limit: PageLimit | None = None
    continuation_token: str | None = None


class Page(WireModel, Generic[T]):
    """A page of a List* method: ``{Items, ContinuationToken}``; a null token = last page."""

    items: list[T]
    continuation_token: str | None = None


class IdempotencyRecord(WireModel):
    """Recorded outcome of an idempotent call (``GetIdempotencyRecord`` result).

    ``JobResult`` is a .NET ``JsonElement``: any JSON value. ``ResponseData`` is the
    raw serialized ``Data`` of the original response (a JSON string).
    """

    idempotency_key: str
    operation: IdempotencyOperation
    status: IdempotencyRecordStatus
    created_at: UtcDatetime
    updated_at: UtcDatetime
    request_hash: str | None = None
    live_exec_plan_id: int | None = None
    live_order_ids: list[int] | None = None
    error_message: str | None = None
    job_id: str | None = None
    job_status: PreparationStatus | None = None
    job_result: Any = None
    job_error_message: str | None = None
    response_status: StatusCode | None = None
    response_message: str | None = None
    response_error: MesoLiveApiError | None = None
    response_data: str | None = None


class GetIdempotencyRecordArgs(WireModel):
    """``GetIdempotencyRecord`` args: the ``IdempotencyKey``. Read-only: the lookup
    itself is not recorded.
    """

    idempotency_key: IdempotencyKey


def request_hash(args: WireModel) -> str:
    """``RequestHash`` = sha256 hex of the canonical wire JSON of the args (keys sorted
    at every level, ``IdempotencyKey`` removed, numbers normalized through one JSON round
    trip). Same key + different hash -> ``Conflict``.
    """
    payload = loads(dumps(args))
    if isinstance(payload, dict):
        payload.pop("IdempotencyKey", None)
    canonical = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.sha256(canonical).hexdigest()
