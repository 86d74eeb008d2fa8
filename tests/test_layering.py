"""The layering of mesodesk's packages.

* The import-linter contracts of pyproject.toml (``[tool.importlinter]``: who may import
  whom among our packages, pysignalr only in ``mesodesk.sdk._signalr``, Qt only in
  ``mesodesk.ui`` and the app entry), one test per contract.
* Third-party imports import-linter does not restrict: ``mesodesk.quant`` uses only the
  standard library and numpy, ``mesodesk.lang`` only the standard library.
* Only mesodesk.ui (and the app entry point) may import Qt: a static scan of every import
  statement, and a real import of the Qt-free packages in a clean interpreter that must
  not pull Qt in transitively.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROOT = REPO / "mesodesk"
QT_FREE = ["contract", "sdk", "sim", "core", "quant", "lang"]
QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "qasync", "pyqtgraph", "superqt")
#: package -> the third-party packages it may import besides the standard library
THIRD_PARTY_ALLOWED = {"quant": {"numpy"}, "lang": set()}
#: contract id -> why it is known to be broken (an xfail; remove the entry once it is kept)
KNOWN_BROKEN: dict[str, str] = {}


def _contract_ids() -> list[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return [c["id"] for c in config["tool"]["importlinter"]["contracts"]]


@pytest.mark.parametrize(
    "contract",
    [
        pytest.param(c, marks=pytest.mark.xfail(reason=KNOWN_BROKEN[c], strict=False)) if c in KNOWN_BROKEN else c
        for c in _contract_ids()
    ],
)
def test_import_linter_contract(contract: str) -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    assert lint_imports.exists(), "import-linter is missing: pip install -e '.[test]'"
    out = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo", "--contract", contract],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("package", sorted(THIRD_PARTY_ALLOWED))
def test_third_party_imports_are_restricted(package: str) -> None:
    allowed = THIRD_PARTY_ALLOWED[package] | set(sys.stdlib_module_names) | {"mesodesk"}
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in _imported_modules(path):
            if name.split(".")[0] not in allowed:
                offenders.append(f"{path.relative_to(REPO)} imports {name}")
    assert not offenders, "\n".join(offenders)


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", QT_FREE)
def test_no_qt_import_statements(package: str) -> None:
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in _imported_modules(path):
            if name.split(".")[0] in QT_MODULES:
                offenders.append(f"{path.relative_to(ROOT.parent)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_qt_free_packages_do_not_load_qt_transitively() -> None:
    modules = [f"mesodesk.{p}" for p in QT_FREE if (ROOT / p).is_dir()]
    for path in ROOT.glob("*/**/*.py"):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        if rel.parts[1] in QT_FREE and rel.name != "__main__":
            modules.append(".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts))
    code = (
        "import importlib, sys\n"
        f"for m in {sorted(set(modules))!r}: importlib.import_module(m)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"Qt loaded by Qt-free packages: {out.stdout.strip()}"
