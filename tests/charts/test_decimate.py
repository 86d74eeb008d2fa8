import numpy as np

from mesodesk.core.history import RingBuffer
from mesodesk.ui.charts.decimate import peak_decimate


def test_peak_decimation_keeps_extremes_and_bounds_points() -> None:
    t = np.arange(100_000, dtype=np.float64)
    y = np.sin(t / 500.0)
    y[31_337] = 50.0  # a spike must survive
    y[77_777] = -40.0
    dt, dy = peak_decimate(t, y, 4_000)
    assert len(dt) <= 4_000 and len(dt) == len(dy)
    assert dy.max() == 50.0 and dy.min() == -40.0
    assert np.all(np.diff(dt) >= 0)  # still in time order


def test_small_series_pass_through() -> None:
    t = np.arange(10, dtype=np.float64)
    y = t * 2
    dt, dy = peak_decimate(t, y, 4_000)
    assert dt is t and dy is y


def test_ring_buffer_view_is_contiguous_without_copy_after_wrapping() -> None:
    ring = RingBuffer(5, width=2)
    for i in range(13):
        ring.append([i, i * 10])
    view = ring.view()
    assert view[:, 0].tolist() == [8, 9, 10, 11, 12]
    assert view.base is not None  # a view into the storage, not a copy
    ring.extend(np.array([[13, 130], [14, 140], [15, 150]]))
    assert ring.view()[:, 0].tolist() == [11, 12, 13, 14, 15] and len(ring) == 5 and ring.total == 16
