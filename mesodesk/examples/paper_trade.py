"""Open a paper position end to end: pick a strategy, prepare the entry, fill at mid, watch events.

    python -m mesodesk.examples.paper_trade [--strategy-id N] [--server URL --api-key-env VAR]

1. Control hub: find a paper account and a strategy active on it (or clone one onto it).
2. Event hub: print every event (``on_event``); wait for the preparation to complete.
3. ``start_prepare_position_entry`` (idempotent: the SDK generates a ``prep_entry_`` key).
4. ``apply_paper_fills`` at each leg's mid price (``paper_entry_`` key).
5. Show the new position.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from mesodesk.contract import (
    LiveLegSelectionConstraint,
    LiveUnderlying,
    MesoLiveEvent,
    PaperFill,
    PositionEntryPreparationCompletedEvent,
    PositionEntryPreparationFailedEvent,
    PreparePositionEntryResult,
    event_type_of,
)
from mesodesk.examples._common import endpoint, parser
from mesodesk.sdk import MesoLiveControlHubClient, MesoLiveEventHubClient
from mesodesk.sdk._idempotency import new_idempotency_key


def describe(event: MesoLiveEvent) -> str:
    fields = {k: v for k, v in event.model_dump(mode="json").items()
              if k in ("state", "status", "order_id", "position_name", "leg_name", "job_id", "message")}
    return f"event #{event.event_seq_id:<4} {event_type_of(event):<36} {fields}"


async def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__ or "")
    p.add_argument("--strategy-id", type=int, help="default: the first strategy active on a paper account")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the preparation")
    args = p.parse_args(argv)
    async with endpoint(args) as ep:
        control = MesoLiveControlHubClient(ep.url, ep.api_key, **ep.options)
        # Start at the latest event: we only want to watch what this run causes.
        events = MesoLiveEventHubClient(ep.url, ep.api_key, since_event_seq_id=None, **ep.options)
        prepared: asyncio.Future[PreparePositionEntryResult] = asyncio.get_running_loop().create_future()
        job_ids: set[str] = set()

        def on_completed(event: PositionEntryPreparationCompletedEvent) -> None:
            if event.job_id in job_ids and not prepared.done():
                prepared.set_result(event.result)

        def on_failed(event: PositionEntryPreparationFailedEvent) -> None:
            if event.job_id in job_ids and not prepared.done():
                prepared.set_exception(RuntimeError(f"preparation failed: {event.error}"))

        events.on_event(lambda e: print(describe(e)))
        events.on_position_entry_preparation_completed(on_completed)
        events.on_position_entry_preparation_failed(on_failed)

        async with control, events:
            # 1. a paper account and a strategy active on it
            account = None
            async for acc in control.iter_accounts(is_paper_account=True):
                account = acc
                break
            if account is None:
                print("no paper account")
                return 1
            if args.strategy_id is not None:
                strategy = await control.get_strategy(strategy_id=args.strategy_id)
            else:
                found = [s async for s in control.iter_strategies(active_on_accounts=[account.broker_account_id])]
                if found:
                    strategy = found[0]
                else:  # clone any strategy onto the paper account
                    source = [s async for s in control.iter_strategies()][0]
                    strategy = await control.create_strategy(clone_strategy_id=source.id,
                                                             active_on_accounts=[account.broker_account_id])
            print(f"strategy #{strategy.id} {strategy.name} on paper account {account.broker_account_id}")

            # 2.+3. prepare the entry; the completion arrives as an event (status polling works too)
            symbol = str(strategy.strategy_definition.get("Underlying") or "SPX")
            job = await control.start_prepare_position_entry(
                position_name=f"{strategy.name} (paper example)", strategy_id=strategy.id,
                broker_account_id=account.broker_account_id,
                leg_selection_constraint=LiveLegSelectionConstraint.UniqueInPosition,
                underlying=LiveUnderlying(symbol=symbol))
            job_ids.add(job.job_id)
            status = await control.get_prepare_position_entry_status(job_id=job.job_id)
            if status.result is not None and not prepared.done():
                prepared.set_result(status.result)  # completed before we registered the job id
            result = await asyncio.wait_for(prepared, args.timeout)
            print(f"prepared exec plan #{result.exec_plan_id}: legs {', '.join(result.selected_legs)}")

            # 4. paper fills at mid, one leg group at a time
            position_id = None
            for group_id, leg_names in result.leg_groups.items():
                fills = {}
                for name in leg_names:
                    prices = result.leg_prices[name]
                    mid = prices.mid if prices.mid is not None else ((prices.bid or Decimal(0)) +
                                                                      (prices.ask or Decimal(0))) / 2
                    fills[name] = PaperFill(price=abs(mid))
                applied = await control.apply_paper_fills(
                    idempotency_key=new_idempotency_key("paper_entry_"),
                    broker_account_id=account.broker_account_id, exec_plan_id=result.exec_plan_id,
                    leg_group_id=group_id, fills=fills)
                print(f"filled leg group {group_id}: orders {applied.order_ids}, executions {applied.execution_ids}")
                position_id = applied.position_id or position_id

            # 5. the position
            await asyncio.sleep(0.5)  # let the fill events arrive
            if position_id is not None:
                position = await control.get_position(position_id=position_id)
                print(f"position #{position.id} {position.name}: {position.state.value}, "
                      f"{len(position.legs or [])} legs, last event #{events.last_event_seq_id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
