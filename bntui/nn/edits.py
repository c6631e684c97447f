"""Structural edits of the MLP: each keeps what still fits and returns the new Parameters.

A parameter whose shape changes is replaced by a new object, so the caller (the session)
resets optimizer state for exactly the returned ones. ``MLPEdits`` is mixed into ``MLP``;
it builds new layers with the network's own factories (``_new_block``, ``_new_norm``, ...).
"""

from __future__ import annotations

import numpy as np

from bntui.nn.init import init_std
from bntui.nn.layers import Dropout, Linear, Parameter, check_dtype, make_activation
from bntui.nn.nn_error import NNError
from bntui.nn.validate import check_bn_momentum, check_int, check_position


class MLPEdits:
    """The structural edits of ``MLP`` (see the module doc)."""

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
        norm = self._check_norm(spec, self._width)  # raises before anything changes
        before = self.parameters()
        if norm != self._norm:
            self._norm = norm
            for block in self.blocks:
                block.norm = self._new_norm(block.name)
                block.linear.set_bias(self._linear_bias())
        return self._new_since(before)

    def set_bn_position(self, pos: str) -> list[Parameter]:
        """The normalization before or after the activation. The norm layers start fresh
        (their gamma/beta/statistics meant something else); Linear biases follow the rule."""
        before = self.parameters()
        pos = check_position(pos)
        if pos != self._bn_position:
            self._bn_position = pos
            for block in self.blocks:
                block.bn_position = pos
                block.norm = self._new_norm(block.name)
                block.linear.set_bias(self._linear_bias())
        return self._new_since(before)

    def set_bn_momentum(self, momentum: float) -> list[Parameter]:
        """Momentum of the BN running averages (no parameter changes)."""
        self._bn_momentum = check_bn_momentum(momentum)
        for block in self.blocks:
            if block.bn is not None:
                block.bn.momentum = self._bn_momentum
        return self._new_since(self.parameters())

    def set_activation(self, name: str) -> list[Parameter]:
        """Swap every hidden activation (no parameters change)."""
        make_activation(name)  # validates
        self._activation = name
        for block in self.blocks:
            block.act = make_activation(name)
        return self._new_since(self.parameters())

    def set_dropout(self, p: float) -> list[Parameter]:
        """Dropout probability after each hidden layer (0 removes the dropout layers)."""
        self._dropout = Dropout._check_p(p)
        for block in self.blocks:
            if self._dropout == 0.0:
                block.dropout = None
            elif block.dropout is None:
                block.dropout = self._new_dropout()
            else:
                block.dropout.set_p(self._dropout)
        return self._new_since(self.parameters())

    def set_weight_decay(self, value: float) -> list[Parameter]:
        """L2 penalty strength (0.5 * value * sum W^2); no parameters change."""
        self.weight_decay = value
        return []

    def set_l1(self, value: float) -> list[Parameter]:
        """L1 penalty strength (value * sum |W|); no parameters change."""
        self.l1 = value
        return []

    def add_layer(self, rng: np.random.Generator) -> list[Parameter]:
        """Append a freshly initialized hidden layer before the head.

        From depth 0 the new layer is in_dim -> width and the head is re-initialized
        width -> classes (its input size changed).
        """
        before = self.parameters()
        was_empty = not self.blocks
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
        width = check_int("width", width, 1)
        self._check_norm(self._norm, width)  # GN: the groups must divide the new width
        before = self.parameters()
        if width != self._width:
            self._width = width
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
        init_std(init_spec, 1, 1)  # validates
        self._init = init_spec
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
                "L1", in_dim, self._width, rng, bias=self._linear_bias()
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
