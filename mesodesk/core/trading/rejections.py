"""What a trader can do about a rejected order: a suggestion that fits the rejection's reason.

A broker gives a ``Code`` (the simulator's: ``QtyTooLarge``, ``ExecPlanCancelled``, …) and a
``Reason`` in words. A known code decides; otherwise words in the code or the reason do.
Splitting a combo into single legs is suggested only when the reason is about the combo.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum

from mesodesk.core.trading.plan import FlowKind


class RejectionKind(StrEnum):
    QUANTITY = "quantity"  # more than the plan has left
    COMBO = "combo"  # the broker does not take this combo as one order
    PLAN_CLOSED = "plan closed"  # the exec plan takes no more orders
    MULTIPLIER = "multiplier"  # a QtyMultiplier other than the one the plan executes with
    OTHER = "other"


_CODES = {
    "qtytoolarge": RejectionKind.QUANTITY,
    "execplancancelled": RejectionKind.PLAN_CLOSED,
    "execplandone": RejectionKind.PLAN_CLOSED,
    "qtymultipliermismatch": RejectionKind.MULTIPLIER,
}
_WORDS = (
    (re.compile(r"quantity too large|(qty|quantity)\s*(exceeds|too\s*large)|exceeds? .*(qty|quantity)", re.I),
     RejectionKind.QUANTITY),
    (re.compile(r"combo|spread|multi-?leg|complex order|\bbag\b", re.I), RejectionKind.COMBO),
)


def classify(reason: str | None, code: str | None = None) -> RejectionKind:
    """The kind of a rejection, from its code when known, else from the words of code and reason."""
    known = _CODES.get((code or "").replace("_", "").lower())
    if known is not None:
        return known
    text = f"{code or ''} {reason or ''}"
    for pattern, kind in _WORDS:
        if pattern.search(text):
            return kind
    return RejectionKind.OTHER


def _n(value: Decimal) -> str:
    return f"{value.normalize():f}"


def advice(kind: RejectionKind, *, flow: FlowKind, legs: int, asked: Decimal, prepared: Decimal,
           multiplier: Decimal | None) -> str | None:
    """One sentence (no trailing period) on what to do next; None when nothing specific helps.

    ``asked``: the combos the rejected order asked for; ``prepared``: the combos the plan was
    prepared for (at the ticket's Qty multiplier); ``multiplier``: that Qty multiplier (entries).
    """
    if kind is RejectionKind.QUANTITY:
        if asked <= prepared or prepared <= 0:
            return "the plan has less left than this order asks for: reduce Combos"
        text = f"reduce Combos to {_n(prepared)} (what this plan was prepared for)"
        if flow is FlowKind.ENTRY:
            needed = (multiplier or Decimal(1)) * asked / prepared
            size = f"to {_n(needed)}" if needed == needed.to_integral_value() else "(a larger one)"
            text += f", or go ◂ Back and set the Qty multiplier {size} to trade {_n(asked)} combos"
        return text
    if kind is RejectionKind.COMBO:
        return "split the combo into single legs and send again" if legs > 1 else None
    if kind is RejectionKind.PLAN_CLOSED:
        return "this exec plan takes no more orders: close this window and prepare the trade again"
    if kind is RejectionKind.MULTIPLIER:
        return "keep the Qty multiplier the plan is already executing with"
    return None
