"""Risk-graph (payoff diagram) math: legs x price grid x dates -> PnL surface and greeks.

Qt-free and vectorised. Uses the same Black-Scholes-Merton model as the simulator
(:mod:`mesodesk.quant.black_scholes`) with the simulator's conventions:

* flat rate :data:`RISK_FREE_RATE` (4.5 %), a continuous dividend yield per
  underlying (:data:`DIVIDEND_YIELDS`), time to expiration in 365-day calendar years
  up to the settlement instant (09:30 ET for the AM-settled SPX/RUT monthlies,
  16:00 ET otherwise, :func:`settlement_time`);
* each leg keeps its own implied vol (the leg greeks' ``IV``, percent on the wire,
  a decimal here) -- "sticky strike" -- plus a global what-if shift in vol points.

PnL of a position at underlying price ``S`` and date ``t`` is the value of the open
legs minus their cost basis, plus everything already realized::

    PnL(S, t) = sum_open qty * multiplier * (V(S, K, T(t), sigma + shift) - entry) + realized

At (or after) a leg's settlement ``V`` is its intrinsic value, so the curve at the
last expiration of a single-expiry position is its exact payoff.

Positions on different underlyings can be combined: the grid is a relative move
``m`` applied to every underlying (``S_u = spot_u * (1 + m)``), or, beta-weighted to an
index (``betas`` given), a move ``m`` of the index that moves each underlying by
``beta_u * m`` (``S_u = spot_u * (1 + beta_u * m)``); the greeks are then index-equivalent
(delta scaled by ``spot_u * beta_u / spot_index``, gamma by its square).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from mesodesk.quant.beta_weighting import EXPECTED_MOVES_SHOWN, expected_move, expected_move_range
from mesodesk.quant.black_scholes import bs_greeks, bs_price

__all__ = [
    "AM_SETTLED_ROOTS",
    "DIVIDEND_YIELDS",
    "RISK_FREE_RATE",
    "RiskLeg",
    "RiskModel",
    "RiskSurface",
    "crossings",
    "expiration_breakevens",
    "settlement_time",
    "years_between",
]

FloatArray = npt.NDArray[np.float64]

RISK_FREE_RATE = 0.045
#: continuous dividend yields the simulator uses (mesodesk.sim.market.UNDERLYINGS)
DIVIDEND_YIELDS: dict[str, float] = {"SPX": 0.013, "SPY": 0.012, "QQQ": 0.006, "RUT": 0.012}
AM_SETTLED_ROOTS = frozenset({"SPX", "RUT"})
SECONDS_PER_YEAR = 365.0 * 86400.0
_ET = ZoneInfo("America/New_York")
_MIN_SIGMA = 0.0001


def settlement_time(root: str | None, expiration: dt.date | dt.datetime) -> dt.datetime:
    """Settlement instant (UTC) of an expiration: 09:30 ET for AM-settled roots, else 16:00 ET.

    A datetime is reduced to its UTC calendar date first, as the simulator does.
    """
    if isinstance(expiration, dt.datetime):
        day = (expiration.astimezone(dt.UTC) if expiration.tzinfo else expiration).date()
    else:
        day = expiration
    at = dt.time(9, 30) if (root or "") in AM_SETTLED_ROOTS else dt.time(16, 0)
    return dt.datetime.combine(day, at, tzinfo=_ET).astimezone(dt.UTC)


def years_between(start: dt.datetime, end: dt.datetime) -> float:
    """365-day years from ``start`` to ``end``, floored at 0."""
    return max((end - start).total_seconds(), 0.0) / SECONDS_PER_YEAR


@dataclass(frozen=True, slots=True)
class RiskLeg:
    """One option leg in the units the simulator streams.

    ``entry`` is the average entry price per share (per unit as quoted), ``iv`` a
    decimal (0.15), ``expiration`` the settlement instant (UTC), ``realized`` the
    leg's realized PnL in currency. A closed leg (``is_open=False``) only
    contributes ``realized``.
    """

    strike: float
    is_call: bool
    qty: float
    expiration: dt.datetime
    iv: float
    entry: float = 0.0
    multiplier: float = 100.0
    realized: float = 0.0
    underlying: str = ""
    is_open: bool = True
    name: str = ""


def crossings(x: FloatArray, y: FloatArray) -> list[float]:
    """x where the sampled curve ``y(x)`` crosses zero (linear interpolation between samples)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    out: list[float] = []
    if x.size < 2:
        return out
    sign = np.sign(y)
    for i in np.nonzero(sign[:-1] * sign[1:] < 0)[0]:
        x0, x1, y0, y1 = x[i], x[i + 1], y[i], y[i + 1]
        out.append(float(x0 - y0 * (x1 - x0) / (y1 - y0)))
    # exact zeros at samples (not counted twice by the strict sign test above)
    for i in np.nonzero(sign == 0)[0]:
        left = sign[i - 1] if i > 0 else 0
        right = sign[i + 1] if i + 1 < sign.size else 0
        if left != 0 and right != 0 and left != right:
            out.append(float(x[i]))
    return sorted(out)


def _expiry_payoff(legs: Sequence[RiskLeg], s: FloatArray, realized: float | None = None) -> FloatArray:
    """Exact PnL at the (common) expiration for prices ``s`` (all legs on one underlying).
    ``realized`` replaces the legs' own realized PnL when given (the position's total)."""
    total = np.zeros_like(s)
    for leg in legs:
        if leg.is_open:
            intrinsic = np.maximum(s - leg.strike, 0.0) if leg.is_call else np.maximum(leg.strike - s, 0.0)
            total += leg.qty * leg.multiplier * (intrinsic - leg.entry)
        if realized is None:
            total += leg.realized
    return total + (realized or 0.0)


def expiration_breakevens(legs: Sequence[RiskLeg], realized: float | None = None) -> list[float]:
    """Exact breakevens of the expiration payoff of single-underlying legs.

    The payoff is piecewise linear with kinks at the strikes, so each zero is found
    exactly on its linear segment (plus the two open-ended wings).
    """
    open_legs = [leg for leg in legs if leg.is_open]
    if not open_legs:
        return []
    kinks = np.unique(np.array([leg.strike for leg in open_legs], dtype=np.float64))
    pts = np.concatenate(([0.0], kinks))
    vals = _expiry_payoff(legs, pts, realized)
    out: list[float] = []
    for i in range(pts.size - 1):
        x0, x1, y0, y1 = pts[i], pts[i + 1], vals[i], vals[i + 1]
        if y0 == 0.0 and (i == 0 or vals[i - 1] != 0.0):
            out.append(float(x0))
        if y0 * y1 < 0:
            out.append(float(x0 - y0 * (x1 - x0) / (y1 - y0)))
    last_x, last_y = pts[-1], vals[-1]
    if last_y == 0.0 and vals[-2] != 0.0:
        out.append(float(last_x))
    slope = float(_expiry_payoff(legs, np.array([last_x + 1.0]), realized)[0] - last_y)
    if slope != 0.0 and last_y * slope < 0:
        out.append(float(last_x - last_y / slope))
    return sorted({round(x, 10) for x in out if x > 0.0})


@dataclass
class RiskSurface:
    """PnL (and greeks) over ``moves`` x ``dates``.

    ``pnl[d, p]`` is the position PnL at date ``dates[d]`` and relative move
    ``moves[p]``; ``prices`` are the grid prices of the reference underlying.
    Greeks are the position's (summed qty x multiplier scaled) in the streamed units.
    """

    moves: FloatArray
    prices: FloatArray
    dates: list[dt.datetime]
    pnl: FloatArray
    delta: FloatArray
    gamma: FloatArray
    theta: FloatArray
    vega: FloatArray
    labels: list[str] = field(default_factory=list)

    def breakevens(self, row: int) -> list[float]:
        return crossings(self.prices, self.pnl[row])


class RiskModel:
    """Legs (maybe of several positions) priced against current spots at ``now``.

    ``realized`` is the positions' realized PnL (default: the sum of the legs' own);
    ``pnl_offset`` calibrates the curves before expiration to the live P&L: it is added in
    full at ``now`` and fades linearly to 0 at the first expiration, where the payoff is
    exact (the offset absorbs what the model cannot see: marks rounded to cents, an IV
    rounded on the wire).
    """

    def __init__(
        self,
        legs: Iterable[RiskLeg],
        spots: dict[str, float],
        now: dt.datetime,
        *,
        rate: float = RISK_FREE_RATE,
        dividend_yields: dict[str, float] | None = None,
        reference: str | None = None,
        realized: float | None = None,
        pnl_offset: float = 0.0,
        betas: dict[str, float] | None = None,
        iv: float | None = None,
    ) -> None:
        """``betas``: underlying -> beta against ``reference`` (the index, whose spot must be in
        ``spots``): the grid is then the index's move (see the module docstring). ``iv``: the
        IV (decimal) the default x-range is sized with (see :meth:`implied_vol`)."""
        self.legs = list(legs)
        self.spots = dict(spots)
        self.now = now
        self.rate = float(rate)
        yields = DIVIDEND_YIELDS if dividend_yields is None else dividend_yields
        self.realized = float(sum(leg.realized for leg in self.legs)) if realized is None else float(realized)
        self._realized_given = realized is not None
        self.pnl_offset = float(pnl_offset)
        live = [leg for leg in self.legs if leg.is_open]
        self.open_legs = live
        self.underlyings = sorted({leg.underlying for leg in self.legs})
        self.reference = reference or (self.underlyings[0] if self.underlyings else "")
        self.spot = float(self.spots.get(self.reference, 0.0))
        self.betas = dict(betas) if betas is not None else None
        self.iv = iv
        if self.betas is not None and self.spot <= 0:
            raise ValueError(f"no price for {self.reference}: cannot beta-weight to it")
        n = len(live)
        self._k = np.array([leg.strike for leg in live], dtype=np.float64)
        self._call = np.array([leg.is_call for leg in live], dtype=bool)
        self._scale = np.array([leg.qty * leg.multiplier for leg in live], dtype=np.float64)
        self._cost = float(np.sum(self._scale * np.array([leg.entry for leg in live], dtype=np.float64))) if n else 0.0
        self._sigma = np.array([leg.iv for leg in live], dtype=np.float64)
        self._spot = np.array([self.spots.get(leg.underlying, self.spot) for leg in live], dtype=np.float64)
        self._q = np.array([yields.get(leg.underlying, 0.0) for leg in live], dtype=np.float64)
        self._exp = [leg.expiration for leg in live]
        self._beta = np.array([self.beta(leg.underlying) for leg in live], dtype=np.float64)
        # d(S_u)/d(S_index): converts each leg's greeks into index units (1 when not weighted)
        self._to_index = (self._spot * self._beta / self.spot) if self.beta_weighted else np.ones(n)

    @property
    def beta_weighted(self) -> bool:
        return self.betas is not None

    def beta(self, underlying: str) -> float:
        """The beta a leg on ``underlying`` moves with (1 when not beta-weighted)."""
        return 1.0 if self.betas is None else float(self.betas.get(underlying, 1.0))

    @property
    def mixed(self) -> bool:
        """True when the legs span several underlyings and are not beta-weighted (the x axis is a % move)."""
        return len(self.underlyings) > 1 and not self.beta_weighted

    @property
    def expirations(self) -> list[dt.datetime]:
        return sorted(set(self._exp))

    @property
    def first_expiration(self) -> dt.datetime | None:
        return min(self._exp) if self._exp else None

    def years(self, when: dt.datetime) -> FloatArray:
        """Each open leg's time to expiration (years) as seen from ``when``."""
        return np.array([years_between(when, e) for e in self._exp], dtype=np.float64)

    def implied_vol(self) -> float:
        """The IV the x-range is sized with (a decimal, in index terms when beta-weighted):
        :attr:`iv` when given, else the open option legs' IV weighted by ``|qty × multiplier|``
        (the simulator's position IV), each divided by its beta."""
        if self.iv is not None:
            return self.iv
        option = self._sigma > 0
        weight = np.abs(self._scale[option])
        if not weight.size or not weight.sum():
            return 0.2
        return float(np.sum(weight * self._sigma[option] / self._beta[option]) / weight.sum())

    def days_to_expiration(self) -> float:
        """Calendar days from ``now`` to the first expiration (30 with no open option leg)."""
        exp = self.first_expiration
        return 30.0 if exp is None else years_between(self.now, exp) * 365.0

    def x_range(self, moves: float = EXPECTED_MOVES_SHOWN) -> tuple[float, float]:
        """The default view: ``spot ± moves`` expected moves (``EM = S × IV × sqrt(DTE / 365)``)."""
        return expected_move_range(self.spot, self.implied_vol(), self.days_to_expiration(), moves)

    def move_grid(self, n: int = 400, width: float | None = None) -> FloatArray:
        """Relative moves around the spot: +-``width`` (default: one expected move beyond :meth:`x_range`)."""
        if width is None:
            em = expected_move(1.0, self.implied_vol(), self.days_to_expiration())
            width = min(max((EXPECTED_MOVES_SHOWN + 1.0) * em, 0.01), 0.9)
        return np.linspace(-width, width, n)

    def offset_weights(self, dates: Sequence[dt.datetime]) -> FloatArray:
        """How much of :attr:`pnl_offset` applies at each date: 1 at ``now``, 0 from the first expiration."""
        exp = self.first_expiration
        if exp is None or not self.pnl_offset:
            return np.zeros(len(dates))
        span = years_between(self.now, exp)
        if span <= 0:
            return np.zeros(len(dates))
        return np.array([min(years_between(d, exp) / span, 1.0) for d in dates], dtype=np.float64)

    def _sigma_shifted(self, vol_shift: float) -> FloatArray:
        return np.maximum(self._sigma + vol_shift / 100.0, _MIN_SIGMA)

    def surface(
        self,
        moves: FloatArray,
        dates: Sequence[dt.datetime],
        *,
        vol_shift: float = 0.0,
        greeks: bool = True,
        labels: Sequence[str] = (),
    ) -> RiskSurface:
        """PnL (and greeks) for every date x move: one broadcast BS call, shape (dates, legs, moves)."""
        moves = np.asarray(moves, dtype=np.float64)
        nd, npx, nl = len(dates), moves.size, self._k.size
        prices = self.spot * (1.0 + moves)
        if nl == 0:
            zero = np.zeros((nd, npx))
            flat = zero + self.realized
            return RiskSurface(moves, prices, list(dates), flat, zero, zero.copy(), zero.copy(), zero.copy(),
                               list(labels))
        leg_moves = np.maximum(1.0 + self._beta[:, None] * moves[None, :], 0.0)  # a price never goes below 0
        s = (self._spot[:, None] * leg_moves)[None, :, :]  # (1, L, P)
        t = np.array([self.years(d) for d in dates], dtype=np.float64)[:, :, None]  # (D, L, 1)
        k = self._k[None, :, None]
        c = self._call[None, :, None]
        sig = self._sigma_shifted(vol_shift)[None, :, None]
        q = self._q[None, :, None]
        scale = self._scale[None, :, None]
        offset = (self.pnl_offset * self.offset_weights(dates))[:, None]  # (D, 1)
        if greeks:
            g = bs_greeks(c, s, k, t, sig, self.rate, q)
            to_index = self._to_index[None, :, None]
            value, delta, gamma, theta, vega = g.price, g.delta * to_index, g.gamma * to_index ** 2, g.theta, g.vega
            pnl = np.sum(value * scale, axis=1) - self._cost + self.realized + offset
            return RiskSurface(
                moves, prices, list(dates), pnl,
                np.sum(delta * scale, axis=1), np.sum(gamma * scale, axis=1),
                np.sum(theta * scale, axis=1), np.sum(vega * scale, axis=1), list(labels),
            )
        value = bs_price(c, s, k, t, sig, self.rate, q)
        pnl = np.sum(value * scale, axis=1) - self._cost + self.realized + offset
        zero = np.zeros_like(pnl)
        return RiskSurface(moves, prices, list(dates), pnl, zero, zero, zero, zero, list(labels))

    def at(self, move: float, when: dt.datetime, *, vol_shift: float = 0.0) -> dict[str, float]:
        """PnL and position greeks at one relative move and date (the cursor readout)."""
        surf = self.surface(np.array([move]), [when], vol_shift=vol_shift)
        return {
            "price": float(surf.prices[0]), "pnl": float(surf.pnl[0, 0]), "delta": float(surf.delta[0, 0]),
            "gamma": float(surf.gamma[0, 0]), "theta": float(surf.theta[0, 0]), "vega": float(surf.vega[0, 0]),
        }

    def expiration_breakevens(self) -> list[float]:
        """Exact expiration breakevens when every open leg shares one underlying and expiration."""
        if self.underlyings != [self.reference] or len(set(self._exp)) > 1:
            return []  # several underlyings, or one beta-weighted to another index: sampled instead
        return expiration_breakevens(self.legs, self.realized if self._realized_given else None)
