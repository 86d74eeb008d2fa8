"""``check_payload``: what remains wrong after tolerant reading, plus dialect notes (for the doctor)."""

from __future__ import annotations

from typing import Any

import pytest

import mesodesk.contract as c
from mesodesk.contract.wire_check import Finding, check_envelope, check_payload, payload_type
from tests.contract.contract_factories import build
from tests.contract.test_wire_read import aspnet, wire


def problems(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.path, f.problem) for f in findings}


def test_a_documented_payload_has_no_findings() -> None:
    assert check_payload(c.LivePositionDetails, wire(build(c.LivePositionDetails))) == []
    assert check_payload("ListPositions", wire(c.ListPositionsResult(items=[build(c.LivePosition)]))) == []


def test_aspnet_defaults_give_only_dialect_notes() -> None:
    findings = check_payload("GetPosition", aspnet(build(c.LivePositionDetails)))
    assert {f.severity for f in findings} == {"info"}
    notes = {f.got: f for f in findings}
    assert set(notes) >= {"camelCase keys", "int enums", "7-digit fractions", "numbers as strings"}
    assert notes["camelCase keys"].expected == "PascalCase keys"
    assert notes["int enums"].path == "GetPosition.State"
    assert notes["7-digit fractions"].path.startswith("GetPosition.")


def test_errors_warnings_and_paths() -> None:
    page = wire(c.ListPositionsResult(items=[build(c.LivePosition), build(c.LivePosition)]))
    second = page["Items"][1]
    second["realizedPnL"] = "n/a"  # not even a field of LivePosition: unknown
    del second["Name"]
    second["State"] = "Archived"
    second["CreatedAt"] = "yesterday"
    second["QtyMultiplier"] = "lots"
    findings = check_payload("ListPositions", page)
    assert problems(findings) == {
        ("ListPositions.Items[1].Name", "missing"),
        ("ListPositions.Items[1].CreatedAt", "wrong type"),
        ("ListPositions.Items[1].QtyMultiplier", "wrong type"),
        ("ListPositions.Items[1].State", "unknown enum member"),
        ("ListPositions.Items[1].realizedPnL", "unknown field"),
        ("ListPositions.Items[1].QtyMultiplier", "dialect"),  # a number as a string (that does not parse)
    }
    assert [f.severity for f in findings] == sorted((f.severity for f in findings),
                                                    key=["error", "warning", "info"].index)
    state = next(f for f in findings if f.problem == "unknown enum member")
    assert state.expected == "a member of LivePositionState" and state.got == "'Archived'"
    assert str(state) == "ListPositions.Items[1].State: unknown enum member (expected a member of LivePositionState, got 'Archived')"
    wrong = next(f for f in findings if f.path.endswith("CreatedAt"))
    assert "datetime" in wrong.expected and wrong.got == "'yesterday'"


def test_nested_dicts_and_models() -> None:
    entry = wire(build(c.PositionDataEntry))
    leg = next(iter(entry["LegPrices"]))
    entry["LegPrices"][leg]["Bid"] = {"Value": 1}
    entry["PositionGreeks"]["Mark"]["Charm"] = 0.2
    assert problems(check_payload(c.PositionDataEntry, entry, path="PositionData")) == {
        (f"PositionData.LegPrices[{leg}].Bid", "wrong type"),
        ("PositionData.PositionGreeks.Mark.Charm", "unknown field"),
    }


def test_events_and_replays() -> None:
    event = wire(build(c.OrderUpdateEvent))
    event["State"] = 99
    assert problems(check_payload("OnOrderUpdate", event)) == {("OnOrderUpdate.State", "unknown enum member")}
    replay = wire(c.GetEventsSinceResult(events=[c.EventEnvelope.wrap(build(c.OrderUpdateEvent))], latest_event_seq_id=1))
    replay["Events"].append({"EventType": "OnSomethingNew", "EventSeqId": 2, "Event": {}})
    replay["Events"][0]["Event"]["EventTime"] = "never"
    assert problems(check_payload("GetEventsSince", replay)) == {
        ("GetEventsSince.Events[0].Event.EventTime", "wrong type"),
        ("GetEventsSince.Events[1].EventType", "unknown enum member"),  # the SDK drops that envelope
    }


def test_whole_envelopes() -> None:
    raw: dict[str, Any] = {"status": 0, "data": {"latestEventSeqId": 3, "snapshotTime": "2026-12-02T14:30:00.1234567Z"}}
    findings = check_envelope("GetLatestEventSeqId", raw)
    assert {f.severity for f in findings} == {"info"}
    assert {f.path for f in findings} == {"GetLatestEventSeqId.status", "GetLatestEventSeqId.Status",
                                          "GetLatestEventSeqId.Data.SnapshotTime"}
    assert problems(check_envelope("GetLatestEventSeqId", {"status": "Success", "data": {}})) == {
        ("GetLatestEventSeqId.Data.LatestEventSeqId", "missing"),
        ("GetLatestEventSeqId.Data.SnapshotTime", "missing"),
        ("GetLatestEventSeqId.status", "dialect"),
    }


def test_payload_types_by_name() -> None:
    assert payload_type("ListPositions") is c.ListPositionsResult
    assert payload_type("StreamPositionData") is c.PositionDataEntry
    assert payload_type("OnOrderUpdate") is c.OrderUpdateEvent
    with pytest.raises(KeyError):
        payload_type("NoSuchMethod")
    assert problems(check_payload(list[c.Order], [{"OrderId": "x"}]))  # any type works
