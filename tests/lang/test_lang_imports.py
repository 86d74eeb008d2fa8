"""mesodesk.lang imports only the standard library (the simulator and the client both use it)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

LANG = Path(__file__).resolve().parents[2] / "mesodesk" / "lang"


def test_lang_imports_only_the_standard_library_and_itself() -> None:
    offenders = []
    for path in sorted(LANG.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            for name in names:
                top = name.split(".")[0]
                if name.startswith("mesodesk.lang") or top == "__future__" or top in sys.stdlib_module_names:
                    continue
                offenders.append(f"{path.name} imports {name}")
    assert not offenders, offenders
