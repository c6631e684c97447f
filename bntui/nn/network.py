"""The multilayer perceptron the laboratory trains.

    input -> depth x (Linear -> [BN] -> act -> [Dropout]) -> Linear (head) -> softmax-CE

With ``bn_position="after"`` a block is Linear -> act -> BN -> [Dropout]. Depth 0 is
logistic regression (the head alone).

Structural edits (``set_bn``, ``add_layer``, ``set_width``, ...) are methods of ``MLP``
(the last section of the class): they keep what still fits and return the Parameters
that are new, so the caller can reset optimizer state for exactly those.

``fast=True`` (what the session uses) builds the layers of ``fast.py`` and lets the
optimizer update packed parameters; ``fast=False`` (the default) is the textbook path.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bntui.nn.activation_layers import ReLU
from bntui.nn.block import Block
from bntui.nn.fast import FastBatchNorm1d, FastLinear, PackedParameters
from bntui.nn.functional import softmax, softmax_cross_entropy
from bntui.nn.functional.activations import _zero
from bntui.nn.init import init_weight
from bntui.nn.layers import (
    BatchNorm1d,
    Dropout,
    Linear,
    Parameter,
    check_dtype,
    make_activation,
)
from bntui.nn.names import BATCH_NORMS, BN_POSITIONS  # noqa: F401 (BN_POSITIONS re-exported)
from bntui.nn.nn_error import NNError
from bntui.nn.norm_layers import Norm, make_norm, parse_norm
from bntui.nn.spec import NET_SETTINGS, NetSpec
from bntui.nn.validate import (
    check_int,
)


class MLP:
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
        spec: NetSpec | None = None,
        *,
        rng: np.random.Generator,
        dropout_rng: np.random.Generator,
        noise_rng: np.random.Generator | None = None,
        dtype: type | np.dtype = np.float32,
        fast: bool = False,
        bn: bool | None = None,
        **settings: Any,
    ) -> None:
        """``spec`` (default ``NetSpec()``) with ``settings`` changed: ``MLP(2, 3,
        depth=6, activation="sigmoid", rng=…, dropout_rng=…)`` reads as the textbook's
        constructor; ``bn=True/False`` is "bn"/"none" unless ``norm`` says otherwise."""
        if bn is not None:
            if "norm" in settings and bool(bn) != (parse_norm(settings["norm"])[0] != "none"):
                raise NNError(f"bn={bn!r} contradicts norm={settings['norm']!r} (give one)")
            settings.setdefault("norm", "bn" if bn else "none")
        unknown = sorted(set(settings) - set(NET_SETTINGS))
        if unknown:
            raise NNError(f"MLP: unknown setting(s) {', '.join(unknown)}")
        self.spec: NetSpec = (spec or NetSpec()).replace(**settings)
        self._fast = bool(fast)
        self._in_dim = check_int("in_dim", in_dim, 1)
        self._n_classes = check_int("n_classes", n_classes, 2)
        # noisy BN's own stream (a fixed one if none is given: pass the session's)
        self._noise_rng = noise_rng if noise_rng is not None else np.random.default_rng(0)
        self._dtype = check_dtype(dtype)
        self._rng = rng
        self._dropout_rng = dropout_rng
        self.blocks: list[Block] = [self._new_block(i + 1, rng) for i in range(self.spec.depth)]
        self.head: Linear = self._new_head(rng)
        self.last_data_loss: float = math.nan
        self._dlogits: np.ndarray | None = None
        self._packed: PackedParameters | None = None

    # ------------------------------------------------------------------ readable settings
    # the hidden layers' settings are ``self.spec`` (a NetSpec); these are the rest
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
    def bn(self) -> bool:
        """True when the normalization is plain batch normalization ("bn")."""
        return self.spec.norm == "bn"

    @property
    def dtype(self) -> np.dtype:
        return self._dtype

    # ------------------------------------------------------------------ construction
    def _new_linear(
        self, name: str, fan_in: int, fan_out: int, rng: np.random.Generator, *, bias: bool
    ) -> Linear:
        w = init_weight(self.spec.init, fan_in, fan_out, rng, self._dtype)
        # the first Linear of the net never needs dL/dx (x is the data)
        first = name == "L1" or (name == "out" and not self.blocks)
        cls = FastLinear if self._fast else Linear
        return cls(fan_in, fan_out, weight=w, bias=bias, need_dx=not first, name=name)

    def _linear_bias(self) -> bool:
        # a Linear directly followed by BN needs no bias: BN subtracts the mean anyway
        # (a batch normalization subtracts the batch mean of each unit: b cancels out;
        # LN and GN subtract a per-sample mean over units, which does not cancel b)
        return not (self.spec.norm in BATCH_NORMS and self.spec.bn_position == "before")

    def _new_norm(self, name: str) -> Norm | None:
        """A fresh normalization layer of the network's kind (None for "none")."""
        return make_norm(
            self.spec.norm,
            self.spec.width,
            momentum=self.spec.bn_momentum,
            dtype=self._dtype,
            name=name,
            fast=self._fast,
            rng=self._noise_rng,
            eps=self.spec.bn_eps,
        )

    def _new_dropout(self) -> Dropout | None:
        if self.spec.dropout == 0:
            return None
        return Dropout(self.spec.dropout, self._dropout_rng, self.spec.dropout_style)

    def _new_block(self, index: int, rng: np.random.Generator) -> Block:
        name = f"L{index}"
        fan_in = self._in_dim if index == 1 else self.spec.width
        linear = self._new_linear(name, fan_in, self.spec.width, rng, bias=self._linear_bias())
        return Block(
            name,
            linear,
            self._new_norm(name),
            make_activation(self.spec.activation),
            self._new_dropout(),
            self.spec.bn_position,
        )

    def _new_head(self, rng: np.random.Generator) -> Linear:
        fan_in = self.spec.width if self.blocks else self._in_dim
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
        if self.spec.weight_decay:
            squares = sum(float(np.vdot(w.data, w.data)) for w in self.weights())  # sum W^2
            total += 0.5 * self.spec.weight_decay * squares
        if self.spec.l1:
            total += self.spec.l1 * sum(float(np.abs(w.data).sum()) for w in self.weights())
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
        wd, l1 = self.spec.weight_decay, self.spec.l1
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

    # ------------------------------------------------------------------ structural edits
    # each keeps what still fits and returns the new Parameters: a parameter whose shape
    # changes is replaced by a new object, so the caller (the session) resets optimizer
    # state for exactly the returned ones
    def _new_since(self, before: list[Parameter]) -> list[Parameter]:
        """Parameters that did not exist before an edit (identity, not equality)."""
        self._dlogits = None  # any cached backward state is stale now
        self._packed = None  # the parameter list may have changed: pack again on demand
        old = {id(p) for p in before}
        return [p for p in self.parameters() if id(p) not in old]

    def set_bn(self, on: bool) -> list[Parameter]:
        """BN on (fresh: gamma 1, beta 0, running 0/1) or off; Linear weights are kept.

        ``set_norm("bn")`` / ``set_norm("none")``: with BN before the activation, the
        Linear bias is removed when BN comes on and re-added as zeros when BN goes off.
        """
        return self.set_norm("bn" if on else "none")

    def set_norm(self, spec: str) -> list[Parameter]:
        """Switch the normalization of every hidden layer ("bn", "ln", "gn[:G]", "brn",
        "noisy-bn", "none"); Linear weights are kept. A new kind starts fresh (gamma 1,
        beta 0, running 0/1); the same kind is left as it is. Linear biases follow the
        rule of ``_linear_bias`` (removed directly before a batch normalization, re-added
        as zeros otherwise). Nothing changes if ``spec`` is unknown or does not fit."""
        new = self.spec.replace(norm=spec)  # raises before anything changes
        before = self.parameters()
        if new.norm != self.spec.norm:
            self.spec = new
            for block in self.blocks:
                block.norm = self._new_norm(block.name)
                block.linear.set_bias(self._linear_bias())
        return self._new_since(before)

    def set_bn_position(self, pos: str) -> list[Parameter]:
        """The normalization before or after the activation. The norm layers start fresh
        (their gamma/beta/statistics meant something else); Linear biases follow the rule."""
        before = self.parameters()
        new = self.spec.replace(bn_position=pos)
        if new.bn_position != self.spec.bn_position:
            self.spec = new
            pos = new.bn_position
            for block in self.blocks:
                block.bn_position = pos
                block.norm = self._new_norm(block.name)
                block.linear.set_bias(self._linear_bias())
        return self._new_since(before)

    def set_bn_momentum(self, momentum: float) -> list[Parameter]:
        """Momentum of the BN running averages (no parameter changes)."""
        self.spec = self.spec.replace(bn_momentum=momentum)
        for block in self.blocks:
            if block.bn is not None:
                block.bn.momentum = self.spec.bn_momentum
        return self._new_since(self.parameters())

    def set_activation(self, name: str) -> list[Parameter]:
        """Swap every hidden activation (no parameters change)."""
        self.spec = self.spec.replace(activation=name)  # validates
        for block in self.blocks:
            block.act = make_activation(name)
        return self._new_since(self.parameters())

    def set_dropout(self, p: float) -> list[Parameter]:
        """Dropout probability after each hidden layer (0 removes the dropout layers)."""
        self.spec = self.spec.replace(dropout=p)
        for block in self.blocks:
            if self.spec.dropout == 0.0:
                block.dropout = None
            elif block.dropout is None:
                block.dropout = self._new_dropout()
            else:
                block.dropout.set_p(self.spec.dropout)
        return self._new_since(self.parameters())

    def set_weight_decay(self, value: float) -> list[Parameter]:
        """L2 penalty strength (0.5 * value * sum W^2); no parameters change."""
        self.spec = self.spec.replace(weight_decay=value)
        return []

    def set_l1(self, value: float) -> list[Parameter]:
        """L1 penalty strength (value * sum |W|); no parameters change."""
        self.spec = self.spec.replace(l1=value)
        return []

    def add_layer(self, rng: np.random.Generator) -> list[Parameter]:
        """Append a freshly initialized hidden layer before the head.

        From depth 0 the new layer is in_dim -> width and the head is re-initialized
        width -> classes (its input size changed).
        """
        before = self.parameters()
        was_empty = not self.blocks
        self.spec = self.spec.replace(depth=len(self.blocks) + 1)
        self.blocks.append(self._new_block(len(self.blocks) + 1, rng))
        if was_empty:
            self.head = self._new_head(rng)
        return self._new_since(before)

    def remove_layer(self) -> list[Parameter]:
        """Drop the last hidden layer; at depth 0 the head becomes in_dim -> classes,
        re-initialized from the stored init generator."""
        if not self.blocks:
            raise NNError("cannot remove a layer: depth is already 0")
        before = self.parameters()
        self.blocks.pop()
        self.spec = self.spec.replace(depth=len(self.blocks))
        if not self.blocks:
            self.head = self._new_head(self._rng)
        return self._new_since(before)

    def _resized_linear(
        self, old: Linear, fan_in: int, fan_out: int, rng: np.random.Generator
    ) -> Linear:
        """A Linear of the new shape: fresh init, then the overlapping slice copied over."""
        new = self._new_linear(old.name, fan_in, fan_out, rng, bias=old.b is not None)
        r, c = min(fan_in, old.in_features), min(fan_out, old.out_features)
        new.W.data[:r, :c] = old.W.data[:r, :c]
        if old.b is not None and new.b is not None:
            if old.b.data.shape == new.b.data.shape:
                new.b = old.b  # unchanged shape: the parameter survives
            else:
                new.b.data[:c] = old.b.data[:c]
        if old.W.data.shape == new.W.data.shape:
            new.W = old.W
        return new

    def set_width(self, width: int, rng: np.random.Generator) -> list[Parameter]:
        """Resize every hidden layer, keeping the overlapping slice of each weight, bias,
        norm parameter and running statistic; new entries are freshly initialized."""
        new = self.spec.replace(width=width)  # GN: the groups must divide the new width
        before = self.parameters()
        if new.width != self.spec.width:
            self.spec = new
            for i, block in enumerate(self.blocks):
                fan_in = self._in_dim if i == 0 else width
                block.linear = self._resized_linear(block.linear, fan_in, width, rng)
                if block.norm is not None:  # overlapping gamma, beta (and running stats)
                    block.norm = block.norm.resized(width)
                block.z = block.act_in = block.act_out = None
            if self.blocks:
                self.head = self._resized_linear(self.head, width, self._n_classes, rng)
        return self._new_since(before)

    def reinit(self, init_spec: str, rng: np.random.Generator) -> list[Parameter]:
        """Fresh weights for every layer with a (possibly new) init spec; BN reset."""
        self.spec = self.spec.replace(init=init_spec)  # validates
        depth = len(self.blocks)
        self.blocks = []
        for i in range(depth):
            self.blocks.append(self._new_block(i + 1, rng))
        self.head = self._new_head(rng)
        return self._new_since([])

    def set_io(self, in_dim: int, n_classes: int, rng: np.random.Generator) -> list[Parameter]:
        """A new dataset: re-initialize the first Linear and/or the head only where their
        input or output size changes."""
        in_dim = check_int("in_dim", in_dim, 1)
        n_classes = check_int("n_classes", n_classes, 2)
        before = self.parameters()
        in_changed, out_changed = in_dim != self._in_dim, n_classes != self._n_classes
        self._in_dim, self._n_classes = in_dim, n_classes
        if self.blocks and in_changed:
            first = self.blocks[0]
            first.linear = self._new_linear(
                "L1", in_dim, self.spec.width, rng, bias=self._linear_bias()
            )
        if out_changed or (in_changed and not self.blocks):
            self.head = self._new_head(rng)
        return self._new_since(before)

    def set_dtype(self, dtype: type | np.dtype) -> list[Parameter]:
        """Convert every parameter and running statistic; returns all parameters (their
        arrays changed dtype, so optimizer state for them must go)."""
        dt = check_dtype(dtype)
        if dt == self._dtype:
            return self._new_since(self.parameters())
        self._dtype = dt
        for p in self.parameters():
            p.data = p.data.astype(dt)
            p.grad = np.zeros_like(p.data)
        for block in self.blocks:
            if block.bn is not None:
                block.bn.running_mean = block.bn.running_mean.astype(dt)
                block.bn.running_var = block.bn.running_var.astype(dt)
        self._dlogits = None
        self._packed = None
        return self.parameters()


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
