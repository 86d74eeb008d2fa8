"""Column declarations of every blotter: one table per blotter, nothing else to edit."""

from __future__ import annotations

from mesodesk.ui.models.columns import Column, fmt_bool, fmt_int, fmt_time, number, pnl

ACCOUNT_COLUMNS = [
    Column("account", "Account", lambda a: a.broker_account_id),
    Column("broker", "Broker", lambda a: a.broker_type),
    Column("paper", "Paper", lambda a: a.is_paper_account, fmt_bool),
    Column("type", "Type", lambda a: a.account_type),
    Column("currency", "Ccy", lambda a: a.currency),
    number("nav", "NAV", lambda a: a.net_liquidation_value),
    number("cash", "Cash", lambda a: a.cash),
    number("margin", "Maint. margin", lambda a: a.maintenance_margin_req),
    Column("active", "Active pos.", lambda a: a.active_positions, fmt_int, numeric=True),
    Column("updated", "Last update", lambda a: a.last_updated, fmt_time),
]

POSITION_COLUMNS = [
    Column("id", "Id", lambda r: r.id, fmt_int, numeric=True),
    Column("name", "Position", lambda r: r.summary.name),
    Column("strategy", "Strategy", lambda r: r.summary.strategy_name),
    Column("account", "Account", lambda r: r.summary.broker_account_id),
    Column("state", "State", lambda r: r.summary.state),
    number("qty_mult", "Qty ×", lambda r: r.summary.qty_multiplier, places=0),
    Column("underlying", "Und.", lambda r: r.underlying),
    number("und_price", "Und. price", lambda r: r.underlying_price),
    pnl("pnl", "PnL (mark)", lambda r: r.pnl_mark),
    pnl("realized", "Realized", lambda r: r.realized_pnl),
    number("delta", "Delta", lambda r: r.greek("delta")),
    number("gamma", "Gamma", lambda r: r.greek("gamma"), places=3),
    pnl("theta", "Theta", lambda r: r.greek("theta")),
    number("vega", "Vega", lambda r: r.greek("vega")),
    Column("dit", "DIT", lambda r: r.days_in_trade, fmt_int, numeric=True, tooltip="Days in trade"),
    Column("opened", "Opened", lambda r: r.summary.created_at, fmt_time),
]
