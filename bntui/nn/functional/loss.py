"""Softmax and the mean softmax cross-entropy of a batch."""

from __future__ import annotations

import numpy as np

from bntui.nn.nn_error import NNError

# --------------------------------------------------------------------------- softmax / loss


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax; the row maximum is subtracted first so exp never overflows."""
    z = logits - logits.max(axis=-1, keepdims=True)  # exp(z) <= 1
    e = np.exp(z)
    e /= e.sum(axis=-1, keepdims=True)  # p_k = exp(z_k) / sum_j exp(z_j)
    return e


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against integer labels: ``(loss, dlogits)``.

    loss = -1/N sum_i log p_{i, y_i};  dlogits = (p - onehot(y)) / N.
    Finite for any finite logits (log-sum-exp with the row maximum subtracted).
    """
    if logits.ndim != 2 or logits.shape[0] < 1:
        raise NNError(
            f"softmax_cross_entropy: logits must be (N, K) with N >= 1, got {logits.shape}"
        )
    n, k = logits.shape
    y = np.asarray(y)
    if y.shape != (n,):
        raise NNError(f"softmax_cross_entropy: labels must have shape ({n},), got {y.shape}")
    if y.dtype.kind not in "iu":
        raise NNError(f"softmax_cross_entropy: labels must be integers, got dtype {y.dtype}")
    # one reduction checks both bounds: viewed as unsigned, a negative label is huge
    if int(np.maximum.reduce(y.view(y.dtype.str.replace("i", "u")))) >= k:
        raise NNError(
            f"softmax_cross_entropy: labels must be in 0..{k - 1}, got values {y.min()}..{y.max()}"
        )
    flat_idx = _row_starts(n, k) + y  # position of (i, y_i) in the flattened (N, K) array
    z = logits - _row_reduce(np.maximum, logits)  # shift by the row max: log-softmax unchanged
    e = np.exp(z)
    s = _row_reduce(np.add, e)  # sum_j exp(z_ij) >= 1, so log(s) is finite
    # loss = -1/N sum_i log p_{i,y_i},  log p_{i,y_i} = z_{i,y_i} - log sum_j exp(z_ij)
    log_s = np.add.reduce(np.log(s), axis=None)
    loss = float(log_s - np.add.reduce(z.reshape(-1)[flat_idx], axis=None)) / n
    dlogits = e
    dlogits *= 1.0 / (s * n)  # p / N,  p = softmax(logits)
    dlogits.reshape(-1)[flat_idx] -= 1.0 / n  # (p - onehot(y)) / N: the loss is a batch mean
    return loss, dlogits


def _row_reduce(op: np.ufunc, a: np.ndarray) -> np.ndarray:
    """``op.reduce(a, axis=1, keepdims=True)``; for a few columns, column by column (the
    same left-to-right order, so the same result, and several times cheaper on short rows)."""
    k = a.shape[1]
    if k > 4:
        return op.reduce(a, axis=1, keepdims=True)
    acc = a[:, 0:1]
    for j in range(1, k):
        acc = op(acc, a[:, j : j + 1])
    return acc


_ROW_STARTS: dict[tuple[int, int], np.ndarray] = {}


def _row_starts(n: int, k: int) -> np.ndarray:
    """0, k, 2k, ..., (n-1)k: the flat index of each row's first entry (cached, read-only)."""
    starts = _ROW_STARTS.get((n, k))
    if starts is None:
        if len(_ROW_STARTS) > 64:
            _ROW_STARTS.clear()
        starts = np.arange(0, n * k, k)
        starts.flags.writeable = False
        _ROW_STARTS[n, k] = starts
    return starts
