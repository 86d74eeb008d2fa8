"""A user finds a model's fields: ``describe()``, ``help()``, ``mesodesk.sdk.models``; docstrings
carry no research tags (they live in docs/contract-decisions.md)."""

from __future__ import annotations

import ast
import enum
import inspect
import pydoc
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

import mesodesk.contract as contract
from mesodesk.contract import (
    GetLegsArgs,
    ListPositionsArgs,
    LivePosition,
    LivePositionDetails,
    PaperFill,
    StreamPositionDataArgs,
)
from mesodesk.contract.fields import field_rows

ROOT = Path(__file__).resolve().parents[2]
TAG = re.compile(r"\[(D|I|U)\]")
MODELS = [getattr(contract, n) for n in contract.__all__
          if inspect.isclass(getattr(contract, n)) and issubclass(getattr(contract, n), BaseModel)]


def test_describe_lists_every_field() -> None:
    text = LivePosition.describe()
    assert text.startswith("LivePosition (mesodesk.contract.positions)")
    for wire, attr in [("BrokerAccountId", "broker_account_id"), ("State", "state"), ("QtyMultiplier", "qty_multiplier")]:
        assert re.search(rf"^{wire}\s+{attr}\s", text, re.M), wire
    assert re.search(r"^ClosedAt\s+closed_at\s+datetime \| None\s+no\s+yes\s+None$", text, re.M)
    assert "Limit              limit               int | None (1..1000)" in ListPositionsArgs.describe()
    assert "list[int] (length ≤ 1000)" in GetLegsArgs.describe()
    assert re.search(r"^PriceFields\s+price_fields\s+LiveQuoteFields\s+no\s+no\s+All$",
                     StreamPositionDataArgs.describe(), re.M)
    assert "Qty: ``Qty`` null = the full prepared leg qty" in PaperFill.describe()


def test_field_rows_follow_the_model() -> None:
    for model in MODELS:
        rows = field_rows(model)
        assert [r.python_name for r in rows] == list(model.model_fields), model
        for r in rows:
            info = model.model_fields[r.python_name]
            assert r.wire_name == (info.alias or r.python_name)
            assert r.required == info.is_required()


def test_help_shows_the_fields_but_instances_and_json_schema_keep_the_docstring() -> None:
    page = pydoc.render_doc(LivePositionDetails, renderer=pydoc.plaintext)
    assert "Fields (wire name, attribute, type, required, nullable, default)" in page
    assert re.search(r"LegPnLs\s+leg_pnls\s+dict\[int, LivePnL\] \| None", page)
    assert "LivePositionDetails.describe()" in page
    assert LivePosition.__dict__["__doc__"] == "Position summary (``ListPositions`` item)."
    assert "Fields" not in (LivePosition.model_construct().__doc__ or "")


def test_the_field_tables_cost_no_import_time() -> None:
    """Importing the models (and the SDK) builds no table and loads no table code: ``__doc__``
    is computed when read (``help``), ``describe()`` when called."""
    probe = ("import sys, mesodesk.sdk, mesodesk.sdk.models, mesodesk.contract\n"
             "print('mesodesk.contract.fields' in sys.modules)\n"
             "mesodesk.contract.LivePosition.__doc__\n"
             "print('mesodesk.contract.fields' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "True"]


def test_sdk_models_reexports_every_model_and_enum() -> None:
    import mesodesk.sdk.models as models

    wanted = {n for n in contract.__all__ if inspect.isclass(getattr(contract, n))
              and issubclass(getattr(contract, n), (BaseModel, enum.Enum))}
    assert wanted <= set(models.__all__)
    for name in models.__all__:
        assert getattr(models, name) is getattr(contract, name)


@pytest.mark.parametrize("package", ["contract", "sdk"])
def test_no_research_tags_in_docstrings(package: str) -> None:
    """[D]/[I]/[U] provenance lives in docs/contract-decisions.md, not in user-facing docstrings."""
    found = []
    for path in sorted((ROOT / "mesodesk" / package).rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node)
                if doc and TAG.search(doc):
                    found.append(f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 1)}")
        found += [f"{path.relative_to(ROOT)}:{i}" for i, line in enumerate(source.splitlines(), 1)
                  if line.strip().startswith("#:") and TAG.search(line)]
    assert not found, found


def test_the_decisions_page_keeps_the_tags() -> None:
    page = (ROOT / "docs" / "contract-decisions.md").read_text(encoding="utf-8")
    for name in ("LiveAccount", "StatusCode", "GetEventsSinceArgs", "IDEMPOTENCY_KEY_PATTERN", "PaperFill"):
        assert f"### {name}" in page
    assert page.count("**[U]**") > 50 and page.count("**[D]**") > 30 and page.count("**[I]**") > 15
