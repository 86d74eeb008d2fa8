"""Control hub methods: orders (being built)."""

from __future__ import annotations

from mesodesk.sim.context import SimContext
from mesodesk.sim.signalr import Hub


def register(hub: Hub, ctx: SimContext) -> None:
    """Add this area's methods to the Control hub."""
