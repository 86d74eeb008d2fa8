"""MkDocs hook: generates the API reference pages from the code at build time.

Nothing here is written by hand, so the reference cannot drift from the SDK:

* ``reference/index.md``: every hub method: SDK method, hub method, args model, result.
* ``reference/control.md``, ``data.md``, ``events.md``: each client (mkdocstrings renders the
  signatures and docstrings) and, under every method, the field tables of its args model and
  of its result model (for paged results, of the item model too).
* ``reference/models.md``: every model of :mod:`mesodesk.contract`, grouped by module, with
  its field table (wire name, attribute, type, required, nullable, default, description)
  from :func:`mesodesk.contract.fields.field_rows` (the table ``Model.describe()`` prints),
  and the methods and events that use it.
* ``reference/enums.md``: every enum with its members, wire values and int values.
* ``reference/errors.md``: every exception the SDK exports, as a hierarchy.

Each model and enum gets the autorefs anchors ``mesodesk.contract.Name`` and
``mesodesk.contract.<module>.Name``, so signatures and tables link to it.
"""

from __future__ import annotations

import enum
import inspect
import logging
import re
import typing
from collections import defaultdict
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from pydantic import BaseModel

log = logging.getLogger("mkdocs.hooks.reference")

HUBS = [
    ("control", "Control hub", "mesodesk.sdk.control.MesoLiveControlHubClient", "/hubs/control/v1"),
    ("data", "Data hub", "mesodesk.sdk.data.MesoLiveDataHubClient", "/hubs/data/v1"),
    ("events", "Event hub", "mesodesk.sdk.events.MesoLiveEventHubClient", "/hubs/event/v1"),
]
#: classes a client page documents besides the client
EXTRA_CLASSES = {
    "control": ["mesodesk.sdk._prepare_kinds.IdempotencyOutcome"],
    "data": ["mesodesk.sdk._hub.HubStream", "mesodesk.sdk.lean.LeanPositionData", "mesodesk.sdk.lean.LeanLegData",
             "mesodesk.sdk.lean.LeanLegsData", "mesodesk.sdk.lean.LeanPrices", "mesodesk.sdk.lean.LeanGreeks",
             "mesodesk.sdk.lean.LeanGreekValues", "mesodesk.sdk.lean.LeanPnL"],
    "events": ["mesodesk.sdk.events.EventCursorStore", "mesodesk.sdk.events.JsonFileEventCursorStore"],
}
MODULE_TITLES = {
    "common": "Envelope, paging, idempotency",
    "accounts": "Accounts and agents",
    "strategies": "Strategies",
    "positions": "Positions and legs",
    "prepare": "Prepare jobs",
    "orders": "Orders, executions, paper fills",
    "market": "Market blocks (prices, greeks, P&L)",
    "data": "Data hub entries",
    "events": "Events",
    "base": "Base class",
}
MODULE_ORDER = list(MODULE_TITLES)

_ROLE = re.compile(r":(?:class|mod|attr|data|func|meth|obj|exc):`~?([^`]+)`")


# ----------------------------------------------------------------------------- helpers


def _contract() -> Any:
    import mesodesk.contract as contract

    return contract


def _public_models() -> list[type[BaseModel]]:
    contract = _contract()
    out = []
    for name in contract.__all__:
        obj = getattr(contract, name)
        if inspect.isclass(obj) and issubclass(obj, BaseModel):
            out.append(obj)
    return out


def _public_enums() -> list[type[enum.Enum]]:
    contract = _contract()
    out = []
    for name in contract.__all__:
        obj = getattr(contract, name)
        if inspect.isclass(obj) and issubclass(obj, enum.Enum) and list(obj):
            out.append(obj)
    return out


def _documented() -> set[type]:
    return {*_public_models(), *_public_enums()}


def _anchor_ids(cls: type) -> list[str]:
    ids = [f"mesodesk.contract.{cls.__name__}"]
    if cls.__module__ != "mesodesk.contract":
        ids.append(f"{cls.__module__}.{cls.__name__}")
    return ids


def _link(cls: type, documented: set[type]) -> str:
    name = getattr(cls, "__name__", str(cls))
    if cls in documented:
        return f"[`{name}`][mesodesk.contract.{name}]"
    return f"`{name}`"


def _md(text: str) -> str:
    """Docstring text (reST-flavoured) as Markdown."""
    text = inspect.cleandoc(text)
    return _ROLE.sub(lambda m: f"`{m.group(1).rsplit('.', 1)[-1]}`", text)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _type_cell(annotation: Any, documented: set[type]) -> str:
    from mesodesk.contract.fields import type_text

    links: dict[str, str] = {}

    def name(cls: type) -> str:
        key = f"\x00{len(links)}\x00"
        links[key] = _link(cls, documented)
        return key

    text = type_text(annotation, name)
    text = text.replace("[", "\\[").replace("]", "\\]").replace("|", "\\|")
    for key, value in links.items():
        text = text.replace(key, value)
    return text


def _generic_base(model: type[BaseModel]) -> str | None:
    for base in model.__bases__:
        bmeta = getattr(base, "__pydantic_generic_metadata__", None) or {}
        if bmeta.get("origin") is not None:
            args = ", ".join(getattr(a, "__name__", str(a)) for a in bmeta.get("args", ()))
            return f"{bmeta['origin'].__name__}[{args}]"
    return None


def field_table(model: type[BaseModel], documented: set[type]) -> str:
    """The Markdown field table of ``model``."""
    from mesodesk.contract.fields import field_rows

    rows = field_rows(model)
    if not rows:
        return "*No fields.*\n"
    out = ["| Wire name | Attribute | Type | Required | Nullable | Default | Description |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        desc = _md(r.description) if r.description else ""
        if r.constraints:
            desc = f"Constraints: `{r.constraints}`. {desc}".strip()
        out.append(
            f"| `{r.wire_name}` | `{r.python_name}` | {_type_cell(r.annotation, documented)} | "
            f"{'yes' if r.required else 'no'} | {'yes' if r.nullable else 'no'} | "
            f"{'`' + _cell(r.default) + '`' if r.default is not None else ''} | {_cell(desc)} |"
        )
    return "\n".join(out) + "\n"


def _item_model(model: Any) -> type[BaseModel] | None:
    """The item model of a paged result (``Page[LivePosition]`` -> ``LivePosition``)."""
    fields = getattr(model, "model_fields", {})
    items = fields.get("items")
    if items is None:
        return None
    args = typing.get_args(items.annotation)
    return args[0] if args and inspect.isclass(args[0]) and issubclass(args[0], BaseModel) else None


# ----------------------------------------------------------------------------- pages


def _usage_index() -> dict[type, list[str]]:
    """model -> where the SDK uses it (args of / result of / stream item of / event of)."""
    from mesodesk.contract import EVENT_CALLBACKS
    from mesodesk.contract.methods import CONTROL_METHODS, DATA_METHODS, EVENT_METHODS

    used: dict[type, list[str]] = defaultdict(list)
    for (_, _, cls_path, _), methods in zip(HUBS, (CONTROL_METHODS, DATA_METHODS, EVENT_METHODS), strict=True):
        for m in methods:
            ref = f"[`{m.python_name}`][{cls_path}.{m.python_name}]"
            used[m.args_model].append(f"args of {ref}")
            if m.result_model is not None:
                used[m.result_model].append(f"{'item of' if m.stream else 'result of'} {ref}")
                item = _item_model(m.result_model)
                if item is not None:
                    used[item].append(f"item of {ref} (and `iter_*`)")
    for cb in EVENT_CALLBACKS.values():
        used[cb.model].append(f"payload of `{cb.callback}` ([`{cb.handler}`][mesodesk.sdk.events.MesoLiveEventHubClient.{cb.handler}])")
    return used


def models_page() -> str:
    documented = _documented()
    used = _usage_index()
    by_module: dict[str, list[type[BaseModel]]] = defaultdict(list)
    for model in _public_models():
        by_module[model.__module__.rsplit(".", 1)[-1]].append(model)
    out = [
        "# Models",
        "",
        "Every argument, result, entity and event model of the wire contract. They live in",
        "`mesodesk.contract` (and are re-exported by `mesodesk.sdk.models`):",
        "",
        "```python",
        "from mesodesk.sdk.models import LivePosition, OrderState   # or: from mesodesk.contract import ...",
        "```",
        "",
        "Read a field by its **attribute** (`position.broker_account_id`); the **wire name** is the",
        "JSON name on the hub (`BrokerAccountId`) and is what keyword arguments may also use.",
        "*Required* fields are always sent; *nullable* ones may be `None`. The same table is",
        "printed by `print(Model.describe())` and shown by `help(Model)`.",
        "",
    ]
    for key in sorted(by_module, key=lambda k: MODULE_ORDER.index(k) if k in MODULE_ORDER else 99):
        out += [f"## {MODULE_TITLES.get(key, key)}", "", f"Module `mesodesk.contract.{key}`.", ""]
        for model in by_module[key]:
            out += [*(f"[](){{#{i}}}" for i in _anchor_ids(model)), f"### {model.__name__}", ""]
            bases = [b for b in model.__bases__ if b in documented and b.__name__ != "WireModel"]
            generic = _generic_base(model)
            if generic:
                out += [f"A `{generic}`.", ""]
            elif bases:
                out += ["Extends " + ", ".join(_link(b, documented) for b in bases) + ".", ""]
            doc = model.__dict__.get("__doc__")
            if isinstance(doc, str) and doc.strip():
                out += [_md(doc), ""]
            out += [field_table(model, documented)]
            if used.get(model):
                out += ["Used as: " + "; ".join(dict.fromkeys(used[model])) + ".", ""]
    return "\n".join(out)


def _enum_int(cls: type[enum.Enum], member: enum.Enum, index: int) -> str:
    if isinstance(member, enum.Flag):
        return str(member.value)
    return str(index)


def enums_page() -> str:
    out = [
        "# Enums",
        "",
        "Every enum of the wire contract (`mesodesk.contract`, also `mesodesk.sdk.models`).",
        "Enums go on the wire as their member name (the *wire value* column). On input the SDK",
        "also reads the name in any case and an integer (the *int* column: declaration order, or",
        "the bit value of a flag). A value the contract does not know reads as a pseudo-member",
        "`unknown (<value>)` instead of failing the call; compare with members, never with strings.",
        "",
    ]
    for cls in _public_enums():
        out += [*(f"[](){{#{i}}}" for i in _anchor_ids(cls)), f"## {cls.__name__}", ""]
        doc = cls.__dict__.get("__doc__")
        if isinstance(doc, str) and doc.strip():
            out += [_md(doc), ""]
        flag = issubclass(cls, enum.Flag)
        out += [f"{'Flags (combine with `|`); ' if flag else ''}`from mesodesk.contract import {cls.__name__}`", ""]
        out += ["| Python member | Wire value | int |", "|---|---|---|"]
        for index, member in enumerate(cls):
            wire = member.value if isinstance(member.value, str) else member.name
            out.append(f"| `{cls.__name__}.{member.name}` | `{wire}` | {_enum_int(cls, member, index)} |")
        out.append("")
    return "\n".join(out)


def _client_page(key: str, title: str, cls_path: str, hub_path: str) -> str:
    import importlib

    from mesodesk.contract import EVENT_CALLBACKS
    from mesodesk.contract.methods import CONTROL_METHODS, DATA_METHODS, EVENT_METHODS

    documented = _documented()
    methods = {"control": CONTROL_METHODS, "data": DATA_METHODS, "events": EVENT_METHODS}[key]
    module_name, cls_name = cls_path.rsplit(".", 1)
    client = getattr(importlib.import_module(module_name), cls_name)
    hub_names = {m.python_name for m in methods}
    handler_names = {cb.handler for cb in EVENT_CALLBACKS.values()} | {"on_event"}
    other = sorted(
        name for name, member in inspect.getmembers(client)
        if not name.startswith("_") and name not in hub_names and name not in handler_names
        and (inspect.isfunction(member) or isinstance(member, property)) and member.__doc__
    )
    out = [
        f"# {title} (`{hub_path}`)",
        "",
        f"::: {cls_path}",
        "    options:",
        "      members: false",
        "      show_root_heading: true",
        "      heading_level: 2",
        "",
        "## Hub methods",
        "",
        "Every method takes its args model, or keyword arguments that build it (snake_case attribute",
        "or PascalCase wire names), and returns the result model below.",
        "",
    ]
    for m in methods:
        out += [
            f"::: {cls_path}.{m.python_name}",
            "    options:",
            "      show_root_heading: true",
            "      heading_level: 3",
            "",
        ]
        facts = [f"Hub method `{m.name}`", f"args {_link(m.args_model, documented)}"]
        if m.result_model is not None:
            facts.append(("yields " if m.stream else "returns ") + _link(m.result_model, documented))
        if m.idempotent:
            facts.append("idempotent (an `IdempotencyKey` is generated when you give none)")
        if m.provider_required:
            facts.append("a `Provider` is required")
        out += [" · ".join(facts) + ".", ""]
        out += [f"**Arguments** ({_link(m.args_model, documented)})", "", field_table(m.args_model, documented)]
        if m.result_model is not None:
            label = "Each item" if m.stream else "Result"
            out += [f"**{label}** ({_link(m.result_model, documented)})", "", field_table(m.result_model, documented)]
            item = _item_model(m.result_model)
            if item is not None:
                out += [f"**Each of `Items`** ({_link(item, documented)}; `iter_*` yields these)", "",
                        field_table(item, documented)]
    if key == "events":
        out += [
            "## Event handlers",
            "",
            "Register with `on_<event>(handler)`; sync and `async def` handlers both work and each",
            "registration returns a remover. The payload models are on the [models page](models.md#events).",
            "",
            "| Register with | Hub callback | Payload |",
            "|---|---|---|",
        ]
        for cb in EVENT_CALLBACKS.values():
            out.append(f"| [`{cb.handler}`][{cls_path}.{cb.handler}] | `{cb.callback}` | {_link(cb.model, documented)} |")
        out += [
            "",
            f"::: {cls_path}",
            "    options:",
            "      show_root_heading: false",
            "      show_root_toc_entry: false",
            "      heading_level: 3",
            "      inherited_members: true",
            f"      members: [on_event, {', '.join(cb.handler for cb in EVENT_CALLBACKS.values())}]",
            "",
        ]
    extras = EXTRA_CLASSES.get(key, [])
    if extras:
        out += ["## Helper classes", ""]
        for path in extras:
            out += [f"::: {path}", "    options:", "      show_root_heading: true", "      heading_level: 3", ""]
    if other:
        out += [
            "## Other methods and properties",
            "",
            f"::: {cls_path}",
            "    options:",
            "      show_root_heading: false",
            "      show_root_toc_entry: false",
            "      heading_level: 3",
            "      inherited_members: true",
            f"      members: [{', '.join(other)}]",
            "",
        ]
    return "\n".join(out)


def reference_index() -> str:
    from mesodesk.contract.methods import CONTROL_METHODS, DATA_METHODS, EVENT_METHODS

    documented = _documented()
    out = [
        "# API reference",
        "",
        "Pages: [Control hub](control.md) · [Data hub](data.md) · [Event hub](events.md) ·",
        "[Models](models.md) · [Enums](enums.md) · [Errors](errors.md).",
        "",
        "Every hub method, its SDK method, its args model and what it returns. Follow a model's",
        "link for its field table.",
        "",
    ]
    for (_, title, cls_path, hub_path), methods in zip(HUBS, (CONTROL_METHODS, DATA_METHODS, EVENT_METHODS), strict=True):
        out += [f"## {title} (`{hub_path}`)", "", "| SDK method | Hub method | Args model | Returns |", "|---|---|---|---|"]
        for m in methods:
            ret = _link(m.result_model, documented) if m.result_model is not None else ""
            if m.stream:
                ret = f"async iterator of {ret}"
            out.append(f"| [`{m.python_name}`][{cls_path}.{m.python_name}] | `{m.name}` | "
                       f"{_link(m.args_model, documented)} | {ret} |")
        out.append("")
    return "\n".join(out)


def errors_page() -> str:
    import mesodesk.sdk as sdk

    errors = [getattr(sdk, n) for n in sdk.__all__
              if inspect.isclass(getattr(sdk, n)) and issubclass(getattr(sdk, n), BaseException)]
    seen: dict[type, str] = {}
    for cls in errors:
        seen.setdefault(cls, min((n for n in sdk.__all__ if getattr(sdk, n) is cls), key=len))
    roots = [c for c in seen if not any(b in seen for b in c.__mro__[1:])]
    out = [
        "# Errors",
        "",
        "Every exception `mesodesk.sdk` exports (`from mesodesk.sdk import MesoLiveApiException`),",
        "as a hierarchy. Catch the most specific one you can act on; every hub method raises",
        "`MesoLiveApiException` (or a subclass) when the server answers with a non-`Success`",
        "[`StatusCode`][mesodesk.contract.StatusCode].",
        "",
    ]

    def tree(cls: type, depth: int) -> None:
        std = [b.__name__ for b in cls.__bases__ if b not in seen and b.__module__ == "builtins" and b is not Exception]
        extra = f" (also a `{'`, `'.join(std)}`)" if std else ""
        out.append(f"{'    ' * depth}- [`{seen[cls]}`](#{_slug(seen[cls])}){extra}")
        for sub in sorted((c for c in seen if cls in c.__bases__), key=lambda c: seen[c]):
            tree(sub, depth + 1)

    for root in sorted(roots, key=lambda c: seen[c]):
        tree(root, 0)
    out.append("")
    for cls in sorted(seen, key=lambda c: seen[c]):
        aliases = [n for n in sdk.__all__ if getattr(sdk, n) is cls and n != seen[cls]]
        out += [f"## {seen[cls]}", ""]
        if aliases:
            out += [f"Also exported as {', '.join(f'`{a}`' for a in aliases)}.", ""]
        out += [
            f"::: {cls.__module__}.{cls.__qualname__}",
            "    options:",
            "      show_root_heading: false",
            "      show_root_toc_entry: false",
            "      show_bases: true",
            "      members: false",
            "",
        ]
    return "\n".join(out)


def _slug(name: str) -> str:
    return name.lower()


PAGES = {
    "reference/index.md": reference_index,
    "reference/control.md": lambda: _client_page(*HUBS[0]),
    "reference/data.md": lambda: _client_page(*HUBS[1]),
    "reference/events.md": lambda: _client_page(*HUBS[2]),
    "reference/models.md": models_page,
    "reference/enums.md": enums_page,
    "reference/errors.md": errors_page,
}


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for path, build in PAGES.items():
        files.append(File.generated(config, path, content=build()))
    return files
