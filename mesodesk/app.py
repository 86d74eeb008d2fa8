"""``mesodesk``: the GUI entry point.

Exit codes (see :mod:`mesodesk.core.connection_problems`): 0 ok; 1 other failure (details in
the log file); 2 bad arguments (e.g. an invalid ``--server`` URL, no API key); 3 the server
cannot be reached (unknown host, refused, unreachable, no answer in time); 4 the server
rejected the API key; 5 TLS problem; 6 no MesoLive hub at that URL (wrong path, HTTP error);
7 the data folder is in use by another mesodesk; 8 the embedded simulator did not start;
130 interrupted. Each failure prints one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from mesodesk import __version__
from mesodesk.cli_args import OneLineParser, fail, finite_number, folder, int_in, output_file

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from mesodesk.core.folder_lock import FolderLock
    from mesodesk.core.settings import Settings
    from mesodesk.core.world import World
    from mesodesk.ui.cached_window import CachedWindow

log = logging.getLogger("mesodesk.app")


EXIT_CODES_HELP = """\
exit codes (each failure prints one line on stderr):
  0  ok                              5  TLS problem (untrusted certificate, not https)
  1  other failure (see the log)     6  no MesoLive hub at that URL (wrong path, HTTP error)
  2  bad arguments (URL, no key)     7  the data folder is in use by another mesodesk
  3  server unreachable              8  the embedded simulator did not start
  4  the server rejected the API key
With --server, mesodesk exits when the first connection fails; later drops reconnect by themselves.
`mesodesk doctor --server URL [--api-key-env VAR] [--capture FILE]` checks a server step by step
(exit 0 ready to trade, 1 something blocks trading, 2 usage error)."""


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="mesodesk",
        description="Desktop trading console for MesoLive. With no --server it runs on an embedded simulator.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXIT_CODES_HELP,
    )
    parser.add_argument("--server", metavar="URL", help="MesoLive server root, e.g. https://api.example.com")
    parser.add_argument(
        "--api-key-env",
        metavar="NAME",
        help="environment variable holding the MesoLive API key (default: the OS keyring entry for --server)",
    )
    parser.add_argument("--data-dir", type=folder, help="where mesodesk and the embedded simulator keep their data")
    parser.add_argument("--screenshot", metavar="PATH", type=output_file,
                        help="start, wait until live data is painted, save the main window as PNG and exit")
    seconds = finite_number(0.0, 86_400.0, low_inclusive=False)
    parser.add_argument("--screenshot-timeout", type=seconds, default=60.0, help=argparse.SUPPRESS)
    parser.add_argument("--connect-timeout", type=seconds, default=10.0, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int_in(0, 2**63 - 1), default=None, help=argparse.SUPPRESS)
    parser.add_argument("--version", action="version", version=f"mesodesk {__version__}")
    return parser


def _remote_url(args: argparse.Namespace, settings: Settings) -> str | None:
    """The server this start connects to first, or None for the embedded simulator: ``--server``,
    else the saved remote choice (never for ``--screenshot``), as the app controller chooses."""
    if args.server:
        return str(args.server)
    if not args.screenshot and settings.connection_mode == "remote" and settings.server_url:
        return settings.server_url
    return None


def _prestart_simulator(args: argparse.Namespace, settings: Settings) -> object | None:
    """Spawn the embedded simulator before the GUI's heavy imports, so the two start-ups overlap.

    Only when the embedded simulator will be used (no ``--server``, no saved remote choice).
    The child exits on its own when our end of its stdin closes, so it cannot outlive us.
    """
    if _remote_url(args, settings) is not None:
        return None
    from mesodesk.sim.embedded import EmbeddedSimulator, SimulatorError

    simulator = EmbeddedSimulator(args.data_dir / "simulator", seed=args.seed)
    try:
        simulator.spawn()
    except SimulatorError:  # said in one line (exit code 8) when the app starts it again, once Qt is up
        return None
    return simulator


def _private_folders_for_screenshot() -> Path:
    """A temporary data and config folder for a ``--screenshot`` run while another mesodesk holds
    the data folder: the settings and the saved layout are copied, nothing is written back."""
    from mesodesk.core.settings import CONFIG_ENV, default_config_dir

    private = Path(tempfile.mkdtemp(prefix="mesodesk-screenshot-"))
    config = private / "config"
    config.mkdir()
    for name in ("settings.json", "ui-state.ini"):
        with contextlib.suppress(OSError):
            shutil.copy2(default_config_dir() / name, config / name)
    os.environ[CONFIG_ENV] = str(config)
    return private


def _lock_data_folder(args: argparse.Namespace) -> tuple[FolderLock | None, Path | None, int]:
    """One mesodesk per data folder. Returns (lock, private folder to delete at exit, exit code)."""
    from mesodesk.core.folder_lock import FolderInUse, FolderLock

    lock = FolderLock(args.data_dir)
    try:
        lock.acquire()
    except FolderInUse as exc:
        if not args.screenshot:
            from mesodesk.core.connection_problems import EXIT_FOLDER_IN_USE

            print(f"mesodesk: {exc}; close it first, or pass --data-dir to use another folder", file=sys.stderr)
            return None, None, EXIT_FOLDER_IN_USE
        private = _private_folders_for_screenshot()
        print(f"mesodesk: {exc}; this screenshot uses a private temporary folder", file=sys.stderr)
        args.data_dir = private / "data"
        lock = FolderLock(args.data_dir)
        lock.acquire()
        return lock, private, 0
    except OSError as exc:
        print(f"mesodesk: cannot use the data folder {args.data_dir}: {exc.strerror or exc}", file=sys.stderr)
        return None, None, 2
    return lock, None, 0


class _QuietConnectionChatter(logging.Filter):
    """Keep stderr to one line per failure: the SDK's retry warnings and failures the app has
    already explained go to the log file only."""

    def filter(self, record: logging.LogRecord) -> bool:
        from mesodesk.ui.errors import EXPLAINED

        if getattr(record, EXPLAINED, False):
            return False
        return not (record.name.startswith(("mesodesk.sdk", "mesodesk.simulator")) and record.levelno < logging.ERROR)


def _quiet_stderr() -> None:
    for handler in logging.getLogger().handlers:
        if getattr(handler, "_mesodesk", False) and not isinstance(handler, logging.FileHandler):
            handler.addFilter(_QuietConnectionChatter())


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--run-simulator"]:  # the frozen app doubles as the simulator binary
        from mesodesk.sim.cli import main as sim_main

        return sim_main(argv[1:])
    if argv[:1] == ["doctor"]:  # mesodesk doctor --server URL: check a server, no window
        from mesodesk.doctor_cli import main as doctor_main

        return doctor_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.server:
        from mesodesk.core.world import check_server_url  # stdlib only: before the SDK is imported

        problem = check_server_url(args.server)
        if problem is not None:
            return fail("mesodesk", f"--server {args.server}: {problem}")
    if args.screenshot:
        try:  # an unwritable place is a usage error now, not a failure after start-up
            args.screenshot.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return fail("mesodesk", f"--screenshot {args.screenshot}: cannot create its folder: {exc.strerror or exc}")
    os.environ.setdefault("QT_API", "pyside6")
    from mesodesk.core.world import DATA_ENV, default_data_dir

    # absolute: the embedded simulator's world is named by its folder (mesodesk.core.world)
    args.data_dir = (Path(args.data_dir) if args.data_dir else default_data_dir()).expanduser().absolute()
    lock, private, code = _lock_data_folder(args)
    if lock is None:
        return code
    os.environ[DATA_ENV] = str(args.data_dir)  # the per-world data (chart history, cursors) lives there too
    try:
        return _run(args)
    finally:
        lock.release()
        if private is not None:
            shutil.rmtree(private, ignore_errors=True)


def _cache_world(args: argparse.Namespace, settings: Settings) -> World | None:
    """The world this start will look at, known before the SDK is imported: the embedded simulator's
    folder, or the server and the account its key signs in as (None: no key, so no world yet)."""
    from mesodesk.core.world import World, account_fingerprint

    url = _remote_url(args, settings)
    if url is None:
        return World.embedded(args.data_dir / "simulator")
    if args.api_key_env and url == args.server:
        key = os.environ.get(args.api_key_env, "")
    else:
        from mesodesk.core.credentials import load_api_key

        key = load_api_key(url) or ""
    return World.server(url, account_fingerprint(url, key)) if key else None


def _show_cached_window(args: argparse.Namespace, settings: Settings,
                        app: QApplication) -> tuple[CachedWindow | None, str | None]:
    """Paint the last session's window of this world (stale), before the heavy imports.
    Returns it (None without a cache) and the one-line problem of a damaged cache."""
    from mesodesk.core.session_cache import read_cache
    from mesodesk.core.startup_timeline import mark
    from mesodesk.core.world import world_folder
    from mesodesk.ui.cached_window import PROBE_ENV, CachedWindow, write_first_paint_probe

    world = _cache_world(args, settings)
    read = read_cache(world_folder(world, args.data_dir), world.key) if world is not None else None
    window = None
    if read is not None and read.cache is not None:
        from mesodesk.ui.theme import apply_theme

        apply_theme(app, settings.theme)
        window = CachedWindow(read.cache)
        window.show()
        app.processEvents()
        window.repaint()
        mark("cached rows painted")
    probe = os.environ.get(PROBE_ENV)
    if probe:
        write_first_paint_probe(probe, window)
    return window, read.problem if read is not None else None


def _run(args: argparse.Namespace) -> int:
    # Start-up: the simulator child first; it starts while we paint the last session's window and
    # import Qt, pydantic and the SDK.
    from mesodesk.core.settings import load_settings

    settings = load_settings()
    args.early_simulator = _prestart_simulator(args, settings)

    from mesodesk.core.startup_timeline import mark

    mark("simulator spawned" if args.early_simulator else "arguments parsed")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("mesodesk")
    app.setOrganizationName("mesodesk")
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)
    args.cached_window, cache_problem = _show_cached_window(args, settings, app)

    import asyncio  # after the first paint, as everything below

    import qasync

    from mesodesk.app_controller import AppController
    from mesodesk.ui.errors import ErrorHub, install_error_hooks
    from mesodesk.ui.gc_timer import GuiGarbageCollector
    from mesodesk.ui.logs import setup_logging

    log_file = setup_logging()
    _quiet_stderr()
    mark("modules imported")
    if cache_problem is not None:
        log.warning("%s", cache_problem)
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
