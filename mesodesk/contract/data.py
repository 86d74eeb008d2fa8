"""Data hub args and entries (streams yield bare entries; snapshots return them in the envelope).

Shared rules:

* Every entry carries ``Timestamp`` (UTC time the values were computed) and, when
  known, ``UnderlyingPrice``.
* Blocks not requested by ``Include*`` are null; inside a block, bases not requested
  by ``PriceFields``/``GreekFields``/``PnlFields`` are null.
* ``Provider`` is nullable on the wire everywhere; for the provider-required methods
  (Underlying/Contract/ComboContracts) the server rejects null with
  ``StatusCode.ProviderError`` (see ``HubMethod.provider_required``).
* ``Get*SnapshotResult`` has exactly the shape of the matching stream entry.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from .base import UtcDatetime, WireModel
from .enums import DataInclude, DataProviderType, LiveDataInclude, LiveQuoteFields, QuoteFields
from .market import LiveContract, LiveGreeks, LivePnL, LivePrices, LiveUnderlying

__all__ = [
    "ComboContractLeg",
    "ComboContractsDataEntry",
    "ContractDataEntry",
    "GetComboContractsSnapshotArgs",
    "GetComboContractsSnapshotResult",
    "GetContractSnapshotArgs",
    "GetContractSnapshotResult",
    "GetLegSnapshotArgs",
    "GetLegSnapshotResult",
    "GetLegsSnapshotArgs",
    "GetLegsSnapshotResult",
    "GetPositionSnapshotArgs",
    "GetPositionSnapshotResult",
    "GetUnderlyingSnapshotArgs",
    "GetUnderlyingSnapshotResult",
    "LegDataEntry",
    "LegsDataEntry",
    "PositionDataEntry",
    "StreamComboContractsDataArgs",
    "StreamContractDataArgs",
    "StreamLegDataArgs",
    "StreamLegsDataArgs",
    "StreamPositionDataArgs",
    "StreamUnderlyingDataArgs",
    "UnderlyingDataEntry",
]


class _FieldsArgs(WireModel):
    """Quote-basis selectors, each defaulting to ``All``."""

    price_fields: QuoteFields = LiveQuoteFields.All
    greek_fields: QuoteFields = LiveQuoteFields.All
    pnl_fields: QuoteFields = LiveQuoteFields.All
    provider: DataProviderType | None = None


# -------------------------------------------------------------------- position


class StreamPositionDataArgs(_FieldsArgs):
    """``StreamPositionData`` args: the position and which blocks (position, legs, leg
    groups) and quote bases to send.
    """

    position_id: int
    include_position: DataInclude = LiveDataInclude.All
    include_legs: DataInclude = LiveDataInclude.All
    include_leg_groups: DataInclude = LiveDataInclude.All


class GetPositionSnapshotArgs(StreamPositionDataArgs):
    """``GetPositionSnapshot`` args: the same fields as ``StreamPositionDataArgs``."""


class PositionDataEntry(WireModel):
    """Live pricing of one position (``StreamPositionData`` item): position, leg and
    leg-group blocks, all nullable. Leg dicts are keyed by live leg id, leg-group dicts by
    leg group id. ``PositionId``, ``Timestamp`` and ``UnderlyingPrice`` say which position,
    when, and at what underlying price.
    """

    position_id: int | None = None
    timestamp: UtcDatetime | None = None
    underlying_price: LivePrices | None = None
    position_prices: LivePrices | None = None
    position_greeks: LiveGreeks | None = None
    position_pnls: LivePnL | None = Field(default=None, alias="PositionPnLs")
    leg_prices: dict[int, LivePrices] | None = None
    leg_greeks: dict[int, LiveGreeks] | None = None
    leg_pnls: dict[int, LivePnL] | None = Field(default=None, alias="LegPnLs")
    leg_group_prices: dict[int, LivePrices] | None = None
    leg_group_greeks: dict[int, LiveGreeks] | None = None
    leg_group_pnls: dict[int, LivePnL] | None = Field(default=None, alias="LegGroupPnLs")


class GetPositionSnapshotResult(PositionDataEntry):
    """Same shape as PositionDataEntry."""


# ------------------------------------------------------------------------- leg


class StreamLegDataArgs(_FieldsArgs):
    """``StreamLegData`` args: ``{LegId, PriceFields, GreekFields, PnlFields, Include, Provider?}``."""

    leg_id: int
    include: DataInclude = LiveDataInclude.All


class GetLegSnapshotArgs(StreamLegDataArgs):
    """Same fields as StreamLegDataArgs."""


class LegDataEntry(WireModel):
    """``{Prices, Greeks, PnLs}`` of one leg (greeks per leg qty, see LiveGreekValues)."""

    leg_id: int | None = None
    timestamp: UtcDatetime | None = None
    underlying_price: LivePrices | None = None
    prices: LivePrices | None = None
    greeks: LiveGreeks | None = None
    pnls: LivePnL | None = Field(default=None, alias="PnLs")


class GetLegSnapshotResult(LegDataEntry):
    """Same shape as LegDataEntry."""


# ------------------------------------------------------------------------ legs


class StreamLegsDataArgs(_FieldsArgs):
    """``StreamLegsData`` args: ``{LegIds, ..., Include, Provider?}``."""

    leg_ids: list[int] = Field(min_length=1, max_length=1000)
    include: DataInclude = LiveDataInclude.All


class GetLegsSnapshotArgs(StreamLegsDataArgs):
    """Same fields as StreamLegsDataArgs."""


class LegsDataEntry(WireModel):
    """Pricing of several legs (``StreamLegsData`` item); dicts keyed by live leg id."""

    timestamp: UtcDatetime | None = None
    underlying_price: LivePrices | None = None
    leg_prices: dict[int, LivePrices] | None = None
    leg_greeks: dict[int, LiveGreeks] | None = None
    leg_pnls: dict[int, LivePnL] | None = Field(default=None, alias="LegPnLs")


class GetLegsSnapshotResult(LegsDataEntry):
    """Same shape as LegsDataEntry."""


# ------------------------------------------------------------------ underlying


class StreamUnderlyingDataArgs(WireModel):
    """``StreamUnderlyingData`` args: ``{Underlying: LiveUnderlying, PriceFields, Provider}``
    (provider required).
    """

    underlying: LiveUnderlying
    price_fields: QuoteFields = LiveQuoteFields.All
    provider: DataProviderType | None = None


class GetUnderlyingSnapshotArgs(StreamUnderlyingDataArgs):
    """Same fields as StreamUnderlyingDataArgs."""


class UnderlyingDataEntry(WireModel):
    """Prices of one underlying (``StreamUnderlyingData`` item): ``{Symbol, Timestamp, Prices}``."""

    symbol: str
    timestamp: UtcDatetime | None = None
    prices: LivePrices | None = None


class GetUnderlyingSnapshotResult(UnderlyingDataEntry):
    """Same shape as UnderlyingDataEntry."""


# -------------------------------------------------------------------- contract


class StreamContractDataArgs(WireModel):
    """``StreamContractData`` args: ``{Contract, PriceFields, GreekFields, Include, Provider}``
    (provider required). ``Include`` honours Prices and Greeks (PnL has no meaning for a
    bare contract).
    """

    contract: LiveContract
    price_fields: QuoteFields = LiveQuoteFields.All
    greek_fields: QuoteFields = LiveQuoteFields.All
    include: DataInclude = LiveDataInclude.All
    provider: DataProviderType | None = None


class GetContractSnapshotArgs(StreamContractDataArgs):
    """Same fields as StreamContractDataArgs."""


class ContractDataEntry(WireModel):
    """``{Prices, Greeks}`` of one contract; greeks are per one contract unit."""

    contract: LiveContract | None = None
    timestamp: UtcDatetime | None = None
    underlying_price: LivePrices | None = None
    prices: LivePrices | None = None
    greeks: LiveGreeks | None = None


class GetContractSnapshotResult(ContractDataEntry):
    """Same shape as ContractDataEntry."""


# ---------------------------------------------------------------------- combos


class ComboContractLeg(WireModel):
    """One combo leg, ``Ratio`` signed (negative = short)."""

    contract: LiveContract
    ratio: Decimal


class StreamComboContractsDataArgs(WireModel):
    """``StreamComboContractsData`` args: ``{Contracts: list[ComboContractLeg], PriceFields,
    GreekFields, Include, Provider}`` (provider required).
    """

    contracts: list[ComboContractLeg] = Field(min_length=1, max_length=64)
    price_fields: QuoteFields = LiveQuoteFields.All
    greek_fields: QuoteFields = LiveQuoteFields.All
    include: DataInclude = LiveDataInclude.All
    provider: DataProviderType | None = None


class GetComboContractsSnapshotArgs(StreamComboContractsDataArgs):
    """Same fields as StreamComboContractsDataArgs."""


class ComboContractsDataEntry(WireModel):
    """Combo prices/greeks (sum of ratio * per-unit values; prices positive = debit) plus
    per-contract blocks keyed by the index in ``Contracts``.
    """

    timestamp: UtcDatetime | None = None
    underlying_price: LivePrices | None = None
    combo_prices: LivePrices | None = None
    combo_greeks: LiveGreeks | None = None
    contract_prices: dict[int, LivePrices] | None = None
    contract_greeks: dict[int, LiveGreeks] | None = None


class GetComboContractsSnapshotResult(ComboContractsDataEntry):
    """Same shape as ComboContractsDataEntry."""
