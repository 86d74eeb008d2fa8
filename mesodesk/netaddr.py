"""Host checks shared by the simulator (which addresses it may bind to with a weak key) and
the core (which servers are on this machine). Standard library only."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (``localhost`` included); other names and "" are not."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
