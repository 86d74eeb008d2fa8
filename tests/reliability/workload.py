"""Idempotent writes with retries (the SDK's recovery plus explicit same-key retries)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from mesodesk.contract import LegGroupOrder, OrderType, PaperFill, StatusCode
from mesodesk.sdk import (
    ConnectionLostError,
    IdempotencyFailedError,
    InvocationTimeout,
    MesoLiveApiException,
    MesoLiveControlHubClient,
    NotConnectedError,
    OutcomeUnknownError,
)
from mesodesk.sim.seed import BROKER_ACCOUNT, PAPER_ACCOUNT

FILLS = {"short_put": PaperFill(price=Decimal("4.2")), "long_put": PaperFill(price=Decimal("2.1"))}
MARKET_ONE = LegGroupOrder(order_type=OrderType.Market, leg_names=["short_put", "long_put"], qty=Decimal(1))
_RETRYABLE = (OutcomeUnknownError, NotConnectedError, ConnectionLostError, InvocationTimeout, TimeoutError)


@dataclass
class Ack:
    key: str
    op: str  # "paper" | "order"
    plan_id: int
    order_ids: list[int]
    attempts: int
    duplicate: bool  # acknowledged through DuplicateRequest (a retry of a completed call)


@dataclass
class Ledger:
    acks: dict[str, Ack] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # key -> why (recorded Failed outcomes)
    attempts: int = 0
    retries: int = 0


async def idempotent_write(control: MesoLiveControlHubClient, ledger: Ledger, op: str, key: str, plan_id: int,
                           *, give_up_after: float = 120.0) -> Ack | None:
    """Send one ApplyPaperFills ("paper") or SendOrder ("order") until its outcome is known."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + give_up_after
    attempts = 0
    while True:
        if loop.time() > deadline:
            raise AssertionError(f"{key}: outcome still unknown after {give_up_after:g}s")
        attempts += 1
        ledger.attempts += 1
        duplicate = False
        try:
            await control.wait_connected(max(0.1, deadline - loop.time()))
            if op == "paper":
                result: Any = await control.apply_paper_fills(
                    idempotency_key=key, broker_account_id=PAPER_ACCOUNT, exec_plan_id=plan_id, fills=FILLS)
            else:
                result = await control.send_order(
                    idempotency_key=key, broker_account_id=BROKER_ACCOUNT, exec_plan_id=plan_id, leg_group_id=1,
                    leg_group_order=MARKET_ONE)
        except IdempotencyFailedError as exc:
            ledger.failed[key] = str(exc)
            return None
        except MesoLiveApiException as exc:
            code = getattr(exc.error, "code", None)
            if exc.status == StatusCode.DuplicateRequest and exc.data is not None:
                result, duplicate = exc.data, True
            elif exc.status == StatusCode.Conflict and code == "Processing":
                await asyncio.sleep(0.1)
                continue
            else:
                raise
        except _RETRYABLE:
            ledger.retries += 1
            await asyncio.sleep(0.05)
            continue
        ack = Ack(key, op, plan_id, list(result.order_ids), attempts, duplicate)
        ledger.acks[key] = ack
        return ack
