"""The simulated options market behind the embedded MesoLive simulator.

Qt-free, plain floats and numpy. The wire layer converts to Decimal models.

Model
-----
* Underlyings SPX, SPY, QQQ and RUT follow correlated geometric random walks
  (zero drift in the martingale sense, ``S e^{sigma W - sigma^2 t / 2}``) whose
  volatility is each underlying's base ATM implied vol. Only **trading time**
  moves prices: a walk step covers the NYSE session seconds (09:30-16:00
  America/New_York, weekends and NYSE holidays excluded) between two snapshots,
  measured in years of 252 sessions.
* Options are priced with Black-Scholes-Merton (continuous dividend yield,
  flat rate :data:`RISK_FREE_RATE`) on a smooth skewed surface (:meth:`Market.vol`),
  with time to expiration in calendar time (365-day years) up to the settlement
  instant: 09:30 ET for the AM-settled monthly roots (SPX, RUT), 16:00 ET otherwise.
* All market state is a **snapshot** taken by :meth:`Market.step` (also taken once
  at construction): spots, the snapshot time used for DTE and time to expiration.
  Call ``step()`` to advance; quotes between two steps are consistent.
* ``deterministic=True``: the Brownian path is a pure function of (seed, trading
  seconds elapsed since ``clock.start``), sampled on a one-minute grid from a
  counter-based generator and interpolated linearly, so two Markets with the same
  seed whose clocks share a start and report the same times quote identically,
  however often they step. Otherwise each ``step()`` draws fresh normals from a
  generator seeded with ``seed`` (same seed and same step times still reproduce).

Units (what MesoSim / MesoLive show)
------------------------------------
Quotes are per share (multiply by the 100 multiplier for a contract).
``iv`` is in **percent** (15.3 means 15.3 %), ``delta`` a fraction in -1..1,
``gamma`` per 1.0 of the underlying, ``theta`` per calendar day, ``vega`` and
``wvega`` per 1 vol point, ``rho`` per 1 rate point (see
:mod:`mesodesk.quant.black_scholes`). :meth:`Market.vol` returns a decimal vol.
Delta targets for :meth:`Market.find_by_delta` may be given MesoSim-style in
percent (``-20`` or ``20`` for a 20-delta put) or as a fraction (``-0.2``).
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mesodesk.quant.black_scholes import bs_greeks

# The calendar, clock and instrument names are re-exported: ``mesodesk.sim.market`` is the
# simulator's market API (their homes are mesodesk.quant.calendar, mesodesk.sim.clock and .instruments).
from mesodesk.quant.calendar import (
    ET,
    SESSION_SECONDS,
    TRADING_SECONDS_PER_YEAR,
    UTC,
    add_months,
    add_trading_seconds,
    et_date,
    expiration_datetime,
    is_market_open,
    is_trading_day,
    nyse_holidays,
    previous_or_same_trading_day,
    session_bounds,
    third_friday,
    trading_seconds_between,
)
from mesodesk.sim.clock import ManualClock, TradingClock
from mesodesk.sim.instruments import (
    CORRELATION,
    UNDERLYINGS,
    ChainArrays,
    FloatArray,
    OptionSpec,
    OptionType,
    PriceSide,
    Quote,
    UnderlyingQuote,
    UnderlyingSpec,
)

__all__ = [
    "ET",
    "RISK_FREE_RATE",
    "SESSION_SECONDS",
    "UNDERLYINGS",
    "ChainArrays",
    "ManualClock",
    "Market",
    "OptionSpec",
    "OptionType",
    "Quote",
    "TradingClock",
    "UnderlyingQuote",
    "UnderlyingSpec",
    "add_trading_seconds",
    "expiration_datetime",
    "is_market_open",
    "is_trading_day",
    "nyse_holidays",
    "session_bounds",
    "trading_seconds_between",
]

RISK_FREE_RATE = 0.045
SECONDS_PER_YEAR = 365.0 * 86400.0

_WEEKLY_HORIZON_DAYS = 190
_MONTHLY_COUNT = 13
_QUARTERLY_HORIZON_DAYS = 750
_MIN_T = 60.0 / SECONDS_PER_YEAR  # vol-surface floor for time to expiration (one minute)
_SKEW_SATURATION = 4.0  # standardised moneyness saturates smoothly at +-4
_PATH_STEP = 60.0  # deterministic path grid, trading seconds
_PATH_BLOCK = 4096


class _DeterministicPath:
    """Correlated Brownian motion as a pure function of (seed, trading seconds)."""

    def __init__(self, seed: int, chol: FloatArray) -> None:
        self._seed = seed
        self._chol = chol
        self._scale = math.sqrt(_PATH_STEP / TRADING_SECONDS_PER_YEAR)
        self._cum: list[FloatArray] = []
        self._starts: list[FloatArray] = [np.zeros(chol.shape[0])]

    def _block(self, b: int) -> tuple[FloatArray, FloatArray]:
        while len(self._cum) <= b:
            i = len(self._cum)
            gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence([self._seed, i])))
            z = gen.standard_normal((_PATH_BLOCK, self._chol.shape[0])) @ self._chol.T * self._scale
            cum = np.vstack([np.zeros((1, z.shape[1])), np.cumsum(z, axis=0)])
            self._cum.append(cum)
            self._starts.append(self._starts[i] + cum[-1])
        return self._starts[b], self._cum[b]

    def value(self, tau: float) -> FloatArray:
        """W at ``tau`` trading seconds, in sqrt(trading years)."""
        x = max(tau, 0.0) / _PATH_STEP
        n = math.floor(x)
        frac = x - n
        b, j = divmod(n, _PATH_BLOCK)
        start, cum = self._block(b)
        out: FloatArray = start + cum[j] + frac * (cum[j + 1] - cum[j])
        return out


def _round_down(x: FloatArray, small: FloatArray, large: FloatArray, thr: FloatArray) -> FloatArray:
    tick = np.where(x < thr, small, large)
    out: FloatArray = np.round(np.floor(x / tick + 1e-9) * tick, 4)
    return out


def _round_up(x: FloatArray, small: FloatArray, large: FloatArray, thr: FloatArray) -> FloatArray:
    tick = np.where(x < thr, small, large)
    out: FloatArray = np.round(np.ceil(x / tick - 1e-9) * tick, 4)
    return out


def _round_nearest(x: FloatArray, small: FloatArray, large: FloatArray, thr: FloatArray) -> FloatArray:
    tick = np.where(x < thr, small, large)
    out: FloatArray = np.round(np.round(x / tick) * tick, 4)
    return out


@dataclass(frozen=True, slots=True)
class _Priced:
    sigma: FloatArray
    theo: FloatArray
    bid: FloatArray
    ask: FloatArray
    mid: FloatArray
    last: FloatArray
    delta: FloatArray
    gamma: FloatArray
    theta: FloatArray
    vega: FloatArray
    wvega: FloatArray
    rho: FloatArray
    spot: FloatArray


class Market:
    """The simulated market; see the module docstring for the model and units."""

    def __init__(
        self,
        seed: int | None = None,
        clock: TradingClock | None = None,
        deterministic: bool = False,
        *,
        rate: float = RISK_FREE_RATE,
    ) -> None:
        self._seed = secrets.randbits(63) if seed is None else int(seed)
        self._clock = clock if clock is not None else TradingClock(dt.datetime.now(UTC))
        self._deterministic = deterministic
        self._rate = float(rate)
        self._specs = list(UNDERLYINGS.values())
        self._index = {u.symbol: i for i, u in enumerate(self._specs)}
        n = len(self._specs)
        self._chol: FloatArray = np.linalg.cholesky(CORRELATION[:n, :n])
        self._s0 = np.array([u.spot for u in self._specs])
        self._base_vol = np.array([u.atm_vol for u in self._specs])
        self._q = np.array([u.dividend_yield for u in self._specs])
        self._skew_a = np.array([u.skew_slope for u in self._specs])
        self._skew_b = np.array([u.skew_curve for u in self._specs])
        self._beta = np.array([u.spot_vol_beta for u in self._specs])
        self._tick_small = np.array([u.tick_small for u in self._specs])
        self._tick_large = np.array([u.tick_large for u in self._specs])
        self._tick_thr = np.array([u.tick_threshold for u in self._specs])
        self._max_spread = np.array([u.max_spread for u in self._specs])
        self._rng = np.random.default_rng(self._seed)
        self._path = _DeterministicPath(self._seed, self._chol) if deterministic else None
        self._spot = self._s0.copy()
        self._now = self._clock.now()
        self._prev_close = self._s0.copy()
        self._open = self._s0.copy()
        self._session_date = et_date(self._now)
        self._exp_cache: dict[tuple[str, dt.date, int], list[tuple[str, dt.date]]] = {}
        self._strike_cache: dict[tuple[str, float], FloatArray] = {}
        self._set_state(self._now)

    # ------------------------------------------------------------------ state

    @property
    def seed(self) -> int:
        return self._seed

    @property
    def deterministic(self) -> bool:
        return self._deterministic

    @property
    def clock(self) -> TradingClock:
        return self._clock

    @property
    def rate(self) -> float:
        return self._rate

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self._index)

    @property
    def now(self) -> dt.datetime:
        """The snapshot time of the last :meth:`step`."""
        return self._now

    def _path_spot(self, tau: float) -> FloatArray:
        assert self._path is not None
        w = self._path.value(tau)
        t = max(tau, 0.0) / TRADING_SECONDS_PER_YEAR
        out: FloatArray = self._s0 * np.exp(self._base_vol * w - 0.5 * self._base_vol**2 * t)
        return out

    def _set_state(self, now: dt.datetime) -> None:
        if self._path is None:
            return
        start = self._clock.start
        self._spot = self._path_spot(trading_seconds_between(start, now))
        d = et_date(now)
        if not is_trading_day(d) or now < session_bounds(d)[0]:
            d = previous_or_same_trading_day(d - dt.timedelta(days=1))
        # The deterministic walk has no overnight gap: the open equals the previous close.
        self._open = self._path_spot(trading_seconds_between(start, session_bounds(d)[0]))
        self._prev_close = self._open

    def walk_state(self) -> dict[str, object]:
        """The random walk's state (spots, open, previous close), to persist across restarts."""
        return {"symbols": list(self._index), "spot": self._spot.tolist(), "open": self._open.tolist(),
                "prev_close": self._prev_close.tolist(), "session_date": self._session_date.isoformat()}

    def restore_walk_state(self, state: dict[str, object]) -> None:
        """Continue a saved walk (random mode only; a deterministic path is a function of time)."""
        if self._path is not None or state.get("symbols") != list(self._index):
            return
        self._spot = np.array(state["spot"], dtype=np.float64)
        self._open = np.array(state["open"], dtype=np.float64)
        self._prev_close = np.array(state["prev_close"], dtype=np.float64)
        self._session_date = dt.date.fromisoformat(str(state["session_date"]))

    def step(self) -> dt.datetime:
        """Take a new snapshot at ``clock.now()``, moving the walks by the trading
        time elapsed since the previous snapshot. Returns the snapshot time."""
        now = self._clock.now()
        if self._path is not None:
            self._now = now
            self._set_state(now)
            return now
        dtau = trading_seconds_between(self._now, now)
        new_date = et_date(now)
        crossed = new_date != self._session_date and dtau > 0
        if dtau > 0:
            t = dtau / TRADING_SECONDS_PER_YEAR
            z = self._chol @ self._rng.standard_normal(len(self._specs))
            if crossed:
                self._prev_close = self._spot.copy()
            self._spot = self._spot * np.exp(self._base_vol * math.sqrt(t) * z - 0.5 * self._base_vol**2 * t)
            if crossed:
                self._open = self._spot.copy()
                self._session_date = new_date
        self._now = max(now, self._now)
        return self._now

    def spot(self, symbol: str) -> float:
        return float(self._spot[self._index[symbol]])

    def _atm_level(self, idx: npt.NDArray[np.intp], spot: FloatArray) -> FloatArray:
        mult = np.clip(np.exp(-self._beta[idx] * np.log(spot / self._s0[idx])), 0.5, 3.0)
        out: FloatArray = self._base_vol[idx] * mult
        return out

    def underlying_quote(self, symbol: str) -> UnderlyingQuote:
        i = self._index[symbol]
        u = self._specs[i]
        s = float(self._spot[i])
        iv = float(self._sigma(np.array([i]), np.array([s]), np.array([s]), np.array([30.0 / 365.0]))[0])
        return UnderlyingQuote(
            symbol=symbol,
            bid=round(s - u.index_half_spread, 2),
            ask=round(s + u.index_half_spread, 2),
            last=round(s, 2),
            mark=round(s, 2),
            prev_close=round(float(self._prev_close[i]), 2),
            open=round(float(self._open[i]), 2),
            iv=round(iv * 100.0, 4),
            time=self._now,
        )

    # ------------------------------------------------------------------ listing

    def dte(self, expiration: dt.date) -> int:
        """Calendar days from the snapshot's ET date to ``expiration``."""
        return (expiration - et_date(self._now)).days

    def time_to_expiration(self, root: str, expiration: dt.date) -> float:
        """Years (365-day) from the snapshot to settlement, floored at 0."""
        return (
            max((expiration_datetime(root, expiration) - self._now).total_seconds(), 0.0) / SECONDS_PER_YEAR
        )

    def expirations(self, symbol: str) -> list[tuple[str, dt.date]]:
        """Listed, unexpired ``(root, expiration)`` pairs sorted by date then root.

        Dailies (``daily_weekdays``) in the first ``daily_horizon_days`` (SPXW/RUTW:
        every trading day for two weeks; SPY/QQQ: Mon/Wed/Fri for five weeks),
        Friday weeklies to ~190 DTE, third-Friday monthlies for 13 months and
        quarterlies (Mar/Jun/Sep/Dec) to ~2 years. SPX and RUT monthlies are the
        AM-settled ``SPX``/``RUT`` roots; every other expiration (including
        third-Friday weeklies) is ``SPXW``/``RUTW``. SPY and QQQ use their symbol
        as the only root. An expiration that falls on an NYSE holiday moves to
        the previous trading day; dailies on holidays are not listed.
        """
        u = self._specs[self._index[symbol]]
        today = et_date(self._now)
        o, c = session_bounds(today)
        phase = (self._now >= o) + (self._now >= c)  # before open / in session / after close
        key = (symbol, today, phase)
        cached = self._exp_cache.get(key)
        if cached is not None:
            return list(cached)
        out: set[tuple[str, dt.date]] = set()
        for k in range(u.daily_horizon_days + 1):
            d = today + dt.timedelta(days=k)
            if d.weekday() in u.daily_weekdays and is_trading_day(d):
                out.add((u.weekly_root, d))
        d = today + dt.timedelta(days=(4 - today.weekday()) % 7)
        while (d - today).days <= _WEEKLY_HORIZON_DAYS:
            out.add((u.weekly_root, previous_or_same_trading_day(d)))
            d += dt.timedelta(days=7)
        for m in range(_MONTHLY_COUNT + 12):
            year, month = add_months(today, m)
            d = previous_or_same_trading_day(third_friday(year, month))
            if m <= _MONTHLY_COUNT or (month % 3 == 0 and (d - today).days <= _QUARTERLY_HORIZON_DAYS):
                out.add((u.monthly_root, d))
        listed = sorted(
            (p for p in out if p[1] >= today and expiration_datetime(p[0], p[1]) > self._now),
            key=lambda p: (p[1], p[0]),
        )
        if len(self._exp_cache) > 64:
            self._exp_cache.clear()
        self._exp_cache[key] = listed
        return list(listed)

    def strikes(self, symbol: str, expiration: dt.date | None = None) -> FloatArray:
        """Listed strikes (ascending) covering about +-30 % of spot.

        The grid is centred on the spot rounded to the coarsest increment, so it
        only shifts when spot moves that far; it is the same for every expiration.
        Any strike can still be quoted (``quote`` does not require a listed strike).
        """
        i = self._index[symbol]
        u = self._specs[i]
        coarse = max(inc for _, inc in u.strike_bands)
        center = round(float(self._spot[i]) / coarse) * coarse
        key = (symbol, center)
        grid = self._strike_cache.get(key)
        if grid is None:
            parts = []
            for band, inc in u.strike_bands:
                lo = math.ceil(center * (1.0 - band) / inc)
                hi = math.floor(center * (1.0 + band) / inc)
                parts.append(np.arange(lo, hi + 1, dtype=np.float64) * inc)
            grid = np.unique(np.round(np.concatenate(parts), 4))
            grid.setflags(write=False)
            self._strike_cache[key] = grid
        return grid

    def nearest_strike(self, symbol: str, expiration: dt.date, strike: float) -> float:
        grid = self.strikes(symbol, expiration)
        return float(grid[int(np.argmin(np.abs(grid - strike)))])

    def select_expiration(
        self,
        symbol: str,
        dte_target: float,
        dte_min: float,
        dte_max: float,
        roots_include: Sequence[str] | None = None,
        roots_exclude: Iterable[str] | None = None,
    ) -> tuple[str, dt.date] | None:
        """The listed expiration whose DTE is closest to ``dte_target`` within
        ``[dte_min, dte_max]``; ``roots_include`` restricts the roots *and* ranks
        them (earlier wins a tie on distance, e.g. ``["SPXW", "SPX"]`` prefers the
        PM weekly on a third Friday); remaining ties go to the shorter DTE.
        ``None`` when nothing qualifies."""
        excluded = set(roots_exclude or ())
        priority = {r: n for n, r in enumerate(roots_include)} if roots_include is not None else None
        best: tuple[float, int, int] | None = None
        choice: tuple[str, dt.date] | None = None
        for root, exp in self.expirations(symbol):
            if root in excluded or (priority is not None and root not in priority):
                continue
            d = self.dte(exp)
            if not dte_min <= d <= dte_max:
                continue
            key = (abs(d - dte_target), priority[root] if priority is not None else 0, d)
            if best is None or key < best:
                best, choice = key, (root, exp)
        return choice

    # ------------------------------------------------------------------ pricing

    def _sigma(
        self, idx: npt.NDArray[np.intp], spot: FloatArray, strike: FloatArray, t: FloatArray
    ) -> FloatArray:
        te = np.maximum(t, _MIN_T)
        atm = self._atm_level(idx, spot) * (0.9 + 0.15 * (1.0 - np.exp(-te / 0.3)))
        fwd = spot * np.exp((self._rate - self._q[idx]) * te)
        x = np.log(strike / fwd) / (atm * np.sqrt(te))
        xs = _SKEW_SATURATION * np.tanh(x / _SKEW_SATURATION)
        out: FloatArray = np.maximum(atm * (1.0 + self._skew_a[idx] * xs + self._skew_b[idx] * xs * xs), 0.01)
        return out

    def vol(
        self,
        symbol: str,
        strike: npt.ArrayLike,
        expiration: dt.date,
        root: str | None = None,
    ) -> FloatArray:
        """Model implied vol (decimal) for ``strike`` (scalar or array) at ``expiration``.

        ``sigma = atm(T, S) * (1 + a x + b x^2)`` with the standardised moneyness
        ``x = ln(K/F) / (atm sqrt(T))`` smoothly saturated at +-4 (``4 tanh(x/4)``);
        ``a < 0`` makes puts richer, ``b > 0`` lifts both wings and, since
        ``a^2 < 4b``, keeps the smile positive everywhere. ``atm`` is the base vol
        times a mild upward term structure ``0.9 + 0.15 (1 - e^{-T/0.3})`` and a
        spot-vol multiplier ``exp(-beta ln(S/S0))`` (clipped to 0.5..3). Scaling
        moneyness by ``sqrt(T)`` steepens the skew for short expirations.
        """
        i = self._index[symbol]
        k = np.asarray(strike, dtype=np.float64)
        root = root or self._specs[i].weekly_root
        t = np.full(k.shape, self.time_to_expiration(root, expiration))
        idx = np.full(k.shape, i, dtype=np.intp)
        return self._sigma(idx, np.full(k.shape, self._spot[i]), k, t)

    def _price(
        self,
        idx: npt.NDArray[np.intp],
        strike: FloatArray,
        is_call: npt.NDArray[np.bool_],
        t: FloatArray,
    ) -> _Priced:
        spot = self._spot[idx]
        sigma = self._sigma(idx, spot, strike, t)
        g = bs_greeks(is_call, spot, strike, t, sigma, self._rate, self._q[idx])
        small, large, thr = self._tick_small[idx], self._tick_large[idx], self._tick_thr[idx]
        theo = g.price
        pct = 0.01 + 0.02 * np.clip((0.25 - np.abs(g.delta)) / 0.25, 0.0, 1.0)
        spread = np.clip(pct * theo, small, self._max_spread[idx])
        bid = np.maximum(_round_down(theo - 0.5 * spread, small, large, thr), 0.0)
        ask = _round_up(theo + 0.5 * spread, small, large, thr)
        ask = np.maximum(ask, np.round(bid + np.where(bid < thr, small, large), 4))
        mid = np.round(0.5 * (bid + ask), 4)
        last = np.clip(_round_nearest(theo, small, large, thr), bid, ask)
        return _Priced(
            sigma, theo, bid, ask, mid, last, g.delta, g.gamma, g.theta, g.vega, g.wvega, g.rho, spot
        )

    def quotes(self, specs: Sequence[OptionSpec]) -> list[Quote]:
        """Quotes for many options in one vectorised pass (order preserved)."""
        n = len(specs)
        if n == 0:
            return []
        idx = np.empty(n, dtype=np.intp)
        strike = np.empty(n)
        is_call = np.empty(n, dtype=bool)
        t = np.empty(n)
        t_cache: dict[tuple[str, dt.date], float] = {}
        index = self._index
        for j, s in enumerate(specs):
            idx[j] = index[s.underlying]
            strike[j] = s.strike
            is_call[j] = s.option_type == "Call"
            key = (s.root, s.expiration)
            tj = t_cache.get(key)
            if tj is None:
                tj = t_cache[key] = self.time_to_expiration(s.root, s.expiration)
            t[j] = tj
        p = self._price(idx, strike, is_call, t)
        now = self._now
        cols = zip(
            p.bid.tolist(), p.ask.tolist(), p.mid.tolist(), p.last.tolist(),
            (p.sigma * 100.0).tolist(), p.delta.tolist(), p.gamma.tolist(), p.theta.tolist(),
            p.vega.tolist(), p.wvega.tolist(), p.rho.tolist(), p.spot.tolist(),
            strict=True,
        )  # fmt: skip
        return [
            Quote(b, a, m, la, m, iv, de, ga, th, ve, wv, rh, s, now)
            for b, a, m, la, iv, de, ga, th, ve, wv, rh, s in cols
        ]

    def quote(self, spec: OptionSpec) -> Quote:
        return self.quotes([spec])[0]

    def chain_arrays(
        self,
        symbol: str,
        root: str,
        expiration: dt.date,
        option_type: OptionType,
        strikes: npt.ArrayLike | None = None,
    ) -> ChainArrays:
        """Vectorised quotes of one side of a chain (listed strikes by default)."""
        i = self._index[symbol]
        k = self.strikes(symbol, expiration) if strikes is None else np.asarray(strikes, dtype=np.float64)
        n = k.shape[0]
        idx = np.full(n, i, dtype=np.intp)
        t = np.full(n, self.time_to_expiration(root, expiration))
        p = self._price(idx, k, np.full(n, option_type == "Call"), t)
        return ChainArrays(
            symbol, root, option_type, expiration, k, p.bid, p.ask, p.mid, p.theo, p.sigma * 100.0,
            p.delta, p.gamma, p.theta, p.vega, p.wvega, p.rho,
        )  # fmt: skip

    def chain(self, symbol: str, root: str, expiration: dt.date) -> list[tuple[OptionSpec, Quote]]:
        """Calls then puts of the listed strikes of one expiration."""
        k = self.strikes(symbol, expiration).tolist()
        specs = [OptionSpec(symbol, root, "Call", expiration, s) for s in k]
        specs += [OptionSpec(symbol, root, "Put", expiration, s) for s in k]
        return list(zip(specs, self.quotes(specs), strict=True))

    def find_by_delta(
        self,
        symbol: str,
        root: str,
        expiration: dt.date,
        option_type: OptionType,
        target_delta: float,
    ) -> OptionSpec:
        """The listed option whose |delta| is closest to |target_delta|.

        ``target_delta`` with magnitude above 1 is read as MesoSim-style percent
        (``-20``/``20`` = 0.20 delta); otherwise as a fraction. The sign is ignored
        (the option type decides it). Ties go to the lower strike.
        """
        target = abs(float(target_delta))
        if target > 1.0:
            target /= 100.0
        c = self.chain_arrays(symbol, root, expiration, option_type)
        j = int(np.argmin(np.abs(np.abs(c.delta) - target)))
        return OptionSpec(symbol, root, option_type, expiration, float(c.strikes[j]))

    def find_by_price(
        self,
        symbol: str,
        root: str,
        expiration: dt.date,
        option_type: OptionType,
        which: PriceSide,
        target: float,
    ) -> OptionSpec:
        """The listed option whose ``which`` price is closest to ``target``; ties
        (e.g. many far-OTM strikes at one tick) go to the strike nearest the spot."""
        c = self.chain_arrays(symbol, root, expiration, option_type)
        price = {"bid": c.bid, "ask": c.ask, "mid": c.mid}[which]
        dist = np.round(np.abs(price - float(target)), 6)
        money = np.abs(c.strikes - self.spot(symbol))
        j = int(np.lexsort((money, dist))[0])
        return OptionSpec(symbol, root, option_type, expiration, float(c.strikes[j]))
