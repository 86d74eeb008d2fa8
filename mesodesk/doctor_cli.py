"""``mesodesk doctor --server URL [--api-key-env VAR] [--capture FILE]``: check a MesoLive server.

Prints one line per check (DNS, TCP, TLS, negotiate and auth per hub, the read-only methods and a
stream item, each answer checked field by field against our models). Exit codes: 0 the console
can trade (warnings allowed), 1 something blocks trading, 2 a usage error (no key, bad arguments).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from mesodesk.core.doctor import Check, run_doctor


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mesodesk doctor",
        description="Check a MesoLive server from DNS to the answers of each hub, one line per check.",
        epilog="Exit codes: 0 = ready to trade, 1 = something blocks trading, 2 = usage error.")
    parser.add_argument("--server", metavar="URL", required=True, help="MesoLive server root, e.g. https://host")
    parser.add_argument("--api-key-env", metavar="NAME",
                        help="environment variable holding the API key (default: the OS keyring entry)")
    parser.add_argument("--capture", metavar="FILE", type=Path,
                        help="save every frame exchanged (keys and tokens redacted), e.g. for a support ticket")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per step (default 10)")
    return parser


def _key(args: argparse.Namespace) -> str | None:
    if args.api_key_env:
        return os.environ.get(args.api_key_env) or None
    from mesodesk.core.credentials import load_api_key

    try:
        return load_api_key(args.server)
    except Exception:  # no keyring backend: say so below
        return None


def main(argv: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if exc.code in (0, None) else 2
    key = _key(args)
    if not key:
        where = f"environment variable {args.api_key_env} is empty or not set" if args.api_key_env else \
            f"no API key for {args.server} in the OS keyring (pass --api-key-env NAME)"
        print(f"mesodesk doctor: {where}", file=sys.stderr)
        return 2
    print(f"mesodesk doctor: checking {args.server}")

    def show(check: Check) -> None:
        print(check.line(), flush=True)

    report = asyncio.run(run_doctor(args.server, key, timeout=args.timeout, progress=show))
    print(report.summary())
    if args.capture is not None:
        try:
            args.capture.write_text(report.capture.dump(), encoding="utf-8")
            print(f"frames saved to {args.capture} (keys and tokens redacted)")
        except OSError as exc:
            print(f"mesodesk doctor: could not write {args.capture}: {exc.strerror or exc}", file=sys.stderr)
    return report.exit_code
