"""Portfolio risk against a real simulator (frozen market): an SPY vertical opened on the paper
account next to the seeded SPX positions, beta-weighted to SPX.

Every expectation is computed here from the streamed rows (the blotter's fields): the SPY
position's delta × price ratio × beta, the hand-written expiration payoff of each leg, and
S ± 3 × S × IV × sqrt(DTE / 365).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mesodesk.contract import LiveLegSelectionConstraint, LiveUnderlying
from mesodesk.core.index_quotes import IndexQuotes
from mesodesk.core.risk import RiskScope, beta_weighted_totals, risk_inputs, scope_choices, scope_positions
from mesodesk.core.session import Session
from mesodesk.core.state import AppState
from mesodesk.core.trading.desk import TradingDesk
from mesodesk.core.trading.plan import FlowKind
from mesodesk.quant.beta_weighting import DEFAULT_BETAS
from mesodesk.quant.risk import settlement_time
from mesodesk.sim.seed import PAPER_ACCOUNT
from tests.core.trading_world import BASE, TradingWorld, until

SPY_BETA = 0.9  # not 1, so a missing beta shows
BETAS = {**DEFAULT_BETAS, "SPY": SPY_BETA}


def spy_vertical_definition() -> dict[str, Any]:
    """A put credit vertical on SPY: sell the 20-delta put, buy the one 5 points lower."""
    d = copy.deepcopy(BASE)
    d["StrategyName"] = "SPY put vertical"
    d["Symbol"] = "SPY"
    d["Structure"] = {"Name": "spy vertical", "Expirations": [
        {"Name": "exp", "DTE": "30", "Min": "14", "Max": "45", "Roots": {"Include": ["SPY"], "Exclude": None}}],
        "Legs": [
            {"Name": "short_put", "Qty": "-1", "OptionType": "Put", "ExpirationName": "exp", "LegGroupId": "1",
             "StrikeSelector": {"Delta": "-20"}},
            {"Name": "long_put", "Qty": "1", "OptionType": "Put", "ExpirationName": "exp", "LegGroupId": "1",
             "StrikeSelector": {"StrikePrice": "leg_short_put_strike - 5"}}]}
    d["Adjustment"] = {"Schedule": {"AfterMarketOpenMinutes": 0, "BeforeMarketCloseMinutes": None, "Every": "day"},
                       "ConditionalAdjustments": {}, "MaxAdjustmentCount": 0}
    return d


async def open_spy_vertical(session: Session, desk: TradingDesk, account: str = PAPER_ACCOUNT) -> int:
    """Create the SPY strategy, prepare an entry and fill it on the paper sheet: the position id."""
    strategy = await session.control.create_strategy(strategy_definition=spy_vertical_definition(),
                                                     active_on_accounts=[account])
    result = await desk.prepare(FlowKind.ENTRY, {
        "position_name": "SPY vertical", "strategy_id": strategy.id, "broker_account_id": account,
        "leg_selection_constraint": LiveLegSelectionConstraint.None_,
        "underlying": LiveUnderlying(symbol="SPY")}).run()
    ticket = desk.open_ticket(desk.plan(FlowKind.ENTRY, result))
    try:
        await until(lambda: ticket.feed.updates > 0)
        committed = await desk.paper_sheet(ticket).commit(session)
    finally:
        ticket.feed.stop()
    pid = committed.position_id
    assert pid is not None
    state = session.state
    await until(lambda: (r := state.positions.get(pid)) is not None and r.greek("delta") is not None
                and sum(1 for leg in state.legs.values() if leg.position_id == pid and leg.is_open) == 2,
                what="the SPY position streams")
    return pid


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TradingWorld, int]]:
    w = TradingWorld(Path(tmp_path_factory.mktemp("portfolio-risk")))
    try:
        pid = w.run(open_spy_vertical(w.session, w.desk))
        state = w.session.state
        w.run(until(lambda: all(r.pnl_mark is not None and r.greek("iv") is not None
                                for r in state.positions.values() if r.is_open)))
        yield w, pid
    finally:
        w.close()


def spx_price(state: AppState) -> float:
    """The SPX price as the blotter shows it: an open SPX position's Und. price."""
    prices = {float(r.underlying_price) for r in state.positions.values()
              if r.is_open and r.underlying == "SPX" and r.underlying_price is not None}
    assert len(prices) == 1, prices  # a frozen market: one price
    return prices.pop()


def test_beta_weighted_delta_of_an_spy_position(world: tuple[TradingWorld, int]) -> None:
    w, pid = world
    state = w.session.state
    row = state.positions[pid]
    assert row.underlying == "SPY"
    delta, spy = float(row.greek("delta")), float(row.underlying_price)
    expected = delta * (spy / spx_price(state)) * SPY_BETA
    totals = beta_weighted_totals(state, [pid], "SPX", BETAS)
    assert totals.index_price == spx_price(state) and totals.unpriced == 0
    assert totals.delta == pytest.approx(expected, rel=1e-12)
    assert abs(expected) > 0.01  # a real delta, not 0 == 0
    # weighted to SPY itself, a SPY position keeps its own delta
    own = beta_weighted_totals(state, [pid], "SPY", BETAS)
    assert own.delta == pytest.approx(delta, rel=1e-12)
    # weighted to QQQ with no open QQQ position: no price, no made-up number
    assert beta_weighted_totals(state, [pid], "QQQ", BETAS).delta is None
    # the beta-weighted model's delta uses the same conversion: Σ leg delta × ratio × beta
    inputs = risk_inputs(state, [pid], index="SPX", betas=BETAS)
    model = inputs.model()
    assert model is not None and model.beta_weighted and model.reference == "SPX"
    raw = risk_inputs(state, [pid]).model()
    assert raw is not None
    d_raw = float(raw.surface(np.zeros(1), [raw.now]).delta[0, 0])
    d_bw = float(model.surface(np.zeros(1), [model.now]).delta[0, 0])
    assert d_bw == pytest.approx(d_raw * spy / spx_price(state) * SPY_BETA, rel=1e-9)


def leg_payoffs(state: AppState, pid: int, prices: dict[str, np.ndarray]) -> np.ndarray:
    """Hand-computed expiration P&L of one position: Σ qty × multiplier × (intrinsic − entry) + realized."""
    row = state.positions[pid]
    total = np.zeros_like(next(iter(prices.values()))) + float(row.realized_pnl or 0)
    for leg_row in state.legs.values():
        if leg_row.position_id != pid or not leg_row.is_open:
            continue
        leg, c = leg_row.leg, leg_row.leg.live_contract
        s = prices[c.underlying.symbol or leg.underlying]
        k = float(c.strike)
        intrinsic = np.maximum(k - s, 0.0) if c.option_type.value == "Put" else np.maximum(s - k, 0.0)
        total = total + float(leg.qty) * float(c.multiplier or 100) * (intrinsic - float(leg.avg_entry_price))
    return total


def test_account_scope_payoff_is_the_sum_of_its_positions(world: tuple[TradingWorld, int]) -> None:
    w, spy_pid = world
    state = w.session.state
    scope = RiskScope("account", PAPER_ACCOUNT, f"Account {PAPER_ACCOUNT}")
    assert scope in scope_choices(state)
    ids = scope_positions(state, scope)
    assert spy_pid in ids and len(ids) >= 3
    assert ids == sorted(p for p, r in state.positions.items() if r.is_open
                         and r.summary.broker_account_id == PAPER_ACCOUNT)
    inputs = risk_inputs(state, ids, index="SPX", betas=BETAS)
    model = inputs.model()
    assert model is not None and set(model.underlyings) == {"SPX", "SPY"}
    last = max(model.expirations)  # every leg expired: the payoff is exact
    moves = np.linspace(-0.12, 0.08, 41)
    got = model.surface(moves, [last], greeks=False).pnl[0]
    spx, spy = spx_price(state), float(state.positions[spy_pid].underlying_price)
    prices = {"SPX": spx * (1 + moves), "SPY": spy * (1 + SPY_BETA * moves)}  # SPY moves beta × the index move
    hand = sum(leg_payoffs(state, pid, prices) for pid in ids)
    np.testing.assert_allclose(got, hand, rtol=0, atol=1e-6)
    # and the sum of the positions' own (beta-weighted) models at the same points
    each = [risk_inputs(state, [pid], index="SPX", betas=BETAS).model() for pid in ids]
    assert all(m is not None for m in each)
    summed = sum(m.surface(moves, [last], greeks=False).pnl[0] for m in each if m is not None)
    np.testing.assert_allclose(got, summed, rtol=0, atol=1e-6)
    # the simple vertical alone: max profit above the short strike, max loss below the long one
    legs = sorted((float(lr.leg.live_contract.strike), float(lr.leg.qty), float(lr.leg.avg_entry_price))
                  for lr in state.legs.values() if lr.position_id == spy_pid and lr.is_open)
    (k_long, q_long, e_long), (k_short, q_short, e_short) = legs
    assert (q_long, q_short) == (1.0, -1.0)
    credit = (e_short - e_long) * 100 + float(state.positions[spy_pid].realized_pnl or 0)
    vertical = risk_inputs(state, [spy_pid]).model()
    assert vertical is not None
    far = vertical.surface(np.array([(k_short * 1.05) / spy - 1, (k_long * 0.95) / spy - 1]), [last], greeks=False)
    assert far.pnl[0, 0] == pytest.approx(credit, abs=1e-6)
    assert far.pnl[0, 1] == pytest.approx(credit - (k_short - k_long) * 100, abs=1e-6)


def test_x_range_is_three_expected_moves(world: tuple[TradingWorld, int]) -> None:
    w, _spy = world
    state = w.session.state
    for pid, row in state.positions.items():
        if not row.is_open:
            continue
        model = risk_inputs(state, [pid]).model()
        assert model is not None
        s = float(row.underlying_price)
        iv = float(row.greek("iv")) / 100  # the blotter's IV %
        first = min(settlement_time(lr.leg.live_contract.root, lr.leg.live_contract.expiration)
                    for lr in state.legs.values() if lr.position_id == pid and lr.is_open)
        dte = (first - row.server_time).total_seconds() / 86400
        em = s * iv * math.sqrt(dte / 365)
        lo, hi = model.x_range()
        assert (lo, hi) == (pytest.approx(s - 3 * em, rel=1e-9), pytest.approx(s + 3 * em, rel=1e-9))
        assert em > 0.005 * s  # a range that follows the position, not a tiny or fixed one


def test_an_index_no_position_is_on_is_priced_by_a_snapshot(world: tuple[TradingWorld, int]) -> None:
    w, spy_pid = world
    state = w.session.state
    quotes = IndexQuotes(w.session, w.desk.provider)
    assert quotes.wanted("QQQ")
    snap = w.run(w.session.data.get_underlying_snapshot(underlying=LiveUnderlying(symbol="QQQ"),
                                                        provider=w.desk.provider()))
    assert w.run(quotes.fetch("QQQ")) == float(snap.prices.mark) and not quotes.wanted("QQQ")
    qqq = quotes.prices()["QQQ"]
    # not known to the server: a message, no price, no traceback
    assert w.run(quotes.fetch("NOSUCH")) is None and "NOSUCH" in quotes.problems["NOSUCH"]
    unpriced = risk_inputs(state, [spy_pid], index="QQQ", betas=BETAS)
    assert unpriced.betas is None and "no QQQ price" in unpriced.note
    inputs = risk_inputs(state, [spy_pid], index="QQQ", betas=BETAS, quoted=quotes.prices())
    model = inputs.model()
    assert model is not None and model.reference == "QQQ" and model.spot == qqq
    assert inputs.price_text == f"{qqq:,.2f}"
    row = state.positions[spy_pid]
    expected = float(row.greek("delta")) * float(row.underlying_price) / qqq * SPY_BETA / DEFAULT_BETAS["QQQ"]
    totals = beta_weighted_totals(state, [spy_pid], "QQQ", BETAS, quotes.prices())
    assert totals.delta == pytest.approx(expected, rel=1e-12)
