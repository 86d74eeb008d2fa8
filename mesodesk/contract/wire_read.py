"""Tolerant reading of MesoLive wire values: the building blocks of the SDK's readers
and of :mod:`mesodesk.contract.wire_check`.

ASP.NET Core's JSON hub protocol, left at its defaults, writes camelCase property names
(and reads any case), 7 fraction digits in a ``DateTime`` and enums as integers; the
MesoLive docs show PascalCase and enum names. Nobody has seen a real frame, so reads
accept every one of these, while writes stay exactly as documented (:func:`~.base.dumps`).

Two pieces:

* :func:`exact_validator` (the fast path): a validator of a model/type built from its
  own pydantic core schema with every model switched to ``extra="forbid"`` and, for the
  ``"camel"`` dialect, every field's validation alias replaced by its camelCase form
  (the .NET ``JsonNamingPolicy.CamelCase`` of the PascalCase alias: ``RealizedPnL`` ->
  ``realizedPnL``, ``IV`` -> ``iv``). It validates a payload in one dialect at pydantic
  speed and *fails* on anything it does not recognise (an unknown or misspelt key at any
  depth, an unknown enum member), so nothing is ever dropped silently: the caller then
  takes the tolerant path. Keys found unknown before can be *tolerated* (stripped
  before that model validates) so that a server which always sends a field we do not
  model stays on the fast path.
* :func:`normalize` (the tolerant path): one pass over a payload, driven by each
  model's alias table, that renames every property whose name matches a field
  case-insensitively and ignoring underscores (PascalCase, camelCase, snake_case...) to
  its canonical alias, recursing by the field types (nested models, lists, dict
  *values*: dict keys are data, never renamed), replaces an unknown enum member with
  its pseudo-member (``OrderState.unknown(11)``: ``str()`` is ``"unknown (11)"``), drops
  unknown properties and records all of this in a :class:`ReadReport`. The result is
  then validated with the ordinary (``extra="ignore"``) validator.

Value tolerance needs no normalizing and works on both paths: :class:`~.enums.WireEnum`
reads names in any case and ints (declaration order); :data:`~.base.UtcDatetime` reads
0-7 fraction digits and offsets; numbers may be JSON numbers or numeric strings
(pydantic's lax mode).
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from threading import Lock
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter
from pydantic_core import SchemaValidator, core_schema

from .enums import WireEnum

__all__ = [
    "Dialect",
    "ReadReport",
    "camel_alias",
    "exact_validator",
    "fold_key",
    "lenient_adapter",
    "model_aliases",
    "normalize",
]

#: ``"pascal"``: the documented names (snake_case names are accepted too);
#: ``"camel"``: ASP.NET Core's default camelCase names.
Dialect = Literal["pascal", "camel"]

Walker = Callable[[Any, "ReadReport", str], Any]


def fold_key(key: str) -> str:
    """The spelling-insensitive form of a property name: lower case, no ``_``/``-``."""
    return key.replace("_", "").replace("-", "").lower()


def camel_alias(name: str) -> str:
    """.NET ``JsonNamingPolicy.CamelCase`` of a PascalCase name: the leading run of capitals
    is lower-cased, except the last one when a lower-case letter follows
    (``PositionId`` -> ``positionId``, ``IV`` -> ``iv``, ``WVega`` -> ``wVega``,
    ``RealizedPnL`` -> ``realizedPnL``)."""
    if not name or not name[0].isupper():
        return name
    chars = list(name)
    for i, ch in enumerate(chars):
        if i == 1 and not ch.isupper():
            break
        has_next = i + 1 < len(chars)
        if i > 0 and has_next and not chars[i + 1].isupper():
            if chars[i + 1] == " ":
                chars[i] = ch.lower()
            break
        chars[i] = ch.lower()
    return "".join(chars)


# ----------------------------------------------------------------------------- the report


@dataclass
class ReadReport:
    """What :func:`normalize` found. ``detail=True`` (the doctor) also collects dialect
    notes: ``notes`` maps a note (``"camelCase keys"``, ``"int enums"``, ``"7-digit
    fractions"``...) to the path of its first occurrence; and an object of an unknown
    variant is kept (reported) instead of dropped from its list."""

    detail: bool = False
    #: (path of the object, its model, the property as received)
    unknown_fields: list[tuple[str, type[BaseModel], str]] = field(default_factory=list)
    #: (path of the value, enum name, the value as received); also an unknown ``EventType``
    #: of a replayed event (that envelope is dropped from its list)
    unknown_members: list[tuple[str, str, Any]] = field(default_factory=list)
    #: properties whose name was the canonical (documented) alias
    canonical: int = 0
    #: properties whose name was not the canonical alias (renamed), of which ``camel`` were
    #: exactly its camelCase form
    renamed: int = 0
    camel: int = 0
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """Whether anything was renamed, dropped or replaced."""
        return bool(self.renamed or self.unknown_fields or self.unknown_members)

    @property
    def mixed(self) -> bool:
        """Whether the names were not all in one dialect: PascalCase and camelCase names
        together, or names in any other spelling (snake_case, lower case...)."""
        return bool((self.canonical and self.camel) or self.renamed > self.camel)

    def note(self, what: str, path: str) -> None:
        self.notes.setdefault(what, path)


# ----------------------------------------------------------------------------- type walkers


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


@dataclass
class _Plan:
    """How to walk one model's dicts."""

    model: type[BaseModel]
    name: str
    aliases: frozenset[str]  # canonical keys
    camels: frozenset[str]  # their camelCase forms
    lookup: dict[str, str]  # common spellings (alias, camel, snake name, lower) -> alias
    folded: dict[str, str]  # fold_key(any spelling) -> alias
    children: dict[str, Walker]  # alias -> walker of the value
    variants: tuple[str, ...]  # aliases of union-of-models fields resolved by ``wire_variant``
    style: dict[str, str]  # (detail) received spelling -> note


_PLANS: dict[tuple[type[BaseModel], bool], _Plan] = {}
_WALKERS: dict[tuple[Any, bool], Walker | None] = {}
_LOCK = Lock()


def _field_alias(name: str, info: Any) -> str:
    alias = info.validation_alias
    if isinstance(alias, str):
        return alias
    return str(info.alias or name)


def _plan(model: type[BaseModel], detail: bool) -> _Plan:
    plan = _PLANS.get((model, detail))
    if plan is not None:
        return plan
    fields = model.model_fields
    aliases: dict[str, str] = {}  # name -> alias
    for name, info in fields.items():
        aliases[name] = _field_alias(name, info)
    lookup: dict[str, str] = {}
    folded: dict[str, str] = {}
    style: dict[str, str] = {}
    for name, alias in aliases.items():
        camel = camel_alias(alias)
        for spelling, what in ((alias, ""), (camel, "camelCase keys"), (name, "snake_case keys"),
                               (alias.lower(), "lower-case keys")):
            lookup.setdefault(spelling, alias)
            if what and spelling != alias:
                style.setdefault(spelling, what)
        folded.setdefault(fold_key(alias), alias)
        folded.setdefault(fold_key(name), alias)
    children: dict[str, Walker] = {}
    variants: list[str] = []
    for name, info in fields.items():
        alias = aliases[name]
        walker = _walker(info.annotation, detail)  # (a nested model's plan is made when first walked)
        if walker is not None:
            children[alias] = walker
        elif len(_models_of(info.annotation)) > 1 and callable(getattr(model, "wire_variant", None)):
            variants.append(alias)
    plan = _Plan(model, model.__name__, frozenset(aliases.values()),
                 frozenset(camel_alias(a) for a in aliases.values()), lookup, folded, children, tuple(variants), style)
    with _LOCK:
        return _PLANS.setdefault((model, detail), plan)


def _models_of(tp: Any) -> list[type[BaseModel]]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _models_of(typing.get_args(tp)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [m for arg in typing.get_args(tp) for m in _models_of(arg)]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return []


#: returned by a model walk whose object must be dropped from its list/dict (an unknown variant)
_DROP: Any = object()


def _walk_model(plan: _Plan, data: dict[Any, Any], report: ReadReport, path: str) -> Any:
    out: dict[str, Any] = {}
    aliases, lookup, children = plan.aliases, plan.lookup, plan.children
    for key, value in data.items():
        if key in aliases:
            alias = key
            report.canonical += 1
        else:
            alias = lookup.get(key)
            if alias is None:
                alias = plan.folded.get(fold_key(key)) if type(key) is str else None
                if alias is None:
                    report.unknown_fields.append((path, plan.model, str(key)))
                    continue
            report.renamed += 1
            if key in plan.camels:
                report.camel += 1
            if report.detail:
                report.note(plan.style.get(key, "keys in another spelling"), _join(path, str(key)))
        walker = children.get(alias)
        if walker is not None:
            walked = walker(value, report, _join(path, alias))
            out[alias] = value if walked is _DROP else walked
        else:
            out[alias] = value
    for alias in plan.variants:
        if alias in out:
            try:
                variant = plan.model.wire_variant(alias, out)  # type: ignore[attr-defined]
            except LookupError:
                continue  # cannot tell: validation reports it
            if variant is None:  # e.g. an EventType this contract does not know: drop the object
                what, value = plan.model.wire_variant_key(alias, out)  # type: ignore[attr-defined]
                report.unknown_members.append((_join(path, what), what, value))
                return out if report.detail else _DROP  # (the doctor shows it instead)
            walked = _model_walker(variant, report.detail)(out[alias], report, _join(path, alias))
            if walked is not _DROP:
                out[alias] = walked
    return out


def _model_walker(model: type[BaseModel], detail: bool) -> Walker:
    cell: list[_Plan] = []

    def walk(value: Any, report: ReadReport, path: str) -> Any:
        if type(value) is not dict:
            return value
        if not cell:
            cell.append(_plan(model, detail))
        return _walk_model(cell[0], value, report, path)

    return walk


def _list_walker(inner: Walker) -> Walker:
    def walk(value: Any, report: ReadReport, path: str) -> Any:
        if type(value) is not list:
            return value
        walked = [inner(item, report, f"{path}[{i}]") for i, item in enumerate(value)]
        return [item for item in walked if item is not _DROP] if _DROP in walked else walked

    return walk


def _dict_walker(inner: Walker) -> Walker:
    def walk(value: Any, report: ReadReport, path: str) -> Any:
        if type(value) is not dict:
            return value
        walked = {key: inner(item, report, f"{path}[{key}]") for key, item in value.items()}
        return {k: v for k, v in walked.items() if v is not _DROP} if _DROP in walked.values() else walked

    return walk


def _enum_walker(cls: type[WireEnum], detail: bool) -> Walker:
    members = cls._value2member_map_

    def walk(value: Any, report: ReadReport, path: str) -> Any:
        kind = type(value)
        if kind is str:
            if value in members:
                return value
        elif kind is not int:
            return value  # None, a member, or a wrong type pydantic reports
        try:
            member = cls(value)
        except ValueError:
            member = cls.unknown(value)
        if member.is_unknown:
            report.unknown_members.append((path, cls.__name__, value))
        elif detail:
            if kind is int:
                report.note("int enums", path)
            else:
                report.note("enum names in another case" if _as_number(value) is None else "numeric-string enums",
                            path)
        return member

    return walk


def _as_number(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip())
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def _datetime_walker(value: Any, report: ReadReport, path: str) -> Any:
    """(detail only) notes the timestamp forms that differ from ours."""
    if type(value) is str and len(value) >= 19:
        tail = value[19:]
        zone = ""
        if tail.endswith(("Z", "z")):
            zone, tail = "Z", tail[:-1]
        elif len(tail) >= 6 and tail[-6] in "+-":
            zone, tail = tail[-6:], tail[:-6]
        digits = len(tail) - 1 if tail.startswith(".") else 0
        if digits > 6:
            report.note(f"{digits}-digit fractions", path)
        if not zone:
            report.note("timestamps without a zone (read as UTC)", path)
        elif zone != "Z":
            report.note("timestamps with an offset", path)
    return value


def _number_walker(value: Any, report: ReadReport, path: str) -> Any:
    """(detail only) notes numbers sent as strings."""
    if type(value) is str:
        report.note("numbers as strings", path)
    return value


def _flag_walker(value: Any, report: ReadReport, path: str) -> Any:
    """(detail only) notes flags sent as int bitmasks."""
    if type(value) is int:
        report.note("int flags", path)
    return value


_SEQUENCES = (list, tuple, set, frozenset, typing.get_origin(typing.Sequence[int]),
              typing.get_origin(typing.AbstractSet[int]))
_MAPPINGS = (dict, typing.get_origin(typing.Mapping[int, int]))


def _walker(tp: Any, detail: bool) -> Walker | None:
    """The walker of values of type ``tp`` (``None``: nothing to do for such values)."""
    key = (tp, detail)
    try:
        return _WALKERS[key]
    except KeyError:
        pass
    except TypeError:  # unhashable annotation
        return _build_walker(tp, detail)
    walker = _build_walker(tp, detail)
    _WALKERS[key] = walker
    return walker


def _build_walker(tp: Any, detail: bool) -> Walker | None:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _walker(args[0], detail)
    if origin is typing.Union or origin is types.UnionType:
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return _walker(options[0], detail)
        return None  # several models: resolved by the owner's ``wire_variant``; scalars: nothing to do
    if origin in _SEQUENCES and args:
        inner = _walker(args[0], detail)
        return _list_walker(inner) if inner is not None else None
    if origin in _MAPPINGS and len(args) == 2:
        inner = _walker(args[1], detail)
        return _dict_walker(inner) if inner is not None else None
    if origin is not None or not isinstance(tp, type):
        return None  # Literal, Any, TypeVar, ...
    if issubclass(tp, BaseModel):
        return _model_walker(tp, detail)
    if issubclass(tp, WireEnum):
        return _enum_walker(tp, detail)
    if not detail:
        return None
    if issubclass(tp, enum.Flag):
        return _flag_walker
    if issubclass(tp, datetime):
        return _datetime_walker
    if issubclass(tp, (Decimal, int, float)) and not issubclass(tp, (bool, enum.Enum)):
        return _number_walker
    return None


def normalize(tp: Any, value: Any, report: ReadReport | None = None, path: str = "") -> Any:
    """``value`` (parsed JSON) with every property renamed to its canonical alias, unknown
    properties dropped and unknown enum members replaced by pseudo-members, as far as the
    type ``tp`` (a model, ``list[Model]``, ``MesoLiveApiResponse[X]``...) describes it.

    ``report`` collects what was found (``path`` prefixes its paths). The input is not
    modified; what ``tp`` does not describe (``Any``, dict keys, scalars) is passed as is.
    """
    walker = _walker(tp, report.detail if report is not None else False)
    if walker is None:
        return value
    walked = walker(value, report if report is not None else ReadReport(), path)
    return value if walked is _DROP else walked


# ----------------------------------------------------------------------------- exact validators

_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def lenient_adapter(tp: Any) -> TypeAdapter[Any]:
    """The ordinary ``TypeAdapter`` of ``tp`` (cached): ``extra="ignore"``, canonical names."""
    adapter = _ADAPTERS.get(tp)
    if adapter is None:
        adapter = _ADAPTERS[tp] = TypeAdapter(tp)
    return adapter


def _stripper(keys: frozenset[str]) -> Callable[[Any], Any]:
    def strip(value: Any) -> Any:
        if type(value) is dict and not keys.isdisjoint(value):
            return {k: v for k, v in value.items() if k not in keys}
        return value

    return strip


def _rewrite(schema: Any, dialect: Dialect, forbid: bool, tolerated: Mapping[type, frozenset[str]],
             memo: dict[int, Any]) -> Any:
    """A copy of a core schema with every model ``extra="forbid"`` (if ``forbid``), camelCase
    aliases for the ``"camel"`` dialect, and tolerated keys stripped before their model validates."""
    if isinstance(schema, list):
        return [_rewrite(item, dialect, forbid, tolerated, memo) for item in schema]
    if not isinstance(schema, dict):
        return schema
    done = memo.get(id(schema))
    if done is not None:
        return done
    out: dict[str, Any] = {}
    memo[id(schema)] = out
    for key, value in schema.items():
        out[key] = value if key in ("cls", "metadata", "function", "serialization") else _rewrite(
            value, dialect, forbid, tolerated, memo)
    kind = out.get("type")
    if kind == "model":
        if forbid:
            out["config"] = {**out.get("config", {}), "extra_fields_behavior": "forbid"}
        keys = tolerated.get(out["cls"]) if "cls" in out else None
        if keys:
            inner = {k: v for k, v in out.items() if k != "ref"}
            wrapper: dict[str, Any] = dict(core_schema.no_info_before_validator_function(_stripper(keys), inner))
            if "ref" in out:
                wrapper["ref"] = out["ref"]
            out.clear()
            out.update(wrapper)
    elif kind == "model-fields" and forbid:
        out["extra_behavior"] = "forbid"
    elif kind == "model-field" and dialect == "camel":
        alias = out.get("validation_alias")
        if isinstance(alias, str):
            out["validation_alias"] = camel_alias(alias)
    return out


def exact_validator(
    tp: Any, dialect: Dialect = "pascal", tolerated: Mapping[type, Iterable[str]] | None = None, *,
    forbid: bool = True,
) -> SchemaValidator:
    """A validator of ``tp`` that accepts exactly the ``dialect``'s property names (plus the
    snake_case field names) at every depth, and fails on any other property except the
    ``tolerated`` ones (model class -> property names, stripped before that model validates).
    ``forbid=False``: other properties are ignored instead (the ordinary behaviour, in that
    dialect). Values are read as leniently as by the ordinary validator. Not cached."""
    adapter = lenient_adapter(tp)
    if not isinstance(adapter.core_schema, dict):  # a deferred build (``defer_build=True``)
        adapter.rebuild(force=True)
    schema = adapter.core_schema
    frozen = {model: frozenset(keys) for model, keys in (tolerated or {}).items()}
    # _use_prebuilt=False: otherwise pydantic-core reuses each (complete) model's own
    # validator for its "model" schema, ignoring the rewritten one.
    rewritten: Any = _rewrite(schema, dialect, forbid, frozen, {})
    return SchemaValidator(rewritten, _use_prebuilt=False)


def model_aliases(model: type[BaseModel], dialect: Dialect = "pascal") -> frozenset[str]:
    """The property names of ``model``'s fields in ``dialect`` (its top level only)."""
    aliases = (_field_alias(name, info) for name, info in model.model_fields.items())
    return frozenset(camel_alias(a) for a in aliases) if dialect == "camel" else frozenset(aliases)
