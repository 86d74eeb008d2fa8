"""Argument checks shared by ``mesodesk`` and ``mesodesk-sim`` (stdlib only).

A bad value is refused while parsing, as argparse refuses an unknown option: one line on
stderr (``prog: argument --port: ...``) and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

USAGE_ERROR = 2


class OneLineParser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose errors are one line (no usage block)."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: {message} (see {self.prog} --help)\n")


def port(text: str) -> int:
    """A TCP port, 0 (any free port) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port number (0-65535)")
    return value


def int_in(low: int, high: int) -> Callable[[str], int]:
    """An integer from ``low`` to ``high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is out of range ({low} to {high})")
        return value

    return parse


def finite_number(low: float, high: float, *, low_inclusive: bool = True) -> Callable[[str], float]:
    """A finite number from ``low`` (excluded unless ``low_inclusive``) to ``high``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text} is not a finite number")
        if value < low or (value == low and not low_inclusive) or value > high:
            below = "at least" if low_inclusive else "more than"
            raise argparse.ArgumentTypeError(f"{text} is out of range ({below} {low:,.10g}, at most {high:,.10g})")
        return value

    return parse


def _blocking_file(path: Path) -> Path | None:
    """The nearest existing ancestor of ``path`` (itself excluded) that is not a folder."""
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def folder(text: str) -> Path:
    """A folder that exists or can be created: neither it nor an ancestor is a file."""
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a folder")
    blocker = _blocking_file(path)
    if blocker is not None:
        raise argparse.ArgumentTypeError(f"{text} cannot be a folder: {blocker} is a file")
    return path


def output_file(text: str) -> Path:
    """A file to write: not a folder, and no ancestor is a file."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a file")
    blocker = _blocking_file(path)
    if blocker is not None:
        raise argparse.ArgumentTypeError(f"cannot write {text}: {blocker} is a file, not a folder")
    return path


def fail(prog: str, message: str) -> int:
    """Print ``prog: message`` on stderr and return the usage-error exit code."""
    print(f"{prog}: {message}", file=sys.stderr)
    return USAGE_ERROR
