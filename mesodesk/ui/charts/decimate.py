"""Peak decimation: keep each bucket's min and max so spikes survive, at a bounded point count."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def peak_decimate(t: FloatArray, y: FloatArray, max_points: int) -> tuple[FloatArray, FloatArray]:
    """Return at most ``max_points`` (t, y) pairs: per bucket its min and max, in time order.

    NaNs are ignored within a bucket (an all-NaN bucket stays NaN, keeping gaps visible).
    """
    n = t.size
    if n <= max_points or max_points < 4:
        return t, y
    buckets = max_points // 2
    size = -(-n // buckets)  # ceil
    pad = buckets * size - n
    yy = np.concatenate([y, np.full(pad, np.nan)]) if pad else y
    tt = np.concatenate([t, np.full(pad, t[-1])]) if pad else t
    blocks = yy.reshape(buckets, size)
    times = tt.reshape(buckets, size)
    with np.errstate(all="ignore"):
        all_nan = np.isnan(blocks).all(axis=1)
        filled_lo = np.where(np.isnan(blocks), np.inf, blocks)
        filled_hi = np.where(np.isnan(blocks), -np.inf, blocks)
        i_lo = filled_lo.argmin(axis=1)
        i_hi = filled_hi.argmax(axis=1)
    rows = np.arange(buckets)
    first, second = np.minimum(i_lo, i_hi), np.maximum(i_lo, i_hi)
    out_t = np.empty(buckets * 2)
    out_y = np.empty(buckets * 2)
    out_t[0::2], out_t[1::2] = times[rows, first], times[rows, second]
    out_y[0::2], out_y[1::2] = blocks[rows, first], blocks[rows, second]
    out_y[np.repeat(all_nan, 2)] = np.nan
    return out_t, out_y
