"""Numerical gradients, for checking the hand-written backward passes.

``numerical_gradient`` is the central-difference helper of "Deep Learning from Scratch"
(``common/gradient.py``); ``rel_error`` is the CS231n relative error.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bntui.nn.nn_error import NNError


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """df/dx by central differences, nudging ``x`` in place (restored afterwards).

    df/dx_i ~= (f(x + h e_i) - f(x - h e_i)) / (2h); error O(h^2). Use float64 arrays:
    in float32 the rounding error of f swamps the difference.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise NNError("numerical_gradient needs a float64 array (float32 is too coarse)")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)  # views: writes reach x
    if not np.shares_memory(flat, x):
        raise NNError("numerical_gradient needs a contiguous array")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = float(f())
        flat[i] = old - h
        f_minus = float(f())
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2.0 * h)  # central difference
    return grad


def rel_error(a: np.ndarray, n: np.ndarray) -> float:
    """max over elements of |a - n| / max(1e-8, |a| + |n|) (CS231n)."""
    a, n = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
    if a.shape != n.shape:
        raise NNError(f"rel_error: shapes differ, {a.shape} vs {n.shape}")
    return float(np.max(np.abs(a - n) / np.maximum(1e-8, np.abs(a) + np.abs(n)), initial=0.0))
