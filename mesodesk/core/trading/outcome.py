"""Idempotency keys and "outcome unknown — recovering".

Every write carries a fresh idempotency key. If the Control hub drops while a call is
in flight, the SDK recovers the outcome through the server's idempotency record (and
resends once with the *same* key only when the server has no record of it); meanwhile
:func:`watch_outcome` reports "unknown" so the window can say so. Nothing here ever
re-sends with a new key: a caller retrying after :class:`OutcomeUnknownError` must
reuse the key it had.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from mesodesk.contract import StatusCode
from mesodesk.core.errors import ConnectionState, MesoLiveApiException
from mesodesk.core.session import Session

log = logging.getLogger("mesodesk.trading")
T = TypeVar("T")

UnknownListener = Callable[[bool], None]
"""Called with True when a call's outcome became unknown (the hub dropped during it), False once resolved."""


def new_key(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex}"


async def watch_outcome(session: Session, call: Awaitable[T], on_unknown: UnknownListener | None) -> T:
    """Await an idempotent ``call``; while the Control hub is down during it, report
    ``on_unknown(True)`` and ``on_unknown(False)`` once the outcome is known."""
    dropped = False

    def listener(state: ConnectionState) -> None:
        nonlocal dropped
        if state != ConnectionState.CONNECTED and not dropped:
            dropped = True
            if on_unknown is not None:
                on_unknown(True)

    remove = session.control.add_state_listener(listener)
    try:
        return await call
    finally:
        remove()
        if dropped and on_unknown is not None:
            on_unknown(False)


def duplicate_result(exc: MesoLiveApiException) -> Any:
    """The original result of a retried idempotent call (``DuplicateRequest`` with data), else None."""
    if exc.status == StatusCode.DuplicateRequest and exc.data is not None:
        return exc.data
    return None


_BACKGROUND: set[asyncio.Future[Any]] = set()


def spawn(coro: Awaitable[Any], what: str = "trading task") -> asyncio.Future[Any]:
    """Run ``coro`` in the background, keeping a reference; a failure is logged at ERROR
    (the UI forwards ``mesodesk.*`` errors to its error panel)."""
    task = asyncio.ensure_future(coro)
    _BACKGROUND.add(task)

    def done(t: asyncio.Future[Any]) -> None:
        _BACKGROUND.discard(t)
        if not t.cancelled() and t.exception() is not None:
            log.error("%s failed", what, exc_info=t.exception())

    task.add_done_callback(done)
    return task
