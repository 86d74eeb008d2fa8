"""Which world the console is looking at, and where that world's own files live (Qt-free).

A *world* is one stream of positions, orders and events: the embedded simulator on
one data folder, or one server (normalized URL) seen with one account (API key).
Position ids and ``EventSeqId`` numbers only mean something inside their world, so
everything the console keeps about them -- chart history, the notification cursor --
is stored per world, in ``<data root>/worlds/<world key>/``. User preferences
(theme, layouts, notification rules, trading limits) stay global.

:class:`World` is built once by the composition root and carried by the session.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from mesodesk.netaddr import is_loopback

__all__ = [
    "DATA_ENV",
    "World",
    "account_fingerprint",
    "check_server_url",
    "data_root",
    "default_data_dir",
    "is_loopback_url",
    "normalize_url",
    "world_folder",
]

#: mesodesk's data folder (``--data-dir`` sets it for the whole process)
DATA_ENV = "MESODESK_DATA_DIR"
WORLDS_DIR = "worlds"
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")

WorldKind = Literal["embedded", "server"]


def normalize_url(url: str) -> str:
    """One spelling per server: lower-case scheme and host, no default port, no trailing slash,
    no query or fragment (``HTTPS://Api.Example.com:443/`` -> ``https://api.example.com``)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # not a number: keep the text as typed, the URL check reports it elsewhere
        port = None
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), "", ""))


def check_server_url(url: str) -> str | None:
    """What is wrong with a server URL (a reason, lower case), or None when it can be tried."""
    url = url.strip()
    if not url:
        return "no server URL given"
    if any(ch.isspace() for ch in url):
        return "the URL contains spaces"
    if not url.lower().startswith(("http://", "https://")):
        return "the URL must start with http:// or https://"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        text = str(exc)
        if "IPv6" in text:
            return "the IPv6 address in the URL is not closed with ']'"
        if "out of range" in text.lower() or "port" in text.lower():
            return "the port must be a number from 1 to 65535"
        return f"the URL is not valid ({text})"
    if not parts.hostname:
        return "the URL has no host name (e.g. https://api.example.com)"
    if port == 0:
        return "the port must be a number from 1 to 65535"
    if parts.query or parts.fragment:
        return "the URL must not have a ?query or #fragment: give the server root (e.g. https://api.example.com)"
    if parts.username or parts.password:
        return "the URL must not contain a user name or password: the API key is entered separately"
    return None


def is_loopback_url(url: str) -> bool:
    """A server on this machine (``localhost``, ``127.0.0.0/8``, ``::1``)."""
    return is_loopback(urlsplit(url).hostname or "")


def account_fingerprint(url: str, api_key: str) -> str:
    """A short, non-reversible name for the account an API key signs in as (MesoLive numbers
    events per user): 12 hex digits of a SHA-256 salted with the server URL. Never the key."""
    digest = hashlib.sha256(f"mesodesk-account\0{normalize_url(url)}\0{api_key}".encode())
    return digest.hexdigest()[:12]


def _slug(text: str, limit: int = 40) -> str:
    return _UNSAFE.sub("_", text).strip("._-")[:limit] or "world"


@dataclass(frozen=True)
class World:
    """One world: ``kind`` and ``locator`` (the simulator's resolved data folder, or the
    normalized server URL), plus the ``account`` fingerprint where data is per account."""

    kind: WorldKind
    locator: str
    account: str = ""

    @classmethod
    def embedded(cls, folder: str | os.PathLike[str]) -> World:
        """The embedded simulator keeping its data in ``folder``."""
        return cls("embedded", str(Path(folder).expanduser().resolve()))

    @classmethod
    def server(cls, url: str, account: str = "") -> World:
        """The server at ``url`` (normalized), seen with ``account`` (see :func:`account_fingerprint`)."""
        return cls("server", normalize_url(url), account)

    @property
    def key(self) -> str:
        """Stable and filesystem-safe: ``<kind>-<readable part>-<12 hex digits of the identity>``."""
        digest = hashlib.sha256(f"{self.kind}\0{self.locator}\0{self.account}".encode()).hexdigest()[:12]
        if self.kind == "embedded":
            readable = "-".join(Path(self.locator).parts[-2:])
        else:
            parts = urlsplit(self.locator)
            readable = parts.netloc + parts.path
        return f"{self.kind}-{_slug(readable)}-{digest}"

    @property
    def label(self) -> str:
        """For people: ``embedded simulator (/path/to/folder)`` or ``https://host (account 1a2b3c…)``."""
        if self.kind == "embedded":
            return f"embedded simulator ({self.locator})"
        return f"{self.locator} (account {self.account[:6]}…)" if self.account else self.locator

    def __str__(self) -> str:
        return self.label


def default_data_dir() -> Path:
    """``$MESODESK_DATA_DIR`` or the platformdirs user data dir."""
    override = os.environ.get(DATA_ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_path

    return user_data_path("mesodesk", appauthor=False)


def data_root(config_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where per-world data goes: ``$MESODESK_DATA_DIR`` (the app sets it from ``--data-dir``);
    else ``<config dir>/data`` when running on an isolated config dir (``$MESODESK_CONFIG_DIR``
    or a non-default one: tests, screenshots); else the platformdirs user data dir."""
    from mesodesk.core.settings import CONFIG_ENV, default_config_dir

    if os.environ.get(DATA_ENV) or config_dir is None:
        return default_data_dir()
    config = Path(config_dir)
    if os.environ.get(CONFIG_ENV) or config != default_config_dir():
        return config / "data"
    return default_data_dir()


def world_folder(world: World, root: str | os.PathLike[str]) -> Path:
    """``<root>/worlds/<world key>``: every file that belongs to ``world`` (not created here)."""
    return Path(root) / WORLDS_DIR / world.key
