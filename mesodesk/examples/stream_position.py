"""Stream live pricing of one position from the Data hub (a few updates, then stop).

    python -m mesodesk.examples.stream_position [--position-id N] [--count N] [--server URL --api-key-env VAR]
"""

from __future__ import annotations

import asyncio

from mesodesk.contract import LiveDataInclude, LivePositionState
from mesodesk.examples._common import endpoint, parser
from mesodesk.sdk import MesoLiveControlHubClient, MesoLiveDataHubClient


async def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__ or "")
    p.add_argument("--position-id", type=int, help="default: the first open position")
    p.add_argument("--count", type=int, default=5, help="how many updates to print")
    args = p.parse_args(argv)
    async with endpoint(args) as ep:
        position_id = args.position_id
        if position_id is None:
            async with MesoLiveControlHubClient(ep.url, ep.api_key, **ep.options) as control:
                async for position in control.iter_positions(state=LivePositionState.Open):
                    position_id = position.id
                    break
        if position_id is None:
            print("no open position")
            return 1
        async with MesoLiveDataHubClient(ep.url, ep.api_key, **ep.options) as data:
            n = 0
            # Leaving the loop sends CancelInvocation; a slow consumer only gets the latest values.
            async for entry in data.stream_position_data(
                position_id=position_id, include_position=LiveDataInclude.All,
                include_legs=LiveDataInclude.Prices, include_leg_groups=LiveDataInclude.None_,
            ):
                mid = entry.position_prices.mid if entry.position_prices else None
                mark = entry.position_pnls.mark if entry.position_pnls else None
                print(f"position #{position_id} @ {entry.timestamp}: mid {mid}  PnL {mark}")
                n += 1
                if n >= args.count:
                    break
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
