"""Optimizers (SGD, momentum, Adam) and the max-norm constraint.

State is keyed by the ``Parameter`` object itself (weakly: a parameter dropped from the
network takes its state with it). A parameter that survives a structural change keeps
its state; a new one starts fresh; ``reset`` drops state on demand.
"""

from __future__ import annotations

import math
import weakref

import numpy as np

from bntui.nn.fast import PackedParameters
from bntui.nn.layers import Parameter
from bntui.nn.names import OPTIMIZER_NAMES
from bntui.nn.nn_error import NNError


def _check_lr(lr: float) -> float:
    try:
        value = float(lr)
    except (TypeError, ValueError):
        raise NNError(f"learning rate must be a number, got {lr!r}") from None
    if not (math.isfinite(value) and value > 0.0):
        raise NNError(f"learning rate must be a finite number > 0, got {lr!r}")
    return value


class Optimizer:
    """Base class: a learning rate and per-parameter state.

    ``step`` takes a list of parameters, or a ``PackedParameters`` that optimizers with a
    packed form (SGD, momentum) update with a few whole-buffer operations.
    """

    name = "base"

    def __init__(self, lr: float) -> None:
        self.lr = lr
        self.state: weakref.WeakKeyDictionary[Parameter, dict] = weakref.WeakKeyDictionary()
        self._generation = 0

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        # stored as a Python float: multiplying float32 arrays by it stays float32
        self._lr = _check_lr(value)

    def _state(self, p: Parameter) -> dict:
        """The state of ``p``; fresh if missing or if the parameter changed shape/dtype."""
        st = self.state.get(p)
        if st is None or st.get("_shape") != (p.data.shape, p.data.dtype):
            st = {"_shape": (p.data.shape, p.data.dtype)}
            self.state[p] = st
        return st

    def step(self, params: list[Parameter] | PackedParameters) -> None:
        """Update every parameter in place from its ``.grad``."""
        if isinstance(params, PackedParameters):
            if params.intact() and self._step_packed(params):
                return
            params = list(params.params)
        for p in params:
            self._update(p)

    def _step_packed(self, packed: PackedParameters) -> bool:
        """Update all packed parameters at once; False if this optimizer has no packed form."""
        return False

    def _update(self, p: Parameter) -> None:
        raise NotImplementedError

    def delta(self, p: Parameter) -> np.ndarray:
        """What ``step`` would subtract from ``p.data`` now (from ``p.grad`` and this
        optimizer's state), changing nothing: the actual update, for ICS (Santurkar et al.
        Def. 2.1). The same float arithmetic as ``step``'s per-parameter path."""
        raise NotImplementedError

    def reset(self, params: list[Parameter] | None = None) -> None:
        """Forget the state of these parameters (all when None)."""
        self._generation += 1  # packed state (see Momentum) is rebuilt from self.state
        if params is None:
            self.state.clear()
            return
        for p in params:
            self.state.pop(p, None)


class SGD(Optimizer):
    """w <- w - lr * g."""

    name = "sgd"

    def _update(self, p: Parameter) -> None:
        p.data -= self.lr * p.grad

    def delta(self, p: Parameter) -> np.ndarray:
        return self.lr * p.grad

    def _step_packed(self, packed: PackedParameters) -> bool:
        # w <- w - lr * g for every parameter at once (the same float32 arithmetic)
        np.multiply(packed.grad, self.lr, out=packed.tmp)
        packed.data -= packed.tmp
        return True


class Momentum(Optimizer):
    """SGD with momentum, PyTorch form: v <- mu v + g;  w <- w - lr v.

    With a constant lr this equals the DLFS form (v <- mu v - lr g; w <- w + v) up to the
    factor lr in v; in this form a new lr takes effect at once.
    """

    name = "momentum"

    def __init__(self, lr: float, momentum: float = 0.9) -> None:
        super().__init__(lr)
        if not (isinstance(momentum, int | float | np.floating) and 0.0 <= momentum < 1.0):
            raise NNError(f"momentum must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)

    def _update(self, p: Parameter) -> None:
        st = self._state(p)
        v = st.get("v")
        if v is None:
            v = st["v"] = p.grad.copy()  # first step: v = g (PyTorch)
        else:
            v *= self.momentum  # v = mu v + g
            v += p.grad
        p.data -= self.lr * v

    def delta(self, p: Parameter) -> np.ndarray:
        st = self.state.get(p)
        v = None if st is None or st.get("_shape") != (p.data.shape, p.data.dtype) else st.get("v")
        if v is None:
            return self.lr * p.grad  # first step: v = g
        return self.lr * (v * self.momentum + p.grad)

    def _packed_velocity(self, packed: PackedParameters) -> np.ndarray:
        """One velocity buffer laid out like ``packed``; each parameter's state["v"] is a view.

        Rebuilt (from the per-parameter state) when the packing or the state changed. A
        parameter without velocity gets v = 0, so its first step gives v = mu 0 + g = g.
        """
        key = (id(packed), self._generation)
        cached = getattr(self, "_pv", None)
        if cached is not None and cached[0] == key and cached[1]() is packed:
            return cached[2]
        vbuf = np.zeros_like(packed.data)
        for p, sl in zip(packed.params, packed.slices, strict=True):
            old = self.state.get(p)
            view = vbuf[sl].reshape(p.data.shape)
            if old is not None and old.get("_shape") == (p.data.shape, p.data.dtype):
                v = old.get("v")
                if v is not None:
                    view[...] = v
            self.state[p] = {"_shape": (p.data.shape, p.data.dtype), "v": view}
        self._pv = (key, weakref.ref(packed), vbuf)
        return vbuf

    def _step_packed(self, packed: PackedParameters) -> bool:
        v = self._packed_velocity(packed)
        v *= self.momentum  # v = mu v + g
        v += packed.grad
        np.multiply(v, self.lr, out=packed.tmp)  # w = w - lr v
        packed.data -= packed.tmp
        return True


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction and a step count per parameter.

    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  t <- t + 1
    w <- w - lr * m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)
    """

    name = "adam"

    def __init__(
        self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> None:
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def _update(self, p: Parameter) -> None:
        st = self._state(p)
        if "m" not in st:
            st["m"] = np.zeros_like(p.data)
            st["v"] = np.zeros_like(p.data)
            st["t"] = 0
        m, v = st["m"], st["v"]
        st["t"] = t = st["t"] + 1
        b1, b2 = self.beta1, self.beta2
        m *= b1  # m = b1 m + (1 - b1) g
        m += (1.0 - b1) * p.grad
        v *= b2  # v = b2 v + (1 - b2) g^2
        v += (1.0 - b2) * (p.grad * p.grad)
        bc1 = 1.0 - b1**t  # bias corrections (Python floats)
        bc2 = 1.0 - b2**t
        denom = np.sqrt(v)  # sqrt(v_hat) + eps = sqrt(v) / sqrt(bc2) + eps
        denom *= 1.0 / math.sqrt(bc2)
        denom += self.eps
        p.data -= (self.lr / bc1) * m / denom  # lr * m_hat / (sqrt(v_hat) + eps)

    def delta(self, p: Parameter) -> np.ndarray:
        st = self.state.get(p)
        fresh = st is None or st.get("_shape") != (p.data.shape, p.data.dtype) or "m" not in st
        zero = np.zeros_like(p.data)
        m0, v0, t0 = (zero, zero, 0) if fresh else (st["m"], st["v"], st["t"])
        b1, b2 = self.beta1, self.beta2
        m = m0 * b1
        m += (1.0 - b1) * p.grad
        v = v0 * b2
        v += (1.0 - b2) * (p.grad * p.grad)
        t = t0 + 1
        denom = np.sqrt(v)
        denom *= 1.0 / math.sqrt(1.0 - b2**t)
        denom += self.eps
        return (self.lr / (1.0 - b1**t)) * m / denom


# the names come from bntui.nn.names (the one list); zip(strict) fails if they drift apart
OPTIMIZERS: dict[str, type[Optimizer]] = dict(
    zip(OPTIMIZER_NAMES, (SGD, Momentum, Adam), strict=True)
)


def make_optimizer(name: str, lr: float, *, momentum: float = 0.9) -> Optimizer:
    """An optimizer by name: "sgd", "momentum" (uses ``momentum``) or "adam"."""
    if name == "sgd":
        return SGD(lr)
    if name == "momentum":
        return Momentum(lr, momentum)
    if name == "adam":
        return Adam(lr)
    raise NNError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")


def apply_max_norm(W: np.ndarray | Parameter, c: float) -> None:
    """Rescale, in place, each column of W (one unit's incoming weights) to norm <= c."""
    data = W.data if isinstance(W, Parameter) else W
    if not isinstance(data, np.ndarray) or data.ndim != 2:
        raise NNError("apply_max_norm: W must be a 2-D weight matrix")
    if not (math.isfinite(c) and c > 0):
        raise NNError(f"apply_max_norm: c must be a finite number > 0, got {c}")
    norms = np.sqrt(np.sum(data * data, axis=0))  # ||w_j|| per column j
    # scale_j = min(1, c / ||w_j||); the tiny floor avoids 0/0 for an all-zero column
    scale = np.minimum(1.0, float(c) / np.maximum(norms, np.finfo(data.dtype).tiny))
    data *= scale
