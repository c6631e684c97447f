"""Stateless building blocks: batch normalization, activations, softmax cross-entropy.

Every function works on float32 or float64 arrays and returns the same dtype: constants
are Python floats (NumPy 2 keeps ``float32_array * 0.5`` in float32, while
``float32_array * np.float64(0.5)`` silently becomes float64).

Shapes: ``x`` is ``(N, D)``: N samples in the batch, D features.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from bntui.nn.errors import NNError

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


# --------------------------------------------------------------------------- batch norm


class BNCache(NamedTuple):
    """What the backward passes need, plus the batch statistics (for running averages)."""

    xhat: np.ndarray  # normalized input x_norm, (N, D)
    gamma: np.ndarray  # scale, (D,)
    invstd: np.ndarray  # rstddev = 1 / sqrt(var + eps), (D,)
    mean: np.ndarray  # batch mean mu_B, (D,)
    var: np.ndarray  # biased batch variance sigma_B^2, (D,)
    xc: np.ndarray  # x_centered = x - mu_B, (N, D) (the staged backward needs it)
    std: np.ndarray  # stddev = sqrt(var + eps), (D,)


def batchnorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, BNCache]:
    """Train-mode batch normalization (Ioffe & Szegedy 2015, Algorithm 1; DLFS eq. 6.7).

    The seed report's function, step by step: normalize each feature with the mean and
    the *biased* variance of this batch, then scale by ``gamma`` and shift by ``beta``.
    """
    if x.ndim != 2 or gamma.shape != (x.shape[1],) or beta.shape != (x.shape[1],):
        raise NNError(
            f"batchnorm_forward: x must be (N, D) with gamma, beta of shape (D,); "
            f"got x {x.shape}, gamma {gamma.shape}, beta {beta.shape}"
        )
    if x.shape[0] < 1:
        raise NNError("batchnorm_forward: the batch is empty")
    n = x.shape[0]
    # 1: mean, difference       mu_B = 1/N sum_i x_i
    mean = np.sum(x, axis=0) * (1.0 / n)
    xc = x - mean
    # 2: variance               sigma_B^2 = 1/N sum_i (x_i - mu_B)^2 (biased)
    var = np.sum(xc * xc, axis=0) * (1.0 / n)
    # 3: standard deviation     sqrt(sigma_B^2 + eps), and its reciprocal
    std = np.sqrt(var + float(eps))
    invstd = 1.0 / std
    # 4: normalization          xhat_i = (x_i - mu_B) / sqrt(sigma_B^2 + eps)
    xhat = xc * invstd
    # 5: scale and shift        y_i = gamma xhat_i + beta
    out = gamma * xhat + beta
    return out, BNCache(xhat, gamma, invstd, mean, var, xc, std)


def batchnorm_backward(
    dout: np.ndarray, cache: BNCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of train-mode batch normalization: ``(dx, dgamma, dbeta)``, compact form.

    The batch mean and variance depend on every x_i, which gives the two correction terms:
        dx = gamma * invstd / N * (N * dout - sum(dout) - xhat * sum(dout * xhat))
    (``batchnorm_backward_staged`` derives the same thing node by node.)
    """
    xhat, gamma, invstd = cache.xhat, cache.gamma, cache.invstd
    if dout.shape != xhat.shape:
        raise NNError(f"batchnorm_backward: dout has shape {dout.shape}, expected {xhat.shape}")
    n = dout.shape[0]
    dbeta = np.sum(dout, axis=0)  # dL/dbeta = sum_i dout_i
    dgamma = np.sum(dout * xhat, axis=0)  # dL/dgamma = sum_i dout_i * xhat_i
    dx = (gamma * invstd * (1.0 / n)) * (n * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def batchnorm_backward_staged(
    dout: np.ndarray, cache: BNCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same gradients, one node of the computational graph at a time.

    Deep Learning from Scratch fig. 6-17 / the CS231n staged form: walk the forward
    steps 5 -> 1 backwards; each line is the local derivative of one node times the
    gradient flowing in. Where the forward pass broadcast a (D,) vector over the batch,
    the backward pass sums over the batch; where it summed, the backward pass spreads.
    """
    xhat, gamma, invstd, xc, std = cache.xhat, cache.gamma, cache.invstd, cache.xc, cache.std
    if dout.shape != xhat.shape:
        raise NNError(
            f"batchnorm_backward_staged: dout has shape {dout.shape}, expected {xhat.shape}"
        )
    n = dout.shape[0]
    # 5: out = gammax + beta              (+ node: passes the gradient to both inputs)
    dbeta = np.sum(dout, axis=0)
    dgammax = dout
    # 5: gammax = gamma * xhat            (x node: each input gets the other one)
    dgamma = np.sum(dgammax * xhat, axis=0)
    dxhat = dgammax * gamma
    # 4: xhat = xc * invstd               (x node; invstd was broadcast: sum over N)
    dinvstd = np.sum(dxhat * xc, axis=0)
    dxc1 = dxhat * invstd
    # 3: invstd = 1 / std                 (d(1/s)/ds = -1/s^2)
    dstd = -dinvstd / (std * std)
    # 3: std = sqrt(var + eps)            (d sqrt(v)/dv = 1 / (2 sqrt(v)))
    dvar = dstd * 0.5 / std
    # 2: var = 1/N sum_i sq_i             (sum node: spread the gradient over N rows)
    dsq = np.ones_like(dout) * (dvar * (1.0 / n))
    # 2: sq = xc^2
    dxc2 = 2.0 * xc * dsq
    # 1: xc = x - mean                    (two paths into xc meet: add them)
    dxc = dxc1 + dxc2
    dmean = -np.sum(dxc, axis=0)
    dx1 = dxc
    # 1: mean = 1/N sum_i x_i             (sum node: spread over N rows)
    dx2 = np.ones_like(dout) * (dmean * (1.0 / n))
    # x feeds both xc and mean
    dx = dx1 + dx2
    return dx, dgamma, dbeta


def batchnorm_running_update(
    running_mean: np.ndarray,
    running_var: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    n: int,
    momentum: float,
) -> None:
    """PyTorch's running statistics, in place:

        running_mean = (1 - momentum) * running_mean + momentum * batch_mean
        running_var  = (1 - momentum) * running_var  + momentum * var * N / (N - 1)

    ``running_var`` averages the *unbiased* variance; it is undefined for N = 1 (PyTorch
    raises), so then only the mean is updated.
    """
    m = float(momentum)
    running_mean *= 1.0 - m
    running_mean += m * mean
    if n > 1:
        running_var *= 1.0 - m
        running_var += (m * n / (n - 1)) * var


def batchnorm_eval_forward(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eval-mode batch normalization with fixed statistics: ``(out, xhat, invstd)``.

    Each sample is normalized on its own: the output does not depend on the batch.
    """
    invstd = 1.0 / np.sqrt(running_var + float(eps))  # 1 / sqrt(running_var + eps)
    xhat = x - running_mean  # xhat = (x - running_mean) * invstd
    xhat *= invstd
    out = xhat * gamma  # y = gamma * xhat + beta
    out += beta
    return out, xhat, invstd


def batchnorm_eval_backward(
    dout: np.ndarray, xhat: np.ndarray, gamma: np.ndarray, invstd: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients with fixed statistics: y = gamma (x - mu) invstd + beta is elementwise."""
    dbeta = np.sum(dout, axis=0)  # sum_i dout_i
    dgamma = np.sum(dout * xhat, axis=0)  # sum_i dout_i xhat_i
    dx = dout * (gamma * invstd)  # dL/dx = dout * gamma * invstd
    return dx, dgamma, dbeta


# --------------------------------------------------------------------------- activations
# Each pair: forward(x) -> out, backward(dout, x, out) -> dx. Backward receives both the
# input and the output so each derivative can use whichever is cheaper.


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), computed without overflow for any finite x."""
    e = np.abs(x)
    np.negative(e, out=e)
    np.exp(e, out=e)  # exp(-|x|) is in (0, 1]: never overflows
    out = e + 1.0
    np.reciprocal(out, out=out)  # sigmoid(|x|) = 1 / (1 + exp(-|x|))
    # for x < 0: sigmoid(x) = exp(x) / (1 + exp(x)) = e * sigmoid(|x|); the factor
    # max(e, [x >= 0]) is e where x < 0 and 1 elsewhere (a masked multiply is far slower)
    np.maximum(e, x >= 0, out=e)
    out *= e
    return out


def sigmoid_backward(dout: np.ndarray, out: np.ndarray) -> np.ndarray:
    """d sigmoid / dx = s * (1 - s)."""
    return dout * out * (1.0 - out)


def tanh_backward(dout: np.ndarray, out: np.ndarray) -> np.ndarray:
    """d tanh / dx = 1 - tanh(x)^2."""
    return dout * (1.0 - out * out)


_ZEROS: dict[np.dtype, np.ndarray] = {}


def _zero(dtype: np.dtype) -> np.ndarray:
    """A 0-d zero of ``dtype`` (comparing with it skips converting a Python 0 every call)."""
    z = _ZEROS.get(dtype)
    if z is None:
        z = _ZEROS[dtype] = np.zeros((), dtype)
    return z


def relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0)."""
    return np.maximum(x, _zero(x.dtype))


def relu_backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    """d relu / dx = 1 where x > 0, else 0 (0 at the kink, as PyTorch)."""
    return dout * np.greater(x, _zero(x.dtype))  # the mask multiplies as 0/1 (dout's dtype)


def leaky_relu(x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """x where x > 0, slope * x elsewhere."""
    return np.where(x > 0, x, x * float(slope))


def leaky_relu_backward(dout: np.ndarray, x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """d / dx = 1 where x > 0, slope elsewhere."""
    return np.where(x > 0, dout, dout * float(slope))


def elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """x where x > 0, alpha * (exp(x) - 1) elsewhere."""
    # expm1 on min(x, 0): exact near 0 and no overflow for large positive x
    return np.where(x > 0, x, float(alpha) * np.expm1(np.minimum(x, 0.0)))


def elu_backward(
    dout: np.ndarray, x: np.ndarray, out: np.ndarray, alpha: float = 1.0
) -> np.ndarray:
    """d / dx = 1 where x > 0, alpha * exp(x) = out + alpha elsewhere."""
    return np.where(x > 0, dout, dout * (out + float(alpha)))


_GELU_C = math.sqrt(2.0 / math.pi)  # sqrt(2/pi)
_GELU_K = 0.044715


def gelu(x: np.ndarray) -> np.ndarray:
    """GELU, tanh approximation (PyTorch ``approximate='tanh'``).

    gelu(x) = 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
    """
    t = np.tanh(_GELU_C * (x + _GELU_K * x * x * x))
    return 0.5 * x * (1.0 + t)


def gelu_backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    """d gelu / dx = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)."""
    x2 = x * x
    t = np.tanh(_GELU_C * x * (1.0 + _GELU_K * x2))  # t = tanh(u), u = c (x + k x^3)
    du = _GELU_C * (1.0 + 3.0 * _GELU_K * x2)  # du/dx
    return dout * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du)


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
