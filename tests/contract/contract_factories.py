"""Realistic instances of every contract model, built from the model's field types.

``build(Model)`` fills *every* field (optional ones too) with a plausible value chosen
from the field's type and name; a few models with cross-field rules get overrides.
``build(Model, full=False)`` leaves nullable/defaulted fields at their defaults.
"""

from __future__ import annotations

import enum
import itertools
import types
import typing
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, Union
from uuid import UUID

import pydantic
from pydantic import BaseModel

import mesodesk.contract as c

_DECIMALS = (
    Decimal("1234.55"),
    Decimal("0.1"),
    Decimal("0.00000001"),
    Decimal("100"),
    Decimal("2.35"),
    Decimal("5875.25"),
    Decimal("0.0625"),
)

SAMPLE_DEFINITION: dict[str, Any] = {
    "MesoSimVersion": "3.0",
    "StrategyName": "SPX-PutCreditSpread-45DTE",
    "Description": "Short 20-delta put, long put 25 points lower.",
    "Symbol": "SPX",
    "Structure": {
        "Expirations": [{"Name": "exp", "DTE": "45", "Min": "35", "Max": "55"}],
        "Legs": [
            {
                "Name": "short_put",
                "Qty": "-1",
                "OptionType": "Put",
                "ExpirationName": "exp",
                "LegGroupId": "1",
                "StrikeSelector": {"Delta": "-20"},
            },
            {
                "Name": "long_put",
                "Qty": "1",
                "OptionType": "Put",
                "ExpirationName": "exp",
                "LegGroupId": "1",
                "StrikeSelector": {"StrikePrice": "leg_short_put_strike - 25"},
            },
        ],
    },
    "Entry": {"QtyMultiplier": "1", "Conditions": [], "ReentryDays": 1},
    "Exit": {"MaxDaysInTrade": 30, "ProfitTarget": "100", "StopLoss": "200", "Conditions": []},
}

_STR_BY_NAME: dict[str, str] = {
    "idempotency_key": "send_order_20240105-ML1234:1",
    "broker_account_id": "ML1234",
    "account_id": "ML1234",
    "account_type": "Individual",
    "currency": "USD",
    "symbol": "SPX",
    "underlying": "SPX",
    "root": "SPXW",
    "exchange": "CBOE",
    "strategy_name": "SPX-PutCreditSpread-45DTE",
    "position_name": "PCS 2024-01-05",
    "name": "short_put",
    "leg_name": "short_put",
    "job_id": "job-5b1e0d2c",
    "message": "Agent connected to TWS",
    "error": "Leg selection failed: no strike for Delta -20",
    "error_message": "broker rejected the order",
    "job_error_message": "no option chain",
    "statement": "pos_delta > 8",
    "condition": "pos_delta > 8",
    "reason": "Insufficient buying power",
    "code": "IBKR-201",
    "detail": "Order rejected by the broker",
    "provider": "Ibkr",
    "description": "Short put spread",
    "request_hash": "9f2c" * 16,
    "response_message": "ok",
    "response_data": '{"OrderIds":[501]}',
    "backtest_id": "BT-123",
    "meso_sim_instance": "mesosim-1",
    "continuation_token": "opaque-token-2",
    "broker_exec_id": "0000e0d5.65a1b2c3.01.01",
    "event_type": "OnOrderUpdate",
}


class _Builder:
    def __init__(self, full: bool) -> None:
        self.full = full
        self.ints = itertools.count(1)
        self.decimals = itertools.cycle(_DECIMALS)
        self.t0 = datetime(2024, 1, 5, 14, 30, 15, 250000, tzinfo=UTC)
        self.minutes = itertools.count(0)

    def value(self, tp: Any, name: str) -> Any:
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is typing.Annotated:
            return self.value(args[0], name)
        if origin in (Union, types.UnionType):
            non_none = [a for a in args if a is not type(None)]
            return self.value(non_none[0], name)
        if origin is Literal:
            return args[0]
        if origin is list:
            return [self.value(args[0], name)]
        if origin is dict:
            key_tp, val_tp = args
            if name == "strategy_definition":
                return dict(SAMPLE_DEFINITION)
            if key_tp is int:
                return {next(self.ints) % 7 + 1: self.value(val_tp, name)}
            keys = {"vars": "initial_credit", "validation_errors": "LegGroupOrder.LimitPrice"}
            return {keys.get(name, "short_put"): self.value(val_tp, name)}
        if tp is Any:
            return {"Legs": ["short_put", "long_put"], "Price": 1.25, "Ok": True}
        if isinstance(tp, type):
            if issubclass(tp, BaseModel):
                return build(tp, full=self.full, _builder=self)
            if issubclass(tp, enum.Flag):
                members = [m for m in tp.__members__.values() if m.value]
                return members[0] | members[1]
            if issubclass(tp, enum.Enum):
                members = list(tp)
                return members[len(name) % len(members)]
            if tp is bool:
                return True
            if tp is int:
                return next(self.ints) % 900 + 1
            if tp is Decimal:
                return next(self.decimals)
            if tp is str:
                return _STR_BY_NAME.get(name, f"{name}-x")
            if tp is datetime:
                return self.t0 + timedelta(minutes=next(self.minutes))
            if tp is UUID:
                return UUID("6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5")
        raise TypeError(f"no factory for {tp!r} ({name})")


def _overrides(model: type[BaseModel], b: _Builder) -> dict[str, Any] | None:
    if model is c.CreateStrategyArgs:
        return {"clone_strategy_id": None} if b.full else {"strategy_definition": dict(SAMPLE_DEFINITION)}
    if model is c.LegGroupOrder:
        return {
            "order_type": c.OrderType.StopLimit,
            "limit_price": Decimal("-1.25"),
            "stop_price": Decimal("-1.40"),
            "qty": Decimal("2"),
        }
    return None


def build(model: type[Any], *, full: bool = True, _builder: _Builder | None = None) -> Any:
    b = _builder or _Builder(full)
    if model is c.EventEnvelope:
        return c.EventEnvelope.wrap(build(c.OrderUpdateEvent, full=full, _builder=b))
    overrides = _overrides(model, b) or {}
    kwargs: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in overrides:
            kwargs[name] = overrides[name]
        elif info.is_required() or full:
            kwargs[name] = b.value(info.annotation, name)
    return model(**kwargs)


def all_models() -> list[type[pydantic.BaseModel]]:
    """Every concrete (non-generic-template) WireModel exported by mesodesk.contract."""
    out: list[type[pydantic.BaseModel]] = []
    for name in c.__all__:
        obj = getattr(c, name)
        if isinstance(obj, type) and issubclass(obj, c.WireModel) and obj is not c.WireModel:
            if obj.__pydantic_generic_metadata__["parameters"]:
                continue
            out.append(obj)
    return out
