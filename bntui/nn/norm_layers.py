"""Normalizations beyond BN, in the style of ``BatchNorm1d``: one class each, forward
and backward side by side, the formulas in ``bntui.nn.functional``.

- ``LayerNorm``: each sample over its features (no running statistics; train == eval).
- ``GroupNorm``: each sample over groups of features (``torch.nn.functional.group_norm``
  on (N, C)); the number of groups must divide the number of features.
- ``BatchRenorm1d`` (Ioffe 2017): batch statistics corrected towards the running ones.
- ``NoisyBatchNorm1d`` (Santurkar et al. 2018, section 2.1): BN, then a random per-unit
  scale and shift drawn afresh at every training step from the layer's own generator.

``make_norm`` builds one from a name of ``names.NORM_NAMES`` ("gn:G" picks the groups).
"""

from __future__ import annotations

import difflib

import numpy as np

from bntui.nn import functional as F
from bntui.nn.fast import FastBatchNorm1d
from bntui.nn.layers import (
    AffineNorm,
    BatchNorm1d,
    _check_input,
)
from bntui.nn.names import NORM_NAMES
from bntui.nn.nn_error import NNError

DEFAULT_GROUPS = 4  # "gn" alone: 4 groups (Wu & He use 32 on 64..2048 channels; our
# hidden layers are narrower, and 32 groups of one feature each would output beta alone)


class GroupNorm(AffineNorm):
    """Group normalization of (N, C): G groups of C/G features per sample, then per-feature
    ``gamma``, ``beta``. Statistics come from the sample alone: train and eval agree."""

    def __init__(
        self,
        num_groups: int,
        num_features: int,
        eps: float = 1e-5,
        dtype: type | np.dtype = np.float32,
        *,
        name: str = "",
    ) -> None:
        super().__init__(num_features, eps, dtype, name)  # (training: no effect here)
        self.num_groups = F.check_groups(num_groups, self.num_features)
        self._cache: F.GNCache | None = None

    def fresh(self, num_features: int) -> GroupNorm:
        return GroupNorm(
            self.num_groups, num_features, self.eps, self.gamma.data.dtype, name=self.name
        )

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_input(x, self.num_features, f"{type(self).__name__} {self.name}".rstrip())
        # mu, sigma^2 of each (sample, group); xhat = (x - mu) / sqrt(sigma^2 + eps)
        out, self._cache = F.groupnorm_forward(
            x, self.gamma.data, self.beta.data, self.num_groups, self.eps
        )
        return out  # y = gamma xhat + beta

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self._cache is None:
            raise NNError(f"{type(self).__name__}.backward called before forward")
        dx, dgamma, dbeta = F.groupnorm_backward(dout, self._cache)
        self.gamma.grad[...] = dgamma
        self.beta.grad[...] = dbeta
        return dx


class LayerNorm(GroupNorm):
    """Layer normalization of (N, D): each sample over all of its D features (one group):
    mu_i = mean_j x_ij, sigma_i^2 = mean_j (x_ij - mu_i)^2, y = gamma xhat + beta."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        dtype: type | np.dtype = np.float32,
        *,
        name: str = "",
    ) -> None:
        super().__init__(1, num_features, eps, dtype, name=name)

    def fresh(self, num_features: int) -> LayerNorm:
        return LayerNorm(num_features, self.eps, self.gamma.data.dtype, name=self.name)


class BatchRenorm1d(BatchNorm1d):
    """Batch Renormalization (Ioffe 2017): train mode uses
    xhat = (x - mu_B) / sigma_B * r + d with r = clip(sigma_B / sigma, 1/r_max, r_max),
    d = clip((mu_B - mu) / sigma, -d_max, d_max) from the running statistics (before this
    step's update), r and d constant in the backward pass; running statistics and eval
    mode as in BN. With r_max = 1, d_max = 0 it is ``BatchNorm1d`` bit for bit.
    (The paper raises r_max from 1 to 3 and d_max from 0 to 5 during training; here they
    are constants.)"""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        r_max: float = 3.0,
        d_max: float = 5.0,
        dtype: type | np.dtype = np.float32,
        *,
        name: str = "",
    ) -> None:
        super().__init__(num_features, eps, momentum, dtype, name=name)
        if isinstance(r_max, bool) or not (isinstance(r_max, int | float) and r_max >= 1.0):
            raise NNError(f"BatchRenorm1d: r_max must be >= 1, got {r_max!r}")
        if isinstance(d_max, bool) or not (isinstance(d_max, int | float) and d_max >= 0.0):
            raise NNError(f"BatchRenorm1d: d_max must be >= 0, got {d_max!r}")
        self.r_max, self.d_max = float(r_max), float(d_max)
        self._brn_cache: F.BRNCache | None = None

    def fresh(self, num_features: int) -> BatchRenorm1d:
        dt = self.gamma.data.dtype
        return BatchRenorm1d(
            num_features, self.eps, self.momentum, self.r_max, self.d_max, dt, name=self.name
        )

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not self.training:
            self._brn_cache = None
            return super().forward(x)  # eval: the running statistics, as BN
        _check_input(x, self.num_features, f"{type(self).__name__} {self.name}".rstrip())
        # r, d from the running statistics as they were before this batch
        out, cache = F.batchrenorm_forward(
            x,
            self.gamma.data,
            self.beta.data,
            self.running_mean,
            self.running_var,
            self.r_max,
            self.d_max,
            self.eps,
        )
        self._brn_cache, self._cache, self._eval_cache = cache, None, None
        # running = (1 - momentum) running + momentum [mu_B, sigma_B^2 N / (N - 1)]
        F.batchnorm_running_update(
            self.running_mean, self.running_var, cache.mean, cache.var, x.shape[0], self.momentum
        )
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self._brn_cache is None:
            return super().backward(dout)  # (after an eval pass)
        dx, dgamma, dbeta = F.batchrenorm_backward(dout, self._brn_cache)  # r, d held constant
        self.gamma.grad[...] = dgamma
        self.beta.grad[...] = dbeta
        return dx


class NoisyBatchNorm1d(BatchNorm1d):
    """BN followed by random noise (Santurkar et al. 2018, section 2.1): in train mode
    y = s * BN(x) + t with a scale s ~ N(scale_mean, scale_std^2) and a shift
    t ~ N(shift_mean, shift_std^2) drawn afresh at every step, per unit (or per unit and
    sample with ``per_sample=True``), from the layer's own ``rng`` (so the batch order and
    every other stream are untouched). Eval mode is plain BN. With zero noise
    (scale 1 +- 0, shift 0 +- 0) it is ``BatchNorm1d`` bit for bit."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        dtype: type | np.dtype = np.float32,
        *,
        name: str = "",
        rng: np.random.Generator,
        shift: tuple[float, float] = (0.5, 0.5),
        scale: tuple[float, float] = (1.5, 0.5),
        per_sample: bool = False,
    ) -> None:
        super().__init__(num_features, eps, momentum, dtype, name=name)
        for label, (mean, std) in (("shift", shift), ("scale", scale)):
            if not (np.isfinite(mean) and np.isfinite(std) and std >= 0):
                raise NNError(f"NoisyBatchNorm1d: {label} needs a finite mean and std >= 0")
        self.rng = rng
        self.shift = (float(shift[0]), float(shift[1]))
        self.scale = (float(scale[0]), float(scale[1]))
        self.per_sample = bool(per_sample)
        self.noise: tuple[np.ndarray, np.ndarray] | None = None  # (s, t) of the last step
        # (s, t) to use instead of fresh draws (measurements repeat a pass with its noise)
        self.fixed_noise: tuple[np.ndarray, np.ndarray] | None = None

    def fresh(self, num_features: int) -> NoisyBatchNorm1d:
        return NoisyBatchNorm1d(
            num_features,
            self.eps,
            self.momentum,
            self.gamma.data.dtype,
            name=self.name,
            rng=self.rng,
            shift=self.shift,
            scale=self.scale,
            per_sample=self.per_sample,
        )

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = super().forward(x)  # BN (train: batch statistics; eval: running ones)
        if not self.training:
            self.noise = None
            return y
        if self.fixed_noise is not None:
            s, t = self.noise = self.fixed_noise
            return y * s + t
        shape = y.shape if self.per_sample else (self.num_features,)
        # drawn in float64 and cast, so float32 and float64 nets see the same noise
        s = (self.scale[0] + self.scale[1] * self.rng.standard_normal(shape)).astype(y.dtype)
        t = (self.shift[0] + self.shift[1] * self.rng.standard_normal(shape)).astype(y.dtype)
        self.noise = (s, t)
        return y * s + t  # y = s * BN(x) + t

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self.noise is not None:
            dout = dout * self.noise[0]  # s and t are constants: dL/dBN = dout * s
        return super().backward(dout)


Norm = AffineNorm  # every normalization layer derives from it


def parse_norm(spec: str) -> tuple[str, int | None]:
    """'bn' -> ('bn', None); 'gn' -> ('gn', 4); 'gn:8' -> ('gn', 8). Raises NNError."""
    text = spec.strip().lower() if isinstance(spec, str) else ""
    kind, _, arg = text.partition(":")
    if kind == "gn":
        if not arg:
            return "gn", DEFAULT_GROUPS
        if arg.isdigit() and int(arg) >= 1:
            return "gn", int(arg)
        raise NNError(f"norm gn:G needs a whole number of groups >= 1, got {spec!r}")
    if kind in NORM_NAMES and not arg:
        return kind, None
    close = difflib.get_close_matches(text, list(NORM_NAMES), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise NNError(f"unknown norm {spec!r}{hint}; choose from {', '.join(NORM_NAMES)} (gn:G)")


def make_norm(
    spec: str,
    num_features: int,
    *,
    momentum: float = 0.1,
    dtype: type | np.dtype = np.float32,
    name: str = "",
    fast: bool = False,
    rng: np.random.Generator | None = None,
    eps: float = 1e-5,
) -> Norm | None:
    """The normalization layer ``spec`` names (None for "none"); ``fast`` picks
    ``FastBatchNorm1d`` for "bn"; "noisy-bn" draws its noise from ``rng``; ``eps`` is
    every kind's ε in 1/sqrt(σ² + ε)."""
    kind, groups = parse_norm(spec)
    if kind == "bn":
        cls = FastBatchNorm1d if fast else BatchNorm1d
        return cls(num_features, eps=eps, momentum=momentum, dtype=dtype, name=name)
    if kind == "ln":
        return LayerNorm(num_features, eps=eps, dtype=dtype, name=name)
    if kind == "gn":
        assert groups is not None
        return GroupNorm(groups, num_features, eps=eps, dtype=dtype, name=name)
    if kind == "brn":
        return BatchRenorm1d(num_features, eps=eps, momentum=momentum, dtype=dtype, name=name)
    if kind == "noisy-bn":
        if rng is None:
            raise NNError("noisy-bn needs a random generator for its noise")
        return NoisyBatchNorm1d(
            num_features, eps=eps, momentum=momentum, dtype=dtype, name=name, rng=rng
        )
    return None
