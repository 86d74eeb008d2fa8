"""Files from before worlds (Qt-free): adopted when they surely belong to one world, else left alone.

Before :mod:`mesodesk.core.world`, the chart history was one file per *host*
(``<data root>/history-<host>.sqlite3``, ``history-local.sqlite3`` for every server on
this machine) and the notification cursor one file per URL in the config dir
(``notify-cursor-<sha1(url)[:12]>.json``, ``notify-cursor-embedded.json`` for every data
folder). A remote server's files are moved into its world's folder the first time that
world is opened (they were that server's; the first account to open it takes them).
The shared "local" and "embedded" files mixed several worlds: they are not used (one
INFO line says so) and left where they are.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from mesodesk.core.world import World, is_loopback_url

log = logging.getLogger("mesodesk.world")

__all__ = ["adopt_legacy_cursor", "adopt_legacy_history"]


def _shared_by_many(world: World) -> bool:
    """The old files of this world were shared with other worlds (the embedded simulator, or any
    server on this machine: a simulator on another data folder may have listened on that port)."""
    return world.kind == "embedded" or is_loopback_url(world.locator)


def _move(old: Path, new: Path, *, sidecars: tuple[str, ...] = ()) -> bool:
    new.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(old, new)
    except OSError as exc:
        log.warning("could not move %s to %s (%s); it is not used", old, new, exc.strerror or exc)
        return False
    for suffix in sidecars:
        with contextlib.suppress(FileNotFoundError):
            os.replace(f"{old}{suffix}", f"{new}{suffix}")
    return True


def adopt_legacy_history(world: World, root: Path, target: Path) -> None:
    """Before ``target`` (this world's history file) exists: move a remote server's old per-host
    history there; say once that the shared ``history-local.sqlite3`` is not used."""
    if target.exists():
        return
    if _shared_by_many(world):
        old = Path(root) / "history-local.sqlite3"
        if old.exists():
            log.info("not using %s for %s: it mixes the chart history of every simulator on this machine",
                     old, world.label)
        return
    host = urlsplit(world.locator).hostname or ""
    old = Path(root) / f"history-{re.sub(r'[^A-Za-z0-9.-]+', '_', host)}.sqlite3"
    if old.exists() and _move(old, target, sidecars=("-wal", "-shm")):
        log.info("chart history of %s moved from %s to %s", world.label, old, target)


def adopt_legacy_cursor(world: World, config_dir: Path, target: Path, url: str) -> None:
    """Before ``target`` (this world's notification cursor) exists: move a remote server's old
    per-URL cursor there; say once that the shared ``notify-cursor-embedded.json`` is not used."""
    if target.exists():
        return
    config = Path(config_dir)
    if _shared_by_many(world):
        old = config / "notify-cursor-embedded.json"
        if world.kind == "embedded" and old.exists():
            log.info("not using %s for %s: it may belong to another data folder; this world starts without "
                     "a notification cursor", old, world.label)
        return
    for spelling in dict.fromkeys((url, world.locator)):
        old = config / f"notify-cursor-{hashlib.sha1(spelling.encode()).hexdigest()[:12]}.json"
        if old.exists() and _move(old, target):
            log.info("notification cursor of %s moved from %s to %s", world.label, old, target)
            return
