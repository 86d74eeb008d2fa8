"""Adjustments of a strategy definition in words, and which operation each action is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mesodesk.contract import PositionAdjustmentOperation

ACTION_OF: dict[str, PositionAdjustmentOperation] = {
    "MoveLegAdjustment": PositionAdjustmentOperation.MoveLeg,
    "AddLegsAdjustment": PositionAdjustmentOperation.AddLegs,
    "RemoveLegsAdjustment": PositionAdjustmentOperation.RemoveLegs,
    "UpdateVarsAdjustment": PositionAdjustmentOperation.UpdateVars,
}


def conditional_adjustments(definition: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``Adjustment.ConditionalAdjustments``: condition statement -> {action name: body}."""
    adjustment = definition.get("Adjustment") or {}
    found = adjustment.get("ConditionalAdjustments") if isinstance(adjustment, Mapping) else None
    if not isinstance(found, Mapping):
        return {}
    return {str(k): dict(v) for k, v in found.items() if isinstance(v, Mapping)}


def operations_of(actions: Mapping[str, Any]) -> list[PositionAdjustmentOperation]:
    return [ACTION_OF[a] for a in actions if a in ACTION_OF]


def _selector(selector: Any) -> str:
    if not isinstance(selector, Mapping) or not selector:
        return "the strategy's strike rule"
    return ", ".join(f"{k} {v}" for k, v in selector.items())


def describe_action(action: str, body: Any) -> str:
    """One readable line per action, e.g. ``Move leg short_put to the strike at Delta -15``."""
    b: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
    if action == "MoveLegAdjustment":
        text = f"Move leg {b.get('LegName', '?')} to the strike at {_selector(b.get('StrikeSelector'))}"
        if b.get("ExpirationName"):
            text += f", expiration {b['ExpirationName']}"
        return text
    if action == "AddLegsAdjustment":
        legs = [leg for leg in b.get("Legs") or [] if isinstance(leg, Mapping)]
        parts = [f"{leg.get('Name', '?')} ({leg.get('Qty', '?')} × {leg.get('OptionType', '?')}, "
                 f"{_selector(leg.get('StrikeSelector'))})" for leg in legs]
        return "Add legs: " + ("; ".join(parts) if parts else "none")
    if action == "RemoveLegsAdjustment":
        return "Remove legs: " + (", ".join(map(str, b.get("LegNames") or [])) or "none")
    if action == "UpdateVarsAdjustment":
        defines = b.get("VarDefines") if "VarDefines" in b else b
        items: list[tuple[Any, Any]] = list(defines.items()) if isinstance(defines, Mapping) else []
        return "Update vars: " + ("; ".join(f"{k} = {v}" for k, v in items) or "none")
    return f"{action}"


def describe_actions(actions: Mapping[str, Any]) -> list[str]:
    return [describe_action(a, body) for a, body in actions.items()]
