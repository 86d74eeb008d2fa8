"""What is wrong with a payload, *after* the SDK's tolerant reading: for ``mesodesk doctor``.

>>> from mesodesk.contract.wire_check import check_payload
>>> for finding in check_payload("GetPosition", {"id": 7, "state": 3, "realizedPnL": "n/a", "vwap": 1}):
...     print(finding)
GetPosition.CreatedAt: missing (expected a value (required), got nothing)
...
GetPosition.RealizedPnL: wrong type (expected a valid decimal, got 'n/a')
GetPosition.State: unknown enum member (expected a LivePositionState member, got 3)
GetPosition.vwap: unknown field (expected a property of LivePositionDetails, got 'vwap')
GetPosition.id: dialect (expected PascalCase keys, got camelCase keys)
GetPosition.State: dialect (expected enum member names, got int enums)

(``check_envelope("ListPositions", completion_result)`` checks a whole envelope.)

:func:`check_payload` reads ``raw`` (parsed JSON: dicts, lists, str, numbers) exactly as
the SDK does on its tolerant path (:func:`~mesodesk.contract.wire_read.normalize`, then
pydantic validation) and reports, as :class:`Finding` s:

* what still fails (``severity == "error"``): ``"missing"`` (a required property absent in
  every spelling), ``"wrong type"`` (a value that cannot be read: ``"abc"`` for a number,
  an unparseable timestamp, a string where an object belongs...);
* what was read but deserves a look (``"warning"``): ``"unknown enum member"`` (shown as
  ``unknown (<value>)`` by the console; for a replayed event an unknown ``EventType``, whose
  envelope the SDK drops) and ``"unknown field"`` (a property no field matches, ignored);
* notes on the dialect the payload uses (``"info"``, problem ``"dialect"``): camelCase or
  snake_case keys, int enums, enum names in another case, 7-digit fractions, offsets,
  timestamps without a zone, numbers as strings, int flags. One note per kind, at its
  first occurrence.

Paths start with ``path`` (or the method/event name when ``model_or_type`` is a name), use
the canonical property names, ``[i]`` for list items and ``[key]`` for dict entries:
``ListPositions.Items[0].RealizedPnL``. Findings come errors first, then warnings, then
notes, each group in payload order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from .common import MesoLiveApiResponse
from .events import EVENT_CALLBACKS
from .methods import ALL_METHODS
from .wire_read import ReadReport, lenient_adapter, normalize

__all__ = ["Finding", "Problem", "check_envelope", "check_payload", "payload_type"]

Problem = Literal["missing", "wrong type", "unknown enum member", "unknown field", "dialect"]

_SEVERITY: dict[str, str] = {
    "missing": "error",
    "wrong type": "error",
    "unknown enum member": "warning",
    "unknown field": "warning",
    "dialect": "info",
}
_EXPECTED_NOTE: dict[str, str] = {
    "camelCase keys": "PascalCase keys",
    "snake_case keys": "PascalCase keys",
    "lower-case keys": "PascalCase keys",
    "keys in another spelling": "PascalCase keys",
    "int enums": "enum member names",
    "numeric-string enums": "enum member names",
    "enum names in another case": "enum member names as documented",
    "timestamps with an offset": "UTC timestamps with Z",
    "timestamps without a zone (read as UTC)": "UTC timestamps with Z",
    "numbers as strings": "JSON numbers",
    "int flags": "comma-separated flag names",
}


@dataclass(frozen=True)
class Finding:
    """One thing :func:`check_payload` found. ``expected``/``got`` are short human texts
    (``got`` is the received value or name, shortened)."""

    path: str
    problem: Problem
    expected: str
    got: str

    @property
    def severity(self) -> str:
        """``"error"`` (the SDK cannot read it), ``"warning"`` (read, but not fully
        understood) or ``"info"`` (a dialect note)."""
        return _SEVERITY[self.problem]

    def __str__(self) -> str:
        where = self.path or "(top level)"
        return f"{where}: {self.problem} (expected {self.expected}, got {self.got})"


def payload_type(name: str) -> Any:
    """The type :func:`check_payload` checks for a name: a hub method name -> its result
    model (the envelope's ``Data``, or a stream's item), an event callback name
    (``"OnOrderUpdate"``) -> its payload model. Raises ``KeyError`` when unknown."""
    for method in ALL_METHODS:
        if method.name == name:
            return method.result_model
    callback = EVENT_CALLBACKS.get(name)
    if callback is not None:
        return callback.model
    raise KeyError(f"no hub method or event callback named {name!r}")


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _loc_path(prefix: str, loc: tuple[int | str, ...]) -> str:
    path = prefix
    for part in loc:
        if isinstance(part, int) or (isinstance(part, str) and part.lstrip("-").isdigit()):
            path += f"[{part}]"
        elif part == "[key]":
            path += "[key]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path


def _type_text(model_or_type: Any) -> str:
    return str(getattr(model_or_type, "__name__", None) or model_or_type)


def check_payload(model_or_type: Any, raw_json_value: Any, path: str = "") -> list[Finding]:
    """Check ``raw_json_value`` (parsed JSON) against ``model_or_type`` (a model such as
    ``LivePosition``, a type such as ``list[Order]`` or ``MesoLiveApiResponse[Order]``, or a
    hub method / event callback name, see :func:`payload_type`). Returns every
    :class:`Finding`; an empty list means the payload is exactly as documented."""
    tp = model_or_type
    if isinstance(model_or_type, str):
        tp = payload_type(model_or_type)
        path = path or model_or_type
    report = ReadReport(detail=True)
    normalized = normalize(tp, raw_json_value, report, path)
    errors: list[Finding] = []
    # objects of an unknown variant (a replayed event of an unknown EventType): the SDK drops
    # them, so their validation errors are not news
    dropped = tuple(where.removesuffix("." + name) for where, name, _ in report.unknown_members if name == "EventType")
    try:
        lenient_adapter(tp).validate_python(normalized)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            where = _loc_path(path, tuple(error["loc"]))
            if dropped and any(where == prefix or where.startswith((prefix + ".", prefix + "["))
                               for prefix in dropped):
                continue
            if error["type"] == "missing":
                errors.append(Finding(where, "missing", "a value (required)", "nothing"))
            else:
                errors.append(Finding(where, "wrong type", error["msg"].removeprefix("Input should be "),
                                      _short(error.get("input"))))
    warnings = [
        Finding(where, "unknown enum member", f"a member of {enum_name}", _short(value))
        for where, enum_name, value in report.unknown_members
    ]
    warnings += [
        Finding(_join(where, key), "unknown field", f"a property of {model.__name__}", _short(key, 80))
        for where, model, key in report.unknown_fields
    ]
    notes = [Finding(where, "dialect", _expected_note(note), note) for note, where in report.notes.items()]
    return errors + warnings + notes


def _expected_note(note: str) -> str:
    if note.endswith("-digit fractions"):
        return "at most 6 fraction digits"
    return _EXPECTED_NOTE.get(note, "the documented form")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def check_envelope(method: str, raw_result: Any) -> list[Finding]:
    """:func:`check_payload` of a whole completion result (``{Status, Message, Error, Data}``)
    of hub method ``method``; paths start with the method name (``ListPositions.Data.Items``)."""
    envelope: Any = MesoLiveApiResponse[payload_type(method)]  # type: ignore[misc]  # a runtime type
    return check_payload(envelope, raw_result, method)
