"""Blotter under a firehose: GUI event-loop lag and CPU per update, ours vs a vn.py-style QTableWidget.

Ours: a Qt-free :class:`Table` touched per update, synced to a :class:`KeyedTableModel`
at most once per frame; the model formats only the rows the view paints (about 43 of them
in the 1400 × 900 window; the rest are marked stale) and signals only their cells whose text
changed; the view repaints exactly those cells and paints plain cells with its own delegate.
Baseline: one ``QTableWidgetItem.setText`` per cell per update, as vn.py's ``BaseMonitor`` does. Both run offscreen, shown, at the same update rate.

Both sides share the same driver: the firehose (``rng.choice`` + ``Row.tick`` per
update, batched every 10 ms) and a 5 ms heartbeat that measures loop lag, all on
qasync. That shared cost is measured too, with a no-op sink (the same firehose
ticking rows that no table shows), before and after the two runs; ``net`` CPU per
update is gross minus that generator cost, and ``ratio`` compares net figures
(``ratio_gross`` compares the gross ones).
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Any

from mesodesk.bench._util import cpu_seconds, figure, percentile

COLUMNS = ("bid", "ask", "mark", "delta", "gamma", "theta", "vega", "pnl", "iv", "qty")


@dataclass
class Row:
    id: int
    bid: float = 1.0
    ask: float = 1.1
    mark: float = 1.05
    delta: float = 0.2
    gamma: float = 0.01
    theta: float = -0.5
    vega: float = 1.2
    pnl: float = 0.0
    iv: float = 18.0
    qty: float = 1.0

    def tick(self, rng: random.Random) -> None:
        move = rng.uniform(-0.05, 0.05)
        self.mark = max(0.05, self.mark + move)
        self.bid, self.ask = self.mark - 0.05, self.mark + 0.05
        self.delta += move / 10
        self.pnl += move * 100
        self.iv += move


async def _drive(apply_update: Any, keys: list[int], rate: int, seconds: float) -> dict[str, Any]:
    rng = random.Random(5)
    lags: list[float] = []
    stop = time.perf_counter() + seconds
    updates = 0

    async def heartbeat() -> None:
        interval = 0.005
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            await asyncio.sleep(interval)
            lags.append(max(0.0, time.perf_counter() - t0 - interval))

    async def firehose() -> None:
        nonlocal updates
        batch_interval = 0.01
        per_batch = max(1, int(rate * batch_interval))
        next_at = time.perf_counter()
        while time.perf_counter() < stop:
            for _ in range(per_batch):
                apply_update(rng.choice(keys), rng)
            updates += per_batch
            next_at += batch_interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    cpu0 = cpu_seconds()
    await asyncio.gather(heartbeat(), firehose())
    cpu = cpu_seconds() - cpu0
    return {"updates": updates, "updates_per_s": round(updates / seconds), "cpu_us_per_update": round(cpu / updates * 1e6, 2),
            "lag_p50_ms": round(percentile(lags, 50) * 1e3, 2), "lag_p99_ms": round(percentile(lags, 99) * 1e3, 2)}


async def ours(rows: int, rate: int, seconds: float) -> dict[str, Any]:
    from mesodesk.core.tables import Table
    from mesodesk.ui.docks.table_dock import BlotterView
    from mesodesk.ui.frame_scheduler import FrameScheduler
    from mesodesk.ui.models.columns import number
    from mesodesk.ui.models.keyed_table_model import KeyedTableModel

    table: Table[int, Row] = Table("bench")
    for i in range(rows):
        table.upsert(i, Row(i))
    columns = [number(c, c, (lambda r, c=c: getattr(r, c))) for c in COLUMNS]
    model = KeyedTableModel(table, columns)
    view = BlotterView(model, "bench")
    view.resize(1400, 900)
    view.show()
    frames = FrameScheduler(view)
    table.on_dirty(frames.request)
    frames.add(model.sync)
    model.sync()

    def update(key: int, rng: random.Random) -> None:
        row = table[key]
        row.tick(rng)
        table.touch(key)

    await asyncio.sleep(0.3)  # let the one-time column fit and first paint happen before measuring
    frames_before, emits_before, fades_before = frames.frames, model.data_changed_emits, model.fade_emits
    formatted_before = model.rows_formatted
    result = await _drive(update, list(range(rows)), rate, seconds)
    result["frames"] = frames.frames - frames_before
    result["data_changed_emits"] = model.data_changed_emits - emits_before
    result["fade_emits"] = model.fade_emits - fades_before
    result["rows_formatted"] = model.rows_formatted - formatted_before
    result["visible_rows"] = len(model.visible_keys or ())
    view.close()
    return result


async def baseline(rows: int, rate: int, seconds: float) -> dict[str, Any]:
    from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

    widget = QTableWidget(rows, len(COLUMNS))
    widget.setHorizontalHeaderLabels(list(COLUMNS))
    data = [Row(i) for i in range(rows)]
    cells = [[QTableWidgetItem(f"{getattr(r, c):,.2f}") for c in COLUMNS] for r in data]
    for i, row_cells in enumerate(cells):
        for j, item in enumerate(row_cells):
            widget.setItem(i, j, item)
    widget.resize(1400, 900)
    widget.show()
    await asyncio.sleep(0.3)

    def update(key: int, rng: random.Random) -> None:
        row = data[key]
        row.tick(rng)
        for j, c in enumerate(COLUMNS):
            cells[key][j].setText(f"{getattr(row, c):,.2f}")

    result = await _drive(update, list(range(rows)), rate, seconds)
    widget.close()
    return result


async def generator_only(rows: int, rate: int, seconds: float) -> dict[str, Any]:
    """The shared driver with a sink that only ticks the row: what every update costs before any table."""
    data = [Row(i) for i in range(rows)]

    def update(key: int, rng: random.Random) -> None:
        data[key].tick(rng)

    return await _drive(update, list(range(rows)), rate, seconds)


def _net(gross: float, generator: float) -> float:
    # Floored so a tiny, noisy run still gives a finite, positive ratio.
    return round(max(gross - generator, 0.01 * gross, 0.01), 2)


def run(rows: int, rate: int, seconds: float) -> dict[str, Any]:
    import qasync
    from PySide6.QtWidgets import QApplication

    from mesodesk.ui.gc_timer import GuiGarbageCollector

    app = QApplication.instance() or QApplication([])
    collector = GuiGarbageCollector()  # as the app runs
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            gen_before = loop.run_until_complete(generator_only(rows, rate, seconds))
            base = loop.run_until_complete(baseline(rows, rate, seconds))
            mine = loop.run_until_complete(ours(rows, rate, seconds))
            gen_after = loop.run_until_complete(generator_only(rows, rate, seconds))
    finally:
        asyncio.set_event_loop(None)
        collector.stop()
    generator = (gen_before["cpu_us_per_update"] + gen_after["cpu_us_per_update"]) / 2
    for result in (base, mine):
        result["net_cpu_us_per_update"] = _net(result["cpu_us_per_update"], generator)
    return figure(mine, {"qtablewidget_per_cell": base}, base["net_cpu_us_per_update"] / mine["net_cpu_us_per_update"],
                  ratio_means="baseline net CPU/update ÷ ours; net = gross CPU/update minus the shared driver's "
                              "(firehose + heartbeat with a no-op sink, mean of a run before and after)",
                  ratio_gross=round(base["cpu_us_per_update"] / mine["cpu_us_per_update"], 3),
                  generator_cpu_us_per_update={"before": gen_before["cpu_us_per_update"],
                                               "after": gen_after["cpu_us_per_update"]},
                  rows=rows, target_rate=rate, lag_target_p99_ms=30)
