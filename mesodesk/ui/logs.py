"""Logging to a rotating file under the platformdirs log directory, with secrets redacted."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from platformdirs import user_log_path

from mesodesk.core.errors import redact


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def default_log_dir() -> Path:
    return user_log_path("mesodesk", appauthor=False)


def setup_logging(log_dir: Path | None = None, level: int = logging.INFO) -> Path:
    """Log to ``mesodesk.log`` in ``log_dir`` (created) and to stderr; returns the file path."""
    log_dir = log_dir or default_log_dir()
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "mesodesk.log"
    formatter = RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
    file_handler.setFormatter(formatter)
    stream_handler = logging.StreamHandler()
    stream_handler.setFormatter(formatter)
    stream_handler.setLevel(logging.WARNING)
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        if getattr(handler, "_mesodesk", False):
            root.removeHandler(handler)
    for handler in (file_handler, stream_handler):
        setattr(handler, "_mesodesk", True)  # noqa: B010 - a marker attribute on a stdlib handler
        root.addHandler(handler)
    return path
