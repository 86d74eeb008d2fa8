"""Shared command line handling of the examples: a real server, or an offline simulator."""

from __future__ import annotations

import argparse
import os
import ssl
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Endpoint:
    """Where to connect: ``url``, ``api_key`` and client options (``ssl``).

    Offline, ``drop_connections`` closes every client connection from the server side (what
    a network failure or a server restart does to a client); against a real server it is
    ``None``. ``simulator`` is the in-process simulator (offline only).
    """

    url: str
    api_key: str
    options: dict[str, Any] = field(default_factory=dict)
    drop_connections: Callable[[], Awaitable[None]] | None = None
    simulator: Any = None

    @property
    def offline(self) -> bool:
        """Whether this is the in-process simulator."""
        return self.simulator is not None


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--server", help="MesoLive base URL (e.g. https://host); default: an in-process simulator")
    p.add_argument("--api-key-env", metavar="VAR", help="environment variable holding the API key")
    p.add_argument("--ca-file", help="PEM file of a private CA for https/wss")
    return p


@asynccontextmanager
async def endpoint(args: argparse.Namespace) -> AsyncIterator[Endpoint]:
    """The server to use: ``--server``/``--api-key-env``, or a fresh offline simulator."""
    options: dict[str, Any] = {}
    if args.ca_file:
        options["ssl"] = ssl.create_default_context(cafile=args.ca_file)
    if args.server or args.api_key_env:
        if not (args.server and args.api_key_env):
            raise SystemExit("--server and --api-key-env go together")
        key = os.environ.get(args.api_key_env)
        if not key:
            raise SystemExit(f"environment variable {args.api_key_env} is not set")
        yield Endpoint(args.server, key, options)
        return
    from mesodesk.sim.server import SimulatorServer  # only needed offline

    with tempfile.TemporaryDirectory(prefix="mesodesk-example-") as tmp:
        api_key = "example-key"
        server = SimulatorServer(Path(tmp), api_key, seed=42, speed=60.0, tick_interval=0.1)
        await server.start(port=0)
        print(f"(offline: in-process simulator at {server.url})")
        try:
            yield Endpoint(server.url, api_key, options, server.signalr.disconnect_all, server)
        finally:
            await server.stop()
