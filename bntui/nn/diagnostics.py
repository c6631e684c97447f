"""Measurements from Santurkar, Tsipras, Ilyas & Madry (2018), "How Does Batch
Normalization Help Optimization?": internal covariate shift (Definition 2.1) and the
smoothness of the loss along the gradient (their Fig. 4).

On the session's nets (Linear, BN or none, elementwise activations, dropout:
``bntui.nn.variants.stackable``) every pass a measurement needs runs at once, stacked on
a leading axis of variants, on arrays of its own: called right after a training pass's
backward (``grads_ready``, as the session's hook does) they read the model and write
nothing to it. Otherwise (a first pass of their own, or other normalizations: one pass
at a time on the model itself) they put the model back exactly as found
(``preserved``): parameters and gradients (in place, so packed views stay valid), BN
running statistics, the cached activations and scratch buffers of the last pass, and the
states of the dropout and noisy-BN generators. Dropout, if the net has it, draws one mask
per layer for the first pass (the masks the next training step will draw, as the
generator is restored) and keeps it for every later pass; noisy BN likewise keeps the
first pass's noise: the passes differ only in the parameters.

ICS of Linear layer i on a batch (x, y), BN in train mode (batch statistics)::

    G_i  = dL/dW_i (W_1, ..., W_k)
    G'_i = dL/dW_i (W_1 - lr g_1, ..., W_{i-1} - lr g_{i-1}, W_i, ..., W_k)

where "W_j - lr g_j" is the update of *every* parameter of layer j (Linear W and b, BN
gamma and beta) from the gradients of the first pass. As in Def. 2.1 it is the training's
actual update when the optimizer is given (``ics(..., optimizer=opt)``: momentum's
lr·(mu·v + g), Adam's bias-corrected step; ``Optimizer.delta``, which changes no state);
without it, a plain SGD step lr·g (the "plain-SGD variant", labelled so wherever it is
reported). ``l2 = ||G - G'||`` and ``cos = <G, G'> / (||G|| ||G'||)``. Layer 1 has no
earlier layers: exactly (0, 1).

Smoothness along the gradient g = dL/dw (all parameters) at step sizes s = eta * lr::

    landscape_lo/hi = min/max of L(w - s g) over s in {0} + etas * lr
    grad_pred       = max_s ||g(w - s g) - g(w)||
    beta_smooth     = max_s ||g(w - s g) - g(w)|| / ||s g||

L is the model's training loss (cross-entropy plus any L1/L2 penalty).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from bntui.nn.functional import softmax_cross_entropy
from bntui.nn.nn_error import NNError
from bntui.nn.variants import stackable

ETAS = (0.05, 0.1, 0.2, 0.4)


def _check_lr(lr: float) -> float:
    value = float(lr)
    if not (math.isfinite(value) and value >= 0.0):
        raise NNError(f"lr must be a finite number >= 0, got {lr!r}")
    return value


def _norm(a: np.ndarray) -> float:
    a = a.astype(np.float64, copy=False).reshape(-1)
    return math.sqrt(float(np.dot(a, a)))


def compare_gradients(g: np.ndarray, g2: np.ndarray) -> tuple[float, float]:
    """(||g - g2||, cos angle(g, g2)), in float64.

    Conventions where the angle is undefined: two identical vectors (also both zero) give
    cos 1; exactly one zero vector gives cos 0. Non-finite input gives NaN.
    """
    a = g.astype(np.float64).reshape(-1)
    b = g2.astype(np.float64).reshape(-1)
    d = a - b
    l2 = math.sqrt(float(np.dot(d, d)))
    if not (math.isfinite(l2) and np.isfinite(a).all() and np.isfinite(b).all()):
        return math.nan, math.nan
    if l2 == 0.0:
        return 0.0, 1.0
    na, nb = math.sqrt(float(np.dot(a, a))), math.sqrt(float(np.dot(b, b)))
    if na == 0.0 or nb == 0.0:
        return l2, 0.0
    return l2, max(-1.0, min(1.0, float(np.dot(a, b)) / (na * nb)))


def _layer_objects(model) -> list[object]:
    objs: list[object] = [model, model.head]
    for b in model.blocks:
        objs += [b, b.linear, b.act]
        objs += [o for o in (b.norm, b.dropout) if o is not None]
    return objs


def _generators(model) -> list[np.random.Generator]:
    """The random generators a pass draws from: dropout masks and noisy BN's noise."""
    found = [b.dropout.rng for b in model.blocks if b.dropout is not None]
    found += [b.norm.rng for b in model.blocks if isinstance(getattr(b.norm, "rng", None),
                                                              np.random.Generator)]  # fmt: skip
    return list({id(g): g for g in found}.values())


def _arrays(value: object) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, tuple):
        return [v for v in value if isinstance(v, np.ndarray)]
    return []


_RUNNING = ("_running", "running_mean", "running_var")  # BN's running statistics


def _lean(model) -> bool:
    """True when every normalization is plain BN (or none): then the passes write in place
    only into parameters, BN running statistics and BN scratch buffers; every other array
    a layer holds is replaced (a new reference), never written."""
    from bntui.nn.fast import FastBatchNorm1d
    from bntui.nn.layers import BatchNorm1d

    return all(
        b.norm is None or type(b.norm) in (BatchNorm1d, FastBatchNorm1d) for b in model.blocks
    )


@contextmanager
def preserved(model) -> Iterator[None]:
    """Run a block on ``model`` and put everything back: every layer object's attributes
    (references), the contents of every array they hold (one level, tuples included),
    every parameter's data and grad (in place) and the states of the dropout and noisy-BN
    generators.

    On a net of plain BN (``_lean``) only the arrays the passes can write in place are
    copied: parameters and BN running statistics (BN's scratch buffers hold nothing a
    later pass reads); restoring the references puts back every other array as it was."""
    saved = []
    lean = _lean(model)
    for obj in _layer_objects(model):
        attrs = dict(vars(obj))
        # a read-only array (an eval pass's input: a view of the read-only data) cannot
        # have been written by the passes: restoring its reference is enough
        arrays = [
            (a, a.copy())
            for k, v in attrs.items()
            if not lean or k in _RUNNING
            for a in _arrays(v)
            if a.flags.writeable
        ]
        saved.append((obj, attrs, arrays))
    params = [(p, p.data, p.grad, p.data.copy(), p.grad.copy()) for p in model.parameters()]
    states = [(g, g.bit_generator.state) for g in _generators(model)]
    try:
        yield
    finally:
        for obj, attrs, arrays in saved:
            vars(obj).clear()
            vars(obj).update(attrs)
            for a, copy_ in arrays:
                np.copyto(a, copy_)
        for p, data, grad, data0, grad0 in params:
            p.data, p.grad = data, grad
            np.copyto(data, data0)
            np.copyto(grad, grad0)
        for g, state in states:
            g.bit_generator.state = state


def _first_pass(m, x: np.ndarray, y: np.ndarray, grads_ready: bool) -> float:
    """One training-mode loss + backward on (x, y) (unless ``grads_ready``: that pass has
    just run); then every dropout layer's mask is frozen for the passes that follow."""
    if grads_ready:
        loss = m.last_data_loss + m.penalty()  # what loss() returned
    else:
        loss, _ = m.loss(x, y, train=True)
        m.backward()
    for block in m.blocks:
        drop = block.dropout
        if drop is not None and drop.mask is not None:
            drop.fixed_mask = drop.mask
        if getattr(block.norm, "noise", None) is not None:  # noisy BN: its noise, likewise
            block.norm.fixed_noise = block.norm.noise  # type: ignore[union-attr]
    return loss


def _weight_grad(model, W) -> np.ndarray:
    """dL/dW after a backward through W's layer only, with the penalty terms that
    ``MLP.backward`` adds (the same operations, so equal inputs give equal bits)."""
    return _penalised(model, W, W.grad.copy())


def _penalised(model, W, g: np.ndarray) -> np.ndarray:
    """``g`` (dL/dW of the data loss, a new array) plus the penalty terms of W, in place."""
    if model.spec.weight_decay:
        g += model.spec.weight_decay * W.data
    if model.spec.l1:
        g += model.spec.l1 * np.sign(W.data)
    return g


def ics(
    model,
    x: np.ndarray,
    y: np.ndarray,
    lr: float,
    *,
    grads_ready: bool = False,
    optimizer=None,
) -> list[tuple[float, float]]:
    """Internal covariate shift per Linear layer (hidden layers, then the head): a list
    of ``(l2, cos)``; see the module docstring. The model is left unchanged.

    ``optimizer``: the training's optimizer (``bntui.nn.optim``); the earlier layers move
    by its actual update (Def. 2.1), its state untouched. None: a plain SGD step ``lr·g``.

    ``grads_ready=True`` skips the first pass: the caller promises that the model's
    gradients, caches and dropout masks come from ``loss(x, y, train=True)`` and
    ``backward()`` on this very batch just now (inside a training step, before the
    optimizer update). The result is the same, bit for bit, one pass cheaper.
    """
    lr = _check_lr(lr)
    if grads_ready and stackable(model, x):  # reads the model, writes nothing to it
        return _ics_stacked(model, x, y, _steps(model, lr, optimizer))
    with preserved(model):
        return _ics(model, x, y, lr, grads_ready, optimizer)


def _steps(m, lr: float, optimizer=None) -> list[list[tuple[object, np.ndarray]]]:
    """The update of every hidden block's parameters from their gradients: the
    optimizer's actual one (``Optimizer.delta``), or a plain SGD step lr·g."""
    if optimizer is None:
        return [[(p, lr * p.grad) for p in b.parameters()] for b in m.blocks]
    return [[(p, optimizer.delta(p)) for p in b.parameters()] for b in m.blocks]


def _ics(
    m, x: np.ndarray, y: np.ndarray, lr: float, grads_ready: bool, optimizer=None
) -> list[tuple[float, float]]:
    _first_pass(m, x, y, grads_ready)
    steps = _steps(m, lr, optimizer)
    if stackable(m, x):
        return _ics_stacked(m, x, y, steps)
    blocks, head = m.blocks, m.head
    linears = [b.linear for b in blocks] + [head]
    G = [lin.W.grad.copy() for lin in linears]  # MLP.backward added the penalty terms
    out: list[tuple[float, float]] = [(0.0, 1.0)]
    h = x.astype(m.dtype, copy=False)  # the input to layer i, layers before i stepped
    for i in range(1, len(linears)):
        prev = blocks[i - 1]
        for p, delta in steps[i - 1]:
            p.data -= delta
        h = prev.forward(h)
        # forward from layer i (not stepped) to the loss, back down to layer i
        z = h
        for block in blocks[i:]:
            z = block.forward(z)
        logits = head.forward(z)
        _, d = softmax_cross_entropy(logits, y)
        d = head.backward(d)
        for block in reversed(blocks[i:]):
            d = block.backward(d)
        out.append(compare_gradients(G[i], _weight_grad(m, linears[i].W)))
    return out


# ------------------------------------------------------------------ ICS, all layers at once
#
# G'_i needs a forward pass from layer i (its input: the stepped layers 1..i-1 applied to
# x) up to the loss, through the *unstepped* layers i..k, and a backward pass back down to
# W_i. The stepped chain (x through the stepped layers) is one forward pass that every i
# shares; the k - 1 passes from layer i on share every weight they use, so they run as
# one, stacked on a leading axis (``bntui.nn.variants``): variant i joins at layer i (its
# input: the chain's there) and leaves at layer i on the way down (where its dW_i is
# read). BN normalizes each variant over its own rows, as separate passes would. Layer 1
# is the training pass's own G (exactly (0, 1)). Nothing is written to the model.


def _ics_stacked(m, x: np.ndarray, y: np.ndarray, steps: list) -> list[tuple[float, float]]:
    from bntui.nn.variants import block_backward, block_forward, ce_grads, layers_of, linear

    blocks, head = m.blocks, m.head
    k = len(blocks) + 1  # Linear layers; variant i = 2..k computes G'_i
    G = [b.linear.W.grad for b in blocks] + [head.W.grad]  # the training pass's (penalised)
    original = layers_of(m)
    stepped = layers_of(m, [[p.data - delta for p, delta in step] for step in steps])
    chain = [x.astype(m.dtype, copy=False)[None]]  # chain[i - 1]: layer i's input, stepped
    for layer in stepped:
        chain.append(block_forward(layer, chain[-1])[0])
    caches, h = [], None
    for j in range(2, k):  # block j carries variants 2..j
        inp = chain[j - 1] if h is None else np.concatenate([h, chain[j - 1]])
        h, cache = block_forward(original[j - 1], inp)
        caches.append(cache)
    inp = chain[k - 1] if h is None else np.concatenate([h, chain[k - 1]])
    hb = head.b.data if head.b is not None else None
    _, d = ce_grads(linear(inp, head.W.data, hb), y)
    out: list[tuple[float, float]] = [(0.0, 1.0)] * k
    W = head.W
    out[k - 1] = compare_gradients(G[k - 1], _penalised(m, W, np.dot(chain[k - 1][0].T, d[-1])))
    for j in range(k - 1, 1, -1):  # variant j leaves at block j
        d = np.matmul(d[:-1], W.data.T)
        d, _ = block_backward(original[j - 1], d, caches[j - 2])  # dL/dz of block j
        W = blocks[j - 1].linear.W
        out[j - 1] = compare_gradients(G[j - 1], _penalised(m, W, np.dot(chain[j - 1][0].T, d[-1])))
    return out


@dataclass(frozen=True)
class Smoothness:
    """The Fig. 4 quantities at one point (see the module docstring)."""

    landscape_lo: float
    landscape_hi: float
    grad_pred: float
    beta_smooth: float

    def to_dict(self) -> dict[str, float]:
        return {
            "landscape_lo": self.landscape_lo,
            "landscape_hi": self.landscape_hi,
            "grad_pred": self.grad_pred,
            "beta_smooth": self.beta_smooth,
        }


def along_gradient(
    f: Callable[[np.ndarray], tuple[float, np.ndarray]],
    w: np.ndarray,
    steps: Sequence[float],
) -> Smoothness:
    """Smoothness of ``f`` (w -> (loss, gradient), flat vectors) along -grad at ``w``,
    moving by each step size in ``steps``. ``beta_smooth`` is NaN when the gradient is 0
    (no direction to move in)."""
    loss0, g0 = f(w)
    losses, dgs = [], []
    for s in steps:
        loss, g = f(w - s * g0)
        losses.append(float(loss))
        dgs.append(_norm(g - g0))
    return _summary(float(loss0), _norm(g0), steps, losses, dgs)


def _summary(
    loss0: float, gnorm: float, steps: Sequence[float], losses: list[float], dgs: list[float]
) -> Smoothness:
    """The Fig. 4 quantities from the loss at w (``loss0``), ``||g(w)||`` and, per step
    size s, the loss at w - s g and ``||g(w - s g) - g(w)||``."""
    pred, beta = 0.0, 0.0
    for s, dg in zip(steps, dgs, strict=True):
        pred = max(pred, dg)
        dist = s * gnorm
        beta = max(beta, dg / dist) if dist > 0 else beta
    if gnorm == 0.0 or not steps:
        beta = math.nan
    losses = [loss0, *losses]
    if not all(math.isfinite(v) for v in losses) or not math.isfinite(pred):
        return Smoothness(min(losses), max(losses), math.nan, math.nan)
    return Smoothness(min(losses), max(losses), pred, beta)


def smoothness(
    model,
    x: np.ndarray,
    y: np.ndarray,
    lr: float,
    etas: Sequence[float] = ETAS,
    *,
    grads_ready: bool = False,
) -> Smoothness:
    """Loss landscape, gradient predictiveness and effective beta-smoothness on (x, y)
    along the gradient at step sizes ``eta * lr``; the model is left unchanged.
    ``grads_ready``: as for ``ics``."""
    lr = _check_lr(lr)
    if any(not (math.isfinite(e) and e > 0) for e in etas):
        raise NNError(f"etas must be positive numbers, got {tuple(etas)!r}")
    steps = [e * lr for e in etas]
    if grads_ready and stackable(model, x):  # reads the model, writes nothing to it
        return _smoothness_stacked(model, x, y, steps, model.last_data_loss + model.penalty())
    with preserved(model):
        return _smoothness(model, x, y, steps, grads_ready)


def _smoothness(
    m, x: np.ndarray, y: np.ndarray, steps: list[float], grads_ready: bool
) -> Smoothness:
    loss0 = _first_pass(m, x, y, grads_ready)
    if stackable(m, x):
        return _smoothness_stacked(m, x, y, steps, loss0)
    params = m.parameters()
    packed = getattr(m, "packed", None)
    if packed is not None and packed.params == tuple(params):
        # the parameters are views of one flat buffer, in this order: w and g as one copy
        w0, g0 = packed.data.copy(), packed.grad.copy()

        def flat(w: np.ndarray) -> tuple[float, np.ndarray]:
            if w is w0:  # the first pass already ran
                return loss0, g0
            np.copyto(packed.data, w)
            loss, _ = m.loss(x, y, train=True)
            m.backward()
            return loss, packed.grad.copy()

        return along_gradient(flat, w0, steps)
    sizes = [p.data.size for p in params]
    shapes = [p.data.shape for p in params]
    w0 = np.concatenate([p.data.reshape(-1) for p in params])
    g0 = np.concatenate([p.grad.reshape(-1) for p in params])

    def f(w: np.ndarray) -> tuple[float, np.ndarray]:
        if w is w0:  # the first pass already ran
            return loss0, g0
        off = 0
        for p, n, shape in zip(params, sizes, shapes, strict=True):
            p.data[...] = w[off : off + n].reshape(shape)
            off += n
        loss, _ = m.loss(x, y, train=True)
        m.backward()
        return loss, np.concatenate([p.grad.reshape(-1) for p in params])

    return along_gradient(f, w0, steps)


# ------------------------------------------------------------------ smoothness, all at once
#
# The passes at w - s g for the step sizes s run as one, stacked on a leading axis
# (``bntui.nn.variants``), each variant with its own parameters. The first layer's input
# (the batch) is the same for every variant: its products are x W and x g, once each
# (x (W - s g) = x W - s x g), and its weight gradients for all variants one product.


def _smoothness_stacked(
    m, x: np.ndarray, y: np.ndarray, steps: list[float], loss0: float
) -> Smoothness:
    from bntui.nn.variants import block_backward, block_forward, ce_grads, layers_of

    blocks, head = m.blocks, m.head
    dt = m.dtype
    s = np.asarray(steps, dtype=dt)
    v = s.size
    if v == 0:
        return _summary(loss0, _norm_all(m.parameters()), steps, [], [])
    sv = s.reshape(v, 1, 1)

    def moved(p) -> np.ndarray:  # p at every step size: (V, *shape), 1-D as (V, 1, D)
        return p.data[None] - sv * p.grad[None]

    stepped = [[moved(p) for p in b.parameters()] for b in blocks]
    layers = layers_of(m, stepped)
    x = x.astype(dt, copy=False)
    n = x.shape[0]
    # the first layer: x W - s x g, from one product of x with [W | g]
    W1 = blocks[0].linear.W
    d1 = W1.data.shape[1]
    xw = np.dot(x, np.concatenate([W1.data, W1.grad], axis=1))
    z = xw[None, :, :d1] - sv * xw[None, :, d1:]
    if layers[0].b is not None:
        z += layers[0].b
    h, cache = block_forward(layers[0], x[None], z)
    caches = [cache]
    for layer in layers[1:]:
        h, cache = block_forward(layer, h)
        caches.append(cache)
    Wh = moved(head.W)
    logits = np.matmul(h, Wh)
    bh = moved(head.b) if head.b is not None else None
    if bh is not None:
        logits += bh
    losses, d = ce_grads(logits, y)
    # gradients per variant: (the parameter, its gradient at every step size (V, ...))
    grads: list[tuple[object, np.ndarray]] = [(head.W, np.matmul(h.transpose(0, 2, 1), d))]
    if head.b is not None:
        grads.append((head.b, np.add.reduce(d, axis=1)))
    d = np.matmul(d, Wh.transpose(0, 2, 1))
    for j in range(len(blocks) - 1, -1, -1):
        block, layer = blocks[j], layers[j]
        d, norm_grads = block_backward(layer, d, caches[j])
        if j == 0:  # the shared input: every variant's dW in one product
            gW = np.dot(x.T, d.transpose(1, 0, 2).reshape(n, v * d1))
            gW = gW.reshape(x.shape[1], v, d1).transpose(1, 0, 2)
        else:
            gW = np.matmul(caches[j].inp.transpose(0, 2, 1), d)
        grads.append((block.linear.W, gW))
        if block.linear.b is not None:
            grads.append((block.linear.b, np.add.reduce(d, axis=1)))
        if norm_grads is not None:
            grads += [(block.norm.gamma, norm_grads[0]), (block.norm.beta, norm_grads[1])]
        if j > 0:
            d = np.matmul(d, layer.W.transpose(0, 2, 1))
    moved_weights = [Wh, *(layer.W for layer in layers)]
    losses = losses + _penalties(m, moved_weights)
    weights = [head.W, *(b.linear.W for b in blocks)]
    penalised = {id(w): W for w, W in zip(weights, moved_weights, strict=True)}
    dg2 = np.zeros(v)
    for p, g in grads:
        g = g.reshape(v, *p.grad.shape)
        W = penalised.get(id(p))
        if W is not None:  # MLP.backward's penalty terms, at the moved weights
            if m.spec.weight_decay:
                g += m.spec.weight_decay * W
            if m.spec.l1:
                g += m.spec.l1 * np.sign(W)
        diff = (g - p.grad[None]).reshape(v, -1).astype(np.float64)
        dg2 += np.einsum("ij,ij->i", diff, diff)
    return _summary(
        float(loss0),
        _norm_all(m.parameters()),
        steps,
        [float(a) for a in losses],
        [math.sqrt(float(a)) for a in dg2],
    )


def _norm_all(params) -> float:
    """||g|| over every parameter's gradient, in float64."""
    total = 0.0
    for p in params:
        g = p.grad.astype(np.float64, copy=False).reshape(-1)
        total += float(np.dot(g, g))
    return math.sqrt(total)


def _penalties(m, weights: list[np.ndarray]) -> np.ndarray:
    """``MLP.penalty`` of every variant: 0.5 wd sum W^2 + l1 sum |W| over the Linear
    weights ((V, D_in, D_out) each), in float64."""
    v = weights[0].shape[0]
    total = np.zeros(v)
    wd, l1 = m.spec.weight_decay, m.spec.l1
    for W in weights:
        flat = W.reshape(v, -1).astype(np.float64)
        if wd:
            total += 0.5 * wd * np.einsum("ij,ij->i", flat, flat)
        if l1:
            total += l1 * np.abs(flat).sum(axis=1)
    return total
