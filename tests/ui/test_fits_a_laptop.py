"""The main window must fit a 1366-px laptop screen once live data, the market clock and the
charts have filled its labels (a fixed-width chart stats label once made it 1,650 px at least)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.ui.aio import run
from tests.ui.console import console

LAPTOP_WIDTH = 1366


def test_the_live_window_fits_a_laptop_screen(qloop, qtbot, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with console(qtbot, tmp_path) as c:
            w = c.window
            await w.wait_until_live(min_updates=4)
            assert w.views["positions"].select_key(w.positions_model.key_at(0))
            for name in ("positionChart", "greeksChart", "riskGraph"):
                if name in w.docks:
                    w.docks[name].raise_()
                    await asyncio.sleep(0.3)
            widths = {name: dock.minimumSizeHint().width() for name, dock in w.docks.items() if dock.isVisible()}
            assert w.minimumSizeHint().width() <= LAPTOP_WIDTH, (w.minimumSizeHint(), widths,
                                                                 w.statusBar().minimumSizeHint())

    run(qloop, scenario())
