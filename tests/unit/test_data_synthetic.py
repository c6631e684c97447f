"""The 2-D toy sets: shapes, balance, determinism, and each shape's geometry."""

from __future__ import annotations

import numpy as np
import pytest

from bntui.data import DataError
from bntui.data.synthetic import GENERATORS, TWO_CLASS, blobs, circles, moons, spiral, xor

NAMES = sorted(GENERATORS)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("n", "classes"), [(300, 3), (301, 4), (101, 2)])
def test_shapes_labels_and_balance(name: str, n: int, classes: int) -> None:
    x, y = GENERATORS[name](n, classes, 0.2, rng())
    k = 2 if name in TWO_CLASS else classes
    assert x.shape == (n, 2) and x.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=k)
    assert len(counts) == k and counts.sum() == n
    assert counts.max() - counts.min() <= 1  # as equal as n allows
    assert np.all(np.isfinite(x))
    assert np.abs(x).max() < 2.5  # about the unit square, so the plane view shows it all


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_for_a_seed(name: str) -> None:
    a = GENERATORS[name](200, 3, 0.2, rng(7))
    b = GENERATORS[name](200, 3, 0.2, rng(7))
    c = GENERATORS[name](200, 3, 0.2, rng(8))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("name", NAMES)
def test_noise_changes_the_points(name: str) -> None:
    clean, y0 = GENERATORS[name](200, 3, 0.0, rng(1))
    noisy, y1 = GENERATORS[name](200, 3, 0.3, rng(1))
    np.testing.assert_array_equal(y0, y1)
    assert np.abs(clean - noisy).mean() > 0.01


def test_spiral_geometry() -> None:
    # x = r sin t, y = r cos t with r = linspace(0, 1) along each arm; noise only moves t
    n, k = 300, 3
    for noise in (0.0, 0.5):
        x, y = spiral(n, k, noise, rng(2))
        for arm in range(k):
            pts = x[y == arm]
            np.testing.assert_allclose(np.hypot(pts[:, 0], pts[:, 1]), np.linspace(0, 1, n // k))
    x, y = spiral(n, k, 0.0, rng(2))
    for arm in range(k):
        pts = x[y == arm][1:]  # skip r = 0, where the angle is undefined
        t = np.arctan2(pts[:, 0], pts[:, 1])
        want = np.linspace(4.0 * arm, 4.0 * (arm + 1), n // k)[1:]
        # equal angles modulo 2π
        np.testing.assert_allclose(np.cos(t - want), 1.0, atol=1e-9)


def test_circles_radii() -> None:
    x, y = circles(200, 5, 0.0, rng())
    r = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.5)


def test_circles_noise_is_gaussian_with_std_noise_over_2() -> None:
    clean, _ = circles(20000, 2, 0.0, rng(3))
    noisy, _ = circles(20000, 2, 0.4, rng(3))
    assert abs((noisy - clean).std() - 0.2) < 0.005


def test_moons_lie_on_their_half_circles() -> None:
    x, y = moons(400, 2, 0.0, rng())
    raw = x * 1.5 + np.array([0.5, 0.25])  # undo the centring and 2/3 scale
    up, lo = raw[y == 0], raw[y == 1]
    np.testing.assert_allclose(up[:, 0] ** 2 + up[:, 1] ** 2, 1.0)
    assert up[:, 1].min() >= -1e-12
    np.testing.assert_allclose((lo[:, 0] - 1) ** 2 + (lo[:, 1] - 0.5) ** 2, 1.0)
    assert lo[:, 1].max() <= 0.5 + 1e-12
    np.testing.assert_allclose([x[:, 0].min(), x[:, 0].max()], [-1.0, 1.0])


def test_xor_labels_follow_the_quadrant_sign() -> None:
    x, y = xor(500, 2, 0.0, rng(4))
    prod = x[:, 0] * x[:, 1]
    assert np.all(prod[y == 0] >= 0) and np.all(prod[y == 1] <= 0)
    assert np.abs(x).max() <= 1.0
    # both quadrants of each class are used
    assert set(np.sign(x[y == 0, 0]).astype(int)) == {-1, 1}


def test_blobs_centres_and_spread() -> None:
    k, noise = 4, 0.2
    clean, y = blobs(400, k, 0.0, rng())
    angles = 2 * np.pi * np.arange(k) / k + np.pi / 2
    centres = 0.7 * np.column_stack([np.cos(angles), np.sin(angles)])
    np.testing.assert_allclose(clean, centres[y], atol=1e-12)
    x, y = blobs(8000, k, noise, rng(5))
    for c in range(k):
        pts = x[y == c]
        # the mean of m gaussian points is within a few std/√m of the centre
        assert np.abs(pts.mean(0) - centres[c]).max() < 4 * (noise / 2) / np.sqrt(len(pts))
        np.testing.assert_allclose(pts.std(0), noise / 2, rtol=0.08)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((100, 1, 0.2), "at least 2 classes"),
        ((5, 3, 0.2), "too few"),
        ((100, 3, -0.1), "noise"),
        ((100, 3, float("nan")), "noise"),
    ],
)
def test_bad_arguments_raise_data_error(args: tuple, message: str) -> None:
    with pytest.raises(DataError, match=message):
        spiral(*args, rng())
    with pytest.raises(DataError, match=message):
        blobs(*args, rng())
