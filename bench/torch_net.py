"""The benchmark's PyTorch side: the same net in PyTorch CPU (1 thread), initialized with a
bntui session's weights, stepped as the session trains (gather a batch, softmax-CE, SGD).
Imported by ``engine.py`` and ``sides.py``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def torch_available() -> str | None:
    """The torch version, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return str(torch.__version__)


class TorchTrainer:
    """The same net in PyTorch (CPU, 1 thread), initialized with the session's weights."""

    def __init__(self, session) -> None:
        import torch
        from torch import nn

        torch.set_num_threads(1)
        self.torch = torch
        c = session.config
        acts = {
            "relu": nn.ReLU,
            "tanh": nn.Tanh,
            "sigmoid": nn.Sigmoid,
            "leaky_relu": lambda: nn.LeakyReLU(0.01),
            "elu": nn.ELU,
            "gelu": lambda: nn.GELU(approximate="tanh"),
            "identity": nn.Identity,
        }
        layers: list[Any] = []
        model = session.model
        for block in model.blocks:
            lin = block.linear
            t_lin = nn.Linear(lin.in_features, lin.out_features, bias=lin.b is not None)
            with torch.no_grad():
                t_lin.weight.copy_(torch.from_numpy(lin.W.data.T.copy()))
                if lin.b is not None:
                    t_lin.bias.copy_(torch.from_numpy(lin.b.data.copy()))
            layers.append(t_lin)
            bn = (
                nn.BatchNorm1d(lin.out_features, eps=1e-5, momentum=c.bn_momentum) if c.bn else None
            )
            if bn is not None and c.bn_position == "before":
                layers.append(bn)
            layers.append(acts[c.activation]())
            if bn is not None and c.bn_position == "after":
                layers.append(bn)
        head = model.head
        t_head = nn.Linear(head.in_features, head.out_features)
        with torch.no_grad():
            t_head.weight.copy_(torch.from_numpy(head.W.data.T.copy()))
            t_head.bias.copy_(torch.from_numpy(head.b.data.copy()))
        layers.append(t_head)
        self.model = nn.Sequential(*layers).train()
        self.opt = torch.optim.SGD(self.model.parameters(), lr=c.lr)
        self.x = torch.from_numpy(np.array(session.data.x_train, dtype=np.float32))
        self.y = torch.from_numpy(np.array(session.data.y_train, dtype=np.int64))
        self.bs = min(c.batch_size, len(self.y))
        self.gen = torch.Generator().manual_seed(c.seed)
        self.perm = torch.randperm(len(self.y), generator=self.gen)
        self.pos = 0
        self.loss = math.nan

    def step(self) -> None:
        """Gather a batch, forward, softmax-CE, backward, SGD; read the loss back."""
        torch = self.torch
        n = self.y.shape[0]
        if self.pos + self.bs > n:
            self.perm = torch.randperm(n, generator=self.gen)
            self.pos = 0
        idx = self.perm[self.pos : self.pos + self.bs]
        self.pos += self.bs
        logits = self.model(self.x[idx])
        loss = torch.nn.functional.cross_entropy(logits, self.y[idx])
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.loss = loss.item()
