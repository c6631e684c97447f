"""Measurements from Santurkar, Tsipras, Ilyas & Madry (2018), "How Does Batch
Normalization Help Optimization?": internal covariate shift (Definition 2.1) and the
smoothness of the loss along the gradient (their Fig. 4).

Both run their passes on the model itself and then put it back exactly as found
(``preserved``): parameters and gradients (in place, so packed views stay valid), BN
running statistics, the cached activations and scratch buffers of the last pass, and the
dropout generator's state. (A ``copy.deepcopy`` would be simpler and costs about three
training steps of the default net per call: more than the measurement itself.) Dropout,
if the net has it, draws one mask per layer for the first pass (the masks the next
training step will draw, as the generator is restored) and keeps it for every later
pass, so the passes differ only in the parameters.

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
        objs += [o for o in (b.bn, b.dropout) if o is not None]
    return objs


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
    every parameter's data and grad (in place) and the dropout generators' states.

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
    rngs = {id(b.dropout.rng): b.dropout.rng for b in model.blocks if b.dropout is not None}
    states = [(g, g.bit_generator.state) for g in rngs.values()]
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
    return loss


def _weight_grad(model, W) -> np.ndarray:
    """dL/dW after a backward through W's layer only, with the penalty terms that
    ``MLP.backward`` adds (the same operations, so equal inputs give equal bits)."""
    g = W.grad.copy()
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
    with preserved(model):
        return _ics(model, x, y, lr, grads_ready, optimizer)


def _ics(
    m, x: np.ndarray, y: np.ndarray, lr: float, grads_ready: bool, optimizer=None
) -> list[tuple[float, float]]:
    _first_pass(m, x, y, grads_ready)
    blocks, head = m.blocks, m.head
    linears = [b.linear for b in blocks] + [head]
    G = [lin.W.grad.copy() for lin in linears]  # MLP.backward added the penalty terms
    # the update of every hidden block from the first pass's gradients: the optimizer's
    # actual one, or a plain SGD step
    if optimizer is None:
        steps = [[(p, lr * p.grad) for p in b.parameters()] for b in blocks]
    else:
        steps = [[(p, optimizer.delta(p)) for p in b.parameters()] for b in blocks]
    if _stackable(m, x):
        return _ics_stacked(m, x, y, G, steps)
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
# W_i. Those k - 1 passes share every weight they use, so they run as one: the rows of
# "branch" i (the pass for G'_i) are stacked under those of branches 2..i-1, each layer
# multiplies all branches' rows in one product, and branch i joins at layer i (its input
# is the stepped chain's output there) and leaves at layer i on the way down (where its
# dW_i is read). BN normalizes each branch's rows with that branch's own batch
# statistics (as the separate passes did); a frozen dropout mask repeats for each branch.
# The same sums as the per-layer passes, in fewer and larger NumPy calls: a test pins
# both to an independent Definition 2.1 computation.


def _stackable(m, x: np.ndarray) -> bool:
    """True when every block is one the stacked pass handles: Linear, BN in train mode
    (textbook or fast) or no normalization, an elementwise activation, dropout (frozen
    mask); inputs at least two rows."""
    from bntui.nn.fast import FastBatchNorm1d
    from bntui.nn.layers import BatchNorm1d

    if x.ndim != 2 or x.shape[0] < 2 or not m.blocks:
        return False
    for b in m.blocks:
        if b.norm is not None and type(b.norm) not in (BatchNorm1d, FastBatchNorm1d):
            return False
        drop = b.dropout
        if drop is not None and drop.mask is not None and drop.mask.shape[0] != x.shape[0]:
            return False
    return True


def _bn_stacked(bn, z: np.ndarray, branches: int) -> tuple[np.ndarray, object]:
    """Train-mode BN of each branch's rows with its own batch statistics, in the layer's
    own arithmetic (the same bits as separate passes): (out, what the backward needs)."""
    from bntui.nn.fast import FastBatchNorm1d

    n = z.shape[0] // branches
    if type(bn) is FastBatchNorm1d and n > 1 and z.dtype == bn.running_mean.dtype:
        return _fast_bn_stacked(bn, z, branches)
    out = np.empty_like(z)
    states = []
    for b in range(branches):
        out[b * n : (b + 1) * n] = bn.forward(z[b * n : (b + 1) * n])
        states.append({k: v for k, v in vars(bn).items() if k in _BN_STATE})
    return out, states


_BN_STATE = ("_fast", "_cache", "_eval_cache")  # what a BN backward reads of its forward


def _fast_bn_stacked(bn, z: np.ndarray, branches: int) -> tuple[np.ndarray, tuple]:
    """``FastBatchNorm1d.forward``'s operations on every branch at once: the batch sums
    per branch (the layer's BLAS products with 1/N), the elementwise steps on all rows."""
    n, d = z.shape[0] // branches, z.shape[1]
    z3 = z.reshape(branches, n, d)
    invn = np.full(n, 1.0 / n, z.dtype)
    mean = np.empty((branches, 1, d), z.dtype)
    var = np.empty((branches, 1, d), z.dtype)
    for b in range(branches):
        np.dot(invn, z3[b], out=mean[b, 0])  # mu_B = 1/N sum_i x_i
    xhat = z3 - mean
    sq = xhat * xhat
    for b in range(branches):
        np.dot(invn, sq[b], out=var[b, 0])  # sigma_B^2 (biased)
    invstd = var + bn.eps
    np.sqrt(invstd, out=invstd)
    np.reciprocal(invstd, out=invstd)  # 1 / sqrt(sigma_B^2 + eps)
    xhat *= invstd
    out = xhat * bn.gamma.data  # y = gamma xhat + beta
    out += bn.beta.data
    return out.reshape(z.shape), (xhat, invstd)


def _bn_stacked_backward(bn, dout: np.ndarray, states: object) -> np.ndarray:
    """dL/dz of ``_bn_stacked``, in the layer's own arithmetic."""
    if isinstance(states, tuple):  # FastBatchNorm1d.backward's operations, all branches
        from bntui.nn.fast import ones

        xhat, invstd = states
        branches, n, d = xhat.shape
        d3 = dout.astype(xhat.dtype, copy=False).reshape(xhat.shape)
        one = ones(n, xhat.dtype)
        dbeta = np.empty((branches, 1, d), xhat.dtype)
        dgamma = np.empty((branches, 1, d), xhat.dtype)
        t = d3 * xhat
        for b in range(branches):
            np.dot(one, d3[b], out=dbeta[b, 0])  # sum_i dout_i
            np.dot(one, t[b], out=dgamma[b, 0])  # sum_i dout_i xhat_i
        dx = xhat * (dgamma * (-1.0 / n))
        dx += d3
        dx -= dbeta * (1.0 / n)
        dx *= bn.gamma.data * invstd
        return dx.reshape(dout.shape)
    assert isinstance(states, list)
    n = dout.shape[0] // len(states)
    dz = np.empty_like(dout)
    for b, state in enumerate(states):
        vars(bn).update(state)
        dz[b * n : (b + 1) * n] = bn.backward(dout[b * n : (b + 1) * n])
    return dz


def _ce_grads(logits: np.ndarray, y: np.ndarray, branches: int) -> np.ndarray:
    """dL/dlogits of each branch's mean softmax cross-entropy over its own n rows, for all
    branches in one go: ``softmax_cross_entropy``'s row-wise operations, so each row gets
    the bits a separate call would give it."""
    from bntui.nn.functional.loss import _row_reduce, _row_starts

    rows, k = logits.shape
    n = rows // branches
    z = logits - _row_reduce(np.maximum, logits)  # shift by the row max
    e = np.exp(z)
    s = _row_reduce(np.add, e)  # sum_j exp(z_ij)
    e *= 1.0 / (s * n)  # p / N
    e.reshape(-1)[_row_starts(rows, k) + np.tile(y, branches)] -= 1.0 / n  # (p - onehot) / N
    return e


def _ics_stacked(
    m, x: np.ndarray, y: np.ndarray, G: list[np.ndarray], steps: list
) -> list[tuple[float, float]]:
    blocks, head = m.blocks, m.head
    k = len(blocks) + 1  # Linear layers; branch i = 2..k computes G'_i
    n = x.shape[0]
    # the stepped chain: chain[i - 1] is the input of layer i with layers 1..i-1 stepped
    originals = [(p, p.data.copy()) for b in blocks for p in b.parameters()]
    chain = [x.astype(m.dtype, copy=False)]
    for j in range(1, k):
        for p, delta in steps[j - 1]:
            p.data -= delta
        chain.append(blocks[j - 1].forward(chain[-1]))
    for p, data in originals:  # the branches run through the unstepped layers
        np.copyto(p.data, data)
    # forward: at block j (1-based, j >= 2) the rows of branches 2..j
    caches = []
    h = None
    for j in range(2, k):
        block = blocks[j - 1]
        inp = chain[j - 1] if h is None else np.concatenate([h, chain[j - 1]])
        branches = j - 1
        lin, norm = block.linear, block.norm
        z = inp @ lin.W.data
        if lin.b is not None:
            z += lin.b.data
        bn_before = bn_after = None
        before = norm is not None and block.bn_position == "before"
        if before:
            z, bn_before = _bn_stacked(norm, z, branches)
        a = block.act.forward(z)
        if norm is not None and not before:
            a, bn_after = _bn_stacked(norm, a, branches)
        mask = None
        drop = block.dropout
        if drop is not None and drop.mask is not None:
            mask = np.tile(drop.mask, (branches, 1))
            a = a * mask
        caches.append((inp, bn_before, bn_after, mask))  # block.act keeps its own state
        h = a
    inp = chain[k - 1] if h is None else np.concatenate([h, chain[k - 1]])
    logits = inp @ head.W.data
    if head.b is not None:
        logits += head.b.data
    d = _ce_grads(logits, y, k - 1)
    out: list[tuple[float, float]] = [(0.0, 1.0)] * k
    head.W.grad[...] = inp[-n:].T @ d[-n:]  # branch k leaves at the head
    out[k - 1] = compare_gradients(G[k - 1], _weight_grad(m, head.W))
    d = d[:-n] @ head.W.data.T
    for j in range(k - 1, 1, -1):
        block = blocks[j - 1]
        inp, bn_before, bn_after, mask = caches[j - 2]
        if mask is not None:
            d = d * mask
        if bn_after is not None:
            d = _bn_stacked_backward(block.norm, d, bn_after)
        d = block.act.backward(d)
        if bn_before is not None:
            d = _bn_stacked_backward(block.norm, d, bn_before)
        W = block.linear.W
        W.grad[...] = inp[-n:].T @ d[-n:]  # branch j leaves at layer j
        out[j - 1] = compare_gradients(G[j - 1], _weight_grad(m, W))
        d = d[:-n] @ W.data.T
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
    losses = [float(loss0)]
    gnorm = _norm(g0)
    pred, beta = 0.0, 0.0
    for s in steps:
        loss, g = f(w - s * g0)
        losses.append(float(loss))
        dg = _norm(g - g0)
        pred = max(pred, dg)
        dist = s * gnorm
        beta = max(beta, dg / dist) if dist > 0 else beta
    if gnorm == 0.0 or not steps:
        beta = math.nan
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
    with preserved(model):
        return _smoothness(model, x, y, [e * lr for e in etas], grads_ready)


def _smoothness(
    m, x: np.ndarray, y: np.ndarray, steps: list[float], grads_ready: bool
) -> Smoothness:
    loss0 = _first_pass(m, x, y, grads_ready)
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
