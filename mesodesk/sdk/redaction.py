"""One place that hides secrets in text bound for logs: bearer tokens, ``Authorization``
values, ``access_token`` query parameters and ``api_key`` fields."""

from __future__ import annotations

import re

_REDACTIONS = [
    (re.compile(r"(?i)(bearer\s+)[^\s\"',;}]+"), r"\1***"),
    (re.compile(r"(?i)(access_token=)[^&\s\"',;]+"), r"\1***"),
    (re.compile(r"(?i)([\"']?authorization[\"']?\s*[:=]\s*[\"']?)(?!bearer\s)[^\s\"',;}]+"), r"\1***"),
    (re.compile(r"(?i)(api[_-]?key[\"']?\s*[:=]\s*[\"']?)[^\s\"',;}]+"), r"\1***"),
]


def redact(text: str) -> str:
    """Return ``text`` with every secret replaced by ``***``."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text
