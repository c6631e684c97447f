"""The multilayer perceptron the laboratory trains.

    input -> depth x (Linear -> [BN] -> act -> [Dropout]) -> Linear (head) -> softmax-CE

With ``bn_position="after"`` a block is Linear -> act -> BN -> [Dropout]. Depth 0 is
logistic regression (the head alone).

Structural edits (``set_bn``, ``add_layer``, ``set_width``, ...) live in ``edits.py``
(``MLPEdits``, mixed into ``MLP``): they keep what still fits and return the Parameters
that are new, so the caller can reset optimizer state for exactly those.

``fast=True`` (what the session uses) builds the layers of ``fast.py`` and lets the
optimizer update packed parameters; ``fast=False`` (the default) is the textbook path.
"""

from __future__ import annotations

import math

import numpy as np

from bntui.nn import functional as _F
from bntui.nn.activations import ReLU
from bntui.nn.block import Block
from bntui.nn.checks import (
    check_bn_momentum,
    check_int,
    check_penalty,
    check_position,
)
from bntui.nn.edits import MLPEdits
from bntui.nn.errors import NNError
from bntui.nn.fast import FastBatchNorm1d, FastLinear, PackedParameters
from bntui.nn.functional import softmax, softmax_cross_entropy
from bntui.nn.functional.activations import _zero
from bntui.nn.init import init_std, init_weight
from bntui.nn.layers import (
    BatchNorm1d,
    Dropout,
    Linear,
    Parameter,
    check_dtype,
    check_eps,
    make_activation,
)
from bntui.nn.names import BATCH_NORMS, BN_POSITIONS  # noqa: F401 (BN_POSITIONS re-exported)
from bntui.nn.norms import Norm, make_norm, parse_norm


class MLP(MLPEdits):
    """A classifier MLP in NumPy, float32 by default (float64 for gradient checks).

    ``rng`` draws the initial weights and is kept for re-initializing the head when
    depth drops to 0; ``dropout_rng`` draws dropout masks; ``noise_rng`` the noise of
    noisy BN. ``norm`` names the normalization ("bn", "ln", "gn", "gn:G", "brn",
    "noisy-bn", "none"); ``bn=True/False`` is an alias for "bn"/"none". ``fast`` picks the
    fused layers of ``fast.py`` (same results; see there) instead of the textbook ones.
    ``bn_eps`` is every normalization layer's ε; ``dropout_style`` is "inverted" or
    "scale-at-test" (see ``Dropout``).
    """

    def __init__(
        self,
        in_dim: int,
        n_classes: int,
        *,
        depth: int,
        width: int,
        activation: str = "relu",
        bn: bool | None = None,
        norm: str | None = None,
        bn_position: str = "before",
        bn_momentum: float = 0.1,
        dropout: float = 0.0,
        init: str = "he",
        dtype: type | np.dtype = np.float32,
        weight_decay: float = 0.0,
        l1: float = 0.0,
        rng: np.random.Generator,
        dropout_rng: np.random.Generator,
        noise_rng: np.random.Generator | None = None,
        fast: bool = False,
        bn_eps: float = 1e-5,
        dropout_style: str = "inverted",
    ) -> None:
        self._fast = bool(fast)
        self._in_dim = check_int("in_dim", in_dim, 1)
        self._n_classes = check_int("n_classes", n_classes, 2)
        depth = check_int("depth", depth, 0)
        self._width = check_int("width", width, 1)
        make_activation(activation)  # validates the name
        self._activation = activation
        if norm is None:
            norm = "bn" if bn is None or bn else "none"
        elif bn is not None and bool(bn) != (parse_norm(norm)[0] != "none"):
            raise NNError(f"bn={bn!r} contradicts norm={norm!r} (give one of them)")
        self._norm = self._check_norm(norm, self._width)
        # noisy BN's own stream (a fixed one if none is given: pass the session's)
        self._noise_rng = noise_rng if noise_rng is not None else np.random.default_rng(0)
        self._bn_position = check_position(bn_position)
        self._bn_momentum = check_bn_momentum(bn_momentum)
        self._dropout = Dropout._check_p(dropout)
        Dropout(0.0, dropout_rng, dropout_style)  # validates the style
        self._dropout_style = dropout_style
        self._bn_eps = check_eps("bn_eps", bn_eps)
        init_std(init, 1, 1)  # validates the spec
        self._init = init
        self._dtype = check_dtype(dtype)
        self._weight_decay = check_penalty("weight decay", weight_decay)
        self._l1 = check_penalty("l1", l1)
        self._rng = rng
        self._dropout_rng = dropout_rng
        self.blocks: list[Block] = [self._new_block(i + 1, rng) for i in range(depth)]
        self.head: Linear = self._new_head(rng)
        self.last_data_loss: float = math.nan
        self._dlogits: np.ndarray | None = None
        self._packed: PackedParameters | None = None

    # ------------------------------------------------------------------ readable settings
    @property
    def in_dim(self) -> int:
        return self._in_dim

    @property
    def n_classes(self) -> int:
        return self._n_classes

    @property
    def depth(self) -> int:
        return len(self.blocks)

    @property
    def width(self) -> int:
        return self._width

    @property
    def activation(self) -> str:
        return self._activation

    @property
    def bn(self) -> bool:
        """True when the normalization is plain batch normalization ("bn")."""
        return self._norm == "bn"

    @property
    def norm(self) -> str:
        """The normalization in use: "bn", "ln", "gn:G", "brn", "noisy-bn" or "none"."""
        return self._norm

    @staticmethod
    def _check_norm(spec: str, width: int) -> str:
        """The canonical name of a norm spec ("gn" -> "gn:4"); NNError if it is unknown or
        its groups do not divide ``width``."""
        kind, groups = parse_norm(spec)
        if groups is None:
            return kind
        _F.check_groups(groups, width)
        return f"gn:{groups}"

    @property
    def bn_position(self) -> str:
        return self._bn_position

    @property
    def bn_momentum(self) -> float:
        return self._bn_momentum

    @property
    def dropout(self) -> float:
        return self._dropout

    @property
    def dropout_style(self) -> str:
        return self._dropout_style

    @property
    def bn_eps(self) -> float:
        """ε of every normalization layer (1/sqrt(σ² + ε))."""
        return self._bn_eps

    @property
    def init(self) -> str:
        return self._init

    @property
    def weight_decay(self) -> float:
        return self._weight_decay

    @weight_decay.setter
    def weight_decay(self, value: float) -> None:
        # a plain number: safe to assign directly (also via set_weight_decay)
        self._weight_decay = check_penalty("weight decay", value)

    @property
    def l1(self) -> float:
        return self._l1

    @l1.setter
    def l1(self, value: float) -> None:
        self._l1 = check_penalty("l1", value)

    @property
    def dtype(self) -> np.dtype:
        return self._dtype

    # ------------------------------------------------------------------ construction
    def _new_linear(
        self, name: str, fan_in: int, fan_out: int, rng: np.random.Generator, *, bias: bool
    ) -> Linear:
        w = init_weight(self._init, fan_in, fan_out, rng, self._dtype)
        # the first Linear of the net never needs dL/dx (x is the data)
        first = name == "L1" or (name == "out" and not self.blocks)
        cls = FastLinear if self._fast else Linear
        return cls(fan_in, fan_out, weight=w, bias=bias, need_dx=not first, name=name)

    def _linear_bias(self) -> bool:
        # a Linear directly followed by BN needs no bias: BN subtracts the mean anyway
        # (a batch normalization subtracts the batch mean of each unit: b cancels out;
        # LN and GN subtract a per-sample mean over units, which does not cancel b)
        return not (self._norm in BATCH_NORMS and self._bn_position == "before")

    def _new_norm(self, name: str) -> Norm | None:
        """A fresh normalization layer of the network's kind (None for "none")."""
        return make_norm(
            self._norm,
            self._width,
            momentum=self._bn_momentum,
            dtype=self._dtype,
            name=name,
            fast=self._fast,
            rng=self._noise_rng,
            eps=self._bn_eps,
        )

    def _new_dropout(self) -> Dropout | None:
        if self._dropout == 0:
            return None
        return Dropout(self._dropout, self._dropout_rng, self._dropout_style)

    def _new_block(self, index: int, rng: np.random.Generator) -> Block:
        name = f"L{index}"
        fan_in = self._in_dim if index == 1 else self._width
        linear = self._new_linear(name, fan_in, self._width, rng, bias=self._linear_bias())
        return Block(
            name,
            linear,
            self._new_norm(name),
            make_activation(self._activation),
            self._new_dropout(),
            self._bn_position,
        )

    def _new_head(self, rng: np.random.Generator) -> Linear:
        fan_in = self._width if self.blocks else self._in_dim
        return self._new_linear("out", fan_in, self._n_classes, rng, bias=True)

    # ------------------------------------------------------------------ forward / backward
    def parameters(self) -> list[Parameter]:
        """All parameters: L1.W, [L1.b], [L1.gamma, L1.beta], ..., out.W, out.b."""
        ps: list[Parameter] = []
        for block in self.blocks:
            ps += block.parameters()
        return ps + self.head.parameters()

    def packed_parameters(self) -> PackedParameters:
        """All parameters packed into one buffer (grads into another), for ``Optimizer.step``.

        Packed on first use and again after any structural edit. Packing *rebinds* each
        parameter's ``.data`` / ``.grad`` to a view with the same values: an array read
        from ``p.data`` before the call is stale after it (see ``PackedParameters``).
        """
        packed = self._packed
        if packed is None or not packed.intact():
            packed = self._packed = PackedParameters(self.parameters())
        return packed

    @property
    def packed(self) -> PackedParameters | None:
        """The packed parameters when they are packed and intact, else None (nothing is
        packed by asking): one flat view of every parameter, in ``parameters()`` order."""
        packed = self._packed
        return packed if packed is not None and packed.intact() else None

    def optimizer_parameters(self) -> PackedParameters | list[Parameter]:
        """What ``Optimizer.step`` should get: the packed parameters on the fast path, the
        plain list (nothing rebound) on the textbook path."""
        return self.packed_parameters() if self._fast else self.parameters()

    @property
    def fast(self) -> bool:
        return self._fast

    def weights(self) -> list[Parameter]:
        """The Linear weight matrices (hidden and head): what the penalties act on."""
        return [b.linear.W for b in self.blocks] + [self.head.W]

    def forward(self, x: np.ndarray, *, train: bool) -> np.ndarray:
        """Logits for a batch; ``train`` switches BN batch statistics and dropout on."""
        if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[1] != self._in_dim:
            shape = getattr(x, "shape", type(x).__name__)
            raise NNError(f"MLP input must have shape (N, {self._in_dim}), got {shape}")
        if x.shape[0] < 1:
            raise NNError("MLP input is an empty batch")
        h = x.astype(self._dtype, copy=False)
        for block in self.blocks:
            block.set_training(train)
            h = block.forward(h)
        return self.head.forward(h)

    def eval_logits(self, x: np.ndarray, scratch: dict[tuple[int, int], np.ndarray]) -> np.ndarray:
        """Eval-mode logits of ``x``: ``forward(x, train=False)``'s arithmetic, bit for bit
        (a test pins it), for evaluation passes that need no backward.

        Each hidden layer's output is written into one of two arrays kept in ``scratch``
        (made on first use; pass the same dict for every chunk of a pass), and the bias,
        BN with running statistics and ReLU work in place on it: no new (N, width) array
        per layer and chunk. Other layers take their own eval forward. The result is a
        fresh array; the blocks are left in eval mode (``forward(train=True)`` resets them).
        """
        if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[1] != self._in_dim:
            shape = getattr(x, "shape", type(x).__name__)
            raise NNError(f"MLP input must have shape (N, {self._in_dim}), got {shape}")
        h = x.astype(self._dtype, copy=False)
        n = h.shape[0]
        for i, block in enumerate(self.blocks):
            block.set_training(False)
            lin, norm = block.linear, block.norm
            buf = scratch.get((i % 2, lin.out_features))
            if buf is None or buf.shape[0] < n or buf.dtype != self._dtype:
                buf = scratch[i % 2, lin.out_features] = np.empty(
                    (n, lin.out_features), self._dtype
                )
            z = buf[:n]
            try:
                np.dot(h, lin.W.data, out=z)  # z = h W
            except ValueError:  # (another dtype: np.dot needs an exactly matching output)
                z = np.dot(h, lin.W.data)
            if lin.b is not None:
                z += lin.b.data  # + b
            before = norm is not None and block.bn_position == "before"
            if before:
                z = _eval_norm(norm, z)
            if isinstance(block.act, ReLU) and z.dtype == self._dtype:
                np.maximum(z, _zero(z.dtype), out=z)  # relu, in place
            else:
                z = block.act.forward(z)  # type: ignore[attr-defined]
            if norm is not None and not before:
                z = _eval_norm(norm, z)
            if block.dropout is not None:
                z = block.dropout.forward(z)
            h = z
        head = self.head
        logits = np.dot(h, head.W.data)
        if head.b is not None:
            logits += head.b.data
        return logits

    def penalty(self) -> float:
        """0.5 * weight_decay * sum W^2 + l1 * sum |W| over all Linear weights."""
        total = 0.0
        if self._weight_decay:
            squares = sum(float(np.vdot(w.data, w.data)) for w in self.weights())  # sum W^2
            total += 0.5 * self._weight_decay * squares
        if self._l1:
            total += self._l1 * sum(float(np.abs(w.data).sum()) for w in self.weights())
        return total

    def loss(self, x: np.ndarray, y: np.ndarray, *, train: bool = True) -> tuple[float, np.ndarray]:
        """(mean softmax cross-entropy + penalty, logits); caches what ``backward`` needs.

        ``last_data_loss`` gets the cross-entropy alone.
        """
        logits = self.forward(x, train=train)
        data_loss, self._dlogits = softmax_cross_entropy(logits, y)
        self.last_data_loss = data_loss
        return data_loss + self.penalty(), logits

    def backward(self) -> None:
        """Fill ``.grad`` of every parameter from the last ``loss`` call (penalties included)."""
        if self._dlogits is None:
            raise NNError("MLP.backward needs a loss() call first (after any structural change)")
        d = self.head.backward(self._dlogits)
        for block in reversed(self.blocks):
            d = block.backward(d)  # type: ignore[arg-type]
        wd, l1 = self._weight_decay, self._l1
        if wd or l1:
            for w in self.weights():
                if wd:
                    w.grad += wd * w.data  # d/dW 0.5 wd W^2 = wd W
                if l1:
                    w.grad += l1 * np.sign(w.data)  # d/dW l1 |W| = l1 sign(W)

    def predict_proba(self, x: np.ndarray, *, chunk: int = 8192) -> np.ndarray:
        """Class probabilities in eval mode, ``chunk`` rows at a time.

        Overwrites the backward caches (not the taps): call ``loss`` again before ``backward``.
        """
        self._dlogits = None
        parts = [
            softmax(self.forward(x[i : i + chunk], train=False))
            for i in range(0, max(len(x), 1), chunk)
        ]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _eval_norm(norm: Norm, z: np.ndarray) -> np.ndarray:
    """A normalization layer in eval mode on ``z``; BN with running statistics in place
    (the textbook's operations in its order: the same numbers, no new array)."""
    if type(norm) not in (BatchNorm1d, FastBatchNorm1d) or z.dtype != norm.running_mean.dtype:
        return norm.forward(z)
    invstd = 1.0 / np.sqrt(norm.running_var + float(norm.eps))  # 1 / sqrt(running_var + eps)
    z -= norm.running_mean  # xhat = (x - running_mean) * invstd
    z *= invstd
    z *= norm.gamma.data  # y = gamma * xhat + beta
    z += norm.beta.data
    return z
