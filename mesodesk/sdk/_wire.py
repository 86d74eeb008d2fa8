"""Tolerant reads of every result, stream item and event (see :mod:`mesodesk.contract.wire_read`).

One :class:`WireReader` per type read from the wire (an envelope ``MesoLiveApiResponse[X]``,
a stream item type, an event model). A read goes:

1. **strict** (the exact validator of the reader's dialect, PascalCase to begin with): every
   property at every depth must be a known one in that dialect (or a known-unknown one
   seen before, stripped); values are read leniently (int enums, 7-digit fractions...);
2. if that fails, the strict validator of the **other dialect** (camelCase); when it passes
   the reader switches to it for good (the server's naming is a server-wide property);
3. if that fails too, the **tolerant** path: normalize the keys by the models' alias
   tables, replace unknown enum members by pseudo-members (``unknown (11)``), drop unknown
   properties, validate. Each unmatched property is logged once per model and name
   (logger ``mesodesk.sdk.wire``, redacted) and tolerated from then on, so a server that
   always sends a field we do not model stays on the fast path. A payload that is still
   invalid raises the ordinary pydantic ``ValidationError``.

Stream readers (``sampled=True``) are hot: an item whose top-level property names are all
the dialect's own goes to the ordinary (``extra="ignore"``) validator of that dialect, the
same cost as before; the strict check runs for the first items of each reader and then for
one item in :data:`SAMPLE_EVERY` (an unknown *nested* property is found by it and logged).
Top-level names in another dialect always take the strict path, so a camelCase (or any
other) item is never validated by the PascalCase validator and its values cannot be
dropped silently. (Why sample: ``extra="forbid"`` on every model costs about 7 µs of the
~30 µs validation of a 3 KB ``PositionDataEntry``.) The top-level names stand for the whole
item because a serializer names every object alike; if a strict check ever finds an item
whose names are mixed (PascalCase objects inside camelCase ones, e.g. a server that names
some classes explicitly), that reader stops trusting the top level and checks every item
strictly from then on.

:func:`wire_observations` (and :func:`unmatched_wire_fields`) expose what was seen, for the
doctor.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from threading import Lock
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from mesodesk.contract.wire_read import (
    Dialect,
    ReadReport,
    exact_validator,
    lenient_adapter,
    model_aliases,
    normalize,
)
from mesodesk.sdk.redaction import redact

__all__ = [
    "SAMPLE_EVERY",
    "WireObservations",
    "WireReader",
    "reader",
    "unmatched_wire_fields",
    "wire_observations",
]

log = logging.getLogger("mesodesk.sdk.wire")

T = TypeVar("T")

#: a sampled reader checks strictly the first STRICT_FIRST items, then one in SAMPLE_EVERY
STRICT_FIRST = 16
SAMPLE_EVERY = 128
_MAX_NAME = 80

_lock = Lock()
_unmatched: dict[str, str] = {}  # "Model.property" -> first path
_unknown_values: dict[str, str] = {}  # "Enum: value" -> first path
_dialects: dict[str, str] = {}  # type name -> "PascalCase" | "camelCase"


@dataclass(frozen=True)
class WireObservations:
    """What the SDK's readers have seen since the process started.

    ``unmatched_fields``: ``"Model.property"`` of every property no field matched (ignored);
    ``unknown_enum_values``: ``"Enum: value"`` of every unknown enum member (read as
    ``unknown (value)``); ``dialects``: the property naming each type was last read in on
    the fast path (``"PascalCase"`` or ``"camelCase"``; a type read only through the
    tolerant path is absent).
    """

    unmatched_fields: frozenset[str]
    unknown_enum_values: frozenset[str]
    dialects: dict[str, str]


def wire_observations() -> WireObservations:
    """A snapshot of :class:`WireObservations`."""
    with _lock:
        return WireObservations(frozenset(_unmatched), frozenset(_unknown_values), dict(_dialects))


def unmatched_wire_fields() -> frozenset[str]:
    """``"Model.property"`` of every property the server sent that no field matched."""
    with _lock:
        return frozenset(_unmatched)


def _clean(text: object) -> str:
    value = redact(str(text))
    return value if len(value) <= _MAX_NAME else value[: _MAX_NAME - 1] + "…"


def _type_name(tp: Any) -> str:
    return str(getattr(tp, "__name__", None) or tp)


def _record(where: str, report: ReadReport) -> None:
    """Log each unmatched property / unknown member once (per process)."""
    for path, model, key in report.unknown_fields:
        name = f"{model.__name__}.{_clean(key)}"
        with _lock:
            if name in _unmatched:
                continue
            _unmatched[name] = path
        log.warning("MesoLive sent %s, which this SDK does not know (in %s at %s); ignored",
                    name, where, _clean(path) or "the top level")
    for path, enum_name, value in report.unknown_members:
        name = f"{enum_name}: {_clean(value)}"
        with _lock:
            if name in _unknown_values:
                continue
            _unknown_values[name] = path
        log.warning("MesoLive sent %s %r, which this SDK does not know (in %s at %s); read as 'unknown (%s)'",
                    enum_name, _clean(value), where, _clean(path), _clean(value))


@dataclass
class _Validators:
    """The validators of one dialect (and one set of tolerated keys)."""

    strict: Callable[[Any], Any]
    lenient: Callable[[Any], Any] | None  # sampled readers only
    keys: frozenset[str]  # top-level names the lenient path takes


class WireReader(Generic[T]):
    """Reads values of one type from parsed wire JSON (see the module docstring). Thread-safe
    enough: its state is a few attributes swapped atomically."""

    def __init__(self, tp: Any, *, sampled: bool = False) -> None:
        self.type = tp
        self.name = _type_name(tp)
        self.sampled = sampled
        self._model: type[BaseModel] | None = tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None
        self.dialect: Dialect = "pascal"
        self._tolerated: dict[type, set[str]] = {}
        self._built: dict[Dialect, _Validators] = {}
        self._strict: Callable[[Any], Any] | None = None
        self._chosen = _Validators(self._no_strict, None, frozenset())  # swapped as a whole
        self._strict_ok = 0  # strict reads that passed (sampled readers check the first ones)
        self._skip = 0  # sampled readers: reads left before the next strict check
        self._seen = False  # a strict read passed in the current dialect
        self._trust_top = sampled  # the top-level names tell the dialect of the whole item
        self._canonical: Callable[[Any], Any] = lenient_adapter(tp).validate_python

    @staticmethod
    def _no_strict(raw: Any) -> Any:
        raise AssertionError("not built yet")

    # -- validators (built lazily per dialect; rebuilt when the tolerated keys grow) ----------------
    def _validators(self, dialect: Dialect) -> _Validators:
        found = self._built.get(dialect)
        if found is not None:
            return found
        tolerated = {model: frozenset(keys) for model, keys in self._tolerated.items()}
        strict = exact_validator(self.type, dialect, tolerated).validate_python
        lenient: Callable[[Any], Any] | None = None
        keys: frozenset[str] = frozenset()
        if self.sampled and self._model is not None:
            # the lenient validators ignore unknown properties: no need to strip the tolerated ones
            if dialect == "pascal":
                adapter = lenient_adapter(self.type)
                if not isinstance(adapter.core_schema, dict):
                    adapter.rebuild(force=True)
                lenient = adapter.validator.validate_python
            else:
                lenient = exact_validator(self.type, dialect, forbid=False).validate_python
            keys = model_aliases(self._model, dialect) | tolerated.get(self._model, frozenset())
        found = self._built[dialect] = _Validators(strict, lenient, keys)
        return found

    def _use(self, dialect: Dialect) -> None:
        chosen = self._validators(dialect)
        self.dialect = dialect
        self._chosen = chosen
        self._strict = chosen.strict
        self._skip = 0

    # -- reading ------------------------------------------------------------------------------------
    def read(self, raw: Any) -> T:
        """The validated value of ``raw`` (parsed JSON); raises ``ValidationError`` when even
        the tolerant path cannot make a valid value of it."""
        chosen = self._chosen
        if self._skip and type(raw) is dict and raw.keys() <= chosen.keys:
            self._skip -= 1
            try:
                lenient: T = chosen.lenient(raw)  # type: ignore[misc]  # set with keys
                return lenient
            except ValidationError:
                pass  # e.g. an unknown enum member: the strict and tolerant paths below
        strict = self._strict
        if strict is None:
            self._use(self.dialect)
            strict = self._strict
            assert strict is not None
        try:
            value: T = strict(raw)
        except ValidationError:
            return self._recover(raw)
        if not self._seen:
            self._seen = True
            self._observe()
        if self._trust_top:
            self._strict_ok += 1
            if self._strict_ok >= STRICT_FIRST:
                self._skip = SAMPLE_EVERY - 1
        return value

    def _observe(self) -> None:
        with _lock:
            _dialects[self.name] = "camelCase" if self.dialect == "camel" else "PascalCase"

    def _recover(self, raw: Any) -> T:
        other: Dialect = "camel" if self.dialect == "pascal" else "pascal"
        try:
            value: T = self._validators(other).strict(raw)
        except ValidationError:
            return self._tolerant(raw)
        log.info("reading %s in %s property names", self.name, "camelCase" if other == "camel" else "PascalCase")
        self._use(other)
        self._seen = True
        self._observe()
        return value

    def _tolerant(self, raw: Any) -> T:
        report = ReadReport()
        normalized = normalize(self.type, raw, report)
        value: T = self._canonical(normalized)  # a ValidationError here is the payload's own fault
        if report.unknown_fields or report.unknown_members:
            _record(self.name, report)
        if report.unknown_fields:
            grew = False
            for _path, model, key in report.unknown_fields:
                keys = self._tolerated.setdefault(model, set())
                if key not in keys:
                    keys.add(key)
                    grew = True
            if grew:  # rebuilt with the new tolerated keys on the next read
                self._built = {}
                self._strict = None
                self._skip = 0
        if self._trust_top and report.mixed:
            self._trust_top = False
            self._skip = 0
            log.warning("MesoLive names the properties of %s in more than one way; every item is checked "
                        "strictly from now on (slower)", self.name)
        return value


_READERS: dict[tuple[Any, bool], WireReader[Any]] = {}


def reader(tp: Any, *, sampled: bool = False) -> WireReader[Any]:
    """The shared :class:`WireReader` of ``tp`` (``sampled``: a stream item type)."""
    key = (tp, sampled)
    found = _READERS.get(key)
    if found is None:
        found = _READERS.setdefault(key, WireReader(tp, sampled=sampled))
    return found
