"""Connect to the Control hub and list agents, accounts, strategies and positions.

    python -m mesodesk.examples.connect_and_list [--server URL --api-key-env VAR]
"""

from __future__ import annotations

import asyncio

from mesodesk.examples._common import endpoint, parser
from mesodesk.sdk import MesoLiveControlHubClient


async def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__ or "").parse_args(argv)
    async with endpoint(args) as ep:
        async with MesoLiveControlHubClient(ep.url, ep.api_key, **ep.options) as control:
            agents = await control.list_agents()
            for agent in agents.agents:
                print(f"agent    {agent.connector.value:<10} {agent.status.value}")
            async for account in control.iter_accounts():
                kind = "paper" if account.is_paper_account else account.broker_type.value
                print(f"account  {account.broker_account_id:<10} {kind}")
            async for strategy in control.iter_strategies():
                print(f"strategy #{strategy.id:<4} {strategy.name}  on {', '.join(strategy.active_on_accounts)}")
            async for position in control.iter_positions():
                print(f"position #{position.id:<4} {position.name:<20} {position.state.value:<8} "
                      f"{position.broker_account_id}  {position.strategy_name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
