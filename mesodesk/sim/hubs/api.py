"""MesoLive semantics on top of the generic hub: args validation, envelopes, paging.

Each hub method takes exactly one argument, its args model. A handler raises
:class:`ApiFailure` for a non-Success status; bad arguments become
``InvalidArguments`` with ``ValidationErrors`` keyed by field path. Nothing a
client sends can crash the server.

Handlers of the MesoLive hubs are registered with :func:`implements`, which takes the
wire name, the args model and method-or-stream from the contract's registry
(:mod:`mesodesk.contract.methods`); :func:`check_implemented` makes sure a hub has
them all. :func:`api_method` / :func:`api_stream` register methods outside the contract.
"""

from __future__ import annotations

import base64
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

import orjson
from pydantic import ValidationError

from mesodesk.contract import (
    ALL_METHODS,
    HubMethod,
    MesoLiveApiError,
    MesoLiveApiResponse,
    PagedArgs,
    StatusCode,
    WireModel,
)
from mesodesk.sim.signalr import Hub, HubError, ServerConnection
from mesodesk.sim.store import StorageFull

try:  # the contract's tolerant reader: property names in any case, as ASP.NET Core binds arguments
    from mesodesk.contract.wire_read import ReadReport, normalize
except ImportError:  # a contract without it: arguments are read by their documented names only
    ReadReport = normalize = None  # type: ignore[assignment,misc]

log = logging.getLogger("mesodesk.sim.api")

#: whether arguments are read whatever the case of their property names (``brokerAccountId``)
READS_ANY_CASE = normalize is not None

A = TypeVar("A", bound=WireModel)
T = TypeVar("T")
H = TypeVar("H", bound=Callable[..., Any])

DEFAULT_PAGE = 100


class ApiFailure(Exception):
    def __init__(self, status: StatusCode, message: str, *, code: str | None = None,
                 validation_errors: dict[str, list[str]] | None = None, data: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error = MesoLiveApiError(code=code or status.value, detail=message, provider="Simulated",
                                      validation_errors=validation_errors)
        self.data = data


def not_found(what: str, key: Any) -> ApiFailure:
    return ApiFailure(StatusCode.NotFound, f"{what} {key!r} not found", code="NotFound")


def validation_errors(exc: ValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in exc.errors():
        path = ".".join(str(p) for p in error["loc"]) or "$"
        errors.setdefault(path, []).append(error["msg"])
    return errors


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _int_out_of_range(value: Any, path: str) -> str | None:
    """Path of the first JSON integer outside the 64-bit range (ids are .NET longs; SQLite cannot bind them)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return None if _INT64_MIN <= value <= _INT64_MAX else path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _int_out_of_range(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def _canonical_names(model: type[A], raw: dict[str, Any]) -> Any:
    """``raw`` with its property names as documented, whatever their case (ASP.NET Core binds
    arguments case-insensitively: a client may send camelCase). Values are left to validation:
    an unknown enum member is refused, as before."""
    if normalize is None:
        return raw
    report = ReadReport()
    renamed = normalize(model, raw, report)
    if not report.renamed:
        return raw
    return _received(renamed) if report.unknown_members else renamed


def _received(value: Any) -> Any:
    """``value`` with each stand-in for an unknown enum member back to the value received
    (validation then refuses it: ASP.NET Core fails to bind an unknown enum name too)."""
    if isinstance(value, dict):
        return {k: _received(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_received(v) for v in value]
    if getattr(value, "is_unknown", False) is True:
        return getattr(value, "wire_value", value)
    return value


def parse_args(model: type[A], raw: Any) -> A:
    if not isinstance(raw, dict):
        raise ApiFailure(StatusCode.InvalidArguments, f"{model.__name__} must be a JSON object",
                         validation_errors={"$": [f"expected an object, got {type(raw).__name__}"]})
    too_big = _int_out_of_range(raw, "")
    if too_big is not None:
        raise ApiFailure(StatusCode.InvalidArguments, f"invalid {model.__name__}: {too_big}: integer out of the "
                         "64-bit range", validation_errors={too_big: ["integer out of the 64-bit range"]})
    try:
        return model.model_validate(_canonical_names(model, raw))
    except ValidationError as exc:
        errors = validation_errors(exc)
        first = next(iter(errors.items()))
        raise ApiFailure(StatusCode.InvalidArguments, f"invalid {model.__name__}: {first[0]}: {first[1][0]}",
                         validation_errors=errors) from None


def success(data: Any) -> MesoLiveApiResponse[Any]:
    return MesoLiveApiResponse[Any](status=StatusCode.Success, data=data)


def failure(exc: ApiFailure) -> MesoLiveApiResponse[Any]:
    return MesoLiveApiResponse[Any](status=exc.status, message=exc.message, error=exc.error, data=exc.data)


def api_method(hub: Hub, name: str, model: type[A]) -> Callable[[Callable[[ServerConnection, A], Awaitable[Any]]], Any]:
    """Register ``handler(conn, args_model) -> data`` as hub method ``name`` returning an envelope."""

    def deco(handler: Callable[[ServerConnection, A], Awaitable[Any]]) -> Any:
        @functools.wraps(handler)
        async def method(conn: ServerConnection, raw: Any) -> MesoLiveApiResponse[Any]:
            try:
                return success(await handler(conn, parse_args(model, raw)))
            except ApiFailure as exc:
                return failure(exc)
            except StorageFull as exc:  # the store logged it once
                return failure(ApiFailure(StatusCode.InternalError, str(exc), code="StorageFull"))
            except Exception:
                log.exception("%s failed", name)
                return failure(ApiFailure(StatusCode.InternalError, f"internal error in {name}"))

        hub.method(name)(method)
        return handler

    return deco


def api_stream(hub: Hub, name: str, model: type[A]) -> Callable[[Callable[[ServerConnection, A], Any]], Any]:
    """Register an async-generator ``handler(conn, args_model)`` as stream ``name``.

    Streams yield bare items; a bad request fails the stream with a clear error.
    """

    def deco(handler: Callable[[ServerConnection, A], Any]) -> Any:
        @functools.wraps(handler)
        async def stream(conn: ServerConnection, raw: Any) -> Any:
            try:
                args = parse_args(model, raw)
            except ApiFailure as exc:
                raise HubError(f"{exc.status.value}: {exc.message}") from None
            try:
                async for item in handler(conn, args):
                    yield item
            except ApiFailure as exc:
                raise HubError(f"{exc.status.value}: {exc.message}") from None

        hub.stream(name)(stream)
        return handler

    return deco


# -- the contract's methods --------------------------------------------------------
#: (hub name, python_name) -> the contract's description of the method
_CONTRACT: dict[tuple[str, str], HubMethod] = {(m.hub, m.python_name): m for m in ALL_METHODS}


def implements(hub: Hub, python_name: str | None = None) -> Callable[[H], H]:
    """Register ``handler(conn, args)`` as the contract method of ``hub`` it is named after.

    The handler's name (or ``python_name``) is the method's ``python_name`` in
    :mod:`mesodesk.contract.methods` (``list_accounts`` implements ``ListAccounts``);
    the wire name, the args model and whether it is a stream come from there. A method
    returns the envelope's ``Data`` (see :func:`api_method`); a stream returns an async
    iterator of bare items (see :func:`api_stream`).
    """

    def deco(handler: H) -> H:
        name = python_name or handler.__name__
        spec = _CONTRACT.get((hub.name, name))
        if spec is None:
            raise LookupError(f"{name!r} is no method of the {hub.name!r} hub in mesodesk.contract.methods")
        annotation = getattr(handler, "__annotations__", {}).get("args")
        if annotation not in (None, Any, "Any", spec.args_model, spec.args_model.__name__):
            raise TypeError(f"{name}: args annotated {annotation!r}, the contract says {spec.args_model.__name__}")
        register = api_stream if spec.stream else api_method
        register(hub, spec.name, spec.args_model)(handler)
        return handler

    return deco


def check_implemented(hub: Hub) -> Hub:
    """``hub``, after checking it has a handler for every contract method of its name."""
    missing = [m.name for m in ALL_METHODS if m.hub == hub.name and m.name not in hub.methods]
    if missing:
        raise LookupError(f"the {hub.name!r} hub does not implement {', '.join(missing)}")
    return hub


# -- listing and paging ---------------------------------------------------------------
def where(value: Any, field: Callable[[T], Any]) -> Callable[[T], bool] | None:
    """A list filter ``field(item) == value``, or no filter (``None``) when ``value`` is None."""
    if value is None:
        return None
    return lambda item: bool(field(item) == value)


def list_page(items: Iterable[T], key: Callable[[T], Any], args: PagedArgs,
              *filters: Callable[[T], bool] | None) -> tuple[list[T], str | None]:
    """One page of a List* method: ``items`` passing every filter (``None`` = no filter),
    sorted by their unique ``key``, paged by ``args.limit`` and ``args.continuation_token``."""
    active = [f for f in filters if f is not None]
    kept = sorted((item for item in items if all(f(item) for f in active)), key=key)
    return paginate(kept, key, args.limit, args.continuation_token)


# -- paging -----------------------------------------------------------------------
def encode_token(after: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"after": after})).decode().rstrip("=")


def decode_token(token: str) -> Any:
    try:
        padded = token + "=" * (-len(token) % 4)
        return orjson.loads(base64.urlsafe_b64decode(padded))["after"]
    except Exception:
        raise ApiFailure(StatusCode.InvalidArguments, "ContinuationToken is not valid",
                         validation_errors={"ContinuationToken": ["not a token issued by this server"]}) from None


def paginate(items: Sequence[T], key: Callable[[T], Any], limit: int | None,
             token: str | None) -> tuple[list[T], str | None]:
    """Items after the token's key (items sorted by ``key``), plus the next token or None."""
    size = limit or DEFAULT_PAGE
    start = 0
    if token:
        after = decode_token(token)
        start = next((i for i, item in enumerate(items) if key(item) > after), len(items))
    page = list(items[start:start + size])
    more = start + size < len(items)
    return page, encode_token(key(page[-1])) if more and page else None
