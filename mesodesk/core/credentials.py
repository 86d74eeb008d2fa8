"""API keys live in the OS keyring, keyed by server URL; never in config files or logs.

Without a usable keyring (a plain Linux session has no Secret Service), a key can be
used for this session only: :func:`remember_for_session` keeps it in this process's
memory, never on disk, and :func:`load_api_key` finds it there first.

``keyring`` is imported on first use: it loads its backends (and ``importlib.metadata``),
which the embedded-simulator start-up never needs.
"""

from __future__ import annotations

SERVICE = "mesodesk"

#: how to get a keyring where there is none (Linux without GNOME Keyring / KWallet / KeePassXC)
KEYRING_HELP_URL = "https://keyring.readthedocs.io/en/latest/#using-keyring-on-headless-linux-systems"

_session_keys: dict[str, str] = {}


class KeyringUnavailable(Exception):
    """No usable OS keyring backend, or it refused to store the key; the message says why (one line)."""


def _account(server_url: str) -> str:
    return server_url.rstrip("/").lower()


def keyring_problem() -> str | None:
    """Why keys cannot be saved in an OS keyring here (one line), or None when a backend is usable."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyring configuration must not stop the console
        return f"the OS keyring could not be loaded ({type(exc).__name__})"
    if isinstance(backend, fail.Keyring):
        return "no OS keyring service is running on this computer (Secret Service, KWallet or similar)"
    if type(backend).__module__.endswith("backends.null"):
        return "the OS keyring is disabled in the keyring configuration"
    return None


def load_api_key(server_url: str) -> str | None:
    account = _account(server_url)
    if account in _session_keys:
        return _session_keys[account]
    import keyring.errors

    try:
        return keyring.get_password(SERVICE, account)
    except Exception:  # KeyringError, or a backend failing in its own way (D-Bus errors ...)
        return None


def store_api_key(server_url: str, api_key: str) -> None:
    """Save the key in the OS keyring. Raises :class:`KeyringUnavailable` (one-line message)
    when no usable backend exists or the backend refuses."""
    problem = keyring_problem()
    if problem is not None:
        raise KeyringUnavailable(problem)
    import keyring

    try:
        keyring.set_password(SERVICE, _account(server_url), api_key)
    except Exception as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise KeyringUnavailable(f"the OS keyring refused to store the key ({text[:160]})") from exc
    _session_keys.pop(_account(server_url), None)


def remember_for_session(server_url: str, api_key: str) -> None:
    """Use ``api_key`` for ``server_url`` until this process exits: in memory only, never written."""
    _session_keys[_account(server_url)] = api_key


def is_session_only(server_url: str) -> bool:
    return _account(server_url) in _session_keys


def forget_session_keys() -> None:
    _session_keys.clear()


def delete_api_key(server_url: str) -> None:
    _session_keys.pop(_account(server_url), None)
    import keyring.errors

    try:
        keyring.delete_password(SERVICE, _account(server_url))
    except keyring.errors.KeyringError:
        pass
