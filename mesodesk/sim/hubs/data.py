"""Data hub (/hubs/data/v1): snapshots and streams of positions, legs, underlyings,
contracts and combos.

Streams are "latest value wins": the generator computes a fresh entry only when
the client has taken the previous one and the market moved, so a slow client
gets fewer, newer items and the server holds no queue for it. A stream ends on
CancelInvocation or disconnect (the generator is closed), and fails with a
ProviderError while the simulated agent is Disconnected.

Provider: position/leg methods accept null (inferred); underlying/contract/combo
methods require it (``HubMethod.provider_required``). A given provider must be
the connected agent's (``Simulated``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from mesodesk.contract import (
    ComboContractsDataEntry,
    ContractDataEntry,
    GetComboContractsSnapshotArgs,
    GetContractSnapshotArgs,
    GetLegSnapshotArgs,
    GetLegsSnapshotArgs,
    GetPositionSnapshotArgs,
    GetUnderlyingSnapshotArgs,
    LegDataEntry,
    LegsDataEntry,
    LiveContract,
    LiveDataInclude,
    LiveGreeks,
    LiveGreekValues,
    LiveLeg,
    LivePositionState,
    LivePrices,
    LiveQuoteFields,
    MesoContractType,
    PositionDataEntry,
    StatusCode,
    StreamComboContractsDataArgs,
    StreamContractDataArgs,
    StreamLegDataArgs,
    StreamLegsDataArgs,
    StreamPositionDataArgs,
    StreamUnderlyingDataArgs,
    UnderlyingDataEntry,
)
from mesodesk.sim.broker import contract_spec
from mesodesk.sim.context import SimContext
from mesodesk.sim.hubs.api import ApiFailure, check_implemented, implements, not_found
from mesodesk.sim.market import Quote
from mesodesk.sim.pricing import LegValues, _greeks, _pnl, _prices, combo_prices
from mesodesk.sim.signalr import Hub, ServerConnection

E = TypeVar("E")


def _quote_dict(q: Any) -> dict[str, float]:
    return {"bid": q.bid, "ask": q.ask, "last": q.last, "mark": q.mark}


def build_data_hub(ctx: SimContext) -> Hub:
    hub = Hub("data")
    world = ctx.world
    market = ctx.market

    def gate(provider: Any, *, required: bool) -> None:
        if ctx.agents is not None:
            ctx.agents.check_provider(provider, required=required)
            ctx.agents.require_data()

    def underlying_prices(symbol: str, fields: LiveQuoteFields, time: datetime) -> LivePrices:
        if symbol not in market.symbols:
            raise not_found("underlying", symbol)
        return _prices(_quote_dict(market.underlying_quote(symbol)), fields, time)

    def quote_of(contract: LiveContract, field: str) -> Quote:
        try:
            spec = contract_spec(contract)
        except ValueError:
            raise ApiFailure(StatusCode.InvalidArguments, f"{field}: only option contracts with Expiration, Strike "
                             "and OptionType can be quoted", validation_errors={field: ["not a quotable option"]}) from None
        if spec.underlying not in market.symbols:
            raise not_found("underlying", spec.underlying)
        return market.quote(spec)

    # ---------------------------------------------------------------- positions
    def position_entry(args: StreamPositionDataArgs) -> PositionDataEntry:
        gate(args.provider, required=False)
        position = world.positions.get(args.position_id)
        if position is None:
            raise not_found("position", args.position_id)
        return ctx.pricer.position_entry(
            position.id,
            position.underlying or "SPX",
            world.position_legs(position.id),
            position.qty_multiplier,
            include_position=args.include_position,
            include_legs=args.include_legs,
            include_leg_groups=args.include_leg_groups,
            price_fields=args.price_fields,
            greek_fields=args.greek_fields,
            pnl_fields=args.pnl_fields,
        )

    def position_open(args: StreamPositionDataArgs) -> bool:
        position = world.positions.get(args.position_id)
        return position is not None and position.state == LivePositionState.Open

    # ---------------------------------------------------------------- legs
    def leg_values(legs: Sequence[LiveLeg]) -> list[LegValues]:
        quotes = market.quotes([contract_spec(leg.live_contract) for leg in legs])
        return [LegValues(leg=leg, quote=q, qty=float(leg.qty), multiplier=float(leg.live_contract.multiplier or 100),
                          entry=float(leg.avg_entry_price), realized=float(leg.total_realized_pnl))
                for leg, q in zip(legs, quotes, strict=True)]

    def find_legs(ids: Sequence[int]) -> list[LiveLeg]:
        missing = [i for i in ids if i not in world.legs]
        if missing:
            raise not_found("leg" if len(missing) == 1 else "legs", missing[0] if len(missing) == 1 else missing)
        return [world.legs[i] for i in dict.fromkeys(ids)]

    def leg_entry(args: StreamLegDataArgs) -> LegDataEntry:
        gate(args.provider, required=False)
        (leg,) = find_legs([args.leg_id])
        (lv,) = leg_values([leg])
        time = market.now
        return LegDataEntry(
            leg_id=leg.id, timestamp=time, underlying_price=underlying_prices(leg.underlying, args.price_fields, time),
            prices=_prices(_quote_dict(lv.quote), args.price_fields, time) if args.include & LiveDataInclude.Prices else None,
            greeks=_greeks([lv], args.greek_fields, time) if args.include & LiveDataInclude.Greeks else None,
            pnls=_pnl([lv], args.pnl_fields, time) if args.include & LiveDataInclude.PnL else None,
        )

    def legs_entry(args: StreamLegsDataArgs) -> LegsDataEntry:
        gate(args.provider, required=False)
        values = leg_values(find_legs(args.leg_ids))
        time = market.now
        inc = args.include
        return LegsDataEntry(
            timestamp=time, underlying_price=underlying_prices(values[0].leg.underlying, args.price_fields, time),
            leg_prices={lv.leg.id: _prices(_quote_dict(lv.quote), args.price_fields, time) for lv in values}
            if inc & LiveDataInclude.Prices else None,
            leg_greeks={lv.leg.id: _greeks([lv], args.greek_fields, time) for lv in values}
            if inc & LiveDataInclude.Greeks else None,
            leg_pnls={lv.leg.id: _pnl([lv], args.pnl_fields, time) for lv in values}
            if inc & LiveDataInclude.PnL else None,
        )

    def legs_open(ids: Sequence[int]) -> bool:
        return any(world.legs[i].closed_at is None for i in ids if i in world.legs)

    # ---------------------------------------------------------------- free-standing
    def underlying_entry(args: StreamUnderlyingDataArgs) -> UnderlyingDataEntry:
        gate(args.provider, required=True)
        time = market.now
        symbol = args.underlying.symbol.upper()
        return UnderlyingDataEntry(symbol=symbol, timestamp=time,
                                   prices=underlying_prices(symbol, args.price_fields, time))

    def unit_values(contract: LiveContract, ratio: Decimal, field: str) -> LegValues:
        q = quote_of(contract, field)
        return LegValues(leg=None, quote=q, qty=float(ratio), multiplier=1.0, entry=0.0,  # type: ignore[arg-type]
                         realized=0.0)

    def contract_entry(args: StreamContractDataArgs) -> ContractDataEntry:
        gate(args.provider, required=True)
        time = market.now
        c = args.contract
        entry = ContractDataEntry(contract=c, timestamp=time,
                                  underlying_price=underlying_prices(c.underlying.symbol, args.price_fields, time))
        if c.contract_type in (MesoContractType.Index, MesoContractType.Stock):
            if args.include & LiveDataInclude.Prices:
                entry.prices = entry.underlying_price
            if args.include & LiveDataInclude.Greeks:
                one = LiveGreekValues(delta=Decimal(1), gamma=Decimal(0), theta=Decimal(0), vega=Decimal(0),
                                      wvega=Decimal(0), rho=Decimal(0))
                entry.greeks = _basis_greeks(one, args.greek_fields, time)
            return entry
        lv = unit_values(c, Decimal(1), "Contract")
        if args.include & LiveDataInclude.Prices:
            entry.prices = _prices(_quote_dict(lv.quote), args.price_fields, time)
        if args.include & LiveDataInclude.Greeks:
            entry.greeks = _greeks([lv], args.greek_fields, time)
        return entry

    def combo_entry(args: StreamComboContractsDataArgs) -> ComboContractsDataEntry:
        gate(args.provider, required=True)
        if any(leg.ratio == 0 for leg in args.contracts):
            raise ApiFailure(StatusCode.InvalidArguments, "Contracts: Ratio must not be 0",
                             validation_errors={"Contracts": ["Ratio must not be 0"]})
        time = market.now
        values = [unit_values(leg.contract, leg.ratio, f"Contracts.{i}.Contract")
                  for i, leg in enumerate(args.contracts)]
        symbol = args.contracts[0].contract.underlying.symbol
        entry = ComboContractsDataEntry(timestamp=time,
                                        underlying_price=underlying_prices(symbol, args.price_fields, time))
        if args.include & LiveDataInclude.Prices:
            entry.combo_prices = _prices(combo_prices(values, 1.0), args.price_fields, time)
            entry.contract_prices = {i: _prices(_quote_dict(lv.quote), args.price_fields, time)
                                     for i, lv in enumerate(values)}
        if args.include & LiveDataInclude.Greeks:
            entry.combo_greeks = _greeks(values, args.greek_fields, time)
            entry.contract_greeks = {
                i: _greeks([LegValues(None, lv.quote, 1.0, 1.0, 0.0, 0.0)], args.greek_fields, time)  # type: ignore[arg-type]
                for i, lv in enumerate(values)}
        return entry

    # ---------------------------------------------------------------- streams
    async def latest(compute: Callable[[], E], alive: Callable[[], bool] = lambda: True) -> AsyncIterator[E]:
        ctx.active_streams += 1
        try:
            while True:
                version = ctx.ticker.version
                yield compute()
                if not alive():
                    return
                await ctx.ticker.wait_newer(version)
        finally:
            ctx.active_streams -= 1

    # ---------------------------------------------------------------- registration
    @implements(hub)
    async def get_position_snapshot(conn: ServerConnection, args: GetPositionSnapshotArgs) -> Any:
        return position_entry(args)

    @implements(hub)
    def stream_position_data(conn: ServerConnection, args: StreamPositionDataArgs) -> AsyncIterator[Any]:
        return latest(lambda: position_entry(args), lambda: position_open(args))

    @implements(hub)
    async def get_leg_snapshot(conn: ServerConnection, args: GetLegSnapshotArgs) -> Any:
        return leg_entry(args)

    @implements(hub)
    def stream_leg_data(conn: ServerConnection, args: StreamLegDataArgs) -> AsyncIterator[Any]:
        return latest(lambda: leg_entry(args), lambda: legs_open([args.leg_id]))

    @implements(hub)
    async def get_legs_snapshot(conn: ServerConnection, args: GetLegsSnapshotArgs) -> Any:
        return legs_entry(args)

    @implements(hub)
    def stream_legs_data(conn: ServerConnection, args: StreamLegsDataArgs) -> AsyncIterator[Any]:
        return latest(lambda: legs_entry(args), lambda: legs_open(args.leg_ids))

    @implements(hub)
    async def get_underlying_snapshot(conn: ServerConnection, args: GetUnderlyingSnapshotArgs) -> Any:
        return underlying_entry(args)

    @implements(hub)
    def stream_underlying_data(conn: ServerConnection, args: StreamUnderlyingDataArgs) -> AsyncIterator[Any]:
        return latest(lambda: underlying_entry(args))

    @implements(hub)
    async def get_contract_snapshot(conn: ServerConnection, args: GetContractSnapshotArgs) -> Any:
        return contract_entry(args)

    @implements(hub)
    def stream_contract_data(conn: ServerConnection, args: StreamContractDataArgs) -> AsyncIterator[Any]:
        return latest(lambda: contract_entry(args))

    @implements(hub)
    async def get_combo_contracts_snapshot(conn: ServerConnection, args: GetComboContractsSnapshotArgs) -> Any:
        return combo_entry(args)

    @implements(hub)
    def stream_combo_contracts_data(conn: ServerConnection,
                                          args: StreamComboContractsDataArgs) -> AsyncIterator[Any]:
        return latest(lambda: combo_entry(args))

    return check_implemented(hub)


def _basis_greeks(values: LiveGreekValues, fields: LiveQuoteFields, time: datetime) -> LiveGreeks:
    return LiveGreeks(
        bid=values if fields & LiveQuoteFields.Bid else None,
        ask=values if fields & LiveQuoteFields.Ask else None,
        last=values if fields & LiveQuoteFields.Last else None,
        mark=values if fields & LiveQuoteFields.Mark else None,
        updated_at=time,
    )
