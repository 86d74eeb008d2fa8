"""The suggestion after a rejection fits its reason: a quantity rejection suggests the prepared
size or the Qty multiplier that fits the asked size; only a combo rejection suggests splitting."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesodesk.core.trading.plan import FlowKind
from mesodesk.core.trading.rejections import RejectionKind, advice, classify

K = RejectionKind


@pytest.mark.parametrize(("reason", "code", "kind"), [
    ("quantity too large: leg 'short_put' would fill -5 but only -1 remain in the exec plan", "QtyTooLarge",
     K.QUANTITY),
    ("quantity too large: leg 'short_put' would fill -5 but only -1 remain", None, K.QUANTITY),
    ("Order quantity exceeds the remaining plan quantity", "Rejected", K.QUANTITY),
    ("exec plan 4 is Cancelled", "ExecPlanCancelled", K.PLAN_CLOSED),
    ("exec plan 4 is already fully executed", "ExecPlanDone", K.PLAN_CLOSED),
    ("QtyMultiplier 3 differs from 2, which the exec plan is already executing with", "QtyMultiplierMismatch",
     K.MULTIPLIER),
    ("Combo orders are not supported for this instrument", None, K.COMBO),
    ("Rejected by exchange", "ComboNotSupported", K.COMBO),
    ("The broker does not accept multi-leg orders", "Rejected", K.COMBO),
    ("Insufficient margin", "Margin", K.OTHER),
    ("leg 'x' is not in leg group 1 of exec plan 4", "LegNotInGroup", K.OTHER),
])
def test_classify(reason: str, code: str | None, kind: RejectionKind) -> None:
    assert classify(reason, code) is kind


def _number(pattern: str, text: str) -> Decimal:
    m = re.search(pattern, text)
    assert m is not None, text
    return Decimal(m.group(1))


@given(prepared=st.integers(min_value=1, max_value=20), extra=st.integers(min_value=1, max_value=200),
       base=st.integers(min_value=1, max_value=10))
def test_a_quantity_rejection_suggests_the_prepared_size_or_a_fitting_multiplier(
        prepared: int, extra: int, base: int) -> None:
    asked = prepared + extra
    text = advice(K.QUANTITY, flow=FlowKind.ENTRY, legs=2, asked=Decimal(asked), prepared=Decimal(prepared),
                  multiplier=Decimal(base))
    assert text is not None and "split" not in text
    assert _number(r"reduce Combos to (\d+)", text) == prepared
    if (base * asked) % prepared == 0:  # the multiplier that makes the plan's size the asked size
        assert _number(r"Qty multiplier to (\d+)", text) * prepared == base * asked
    else:
        assert "a larger one" in text
    for flow in (FlowKind.EXIT, FlowKind.ADJUSTMENT):  # no multiplier outside entries
        other = advice(K.QUANTITY, flow=flow, legs=2, asked=Decimal(asked), prepared=Decimal(prepared),
                       multiplier=None)
        assert other is not None and "multiplier" not in other and f"reduce Combos to {prepared}" in other


def test_only_a_combo_rejection_of_a_combo_suggests_splitting() -> None:
    kw = {"flow": FlowKind.ENTRY, "asked": Decimal(5), "prepared": Decimal(1), "multiplier": Decimal(1)}
    assert "split the combo into single legs" in (advice(K.COMBO, legs=2, **kw) or "")
    assert advice(K.COMBO, legs=1, **kw) is None
    for kind in (K.QUANTITY, K.PLAN_CLOSED, K.MULTIPLIER, K.OTHER):
        assert "split" not in (advice(kind, legs=2, **kw) or "")
    assert advice(K.OTHER, legs=2, **kw) is None
