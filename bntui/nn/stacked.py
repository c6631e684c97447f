"""S independent nets of one shape trained at once, on a leading axis.

``bntui verify`` trains the same small net on many seeds (and learning rates, init scales):
a 4×32 net on a batch of 2 spends most of a step in NumPy's per-call overhead, not in
arithmetic. ``StackedMLP`` takes S ``MLP``s built as usual (``fast=True``: each from its
own seed's streams) and trains them together: weights of shape (S, in, out), activations
(S, N, width), one NumPy call per operation for all S nets (``np.matmul`` runs one BLAS
product per net, the same one ``np.dot`` runs for a single net).

Every operation is the single net's own, in its order (``fast.py``'s fused BN and Linear,
the textbook's BRN, GN and LN, ``softmax_cross_entropy``, packed SGD), so each net of the
stack computes the numbers its solo training computes; the tests pin them to the single
path, bit for bit in float32 on the machines checked and to 1e-12 in float64.

The member MLPs stay usable: their parameters (and BN running statistics) are *rebound*
to views of the stacked buffers, so ``member.eval_logits`` (or a Session around it) reads
the weights the stack trains. Supported: hidden layers Linear -> [bn | brn | gn | ln |
noisy-bn] -> ReLU or sigmoid (norm before the activation) -> [Dropout] (each net's masks
and noise from its own generators, in its order), no penalties, plain SGD (``sgd``).
"""

from __future__ import annotations

import numpy as np

from bntui.nn.activation_layers import ReLU, Sigmoid
from bntui.nn.fast import FastBatchNorm1d, FastLinear
from bntui.nn.functional.activations import _zero, sigmoid
from bntui.nn.network import MLP
from bntui.nn.nn_error import NNError
from bntui.nn.norm_layers import BatchRenorm1d, GroupNorm, NoisyBatchNorm1d

STACKABLE_NORMS = ("bn", "brn", "gn", "ln", "noisy-bn", "none")
STACKABLE_ACTIVATIONS = ("relu", "sigmoid")
NORM_KINDS = ("bn", "brn", "gn", "noisy")  # a layer kind with _<kind>_forward/_backward


def unsupported(model: MLP) -> str | None:
    """Why ``model`` cannot be trained in a stack (None: it can)."""
    s = model.spec
    if not model.fast:
        return "not built with fast=True"
    if model.depth < 1:
        return "no hidden layer"
    if s.norm.partition(":")[0] not in STACKABLE_NORMS:
        return f"norm {s.norm}"
    if s.activation not in STACKABLE_ACTIVATIONS:
        return f"activation {s.activation}"
    if s.weight_decay or s.l1:
        return "a weight penalty"
    if s.norm != "none" and s.bn_position != "before":
        return "norm after the activation"
    for b in model.blocks:
        n = b.norm
        if not isinstance(b.linear, FastLinear) or type(b.act) not in (ReLU, Sigmoid):
            return "a layer of another kind"
        if isinstance(n, NoisyBatchNorm1d) and n.per_sample:
            return "noise per sample"
        if n is not None and not isinstance(
            n, FastBatchNorm1d | BatchRenorm1d | GroupNorm | NoisyBatchNorm1d
        ):
            return "a layer of another kind"
    return None


def _kind(norm: object) -> str:
    if norm is None:
        return "none"
    if isinstance(norm, FastBatchNorm1d):
        return "bn"
    if isinstance(norm, NoisyBatchNorm1d):
        return "noisy"
    if isinstance(norm, BatchRenorm1d):
        return "brn"
    return "gn"  # GroupNorm (LayerNorm: one group)


class _Layer:
    """One hidden layer of the stack: stacked parameters and what backward needs."""

    def __init__(self, blocks: list, dtype: np.dtype) -> None:
        first = blocks[0]
        self.kind = _kind(first.norm)
        self.sigmoid = isinstance(first.act, Sigmoid)
        self.need_dx = first.linear.need_dx
        self.W = np.stack([b.linear.W.data for b in blocks]).astype(dtype, copy=False)
        self.b = (
            None
            if first.linear.b is None
            else np.stack([b.linear.b.data for b in blocks]).astype(dtype, copy=False)
        )
        self.gamma = self.beta = None
        norm = first.norm
        if norm is not None:
            self.eps = norm.eps
            self.gamma = np.stack([b.norm.gamma.data for b in blocks])
            self.beta = np.stack([b.norm.beta.data for b in blocks])
        if self.kind == "bn":
            self.momentum = norm.momentum
            self.running = np.stack([b.norm._running for b in blocks])  # (S, 2, D)
            for i, b in enumerate(blocks):
                b.norm._running = self.running[i]
        elif self.kind in ("brn", "noisy"):
            self.momentum = norm.momentum
            if self.kind == "brn":
                self.r_max, self.d_max = norm.r_max, norm.d_max
            else:
                self.norms = [b.norm for b in blocks]
            self.rmean = np.stack([b.norm.running_mean for b in blocks])
            self.rvar = np.stack([b.norm.running_var for b in blocks])
            for i, b in enumerate(blocks):
                b.norm.running_mean, b.norm.running_var = self.rmean[i], self.rvar[i]
        elif self.kind == "gn":
            self.groups = norm.num_groups
        self.gW = self.gb = self.ggamma = self.gbeta = None  # views into the packed grads
        self.cache: tuple = ()
        self.x: np.ndarray | None = None  # the Linear's input
        self.act_in: np.ndarray | None = None  # the ReLU's input
        drop = first.dropout
        self.dropouts = None if drop is None else [b.dropout for b in blocks]
        self.mask: np.ndarray | None = None

    def params(self, blocks: list) -> list[tuple[object, str, str, list]]:
        """(owner, attribute, grad attribute, the members' Parameters) of each parameter."""
        out = [(self, "W", "gW", [b.linear.W for b in blocks])]
        if self.b is not None:
            out.append((self, "b", "gb", [b.linear.b for b in blocks]))
        if self.gamma is not None:
            out.append((self, "gamma", "ggamma", [b.norm.gamma for b in blocks]))
            out.append((self, "beta", "gbeta", [b.norm.beta for b in blocks]))
        return out


def _running_update(L: _Layer, mean: np.ndarray, var: np.ndarray, n: int) -> None:
    """``batchnorm_running_update`` on the stacked running statistics, in place (the
    unbiased variance, as a batch of ``n`` gives it)."""
    m = float(L.momentum)
    L.rmean *= 1.0 - m
    L.rmean += m * mean
    if n > 1:
        L.rvar *= 1.0 - m
        L.rvar += (m * n / (n - 1)) * var


_sum = np.add.reduce  # what np.sum calls (the same sums), without its Python wrapper


def _col(a: np.ndarray) -> np.ndarray:
    """(S, D) -> (S, 1, D): a per-net vector broadcast over the batch."""
    return a[:, None, :]


class StackedMLP:
    """S member MLPs of one structure trained together (see the module docstring); their
    initial weights may come from different inits."""

    def __init__(self, members: list[MLP]) -> None:
        if not members:
            raise NNError("StackedMLP needs at least one member")
        first = members[0]
        for m in members:
            why = unsupported(m)
            if why:
                raise NNError(f"StackedMLP: cannot stack this net ({why})")
            if (m.spec.replace(init=first.spec.init), m.in_dim, m.n_classes, m.dtype) != (
                first.spec,
                first.in_dim,
                first.n_classes,
                first.dtype,
            ):
                raise NNError("StackedMLP: the members differ in structure")
        self.members = members
        self.size = len(members)
        self.dtype = first.dtype
        self.layers = [_Layer([m.blocks[i] for m in members], self.dtype)
                       for i in range(first.depth)]  # fmt: skip
        self.Wo = np.stack([m.head.W.data for m in members])
        self.bo = np.stack([m.head.b.data for m in members])
        self.gWo = self.gbo = None
        self._pack()
        self._h: np.ndarray | None = None  # the head's input
        self._dlogits: np.ndarray | None = None
        self._vecs: dict[tuple[int, float], np.ndarray] = {}

    def _pack(self) -> None:
        """Every parameter of every net in one (S, P) buffer, gradients in another, as
        ``PackedParameters`` packs one net: the stack's arrays and the members'
        ``Parameter.data`` become views of it (rebound), so SGD is two operations."""
        entries = []
        for i, L in enumerate(self.layers):
            entries += L.params([m.blocks[i] for m in self.members])
        entries.append((self, "Wo", "gWo", [m.head.W for m in self.members]))
        entries.append((self, "bo", "gbo", [m.head.b for m in self.members]))
        total = sum(getattr(o, a)[0].size for o, a, _, _ in entries)
        self.data = np.empty((self.size, total), self.dtype)
        self.grad = np.zeros((self.size, total), self.dtype)
        self._tmp = np.empty_like(self.grad)
        off = 0
        for owner, attr, gattr, params in entries:
            arr = getattr(owner, attr)
            per, shape = arr[0].size, arr.shape[1:]
            self.data[:, off : off + per] = arr.reshape(self.size, per)
            view = self.data[:, off : off + per].reshape(self.size, *shape)
            gview = self.grad[:, off : off + per].reshape(self.size, *shape)
            assert np.shares_memory(view, self.data) and np.shares_memory(gview, self.grad)
            setattr(owner, attr, view)
            setattr(owner, gattr, gview)
            for i, p in enumerate(params):  # rebind: the members read the stacked weights
                p.data = self.data[i, off : off + per].reshape(shape)
            off += per

    def _vec(self, n: int, value: float) -> np.ndarray:
        """A vector of n ``value``s (ones, 1/N) in the nets' dtype, kept between steps."""
        v = self._vecs.get((n, value))
        if v is None:
            v = self._vecs[n, value] = np.full(n, value, self.dtype)
        return v

    # ------------------------------------------------------------------ forward
    def _bn_forward(self, L: _Layer, x: np.ndarray) -> np.ndarray:
        """``FastBatchNorm1d.forward`` (train mode), per net."""
        n = x.shape[1]
        invn = self._vec(n, 1.0 / n)
        mean = np.matmul(invn, x)  # mu_B = 1/N sum_i x_i
        xhat = x - _col(mean)
        sq = xhat * xhat
        var = np.matmul(invn, sq)  # biased
        invstd = var + L.eps
        np.sqrt(invstd, out=invstd)
        np.reciprocal(invstd, out=invstd)
        xhat *= _col(invstd)
        out = xhat * _col(L.gamma)
        out += _col(L.beta)
        L.cache = (xhat, invstd)
        m = L.momentum
        coef = np.array([[m], [m * n / (n - 1)]], dtype=self.dtype)
        stats = np.stack([mean, var], axis=1)  # (S, 2, D)
        L.running *= 1.0 - m
        stats *= coef
        L.running += stats
        return out

    def _brn_forward(self, L: _Layer, x: np.ndarray) -> np.ndarray:
        """``BatchRenorm1d.forward`` (``batchrenorm_forward``, textbook), per net."""
        n = x.shape[1]
        mean = _sum(x, axis=1) * (1.0 / n)
        xc = x - _col(mean)
        var = _sum(xc * xc, axis=1) * (1.0 / n)
        std = np.sqrt(var + float(L.eps))
        invstd = 1.0 / std
        xbn = xc * _col(invstd)
        sigma = np.sqrt(L.rvar + float(L.eps))
        r = np.clip(std / sigma, 1.0 / float(L.r_max), float(L.r_max))
        d = np.clip((mean - L.rmean) / sigma, -float(L.d_max), float(L.d_max))
        xhat = xbn * _col(r) + _col(d)
        out = _col(L.gamma) * xhat + _col(L.beta)
        L.cache = (xhat, xbn, invstd, r)
        _running_update(L, mean, var, n)
        return out

    def _noisy_forward(self, L: _Layer, x: np.ndarray) -> np.ndarray:
        """``NoisyBatchNorm1d.forward`` (train mode): the textbook BN, its running
        statistics, then each net's scale and shift from its own generator."""
        n = x.shape[1]
        mean = _sum(x, axis=1) * (1.0 / n)  # batchnorm_forward
        xc = x - _col(mean)
        var = _sum(xc * xc, axis=1) * (1.0 / n)
        std = np.sqrt(var + float(L.eps))
        invstd = 1.0 / std
        xhat = xc * _col(invstd)
        y = _col(L.gamma) * xhat + _col(L.beta)
        _running_update(L, mean, var, n)
        d = x.shape[2]
        scale, shift = [], []
        for nb in L.norms:  # each net's draws, in the order its solo pass makes them
            scale.append((nb.scale[0] + nb.scale[1] * nb.rng.standard_normal(d)).astype(y.dtype))
            shift.append((nb.shift[0] + nb.shift[1] * nb.rng.standard_normal(d)).astype(y.dtype))
        s = np.stack(scale)
        L.cache = (xhat, invstd, s)
        return y * _col(s) + _col(np.stack(shift))

    def _gn_forward(self, L: _Layer, x: np.ndarray) -> np.ndarray:
        """``groupnorm_forward`` (LN: one group), per net."""
        s, n, c = x.shape
        g = L.groups
        m = c // g
        xg = x.reshape(s, n, g, m)
        mean = _sum(xg, axis=3, keepdims=True) * (1.0 / m)
        xc = xg - mean
        var = _sum(xc * xc, axis=3, keepdims=True) * (1.0 / m)
        invstd = 1.0 / np.sqrt(var + float(L.eps))
        xhat = (xc * invstd).reshape(s, n, c)
        out = _col(L.gamma) * xhat + _col(L.beta)
        L.cache = (xhat, invstd)
        return out

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Train-mode logits (S, N, classes) of a stacked batch x (S, N, in)."""
        h = x.astype(self.dtype, copy=False)
        for L in self.layers:
            L.x = h
            z = np.matmul(h, L.W)  # z = x W
            if L.b is not None:
                z += L.b[:, None, :]  # + b
            if L.kind in NORM_KINDS:  # _bn_forward, _brn_forward, _gn_forward, ...
                z = getattr(self, f"_{L.kind}_forward")(L, z)
            L.act_in = z
            h = L.act_out = sigmoid(z) if L.sigmoid else np.maximum(z, _zero(z.dtype))
            if L.dropouts is not None:
                h = self._dropout(L, h)
        self._h = h
        logits = np.matmul(h, self.Wo)
        logits += self.bo[:, None, :]
        return logits

    def _dropout(self, L: _Layer, h: np.ndarray) -> np.ndarray:
        """``Dropout.forward`` (train mode): each net draws its mask from its own
        generator, as its solo forward pass would at this layer."""
        d = L.dropouts[0]  # type: ignore[index]
        if d.p == 0.0:
            L.mask = None
            return h
        shape = h.shape[1:]
        keep = np.stack([dr.rng.random(shape, dtype=np.float32) >= d.p for dr in L.dropouts])
        mask = keep.astype(h.dtype)
        if d.style == "inverted":
            mask *= 1.0 / (1.0 - d.p)
        L.mask = mask
        return h * mask

    def loss(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(each net's mean cross-entropy (S,) as ``softmax_cross_entropy`` returns it,
        logits); keeps dlogits for ``backward``."""
        logits = self.forward(x)
        s, n, k = logits.shape
        # softmax_cross_entropy's arithmetic, per net (row reductions column by column
        # for a few classes, as its _row_reduce)
        if k > 4:
            zmax = np.maximum.reduce(logits, axis=2, keepdims=True)
        else:
            zmax = logits[..., 0:1]
            for j in range(1, k):
                zmax = np.maximum(zmax, logits[..., j : j + 1])
        z = logits - zmax
        e = np.exp(z)
        if k > 4:
            tot = np.add.reduce(e, axis=2, keepdims=True)
        else:
            tot = e[..., 0:1]
            for j in range(1, k):
                tot = np.add(tot, e[..., j : j + 1])
        rows = np.arange(s)[:, None], np.arange(n)[None, :], y
        log_s = np.add.reduce(np.log(tot).reshape(s, n), axis=1)
        picked = np.add.reduce(np.ascontiguousarray(z[rows]), axis=1)
        losses = (log_s - picked).astype(np.float64) / n
        e *= 1.0 / (tot * n)
        e[rows] -= 1.0 / n
        self._dlogits = e
        return losses, logits

    # ------------------------------------------------------------------ backward
    def _linear_backward(
        self,
        x: np.ndarray,
        W: np.ndarray,
        gW: np.ndarray,
        gb: np.ndarray | None,
        dout: np.ndarray,
        need_dx: bool,
    ) -> np.ndarray | None:
        """``FastLinear.backward``, per net: gW, gb filled; dx returned (or None)."""
        np.matmul(x.transpose(0, 2, 1), dout, out=gW)  # x^T dout
        if gb is not None:
            np.matmul(self._vec(dout.shape[1], 1.0), dout, out=gb)  # ones^T dout
        return np.matmul(dout, W.transpose(0, 2, 1)) if need_dx else None

    def _bn_backward(self, L: _Layer, dout: np.ndarray) -> np.ndarray:
        """``FastBatchNorm1d.backward``, per net."""
        xhat, invstd = L.cache
        n = dout.shape[1]
        one = self._vec(n, 1.0)
        np.matmul(one, dout, out=L.gbeta)
        t = dout * xhat
        np.matmul(one, t, out=L.ggamma)
        dx = xhat * _col(L.ggamma * (-1.0 / n))
        dx += dout
        dx -= _col(L.gbeta * (1.0 / n))
        dx *= _col(L.gamma * invstd)
        return dx

    def _brn_backward(self, L: _Layer, dout: np.ndarray) -> np.ndarray:
        """``batchrenorm_backward``, per net (r, d constant)."""
        xhat, xbn, invstd, r = L.cache
        n = dout.shape[1]
        _sum(dout, axis=1, out=L.gbeta)
        _sum(dout * xhat, axis=1, out=L.ggamma)
        dbn = _sum(dout * xbn, axis=1)
        coef = L.gamma * r * invstd * (1.0 / n)
        return _col(coef) * (n * dout - _col(L.gbeta) - xbn * _col(dbn))

    def _noisy_backward(self, L: _Layer, dout: np.ndarray) -> np.ndarray:
        """``NoisyBatchNorm1d.backward``: dout times the scale, then the textbook BN's."""
        xhat, invstd, s = L.cache
        dout = dout * _col(s)
        n = dout.shape[1]
        _sum(dout, axis=1, out=L.gbeta)
        _sum(dout * xhat, axis=1, out=L.ggamma)
        coef = L.gamma * invstd * (1.0 / n)
        return _col(coef) * (n * dout - _col(L.gbeta) - xhat * _col(L.ggamma))

    def _gn_backward(self, L: _Layer, dout: np.ndarray) -> np.ndarray:
        """``groupnorm_backward``, per net."""
        xhat, invstd = L.cache
        s, n, c = dout.shape
        g = invstd.shape[2]
        m = c // g
        _sum(dout, axis=1, out=L.gbeta)
        _sum(dout * xhat, axis=1, out=L.ggamma)
        dxhat = (dout * _col(L.gamma)).reshape(s, n, g, m)
        xh = xhat.reshape(s, n, g, m)
        sum_d = _sum(dxhat, axis=3, keepdims=True)
        sum_dx = _sum(dxhat * xh, axis=3, keepdims=True)
        dx = (invstd * (1.0 / m)) * (m * dxhat - sum_d - xh * sum_dx)
        return dx.reshape(s, n, c)

    def backward(self) -> None:
        """Every net's gradients from the last ``loss``."""
        if self._dlogits is None:
            raise NNError("StackedMLP.backward needs a loss() call first")
        d = self._linear_backward(self._h, self.Wo, self.gWo, self.gbo, self._dlogits, True)
        for L in reversed(self.layers):
            if L.mask is not None:
                d = d * L.mask  # dropout: the same units on the way back
            if L.sigmoid:
                d = d * L.act_out * (1.0 - L.act_out)  # sigmoid_backward
            else:
                d = d * np.greater(L.act_in, _zero(L.act_in.dtype))  # relu_backward
            if L.kind in NORM_KINDS:
                d = getattr(self, f"_{L.kind}_backward")(L, d)
            d = self._linear_backward(L.x, L.W, L.gW, L.gb, d, L.need_dx)

    def sgd(self, lr: float | np.ndarray) -> None:
        """w <- w - lr g for every parameter of every net (``SGD``'s float arithmetic, on
        the packed buffer); ``lr``: one for all, or one per net, shape (S, 1, 1) in the
        nets' dtype."""
        if not isinstance(lr, np.ndarray):
            lr = float(lr)
        elif lr.shape != (self.size, 1, 1) or lr.dtype != self.dtype:
            raise NNError(f"StackedMLP.sgd: lr per net must be ({self.size}, 1, 1) {self.dtype}")
        else:
            lr = lr[:, 0]
        np.multiply(self.grad, lr, out=self._tmp)
        self.data -= self._tmp
