"""One hidden layer of the MLP: Linear -> [norm] -> act -> [Dropout]."""

from __future__ import annotations

import numpy as np

from bntui.nn.layers import BatchNorm1d, Dropout, Linear, Parameter
from bntui.nn.norm_layers import Norm


class Block:
    """One hidden layer: Linear -> [norm] -> act -> [Dropout] (or Linear -> act -> norm).

    ``norm`` is the normalization layer (BN, LN, GN, BRN, noisy BN) or None; ``bn`` is the
    same layer when it is a batch normalization (``BatchNorm1d`` or a subclass: it has
    running statistics), else None. After every training forward pass the taps hold
    references (not copies) for statistics: ``z`` the Linear output (pre-norm),
    ``act_in`` the activation's input, ``act_out`` its output. Eval passes (validation,
    predictions) leave them alone, so they always describe the last training batch.
    """

    def __init__(
        self,
        name: str,
        linear: Linear,
        bn: Norm | None,
        act: object,
        dropout: Dropout | None,
        bn_position: str,
    ) -> None:
        self.name = name
        self.linear = linear
        self.norm: Norm | None = bn
        self.act = act
        self.dropout = dropout
        self.bn_position = bn_position
        self.z: np.ndarray | None = None
        self.act_in: np.ndarray | None = None
        self.act_out: np.ndarray | None = None
        self.training = True

    @property
    def bn(self) -> BatchNorm1d | None:
        """The normalization layer if it is a batch normalization, else None."""
        return self.norm if isinstance(self.norm, BatchNorm1d) else None

    @bn.setter
    def bn(self, layer: Norm | None) -> None:
        self.norm = layer

    def parameters(self) -> list[Parameter]:
        ps = self.linear.parameters()
        return ps + self.norm.parameters() if self.norm is not None else ps

    def set_training(self, train: bool) -> None:
        self.training = train
        if self.norm is not None:
            self.norm.training = train
        if self.dropout is not None:
            self.dropout.training = train

    def forward(self, x: np.ndarray) -> np.ndarray:
        norm = self.norm
        z = h = self.linear.forward(x)
        before = norm is not None and self.bn_position == "before"
        if before:
            h = norm.forward(h)  # type: ignore[union-attr]
        act_in = h
        h = self.act.forward(h)  # type: ignore[attr-defined]
        if self.training:
            self.z, self.act_in, self.act_out = z, act_in, h
        if norm is not None and not before:
            h = norm.forward(h)
        if self.dropout is not None:
            h = self.dropout.forward(h)
        return h

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        norm = self.norm
        d = dout
        if self.dropout is not None:
            d = self.dropout.backward(d)
        before = norm is not None and self.bn_position == "before"
        if norm is not None and not before:
            d = norm.backward(d)
        d = self.act.backward(d)  # type: ignore[attr-defined]
        if before:
            d = norm.backward(d)  # type: ignore[union-attr]
        return self.linear.backward(d)
