"""Passes of one MLP over several variants at once, stacked on a leading axis.

The measurements of ``bntui.nn.diagnostics`` run the same net many times on one batch,
each time with slightly different parameters: ICS (Def. 2.1) runs layers i..k for every
layer i with the earlier layers stepped, smoothness runs the whole net at 4 step sizes
along the gradient. Here those runs are one pass on arrays of shape (V, N, D): V variants
of the batch's N rows. Each variant is a batch of its own: BN normalizes it with its own
batch statistics (mean and variance over its N rows), the loss is its own mean over its
N rows; a dropout mask (frozen at the training pass's draw) is the same for every variant.
Weights are either shared by every variant (one product of all V N rows) or per variant
(V products in one ``matmul``).

Nothing here writes to the model: parameters are read, every result is a new array, and
the training pass's gradients (``.grad``) are what the measurements compare against.
The arithmetic is the formulas' own (float32 on the session's net), not the training
layers' call for call: the results equal Def. 2.1 and Fig. 4 computed pass by pass to
float rounding (tests pin them to a float64 computation written out by hand).

Handled: Linear (with or without bias), BN in train mode (``BatchNorm1d`` or the fast
one) before or after the activation, or no normalization, any elementwise activation,
dropout with its mask frozen. ``stackable`` says whether a net and batch qualify; the
other normalizations (LN, GN, batch renorm, noisy BN) take the pass-by-pass way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bntui.nn.functional.loss import _row_reduce


def stackable(m, x: np.ndarray) -> bool:
    """True when every block is one the stacked passes handle: Linear, BN in train mode
    (textbook or fast) or no normalization, an elementwise activation, dropout (its mask
    from the last training pass, of this batch's shape); at least two rows."""
    from bntui.nn.fast import FastBatchNorm1d
    from bntui.nn.layers import BatchNorm1d

    if x.ndim != 2 or x.shape[0] < 2 or not m.blocks:
        return False
    if x.shape[1] != m.blocks[0].linear.W.data.shape[0]:
        return False
    for b in m.blocks:
        if b.norm is not None and type(b.norm) not in (BatchNorm1d, FastBatchNorm1d):
            return False
        drop = b.dropout
        width = b.linear.W.data.shape[1]
        if drop is not None and drop.mask is not None and drop.mask.shape != (x.shape[0], width):
            return False
    return True


@dataclass
class Layer:
    """One hidden block's parameters as the stacked pass uses them: each array either
    shared (W: (D_in, D_out), b/gamma/beta: (D_out,)) or per variant (W: (V, D_in, D_out),
    the others (V, 1, D_out))."""

    W: np.ndarray
    b: np.ndarray | None
    gamma: np.ndarray | None  # None: no normalization
    beta: np.ndarray | None
    eps: float
    before: bool  # BN before the activation (else after)
    act: type  # the activation layer's class (a fresh instance per pass holds its cache)
    mask: np.ndarray | None  # the frozen dropout mask (N, D_out), already scaled


def layers_of(m, stepped: list[list[np.ndarray]] | None = None) -> list[Layer]:
    """The hidden blocks of ``m`` as ``Layer``s; ``stepped[j]`` replaces block j's
    parameters (in ``Block.parameters()`` order: W, [b], [gamma, beta])."""
    out = []
    for j, block in enumerate(m.blocks):
        values = [p.data for p in block.parameters()] if stepped is None else list(stepped[j])
        W = values.pop(0)
        b = values.pop(0) if block.linear.b is not None else None
        norm = block.norm
        gamma, beta = (values[0], values[1]) if norm is not None else (None, None)
        drop = block.dropout
        out.append(
            Layer(
                W=W,
                b=b,
                gamma=gamma,
                beta=beta,
                eps=float(norm.eps) if norm is not None else 0.0,
                before=block.bn_position == "before",
                act=type(block.act),
                mask=drop.mask if drop is not None and drop.training and drop.mask is not None
                else None,
            )
        )  # fmt: skip
    return out


def linear(h: np.ndarray, W: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """h (V, N, D_in) times W, shared (one product of all rows) or per variant."""
    if W.ndim == 2:
        v, n, d = h.shape
        z = np.dot(h.reshape(v * n, d), W).reshape(v, n, W.shape[1])
    else:
        z = np.matmul(h, W)
    if b is not None:
        z += b
    return z


def _sum_rows(a: np.ndarray, ones: np.ndarray) -> np.ndarray:
    """Each variant's sum over its N rows, (V, 1, D): one BLAS product per variant."""
    return np.matmul(ones, a)[:, None, :]


def _bn(z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> tuple:
    """Train-mode BN of each variant over its own N rows: (out, (xhat, invstd))."""
    n = z.shape[1]
    invn = np.full(n, 1.0 / n, z.dtype)
    xhat = z - _sum_rows(z, invn)  # x - mu_B
    var = _sum_rows(xhat * xhat, invn)  # sigma_B^2 (biased)
    var += eps
    invstd = np.sqrt(var, out=var)
    np.reciprocal(invstd, out=invstd)  # 1 / sqrt(sigma_B^2 + eps)
    xhat *= invstd
    out = xhat * gamma
    out += beta  # gamma xhat + beta
    return out, (xhat, invstd)


def _bn_backward(d: np.ndarray, cache: tuple, gamma: np.ndarray) -> tuple:
    """(dx, dgamma, dbeta) of ``_bn`` per variant (dgamma, dbeta: (V, 1, D))."""
    xhat, invstd = cache
    n = d.shape[1]
    ones = np.ones(n, d.dtype)
    dbeta = _sum_rows(d, ones)  # sum_i dout_i
    dgamma = _sum_rows(d * xhat, ones)  # sum_i dout_i xhat_i
    # dx = gamma / sigma * (dout - mean(dout) - xhat mean(dout xhat))
    dx = xhat * (dgamma * (-1.0 / n))
    dx += d
    dx -= dbeta * (1.0 / n)
    dx *= gamma * invstd
    return dx, dgamma, dbeta


@dataclass
class Cache:
    """What a block's backward needs of its stacked forward."""

    inp: np.ndarray
    act: object
    bn: tuple | None


def block_forward(
    layer: Layer, h: np.ndarray, z: np.ndarray | None = None
) -> tuple[np.ndarray, Cache]:
    """One hidden block on (V, N, D_in): Linear -> [BN] -> act -> [BN] -> [dropout];
    ``z``: the Linear's output when the caller computed it already."""
    if z is None:
        z = linear(h, layer.W, layer.b)
    bn = None
    if layer.gamma is not None and layer.before:
        z, bn = _bn(z, layer.gamma, layer.beta, layer.eps)  # type: ignore[arg-type]
    act = layer.act()
    a = act.forward(z)
    if layer.gamma is not None and not layer.before:
        a, bn = _bn(a, layer.gamma, layer.beta, layer.eps)  # type: ignore[arg-type]
    if layer.mask is not None:
        a = a * layer.mask
    return a, Cache(h, act, bn)


def block_backward(layer: Layer, d: np.ndarray, cache: Cache) -> tuple:
    """dL/d(the block's Linear output z) for every variant, and (dgamma, dbeta) or None."""
    if layer.mask is not None:
        d = d * layer.mask
    norm_grads = None
    if layer.gamma is not None and not layer.before:
        d, *norm_grads = _bn_backward(d, cache.bn, layer.gamma)
    d = cache.act.backward(d)  # type: ignore[attr-defined]
    if layer.gamma is not None and layer.before:
        d, *norm_grads = _bn_backward(d, cache.bn, layer.gamma)
    return d, norm_grads


def ce_grads(logits: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each variant's mean softmax cross-entropy over its N rows and dL/dlogits:
    (losses (V,), dlogits (V, N, K)), in float64 sums for the losses."""
    v, n, k = logits.shape
    flat = logits.reshape(v * n, k)
    z = flat - _row_reduce(np.maximum, flat)  # shift by the row max
    e = np.exp(z)
    s = _row_reduce(np.add, e)  # sum_j exp(z_ij)
    at = (np.arange(v * n), np.tile(y, v))  # (i, y_i) of every row
    per_row = np.log(s[:, 0]).astype(np.float64) - z[at]  # -log p_{i, y_i}
    losses = per_row.reshape(v, n).sum(axis=1) / n
    e *= 1.0 / (s * n)  # p / N
    e[at] -= 1.0 / n  # (p - onehot) / N
    return losses, e.reshape(v, n, k)
