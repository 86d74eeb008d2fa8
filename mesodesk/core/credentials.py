"""API keys live in the OS keyring, keyed by server URL; never in config files or logs.

``keyring`` is imported on first use: it loads its backends (and ``importlib.metadata``),
which the embedded-simulator start-up never needs.
"""

from __future__ import annotations

SERVICE = "mesodesk"


def _account(server_url: str) -> str:
    return server_url.rstrip("/").lower()


def load_api_key(server_url: str) -> str | None:
    import keyring.errors

    try:
        return keyring.get_password(SERVICE, _account(server_url))
    except keyring.errors.KeyringError:
        return None


def store_api_key(server_url: str, api_key: str) -> None:
    """Raises ``keyring.errors.KeyringError`` when no usable keyring backend exists."""
    import keyring
    keyring.set_password(SERVICE, _account(server_url), api_key)


def delete_api_key(server_url: str) -> None:
    import keyring.errors

    try:
        keyring.delete_password(SERVICE, _account(server_url))
    except keyring.errors.PasswordDeleteError:
        pass
