"""Weight initialization: he, xavier (Glorot normal) and a fixed standard deviation."""

from __future__ import annotations

import math

import numpy as np

from bntui.nn.layers import check_dtype
from bntui.nn.nn_error import NNError


def parse_init(spec: str) -> tuple[str, float | None]:
    """'he' -> ('he', None); 'std:0.01' -> ('std', 0.01). Raises NNError."""
    text = spec.strip().lower() if isinstance(spec, str) else ""
    if text in ("he", "xavier"):
        return text, None
    if text.startswith("std:"):
        try:
            s = float(text[4:])
        except ValueError:
            s = math.nan
        if not (math.isfinite(s) and s > 0):
            raise NNError(f"init std must be a positive number, got {spec!r}")
        return "std", s
    raise NNError(f"unknown init {spec!r} (use he, xavier or std:<s>, e.g. std:0.01)")


def init_std(spec: str, fan_in: int, fan_out: int) -> float:
    """The standard deviation an init spec gives a (fan_in, fan_out) weight matrix."""
    kind, s = parse_init(spec)
    if kind == "he":
        return math.sqrt(2.0 / fan_in)  # He et al. 2015: Var = 2 / fan_in (for ReLU)
    if kind == "xavier":
        # Glorot & Bengio 2010, normal form: Var = 2 / (fan_in + fan_out).
        # ("Deep Learning from Scratch" uses the simpler 1 / fan_in.)
        return math.sqrt(2.0 / (fan_in + fan_out))
    assert s is not None
    return s  # std:<s>: Var = s^2


def init_weight(
    spec: str, fan_in: int, fan_out: int, rng: np.random.Generator, dtype: type | np.dtype
) -> np.ndarray:
    """A (fan_in, fan_out) matrix with entries N(0, std^2), std from ``spec``.

    spec: "he" (std = sqrt(2/fan_in)), "xavier" (sqrt(2/(fan_in+fan_out))), "std:<s>".
    Draws in float64 and then casts, so float32 and float64 nets start from the same
    weights for the same generator state.
    """
    for label, n in (("fan_in", fan_in), ("fan_out", fan_out)):
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise NNError(f"init_weight: {label} must be a whole number >= 1, got {n!r}")
    dt = check_dtype(dtype)
    std = init_std(spec, int(fan_in), int(fan_out))
    w = rng.standard_normal((int(fan_in), int(fan_out)))  # N(0, 1)
    w *= std  # N(0, std^2)
    return w.astype(dt, copy=False)
