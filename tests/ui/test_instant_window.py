"""The instant window: ``mesodesk`` paints the last session's window of its world (stale rows from
``<data>/worlds/<key>/last-session.json``) before it imports the SDK, pydantic or aiohttp, then
goes live and keeps the new rows for the next start. Run as the user runs it, in a subprocess;
``$MESODESK_FIRST_PAINT_PROBE`` makes the app report what its first paint showed and which heavy
modules were loaded by then."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from mesodesk.core.session_cache import (
    CachedBlotter,
    CachedColumn,
    CachedPanel,
    SessionCache,
    cache_path,
    read_cache,
    write_cache,
)
from mesodesk.core.world import World, account_fingerprint, world_folder
from mesodesk.ui.blotters import BLOTTERS

KEY_ENV = "MESODESK_INSTANT_TEST_KEY"
HEAVY = ["aiohttp", "mesodesk.contract", "mesodesk.sdk", "pydantic", "pysignalr"]


def _prepared(world: World) -> SessionCache:
    """A last session nobody could mistake for live data: made-up ids and strategies."""
    positions = CachedBlotter(
        CachedPanel("positions", "Positions", (0, 70, 1200, 300)),
        (CachedColumn("Id", 70, True), CachedColumn("Strategy", 240), CachedColumn("P&L", 110, True)),
        (("#90001", "Cached condor Δ", "1,234.50"), ("#90002", "Cached butterfly", "-87.25")), 2)
    orders = CachedBlotter(CachedPanel("orders", "Orders", (0, 380, 1200, 200)),
                           (CachedColumn("Order", 90), CachedColumn("Status", 120)), (("O-777", "Working"),), 1)
    return SessionCache(world.key, "2026-12-01T20:15:00+00:00", (40, 30, 1300, 720), (positions, orders),
                        (CachedPanel("errors", "Errors", (0, 590, 1200, 100)),))


def _shown(cache: SessionCache) -> dict[str, list[list[str]]]:
    return {b.panel.key: [list(row) for row in b.rows] for b in cache.blotters}


def _run_app(tmp_path: Path, name: str, *args: str, key: str = "") -> tuple[subprocess.CompletedProcess[str],
                                                                              dict[str, Any]]:
    probe = tmp_path / f"{name}-probe.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "MESODESK_CONFIG_DIR": str(tmp_path / "config"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "MESODESK_FIRST_PAINT_PROBE": str(probe), KEY_ENV: key}
    env.pop("MESODESK_DATA_DIR", None)
    result = subprocess.run([sys.executable, "-m", "mesodesk", *args], capture_output=True, text=True, timeout=90,
                            env=env)
    assert "Traceback" not in result.stderr, result.stderr
    assert probe.exists(), result.stderr
    return result, json.loads(probe.read_text())


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _server_args(url: str, data: Path) -> tuple[str, ...]:
    return "--server", url, "--api-key-env", KEY_ENV, "--connect-timeout", "1", "--data-dir", str(data)


def test_the_last_session_is_painted_before_the_sdk_is_imported_then_goes_live(tmp_path: Path) -> None:
    data = tmp_path / "data"
    world = World.embedded(data / "simulator")
    folder = world_folder(world, data)
    prepared = _prepared(world)
    write_cache(folder, prepared)

    result, probe = _run_app(tmp_path, "first", "--data-dir", str(data), "--screenshot", str(tmp_path / "shot.png"))
    assert result.returncode == 0, result.stderr
    assert probe == {"loaded": [], "rows": _shown(prepared), "stale": True, "visible": True}

    # it went live (the screenshot waits for streamed rows), and the exit kept what the live window showed
    after = read_cache(folder, world.key)
    assert after.problem is None and after.cache is not None and after.cache.saved_at != prepared.saved_at
    live = {b.panel.key: b for b in after.cache.blotters}
    # a picture of the screen: panels inside the window, none on another (tabs behind are left out)
    rects = [p.rect for p in after.cache.panels] + [b.panel.rect for b in after.cache.blotters]
    width, height = after.cache.geometry[2:]
    assert all(x >= 0 and y >= 0 and x + w <= width and y + h <= height for x, y, w, h in rects), rects
    assert not any(_overlap(a, b) for i, a in enumerate(rects) for b in rects[i + 1:]), rects
    positions = live["positions"]
    assert positions.total_rows > 0 and positions.rows
    declared = {c.header: c for c in BLOTTERS["positions"].columns}
    assert [c.title for c in positions.columns] == [c.header for c in declared.values() if c.visible]
    assert all(c.right == declared[c.title].numeric for c in positions.columns)  # numbers right-aligned
    assert not any("Cached" in cell for row in positions.rows for cell in row)

    # the next start paints those rows
    _, probe = _run_app(tmp_path, "second", "--data-dir", str(data), "--screenshot", str(tmp_path / "shot2.png"))
    assert probe["loaded"] == [] and probe["stale"] is True
    assert probe["rows"]["positions"][:len(positions.rows)] == [list(row) for row in positions.rows]


def test_another_data_folder_is_another_world(tmp_path: Path) -> None:
    data, other = tmp_path / "data", tmp_path / "other"
    write_cache(world_folder(World.embedded(data / "simulator"), data), _prepared(World.embedded(data / "simulator")))
    result, probe = _run_app(tmp_path, "other", "--data-dir", str(other), "--screenshot", str(tmp_path / "o.png"))
    assert result.returncode == 0, result.stderr
    assert probe == {"loaded": [], "rows": {}, "stale": None, "visible": False}


def test_a_server_world_is_its_url_and_account(tmp_path: Path) -> None:
    url, data = _refused_url(), tmp_path / "data"
    world = World.server(url, account_fingerprint(url, "key-of-account-a"))
    prepared = _prepared(world)
    write_cache(world_folder(world, data), prepared)

    result, probe = _run_app(tmp_path, "a", *_server_args(url, data), key="key-of-account-a")
    assert result.returncode == 3, result.stderr  # nothing listens: the cached window does not hide that
    assert probe == {"loaded": [], "rows": _shown(prepared), "stale": True, "visible": True}

    _, probe = _run_app(tmp_path, "b", *_server_args(url, data), key="key-of-account-b")
    assert probe["rows"] == {} and probe["loaded"] == []
    # a failed start leaves the last session's rows alone
    assert read_cache(world_folder(world, data), world.key).cache == prepared


def test_a_damaged_cache_is_ignored_with_one_log_line(tmp_path: Path) -> None:
    url, data = _refused_url(), tmp_path / "data"
    world = World.server(url, account_fingerprint(url, "some-key"))
    path = cache_path(world_folder(world, data))
    path.parent.mkdir(parents=True)
    good = json.dumps(_prepared(world).to_json())
    path.write_text(good[: len(good) // 2])

    result, probe = _run_app(tmp_path, "damaged", *_server_args(url, data), key="some-key")
    assert result.returncode == 3, result.stderr
    assert probe["rows"] == {} and probe["loaded"] == []
    said = f"the last session's window {path} is damaged (not JSON"
    assert [line for line in result.stderr.splitlines() if "last session" in line] == [
        line for line in result.stderr.splitlines() if said in line]
    assert sum(said in line for line in result.stderr.splitlines()) == 1
    logs = list((tmp_path / "state").rglob("mesodesk.log"))
    assert len(logs) == 1
    assert sum(said in line for line in logs[0].read_text().splitlines()) == 1


def test_the_trade_history_chart_waits_until_its_tab_is_seen(qloop, qtbot, tmp_path: Path) -> None:
    """Trade history starts as a tab behind Positions: its P&L chart (pyqtgraph) is not built
    before live rows, only once the tab is brought to front."""
    from tests.ui.aio import run, until
    from tests.ui.console import console

    async def scenario() -> None:
        async with console(qtbot, tmp_path, defer_charts=True) as c:
            w = c.window
            dock, positions = w.docks["tradeHistory"], w.docks["positions"]
            assert dock in w.tabifiedDockWidgets(positions)
            await w.wait_until_live(min_updates=1)
            w.day_views.build()  # its contents, after the first live rows as in the app
            widget = w.day_views.trade_history
            assert dock.widget() is widget
            await until(lambda: not positions.visibleRegion().isEmpty())
            assert dock.isVisible() and dock.visibleRegion().isEmpty()  # "shown", behind another tab
            assert widget.chart is None
            dock.raise_()
            await until(lambda: widget.chart is not None)

    run(qloop, scenario())
