"""The one event -> text implementation (Qt-free): notices for all 17 events, and the event log's line."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest

import mesodesk.contract as c
from mesodesk.contract import (
    EVENT_CALLBACKS,
    AgentStatus,
    ErrorState,
    OrderRejectionInfo,
    OrderState,
    SignalState,
)
from mesodesk.core.event_text import event_type_name, summarize
from mesodesk.core.notices import (
    EVENT_TYPES,
    GROUPS,
    TYPE_LABELS,
    Notice,
    Severity,
    away_summary,
    describe,
    is_away_summary,
    worst,
)
from tests.contract.contract_factories import build
from tests.core.factories import agent_event, order_update


@pytest.mark.parametrize("callback", EVENT_TYPES)
def test_every_event_type_has_a_readable_notice(callback: str) -> None:
    event = build(EVENT_CALLBACKS[callback].model)
    notice = describe(event)
    assert notice.callback == callback and notice.key == str(event.event_id)
    assert notice.title and notice.body and notice.type_label == TYPE_LABELS[callback]
    assert "None" not in notice.title and "None" not in notice.body
    assert notice.target is not None


def test_labels_and_groups_cover_every_callback() -> None:
    assert set(TYPE_LABELS) == set(EVENT_TYPES) == set(EVENT_CALLBACKS)
    grouped = [t for types in GROUPS.values() for t in types]
    assert sorted(grouped) == sorted(EVENT_TYPES)


def test_severities_targets_and_actions() -> None:
    on = build(c.ExitSignalEvent).model_copy(update={"state": SignalState.On})
    notice = describe(on)
    assert notice.severity is Severity.WARNING and notice.level_on and notice.level_key == f"exit:{on.position_id}"
    assert [a.kind for a in notice.actions] == ["exit"] and notice.actions[0].payload["position_id"] == on.position_id
    off = describe(on.model_copy(update={"state": SignalState.Off, "event_id": uuid4()}))
    assert off.severity is Severity.INFO and off.level_on is False and not off.actions
    entry = describe(build(c.EntrySignalEvent).model_copy(update={"state": SignalState.On}))
    assert entry.actions[0].label == "Prepare entry" and entry.target is not None and entry.target.kind == "strategy"
    adj = describe(build(c.AdjustmentSignalEvent).model_copy(update={"state": SignalState.On}))
    assert adj.actions[0].label == "Prepare adjustment" and adj.actions[0].payload["condition"]
    rejected = describe(build(c.OrderUpdateEvent).model_copy(update={"state": c.OrderState.Rejected}))
    assert rejected.severity is Severity.ERROR and rejected.sticky and "Rejected:" in rejected.body
    filled = describe(build(c.OrderUpdateEvent).model_copy(update={"state": c.OrderState.Filled, "rejection": None}))
    assert filled.severity is Severity.SUCCESS and filled.important
    assert filled.target is not None and filled.target.kind == "order"
    prepared = describe(build(c.PositionExitPreparationCompletedEvent))
    assert prepared.target is not None and prepared.target.kind == "prepared" and prepared.target.prep_kind == "exit"
    failed = describe(build(c.PositionAdjustmentPreparationFailedEvent))
    assert failed.severity is Severity.ERROR and failed.target is not None
    assert failed.target.prep_kind == "adjustment"


def test_the_event_log_line_is_the_notice_on_one_line() -> None:
    event = order_update(filled_qty=Decimal(2), avg_fill_price=Decimal("-1.45"))
    notice = describe(event)
    text, level = summarize(event)
    assert text == f"{notice.title}: {notice.body}" == notice.log_text
    assert text.startswith("Order #7 filled: SPX Iron Condor") and "filled 2 @ 1.45 credit" in text
    assert level == "info"  # a success is "info" in the log
    assert event_type_name(event) == "OrderUpdate"
    rejected = order_update(state=OrderState.Rejected, rejection=OrderRejectionInfo(reason="margin"))
    assert summarize(rejected) == (describe(rejected).log_text, "error") and "margin" in summarize(rejected)[0]
    assert summarize(agent_event(AgentStatus.Degraded, seq=1))[1] == "warning"
    assert summarize(agent_event(AgentStatus.Connected, seq=2))[1] == "info"


@pytest.mark.parametrize("callback", EVENT_TYPES)
def test_every_event_has_a_log_line_and_level(callback: str) -> None:
    event = build(EVENT_CALLBACKS[callback].model)
    text, level = summarize(event)
    assert text and "\n" not in text and level in ("info", "warning", "error")
    assert event_type_name(event) == callback.removeprefix("On")


def test_error_levels_follow_the_error_state() -> None:
    raised = build(c.ErrorEvent).model_copy(update={"state": ErrorState.Raised})
    assert summarize(raised)[1] == "error"
    assert summarize(raised.model_copy(update={"state": ErrorState.Cleared}))[1] == "info"
    assert {s.log_level for s in Severity} == {"info", "warning", "error"}


def test_a_subclass_of_an_event_model_keeps_its_formatter() -> None:
    class FutureOrderUpdate(c.OrderUpdateEvent):
        pass

    base = build(c.OrderUpdateEvent).model_copy(update={"state": OrderState.Filled, "rejection": None})
    event = FutureOrderUpdate(**base.model_dump())
    assert describe(event).title == describe(base).title


def _notice(model: type, **changes: object) -> Notice:
    return describe(build(model).model_copy(update={"event_id": uuid4(), **changes}))


def test_away_summary_takes_the_worst_and_the_latest() -> None:
    away = [_notice(c.PositionUpdateEvent, event_seq_id=i) for i in range(1, 4)]
    away.append(_notice(c.ErrorEvent, state=ErrorState.Raised, event_seq_id=4))
    away.append(_notice(c.LegUpdateEvent, event_seq_id=5))
    assert worst(away) is away[3]
    summary = away_summary(away)
    assert is_away_summary(summary) and not any(is_away_summary(n) for n in away)
    assert summary.key == f"away:{away[0].key}" and summary.seq == 5 and summary.away
    assert summary.title == "5 events while you were away" and summary.target is None
    assert summary.severity is Severity.ERROR and summary.callback == "OnError" and summary.important
    assert summary.body == "Latest: " + "; ".join(n.title for n in away[-3:])
