"""Copy and CSV export of what a blotter shows: visible columns in visual order, display text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import QHeaderView


def visible_columns(header: QHeaderView) -> list[int]:
    """Logical column indexes in the order the user sees them."""
    return [header.logicalIndex(v) for v in range(header.count()) if not header.isSectionHidden(header.logicalIndex(v))]


def table_rows(model: QAbstractItemModel, header: QHeaderView, rows: Iterable[int]) -> list[list[str]]:
    cols = visible_columns(header)
    out = [[str(model.headerData(c, Qt.Orientation.Horizontal) or "") for c in cols]]
    for r in rows:
        out.append([str(model.index(r, c).data(Qt.ItemDataRole.DisplayRole) or "") for c in cols])
    return out


def to_tsv(rows: list[list[str]]) -> str:
    return "\n".join("\t".join(cell.replace("\t", " ") for cell in row) for row in rows) + "\n"


def to_csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def write_csv(path: Path, rows: list[list[str]]) -> None:
    path.write_text(to_csv(rows), encoding="utf-8")
