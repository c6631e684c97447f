"""The bounded history: buckets keep exact min/max/mean/last; memory does not grow."""

import math

import numpy as np
import pytest

from bntui.training.metrics import History, Series


def test_series_keeps_every_point_until_full():
    s = Series(8)
    for i in range(8):
        s.append(i, float(i))
    v = s.view()
    assert list(v.step) == list(range(8))
    assert list(v.lo) == list(v.hi) == list(v.last) == [float(i) for i in range(8)]


def test_merging_preserves_extremes_mean_and_last():
    rng = np.random.default_rng(0)
    values = rng.normal(size=10_000)
    s = Series(64)
    for i, v in enumerate(values):
        s.append(i, float(v))
    view = s.view()
    assert len(view) <= 64
    assert view.lo.min() == values.min()
    assert view.hi.max() == values.max()
    assert view.last[-1] == values[-1]
    assert view.step[-1] == len(values) - 1
    # the bucket means, weighted by bucket size, give back the overall mean
    sizes = np.diff(np.concatenate([[-1], view.step]))
    assert np.sum(view.mean * sizes) / sizes.sum() == pytest.approx(values.mean())


def test_view_downsamples_to_max_points():
    s = Series(1024)
    for i in range(1000):
        s.append(i, float(i % 7))
    v = s.view(max_points=100)
    assert len(v) <= 100
    assert v.lo.min() == 0 and v.hi.max() == 6
    assert v.step[-1] == 999


def test_memory_is_flat_over_a_million_points():
    h = History(capacity=256)
    for i in range(256):  # the bucket array grows to the capacity, then never again
        h.add(i, "loss", 1.0)
    before = h.nbytes
    assert before == 6 * 8 * 256
    for i in range(256, 1_000_000, 7):
        h.add(i, "loss", 1.0 / i)
    assert h.nbytes == before
    assert len(h.view("loss")) <= 256


def test_nan_is_kept_as_a_gap():
    s = Series(4)
    s.append(0, 1.0)
    s.append(1, float("nan"))
    assert np.isnan(s.view().last[1])


def test_history_add_record_names_layer_series():
    h = History()
    h.add_record({"step": 1, "loss": 0.5, "layers": [{"mean": 0.1}, {"mean": 0.2}]})
    assert set(h.names()) == {"loss", "L1.mean", "L2.mean"}
    assert h.view("L2.mean").last[0] == pytest.approx(0.2)
    assert h.view("absent") is None


def test_an_update_too_small_to_divide_is_minus_infinity_not_a_crash():
    """A diverged net (huge weights, a tiny step): du / std(W) underflows to 0, and
    log10(0) raised "math domain error" out of the training step (found by the time-travel
    property test with lr 1e6 under OPENBLAS_CORETYPE=Sandybridge)."""
    from bntui.training.config import Config
    from bntui.training.metrics import layer_stats
    from bntui.training.session import Session

    s = Session(Config(samples=200, depth=1, width=4, dtype="float64", stats_every=1))
    s.step()
    block = s.model.blocks[0]
    block.linear.W.data[...] = 1e300 * np.arange(1.0, 1.0 + block.linear.W.data.size).reshape(
        block.linear.W.data.shape
    )
    block.linear.W.data[0, 0] = 0.0
    w_before = block.linear.W.data.copy()
    w_before[0, 0] = 1e-30  # a change of std ~1e-31 against a std ~1e300: 1e-331 is 0.0
    stats = layer_stats(block, "relu", w_before)
    assert stats["update"] == -math.inf
