"""A benchmark hub (``/hubs/bench/v1``, only with ``SimulatorServer(bench=True)``).

``StreamSyntheticPositionData({Count})`` yields ``count`` copies of a real
``PositionDataEntry`` (position 1, every block), serialized once, as fast as the
socket takes them: it measures transport and client parsing, not server pricing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson

from mesodesk.sim.context import SimContext
from mesodesk.sim.signalr import Hub, HubError, ServerConnection

BENCH_HUB_PATH = "/hubs/bench/v1"


def build_bench_hub(ctx: SimContext) -> Hub:
    hub = Hub("bench")

    def sample_entry() -> bytes:
        position = next(iter(ctx.world.open_positions()), None)
        if position is None:
            raise HubError("no open position to sample")
        entry = ctx.pricer.position_entry(position.id, position.underlying or "SPX",
                                          ctx.world.position_legs(position.id), position.qty_multiplier)
        return ctx.wire_dialect.dumps(entry)

    @hub.stream("StreamSyntheticPositionData")
    async def stream_synthetic(conn: ServerConnection, args: Any) -> AsyncIterator[Any]:
        count = args.get("Count") if isinstance(args, dict) else None
        if not isinstance(count, int) or not 0 < count <= 10_000_000:
            raise HubError("Count must be an integer in 1..10000000")
        item = orjson.Fragment(sample_entry())
        for _ in range(count):
            yield item

    @hub.method("SampleSize")
    async def sample_size(conn: ServerConnection) -> int:
        return len(sample_entry())

    return hub
