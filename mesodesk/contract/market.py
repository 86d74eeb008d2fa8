"""Instruments and pricing blocks: LiveUnderlying, LiveContract, LivePrices, LiveGreeks, LivePnL."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from .base import UtcDatetime, WireModel
from .enums import ConditionType, MesoContractType, MesoOptionType

__all__ = [
    "ConditionEvaluation",
    "LegGroupQtys",
    "LiveContract",
    "LiveGreekValues",
    "LiveGreeks",
    "LivePnL",
    "LivePrices",
    "LiveUnderlying",
]


class LiveUnderlying(WireModel):
    """An underlying: ``{Symbol, ContractType?, Exchange?, Currency?}``.

    ``ContractType`` null means "let the server infer it from the symbol"
    (e.g. SPX -> Index, SPY -> Stock).
    """

    symbol: str = Field(min_length=1)
    contract_type: MesoContractType | None = None
    exchange: str | None = None
    currency: str | None = None


class LiveContract(WireModel):
    """Contract specification (options, futures, stocks, indices)."""

    contract_type: MesoContractType
    underlying: LiveUnderlying
    root: str | None = None
    option_type: MesoOptionType | None = None
    expiration: UtcDatetime | None = None
    strike: Decimal | None = None
    multiplier: Decimal | None = None


class LivePrices(WireModel):
    """One price per quote basis; bases not requested by ``PriceFields`` (or unknown) are
    null. ``Mid`` is (Bid+Ask)/2 when both are known and is sent whenever Bid and Ask are.
    For a combo/position the prices are signed per unit of the combo: positive = debit
    (you pay), negative = credit.
    """

    bid: Decimal | None = None
    ask: Decimal | None = None
    last: Decimal | None = None
    mark: Decimal | None = None
    mid: Decimal | None = None
    updated_at: UtcDatetime | None = None


class LiveGreekValues(WireModel):
    """Greeks computed on one price basis.

    ``IV`` in percent (0-100) like ScriptEngine ``leg_x_iv``; leg/position greeks are
    scaled by signed Qty and contract Multiplier (position contribution); marker legs
    (Qty 0) report per-one-unit greeks; Theta per calendar day; Vega/WVega per 1 IV point;
    Rho is 0 in live trading.
    """

    delta: Decimal | None = None
    gamma: Decimal | None = None
    theta: Decimal | None = None
    vega: Decimal | None = None
    wvega: Decimal | None = Field(default=None, alias="WVega")
    rho: Decimal | None = None
    iv: Decimal | None = Field(default=None, alias="IV")


class LiveGreeks(WireModel):
    """Per-basis greeks ``{Bid, Ask, Last, Mark}``, each a :class:`LiveGreekValues` (so
    ``GreekFields`` selects the bases); bases not requested are null.
    """

    bid: LiveGreekValues | None = None
    ask: LiveGreekValues | None = None
    last: LiveGreekValues | None = None
    mark: LiveGreekValues | None = None
    updated_at: UtcDatetime | None = None


class LivePnL(WireModel):
    """Total PnL (realized + unrealized) marking open legs at each basis; ``Realized`` is the
    realized part (tracked + user set). Bases not requested by ``PnlFields`` are null.
    """

    bid: Decimal | None = None
    ask: Decimal | None = None
    last: Decimal | None = None
    mark: Decimal | None = None
    realized: Decimal | None = None
    updated_at: UtcDatetime | None = None


class LegGroupQtys(WireModel):
    """``LegQtys`` = signed per-leg ratio inside one combo (leg name -> qty), ``GroupQty`` =
    how many combos to send (already including QtyMultiplier). Leg fill quantity =
    LegQtys[leg] * GroupQty.
    """

    leg_qtys: dict[str, Decimal]
    group_qty: Decimal


class ConditionEvaluation(WireModel):
    """One evaluated statement. ``Statement`` is the expression text (for adjustments: the
    ``ConditionalAdjustments`` key); ``Result`` null when the evaluation failed (then
    ``Error`` is set); ``Values`` = variables used, for display.
    """

    statement: str
    type: ConditionType
    result: bool | None = None
    error: str | None = None
    values: dict[str, Decimal] | None = None
