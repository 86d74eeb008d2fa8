"""Typed idempotency outcomes and the prepare-job helper, against the simulator.

* A repeated call with the same key raises :class:`DuplicateRequestError` carrying the original
  typed result (or returns it with ``on_duplicate="return"``); a key reused for another request
  raises :class:`IdempotencyKeyReusedError` with the owner's record and typed result. Both are
  :class:`MesoLiveApiException` s (existing ``except`` clauses keep working).
* ``prepare_and_wait`` ends on the job's event (polling as a backup, or alone), and starts a job
  lost to a server restart again under a new key, saying so.
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from mesodesk.contract import (
    ApplyPaperFillsResult,
    IdempotencyOperation,
    IdempotencyRecordStatus,
    LiveLegSelectionConstraint,
    LiveUnderlying,
    PaperFill,
    PreparationStatus,
    PreparePositionEntryArgs,
    PreparePositionEntryResult,
    StatusCode,
)
from mesodesk.sdk import (
    DuplicateRequestError,
    IdempotencyKeyReusedError,
    MesoLiveApiException,
    MesoLiveControlHubClient,
    MesoLiveEventHubClient,
    PrepareJobOutcome,
)
from tests.sdk.conftest import FAST, until
from tests.sdk.test_control_simulator import PAPER, mid, prepared_entry, requires_jobs


def fills_for(result: Any, bump: Decimal = Decimal(0)) -> dict[str, PaperFill]:
    return {leg: PaperFill(price=abs(mid(result.leg_prices[leg])) + bump)
            for legs in result.leg_groups.values() for leg in legs}


def entry_args(key: str, name: str = "helper entry") -> PreparePositionEntryArgs:
    return PreparePositionEntryArgs(idempotency_key=key, position_name=name, strategy_id=1, broker_account_id=PAPER,
                                    leg_selection_constraint=LiveLegSelectionConstraint.UniqueInPosition,
                                    underlying=LiveUnderlying(symbol="SPX"))


async def test_duplicate_request_and_key_reuse_raise_typed_errors_with_the_typed_result(
        simulator: Any, control: MesoLiveControlHubClient, api_key: str) -> None:
    prepared = await prepared_entry(simulator, control, "typed outcomes")
    args = {"idempotency_key": "paper_typed_1", "broker_account_id": PAPER, "exec_plan_id": prepared.exec_plan_id,
            "fills": fills_for(prepared)}
    first = await control.apply_paper_fills(**args)
    assert isinstance(first, ApplyPaperFillsResult)

    with pytest.raises(DuplicateRequestError) as dup:
        await control.apply_paper_fills(**args)  # the same request again: nothing is done twice
    assert isinstance(dup.value, MesoLiveApiException) and dup.value.status == StatusCode.DuplicateRequest
    assert isinstance(dup.value.result, ApplyPaperFillsResult) and dup.value.result == first
    assert dup.value.data == first and dup.value.idempotency_key == "paper_typed_1"
    assert "already completed" in str(dup.value) and ".result" in str(dup.value)

    with pytest.raises(IdempotencyKeyReusedError) as reused:  # the same key for a different request
        await control.apply_paper_fills(**{**args, "fills": fills_for(prepared, Decimal("0.05"))})
    err = reused.value
    assert isinstance(err, MesoLiveApiException) and err.status == StatusCode.Conflict
    assert err.error is not None and err.error.code == "IdempotencyKeyReused"
    assert err.record is not None and err.record.status == IdempotencyRecordStatus.Completed
    assert err.record.operation == IdempotencyOperation.ApplyPaperFills
    assert isinstance(err.result, ApplyPaperFillsResult) and err.result == first
    assert "different request" in str(err) and "new key" in str(err)

    # old code keeps working: a plain MesoLiveApiException clause catches both
    with pytest.raises(MesoLiveApiException):
        await control.apply_paper_fills(**args)

    async with MesoLiveControlHubClient(simulator.url, api_key, on_duplicate="return", **FAST) as lenient:
        again = await lenient.apply_paper_fills(**args)
        assert again == first
        with pytest.raises(IdempotencyKeyReusedError):  # never "returned": it is another request
            await lenient.apply_paper_fills(**{**args, "fills": fills_for(prepared, Decimal("0.05"))})
    assert len((await control.list_executions(exec_plan_id=prepared.exec_plan_id)).items) == len(args["fills"])


async def test_prepare_and_wait_ends_on_the_event_or_by_polling(simulator: Any, control: MesoLiveControlHubClient,
                                                                 events: MesoLiveEventHubClient) -> None:
    requires_jobs(simulator)
    by_event = await control.prepare_and_wait(entry_args("prep_entry_helper_ev"), events=events, poll_interval=30)
    assert isinstance(by_event, PrepareJobOutcome) and by_event.completed and by_event.via == "event"
    assert isinstance(by_event.result, PreparePositionEntryResult) and not by_event.restarted
    assert by_event.idempotency_key == "prep_entry_helper_ev"
    polled = await control.prepare_and_wait(entry_args("prep_entry_helper_poll"))
    assert polled.completed and polled.via == "poll" and isinstance(polled.result, PreparePositionEntryResult)
    with pytest.raises(MesoLiveApiException):  # refused by StartPrepare: raised as is
        await control.prepare_and_wait(entry_args("prep_entry_helper_bad").model_copy(
            update={"broker_account_id": "NOPE"}), events=events)
    with pytest.raises(TypeError):
        await control.prepare_and_wait(object())  # type: ignore[call-overload]


async def test_prepare_job_lost_to_a_server_restart_is_started_again_under_a_new_key(
        tmp_path: Path, api_key: str, caplog: pytest.LogCaptureFixture) -> None:
    from mesodesk.sim.server import SimulatorServer

    server = SimulatorServer(tmp_path / "sim", api_key, seed=7, tick_interval=0.05)
    server.context.jobs.delay = 30.0  # the job is still running when the server goes down
    await server.start(port=0)
    port = server.port
    control = MesoLiveControlHubClient(server.url, api_key, **FAST)
    events = MesoLiveEventHubClient(server.url, api_key, since_event_seq_id=None, **FAST)
    await control.connect()
    await events.connect()
    try:
        with caplog.at_level(logging.WARNING, "mesodesk.sdk.control"):
            waiting = asyncio.create_task(control.prepare_and_wait(entry_args("prep_entry_lost"), events=events,
                                                                   poll_interval=0.5, timeout=60))
            await until(lambda: any(j.status in (PreparationStatus.Pending, PreparationStatus.Running)
                                    for j in server.context.jobs.jobs.values()))
            await server.stop()  # the running job dies with the server
            server = SimulatorServer(tmp_path / "sim", api_key, seed=7, tick_interval=0.05)
            await server.start(port=port)
            outcome = await asyncio.wait_for(waiting, 30)
        assert outcome.completed and isinstance(outcome.result, PreparePositionEntryResult)
        assert outcome.restarted and len(outcome.restarts) == 1
        lost = outcome.restarts[0]
        assert lost.idempotency_key == "prep_entry_lost" and "restart" in lost.reason
        assert outcome.idempotency_key == "prep_entry_lost:r1" and outcome.job_id != lost.job_id
        assert "was lost to a server restart" in caplog.text and "prep_entry_lost:r1" in caplog.text
        old = await control.get_idempotency_record(idempotency_key="prep_entry_lost")
        assert old.job_id == lost.job_id  # the first key stays with the lost job
    finally:
        await asyncio.gather(control.close(), events.close())
        await server.stop()
