"""Registry of every hub method, shared by the SDK and the simulator.

``result_model`` is the type of the envelope's ``Data`` (for streams: the item
type, items are sent bare, not enveloped). ``idempotent`` means the server records
the outcome under the args' ``IdempotencyKey`` (GetIdempotencyRecord is keyed but
read-only, so it is ``False``). ``provider_required`` means a null ``Provider`` is
rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .accounts import (
    GetAccountArgs,
    ListAccountsArgs,
    ListAccountsResult,
    ListAgentsArgs,
    ListAgentsResult,
    LiveAccount,
)
from .base import WireModel
from .common import GetIdempotencyRecordArgs, IdempotencyRecord
from .data import (
    ComboContractsDataEntry,
    ContractDataEntry,
    GetComboContractsSnapshotArgs,
    GetComboContractsSnapshotResult,
    GetContractSnapshotArgs,
    GetContractSnapshotResult,
    GetLegSnapshotArgs,
    GetLegSnapshotResult,
    GetLegsSnapshotArgs,
    GetLegsSnapshotResult,
    GetPositionSnapshotArgs,
    GetPositionSnapshotResult,
    GetUnderlyingSnapshotArgs,
    GetUnderlyingSnapshotResult,
    LegDataEntry,
    LegsDataEntry,
    PositionDataEntry,
    StreamComboContractsDataArgs,
    StreamContractDataArgs,
    StreamLegDataArgs,
    StreamLegsDataArgs,
    StreamPositionDataArgs,
    StreamUnderlyingDataArgs,
    UnderlyingDataEntry,
)
from .events import (
    GetEventsSinceArgs,
    GetEventsSinceResult,
    GetLatestEventSeqIdArgs,
    GetLatestEventSeqIdResult,
    SubscribeToStrategiesArgs,
    SubscribeToStrategiesResult,
    UnsubscribeFromStrategiesArgs,
    UnsubscribeFromStrategiesResult,
)
from .orders import (
    ApplyPaperFillsArgs,
    ApplyPaperFillsResult,
    CancelOrderArgs,
    CancelOrderResult,
    GetExecutionArgs,
    GetExecutionsArgs,
    GetExecutionsResult,
    GetOrderArgs,
    ListExecutionsArgs,
    ListExecutionsResult,
    ListOrdersArgs,
    ListOrdersResult,
    LiveExecution,
    Order,
    SendOrderArgs,
    SendOrderResult,
)
from .positions import (
    GetLegArgs,
    GetLegsArgs,
    GetLegsResult,
    GetPositionArgs,
    ListLegsArgs,
    ListLegsResult,
    ListPositionsArgs,
    ListPositionsResult,
    LiveLeg,
    LivePositionDetails,
)
from .prepare import (
    CancelPreparePositionAdjustmentArgs,
    CancelPreparePositionEntryArgs,
    CancelPreparePositionExitArgs,
    CancelPrepareResult,
    GetPreparePositionAdjustmentStatusArgs,
    GetPreparePositionAdjustmentStatusResult,
    GetPreparePositionEntryStatusArgs,
    GetPreparePositionEntryStatusResult,
    GetPreparePositionExitStatusArgs,
    GetPreparePositionExitStatusResult,
    PreparePositionAdjustmentArgs,
    PreparePositionEntryArgs,
    PreparePositionExitArgs,
    StartPrepareResult,
)
from .strategies import (
    CreateStrategyArgs,
    DeleteStrategyArgs,
    DeleteStrategyResult,
    GetStrategyArgs,
    ListStrategiesArgs,
    ListStrategiesResult,
    LiveStrategy,
    RenameStrategyArgs,
    UpdateStrategyArgs,
)

__all__ = [
    "ALL_METHODS",
    "CONTROL_METHODS",
    "DATA_METHODS",
    "EVENT_METHODS",
    "HUB_PATHS",
    "METHODS_BY_NAME",
    "HubMethod",
    "HubName",
    "get_method",
]

HubName = Literal["control", "data", "event"]

HUB_PATHS: dict[str, str] = {
    "control": "/hubs/control/v1",
    "data": "/hubs/data/v1",
    "event": "/hubs/event/v1",
}


@dataclass(frozen=True)
class HubMethod:
    hub: HubName
    name: str
    python_name: str
    args_model: type[WireModel]
    result_model: Any
    idempotent: bool = False
    stream: bool = False
    provider_required: bool = False


def _c(name: str, py: str, args: type[WireModel], result: Any, idempotent: bool = False) -> HubMethod:
    return HubMethod("control", name, py, args, result, idempotent=idempotent)


CONTROL_METHODS: tuple[HubMethod, ...] = (
    _c("GetIdempotencyRecord", "get_idempotency_record", GetIdempotencyRecordArgs, IdempotencyRecord),
    _c("ListAgents", "list_agents", ListAgentsArgs, ListAgentsResult),
    _c("ListAccounts", "list_accounts", ListAccountsArgs, ListAccountsResult),
    _c("GetAccount", "get_account", GetAccountArgs, LiveAccount),
    _c("CreateStrategy", "create_strategy", CreateStrategyArgs, LiveStrategy),
    _c("UpdateStrategy", "update_strategy", UpdateStrategyArgs, LiveStrategy),
    _c("RenameStrategy", "rename_strategy", RenameStrategyArgs, LiveStrategy),
    _c("DeleteStrategy", "delete_strategy", DeleteStrategyArgs, DeleteStrategyResult),
    _c("ListStrategies", "list_strategies", ListStrategiesArgs, ListStrategiesResult),
    _c("GetStrategy", "get_strategy", GetStrategyArgs, LiveStrategy),
    _c("ListPositions", "list_positions", ListPositionsArgs, ListPositionsResult),
    _c("GetPosition", "get_position", GetPositionArgs, LivePositionDetails),
    _c("ListLegs", "list_legs", ListLegsArgs, ListLegsResult),
    _c("GetLeg", "get_leg", GetLegArgs, LiveLeg),
    _c("GetLegs", "get_legs", GetLegsArgs, GetLegsResult),
    _c(
        "StartPreparePositionEntry",
        "start_prepare_position_entry",
        PreparePositionEntryArgs,
        StartPrepareResult,
        idempotent=True,
    ),
    _c(
        "GetPreparePositionEntryStatus",
        "get_prepare_position_entry_status",
        GetPreparePositionEntryStatusArgs,
        GetPreparePositionEntryStatusResult,
    ),
    _c(
        "CancelPreparePositionEntry",
        "cancel_prepare_position_entry",
        CancelPreparePositionEntryArgs,
        CancelPrepareResult,
        idempotent=True,
    ),
    _c(
        "StartPreparePositionExit",
        "start_prepare_position_exit",
        PreparePositionExitArgs,
        StartPrepareResult,
        idempotent=True,
    ),
    _c(
        "GetPreparePositionExitStatus",
        "get_prepare_position_exit_status",
        GetPreparePositionExitStatusArgs,
        GetPreparePositionExitStatusResult,
    ),
    _c(
        "CancelPreparePositionExit",
        "cancel_prepare_position_exit",
        CancelPreparePositionExitArgs,
        CancelPrepareResult,
        idempotent=True,
    ),
    _c(
        "StartPreparePositionAdjustment",
        "start_prepare_position_adjustment",
        PreparePositionAdjustmentArgs,
        StartPrepareResult,
        idempotent=True,
    ),
    _c(
        "GetPreparePositionAdjustmentStatus",
        "get_prepare_position_adjustment_status",
        GetPreparePositionAdjustmentStatusArgs,
        GetPreparePositionAdjustmentStatusResult,
    ),
    _c(
        "CancelPreparePositionAdjustment",
        "cancel_prepare_position_adjustment",
        CancelPreparePositionAdjustmentArgs,
        CancelPrepareResult,
        idempotent=True,
    ),
    _c("ApplyPaperFills", "apply_paper_fills", ApplyPaperFillsArgs, ApplyPaperFillsResult, idempotent=True),
    _c("SendOrder", "send_order", SendOrderArgs, SendOrderResult, idempotent=True),
    _c("CancelOrder", "cancel_order", CancelOrderArgs, CancelOrderResult, idempotent=True),
    _c("GetOrder", "get_order", GetOrderArgs, Order),
    _c("ListOrders", "list_orders", ListOrdersArgs, ListOrdersResult),
    _c("ListExecutions", "list_executions", ListExecutionsArgs, ListExecutionsResult),
    _c("GetExecution", "get_execution", GetExecutionArgs, LiveExecution),
    _c("GetExecutions", "get_executions", GetExecutionsArgs, GetExecutionsResult),
)


def _d(name: str, py: str, args: type[WireModel], result: Any, *, stream: bool, provider: bool) -> HubMethod:
    return HubMethod("data", name, py, args, result, stream=stream, provider_required=provider)


DATA_METHODS: tuple[HubMethod, ...] = (
    _d(
        "StreamPositionData",
        "stream_position_data",
        StreamPositionDataArgs,
        PositionDataEntry,
        stream=True,
        provider=False,
    ),
    _d(
        "GetPositionSnapshot",
        "get_position_snapshot",
        GetPositionSnapshotArgs,
        GetPositionSnapshotResult,
        stream=False,
        provider=False,
    ),
    _d("StreamLegData", "stream_leg_data", StreamLegDataArgs, LegDataEntry, stream=True, provider=False),
    _d(
        "GetLegSnapshot",
        "get_leg_snapshot",
        GetLegSnapshotArgs,
        GetLegSnapshotResult,
        stream=False,
        provider=False,
    ),
    _d("StreamLegsData", "stream_legs_data", StreamLegsDataArgs, LegsDataEntry, stream=True, provider=False),
    _d(
        "GetLegsSnapshot",
        "get_legs_snapshot",
        GetLegsSnapshotArgs,
        GetLegsSnapshotResult,
        stream=False,
        provider=False,
    ),
    _d(
        "StreamComboContractsData",
        "stream_combo_contracts_data",
        StreamComboContractsDataArgs,
        ComboContractsDataEntry,
        stream=True,
        provider=True,
    ),
    _d(
        "GetComboContractsSnapshot",
        "get_combo_contracts_snapshot",
        GetComboContractsSnapshotArgs,
        GetComboContractsSnapshotResult,
        stream=False,
        provider=True,
    ),
    _d(
        "StreamContractData",
        "stream_contract_data",
        StreamContractDataArgs,
        ContractDataEntry,
        stream=True,
        provider=True,
    ),
    _d(
        "GetContractSnapshot",
        "get_contract_snapshot",
        GetContractSnapshotArgs,
        GetContractSnapshotResult,
        stream=False,
        provider=True,
    ),
    _d(
        "StreamUnderlyingData",
        "stream_underlying_data",
        StreamUnderlyingDataArgs,
        UnderlyingDataEntry,
        stream=True,
        provider=True,
    ),
    _d(
        "GetUnderlyingSnapshot",
        "get_underlying_snapshot",
        GetUnderlyingSnapshotArgs,
        GetUnderlyingSnapshotResult,
        stream=False,
        provider=True,
    ),
)

EVENT_METHODS: tuple[HubMethod, ...] = (
    HubMethod(
        "event",
        "SubscribeToStrategies",
        "subscribe_to_strategies",
        SubscribeToStrategiesArgs,
        SubscribeToStrategiesResult,
    ),
    HubMethod(
        "event",
        "UnsubscribeFromStrategies",
        "unsubscribe_from_strategies",
        UnsubscribeFromStrategiesArgs,
        UnsubscribeFromStrategiesResult,
    ),
    HubMethod(
        "event",
        "GetLatestEventSeqId",
        "get_latest_event_seq_id",
        GetLatestEventSeqIdArgs,
        GetLatestEventSeqIdResult,
    ),
    HubMethod("event", "GetEventsSince", "get_events_since", GetEventsSinceArgs, GetEventsSinceResult),
)

ALL_METHODS: tuple[HubMethod, ...] = CONTROL_METHODS + DATA_METHODS + EVENT_METHODS

#: (hub, hub method name) -> HubMethod
METHODS_BY_NAME: dict[tuple[str, str], HubMethod] = {(m.hub, m.name): m for m in ALL_METHODS}


def get_method(hub: str, name: str) -> HubMethod:
    """Look up a hub method; raises ``KeyError`` when unknown."""
    return METHODS_BY_NAME[(hub, name)]
