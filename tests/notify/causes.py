"""Cause every Event Hub callback for real on the in-process simulator.

Orders, positions and legs come from a paper entry through the session's Control
hub client; prepare jobs succeed and fail through the SDK; the agent status
changes through the simulator's admin hub; signals, errors and the auto
UpdateVars adjustment come from the signal evaluator (``evaluate_once()``) with
strategies crafted so the conditions fire (as in tests/sim/test_signals.py).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from mesodesk.contract import LiveLegSelectionConstraint, LivePositionState, LiveUnderlying, PaperFill
from mesodesk.sdk._signalr import SignalRConnection
from mesodesk.sim.hubs.admin import ADMIN_HUB_PATH
from mesodesk.sim.seed import BROKER_ACCOUNT, PAPER_ACCOUNT, load_strategy_definition
from tests.sim.test_orders import pcs_plan
from tests.ui.console import API_KEY, Console

BWB = 3  # seeded strategy 3 has exactly one open position, id 3
FILLS = {"short_put": PaperFill(price=Decimal("4.20"), commission=Decimal("1.30")),
         "long_put": PaperFill(price=Decimal("2.10"), commission=Decimal("1.30"))}
ENTRY = {"strategy_id": 1, "broker_account_id": PAPER_ACCOUNT, "position_name": "PCS notify",
         "leg_selection_constraint": LiveLegSelectionConstraint.FullyUnique,
         "underlying": LiveUnderlying(symbol="SPX")}


async def quiet(c: Console) -> None:
    """Stop the periodic signal loop: the tests drive ``evaluate_once()``."""
    await c.server.context.signals.stop()


async def paper_entry(c: Console, name: str = "UI PCS") -> int:
    """OnOrderUpdate, OnPositionUpdate, OnLegUpdate: a paper-filled put credit spread."""
    plan = pcs_plan(c.server, account=PAPER_ACCOUNT, name=name)
    result = await c.session.control.apply_paper_fills(
        broker_account_id=PAPER_ACCOUNT, exec_plan_id=plan.id, leg_group_id=1, fills=FILLS)
    assert result.position_id is not None
    return result.position_id


async def set_agent_status(c: Console, status: str, message: str) -> None:
    """OnAgentStatusChange through the simulator's admin hub."""
    admin = SignalRConnection(c.server.url + ADMIN_HUB_PATH, access_token_factory=lambda: API_KEY)
    await admin.start()
    try:
        reply = await admin.invoke("SetAgentStatus", {"Status": status, "Message": message})
        assert reply["Status"] == "Success", reply
    finally:
        await admin.stop()


def _far_away_definition() -> dict[str, Any]:
    definition = load_strategy_definition("spx_put_credit_spread.json")
    definition["Structure"]["Expirations"] = [{"Name": "exp", "DTE": "1500", "Min": "1000", "Max": "2000",
                                               "Roots": {"Include": ["SPXW", "SPX"], "Exclude": None}}]
    for leg in definition["Structure"]["Legs"]:
        leg["ExpirationName"] = "exp"
    definition["Entry"].update(VarDefines={}, AbortConditions=[])
    definition["Exit"].update(ProfitTarget="500", StopLoss="1000")  # no initial_credit without its VarDefines
    definition["Adjustment"]["ConditionalAdjustments"] = {}
    return definition


def _adjustable() -> dict[str, Any]:
    definition = load_strategy_definition("spx_put_credit_spread.json")
    definition["Adjustment"]["ConditionalAdjustments"] = {
        "pos_delta > 8": {"MoveLegAdjustment": {"LegName": "short_put", "StrikeSelector": {"Delta": "-10"}}},
        "pos_delta > 9": {"MoveLegAdjustment": {"LegName": "short_put", "StrikeSelector": {"Delta": "-12"}}},
    }
    return definition


async def prepare_jobs(c: Console) -> dict[str, str]:
    """The six OnPosition{Entry,Exit,Adjustment}Preparation{Completed,Failed}; returns kind -> job id."""
    control, jobs = c.session.control, c.server.context.jobs
    world = c.server.world
    jobs.delay = 0
    ids: dict[str, str] = {}
    ids["entry"] = (await control.start_prepare_position_entry(**ENTRY)).job_id
    far = await control.create_strategy(strategy_definition=_far_away_definition(), name="far away")
    ids["entry_failed"] = (await control.start_prepare_position_entry(**{**ENTRY, "strategy_id": far.id})).job_id
    ids["exit"] = (await control.start_prepare_position_exit(position_id=1)).job_id
    await control.update_strategy(strategy_id=1, strategy_definition=_adjustable())
    ids["adjustment"] = (await control.start_prepare_position_adjustment(
        position_id=1, operation="MoveLeg", condition="pos_delta > 8")).job_id
    await asyncio.sleep(0.2)
    # failures during the job: the position closes / the condition is removed before the build
    jobs.delay = 0.5
    ids["exit_failed"] = (await control.start_prepare_position_exit(position_id=2)).job_id
    ids["adjustment_failed"] = (await control.start_prepare_position_adjustment(
        position_id=1, operation="MoveLeg", condition="pos_delta > 9")).job_id
    await asyncio.sleep(0.1)
    position = world.positions[2]
    world.save_position(position.model_copy(update={"state": LivePositionState.Closed}))
    await control.update_strategy(strategy_id=1,
                                  strategy_definition=load_strategy_definition("spx_put_credit_spread.json"))
    await asyncio.sleep(0.8)
    jobs.delay = 0
    return ids


async def signals_and_errors(c: Console) -> int:
    """Entry/exit/adjustment signals On, an evaluation error and auto UpdateVars (started, completed, failed)."""
    control = c.session.control
    definition = load_strategy_definition("spx_broken_wing_butterfly.json")
    definition["Exit"].update(ProfitTarget="-1000000", Conditions=["mystery_var > 1"])
    move = {"MoveLegAdjustment": {"LegName": "body", "StrikeSelector": {"Delta": "-25"}}}
    definition["Adjustment"]["ConditionalAdjustments"] = {
        "pos_delta > -1000000": move,
        "days_in_trade > 0": {"UpdateVarsAdjustment": {"VarDefines": {"marker": "42"}}},
        "1 > 0": {"UpdateVarsAdjustment": {"VarDefines": {"broken": "nope_var + 1"}}},
        # never runs: makes mystery_var/nope_var user variables the position does not hold yet
        "pos_delta > 1000000": {"UpdateVarsAdjustment": {"VarDefines": {"mystery_var": "0", "nope_var": "0"}}},
    }
    await control.update_strategy(strategy_id=BWB, strategy_definition=definition)
    entry = load_strategy_definition("spx_put_credit_spread.json")
    entry["Entry"].update(Conditions=["underlying_price > 0"], Schedule={"Every": "day"})
    strategy = await control.create_strategy(strategy_definition=entry, name="Entry now",
                                             active_on_accounts=[BROKER_ACCOUNT])
    c.server.context.signals.evaluate_once()
    return strategy.id


async def clear_exit_signal_and_error(c: Console) -> None:
    """Exit signal Off and the error Cleared (level states switching off)."""
    definition = load_strategy_definition("spx_broken_wing_butterfly.json")
    definition["Exit"].update(ProfitTarget="1000000", StopLoss="1000000", MaxDaysInTrade=400, Conditions=[])
    await c.session.control.update_strategy(strategy_id=BWB, strategy_definition=definition)
    c.server.context.signals.evaluate_once()


async def drop_event_hub(c: Console) -> None:
    """Close only the event hub connection; the client reconnects and replays what it missed."""
    for conn in list(c.server.signalr.connections):
        if conn.hub.name == "event":
            await conn.close(allow_reconnect=True)
