"""The fields of a wire model, as a user reads them: wire name, Python name, type, required/nullable.

One source for three readers: ``Model.describe()`` (a text table), ``help(Model)`` (the same
table under the class docstring, see :class:`mesodesk.contract._lazydoc.WireModelMeta`) and the
generated API reference (``docs/hooks/reference.py``). Imported only when one of them asks:
importing the ~190 models costs nothing extra.

>>> from mesodesk.contract import LivePosition
>>> print(LivePosition.describe())          # doctest: +SKIP
LivePosition (mesodesk.contract.positions)
...
wire name        attribute          type                 required  nullable  default
Id               id                 int                  yes       no
...
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

__all__ = ["FieldRow", "describe", "field_rows", "model_doc", "type_text"]


@dataclass(frozen=True)
class FieldRow:
    """One field of a model."""

    #: the attribute name (``position.broker_account_id``)
    python_name: str
    #: the JSON name on the wire (``BrokerAccountId``)
    wire_name: str
    #: the type as text (``list[LiveLeg] | None``)
    type: str
    #: the server must send it / you must pass it
    required: bool
    #: ``None`` is a valid value
    nullable: bool
    #: the default as text (``None``, ``0``, ``All``, ``[]``), ``None`` when required
    default: str | None
    #: value constraints as text (``1..1000``, ``at most 1000 items``), empty when none
    constraints: str
    #: what the field means: its ``Field(description=...)``, else the sentences of the
    #: model's docstring that name it
    description: str
    #: the annotation itself (to find the models and enums it refers to)
    annotation: Any = None


def _constraint_text(metadata: list[Any]) -> str:
    lo = hi = None
    parts: list[str] = []
    for m in metadata:
        name = type(m).__name__
        if name == "Ge":
            lo = f"{m.ge}"
        elif name == "Gt":
            lo = f">{m.gt}"
        elif name == "Le":
            hi = f"{m.le}"
        elif name == "Lt":
            hi = f"<{m.lt}"
        elif name == "MinLen":
            parts.append(f"length ≥ {m.min_length}")
        elif name == "MaxLen":
            parts.append(f"length ≤ {m.max_length}")
        elif getattr(m, "pattern", None):
            parts.append(f"pattern {m.pattern}")
        for attr, label in (("min_length", "length ≥"), ("max_length", "length ≤")):
            if name not in ("MinLen", "MaxLen") and getattr(m, attr, None) is not None:
                parts.append(f"{label} {getattr(m, attr)}")
    if lo is not None or hi is not None:
        if lo is not None and hi is not None and not lo.startswith(">") and not hi.startswith("<"):
            parts.insert(0, f"{lo}..{hi}")
        else:
            parts.insert(0, " and ".join(x for x in (
                f"≥ {lo}" if lo and not lo.startswith(">") else (f"> {lo[1:]}" if lo else ""),
                f"≤ {hi}" if hi and not hi.startswith("<") else (f"< {hi[1:]}" if hi else ""),
            ) if x))
    return ", ".join(dict.fromkeys(parts))


def _plain_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def type_text(tp: Any, name: Callable[[type], str] | None = None) -> str:
    """``tp`` as a reader writes it (``dict[int, LivePrices] | None``); ``name(cls)`` renders
    each class (the reference uses it to link models and enums)."""
    render = name or _plain_name
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return type_text(typing.get_args(tp)[0], name)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        parts = [type_text(a, name) for a in args if a is not type(None)]
        if type(None) in args:
            parts.append("None")
        return " | ".join(parts)
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in typing.get_args(tp))
    if origin is not None:
        args = typing.get_args(tp)
        base = getattr(origin, "__name__", str(origin))
        return f"{base}[{', '.join(type_text(a, name) for a in args)}]" if args else base
    if tp is Any:
        return "Any"
    if tp is type(None):
        return "None"
    if isinstance(tp, type):
        return render(tp)
    return str(tp).replace("typing.", "")


def _nullable(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _nullable(typing.get_args(tp)[0])
    return tp is type(None) or tp is Any or (
        origin in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp))


def _collect_metadata(tp: Any, into: list[Any]) -> None:
    """Constraint metadata nested in ``Optional[Annotated[int, Field(ge=1)]]``."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        args = typing.get_args(tp)
        for m in args[1:]:
            into.extend(getattr(m, "metadata", None) or [m])
        _collect_metadata(args[0], into)
    elif origin in (typing.Union, types.UnionType):
        for a in typing.get_args(tp):
            _collect_metadata(a, into)


def _default_text(info: Any) -> str | None:
    if info.is_required():
        return None
    if info.default_factory is not None:
        try:
            value = info.default_factory()
        except TypeError:
            return "(generated)"
        if isinstance(value, (list, dict, set)) and not value:
            return {list: "[]", dict: "{}", set: "set()"}[type(value)]
        return "(generated)"
    value = info.default
    if value is PydanticUndefined:
        return None
    if isinstance(value, Enum):
        return str(value.name) if value.name is not None else str(value.value)
    if isinstance(value, Decimal):
        return str(value)
    return repr(value)


_SENTENCE = re.compile(r"(?<=[.;])\s+(?=[A-Z`(*])|\n\s*\n|\n\s*[*-]\s+")
_REF = re.compile(r":(?:class|mod|attr|data|func|meth|obj):`~?([^`]+)`")


def _sentences(doc: str) -> list[str]:
    text = _REF.sub(lambda m: f"``{m.group(1).rsplit('.', 1)[-1]}``", doc)
    return [" ".join(s.split()).lstrip("*- ") for s in _SENTENCE.split(text) if s and s.strip()]


def _docs_of(model: type[BaseModel]) -> list[str]:
    docs: list[str] = []
    for cls in model.__mro__:
        if cls is BaseModel or not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            continue
        doc = cls.__dict__.get("__doc__")
        if isinstance(doc, str) and doc.strip():
            # the summary sentence names the model, and ``{A, B?}`` sentences list its shape:
            # neither says what one field means
            docs.extend(s.rstrip(";") + ("." if s.endswith(";") else "")
                        for s in _sentences(doc)[1:] if "{" not in s)
    return docs


def _description(wire: str, python: str, info: Any, sentences: list[str]) -> str:
    if info.description:
        return " ".join(str(info.description).split())
    pattern = re.compile(rf"``{re.escape(wire)}(?:[.\[`])|``{re.escape(python)}``")
    found = [s for s in sentences if pattern.search(s)]
    return " ".join(dict.fromkeys(found))


def field_rows(model: type[BaseModel]) -> list[FieldRow]:
    """Every field of ``model`` in declaration order (inherited fields first)."""
    sentences = _docs_of(model)
    rows: list[FieldRow] = []
    for python, info in model.model_fields.items():
        wire = info.alias or python
        annotation = info.annotation
        metadata = list(info.metadata)
        _collect_metadata(annotation, metadata)
        rows.append(FieldRow(
            python_name=python,
            wire_name=wire,
            type=type_text(annotation),
            required=info.is_required(),
            nullable=_nullable(annotation),
            default=_default_text(info),
            constraints=_constraint_text(metadata),
            description=_description(wire, python, info, sentences),
            annotation=annotation,
        ))
    return rows


def _table(rows: list[FieldRow]) -> list[str]:
    head = ("wire name", "attribute", "type", "required", "nullable", "default")
    cells = [head] + [(r.wire_name, r.python_name, r.type + (f" ({r.constraints})" if r.constraints else ""),
                       "yes" if r.required else "no", "yes" if r.nullable else "no", r.default or "")
                      for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    return ["  ".join(c[i].ljust(widths[i]) for i in range(len(head))).rstrip() for c in cells]


def describe(model: type[BaseModel]) -> str:
    """A text table of ``model``'s fields: wire name, attribute, type, required, nullable,
    default; then what each field means where the model's docstring says it."""
    lines = [f"{model.__name__} ({model.__module__})"]
    doc = model.__dict__.get("__doc__")
    if isinstance(doc, str) and doc.strip():
        lines += ["", *(line.rstrip() for line in _dedent(doc).splitlines())]
    rows = field_rows(model)
    if not rows:
        lines += ["", "(no fields)"]
        return "\n".join(lines)
    lines += ["", *_table(rows)]
    notes = [f"  {r.wire_name}: {r.description}" for r in rows if r.description]
    if notes:
        lines += ["", "Notes:", *notes]
    return "\n".join(lines)


def _dedent(doc: str) -> str:
    import inspect

    return inspect.cleandoc(doc)


def _field_section(model: type[BaseModel]) -> str:
    rows = field_rows(model)
    if not rows:
        return "Fields: none."
    return "\n".join(["Fields (wire name, attribute, type, required, nullable, default):", "", *_table(rows)])


def model_doc(cls: type[BaseModel], own: str | None) -> str | None:
    """The ``__doc__`` of a wire model class: its docstring, then its field table."""
    if not cls.__dict__.get("__pydantic_fields__"):  # WireModel itself, or still being built
        return own
    text = _dedent(own) if own else cls.__name__
    return f"{text}\n\n{_field_section(cls)}\n\nMore: {cls.__name__}.describe()"
