"""Layers: one class each, ``forward`` and ``backward`` side by side.

In the style of "Deep Learning from Scratch" (``common/layers.py``): a layer keeps what
its backward pass needs from the last forward pass, and stores the gradients of its
parameters in ``Parameter.grad``.
"""

from __future__ import annotations

import math

import numpy as np

from bntui.nn import functional as F
from bntui.nn.activation_layers import (  # noqa: F401 (re-exported: the layers of the net)
    ACTIVATIONS,
    ELU,
    GELU,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Tanh,
    make_activation,
)
from bntui.nn.names import DROPOUT_STYLES
from bntui.nn.nn_error import NNError

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_dtype(dtype: object) -> np.dtype:
    """``np.float32`` or ``np.float64`` as a ``np.dtype``; anything else raises NNError."""
    try:
        dt = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError:
        raise NNError(f"dtype must be float32 or float64, got {dtype!r}") from None
    if dt not in FLOAT_DTYPES:
        raise NNError(f"dtype must be float32 or float64, got {dt}")
    return dt


def _check_input(x: np.ndarray, features: int, where: str) -> None:
    if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[1] != features:
        shape = getattr(x, "shape", type(x).__name__)
        raise NNError(f"{where}: input must be an array of shape (N, {features}), got {shape}")


class Parameter:
    """A learnable array and its gradient (same shape and dtype).

    Compared and hashed by identity, so optimizers can key their state by the object.
    """

    __slots__ = ("__weakref__", "data", "grad", "name")

    def __init__(self, name: str, data: np.ndarray) -> None:
        self.name: str = name
        self.data: np.ndarray = data
        self.grad: np.ndarray = np.zeros_like(data)

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, shape={self.data.shape}, dtype={self.data.dtype})"


def check_features(where: str, n: object) -> int:
    """A whole number of features >= 1, or NNError naming ``where``."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise NNError(f"{where}: num_features must be a whole number, got {n!r}")
    if n < 1:
        raise NNError(f"{where}: num_features must be >= 1, got {n}")
    return int(n)


def check_eps(where: str, eps: object) -> float:
    """eps > 0 as a float, or NNError naming ``where``."""
    if isinstance(eps, bool) or not (isinstance(eps, int | float | np.floating) and eps > 0.0):
        raise NNError(f"{where}: eps must be > 0, got {eps!r}")
    return float(eps)


def _pname(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


# --------------------------------------------------------------------------- Linear


class Linear:
    """Fully connected layer ``out = x @ W + b`` with W of shape (in, out), as in DLFS.

    ``bias=False`` when a BatchNorm follows (BN's beta does the shifting, and the batch
    mean would cancel b anyway). ``need_dx=False`` for the first layer: nobody needs the
    gradient with respect to the data, so ``backward`` skips that matrix product.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        weight: np.ndarray,
        bias: bool = True,
        need_dx: bool = True,
        name: str = "",
    ) -> None:
        if not isinstance(weight, np.ndarray) or weight.shape != (in_features, out_features):
            shape = getattr(weight, "shape", type(weight).__name__)
            raise NNError(
                f"Linear: weight must have shape ({in_features}, {out_features}), got {shape}"
            )
        check_dtype(weight.dtype)
        self.in_features = in_features
        self.out_features = out_features
        self.name = name
        self.need_dx = need_dx
        self.W = Parameter(_pname(name, "W"), weight)
        self.b: Parameter | None = None
        if bias:
            self.set_bias(True)
        self.x: np.ndarray | None = None

    def set_bias(self, on: bool) -> Parameter | None:
        """Add a zero bias (returned) or remove the bias; no-op if already so."""
        if on and self.b is None:
            self.b = Parameter(
                _pname(self.name, "b"), np.zeros(self.out_features, self.W.data.dtype)
            )
            return self.b
        if not on:
            self.b = None
        return None

    def parameters(self) -> list[Parameter]:
        return [self.W] if self.b is None else [self.W, self.b]

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_input(x, self.in_features, f"Linear {self.name}".rstrip())
        self.x = x  # kept for backward: dL/dW = x^T dout
        b = None if self.b is None else self.b.data
        return F.linear_forward(x, self.W.data, b)  # out = x W + b

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        if self.x is None:
            raise NNError("Linear.backward called before forward")
        dx, dW, db = F.linear_backward(dout, self.x, self.W.data, need_dx=self.need_dx)
        self.W.grad[...] = dW  # written in place: the grad array stays the same object
        if self.b is not None:
            self.b.grad[...] = db
        return dx


# --------------------------------------------------------------------------- BatchNorm1d


class AffineNorm:
    """What every normalization layer shares: per-feature ``gamma`` (1) and ``beta`` (0),
    ``eps``, a train/eval switch, and a fresh copy of itself at another width."""

    def __init__(self, num_features: int, eps: float, dtype: type | np.dtype, name: str) -> None:
        dt = check_dtype(dtype)
        self.num_features = check_features(type(self).__name__, num_features)
        self.eps = check_eps(type(self).__name__, eps)
        self.name = name
        self.gamma = Parameter(_pname(name, "gamma"), np.ones(num_features, dt))
        self.beta = Parameter(_pname(name, "beta"), np.zeros(num_features, dt))
        self.training = True

    def train(self) -> None:
        self.training = True

    def eval(self) -> None:
        self.training = False

    def parameters(self) -> list[Parameter]:
        return [self.gamma, self.beta]

    def fresh(self, num_features: int) -> AffineNorm:
        """A new layer of this kind and these settings, ``num_features`` wide."""
        raise NotImplementedError

    def resized(self, num_features: int) -> AffineNorm:
        """A fresh layer of the new width holding the overlapping features' gamma, beta."""
        new = self.fresh(num_features)
        c = min(self.num_features, num_features)
        new.gamma.data[:c] = self.gamma.data[:c]
        new.beta.data[:c] = self.beta.data[:c]
        return new


class BatchNorm1d(AffineNorm):
    """Batch normalization over the features of an (N, D) input, PyTorch semantics.

    Train mode normalizes with the batch mean and *biased* batch variance and updates
    ``running = (1 - momentum) * running + momentum * batch_stat``, storing the
    *unbiased* variance (times N / (N - 1)) in ``running_var``. Eval mode normalizes with
    the running statistics. Running stats start at mean 0, variance 1.

    A batch of one sample in train mode: the variance is 0, so x - mean = 0 and the output
    is exactly ``beta`` (no NaN). The unbiased variance is undefined for N = 1 (PyTorch
    raises), so that update leaves ``running_var`` unchanged; ``running_mean`` is updated.

    The textbook form: every line below is a formula of ``bntui.nn.functional``. The
    session trains with ``bntui.nn.fast.FastBatchNorm1d`` (same results, fewer passes).
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        dtype: type | np.dtype = np.float32,
        *,
        name: str = "",
    ) -> None:
        super().__init__(num_features, eps, dtype, name)
        if not (isinstance(momentum, int | float | np.floating) and 0.0 < momentum <= 1.0):
            raise NNError(f"{type(self).__name__}: momentum must be in (0, 1], got {momentum!r}")
        self.momentum = float(momentum)
        dt = self.gamma.data.dtype
        self.running_mean: np.ndarray = np.zeros(num_features, dt)  # starts at 0
        self.running_var: np.ndarray = np.ones(num_features, dt)  # starts at 1
        self._cache: F.BNCache | None = None  # train mode: what backward needs
        self._eval_cache: tuple[np.ndarray, np.ndarray] | None = None  # eval: (xhat, invstd)

    def fresh(self, num_features: int) -> BatchNorm1d:
        """A new layer of this kind and these settings (gamma 1, beta 0, running 0/1)."""
        return type(self)(
            num_features, self.eps, self.momentum, self.gamma.data.dtype, name=self.name
        )

    def resized(self, num_features: int) -> BatchNorm1d:
        """A fresh layer of the new width holding the overlapping features' parameters and
        running statistics."""
        new = super().resized(num_features)
        assert isinstance(new, BatchNorm1d)
        c = min(self.num_features, num_features)
        new.running_mean[:c] = self.running_mean[:c]
        new.running_var[:c] = self.running_var[:c]
        return new

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_input(x, self.num_features, f"{type(self).__name__} {self.name}".rstrip())
        gamma, beta = self.gamma.data, self.beta.data
        if not self.training:
            # y = gamma (x - running_mean) / sqrt(running_var + eps) + beta
            out, xhat, invstd = F.batchnorm_eval_forward(
                x, gamma, beta, self.running_mean, self.running_var, self.eps
            )
            self._eval_cache, self._cache = (xhat, invstd), None
            return out
        # mu_B, sigma_B^2 (biased), xhat = (x - mu_B) / sqrt(sigma_B^2 + eps), gamma xhat + beta
        out, cache = F.batchnorm_forward(x, gamma, beta, self.eps)
        self._cache, self._eval_cache = cache, None
        # running = (1 - momentum) running + momentum [mu_B, sigma_B^2 N / (N - 1)]
        F.batchnorm_running_update(
            self.running_mean, self.running_var, cache.mean, cache.var, x.shape[0], self.momentum
        )
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self._cache is not None:
            dx, dgamma, dbeta = F.batchnorm_backward(dout, self._cache)
        elif self._eval_cache is not None:
            dx, dgamma, dbeta = F.batchnorm_eval_backward(
                dout, self._eval_cache[0], self.gamma.data, self._eval_cache[1]
            )
        else:
            raise NNError(f"{type(self).__name__}.backward called before forward")
        self.gamma.grad[...] = dgamma
        self.beta.grad[...] = dbeta
        return dx


# --------------------------------------------------------------------------- Dropout


class Dropout:
    """Dropout: in training, zero each unit with probability p.

    ``style="inverted"`` (default, PyTorch's): the survivors are scaled by 1 / (1 - p) in
    training, so eval mode is the identity. ``style="scale-at-test"`` (DLFS
    ``common/layers.py``): training multiplies by the 0/1 mask alone and eval multiplies
    by (1 - p). Both give every unit the same expected output, E[train] = eval.

    Set ``fixed_mask`` (an array of the input's shape, already scaled) to replace the
    random draw, e.g. for gradient checks; ``mask`` holds the mask of the last forward.
    """

    def __init__(self, p: float, rng: np.random.Generator, style: str = "inverted") -> None:
        if style not in DROPOUT_STYLES:
            raise NNError(
                f"dropout style must be one of {', '.join(DROPOUT_STYLES)}, got {style!r}"
            )
        self.p = self._check_p(p)
        self.style = style
        self.rng = rng
        self.training = True
        self.fixed_mask: np.ndarray | None = None
        self.mask: np.ndarray | None = None

    @staticmethod
    def _check_p(p: float) -> float:
        try:
            value = float(p)
        except (TypeError, ValueError):
            value = math.nan
        if isinstance(p, bool) or not 0.0 <= value < 1.0:
            raise NNError(f"dropout p must be in [0, 1), got {p!r}")
        return value

    def set_p(self, p: float) -> None:
        self.p = self._check_p(p)

    def train(self) -> None:
        self.training = True

    def eval(self) -> None:
        self.training = False

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not self.training and self.style == "scale-at-test" and self.p:
            self.mask = None
            return x * x.dtype.type(1.0 - self.p)  # DLFS: x * (1 - dropout_ratio) at test
        if not self.training or (self.p == 0.0 and self.fixed_mask is None):
            self.mask = None
            return x
        if self.fixed_mask is not None:
            if self.fixed_mask.shape != x.shape:
                raise NNError(
                    f"Dropout: fixed_mask has shape {self.fixed_mask.shape}, input {x.shape}"
                )
            self.mask = self.fixed_mask
        else:
            keep = self.rng.random(x.shape, dtype=np.float32) >= self.p  # P(keep) = 1 - p
            self.mask = keep.astype(x.dtype)
            if self.style == "inverted":
                self.mask *= 1.0 / (1.0 - self.p)  # inverted scaling keeps E[out] = x
        return x * self.mask

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self.mask is None:
            if not self.training and self.style == "scale-at-test" and self.p:
                return dout * dout.dtype.type(1.0 - self.p)
            return dout
        return dout * self.mask  # the same units are dropped on the way back
