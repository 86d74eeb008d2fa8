"""Persist a blotter's column choice, order and widths.

Stored in the UI ``QSettings`` under ``blotters/<name>/``: ``header`` (Qt's state bytes),
``version``, ``columns`` (the declared column keys) and ``sections`` (per column key, in
screen order: width and hidden; JSON). While the declared columns are unchanged, Qt's
state restores exactly. After an upgrade that added, removed or renamed columns, the
state is migrated by key: the columns the trader knew keep their order, width and
visibility; a new column appears after its declared predecessor with its default width;
a column that is gone is dropped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtWidgets import QHeaderView

HEADER_STATE_VERSION = 1


def _columns_id(column_keys: Sequence[str]) -> str:
    return ",".join(column_keys)


def save_header(settings: QSettings, name: str, header: QHeaderView, column_keys: Sequence[str]) -> None:
    settings.setValue(f"blotters/{name}/header", header.saveState())
    settings.setValue(f"blotters/{name}/version", HEADER_STATE_VERSION)
    settings.setValue(f"blotters/{name}/columns", _columns_id(column_keys))
    order = sorted(range(len(column_keys)), key=header.visualIndex)
    sections = [[column_keys[i], header.sectionSize(i), header.isSectionHidden(i)] for i in order]
    sort_column = header.sortIndicatorSection()
    sort = [column_keys[sort_column], int(header.sortIndicatorOrder().value)] \
        if 0 <= sort_column < len(column_keys) and header.isSortIndicatorShown() else None
    settings.setValue(f"blotters/{name}/sections", json.dumps({"sections": sections, "sort": sort}))


def restore_header(settings: QSettings, name: str, header: QHeaderView, column_keys: Sequence[str]) -> bool:
    """Restore a saved state (exactly, or migrated by column key); False when none fits."""
    state = settings.value(f"blotters/{name}/header")
    version = settings.value(f"blotters/{name}/version")
    columns = settings.value(f"blotters/{name}/columns")
    if (isinstance(state, QByteArray | bytes) and str(version) == str(HEADER_STATE_VERSION)
            and columns == _columns_id(column_keys) and header.restoreState(QByteArray(state))):
        return True
    return _migrate(settings.value(f"blotters/{name}/sections"), header, list(column_keys))


def _migrate(saved: object, header: QHeaderView, keys: list[str]) -> bool:
    try:
        data = json.loads(str(saved)) if saved else None
        sections = [(str(k), int(w), bool(h)) for k, w, h in data["sections"]] if isinstance(data, dict) else []
    except (ValueError, TypeError, KeyError):
        return False
    known = [s for s in sections if s[0] in keys]
    if not known:
        return False
    order = [k for k, _w, _h in known]
    for i, key in enumerate(keys):  # a new column goes after its declared predecessor
        if key not in order:
            before = next((k for k in reversed(keys[:i]) if k in order), None)
            order.insert(0 if before is None else order.index(before) + 1, key)
    for visual, key in enumerate(order):
        header.moveSection(header.visualIndex(keys.index(key)), visual)
    for key, width, hidden in known:
        logical = keys.index(key)
        header.setSectionHidden(logical, hidden)
        if width > 0:
            header.resizeSection(logical, width)
    sort = data.get("sort") if isinstance(data, dict) else None
    if isinstance(sort, list) and len(sort) == 2 and sort[0] in keys:
        header.setSortIndicator(keys.index(sort[0]), Qt.SortOrder(int(sort[1])))
    return True
