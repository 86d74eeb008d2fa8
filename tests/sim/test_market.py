from __future__ import annotations

import datetime as dt
import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesodesk.quant.calendar import (
    SESSION_SECONDS,
    add_trading_seconds,
    is_market_open,
    is_trading_day,
    nyse_holidays,
    trading_seconds_between,
)
from mesodesk.sim.clock import ManualClock, TradingClock
from mesodesk.sim.market import Market, OptionSpec, OptionType

UTC = dt.UTC
# Monday 2 March 2026, 10:00 ET (EST, UTC-5)
MONDAY_10AM = dt.datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _market(seed: int = 7, deterministic: bool = True, start: dt.datetime = MONDAY_10AM) -> Market:
    return Market(seed=seed, clock=ManualClock(start), deterministic=deterministic)


def _all_specs(m: Market, symbol: str, root: str, exp: dt.date) -> list[OptionSpec]:
    k = m.strikes(symbol, exp).tolist()
    return [OptionSpec(symbol, root, t, exp, s) for t in ("Call", "Put") for s in k]


# ----------------------------------------------------------------------------- calendar & clock


def test_nyse_holidays_2026_2027() -> None:
    assert sorted(nyse_holidays(2026)) == [
        dt.date(2026, 1, 1), dt.date(2026, 1, 19), dt.date(2026, 2, 16), dt.date(2026, 4, 3),
        dt.date(2026, 5, 25), dt.date(2026, 6, 19), dt.date(2026, 7, 3), dt.date(2026, 9, 7),
        dt.date(2026, 11, 26), dt.date(2026, 12, 25),
    ]  # fmt: skip
    assert sorted(nyse_holidays(2027)) == [
        dt.date(2027, 1, 1), dt.date(2027, 1, 18), dt.date(2027, 2, 15), dt.date(2027, 3, 26),
        dt.date(2027, 5, 31), dt.date(2027, 6, 18), dt.date(2027, 7, 5), dt.date(2027, 9, 6),
        dt.date(2027, 11, 25), dt.date(2027, 12, 24),
    ]  # fmt: skip
    assert dt.date(2027, 12, 31) not in nyse_holidays(2027)  # Saturday New Year 2028 is not observed
    assert not is_trading_day(dt.date(2026, 3, 7))  # Saturday
    assert is_trading_day(dt.date(2026, 3, 6))


def test_market_hours_follow_new_york_time_across_dst() -> None:
    # EST (UTC-5) in early March, EDT (UTC-4) after 8 March 2026
    assert is_market_open(dt.datetime(2026, 3, 2, 14, 30, tzinfo=UTC))
    assert not is_market_open(dt.datetime(2026, 3, 2, 14, 29, tzinfo=UTC))
    assert not is_market_open(dt.datetime(2026, 3, 2, 21, 0, tzinfo=UTC))
    assert is_market_open(dt.datetime(2026, 3, 9, 13, 30, tzinfo=UTC))
    assert not is_market_open(dt.datetime(2026, 3, 9, 20, 0, tzinfo=UTC))
    assert not is_market_open(dt.datetime(2026, 3, 7, 16, 0, tzinfo=UTC))  # Saturday
    assert not is_market_open(dt.datetime(2026, 4, 3, 16, 0, tzinfo=UTC))  # Good Friday


def test_clock_speed_factor() -> None:
    fake = [1000.0]
    clock = TradingClock(MONDAY_10AM, speed=60.0, clock=lambda: fake[0])
    assert clock.now() == MONDAY_10AM
    fake[0] += 10.0
    assert clock.now() == MONDAY_10AM + dt.timedelta(minutes=10)
    clock.set_speed(0.0)
    fake[0] += 100.0
    assert clock.now() == MONDAY_10AM + dt.timedelta(minutes=10)
    clock.set_speed(2.0)
    fake[0] += 30.0
    assert clock.now() == MONDAY_10AM + dt.timedelta(minutes=11)
    assert clock.is_market_open()


def test_clock_skips_closed_hours_and_weekends() -> None:
    fake = [0.0]
    # Friday 6 March 2026 15:30 ET
    clock = TradingClock(dt.datetime(2026, 3, 6, 20, 30, tzinfo=UTC), speed=60.0, clock=lambda: fake[0])
    fake[0] = 60.0  # one hour of trading time later -> Monday 10:00 EDT (after the DST switch)
    assert clock.now() == dt.datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    assert clock.is_market_open()
    # a start outside the session snaps to the next open
    sat = TradingClock(dt.datetime(2026, 3, 7, 12, 0, tzinfo=UTC), speed=0.0)
    assert sat.now() == dt.datetime(2026, 3, 9, 13, 30, tzinfo=UTC)


def test_continuous_clock_and_manual_clock() -> None:
    clock = TradingClock(dt.datetime(2026, 3, 6, 20, 30, tzinfo=UTC), speed=0.0, skip_closed=False)
    clock.advance(3600.0)
    assert clock.now() == dt.datetime(2026, 3, 6, 21, 30, tzinfo=UTC)
    assert not clock.is_market_open()
    manual = ManualClock(MONDAY_10AM)
    manual.advance(SESSION_SECONDS)  # a full session later: Tuesday 10:00
    assert manual.now() == MONDAY_10AM + dt.timedelta(days=1)
    with pytest.raises(ValueError):
        manual.advance(-1.0)


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2027, 12, 1)),
    st.floats(0.0, 200 * SESSION_SECONDS),
)
def test_add_and_count_trading_seconds_are_inverse(start: dt.datetime, seconds: float) -> None:
    start = start.replace(tzinfo=UTC)
    end = add_trading_seconds(start, seconds)
    assert is_market_open(end)
    assert trading_seconds_between(start, end) == pytest.approx(seconds, abs=1e-3)
    assert trading_seconds_between(end, start) == pytest.approx(-seconds, abs=1e-3)


# ----------------------------------------------------------------------------- walk


def test_deterministic_mode_depends_only_on_seed_and_time() -> None:
    a, b, c = _market(seed=11), _market(seed=11), _market(seed=12)
    for _ in range(30):  # a steps every 10 trading minutes, b only at the end
        a.clock.advance(600.0)
        a.step()
    b.clock.advance(30 * 600.0)
    b.step()
    c.clock.advance(30 * 600.0)
    c.step()
    assert a.now == b.now
    for sym in a.symbols:
        assert a.spot(sym) == b.spot(sym)
        assert a.underlying_quote(sym) == b.underlying_quote(sym)
    assert a.spot("SPX") != c.spot("SPX")
    root, exp = a.expirations("SPX")[8]
    specs = _all_specs(a, "SPX", root, exp)
    assert a.quotes(specs) == b.quotes(specs)


def test_random_mode_is_reproducible_per_seed() -> None:
    a, b, c = (_market(seed=s, deterministic=False) for s in (3, 3, 4))
    for m in (a, b, c):
        for _ in range(5):
            m.clock.advance(1800.0)
            m.step()
    assert [a.spot(s) for s in a.symbols] == [b.spot(s) for s in b.symbols]
    assert a.spot("SPX") != c.spot("SPX")


@pytest.mark.parametrize("deterministic", [True, False])
def test_walk_moves_with_trading_time_only(deterministic: bool) -> None:
    m = _market(deterministic=deterministic)
    s0 = {s: m.spot(s) for s in m.symbols}
    assert s0 == {"SPX": 6000.0, "SPY": 600.0, "QQQ": 520.0, "RUT": 2300.0}
    m.clock.advance(SESSION_SECONDS)
    m.step()
    for sym, start in s0.items():
        move = math.log(m.spot(sym) / start)
        assert move != 0.0
        assert abs(move) < 0.12  # a one-day move of well under 10 sigma


def test_underlyings_are_correlated() -> None:
    m = _market(seed=2, deterministic=False)
    rets = []
    prev = np.array([m.spot(s) for s in m.symbols])
    for _ in range(300):
        m.clock.advance(3600.0)
        m.step()
        cur = np.array([m.spot(s) for s in m.symbols])
        rets.append(np.log(cur / prev))
        prev = cur
    corr = np.corrcoef(np.array(rets).T)
    spx, spy, qqq, rut = (m.symbols.index(s) for s in ("SPX", "SPY", "QQQ", "RUT"))
    assert corr[spx, spy] > 0.99
    assert 0.8 < corr[spx, qqq] < 0.97
    assert 0.6 < corr[spx, rut] < 0.92


def test_walk_stands_still_while_closed() -> None:
    # Friday 15:59 ET, continuous clock: the weekend passes without price changes
    start = dt.datetime(2026, 3, 6, 20, 59, tzinfo=UTC)
    for deterministic in (True, False):
        clock = TradingClock(start, speed=0.0, skip_closed=False)
        m = Market(seed=5, clock=clock, deterministic=deterministic)
        clock.advance(60.0)
        m.step()
        at_close = m.spot("SPX")
        clock.advance(2 * 86400.0)
        m.step()
        assert m.spot("SPX") == at_close
        assert not m.clock.is_market_open()


def test_walk_volatility_matches_atm_iv() -> None:
    m = _market(seed=1)
    logs = []
    prev = m.spot("SPX")
    for _ in range(400):
        m.clock.advance(SESSION_SECONDS)
        m.step()
        logs.append(math.log(m.spot("SPX") / prev))
        prev = m.spot("SPX")
    realised = float(np.std(logs)) * math.sqrt(252.0)
    assert 0.12 < realised < 0.18  # base ATM vol 15 %


def test_underlying_quote() -> None:
    m = _market()
    m.clock.advance(SESSION_SECONDS * 1.5)
    m.step()
    for sym in m.symbols:
        q = m.underlying_quote(sym)
        assert q.bid < q.ask
        assert q.bid <= q.last <= q.ask
        assert q.last == pytest.approx(m.spot(sym), abs=0.006)
        assert q.time == m.now
        assert 5.0 < q.iv < 40.0
        assert q.prev_close == q.open  # the deterministic walk has no overnight gap
        assert q.prev_close != q.last


# ----------------------------------------------------------------------------- listings


def test_spx_expirations_roots_and_horizon() -> None:
    m = _market()
    exps = m.expirations("SPX")
    assert exps == sorted(exps, key=lambda p: (p[1], p[0]))
    roots = {r for r, _ in exps}
    assert roots == {"SPX", "SPXW"}
    today = dt.date(2026, 3, 2)
    for root, d in exps:
        assert is_trading_day(d)
        if root == "SPX":
            third_friday = d.weekday() == 4 and 15 <= d.day <= 21
            assert third_friday or (d.weekday() == 3 and 14 <= d.day <= 20)  # holiday-moved
    spx_monthlies = [d for r, d in exps if r == "SPX"]
    assert dt.date(2026, 3, 20) in spx_monthlies and dt.date(2026, 4, 17) in spx_monthlies
    assert max((d - today).days for d in spx_monthlies) >= 365
    weeklies = [d for r, d in exps if r == "SPXW"]
    assert max((d - today).days for d in weeklies) >= 120
    # dailies Monday-Friday for the first two weeks, then Fridays
    assert [d for d in weeklies if (d - today).days <= 11] == [
        today + dt.timedelta(days=n) for n in (0, 1, 2, 3, 4, 7, 8, 9, 10, 11)
    ]
    later = [d for d in weeklies if (d - today).days > 21]
    assert all(d.weekday() == 4 or not is_trading_day(d + dt.timedelta(days=1)) for d in later)
    fridays = {d for d in later if d.weekday() == 4}
    assert len(fridays) >= 17
    # Good Friday 2026 (3 April): the weekly moves to Thursday
    assert ("SPXW", dt.date(2026, 4, 2)) in exps and ("SPXW", dt.date(2026, 4, 3)) not in exps
    # third Fridays carry both the AM monthly and the PM weekly
    assert ("SPXW", dt.date(2026, 3, 20)) in exps and ("SPX", dt.date(2026, 3, 20)) in exps


def test_rut_spy_qqq_roots() -> None:
    m = _market()
    assert {r for r, _ in m.expirations("RUT")} == {"RUT", "RUTW"}
    for sym in ("SPY", "QQQ"):
        exps = m.expirations(sym)
        assert {r for r, _ in exps} == {sym}
        first_weeks = [d for _, d in exps if (d - dt.date(2026, 3, 2)).days < 14]
        assert {d.weekday() for d in first_weeks} == {0, 2, 4}
        assert max((d - dt.date(2026, 3, 2)).days for _, d in exps) >= 120


def test_expired_expirations_drop_out() -> None:
    m = _market()
    assert ("SPXW", dt.date(2026, 3, 2)) in m.expirations("SPX")
    m.clock.advance(6 * 3600.0)  # past Monday's close
    m.step()
    exps = m.expirations("SPX")
    assert ("SPXW", dt.date(2026, 3, 2)) not in exps
    assert exps[0] == ("SPXW", dt.date(2026, 3, 3))
    # the AM-settled monthly expires at Friday's open, the PM weekly at Friday's close
    m2 = _market(start=dt.datetime(2026, 3, 20, 15, 0, tzinfo=UTC))
    assert ("SPX", dt.date(2026, 3, 20)) not in m2.expirations("SPX")
    assert ("SPXW", dt.date(2026, 3, 20)) in m2.expirations("SPX")


def test_strike_grids() -> None:
    m = _market()
    exp = m.expirations("SPX")[5][1]
    k = m.strikes("SPX", exp)
    assert np.all(np.diff(k) > 0)
    assert k[0] <= 6000 * 0.71 and k[-1] >= 6000 * 1.29
    near = k[np.abs(k - 6000) <= 600]
    assert set(np.diff(near)) == {5.0}
    assert 300 <= k.size <= 450
    assert np.all(k[np.abs(k - 6000) > 720] % 25 == 0)
    assert np.all(k[np.abs(k - 6000) > 1200] % 50 == 0)
    assert np.diff(k).max() == 50.0
    for sym, spot in (("SPY", 600.0), ("QQQ", 520.0)):
        g = m.strikes(sym, exp)
        assert set(np.diff(g)) == {1.0}
        assert g[0] <= spot * 0.71 and g[-1] >= spot * 1.29
    r = m.strikes("RUT", exp)
    assert set(np.diff(r[np.abs(r - 2300) <= 230])) == {5.0}
    assert set(np.diff(r)) == {5.0, 10.0}
    assert m.nearest_strike("SPX", exp, 6012.4) == 6010.0
    assert m.nearest_strike("SPY", exp, 10_000.0) == m.strikes("SPY", exp)[-1]


def test_select_expiration() -> None:
    m = _market()
    today = dt.date(2026, 3, 2)
    sel = m.select_expiration("SPX", 18, 10, 30, ["SPXW", "SPX"])
    assert sel == ("SPXW", dt.date(2026, 3, 20))  # 18 DTE, PM weekly preferred over the AM monthly
    assert m.select_expiration("SPX", 18, 10, 30, ["SPX", "SPXW"]) == ("SPX", dt.date(2026, 3, 20))
    assert m.select_expiration("SPX", 18, 10, 30, roots_exclude=["SPXW"]) == ("SPX", dt.date(2026, 3, 20))
    sel = m.select_expiration("SPX", 45, 40, 50, ["SPX"])
    assert sel is None or (sel[0] == "SPX" and 40 <= (sel[1] - today).days <= 50)
    assert m.select_expiration("SPX", 45, 30, 60, ["SPX"]) == ("SPX", dt.date(2026, 4, 17))
    # the target lies outside the window: the closest allowed one wins
    sel = m.select_expiration("SPX", 100, 0, 7, ["SPXW"])
    assert sel is not None and (sel[1] - today).days == 7
    assert m.select_expiration("SPX", 0, 0, 0) == ("SPXW", today)
    assert m.select_expiration("SPX", 5, 5, 5) is None  # Saturday
    assert m.select_expiration("SPX", 30, 0, 400, ["NOPE"]) is None
    for target in (0, 1, 7, 30, 45, 90, 120):
        root_exp = m.select_expiration("SPY", target, 0, 1000)
        assert root_exp is not None
        best = min(abs((d - today).days - target) for _, d in m.expirations("SPY"))
        assert abs(m.dte(root_exp[1]) - target) == best


# ----------------------------------------------------------------------------- quotes


def test_skew_puts_richer_and_smooth() -> None:
    m = _market()
    for sym, spot in (("SPX", 6000.0), ("SPY", 600.0), ("QQQ", 520.0), ("RUT", 2300.0)):
        for _, exp in m.expirations(sym)[::3]:
            k = np.array([0.9, 0.95, 1.0, 1.05, 1.1]) * spot
            v = m.vol(sym, k, exp)
            atm = float(m.vol(sym, spot, exp))
            assert v[0] >= v[1] > atm and v[1] > v[3] and v[0] > v[4]  # puts richer
            if m.dte(exp) >= 7:  # (closer in, +-5 % is deep in both saturated wings)
                assert v[0] > v[1] > atm > v[3]
            grid = m.vol(sym, np.linspace(0.5, 1.5, 501) * spot, exp)
            assert np.all(grid > 0.0) and np.all(np.isfinite(grid))
            assert np.abs(np.diff(grid)).max() < 0.05  # smooth
    exps = m.expirations("SPX")
    near, far = exps[3][1], exps[-1][1]
    assert 0.10 < float(m.vol("SPX", 6000.0, far)) < 0.20
    # short expirations have the steeper skew in strike space
    slope_near = float(m.vol("SPX", 5700.0, near) - m.vol("SPX", 6000.0, near))
    slope_far = float(m.vol("SPX", 5700.0, far) - m.vol("SPX", 6000.0, far))
    assert slope_near > slope_far > 0


def _is_multiple(x: np.ndarray, tick: float) -> bool:
    return bool(np.all(np.abs(x / tick - np.round(x / tick)) < 1e-6))


@pytest.mark.parametrize("symbol", ["SPX", "SPY", "QQQ", "RUT"])
def test_quotes_are_consistent_and_on_tick(symbol: str) -> None:
    m = _market()
    m.clock.advance(3 * 3600.0)
    m.step()
    for root, exp in m.expirations(symbol)[::4]:
        quotes = m.quotes(_all_specs(m, symbol, root, exp))
        bid = np.array([q.bid for q in quotes])
        ask = np.array([q.ask for q in quotes])
        mid = np.array([q.mid for q in quotes])
        last = np.array([q.last for q in quotes])
        assert np.all(bid >= 0.0)
        assert np.all(bid < ask)
        assert np.all((bid <= mid) & (mid <= ask))
        assert np.all((bid <= last) & (last <= ask))
        assert all(q.mark == q.mid for q in quotes)
        assert all(q.underlying_price == m.spot(symbol) and q.time == m.now for q in quotes)
        iv = np.array([q.iv for q in quotes])
        assert np.all((iv > 3.0) & (iv < 100.0))  # percent
        if symbol in ("SPY", "QQQ"):
            assert _is_multiple(bid, 0.01) and _is_multiple(ask, 0.01)
        else:
            assert _is_multiple(bid[bid < 3.0], 0.05) and _is_multiple(ask[ask < 3.0], 0.05)
            assert _is_multiple(bid[bid >= 3.0], 0.10) and _is_multiple(ask[ask >= 3.0], 0.10)
        assert np.all(ask - bid <= np.maximum(0.06 * mid, 1.2))


def test_quote_greeks_are_sane() -> None:
    m = _market()
    root, exp = m.select_expiration("SPX", 30, 25, 35, ["SPXW"]) or ("", dt.date.min)
    call = m.quote(OptionSpec("SPX", root, "Call", exp, 6000.0))
    put = m.quote(OptionSpec("SPX", root, "Put", exp, 6000.0))
    assert 0.45 < call.delta < 0.6 and -0.55 < put.delta < -0.4
    assert call.delta - put.delta == pytest.approx(1.0, abs=0.01)
    assert call.gamma > 0 and call.gamma == pytest.approx(put.gamma)
    assert call.theta < 0 and put.theta < 0
    assert call.vega > 0 and call.wvega > 0 and call.rho > 0 > put.rho
    assert 60.0 < call.mid < 160.0  # roughly 0.4 * S * sigma * sqrt(T)
    # MesoSim's wvega: vega * sqrt(30 / DTE) with DTE from the exact time to expiration
    dte = m.time_to_expiration(root, exp) * 365.0
    assert call.wvega == pytest.approx(call.vega * math.sqrt(30.0 / dte), rel=1e-9)
    assert m.quote(OptionSpec("SPX", root, "Call", exp, 6000.0)) == call


def test_quote_of_expired_option_is_intrinsic() -> None:
    m = _market()
    m.clock.advance(7 * 3600.0)
    m.step()  # Monday's SPXW is expired now
    spot = m.spot("SPX")
    q = m.quote(OptionSpec("SPX", "SPXW", "Call", dt.date(2026, 3, 2), 5000.0))
    assert q.last == pytest.approx(spot - 5000.0, abs=0.11)
    assert q.delta == 1.0 and q.gamma == 0.0 and q.theta == 0.0


def test_find_by_delta_returns_the_closest() -> None:
    m = _market()
    root, exp = m.expirations("SPX")[10]
    cases: list[tuple[OptionType, float]] = [
        ("Put", -20),
        ("Put", 0.16),
        ("Call", 30),
        ("Call", 0.05),
        ("Put", -50),
    ]
    for option_type, target in cases:
        spec = m.find_by_delta("SPX", root, exp, option_type, target)
        assert spec.option_type == option_type and spec.root == root and spec.expiration == exp
        quotes = m.quotes([OptionSpec("SPX", root, option_type, exp, k) for k in m.strikes("SPX", exp)])
        want = abs(target) / 100.0 if abs(target) > 1 else abs(target)
        best = min(abs(abs(q.delta) - want) for q in quotes)
        assert abs(abs(m.quote(spec).delta) - want) == pytest.approx(best)
        assert best < 0.01


def test_find_by_price() -> None:
    m = _market()
    root, exp = m.expirations("SPX")[3]
    for which in ("bid", "ask", "mid"):
        spec = m.find_by_price("SPX", root, exp, "Put", which, 5.0)
        got = getattr(m.quote(spec), which)
        quotes = m.quotes([OptionSpec("SPX", root, "Put", exp, k) for k in m.strikes("SPX", exp)])
        assert abs(got - 5.0) == pytest.approx(min(abs(getattr(q, which) - 5.0) for q in quotes))
    # many far OTM strikes share the minimum price: the one nearest the money wins
    spec = m.find_by_price("SPX", root, exp, "Put", "bid", 0.0)
    assert m.quote(spec).bid == 0.0
    higher = OptionSpec(
        "SPX", root, "Put", exp, m.strikes("SPX", exp)[m.strikes("SPX", exp) > spec.strike][0]
    )
    assert m.quote(higher).bid > 0.0


def test_specs_are_hashable_values() -> None:
    a = OptionSpec("SPX", "SPXW", "Put", dt.date(2026, 3, 20), 5800.0)
    b = OptionSpec("SPX", "SPXW", "Put", dt.date(2026, 3, 20), 5800.0)
    assert a == b and len({a, b}) == 1


def test_full_spx_chain_is_fast() -> None:
    m = _market()
    root, exp = m.expirations("SPX")[10]
    specs = _all_specs(m, "SPX", root, exp)
    assert len(specs) >= 600
    m.quotes(specs)
    best = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        m.quotes(specs)
        best = min(best, time.perf_counter() - t0)
    assert best < 0.05  # a few ms on a desktop; loose for shared CI
