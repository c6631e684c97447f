"""Activation layers: one class each, ``forward`` and ``backward`` side by side.

The formulas are in ``bntui.nn.functional``; a layer keeps what its backward needs.
"""

from __future__ import annotations

import difflib

import numpy as np

from bntui.nn import functional as F
from bntui.nn.names import ACTIVATION_NAMES
from bntui.nn.nn_error import NNError

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


# the names come from bntui.nn.names (the one list); zip(strict) fails if they drift apart
ACTIVATIONS: dict[str, type] = dict(
    zip(ACTIVATION_NAMES, (Sigmoid, Tanh, ReLU, LeakyReLU, ELU, GELU, Identity), strict=True)
)


def make_activation(name: str) -> Sigmoid | Tanh | ReLU | LeakyReLU | ELU | GELU | Identity:
    """A fresh activation layer by name (see ``ACTIVATIONS``); unknown names raise NNError."""
    cls = ACTIVATIONS.get(name) if isinstance(name, str) else None
    if cls is None:
        close = difflib.get_close_matches(str(name), list(ACTIVATIONS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise NNError(f"unknown activation {name!r}{hint}; choose from {', '.join(ACTIVATIONS)}")
    return cls()
