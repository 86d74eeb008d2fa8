"""Where things are in a strategy's JSON text: offsets of every key/value by field path
(``Structure.Legs[0].Qty``), so a ValidationErrors path can be marked in the editor, and
the client-side basics (JSON syntax, an object, MesoSim v3+, a StrategyName)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from mesodesk.lang.check import PREFIX

__all__ = ["PREFIX", "basic_errors", "json_locations", "local_errors", "locate"]


class _Locator:
    """Offsets of every key/value in a JSON text, keyed by path (``Structure.Legs[0].Qty``)."""

    def __init__(self, text: str) -> None:
        self.t = text
        self.i = 0
        self.spans: dict[str, tuple[int, int]] = {}

    def run(self) -> dict[str, tuple[int, int]]:
        try:
            self.value("")
        except (IndexError, ValueError):
            pass  # partial locations are still useful
        return self.spans

    def ws(self) -> None:
        while self.i < len(self.t) and self.t[self.i] in " \t\r\n":
            self.i += 1

    def string(self) -> str:
        start = self.i
        self.i += 1
        while self.t[self.i] != '"':
            self.i += 2 if self.t[self.i] == "\\" else 1
        self.i += 1
        return str(json.loads(self.t[start:self.i]))

    def value(self, path: str) -> None:
        self.ws()
        start = self.i
        c = self.t[self.i]
        if c == "{":
            self.i += 1
            self.ws()
            if self.t[self.i] == "}":
                self.i += 1
            else:
                while True:
                    self.ws()
                    kstart = self.i
                    key = self.string()
                    child = f"{path}.{key}" if path else key
                    self.spans[child] = (kstart, self.i)
                    self.ws()
                    if self.t[self.i] != ":":
                        raise ValueError("expected ':'")
                    self.i += 1
                    self.value(child)
                    self.ws()
                    if self.t[self.i] == ",":
                        self.i += 1
                        continue
                    if self.t[self.i] == "}":
                        self.i += 1
                        break
                    raise ValueError("expected ',' or '}'")
        elif c == "[":
            self.i += 1
            self.ws()
            n = 0
            if self.t[self.i] == "]":
                self.i += 1
            else:
                while True:
                    vstart = self.i
                    self.value(f"{path}[{n}]")
                    self.spans.setdefault(f"{path}[{n}]", (vstart, self.i))
                    n += 1
                    self.ws()
                    if self.t[self.i] == ",":
                        self.i += 1
                        self.ws()
                        continue
                    if self.t[self.i] == "]":
                        self.i += 1
                        break
                    raise ValueError("expected ',' or ']'")
        elif c == '"':
            self.string()
        else:
            m = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null").match(self.t, self.i)
            if m is None:
                raise ValueError("bad value")
            self.i = m.end()
        if path and path not in self.spans:
            self.spans[path] = (start, self.i)


def json_locations(text: str) -> dict[str, tuple[int, int]]:
    return _Locator(text).run()


def locate(spans: dict[str, tuple[int, int]], path: str) -> tuple[int, int] | None:
    """The span of ``path`` (server prefix stripped), else of its nearest existing parent."""
    p = path[len(PREFIX) + 1:] if path.startswith(PREFIX + ".") else path
    while p:
        if p in spans:
            return spans[p]
        cut = max(p.rfind("."), p.rfind("["))
        p = p[:cut] if cut > 0 else ""
    return None


def local_errors(text: str, name_override: str) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """Client-side basics of a definition text: JSON syntax, an object, MesoSimVersion >= 3, a StrategyName."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, {"$": [f"JSON syntax error at line {exc.lineno}, column {exc.colno}: {exc.msg}"]}
    if not isinstance(data, dict):
        return None, {"$": ["the definition must be a JSON object"]}
    return data, basic_errors(data, name_override)


def basic_errors(data: Mapping[str, Any], name_override: str) -> dict[str, list[str]]:
    """MesoSimVersion >= 3 and a StrategyName (unless ``name_override`` names the strategy)."""
    errors: dict[str, list[str]] = {}
    version = str(data.get("MesoSimVersion", ""))
    m = re.match(r"^\s*v?(\d+)", version)
    if not m or int(m.group(1)) < 3:
        errors[f"{PREFIX}.MesoSimVersion"] = [f"MesoLive needs a MesoSim v3+ definition (got {version or 'none'!r})"]
    if not name_override and not str(data.get("StrategyName") or "").strip():
        errors[f"{PREFIX}.StrategyName"] = ["a StrategyName (or a Name above) is required"]
    return errors
