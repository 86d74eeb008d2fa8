"""RSS with 1,000 positions and 8,000 legs loaded and streaming, vs an empty Qt window (floor).

Each side runs in its own fresh process. The streaming phase replaces every
position's ``PositionDataEntry`` (8 legs of prices, greeks and PnL each) at the
given rate, as the live session does. ``--soak`` samples RSS over a longer run
to show that memory stays flat.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from mesodesk.bench._util import figure

PROBE = r'''
import asyncio, json, random, sys, time
from datetime import UTC, datetime
from decimal import Decimal
from PySide6.QtWidgets import QApplication, QMainWindow
import qasync
from mesodesk.bench._util import rss_mb
mode, seconds, rate = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
app = QApplication([])
from mesodesk.ui.gc_timer import GuiGarbageCollector
collector = GuiGarbageCollector()  # as the app runs
if mode == "floor":
    w = QMainWindow(); w.resize(1440, 860); w.show(); app.processEvents()
    print(json.dumps({"rss_mb": rss_mb()})); sys.exit(0)
from mesodesk.contract import (LiveContract, LiveGreeks, LiveGreekValues, LiveLeg, LivePnL, LivePosition,
    LivePositionState, LivePrices, LiveUnderlying, MesoContractType, MesoOptionType, PositionDataEntry)
from mesodesk.core.state import AppState, PositionRow
from mesodesk.core.tables import Table
from mesodesk.ui.blotters import POSITION_COLUMNS
from mesodesk.ui.docks.table_dock import BlotterView
from mesodesk.ui.frame_scheduler import FrameScheduler
from mesodesk.ui.models.keyed_table_model import KeyedTableModel
now = datetime.now(UTC)
rng = random.Random(3)
def d(x): return Decimal(f"{x:.2f}")
def entry(pid, legs):
    p = lambda: LivePrices(bid=d(rng.uniform(1, 50)), ask=d(rng.uniform(1, 50)), last=d(1), mark=d(rng.uniform(1, 50)), mid=d(1))
    g = lambda: LiveGreeks(mark=LiveGreekValues(delta=d(rng.uniform(-50, 50)), gamma=d(0.1), theta=d(3), vega=d(-20), iv=d(18)))
    n = lambda: LivePnL(bid=d(1), ask=d(1), last=d(1), mark=d(rng.uniform(-500, 500)), realized=d(0))
    return PositionDataEntry(position_id=pid, timestamp=now, underlying_price=p(), position_prices=p(),
        position_greeks=g(), position_pnls=n(), leg_prices={l: p() for l in legs}, leg_greeks={l: g() for l in legs},
        leg_pnls={l: n() for l in legs})
state = AppState()
contract = LiveContract(contract_type=MesoContractType.Options, underlying=LiveUnderlying(symbol="SPX"), root="SPXW",
    option_type=MesoOptionType.Put, expiration=now, strike=Decimal(5700), multiplier=Decimal(100))
legs = Table("legs")
for pid in range(1, 1001):
    ids = list(range(pid * 8, pid * 8 + 8))
    for lid in ids:
        legs.upsert(lid, LiveLeg(id=lid, name=f"leg{lid}", live_contract=contract, leg_group_id=1, created_at=now,
            live_position_id=pid, account_id="ML1", underlying="SPX", qty=Decimal(-1), avg_entry_price=Decimal("12.5")))
    row = PositionRow(LivePosition(id=pid, state=LivePositionState.Open, created_at=now, name=f"P{pid}",
        broker_account_id="ML1", live_strategy_id=1, strategy_name="S", qty_multiplier=Decimal(1)))
    row.data = entry(pid, ids)
    state.positions.upsert(pid, row)
model = KeyedTableModel(state.positions, POSITION_COLUMNS)
view = BlotterView(model, "positions"); view.resize(1400, 900); view.show()
frames = FrameScheduler(view); state.positions.on_dirty(frames.request); frames.add(model.sync); model.sync()
app.processEvents()
loaded = rss_mb()
samples = []
async def stream():
    stop = time.perf_counter() + seconds
    next_sample = time.perf_counter()
    keys = list(range(1, 1001))
    while time.perf_counter() < stop:
        for _ in range(max(1, rate // 100)):
            pid = rng.choice(keys)
            state.positions[pid].data = entry(pid, list(range(pid * 8, pid * 8 + 8)))
            state.positions.touch(pid)
        if time.perf_counter() >= next_sample:
            samples.append(round(rss_mb(), 1)); next_sample += max(1.0, seconds / 20)
        await asyncio.sleep(0.01)
loop = qasync.QEventLoop(app); asyncio.set_event_loop(loop)
with loop:
    loop.run_until_complete(stream())
print(json.dumps({"rss_mb": rss_mb(), "loaded_mb": loaded, "samples": samples}))
'''


def _probe(mode: str, seconds: float, rate: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", PROBE, mode, str(seconds), str(rate)], capture_output=True,
                         text=True, timeout=seconds + 300, env=None)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-800:])
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run(seconds: float, rate: int = 2000) -> dict[str, Any]:
    floor = _probe("floor", 0, 0)
    ours = _probe("ours", seconds, rate)
    samples = ours.get("samples") or [ours["rss_mb"]]
    half = samples[len(samples) // 2:]
    growth = (max(half) - min(half)) / min(half) * 100 if half else 0.0
    return figure(
        {"rss_mb": round(ours["rss_mb"], 1), "loaded_mb": round(ours["loaded_mb"], 1),
         "second_half_growth_pct": round(growth, 2), "samples_mb": samples, "stream_seconds": seconds},
        {"empty_window_rss_mb": round(floor["rss_mb"], 1)}, ours["rss_mb"] / floor["rss_mb"],
        target_mb=300, flat_target_pct=5,
    )
