"""Activations: each pair forward(x) -> out, backward(dout, ...) -> dx."""

from __future__ import annotations

import math

import numpy as np

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
