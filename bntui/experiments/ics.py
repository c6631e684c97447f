"""Internal covariate shift as Santurkar, Tsipras, Ilyas & Madry (2018) define it (Def. 2.1).

TODO(nn): issue 13 puts this in ``bntui.nn.diagnostics.ics``; when that exists, call it
from ``trial.py`` and delete this file (the definition below is the same).

For layer i: G = ∂L/∂W_i at the current parameters on batch (x, y); G′ = ∂L/∂W_i after
every parameter of the layers before i (Linear W, b; BN γ, β) took one plain SGD step
p ← p − lr·∂L/∂p on the same batch, BN in train mode (batch statistics). The result per
Linear layer (hidden layers, then the head) is (‖G − G′‖₂, cos∠(G, G′)); layer 1 has no
earlier layers, so it is (0, 1) by definition. The model is left as it was found.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def ics(model: Any, x: np.ndarray, y: np.ndarray, lr: float) -> list[tuple[float, float]]:
    if getattr(model, "dropout", 0.0):
        raise ValueError("ics needs a model without dropout (masks would differ between passes)")
    params = model.parameters()
    data = [p.data.copy() for p in params]
    grads = [None if p.grad is None else p.grad.copy() for p in params]
    bns = [b.bn for b in model.blocks if b.bn is not None]
    running = [(bn.running_mean.copy(), bn.running_var.copy()) for bn in bns]
    taps = [(b.z, b.act_in, b.act_out) for b in model.blocks]
    layers = [b.linear for b in model.blocks] + [model.head]
    out: list[tuple[float, float]] = [(0.0, 1.0)]
    try:
        with np.errstate(all="ignore"):
            model.loss(x, y, train=True)
            model.backward()
            g0 = {id(p): p.grad.astype(np.float64) for p in params}
            for i in range(1, len(layers)):
                g = g0[id(layers[i].W)]
                for block in model.blocks[:i]:
                    for p in block.parameters():
                        p.data -= (lr * g0[id(p)]).astype(p.data.dtype)
                model.loss(x, y, train=True)
                model.backward()
                g2 = layers[i].W.grad.astype(np.float64)
                norms = float(np.linalg.norm(g)) * float(np.linalg.norm(g2))
                cos = float(np.vdot(g, g2)) / norms if norms > 0 else float("nan")
                out.append((float(np.linalg.norm(g - g2)), cos))
                for p, d in zip(params, data, strict=True):
                    p.data[...] = d
    finally:
        for p, d, gr in zip(params, data, grads, strict=True):
            p.data[...] = d
            if gr is not None and p.grad is not None:
                p.grad[...] = gr
        for bn, (m, v) in zip(bns, running, strict=True):
            bn.running_mean[...] = m
            bn.running_var[...] = v
        for b, (z, ai, ao) in zip(model.blocks, taps, strict=True):
            b.z, b.act_in, b.act_out = z, ai, ao
    return out
