"""``mesodesk``: the GUI entry point."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from mesodesk import __version__

log = logging.getLogger("mesodesk.app")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mesodesk",
        description="Desktop trading console for MesoLive. With no --server it runs on an embedded simulator.",
    )
    parser.add_argument("--server", metavar="URL", help="MesoLive server root, e.g. https://api.example.com")
    parser.add_argument(
        "--api-key-env",
        metavar="NAME",
        help="environment variable holding the MesoLive API key (default: the OS keyring entry for --server)",
    )
    parser.add_argument("--data-dir", type=Path, help="where mesodesk and the embedded simulator keep their data")
    parser.add_argument("--screenshot", metavar="PATH", type=Path,
                        help="start, wait until live data is painted, save the main window as PNG and exit")
    parser.add_argument("--screenshot-timeout", type=float, default=60.0, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--version", action="version", version=f"mesodesk {__version__}")
    return parser


def _prestart_simulator(args: argparse.Namespace) -> object | None:
    """Spawn the embedded simulator before the GUI's heavy imports, so the two start-ups overlap.

    Only when the embedded simulator will be used (no ``--server``, no saved remote choice).
    The child exits on its own when our end of its stdin closes, so it cannot outlive us.
    """
    if args.server:
        return None
    if not args.screenshot:
        from mesodesk.core.settings import load_settings

        settings = load_settings()
        if settings.connection_mode == "remote" and settings.server_url:
            return None
    from platformdirs import user_data_path

    from mesodesk.sim.embedded import EmbeddedSimulator

    data_dir = args.data_dir or user_data_path("mesodesk", appauthor=False)
    simulator = EmbeddedSimulator(data_dir / "simulator", seed=args.seed)
    simulator.spawn()
    return simulator


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--run-simulator"]:  # the frozen app doubles as the simulator binary
        from mesodesk.sim.cli import main as sim_main

        return sim_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.server and not args.server.startswith(("http://", "https://")):
        print("mesodesk: --server must be an http:// or https:// URL", file=sys.stderr)
        return 2
    os.environ.setdefault("QT_API", "pyside6")
    # Start-up: the simulator child first; it starts while we import Qt, pydantic and the SDK.
    args.early_simulator = _prestart_simulator(args)

    from mesodesk.core.startup_timeline import mark

    mark("simulator spawned" if args.early_simulator else "arguments parsed")
    import qasync
    from PySide6.QtWidgets import QApplication

    from mesodesk.app_controller import AppController
    from mesodesk.ui.errors import ErrorHub, install_error_hooks
    from mesodesk.ui.gc_timer import GuiGarbageCollector
    from mesodesk.ui.logs import setup_logging

    log_file = setup_logging()
    mark("modules imported")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("mesodesk")
    app.setOrganizationName("mesodesk")
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)
    collector = GuiGarbageCollector(app)  # no collection inside Qt calls: see mesodesk.ui.gc_timer
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    errors = ErrorHub()
    install_error_hooks(errors, loop)
    log.info("mesodesk %s starting; log file %s", __version__, log_file)
    controller = AppController(args, errors)
    try:
        with loop:
            return loop.run_until_complete(controller.run())
    except KeyboardInterrupt:
        return 130
    finally:
        collector.stop()


if __name__ == "__main__":
    raise SystemExit(main())
