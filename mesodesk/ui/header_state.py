"""Persist a blotter's column choice, order and widths (``QHeaderView.saveState``).

Stored in the UI ``QSettings`` under ``blotters/<name>/``: ``header`` (the state
bytes), ``version`` and ``columns`` (the declared column keys). Migration rule:
a state saved for another ``HEADER_STATE_VERSION`` or another column list (a
column was added, removed or renamed) is discarded and the declared defaults
apply, so a saved layout can never hide a new column or show a wrong one.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QHeaderView

HEADER_STATE_VERSION = 1


def _columns_id(column_keys: Sequence[str]) -> str:
    return ",".join(column_keys)


def save_header(settings: QSettings, name: str, header: QHeaderView, column_keys: Sequence[str]) -> None:
    settings.setValue(f"blotters/{name}/header", header.saveState())
    settings.setValue(f"blotters/{name}/version", HEADER_STATE_VERSION)
    settings.setValue(f"blotters/{name}/columns", _columns_id(column_keys))


def restore_header(settings: QSettings, name: str, header: QHeaderView, column_keys: Sequence[str]) -> bool:
    """Restore a saved state; False (nothing changed) when none fits this blotter."""
    state = settings.value(f"blotters/{name}/header")
    version = settings.value(f"blotters/{name}/version")
    columns = settings.value(f"blotters/{name}/columns")
    if not isinstance(state, QByteArray | bytes) or str(version) != str(HEADER_STATE_VERSION):
        return False
    if columns != _columns_id(column_keys):
        return False
    return bool(header.restoreState(QByteArray(state)))
