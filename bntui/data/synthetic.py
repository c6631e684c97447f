"""Two-dimensional toy sets, generated in-process.

Every generator has the signature ``f(n, classes, noise, rng) -> (x, y)`` with ``x`` a
float64 ``(n, 2)`` array of plane coordinates (roughly inside ``[-1, 1]²``, so a
decision boundary drawn over that square shows the whole set) and ``y`` int64 labels
``0..K-1``. Classes get ``n // K`` points each, the first ``n % K`` classes one more.
Points come out grouped by class; ``load_dataset`` shuffles them.

``moons``, ``circles`` and ``xor`` are two-class problems by nature: they ignore
``classes`` (``load_dataset`` notes that). ``noise`` scales each set's jitter; 0 gives
the clean shapes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bntui.data.data_error import DataError

Generator = Callable[[int, int, float, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def _counts(n: int, classes: int, name: str) -> list[int]:
    """Points per class: as equal as possible, summing to n."""
    if classes < 2:
        raise DataError(f"{name}: needs at least 2 classes, got {classes}")
    if n < 2 * classes:
        raise DataError(f"{name}: {n} points are too few for {classes} classes")
    return [n // classes + (1 if k < n % classes else 0) for k in range(classes)]


def _check_noise(noise: float, name: str) -> None:
    if not (np.isfinite(noise) and noise >= 0):
        raise DataError(f"{name}: noise must be a number >= 0, got {noise}")


def _labels(counts: list[int]) -> np.ndarray:
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


def spiral(
    n: int, classes: int, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The CS231n K-arm spiral: arm k has radius r in [0, 1] and angle
    4k..4(k+1) radians plus N(0, noise²) jitter (noise 0.2 is the CS231n set)."""
    counts = _counts(n, classes, "spiral")
    _check_noise(noise, "spiral")
    parts = []
    for k, m in enumerate(counts):
        r = np.linspace(0.0, 1.0, m)  # radius grows along the arm
        t = np.linspace(4.0 * k, 4.0 * (k + 1), m) + rng.standard_normal(m) * noise  # angle
        parts.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
    return np.concatenate(parts), _labels(counts)


def moons(
    n: int, classes: int, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (2 classes; ``classes`` is ignored).

    Upper moon (cos t, sin t), lower moon (1 - cos t, 1/2 - sin t), t in [0, π], plus
    N(0, noise²) jitter; then centred and scaled by 2/3 so x spans [-1, 1]."""
    counts = _counts(n, 2, "moons")
    _check_noise(noise, "moons")
    t0 = np.linspace(0.0, np.pi, counts[0])
    t1 = np.linspace(0.0, np.pi, counts[1])
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    x = np.concatenate([upper, lower]) + rng.standard_normal((n, 2)) * noise
    x = (x - np.array([0.5, 0.25])) / 1.5  # centre of the pair is (1/2, 1/4); width 3 -> 2
    return x, _labels(counts)


def circles(
    n: int, classes: int, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """An outer circle of radius 1 (class 0) around an inner one of radius 1/2
    (class 1), plus N(0, (noise/2)²) jitter (2 classes; ``classes`` is ignored)."""
    counts = _counts(n, 2, "circles")
    _check_noise(noise, "circles")
    parts = []
    for radius, m in zip((1.0, 0.5), counts, strict=True):
        t = np.linspace(0.0, 2.0 * np.pi, m, endpoint=False)  # evenly spaced angles
        parts.append(radius * np.column_stack([np.cos(t), np.sin(t)]))
    x = np.concatenate(parts) + rng.standard_normal((n, 2)) * (noise / 2.0)
    return x, _labels(counts)


def xor(
    n: int, classes: int, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform in the square; class 0 where x·y > 0 (quadrants I, III), class 1
    where x·y < 0, plus N(0, (noise/2)²) jitter after labelling (2 classes)."""
    counts = _counts(n, 2, "xor")
    _check_noise(noise, "xor")
    parts = []
    for k, m in enumerate(counts):
        mag = rng.uniform(0.0, 1.0, size=(m, 2))  # |x|, |y|
        sign = rng.choice(np.array([-1.0, 1.0]), size=m)
        # class 0: both coordinates share the sign; class 1: opposite signs
        parts.append(np.column_stack([sign * mag[:, 0], sign * mag[:, 1] * (1 - 2 * k)]))
    x = np.concatenate(parts) + rng.standard_normal((n, 2)) * (noise / 2.0)
    return x, _labels(counts)


def blobs(
    n: int, classes: int, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """K isotropic gaussian blobs with std noise/2, centred evenly on a circle of
    radius 0.7 (centre k at angle 2πk/K + π/2)."""
    counts = _counts(n, classes, "blobs")
    _check_noise(noise, "blobs")
    angles = 2.0 * np.pi * np.arange(classes) / classes + np.pi / 2.0
    centres = 0.7 * np.column_stack([np.cos(angles), np.sin(angles)])
    x = np.repeat(centres, counts, axis=0) + rng.standard_normal((n, 2)) * (noise / 2.0)
    return x, _labels(counts)


GENERATORS: dict[str, Generator] = {
    "spiral": spiral,
    "moons": moons,
    "circles": circles,
    "xor": xor,
    "blobs": blobs,
}
"""Name -> generator, for the sets ``load_dataset`` makes when no --data is given."""

TWO_CLASS = frozenset({"moons", "circles", "xor"})
"""Sets whose class count is fixed at 2 (they ignore ``classes``)."""
