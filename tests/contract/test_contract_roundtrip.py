"""Every contract model survives dumps -> loads -> model_validate, with PascalCase wire keys."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import BaseModel

import mesodesk.contract as c
from tests.contract.contract_factories import all_models, build

MODELS = all_models()
PASCAL = re.compile(r"^[A-Z][A-Za-z0-9]*$")


def test_factories_cover_many_models() -> None:
    assert len(MODELS) >= 120


@pytest.mark.parametrize("full", [True, False], ids=["full", "minimal"])
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_roundtrip(model: type[BaseModel], full: bool) -> None:
    original = build(model, full=full)
    wire = c.dumps(original)
    assert isinstance(wire, bytes)
    data = c.loads(wire)
    restored = model.model_validate(data)
    assert restored == original
    # serializing again gives the same JSON value (trailing zeros of a Decimal may differ)
    assert c.loads(c.dumps(restored)) == data
    # to_wire is the python-mode dict by alias; all fields present (nulls kept)
    as_dict = c.to_wire(original)
    assert set(as_dict) == {info.alias or name for name, info in model.model_fields.items()}
    assert set(data) == set(as_dict)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_wire_names_are_pascal_case(model: type[BaseModel]) -> None:
    for name, info in model.model_fields.items():
        assert info.alias is not None, name
        assert PASCAL.match(info.alias), (model.__name__, name, info.alias)
        # snake_case attribute and wire alias both populate the field
        assert name == name.lower()


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_populate_by_alias_and_by_name(model: type[BaseModel]) -> None:
    original = build(model)
    by_alias = c.to_wire(original)
    by_name = original.model_dump(mode="python", by_alias=False)
    assert model.model_validate(by_alias) == original
    assert model.model_validate(by_name) == original


def _aliases(model: type[BaseModel]) -> set[str]:
    return {info.alias or n for n, info in model.model_fields.items()}


HEADER = {"EventId", "EventSeqId", "EventTime"}

# Field sets copied from the documented [D] model pages (exact spellings).
DOCUMENTED: dict[type[BaseModel], set[str]] = {
    c.MesoLiveApiError: {"Code", "Detail", "Provider", "ValidationErrors"},
    c.IdempotencyRecord: {
        "IdempotencyKey",
        "Operation",
        "Status",
        "CreatedAt",
        "UpdatedAt",
        "RequestHash",
        "LiveExecPlanId",
        "LiveOrderIds",
        "ErrorMessage",
        "JobId",
        "JobStatus",
        "JobResult",
        "JobErrorMessage",
        "ResponseStatus",
        "ResponseMessage",
        "ResponseError",
        "ResponseData",
    },
    c.LiveAccount: {
        "BrokerAccountId",
        "BrokerType",
        "AccountType",
        "Currency",
        "IsPaperAccount",
        "NetLiquidationValue",
        "MaintenanceMarginReq",
        "Cash",
        "LastUpdated",
        "CreatedAt",
        "ActivePositions",
    },
    c.LivePosition: {
        "Id",
        "State",
        "CreatedAt",
        "ClosedAt",
        "Name",
        "BrokerAccountId",
        "LiveStrategyId",
        "StrategyName",
        "QtyMultiplier",
    },
    c.LiveLeg: {
        "Id",
        "Name",
        "LiveContract",
        "LegGroupId",
        "CreatedAt",
        "ClosedAt",
        "LivePositionId",
        "AccountId",
        "Underlying",
        "Qty",
        "AvgEntryPrice",
        "UserSetRealizedPnL",
        "TrackedRealizedPnL",
    },
    c.LiveContract: {
        "ContractType",
        "Underlying",
        "Root",
        "OptionType",
        "Expiration",
        "Strike",
        "Multiplier",
    },
    c.Order: {
        "OrderId",
        "CreatedAt",
        "FilledAt",
        "ExecPlanId",
        "BrokerAccountId",
        "LegGroupId",
        "State",
        "Side",
        "Qty",
        "CumQty",
        "AvgFillPrice",
        "LastFillPrice",
        "LimitPrice",
        "StopPrice",
        "OrderType",
        "TimeInForce",
        "LastUpdated",
    },
    c.SendOrderArgs: {
        "IdempotencyKey",
        "ReplacesOrder",
        "BrokerAccountId",
        "ExecPlanId",
        "QtyMultiplier",
        "LegGroupId",
        "LegGroupOrder",
    },
    c.PreparePositionEntryArgs: {
        "IdempotencyKey",
        "PositionName",
        "StrategyId",
        "BrokerAccountId",
        "LegSelectionConstraint",
        "Underlying",
        "DataProvider",
    },
    c.PreparePositionEntryResult: {
        "ExecPlanId",
        "PositionName",
        "StrategyId",
        "StrategyName",
        "BrokerAccountId",
        "SelectedLegs",
        "LegGroups",
        "LegGroupQtys",
        "AbortConditions",
        "EntryConditions",
        "EntryAllowed",
        "QtyMultiplier",
        "Vars",
        "LegGreeks",
        "LegPrices",
        "LegGroupGreeks",
        "LegGroupPrices",
        "PositionGreeks",
        "PositionPrice",
        "UnderlyingPrice",
    },
    c.PreparePositionExitResult: {
        "ExecPlanId",
        "PositionId",
        "PositionName",
        "StrategyId",
        "StrategyName",
        "BrokerAccountId",
        "PositionLegs",
        "LegGroups",
        "LegGroupQtys",
        "Vars",
        "LegGreeks",
        "LegPrices",
        "LegGroupGreeks",
        "LegGroupPrices",
        "PositionGreeks",
        "PositionPrice",
        "UnderlyingPrice",
    },
    c.PreparePositionAdjustmentResult: {
        "ExecPlanId",
        "Operation",
        "Condition",
        "PositionId",
        "PositionName",
        "StrategyId",
        "StrategyName",
        "BrokerAccountId",
        "OrderLegs",
        "LegGroups",
        "LegGroupQtys",
        "Vars",
        "LegGreeks",
        "LegPrices",
        "LegGroupGreeks",
        "LegGroupPrices",
        "PositionGreeks",
        "PositionPrice",
        "UnderlyingPrice",
        "QtyMultiplier",
        "AbortConditions",
        "AdjustmentAllowed",
    },
    c.GetPreparePositionExitStatusResult: {"JobId", "Status", "Result", "Error", "CreatedAt", "UpdatedAt"},
    c.StreamPositionDataArgs: {
        "PositionId",
        "PriceFields",
        "GreekFields",
        "PnlFields",
        "IncludePosition",
        "IncludeLegs",
        "IncludeLegGroups",
        "Provider",
    },
    c.SubscribeToStrategiesArgs: {"Strategies"},
    c.SubscribeToStrategiesResult: {"SuccessfulStrategies", "FailedStrategies"},
    c.UnsubscribeFromStrategiesResult: {"SuccessfulStrategies", "FailedStrategies"},
    c.GetLatestEventSeqIdArgs: set(),
    c.GetLatestEventSeqIdResult: {"LatestEventSeqId", "SnapshotTime"},
    c.EntrySignalEvent: HEADER
    | {"State", "StrategyId", "StrategyName", "BrokerAccountId", "EntrySignalResult"},
    c.ExitSignalEvent: HEADER
    | {
        "State",
        "StrategyId",
        "StrategyName",
        "PositionId",
        "PositionName",
        "BrokerAccountId",
        "ExitSignalResult",
    },
    c.AdjustmentSignalEvent: HEADER
    | {
        "State",
        "StrategyId",
        "StrategyName",
        "PositionId",
        "PositionName",
        "BrokerAccountId",
        "AdjustmentTimeOk",
        "Condition",
    },
    c.OrderUpdateEvent: HEADER
    | {
        "OrderId",
        "BrokerAccountId",
        "ExecPlanId",
        "LegGroupId",
        "StrategyId",
        "StrategyName",
        "State",
        "FilledQty",
        "RemainingQty",
        "FillPrice",
        "AvgFillPrice",
        "Rejection",
    },
    c.PositionUpdateEvent: HEADER
    | {
        "PositionId",
        "StrategyId",
        "StrategyName",
        "PositionName",
        "BrokerAccountId",
        "Status",
        "RealizedPnL",
    },
    c.LegUpdateEvent: HEADER
    | {
        "BrokerAccountId",
        "PositionId",
        "PositionName",
        "StrategyId",
        "StrategyName",
        "LegId",
        "LegName",
        "Contract",
        "Status",
        "Qty",
        "RealizedPnL",
    },
    c.AgentStatusEvent: HEADER | {"Status", "Message", "Connector"},
    c.ErrorEvent: HEADER
    | {
        "State",
        "ErrorId",
        "StrategyId",
        "StrategyName",
        "PositionId",
        "PositionName",
        "BrokerAccountId",
        "Message",
        "ConditionType",
        "Statement",
    },
    c.PositionEntryPreparationCompletedEvent: HEADER
    | {"JobId", "StrategyId", "StrategyName", "BrokerAccountId", "Result"},
    c.PositionEntryPreparationFailedEvent: HEADER
    | {"JobId", "StrategyId", "StrategyName", "BrokerAccountId", "Error"},
    c.PositionExitPreparationCompletedEvent: HEADER
    | {"JobId", "StrategyId", "StrategyName", "BrokerAccountId", "Result"},
    c.PositionExitPreparationFailedEvent: HEADER
    | {"JobId", "StrategyId", "StrategyName", "BrokerAccountId", "Error"},
    c.PositionAdjustmentPreparationCompletedEvent: HEADER
    | {"JobId", "StrategyId", "StrategyName", "BrokerAccountId", "Result"},
    c.PositionAdjustmentPreparationFailedEvent: HEADER
    | {"JobId", "StrategyId", "StrategyName", "BrokerAccountId", "Error"},
}


@pytest.mark.parametrize("model", list(DOCUMENTED), ids=lambda m: m.__name__)
def test_documented_field_names_exact(model: type[BaseModel]) -> None:
    assert _aliases(model) == DOCUMENTED[model]


def test_position_data_entry_has_documented_and_decided_fields() -> None:
    aliases = _aliases(c.PositionDataEntry)
    assert {
        "PositionPrices",
        "PositionGreeks",
        "PositionPnLs",
        "LegPrices",
        "LegGreeks",
        "LegPnLs",
    } <= aliases
    assert {"LegGroupPrices", "LegGroupGreeks", "LegGroupPnLs", "Timestamp", "UnderlyingPrice"} <= aliases


def test_documented_spellings_on_the_wire() -> None:
    wire = b"".join(c.dumps(build(m)) for m in MODELS).decode()
    for key in (
        "NetLiquidationValue",
        "AvgEntryPrice",
        "UserSetRealizedPnL",
        "TrackedRealizedPnL",
        "PositionPnLs",
        "LegPnLs",
        "EventSeqId",
        "EventId",
        "RealizedPnL",
        '"IV"',
        "WVega",
        "MaintenanceMarginReq",
        "PnlFields",
        "LegGroupQtys",
        "MesoSimInstance",
        "ValidationErrors",
    ):
        assert key in wire, key
    for bad in ('Pnl"', "RealizedPnl", 'Iv"', "Wvega", "PnLFields", "PnLS"):
        assert bad not in wire, bad


def test_construct_with_pascal_or_snake_case() -> None:
    pascal: dict[str, Any] = {
        "Id": 1,
        "State": "Open",
        "CreatedAt": "2024-01-05T14:30:00Z",
        "Name": "p",
        "BrokerAccountId": "ML1",
        "LiveStrategyId": 3,
        "StrategyName": "s",
        "QtyMultiplier": 1,
    }
    snake: dict[str, Any] = {
        "id": 1,
        "state": c.LivePositionState.Open,
        "created_at": "2024-01-05T14:30:00Z",
        "name": "p",
        "broker_account_id": "ML1",
        "live_strategy_id": 3,
        "strategy_name": "s",
        "qty_multiplier": 1,
    }
    a = c.LivePosition(**pascal)
    b = c.LivePosition(**snake)
    assert a == b
    leg = build(c.LiveLeg)
    leg2 = c.LiveLeg.model_validate({**c.to_wire(leg), "UserSetRealizedPnL": 5, "TrackedRealizedPnL": "1.5"})
    assert leg2.total_realized_pnl == 6.5


def test_extra_fields_ignored() -> None:
    data: dict[str, Any] = {**c.to_wire(build(c.LiveAccount)), "SomethingNew": 42}
    assert c.LiveAccount.model_validate(data) == build(c.LiveAccount)
