"""Layers: one class each, ``forward`` and ``backward`` side by side.

In the style of "Deep Learning from Scratch" (``common/layers.py``): a layer keeps what
its backward pass needs from the last forward pass, and stores the gradients of its
parameters in ``Parameter.grad``.
"""

from __future__ import annotations

import difflib
import math

import numpy as np

from bntui.nn import functional as F
from bntui.nn.errors import NNError

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


_ONES: dict[tuple[int, np.dtype], np.ndarray] = {}


def _ones(n: int, dtype: np.dtype) -> np.ndarray:
    """A read-only vector of n ones: ``ones @ a`` sums the rows of ``a`` in one BLAS call
    (several times cheaper than ``a.sum(axis=0)`` on the small arrays of this lab)."""
    v = _ONES.get((n, dtype))
    if v is None:
        if len(_ONES) > 64:
            _ONES.clear()
        v = np.ones(n, dtype)
        v.flags.writeable = False
        _ONES[n, dtype] = v
    return v


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
        self.x = x
        out = np.dot(x, self.W.data)  # out = x W (np.dot: less call overhead than @)
        if self.b is not None:
            out += self.b.data  # + b (broadcast over the batch)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        if self.x is None:
            raise NNError("Linear.backward called before forward")
        try:  # dL/dW = x^T dout (np.dot needs an exactly matching output: else matmul)
            np.dot(self.x.T, dout, out=self.W.grad)
        except ValueError:
            np.matmul(self.x.T, dout, out=self.W.grad)
        if self.b is not None:
            g = self.b.grad
            if dout.dtype == g.dtype:  # dL/db = sum over the batch of dout (= ones^T dout)
                np.dot(_ones(dout.shape[0], g.dtype), dout, out=g)
            else:  # (mixed dtypes)
                np.add.reduce(dout, axis=0, out=g)
        if not self.need_dx:
            return None
        return np.dot(dout, self.W.data.T)  # dL/dx = dout W^T


# --------------------------------------------------------------------------- BatchNorm1d


class BatchNorm1d:
    """Batch normalization over the features of an (N, D) input, PyTorch semantics.

    Train mode normalizes with the batch mean and *biased* batch variance and updates
    ``running = (1 - momentum) * running + momentum * batch_stat``, storing the
    *unbiased* variance (times N / (N - 1)) in ``running_var``. Eval mode normalizes with
    the running statistics. Running stats start at mean 0, variance 1.

    A batch of one sample in train mode: the variance is 0, so x - mean = 0 and the output
    is exactly ``beta`` (no NaN). The unbiased variance is undefined for N = 1 (PyTorch
    raises), so that update leaves ``running_var`` unchanged; ``running_mean`` is updated.
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
        dt = check_dtype(dtype)
        if isinstance(num_features, bool) or not isinstance(num_features, int | np.integer):
            raise NNError(f"BatchNorm1d: num_features must be a whole number, got {num_features!r}")
        if num_features < 1:
            raise NNError(f"BatchNorm1d: num_features must be >= 1, got {num_features}")
        if not (isinstance(momentum, int | float | np.floating) and 0.0 < momentum <= 1.0):
            raise NNError(f"BatchNorm1d: momentum must be in (0, 1], got {momentum!r}")
        if not (isinstance(eps, int | float | np.floating) and eps > 0.0):
            raise NNError(f"BatchNorm1d: eps must be > 0, got {eps!r}")
        self.num_features = num_features
        self.eps = float(eps)
        self.momentum = float(momentum)
        self.name = name
        self.gamma = Parameter(_pname(name, "gamma"), np.ones(num_features, dt))
        self.beta = Parameter(_pname(name, "beta"), np.zeros(num_features, dt))
        # running mean (row 0) and variance (row 1) side by side: one update for both
        self._running = np.empty((2, num_features), dt)
        self._running[0] = 0.0
        self._running[1] = 1.0
        self.training = True
        self._cache: F.BNCache | None = None
        self._eval_cache: tuple[np.ndarray, np.ndarray] | None = None
        self._coef: tuple[int, float, np.ndarray] | None = None  # (N, momentum, [[m], [m N/(N-1)]])
        self._buf: tuple | None = None  # (x shape, 1/N vector, (2, D) stats, (N, D) scratch)

    @property
    def running_mean(self) -> np.ndarray:
        """Running mean of the batch means, (D,) (a view: in-place edits stick)."""
        return self._running[0]

    @running_mean.setter
    def running_mean(self, value: np.ndarray) -> None:
        self._set_running(np.asarray(value), self._running[1])

    @property
    def running_var(self) -> np.ndarray:
        """Running mean of the unbiased batch variances, (D,) (a view)."""
        return self._running[1]

    @running_var.setter
    def running_var(self, value: np.ndarray) -> None:
        self._set_running(self._running[0], np.asarray(value))

    def _set_running(self, mean: np.ndarray, var: np.ndarray) -> None:
        if mean.shape != (self.num_features,) or var.shape != (self.num_features,):
            raise NNError(
                f"BatchNorm1d {self.name}: running statistics must have shape "
                f"({self.num_features},), got {mean.shape} and {var.shape}"
            )
        dt = np.result_type(mean.dtype, var.dtype)
        self._running = np.stack([mean.astype(dt), var.astype(dt)])

    def train(self) -> None:
        self.training = True

    def eval(self) -> None:
        self.training = False

    def parameters(self) -> list[Parameter]:
        return [self.gamma, self.beta]

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_input(x, self.num_features, f"BatchNorm1d {self.name}".rstrip())
        if not self.training:
            out, xhat, invstd = F.batchnorm_eval_forward(
                x, self.gamma.data, self.beta.data, self.running_mean, self.running_var, self.eps
            )
            self._eval_cache, self._cache = (xhat, invstd), None
            return out
        n = x.shape[0]
        if n < 2 or x.dtype != self._running.dtype:
            return self._forward_reference(x)
        # F.batchnorm_forward's formulas; the batch sums are BLAS products with a vector of
        # 1/N (one call instead of sum + scale), mean and variance are written into one
        # (2, D) array so the running averages of both update in three operations, and the
        # temporaries live in buffers kept while the batch shape stays the same
        buf = self._buf
        if buf is None or buf[0] != x.shape or buf[1].dtype != x.dtype:
            d = x.shape[1]
            invn = np.full(n, 1.0 / n, x.dtype)
            buf = self._buf = (x.shape, invn, np.empty((2, d), x.dtype), np.empty_like(x))
        _, invn, stats, sq = buf
        mean, var = stats[0], stats[1]
        np.dot(invn, x, out=mean)  # mu_B = 1/N sum_i x_i
        xhat = x - mean  # x_i - mu_B
        np.multiply(xhat, xhat, out=sq)
        np.dot(invn, sq, out=var)  # sigma_B^2 = 1/N sum_i (x_i - mu_B)^2 (biased)
        invstd = var + self.eps
        np.sqrt(invstd, out=invstd)
        np.reciprocal(invstd, out=invstd)  # 1 / sqrt(sigma_B^2 + eps)
        xhat *= invstd  # xhat = (x - mu_B) / sqrt(sigma_B^2 + eps)
        gamma = self.gamma.data
        out = xhat * gamma  # y = gamma * xhat + beta
        out += self.beta.data
        self._cache, self._eval_cache = F.BNCache(xhat, gamma, invstd, mean, var), None
        # running = (1 - m) running + m [batch_mean, unbiased_var], unbiased = var N/(N-1)
        m = self.momentum
        coef = self._coef
        if coef is None or coef[0] != n or coef[1] != m or coef[2].dtype != stats.dtype:
            c = np.array([[m], [m * n / (n - 1)]], dtype=stats.dtype)
            coef = self._coef = (n, m, c)
        self._running *= 1.0 - m
        stats *= coef[2]  # (the cache's mean/var are views of stats: used no more)
        self._running += stats
        return out

    def _forward_reference(self, x: np.ndarray) -> np.ndarray:
        """Train-mode forward through ``F.batchnorm_forward`` (any N, any dtype)."""
        out, cache = F.batchnorm_forward(x, self.gamma.data, self.beta.data, self.eps)
        self._cache, self._eval_cache = cache, None
        m = self.momentum
        n = x.shape[0]
        # running_mean = (1 - m) * running_mean + m * batch_mean
        self.running_mean *= 1.0 - m
        self.running_mean += m * cache.mean
        if n > 1:
            # running_var = (1 - m) * running_var + m * unbiased_var, unbiased = var * N/(N-1)
            self.running_var *= 1.0 - m
            self.running_var += (m * n / (n - 1)) * cache.var
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self._cache is not None:
            if dout.shape != self._cache.xhat.shape or dout.dtype != self.gamma.grad.dtype:
                dx, dgamma, dbeta = F.batchnorm_backward(dout, self._cache)
            else:
                return self._backward_fused(dout, self._cache)
        elif self._eval_cache is not None:
            # fixed statistics: y = gamma * (x - mu) * invstd + beta is elementwise
            xhat, invstd = self._eval_cache
            dbeta = dout.sum(axis=0)
            dgamma = np.sum(dout * xhat, axis=0)
            dx = dout * (self.gamma.data * invstd)  # dL/dx = dout * gamma * invstd
        else:
            raise NNError("BatchNorm1d.backward called before forward")
        self.gamma.grad[...] = dgamma
        self.beta.grad[...] = dbeta
        return dx

    def _backward_fused(self, dout: np.ndarray, cache: F.BNCache) -> np.ndarray:
        """``F.batchnorm_backward`` with the sums written straight into the grads."""
        xhat, n = cache.xhat, dout.shape[0]
        buf = self._buf
        if buf is None or buf[0] != dout.shape:  # (only the reference forward ran)
            buf = (dout.shape, None, None, np.empty_like(dout))
        ones = _ones(n, dout.dtype)
        dbeta = np.dot(ones, dout, out=self.beta.grad)  # sum_i dout_i
        t = np.multiply(dout, xhat, out=buf[3])
        dgamma = np.dot(ones, t, out=self.gamma.grad)  # sum_i dout_i * xhat_i
        # dx = gamma invstd / N (N dout - sum(dout) - xhat sum(dout xhat))
        dx = xhat * (dgamma * (-1.0 / n))
        dx += dout
        dx -= dbeta * (1.0 / n)
        dx *= cache.gamma * cache.invstd
        return dx


# --------------------------------------------------------------------------- activations


class Sigmoid:
    """sigmoid(x) = 1 / (1 + exp(-x)); no overflow warning for large |x|."""

    name = "sigmoid"

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = F.sigmoid(x)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return F.sigmoid_backward(dout, self.out)  # s (1 - s)


class Tanh:
    """tanh(x)."""

    name = "tanh"

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return F.tanh_backward(dout, self.out)  # 1 - tanh^2


class ReLU:
    """max(x, 0)."""

    name = "relu"

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return F.relu(x)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return F.relu_backward(dout, self.x)  # 1 where x > 0


class LeakyReLU:
    """x for x > 0, 0.01 x otherwise."""

    name = "leaky_relu"
    slope = 0.01

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return F.leaky_relu(x, self.slope)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return F.leaky_relu_backward(dout, self.x, self.slope)  # 1 or slope


class ELU:
    """x for x > 0, alpha (exp(x) - 1) otherwise, alpha = 1."""

    name = "elu"
    alpha = 1.0

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        self.out = F.elu(x, self.alpha)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return F.elu_backward(dout, self.x, self.out, self.alpha)  # 1 or out + alpha


class GELU:
    """GELU with the tanh approximation, as PyTorch ``nn.GELU(approximate='tanh')``:
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""

    name = "gelu"

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return F.gelu(x)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return F.gelu_backward(dout, self.x)


class Identity:
    """f(x) = x (a linear network: depth adds nothing but parameters)."""

    name = "identity"

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout


ACTIVATIONS: dict[str, type] = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "elu": ELU,
    "gelu": GELU,
    "identity": Identity,
}


def make_activation(name: str) -> Sigmoid | Tanh | ReLU | LeakyReLU | ELU | GELU | Identity:
    """A fresh activation layer by name (see ``ACTIVATIONS``); unknown names raise NNError."""
    cls = ACTIVATIONS.get(name) if isinstance(name, str) else None
    if cls is None:
        close = difflib.get_close_matches(str(name), list(ACTIVATIONS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise NNError(f"unknown activation {name!r}{hint}; choose from {', '.join(ACTIVATIONS)}")
    return cls()


# --------------------------------------------------------------------------- Dropout


class Dropout:
    """Inverted dropout: in training, zero each unit with probability p and scale the
    survivors by 1 / (1 - p), so eval mode is the identity.

    Set ``fixed_mask`` (an array of the input's shape, already scaled) to replace the
    random draw, e.g. for gradient checks; ``mask`` holds the mask of the last forward.
    """

    def __init__(self, p: float, rng: np.random.Generator) -> None:
        self.p = self._check_p(p)
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
            self.mask *= 1.0 / (1.0 - self.p)  # inverted scaling keeps E[out] = x
        return x * self.mask

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self.mask is None:
            return dout
        return dout * self.mask  # the same units are dropped on the way back
