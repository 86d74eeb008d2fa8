"""The marks P&L today is measured against, kept per world (Qt-free).

:class:`DayMarks` holds, for one market day, each position's P&L at the previous close
(``base``, the reference) and the latest P&L seen today (``last``). When the console
first sees the next trading day, today's last marks become that day's base -- the
previous close's marks. They are kept in ``<world folder>/day-marks.json`` so a restart
(or a console that was closed overnight after seeing the close) keeps them.

:class:`DayMarksFile` reads the file once and writes it on a worker thread (atomically:
a temporary file, then a rename), so the GUI thread never waits on the disk.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from mesodesk.core.world import World, data_root, world_folder

log = logging.getLogger("mesodesk.day_marks")

__all__ = ["DAY_MARKS_FILE", "BaseKind", "DayMarks", "DayMarksFile", "day_marks_path"]

DAY_MARKS_FILE = "day-marks.json"
FORMAT = 1

#: ``close``: the marks last seen on the previous trading day; ``first_seen``: the console did
#: not see the previous day, so today counts from the first marks it saw today
BaseKind = Literal["close", "first_seen"]


def day_marks_path(world: World, config_dir: str | os.PathLike[str] | None = None) -> Path:
    """``<data root>/worlds/<world key>/day-marks.json``."""
    return world_folder(world, data_root(config_dir)) / DAY_MARKS_FILE


@dataclass
class DayMarks:
    """The reference marks of one market day (see the module docstring)."""

    day: dt.date | None = None
    base: dict[int, Decimal] = field(default_factory=dict)
    base_at: dt.datetime | None = None
    base_kind: BaseKind = "first_seen"
    #: positions whose base was taken at first sight today (they were not seen at the close)
    base_first_seen: set[int] = field(default_factory=set)
    last: dict[int, Decimal] = field(default_factory=dict)
    last_at: dt.datetime | None = None
    world: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "world": self.world,
            "day": self.day.isoformat() if self.day else None,
            "base": {str(k): str(v) for k, v in self.base.items()},
            "base_at": self.base_at.isoformat() if self.base_at else None,
            "base_kind": self.base_kind,
            "base_first_seen": sorted(self.base_first_seen),
            "last": {str(k): str(v) for k, v in self.last.items()},
            "last_at": self.last_at.isoformat() if self.last_at else None,
        }

    @classmethod
    def from_json(cls, raw: Any) -> DayMarks:
        """Parse a stored file; raises ``ValueError`` (or ``TypeError``/``KeyError``) when it is not one."""
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ValueError("not a day-marks file of this version")

        def marks(value: Any) -> dict[int, Decimal]:
            return {int(k): Decimal(str(v)) for k, v in dict(value or {}).items()}

        def when(value: Any) -> dt.datetime | None:
            return dt.datetime.fromisoformat(value) if value else None

        kind = raw.get("base_kind")
        return cls(
            day=dt.date.fromisoformat(raw["day"]) if raw.get("day") else None,
            base=marks(raw.get("base")), base_at=when(raw.get("base_at")),
            base_kind="close" if kind == "close" else "first_seen",
            base_first_seen={int(x) for x in raw.get("base_first_seen") or ()},
            last=marks(raw.get("last")), last_at=when(raw.get("last_at")), world=str(raw.get("world") or ""))


class DayMarksFile:
    """One world's day-marks file: :meth:`load` once, :meth:`save` in the background."""

    def __init__(self, path: Path, world_key: str = "") -> None:
        self.path = Path(path)
        self.world_key = world_key
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mesodesk-day-marks")
        self.saves = 0
        self._closed = False

    def load(self) -> DayMarks:
        """The stored marks, or empty ones (no file, an unreadable file, another world's file)."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            marks = DayMarks.from_json(raw)
        except FileNotFoundError:
            return DayMarks(world=self.world_key)
        except (OSError, ValueError, TypeError, KeyError, InvalidOperation) as exc:
            log.warning("ignoring unreadable day marks %s: %s", self.path, exc)
            return DayMarks(world=self.world_key)
        if self.world_key and marks.world and marks.world != self.world_key:
            log.warning("day marks %s belong to world %s, not %s: starting afresh", self.path, marks.world,
                        self.world_key)
            return DayMarks(world=self.world_key)
        marks.world = self.world_key or marks.world
        return marks

    def save(self, marks: DayMarks) -> Future[None] | None:
        """Write a snapshot of ``marks`` on the worker thread (errors are logged, never raised here);
        None once the file is closed."""
        if self._closed:
            return None
        data = json.dumps(marks.to_json(), indent=1, sort_keys=True)
        return self._pool.submit(self._write, data)

    def _write(self, data: str) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".day-marks-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(data)
            os.replace(tmp, self.path)
            self.saves += 1
        except OSError as exc:
            log.warning("could not save the day marks to %s: %s", self.path, exc)

    def close(self) -> None:
        """Wait for the pending writes (shutdown); later saves are ignored."""
        self._closed = True
        self._pool.shutdown(wait=True)
