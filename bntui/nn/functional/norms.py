"""Layer and group normalization of an (N, C) input: per-sample statistics.

Group normalization (Wu & He 2018) splits the C features of each sample into G groups of
C/G and normalizes each group with its own mean and *biased* variance, as
``torch.nn.functional.group_norm`` does on (N, C) input; then a per-feature scale
``gamma`` and shift ``beta``. Layer normalization (Ba et al. 2016) is the case G = 1:
each sample is normalized over all of its features. Neither depends on the other samples
of the batch, so train and eval mode are the same and N = 1 works.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from bntui.nn.nn_error import NNError


class GNCache(NamedTuple):
    """What ``groupnorm_backward`` needs."""

    xhat: np.ndarray  # normalized input, (N, C)
    gamma: np.ndarray  # scale, (C,)
    invstd: np.ndarray  # 1 / sqrt(var + eps) of each (sample, group), (N, G, 1)
    mean: np.ndarray  # mean of each (sample, group), (N, G, 1)
    var: np.ndarray  # biased variance of each (sample, group), (N, G, 1)


def check_groups(num_groups: object, num_features: int) -> int:
    """A whole number G >= 1 that divides ``num_features``, or NNError."""
    if isinstance(num_groups, bool) or not isinstance(num_groups, int | np.integer):
        raise NNError(f"group norm: groups must be a whole number, got {num_groups!r}")
    if num_groups < 1 or num_features % num_groups:
        raise NNError(
            f"group norm: {num_groups} groups do not divide {num_features} features "
            f"(the width must be a multiple of the number of groups)"
        )
    return int(num_groups)


def groupnorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, num_groups: int, eps: float = 1e-5
) -> tuple[np.ndarray, GNCache]:
    """Group normalization of (N, C) with G groups of C/G features each."""
    if x.ndim != 2 or gamma.shape != (x.shape[1],) or beta.shape != (x.shape[1],):
        raise NNError(
            f"group norm: x must be (N, C) with gamma, beta of shape (C,); "
            f"got x {x.shape}, gamma {gamma.shape}, beta {beta.shape}"
        )
    n, c = x.shape
    g = check_groups(num_groups, c)
    m = c // g  # features per group
    xg = x.reshape(n, g, m)  # sample i, group k, feature j of the group
    # mu_ik = 1/m sum_j x_ikj
    mean = np.sum(xg, axis=2, keepdims=True) * (1.0 / m)
    xc = xg - mean
    # sigma_ik^2 = 1/m sum_j (x_ikj - mu_ik)^2 (biased)
    var = np.sum(xc * xc, axis=2, keepdims=True) * (1.0 / m)
    # xhat_ikj = (x_ikj - mu_ik) / sqrt(sigma_ik^2 + eps)
    invstd = 1.0 / np.sqrt(var + float(eps))
    xhat = (xc * invstd).reshape(n, c)
    # y = gamma xhat + beta (per feature)
    out = gamma * xhat + beta
    return out, GNCache(xhat, gamma, invstd, mean, var)


def groupnorm_backward(
    dout: np.ndarray, cache: GNCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of group normalization: ``(dx, dgamma, dbeta)``.

    The BN formula with the roles of the axes swapped: within each (sample, group) of m
    features, with g = dout * gamma (the gradient at xhat),
        dx = invstd / m * (m g - sum(g) - xhat sum(g xhat))
    """
    xhat, gamma, invstd = cache.xhat, cache.gamma, cache.invstd
    if dout.shape != xhat.shape:
        raise NNError(f"group norm backward: dout has shape {dout.shape}, expected {xhat.shape}")
    n, c = dout.shape
    g = invstd.shape[1]
    m = c // g
    dbeta = np.sum(dout, axis=0)  # dL/dbeta = sum_i dout_i
    dgamma = np.sum(dout * xhat, axis=0)  # dL/dgamma = sum_i dout_i xhat_i
    dxhat = (dout * gamma).reshape(n, g, m)
    xh = xhat.reshape(n, g, m)
    sum_d = np.sum(dxhat, axis=2, keepdims=True)
    sum_dx = np.sum(dxhat * xh, axis=2, keepdims=True)
    dx = (invstd * (1.0 / m)) * (m * dxhat - sum_d - xh * sum_dx)
    return dx.reshape(n, c), dgamma, dbeta


def layernorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, GNCache]:
    """Layer normalization: each sample over its own features (group norm, one group).

    mu_i = 1/C sum_j x_ij,  sigma_i^2 = 1/C sum_j (x_ij - mu_i)^2,
    y_ij = gamma_j (x_ij - mu_i) / sqrt(sigma_i^2 + eps) + beta_j
    """
    return groupnorm_forward(x, gamma, beta, 1, eps)


def layernorm_backward(
    dout: np.ndarray, cache: GNCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of layer normalization (group norm with one group)."""
    return groupnorm_backward(dout, cache)
