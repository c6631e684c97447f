"""Batch normalization: the seed report's forward, its compact and staged backward,
the running statistics (PyTorch semantics) and the eval-mode pass; Batch Renormalization."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from bntui.nn.nn_error import NNError

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


# --------------------------------------------------------------------------- batch renorm


class BRNCache(NamedTuple):
    """What ``batchrenorm_backward`` needs, plus the batch statistics."""

    xhat: np.ndarray  # renormalized input r * xbn + d, (N, D)
    xbn: np.ndarray  # the BN-normalized input (x - mu_B) / sigma_B, (N, D)
    gamma: np.ndarray  # scale, (D,)
    invstd: np.ndarray  # 1 / sigma_B = 1 / sqrt(var_B + eps), (D,)
    r: np.ndarray  # the correction factors (constants for the backward pass), (D,)
    mean: np.ndarray  # batch mean, (D,)
    var: np.ndarray  # biased batch variance, (D,)


def batchrenorm_forward(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    r_max: float,
    d_max: float,
    eps: float = 1e-5,
) -> tuple[np.ndarray, BRNCache]:
    """Train-mode Batch Renormalization (Ioffe 2017, Algorithm 1).

    With sigma_B = sqrt(var_B + eps) and sigma = sqrt(running_var + eps):
        r = clip(sigma_B / sigma, 1/r_max, r_max),  d = clip((mu_B - mu) / sigma, -d_max, d_max)
        xhat = (x - mu_B) / sigma_B * r + d,        y = gamma xhat + beta
    r and d are treated as constants by the backward pass. With r_max = 1, d_max = 0:
    r = 1, d = 0 and this is batch normalization, bit for bit.
    """
    _, cache = batchnorm_forward(x, np.ones_like(gamma), np.zeros_like(beta), eps)
    xbn = cache.xhat  # (x - mu_B) / sigma_B
    sigma = np.sqrt(running_var + float(eps))  # the running standard deviation
    r = np.clip(cache.std / sigma, 1.0 / float(r_max), float(r_max))
    d = np.clip((cache.mean - running_mean) / sigma, -float(d_max), float(d_max))
    xhat = xbn * r + d
    out = gamma * xhat + beta
    return out, BRNCache(xhat, xbn, gamma, cache.invstd, r, cache.mean, cache.var)


def batchrenorm_backward(
    dout: np.ndarray, cache: BRNCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of Batch Renormalization with r, d held constant: ``(dx, dgamma, dbeta)``.

    y = gamma (r xbn + d) + beta, so the gradient at xbn is dout gamma r, and from there
    it is the BN backward: dx = gamma r invstd / N (N dout - sum(dout) - xbn sum(dout xbn)).
    """
    xhat, xbn, gamma, invstd, r = cache.xhat, cache.xbn, cache.gamma, cache.invstd, cache.r
    if dout.shape != xhat.shape:
        raise NNError(f"batchrenorm_backward: dout has shape {dout.shape}, expected {xhat.shape}")
    n = dout.shape[0]
    dbeta = np.sum(dout, axis=0)  # dL/dbeta = sum_i dout_i
    dgamma = np.sum(dout * xhat, axis=0)  # dL/dgamma = sum_i dout_i xhat_i
    dbn = np.sum(dout * xbn, axis=0)  # sum_i dout_i xbn_i
    dx = (gamma * r * invstd * (1.0 / n)) * (n * dout - dbeta - xbn * dbn)
    return dx, dgamma, dbeta
