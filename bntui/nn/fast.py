"""The fast path: the same layers with fused, buffered passes, and packed parameters.

The classes in ``layers.py`` are the textbook; these subclasses compute the same
formulas with fewer NumPy calls (the arrays of this lab are small, so per-call overhead
is most of the cost): batch sums as BLAS products with a vector of ones (or of 1/N),
gradients written straight into ``Parameter.grad``, temporaries kept between steps, and
the parameters of the whole net packed into one buffer so an optimizer updates them all
at once. The session builds its network with ``MLP(..., fast=True)``; tests pin every
fast pass to its textbook twin (bit for bit where the arithmetic is the same, else to
1e-12 in float64).
"""

from __future__ import annotations

import operator

import numpy as np

from bntui.nn.layers import BatchNorm1d, Linear, Parameter, _check_input
from bntui.nn.nn_error import NNError

_ONES: dict[tuple[int, np.dtype], np.ndarray] = {}


def ones(n: int, dtype: np.dtype) -> np.ndarray:
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


class FastLinear(Linear):
    """``Linear`` with np.dot (less call overhead than @) and grads written in place."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        _check_input(x, self.in_features, f"Linear {self.name}".rstrip())
        self.x = x
        out = np.dot(x, self.W.data)  # out = x W
        if self.b is not None:
            out += self.b.data  # + b
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
            if dout.dtype == g.dtype:  # dL/db = ones^T dout
                np.dot(ones(dout.shape[0], g.dtype), dout, out=g)
            else:  # (mixed dtypes)
                np.add.reduce(dout, axis=0, out=g)
        if not self.need_dx:
            return None
        return np.dot(dout, self.W.data.T)  # dL/dx = dout W^T


class FastBatchNorm1d(BatchNorm1d):
    """``BatchNorm1d`` with a buffered train pass and a fused backward.

    Mean and variance are BLAS products with a vector of 1/N written into one (2, D)
    array, next to the running mean and variance in another (2, D) array, so both
    running averages update in three operations. ``running_mean`` / ``running_var`` are
    views of that array (in-place edits stick; assigning replaces both rows' storage).
    Batches of one sample and eval mode take the textbook pass.
    """

    # per-layer state of the fast pass (class defaults: the base __init__ is unchanged)
    _running: np.ndarray | None = None  # [running_mean, running_var], (2, D)
    _coef: tuple[int, float, np.ndarray] | None = None  # (N, m, [[m], [m N/(N-1)]])
    _buf: tuple | None = None  # (x shape, 1/N vector, (2, D) stats, (N, D) scratch)
    _fast: tuple[np.ndarray, np.ndarray] | None = None  # (xhat, invstd) of the last pass

    @property  # type: ignore[override]
    def running_mean(self) -> np.ndarray:
        """Running mean of the batch means, (D,) (a view: in-place edits stick)."""
        assert self._running is not None
        return self._running[0]

    @running_mean.setter
    def running_mean(self, value: np.ndarray) -> None:
        r = self._running
        self._set_running(np.asarray(value), np.ones_like(value) if r is None else r[1])

    @property  # type: ignore[override]
    def running_var(self) -> np.ndarray:
        """Running mean of the unbiased batch variances, (D,) (a view)."""
        assert self._running is not None
        return self._running[1]

    @running_var.setter
    def running_var(self, value: np.ndarray) -> None:
        r = self._running
        self._set_running(np.zeros_like(value) if r is None else r[0], np.asarray(value))

    def _set_running(self, mean: np.ndarray, var: np.ndarray) -> None:
        if mean.shape != (self.num_features,) or var.shape != (self.num_features,):
            raise NNError(
                f"BatchNorm1d {self.name}: running statistics must have shape "
                f"({self.num_features},), got {mean.shape} and {var.shape}"
            )
        dt = np.result_type(mean.dtype, var.dtype)
        self._running = np.stack([mean.astype(dt), var.astype(dt)])

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._fast = None
        running = self._running
        assert running is not None
        if not self.training or not isinstance(x, np.ndarray) or x.ndim != 2:
            return super().forward(x)
        n = x.shape[0]
        if n < 2 or x.dtype != running.dtype:
            return super().forward(x)
        _check_input(x, self.num_features, f"BatchNorm1d {self.name}".rstrip())
        buf = self._buf
        if buf is None or buf[0] != x.shape or buf[1].dtype != x.dtype:
            invn = np.full(n, 1.0 / n, x.dtype)
            buf = self._buf = (x.shape, invn, np.empty((2, x.shape[1]), x.dtype), np.empty_like(x))
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
        out = xhat * self.gamma.data  # y = gamma * xhat + beta
        out += self.beta.data
        self._fast, self._cache, self._eval_cache = (xhat, invstd), None, None
        # running = (1 - m) running + m [batch_mean, unbiased_var], unbiased = var N/(N-1)
        m = self.momentum
        coef = self._coef
        if coef is None or coef[0] != n or coef[1] != m or coef[2].dtype != stats.dtype:
            c = np.array([[m], [m * n / (n - 1)]], dtype=stats.dtype)
            coef = self._coef = (n, m, c)
        running *= 1.0 - m
        stats *= coef[2]  # (mean and var are used no more)
        running += stats
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self._fast is None:
            return super().backward(dout)
        xhat, invstd = self._fast
        if dout.shape != xhat.shape:
            raise NNError(
                f"BatchNorm1d.backward: dout has shape {dout.shape}, expected {xhat.shape}"
            )
        dout = dout.astype(xhat.dtype, copy=False)  # computed in the layer's dtype
        n = dout.shape[0]
        scratch = self._buf[3] if self._buf is not None else np.empty_like(dout)
        one = ones(n, dout.dtype)
        dbeta = np.dot(one, dout, out=self.beta.grad)  # sum_i dout_i
        t = np.multiply(dout, xhat, out=scratch)
        dgamma = np.dot(one, t, out=self.gamma.grad)  # sum_i dout_i * xhat_i
        # dx = gamma invstd / N (N dout - sum(dout) - xhat sum(dout xhat)), 1/N on the sums
        dx = xhat * (dgamma * (-1.0 / n))
        dx += dout
        dx -= dbeta * (1.0 / n)
        dx *= self.gamma.data * invstd
        return dx


_DATA = operator.attrgetter("data")
_GRAD = operator.attrgetter("grad")


class PackedParameters:
    """Parameters whose ``.data`` (and ``.grad``) are *rebound* to views of one buffer.

    Packing replaces each ``p.data`` / ``p.grad`` by a view into ``self.data`` /
    ``self.grad`` holding the same values, so an optimizer can update every parameter
    with one NumPy call instead of one per array. The ``Parameter`` objects stay the
    same, but an array taken from ``p.data`` *before* packing is stale afterwards: it
    keeps the old values and no update reaches it (read ``p.data`` again; the tests show
    this). Code that writes gradients must write into ``p.grad`` in place (all layers do).
    ``intact()`` is False once anybody rebinds a parameter's array (e.g. a dtype change);
    an optimizer then falls back to updating parameter by parameter.
    """

    def __init__(self, params: list[Parameter]) -> None:
        if not params:
            raise NNError("PackedParameters needs at least one parameter")
        dt = params[0].data.dtype
        if any(p.data.dtype != dt or p.grad.dtype != dt for p in params):
            raise NNError("PackedParameters: all parameters must share one dtype")
        total = sum(p.data.size for p in params)
        self.params: tuple[Parameter, ...] = tuple(params)
        self.data = np.empty(total, dt)  # all parameters, back to back
        self.grad = np.empty(total, dt)  # their gradients, same layout
        self.tmp = np.empty(total, dt)  # scratch for the optimizer
        self.slices: list[slice] = []
        off = 0
        for p in params:
            sl = slice(off, off + p.data.size)
            off = sl.stop
            self.data[sl] = p.data.ravel()
            self.grad[sl] = p.grad.ravel()
            p.data = self.data[sl].reshape(p.data.shape)  # rebinding: see the class doc
            p.grad = self.grad[sl].reshape(p.grad.shape)
            self.slices.append(sl)
        self._datas = [p.data for p in params]
        self._grads = [p.grad for p in params]

    def intact(self) -> bool:
        """True while every parameter still uses its views into the buffers."""
        ps = self.params
        return all(map(operator.is_, map(_DATA, ps), self._datas)) and all(
            map(operator.is_, map(_GRAD, ps), self._grads)
        )
