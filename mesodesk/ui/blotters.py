"""Column declarations of every blotter: one table per blotter, nothing else to edit.

``BLOTTERS`` names each blotter once: its stable ASCII key (dock object names,
saved header state), title, columns, and the hubs whose disconnect makes it stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from mesodesk.core.formatting import fmt_time_compact, local_zone_name
from mesodesk.core.state import contract_text
from mesodesk.core.totals import POSITION_GROUPINGS
from mesodesk.core.trading.pricing import order_side
from mesodesk.ui.models.columns import (
    Column,
    combo_price,
    fmt_bool,
    fmt_date,
    fmt_int,
    fmt_time,
    fmt_time_short,
    integer,
    number,
    pnl,
    qty,
)

#: blotter times are local: their column titles say the zone ("Opened (UTC)")
ZONE = local_zone_name()


def _abs(value: Decimal | None) -> Decimal | None:
    return None if value is None else abs(value)


ACCOUNT_COLUMNS = [
    Column("account", "Account", lambda a: a.broker_account_id),
    Column("broker", "Broker", lambda a: a.broker_type),
    Column("paper", "Paper", lambda a: a.is_paper_account, fmt_bool),
    Column("type", "Type", lambda a: a.account_type, visible=False),
    Column("currency", "Ccy", lambda a: a.currency),
    number("nav", "NAV", lambda a: a.net_liquidation_value),
    number("cash", "Cash", lambda a: a.cash),
    number("margin", "Maint. margin", lambda a: a.maintenance_margin_req),
    Column("active", "Active pos.", lambda a: a.active_positions, fmt_int, numeric=True),
    Column("updated", f"Last update ({ZONE})", lambda a: a.last_updated, fmt_time),
]

AGENT_COLUMNS = [
    Column("connector", "Connector", lambda a: a.connector),
    Column("provider", "Data provider", lambda a: a.provider),
    Column("status", "Status", lambda a: a.status),
    Column("accounts", "Accounts", lambda a: ", ".join(a.broker_account_ids or [])),
    Column("snapshot", f"Last snapshot ({ZONE})", lambda a: a.last_snapshot_at, fmt_time),
    Column("message", "Message", lambda a: a.message),
]

STRATEGY_COLUMNS = [
    integer("id", "Id", lambda r: r.id),
    Column("name", "Strategy", lambda r: r.strategy.name),
    Column("accounts", "Active on", lambda r: r.accounts_text),
    integer("open", "Open pos.", lambda r: r.open_positions, tooltip="Open positions"),
    Column("created", f"Created ({ZONE})", lambda r: r.strategy.created_at, fmt_time),
    Column("updated", f"Updated ({ZONE})", lambda r: r.strategy.updated_at, fmt_time),
    Column("description", "Description", lambda r: r.strategy.description),
]

POSITION_COLUMNS = [
    Column("id", "Id", lambda r: r.id, fmt_int, numeric=True),
    Column("name", "Position", lambda r: r.summary.name),
    Column("strategy", "Strategy", lambda r: r.summary.strategy_name),
    Column("account", "Account", lambda r: r.summary.broker_account_id),
    Column("state", "State", lambda r: r.summary.state),
    number("qty_mult", "Qty ×", lambda r: r.summary.qty_multiplier, places=0, flash=False),
    Column("underlying", "Und.", lambda r: r.underlying),
    number("und_price", "Und. price", lambda r: r.underlying_price),
    pnl("pnl", "PnL (mark)", lambda r: r.pnl_mark),
    pnl("realized", "Realized", lambda r: r.realized_pnl),
    number("delta", "Delta", lambda r: r.greek("delta")),
    number("gamma", "Gamma", lambda r: r.greek("gamma"), places=3),
    pnl("theta", "Theta", lambda r: r.greek("theta")),
    number("vega", "Vega", lambda r: r.greek("vega")),
    Column("dit", "DIT", lambda r: r.days_in_trade, fmt_int, numeric=True, tooltip="Days in trade"),
    Column("opened", f"Opened ({ZONE})", lambda r: r.summary.created_at, fmt_time_compact),
]

#: summed in the Positions totals row and group subtotals (a closed position has no greeks)
POSITION_TOTALS = ("pnl", "realized", "delta", "gamma", "theta", "vega")

LEG_COLUMNS = [
    integer("id", "Id", lambda r: r.id),
    integer("position", "Pos.", lambda r: r.position_id, tooltip="Position id"),
    Column("name", "Leg", lambda r: r.leg.name),
    Column("contract", "Contract", lambda r: r.contract_text),
    Column("expiry", "Expiry", lambda r: r.expiration, fmt_date, visible=False),
    qty("qty", "Qty", lambda r: r.leg.qty),
    number("entry", "Avg entry", lambda r: r.leg.avg_entry_price, flash=False),
    number("mark", "Mark", lambda r: r.mark),
    pnl("pnl", "PnL (mark)", lambda r: r.pnl_mark),
    number("delta", "Delta", lambda r: r.greek("delta")),
    number("gamma", "Gamma", lambda r: r.greek("gamma"), places=3),
    pnl("theta", "Theta", lambda r: r.greek("theta")),
    number("vega", "Vega", lambda r: r.greek("vega")),
    number("iv", "IV %", lambda r: r.greek("iv"), places=1),
    integer("group", "Group", lambda r: r.leg.leg_group_id, tooltip="Leg group (combo order)"),
    Column("account", "Account", lambda r: r.leg.account_id, visible=False),
    Column("opened", f"Opened ({ZONE})", lambda r: r.leg.created_at, fmt_time_compact, visible=False),
]

ORDER_COLUMNS = [
    integer("id", "Order", lambda r: r.order_id),
    integer("position", "Pos.", lambda r: r.position_id, tooltip="Position id"),
    Column("strategy", "Strategy", lambda r: r.strategy_name),
    Column("account", "Account", lambda r: r._get("broker_account_id")),
    Column("state", "State", lambda r: r.state),
    Column("side", "Side", lambda r: order_side(r.order), tooltip="Buy = the combo is a debit, Sell = a credit"),
    qty("qty", "Qty", lambda r: _abs(r._get("qty")), tooltip="Combos"),
    qty("cum_qty", "Filled", lambda r: _abs(r._get("cum_qty")), flash=True, tooltip="Combos filled"),
    Column("type", "Type", lambda r: r._get("order_type")),
    Column("tif", "TIF", lambda r: r._get("time_in_force")),
    combo_price("limit", "Limit", lambda r: r._get("limit_price"), tooltip="Per combo: cr = credit, db = debit"),
    combo_price("stop", "Stop", lambda r: r._get("stop_price")),
    combo_price("avg_fill", "Avg fill", lambda r: r._get("avg_fill_price"), flash=True),
    combo_price("last_fill", "Last fill", lambda r: r._get("last_fill_price"), visible=False),
    integer("group", "Group", lambda r: r._get("leg_group_id"), visible=False),
    Column("updated", f"Last update ({ZONE})", lambda r: r.last_updated, fmt_time),
    Column("rejection", "Rejection", lambda r: r.rejection),
]

EXECUTION_COLUMNS = [
    integer("id", "Exec", lambda r: r.id),
    integer("order", "Order", lambda r: r.execution.order_id),
    integer("position", "Pos.", lambda r: r.position_id, tooltip="Position id"),
    Column("leg", "Leg", lambda r: r.execution.leg_name),
    Column("contract", "Contract", lambda r: contract_text(r.execution.contract)),
    qty("qty", "Qty", lambda r: r.execution.qty),
    number("price", "Price", lambda r: r.execution.price, flash=False),
    number("commission", "Comm.", lambda r: r.execution.commission, flash=False),
    Column("time", f"Time ({ZONE})", lambda r: r.execution.executed_at, fmt_time),
    Column("account", "Account", lambda r: r.execution.broker_account_id),
]

EVENT_COLUMNS = [
    integer("seq", "Seq", lambda r: r.seq, tooltip="EventSeqId"),
    Column("time", f"Time ({ZONE})", lambda r: r.time, fmt_time_short, tooltip="Event time, in this computer's time zone"),
    Column("type", "Type", lambda r: r.type),
    integer("position", "Pos.", lambda r: r.position_id, tooltip="Position id"),
    Column("account", "Account", lambda r: r.account, visible=False),
    Column("strategy", "Strategy", lambda r: r.strategy_name, visible=False),
    Column("summary", "Message", lambda r: r.summary),
]


@dataclass(frozen=True)
class BlotterSpec:
    key: str  # stable ASCII id: dock "<key>Dock", settings "blotters/<key>"
    title: str
    columns: list[Column]
    hubs: tuple[str, ...]  # these hubs feed it: any one disconnected -> stale
    #: column key holding the position id (linked selection), or None
    position_column: str | None = None
    #: columns summed in the totals row (and group subtotals); none: no totals row
    total_columns: tuple[str, ...] = ()
    #: "Group by" choices: each is the key of the column whose value names the group
    groupings: tuple[str, ...] = ()


BLOTTERS: dict[str, BlotterSpec] = {
    spec.key: spec
    for spec in (
        BlotterSpec("positions", "Positions", POSITION_COLUMNS, ("control", "data"),
                    total_columns=POSITION_TOTALS, groupings=POSITION_GROUPINGS),
        BlotterSpec("legs", "Legs", LEG_COLUMNS, ("control", "data"), position_column="position"),
        BlotterSpec("orders", "Orders", ORDER_COLUMNS, ("control", "event"), position_column="position"),
        BlotterSpec("executions", "Executions", EXECUTION_COLUMNS, ("control", "event"), position_column="position"),
        BlotterSpec("accounts", "Accounts", ACCOUNT_COLUMNS, ("control",)),
        BlotterSpec("strategies", "Strategies", STRATEGY_COLUMNS, ("control",)),
        BlotterSpec("agents", "Agents", AGENT_COLUMNS, ("control", "event")),
        BlotterSpec("events", "Event log", EVENT_COLUMNS, ("event",), position_column="position"),
    )
}
