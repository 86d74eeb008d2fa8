"""The last session's window, kept per world so the next start can paint it at once (Qt-free).

What the trader saw when the cache was written: the window's size, where each panel was,
and for each blotter its visible columns and the rows on screen, as display text. The app
paints it (marked stale) before it imports the SDK, then live data replaces it
(:mod:`mesodesk.ui.cached_window`). One small JSON file per world,
``<data root>/worlds/<world key>/last-session.json``, written at exit and every half minute;
a missing file means a first start, a damaged one is ignored with one log line.

Stdlib only: read before the heavy imports.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CACHE_FILE",
    "CACHE_VERSION",
    "CacheRead",
    "CachedBlotter",
    "CachedColumn",
    "CachedPanel",
    "SessionCache",
    "cache_path",
    "read_cache",
    "write_cache",
]

CACHE_FILE = "last-session.json"
CACHE_VERSION = 1
#: more than a screen of rows per blotter is never painted, so never kept
MAX_ROWS = 200
MAX_COLUMNS = 64
MAX_BYTES = 4 * 1024 * 1024

Rect = tuple[int, int, int, int]


@dataclass(frozen=True)
class CachedPanel:
    """A panel (dock) on screen: its stable key, title and place in the window (x, y, w, h)."""

    key: str
    title: str
    rect: Rect


@dataclass(frozen=True)
class CachedColumn:
    title: str
    width: int
    right: bool = False
    """Right-aligned (numbers)."""


@dataclass(frozen=True)
class CachedBlotter:
    """A blotter's visible columns (in screen order) and the rows it showed, as display text."""

    panel: CachedPanel
    columns: tuple[CachedColumn, ...]
    rows: tuple[tuple[str, ...], ...]
    total_rows: int = 0
    """How many rows the blotter had (it showed only the first screenful)."""


@dataclass(frozen=True)
class SessionCache:
    world: str
    """The world key the rows belong to (checked on read)."""
    saved_at: str
    """ISO 8601 UTC time of writing."""
    geometry: Rect
    """The window's place on screen (x, y, w, h)."""
    blotters: tuple[CachedBlotter, ...] = ()
    panels: tuple[CachedPanel, ...] = field(default=())
    """Other panels (charts, errors, notifications): drawn as empty frames with their title."""
    row_height: int = 20

    def to_json(self) -> dict[str, Any]:
        return {
            "version": CACHE_VERSION, "world": self.world, "saved_at": self.saved_at,
            "geometry": list(self.geometry), "row_height": self.row_height,
            "panels": [_panel_json(p) for p in self.panels],
            "blotters": [{**_panel_json(b.panel), "total_rows": b.total_rows,
                          "columns": [[c.title, c.width, c.right] for c in b.columns],
                          "rows": [list(r) for r in b.rows[:MAX_ROWS]]} for b in self.blotters],
        }


@dataclass(frozen=True)
class CacheRead:
    """What :func:`read_cache` found: the cache, or None with ``problem`` saying why (one line;
    None when there simply is no cache yet)."""

    cache: SessionCache | None
    problem: str | None = None


class _Damaged(ValueError):
    pass


def cache_path(world_dir: str | os.PathLike[str]) -> Path:
    return Path(world_dir) / CACHE_FILE


def _panel_json(panel: CachedPanel) -> dict[str, Any]:
    return {"key": panel.key, "title": panel.title, "rect": list(panel.rect)}


def _expect(ok: bool, what: str) -> None:
    if not ok:
        raise _Damaged(what)


def _text(value: Any, what: str) -> str:
    _expect(isinstance(value, str), f"{what} is not text")
    return str(value)


def _int(value: Any, what: str, low: int = 0, high: int = 1_000_000) -> int:
    _expect(isinstance(value, int) and not isinstance(value, bool) and low <= value <= high,
            f"{what} is not a whole number from {low} to {high}")
    return int(value)


def _panel(raw: Any) -> CachedPanel:
    _expect(isinstance(raw, dict), "a panel is not an object")
    rect = raw.get("rect")
    _expect(isinstance(rect, list) and len(rect) == 4, "a panel's rect is not [x, y, w, h]")
    x, y, w, h = (_int(v, "a panel's rect", -100_000, 100_000) for v in rect)
    return CachedPanel(_text(raw.get("key"), "a panel's key"), _text(raw.get("title"), "a panel's title"), (x, y, w, h))


def _blotter(raw: Any) -> CachedBlotter:
    panel = _panel(raw)
    columns_raw, rows_raw = raw.get("columns"), raw.get("rows")
    _expect(isinstance(columns_raw, list) and len(columns_raw) <= MAX_COLUMNS, f"{panel.key}: bad columns")
    columns = []
    for column in columns_raw:
        _expect(isinstance(column, list) and len(column) == 3 and isinstance(column[2], bool),
                f"{panel.key}: a column is not [title, width, right]")
        columns.append(CachedColumn(_text(column[0], "a column title"), _int(column[1], "a column width"),
                                    column[2]))
    _expect(isinstance(rows_raw, list) and len(rows_raw) <= MAX_ROWS, f"{panel.key}: bad rows")
    rows = []
    for row in rows_raw:
        _expect(isinstance(row, list) and len(row) == len(columns) and all(isinstance(v, str) for v in row),
                f"{panel.key}: a row does not match its columns")
        rows.append(tuple(row))
    return CachedBlotter(panel, tuple(columns), tuple(rows), _int(raw.get("total_rows", len(rows)), "total_rows",
                                                                  high=10**9))


def _parse(raw: Any, world: str) -> SessionCache:
    _expect(isinstance(raw, dict), "not a JSON object")
    version = raw.get("version")
    _expect(type(version) is int and version == CACHE_VERSION, f"version {version!r}, expected {CACHE_VERSION}")
    _expect(raw.get("world") == world, "written for another world")
    geometry = raw.get("geometry")
    _expect(isinstance(geometry, list) and len(geometry) == 4, "geometry is not [x, y, w, h]")
    x, y = (_int(v, "the window position", -100_000, 100_000) for v in geometry[:2])
    width, height = (_int(v, "the window size", 1, 100_000) for v in geometry[2:])
    panels, blotters = raw.get("panels", []), raw.get("blotters")
    _expect(isinstance(panels, list) and isinstance(blotters, list), "panels or blotters are not lists")
    return SessionCache(world, _text(raw.get("saved_at"), "saved_at"), (x, y, width, height),
                        tuple(_blotter(b) for b in blotters), tuple(_panel(p) for p in panels),
                        _int(raw.get("row_height", 20), "row_height", 1, 500))


def read_cache(world_dir: str | os.PathLike[str], world: str) -> CacheRead:
    """The cache of ``world`` (its key) in ``world_dir``. Never raises: a missing file is no cache,
    anything else wrong is no cache with a one-line ``problem``."""
    path = cache_path(world_dir)
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return CacheRead(None)
    except OSError as exc:
        return CacheRead(None, f"cannot read the last session's window {path}: {exc.strerror or exc}; ignored")
    try:
        _expect(len(data) <= MAX_BYTES, f"larger than {MAX_BYTES // 1024 // 1024} MB")
        try:
            raw = json.loads(data)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError too
            raise _Damaged(f"not JSON ({str(exc).splitlines()[0][:80]})") from None
        return CacheRead(_parse(raw, world))
    except _Damaged as exc:
        return CacheRead(None, f"the last session's window {path} is damaged ({exc}); ignored")


def write_cache(world_dir: str | os.PathLike[str], cache: SessionCache) -> Path:
    """Write ``cache`` atomically (a reader sees the old file or the new one, never half of one).
    Raises OSError (the caller logs it: a cache is never worth more than a log line)."""
    import tempfile  # only when writing: not on the start-up path

    folder = Path(world_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = cache_path(folder)
    data = json.dumps(cache.to_json(), ensure_ascii=False, separators=(",", ":")).encode()
    fd, tmp = tempfile.mkstemp(prefix=".last-session-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
