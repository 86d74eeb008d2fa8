"""Keyword arguments of the SDK methods: strict names, friendly values, errors that name the argument.

Every hub method takes its args model or keyword arguments that build it
(:func:`mesodesk.sdk._hub.build_args`). Keyword arguments are checked here, before
anything is sent:

* **Strict names.** Each name must be a field of the args model, spelled in snake_case
  (``exec_plan_id``) or as the reference SDK / the wire spells it (``ExecPlanId``). Any
  other name, at any depth (``contract={"strik": ...}``), is refused with
  :class:`MesoLiveArgumentError` and a "did you mean" suggestion; so is one field given
  twice (``state=`` and ``State=``). The shared models themselves keep ignoring unknown
  properties (a server ignores them too): strictness is a property of SDK *writes*, asked
  of pydantic per validation (``extra="forbid"``). Results are still read tolerantly.
* **Friendly values.** ``None`` for a flags argument (``include_legs=None``) means no
  flags (``LiveDataInclude.None_``); ``underlying="SPX"`` is short for
  ``LiveUnderlying(symbol="SPX")``; enum members are accepted by name in any case (the
  models already do that, see :class:`~mesodesk.contract.WireEnum`).
* **Errors name the argument as typed** (``position_id``, or ``PositionId`` if that is how
  it was written), nested ones as a path (``contract.strike``, ``fills['P1'].qty``); a
  missing enum argument lists its members.
"""

from __future__ import annotations

import difflib
import enum
import inspect
import sys
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from threading import Lock
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from mesodesk.contract import LiveUnderlying, WireModel
from mesodesk.sdk.errors import MesoLiveError

__all__ = ["ArgumentProblem", "MesoLiveArgumentError", "check_filters", "parse_arguments"]

M = TypeVar("M", bound=WireModel)

ProblemKind = Literal["unexpected", "duplicate", "missing", "invalid", "usage"]


@dataclass(frozen=True)
class ArgumentProblem:
    """One refused argument of an SDK call.

    ``kind``: ``unexpected`` (no such argument), ``duplicate`` (given twice, e.g. in
    snake_case and PascalCase), ``missing`` (required), ``invalid`` (a value the model
    refused) or ``usage`` (e.g. an args model and keyword arguments together).
    ``argument`` is the argument's path as typed (``state``, ``contract.strike``);
    ``suggestion`` the closest allowed name of an unexpected one; ``allowed`` the names
    allowed where it was given (``scope``: ``""`` at the top level, else the path of the
    object, e.g. ``contract``), or the members of an enum argument.
    """

    kind: ProblemKind
    argument: str
    message: str
    suggestion: str | None = None
    allowed: tuple[str, ...] = ()
    scope: str = ""

    @property
    def allowed_hint(self) -> str:
        """``allowed: a, b`` (``allowed in contract: ...``) for an unexpected argument, else ``""``."""
        if self.kind != "unexpected" or not self.allowed:
            return ""
        where = f" in {self.scope}" if self.scope else ""
        return f"allowed{where}: {', '.join(self.allowed)}"

    def __str__(self) -> str:
        hint = self.allowed_hint
        return f"{self.message} ({hint})" if hint else self.message


class MesoLiveArgumentError(MesoLiveError, TypeError, ValueError):
    """The arguments of an SDK method were refused before anything was sent.

    For example ``list_positions(stat="Closed")`` raises::

        list_positions() got an unexpected argument 'stat': did you mean 'state'?
        (allowed: live_strategy_id, live_exec_plan_id, broker_account_id, state, limit,
        continuation_token, timeout)

    It is a :class:`TypeError`, like Python's own "unexpected keyword argument", and a
    :class:`ValueError`, like the pydantic ``ValidationError`` it replaces (``__cause__``
    holds that error when there was one). ``method`` is the SDK method, ``problems`` lists
    every refused argument (:class:`ArgumentProblem`); ``argument`` and ``suggestion`` are
    the first one's.
    """

    def __init__(self, method: str, problems: Iterable[ArgumentProblem]) -> None:
        self.method = method
        self.problems: tuple[ArgumentProblem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("MesoLiveArgumentError needs at least one problem")
        if len(self.problems) == 1:
            text = f"{method}() {self.problems[0]}"
        else:
            lines = [f"  - {p.message}" for p in self.problems]
            lines += [f"  ({hint})" for hint in dict.fromkeys(p.allowed_hint for p in self.problems) if hint]
            text = f"{method}() got {len(self.problems)} bad arguments:\n" + "\n".join(lines)
        super().__init__(text)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.method, self.problems))

    @property
    def argument(self) -> str:
        """The (first) refused argument, as typed."""
        return self.problems[0].argument

    @property
    def suggestion(self) -> str | None:
        """The closest allowed name of the (first) refused argument, if any."""
        return self.problems[0].suggestion


# ----------------------------------------------------------------------------- model specs


@dataclass(frozen=True)
class _Spec:
    """The argument names of one model."""

    names: tuple[str, ...]  # field names, in the order they are listed in messages
    spelling: dict[str, str]  # snake_case name or wire alias -> field name
    alias: dict[str, str]  # field name -> wire alias
    annotation: dict[str, Any]  # field name -> annotation


_SPECS: dict[type[BaseModel], _Spec] = {}
_SPECS_LOCK = Lock()
#: shorthands: a model given as one string means that field (``underlying="SPX"``)
_SHORTHANDS: dict[type[BaseModel], str] = {LiveUnderlying: "symbol"}
#: listed last in messages: plumbing rather than what the call is about
_LISTED_LAST = ("limit", "continuation_token", "idempotency_key")


def _spec(model: type[BaseModel]) -> _Spec:
    found = _SPECS.get(model)
    if found is not None:
        return found
    if not getattr(model, "__pydantic_fields_complete__", True):
        model.model_rebuild()  # resolve forward references before reading annotations
    fields = model.model_fields

    def declared_depth(name: str) -> int:  # fields of the model itself first, then its bases'
        for depth, cls in enumerate(model.__mro__):
            if name in inspect.get_annotations(cls):
                return depth
        return len(model.__mro__)

    order = sorted(fields, key=lambda n: (_LISTED_LAST.index(n) if n in _LISTED_LAST else -1, declared_depth(n)))
    spelling: dict[str, str] = {}
    alias: dict[str, str] = {}
    for name, info in fields.items():
        wire = info.validation_alias if isinstance(info.validation_alias, str) else (info.alias or name)
        alias[name] = wire
        spelling[name] = name
        spelling.setdefault(wire, name)
    spec = _Spec(tuple(order), spelling, alias, {n: i.annotation for n, i in fields.items()})
    with _SPECS_LOCK:
        return _SPECS.setdefault(model, spec)


def _fold(text: str) -> str:
    return text.replace("_", "").lower()


def _suggest(typed: str, spec: _Spec, extra_names: tuple[str, ...] = (),
             hidden: Mapping[str, str | None] | None = None) -> str | None:
    """The allowed name closest to ``typed``, spelled in the style ``typed`` was (PascalCase
    typed -> the wire alias, else snake_case). ``hidden`` fields are not offered."""
    candidates: dict[str, str] = {}
    pascal = typed[:1].isupper()
    for name in spec.names:
        if not hidden or name not in hidden:
            candidates.setdefault(_fold(name), spec.alias[name] if pascal else name)
    for name in extra_names:
        candidates.setdefault(_fold(name), name)
    folded = _fold(typed)
    if folded in candidates:  # another case/underscore style: camelCase, EXEC_PLAN_ID ...
        return candidates[folded]
    match = difflib.get_close_matches(folded, list(candidates), n=1, cutoff=0.6)
    if match:
        return candidates[match[0]]
    # one name that starts or ends with what was typed (``id`` -> ``position_id``), or is its start
    near = [c for c in candidates
            if len(folded) >= 2 and (c.startswith(folded) or c.endswith(folded) or folded.startswith(c))]
    return candidates[near[0]] if len(near) == 1 else None


# ------------------------------------------------------------------------------ annotations


def _unwrap(tp: Any) -> Any:
    """``tp`` without ``Annotated`` and without ``| None``."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin is typing.Union or origin is types.UnionType:
            options = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(options) == 1:
                tp = options[0]
                continue
        return tp


def _nullable(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _nullable(typing.get_args(tp)[0])
    if origin is typing.Union or origin is types.UnionType:
        return any(a is type(None) or _nullable(a) for a in typing.get_args(tp))
    return tp is type(None) or tp is Any


def _model(tp: Any) -> type[BaseModel] | None:
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _enum_members(tp: Any) -> tuple[str, ...]:
    """The member names of an enum/flags type (``None_`` shown as ``None``), else ``()``."""
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        names = [("None" if name == "None_" else name) for name in tp.__members__]
        return tuple(dict.fromkeys(names))
    return ()


_SEQUENCES = (list, tuple, set, frozenset, typing.get_origin(typing.Sequence[int]))
_MAPPINGS = (dict, typing.get_origin(typing.Mapping[int, int]))


def _friendly(tp: Any, value: Any) -> Any:
    """``value`` for a field of type ``tp`` with the SDK's shorthands applied (at any depth)."""
    if value is None:
        inner = _unwrap(tp)
        if not _nullable(tp) and isinstance(inner, type) and issubclass(inner, enum.Flag):
            return inner(0)  # include_legs=None: no flags
        return value
    inner = _unwrap(tp)
    model = _model(inner)
    if model is not None:
        if isinstance(value, str) and model in _SHORTHANDS:
            return {_SHORTHANDS[model]: value}
        if isinstance(value, Mapping):
            spec = _spec(model)
            out: dict[Any, Any] = {}
            for key, item in value.items():
                name = spec.spelling.get(key) if isinstance(key, str) else None
                out[key] = _friendly(spec.annotation[name], item) if name is not None else item
            return out
        return value
    origin = typing.get_origin(inner)
    args = typing.get_args(inner)
    if origin in _SEQUENCES and args and isinstance(value, (list, tuple)):
        return [_friendly(args[0], item) for item in value]
    if origin in _MAPPINGS and len(args) == 2 and isinstance(value, Mapping):
        return {key: _friendly(args[1], item) for key, item in value.items()}
    return value


# ----------------------------------------------------------------------------------- errors


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path and not part.startswith("[") else path + part


@dataclass
class _Located:
    path: str  # as typed
    model: type[BaseModel] | None  # the model owning the last name
    annotation: Any  # the annotation of the value at ``path``


def _locate(model: type[BaseModel], data: Any, loc: tuple[int | str, ...]) -> _Located:
    """Follow a pydantic error location through the models, naming each field as typed."""
    tp: Any = model
    value: Any = data
    path = ""
    owner: type[BaseModel] | None = None
    for item in loc:
        inner = _unwrap(tp)
        current = _model(inner)
        if current is not None and isinstance(item, str):
            spec = _spec(current)
            owner = current
            name = spec.spelling.get(item)
            typed = item if (isinstance(value, Mapping) and item in value) or name is None else name
            path = _join(path, typed)
            tp = spec.annotation[name] if name is not None else Any
            value = value.get(item) if isinstance(value, Mapping) else None
            continue
        origin = typing.get_origin(inner)
        args = typing.get_args(inner)
        if origin in _SEQUENCES and args and isinstance(item, int):
            path = _join(path, f"[{item}]")
            tp = args[0]
            value = value[item] if isinstance(value, (list, tuple)) and -len(value) <= item < len(value) else None
            continue
        if origin in _MAPPINGS and len(args) == 2:
            path = _join(path, f"[{item!r}]")
            tp = args[1]
            value = value.get(item) if isinstance(value, Mapping) else None
            continue
        if origin is typing.Union or origin is types.UnionType:  # a union member's tag
            for option in typing.get_args(inner):
                if getattr(option, "__name__", None) == item:
                    tp = option
                    break
            continue
        if not isinstance(item, str) or not item.startswith(("function-", "lax-", "strict-", "json-")):
            path = _join(path, f"[{item!r}]" if isinstance(item, int) else str(item))
    return _Located(path, owner, tp)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _problem(model: type[BaseModel], data: Mapping[str, Any], error: Any, extra_names: tuple[str, ...]) -> ArgumentProblem:
    located = _locate(model, data, tuple(error["loc"]))
    kind = error["type"]
    if kind == "extra_forbidden" and located.model is not None:
        typed = str(error["loc"][-1])
        return _unexpected(located.path, typed, located.model, top=located.path == typed, extra_names=extra_names)
    if kind == "missing":
        members = _enum_members(_unwrap(located.annotation))
        hint = f" (one of: {', '.join(members)})" if members else ""
        return ArgumentProblem("missing", located.path, f"missing required argument '{located.path}'{hint}",
                               allowed=members)
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    received = _short(error.get("input"))
    got = "" if received in message else f" (got {received})"
    where = f"for argument '{located.path}'" if located.path else ""
    return ArgumentProblem("invalid", located.path, f"got an invalid value {where}: {message}{got}".replace("  ", " "),
                           allowed=_enum_members(_unwrap(located.annotation)))


def _unexpected(path: str, typed: str, model: type[BaseModel], *, top: bool,
                extra_names: tuple[str, ...] = (), hidden: Mapping[str, str | None] | None = None) -> ArgumentProblem:
    spec = _spec(model)
    names = extra_names if top else ()
    hidden = hidden if top else None
    field = spec.spelling.get(typed)
    if hidden and field is not None and field in hidden:  # a field this method sets itself
        suggestion = hidden[field]
    else:
        suggestion = _suggest(typed, spec, names, hidden)
    allowed = tuple(n for n in spec.names if not hidden or n not in hidden)
    allowed += tuple(n for n in names if n not in allowed)
    hint = f": did you mean '{suggestion}'?" if suggestion else ""
    scope = "" if top else (path[: -len(typed)].rstrip(".") or model.__name__)
    return ArgumentProblem("unexpected", path, f"got an unexpected argument '{path}'{hint}", suggestion, allowed, scope)


# ------------------------------------------------------------------------------------ entry


def parse_arguments(model: type[M], kwargs: Mapping[str, Any], method: str,
                    extra_names: tuple[str, ...] = (), hidden: Mapping[str, str | None] | None = None) -> M:
    """Build ``model`` from the keyword arguments of SDK method ``method``, strictly.

    ``extra_names`` are the method's own keyword parameters (``timeout``...): offered as
    suggestions for a misspelled one. ``hidden`` maps fields the method does not take
    (it sets them itself) to what to suggest instead (or ``None``). Raises
    :class:`MesoLiveArgumentError`.
    """
    spec = _spec(model)
    problems: list[ArgumentProblem] = []
    data: dict[str, Any] = {}
    given: dict[str, str] = {}
    for key, value in kwargs.items():
        name = spec.spelling.get(key)
        if name is None or (hidden and name in hidden):
            problems.append(_unexpected(key, key, model, top=True, extra_names=extra_names, hidden=hidden))
            continue
        if name in given:
            problems.append(ArgumentProblem(
                "duplicate", key, f"got argument '{name}' twice (as '{given[name]}' and as '{key}')"))
            continue
        given[name] = key
        data[key] = _friendly(spec.annotation[name], value)
    try:
        result = model.model_validate(data, extra="forbid")
    except ValidationError as exc:
        found = [_problem(model, data, error, extra_names) for error in exc.errors(include_url=False)]
        explained = {p.suggestion for p in problems if p.kind == "unexpected"}
        problems.extend(p for p in found if not (p.kind == "missing" and p.argument in explained))
        raise MesoLiveArgumentError(method, _sorted(problems)) from exc
    if problems:
        raise MesoLiveArgumentError(method, _sorted(problems))
    return result


_KIND_ORDER = {"usage": 0, "unexpected": 1, "duplicate": 2, "missing": 3, "invalid": 4}


def _sorted(problems: list[ArgumentProblem]) -> list[ArgumentProblem]:
    return sorted(problems, key=lambda p: _KIND_ORDER[p.kind])


def refuse(method: str, message: str, argument: str = "") -> MesoLiveArgumentError:
    """A :class:`MesoLiveArgumentError` about how the method was called (not one argument)."""
    return MesoLiveArgumentError(method, [ArgumentProblem("usage", argument, message)])


#: ``iter_*`` page themselves: the paging arguments of List* are not theirs
_PAGING: dict[str, str | None] = {"limit": "page_size", "continuation_token": None}


def check_filters(method: str, model: type[WireModel], filters: Mapping[str, Any]) -> None:
    """Check the filters of an ``iter_*`` helper eagerly (at the call, not at the first
    iteration): the arguments of ``model`` except its paging ones."""
    parse_arguments(model, filters, method, ("page_size",), hidden=_PAGING)


def caller_parameters(depth: int = 2) -> tuple[str, tuple[str, ...]]:
    """The name and keyword-only parameters of the function ``depth`` frames up (the SDK
    method that called ``build_args``), for messages."""
    code = sys._getframe(depth).f_code
    start = code.co_argcount
    return code.co_name, tuple(code.co_varnames[start : start + code.co_kwonlyargcount])
