"""``mesodesk-sim``: run the MesoLive simulator as a standalone server."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import signal
import ssl
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from mesodesk import __version__
from mesodesk.cli_args import OneLineParser, fail, finite_number, folder, int_in, port
from mesodesk.sim.signalr.server import is_loopback

if TYPE_CHECKING:
    from mesodesk.sim.dialect import WireDialect
    from mesodesk.sim.server import SimulatorServer

log = logging.getLogger("mesodesk.sim")

PROG = "mesodesk-sim"
#: a faster tick only burns CPU (0 spun a core at 91 %)
MIN_TICK_INTERVAL = 0.01
MAX_TICK_INTERVAL = 3600.0
#: a simulated year in about 30 s (even so, the calendar ends, at year 9999, in about 3 days)
MAX_SPEED = 1_000_000.0


def default_data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path("mesodesk", appauthor=False) / "simulator"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROG,
        description="MesoLive simulator: a SignalR server with a simulated options market and paper broker.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=port, default=5057, help="TCP port, 0 for a random free port (default: 5057)")
    parser.add_argument("--data-dir", type=folder, default=None, help="where the SQLite database lives")
    parser.add_argument(
        "--api-key-env",
        metavar="NAME",
        default=None,
        help="read the API key clients must present from this environment variable (default: generate one)",
    )
    parser.add_argument("--seed", type=int_in(0, 2**63 - 1), default=None, help="random seed of the market walk")
    parser.add_argument("--speed", type=finite_number(0.0, MAX_SPEED, low_inclusive=False), default=60.0,
                        help=f"simulated seconds per real second, above 0, at most {MAX_SPEED:,.0f} (default: 60)")
    parser.add_argument("--tick-interval", type=finite_number(MIN_TICK_INTERVAL, MAX_TICK_INTERVAL), default=0.25,
                        help=f"market tick interval in seconds, {MIN_TICK_INTERVAL:g} to {MAX_TICK_INTERVAL:g} "
                             "(default: 0.25)")
    parser.add_argument("--bench", action="store_true", help="also serve the benchmark hub /hubs/bench/v1")
    parser.add_argument(
        "--agent-status", choices=("Connected", "Disconnected", "Degraded"), default=None,
        help="set the simulated agent's status at startup (also: SetAgentStatus on /hubs/admin/v1)",
    )
    parser.add_argument("--tls-cert", type=Path, metavar="PEM", default=None,
                        help="serve https/wss with this certificate (chain) file; needs --tls-key")
    parser.add_argument("--tls-key", type=Path, metavar="PEM", default=None,
                        help="private key of --tls-cert")
    parser.add_argument(
        "--wire-dialect", choices=("pascal", "camel"), default="pascal",
        help="property names in results, stream items and events: pascal as MesoLive documents them, or "
             "camel as ASP.NET Core writes by default (default: pascal)",
    )
    parser.add_argument("--int-enums", action="store_true",
                        help="write enums as integers (declaration order), as ASP.NET Core does by default")
    parser.add_argument("--dotnet-datetimes", action="store_true",
                        help="write datetimes with seven fraction digits, as .NET does (2024-05-01T14:30:00.1234560Z)")
    parser.add_argument("--ready-json", action="store_true", help="print one JSON line with url and key when ready")
    parser.add_argument("--exit-with-stdin", action="store_true", help="exit when standard input closes")
    parser.add_argument("--version", action="version", version=f"mesodesk-sim {__version__}")
    return parser


def resolve_api_key(args: argparse.Namespace) -> tuple[str, bool]:
    """The key and whether it was given explicitly; ValueError (one line) when the variable is unset."""
    if args.api_key_env:
        key = os.environ.get(args.api_key_env, "")
        if not key:
            raise ValueError(f"environment variable {args.api_key_env} is empty or not set")
        return key, True
    return secrets.token_urlsafe(24), False


def wire_dialect(args: argparse.Namespace) -> WireDialect:
    from mesodesk.sim.dialect import WireDialect

    return WireDialect(args.wire_dialect, int_enums=args.int_enums, dotnet_datetimes=args.dotnet_datetimes)


def tls_context(args: argparse.Namespace) -> ssl.SSLContext | None:
    """A server TLS context from ``--tls-cert``/``--tls-key`` (TLS 1.2+), or None for plain http."""
    if args.tls_cert is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(args.tls_cert, args.tls_key)
    return context


def open_server(args: argparse.Namespace, api_key: str) -> SimulatorServer:
    """The simulator on its data folder, not listening yet; :class:`StorageError` (one line) when
    the folder or the database in it cannot be used."""
    from mesodesk.sim.server import SimulatorServer
    from mesodesk.sim.store import StorageError

    try:
        return SimulatorServer(
            data_dir=args.data_dir,
            api_key=api_key,
            seed=args.seed,
            speed=args.speed,
            tick_interval=args.tick_interval,
            bench=args.bench,
            wire_dialect=wire_dialect(args),
        )
    except OSError as exc:  # creating the folder
        raise StorageError(f"cannot use the data folder {args.data_dir}: {exc.strerror or exc}") from exc


async def serve(args: argparse.Namespace, api_key: str) -> None:
    server = open_server(args, api_key)
    if args.agent_status:
        from mesodesk.contract import AgentStatus

        server.context.agents.set_status(AgentStatus(args.agent_status), "set by --agent-status")
    await server.start(host=args.host, port=args.port, ssl_context=tls_context(args))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
    if args.exit_with_stdin:
        def watch_stdin() -> None:
            sys.stdin.buffer.read()
            loop.call_soon_threadsafe(stop.set)

        threading.Thread(target=watch_stdin, name="stdin-watch", daemon=True).start()
    # the key is printed only when it was generated: a key from --api-key-env stays out of logs
    key = {"api_key_env": args.api_key_env} if args.api_key_env else {"api_key": api_key}
    if args.ready_json:
        print(json.dumps({"url": server.url, **key, "data_dir": str(args.data_dir),
                          "wire_dialect": str(server.wire_dialect)}), flush=True)
    else:
        print(f"MesoLive simulator listening on {server.url}", flush=True)
        if args.api_key_env:
            print(f"API key: from the environment variable {args.api_key_env}", flush=True)
        else:
            print(f"API key: {api_key} (generated for this run)", flush=True)
        print(f"Data: {args.data_dir}", flush=True)
        if not server.wire_dialect.is_default:
            print(f"Wire dialect: {server.wire_dialect}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> int:
    """Exit codes: 0 stopped; 1 cannot listen; 2 bad arguments, key or data folder (one line on stderr)."""
    args = build_parser().parse_args(argv)  # first: a usage error costs no heavy import
    from mesodesk.sim.server import WeakKeyError, check_key_strength
    from mesodesk.sim.store import StorageError
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if (args.tls_cert is None) != (args.tls_key is None):
        return fail(PROG, "--tls-cert and --tls-key go together")
    if args.tls_cert is not None:
        try:
            tls_context(args)
        except (OSError, ssl.SSLError) as exc:
            return fail(PROG, f"cannot load the TLS certificate/key: {exc}")
    try:
        api_key, explicit = resolve_api_key(args)
    except ValueError as exc:
        return fail(PROG, str(exc))
    if not is_loopback(args.host) and not explicit:
        return fail(PROG, f"refusing to bind {args.host} (not loopback) without an explicit API key; "
                          "pass --api-key-env NAME")
    try:
        check_key_strength(api_key, args.host)
    except WeakKeyError as exc:
        return fail(PROG, f"--api-key-env {args.api_key_env}: {exc}")
    args.data_dir = args.data_dir or default_data_dir()
    try:
        asyncio.run(serve(args, api_key))
    except StorageError as exc:
        return fail(PROG, str(exc))
    except OSError as exc:
        print(f"{PROG}: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
