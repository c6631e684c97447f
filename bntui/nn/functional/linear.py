"""The fully connected layer: out = x W + b."""

from __future__ import annotations

import numpy as np

# --------------------------------------------------------------------------- linear


def linear_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """out = x W + b, W of shape (in, out) as in DLFS (``b`` None: no bias)."""
    out = x @ W
    if b is not None:
        out += b  # broadcast over the batch
    return out


def linear_backward(
    dout: np.ndarray, x: np.ndarray, W: np.ndarray, *, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of ``x W + b``: ``(dx, dW, db)``; dx is None when ``need_dx`` is False."""
    dW = x.T @ dout  # dL/dW = x^T dout
    db = np.sum(dout, axis=0)  # dL/db = sum over the batch of dout
    dx = dout @ W.T if need_dx else None  # dL/dx = dout W^T
    return dx, dW, db
