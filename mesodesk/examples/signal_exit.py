"""Exit a position when its exit signal turns On, exactly once, even if the connection drops.

    python -m mesodesk.examples.signal_exit [--position-id N] [--timeout S] [--server URL --api-key-env VAR]

1. Event hub: ``on_exit_signal`` waits for ``ExitSignalEvent(State=On)`` of the position
   (events replayed after a reconnect carry ``event.replayed``; active signals are pushed again
   on every connect, under their original ``EventId``, so the handler sees each signal once).
2. Control hub: ``start_prepare_position_exit``, then poll the job until it completes.
3. Fill every leg group: a paper account gets ``apply_paper_fills`` at the legs' mid, a broker
   account a ``send_order`` (Limit at the group's mid).
4. Wait for ``PositionUpdateEvent(Status=Closed)``.

**Surviving a dropped connection.** Every idempotency key is derived from the signal's
``EventId`` (``prep_exit_<position>_<event>``), never random. So the exit is started once per
signal, whatever happens:

* a call in flight when the connection drops is recovered by the SDK (it asks
  ``GetIdempotencyRecord`` after reconnecting and returns the recorded result);
* a call made while the client is reconnecting (``NotConnectedError``: nothing was sent) is
  sent again after ``wait_connected()``, with the same key;
* a call repeated after a restart, or for a replayed signal, is answered ``DuplicateRequest``:
  the SDK raises :class:`~mesodesk.sdk.DuplicateRequestError`, whose ``result`` is the original
  result, and the exit carries on with it.

Offline (no ``--server``) the example arms the exit of an open paper position (its strategy's
``MaxDaysInTrade`` is set to 1, so the simulator raises the signal within seconds) and drops
every connection twice from the server side: while the prepare call is in flight, and while
the fills are being sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from mesodesk.contract import (
    ExitSignalEvent,
    LegGroupOrder,
    LivePositionState,
    OrderType,
    PaperFill,
    PositionStatus,
    PositionUpdateEvent,
    PreparationStatus,
    PreparePositionExitResult,
    SignalState,
    TimeInForce,
)
from mesodesk.examples._common import Endpoint, endpoint, parser
from mesodesk.sdk import (
    ConnectionLostError,
    DuplicateRequestError,
    InvocationTimeout,
    MesoLiveControlHubClient,
    MesoLiveEventHubClient,
    NotConnectedError,
)

T = TypeVar("T")

#: failures after which a call is simply made again once the connection is back
_RETRYABLE = (NotConnectedError, ConnectionLostError, InvocationTimeout)


async def call(client: Any, make_call: Callable[[], Awaitable[T]], *, attempts: int = 10) -> T:
    """Run ``make_call()``; after a connection failure wait for the reconnection and run it again.

    Safe for reads, and for the idempotent methods because their key is fixed by the caller:
    a repeat of a call the server already executed is answered with the original result
    (``DuplicateRequestError.result``).
    """
    for attempt in range(attempts):
        try:
            return await make_call()
        except DuplicateRequestError as exc:
            print(f"  (already done: the server answered {exc.method} with the original result)")
            return exc.result  # type: ignore[no-any-return]
        except _RETRYABLE as exc:
            if attempt == attempts - 1:
                raise
            print(f"  (connection problem: {type(exc).__name__}; waiting for the reconnection)")
            await client.wait_connected(60.0)
    raise AssertionError("unreachable")


def mid(prices: Any) -> Decimal:
    """The mid of a prices block (``Mid``, else (Bid+Ask)/2)."""
    if prices.mid is not None:
        return Decimal(prices.mid)
    return (Decimal(prices.bid or 0) + Decimal(prices.ask or 0)) / 2


async def pick_position(control: MesoLiveControlHubClient, position_id: int | None) -> Any:
    if position_id is not None:
        return await control.get_position(position_id=position_id)
    async for position in control.iter_positions(state=LivePositionState.Open):
        account = await control.get_account(broker_account_id=position.broker_account_id)
        if account.is_paper_account:
            return await control.get_position(position_id=position.id)
    return None


async def arm_exit(control: MesoLiveControlHubClient, strategy_id: int) -> None:
    """Offline only: make the strategy's exit rule hold now (MaxDaysInTrade = 1)."""
    strategy = await control.get_strategy(strategy_id=strategy_id)
    definition = dict(strategy.strategy_definition)
    definition["Exit"] = {**definition.get("Exit", {}), "MaxDaysInTrade": 1}
    await control.update_strategy(strategy_id=strategy_id, strategy_definition=definition)
    print(f"(offline: strategy #{strategy_id} now exits after 1 day in trade: the simulator will raise the signal)")


async def wait_for_exit_job(control: MesoLiveControlHubClient, job_id: str, timeout: float) -> PreparePositionExitResult:
    """Poll ``GetPreparePositionExitStatus`` until the job is done (reads are retried after a drop)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        status = await call(control, lambda: control.get_prepare_position_exit_status(job_id=job_id))
        if status.status == PreparationStatus.Completed and status.result is not None:
            return status.result
        if status.status in (PreparationStatus.Failed, PreparationStatus.Cancelled):
            raise RuntimeError(f"exit preparation {job_id} {status.status.value}: {status.error}")
        if loop.time() > deadline:
            raise TimeoutError(f"exit preparation {job_id} still {status.status.value}")
        await asyncio.sleep(0.2)


async def exit_position(control: MesoLiveControlHubClient, signal: ExitSignalEvent, is_paper: bool,
                        ep: Endpoint, timeout: float) -> None:
    """Prepare the exit and fill it, with keys derived from the signal (see the module docstring)."""
    key = f"{signal.position_id}_{signal.event_id.hex[:16]}"
    drop = ep.drop_connections

    # 2. prepare; offline the connection drops while the call is in flight
    if drop is not None:
        asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(drop()))
        print("(offline: dropping every connection while StartPreparePositionExit is in flight)")
    job = await call(control, partial(control.start_prepare_position_exit,
                                      position_id=signal.position_id, idempotency_key=f"prep_exit_{key}"))
    print(f"exit preparation {job.job_id} started")
    result = await wait_for_exit_job(control, job.job_id, timeout)
    print(f"prepared exit plan #{result.exec_plan_id}: legs {', '.join(result.position_legs)}")

    # 3. fill each leg group
    for n, (group_id, leg_names) in enumerate(sorted(result.leg_groups.items())):
        if drop is not None and n == 0:
            asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(drop()))
            print("(offline: dropping every connection while the fills are sent)")
        if is_paper:
            fills = {name: PaperFill(price=abs(mid(result.leg_prices[name]))) for name in leg_names}
            applied = await call(control, partial(
                control.apply_paper_fills, idempotency_key=f"paper_exit_{key}_{group_id}",
                broker_account_id=result.broker_account_id, exec_plan_id=result.exec_plan_id,
                leg_group_id=group_id, fills=fills))
            print(f"filled leg group {group_id} on paper: orders {applied.order_ids}")
        else:
            order = LegGroupOrder(order_type=OrderType.Limit, time_in_force=TimeInForce.DAY,
                                  limit_price=mid(result.leg_group_prices[group_id]), leg_names=leg_names)
            sent = await call(control, partial(
                control.send_order, idempotency_key=f"send_exit_{key}_{group_id}",
                broker_account_id=result.broker_account_id, exec_plan_id=result.exec_plan_id,
                leg_group_id=group_id, leg_group_order=order))
            print(f"sent leg group {group_id}: orders {sent.order_ids}")


async def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__ or "")
    p.add_argument("--position-id", type=int, help="default: the first open position on a paper account")
    p.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for the signal and the exit")
    args = p.parse_args(argv)
    async with endpoint(args) as ep:
        control = MesoLiveControlHubClient(ep.url, ep.api_key, **ep.options)
        # Start at the latest event: active signals are pushed on connect anyway.
        events = MesoLiveEventHubClient(ep.url, ep.api_key, since_event_seq_id=None, **ep.options)
        loop = asyncio.get_running_loop()
        signalled: asyncio.Future[ExitSignalEvent] = loop.create_future()
        closed: asyncio.Future[PositionUpdateEvent] = loop.create_future()
        target: dict[str, int] = {}

        def on_exit_signal(event: ExitSignalEvent) -> None:
            if event.position_id != target.get("id") or event.state != SignalState.On:
                return
            print(f"exit signal On for position #{event.position_id} (event #{event.event_seq_id}"
                  f"{', replayed' if event.replayed else ''})")
            if not signalled.done():
                signalled.set_result(event)  # a second On (a restart's replay) changes nothing

        def on_position_update(event: PositionUpdateEvent) -> None:
            if event.position_id == target.get("id") and event.status == PositionStatus.Closed and not closed.done():
                closed.set_result(event)

        events.on_exit_signal(on_exit_signal)
        events.on_position_update(on_position_update)

        async with control, events:
            # 1. the position to watch
            position = await pick_position(control, args.position_id)
            if position is None:
                print("no open position on a paper account")
                return 1
            target["id"] = position.id
            account = await control.get_account(broker_account_id=position.broker_account_id)
            print(f"watching position #{position.id} {position.name} on {position.broker_account_id} "
                  f"({'paper' if account.is_paper_account else 'broker'} account)")
            if ep.offline:
                await arm_exit(control, position.live_strategy_id)

            signal = await asyncio.wait_for(signalled, args.timeout)
            await exit_position(control, signal, account.is_paper_account, ep, args.timeout)
            if ep.offline:
                print("(offline: handling the same signal again, as a restarted process would: nothing is done twice)")
                ep.drop_connections = None
                await exit_position(control, signal, account.is_paper_account, ep, args.timeout)

            # 4. the position closes (the event, or the position itself if the event was missed)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(closed), 10.0)
            final = await call(control, lambda: control.get_position(position_id=position.id))
            print(f"position #{final.id} {final.state.value}; realized P&L {final.realized_pnl}")
            return 0 if final.state == LivePositionState.Closed else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
