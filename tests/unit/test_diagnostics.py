"""bntui.nn.diagnostics: ICS (Santurkar et al. 2018, Def. 2.1) and smoothness (Fig. 4).

Known answers come from formulas written out here in NumPy (and finite differences of a
loss written here), never from the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from bntui.nn import MLP, NNError
from bntui.nn.diagnostics import ETAS, along_gradient, compare_gradients, ics, smoothness

IN, CLASSES = 3, 3


def make(depth: int = 2, width: int = 4, seed: int = 0, **kw: object) -> MLP:
    args: dict[str, object] = {"depth": depth, "width": width, "dtype": np.float64}
    args.update(kw)
    return MLP(
        IN,
        CLASSES,
        rng=np.random.default_rng(seed + 1),
        dropout_rng=np.random.default_rng(seed + 2),
        **args,  # type: ignore[arg-type]
    )


def batch(n: int = 6, seed: int = 0, dtype: type = np.float64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(100 + seed)
    return rng.standard_normal((n, IN)).astype(dtype), rng.integers(0, CLASSES, n)


def roughen(m: MLP, seed: int = 5) -> None:
    """Move gamma/beta/bias away from their symmetric start."""
    rng = np.random.default_rng(seed)
    for b in m.blocks:
        if b.bn is not None:
            b.bn.gamma.data[:] = rng.standard_normal(m.spec.width) * 0.3 + 1
            b.bn.beta.data[:] = rng.standard_normal(m.spec.width) * 0.3
        if b.linear.b is not None:
            b.linear.b.data[:] = rng.standard_normal(m.spec.width) * 0.3
    m.head.b.data[:] = rng.standard_normal(CLASSES) * 0.3


# --------------------------------------------------------------------------- independent
def softmax_ce(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    n = y.size
    loss = -np.log(p[np.arange(n), y]).mean()
    onehot = np.zeros_like(p)
    onehot[np.arange(n), y] = 1.0
    return float(loss), (p - onehot) / n


def cos_l2(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    a, b = a.ravel(), b.ravel()
    return float(np.linalg.norm(a - b)), float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_two_layer_case_by_hand() -> None:
    """depth 1, identity activation, no BN: every gradient written out by hand."""
    m = make(depth=1, width=2, activation="identity", bn=False)
    W1 = np.array([[0.5, -0.3], [0.2, 0.4], [-0.1, 0.6]])
    b1 = np.array([0.1, -0.2])
    W2 = np.array([[0.3, -0.5, 0.2], [0.7, 0.1, -0.4]])
    b2 = np.array([0.05, 0.0, -0.05])
    m.blocks[0].linear.W.data[...] = W1
    m.blocks[0].linear.b.data[...] = b1
    m.head.W.data[...] = W2
    m.head.b.data[...] = b2
    x = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0], [-1.0, 1.0, 1.0]])
    y = np.array([0, 2, 1])
    lr = 0.5
    # the first pass
    h = x @ W1 + b1
    _, dlog = softmax_ce(h @ W2 + b2, y)
    G2 = h.T @ dlog
    dh = dlog @ W2.T
    gW1, gb1 = x.T @ dh, dh.sum(axis=0)
    # layer 1 takes one SGD step; the head's gradient again
    h2 = x @ (W1 - lr * gW1) + (b1 - lr * gb1)
    _, dlog2 = softmax_ce(h2 @ W2 + b2, y)
    G2b = h2.T @ dlog2
    # G2b by central differences of the loss at the stepped parameters (checks the formula)
    fd = np.zeros_like(W2)
    for idx in np.ndindex(W2.shape):
        e = np.zeros_like(W2)
        e[idx] = 1e-6
        up = softmax_ce(h2 @ (W2 + e) + b2, y)[0]
        down = softmax_ce(h2 @ (W2 - e) + b2, y)[0]
        fd[idx] = (up - down) / 2e-6
    np.testing.assert_allclose(G2b, fd, atol=1e-8)
    want = cos_l2(G2, G2b)
    assert want[0] > 1e-3  # the step really moved the head's gradient
    got = ics(m, x, y, lr)
    assert got[0] == (0.0, 1.0)
    assert got[1] == pytest.approx(want, rel=1e-10, abs=1e-12)


# a net written out in the test: tanh, BN before the activation (train mode), float64
def net_loss(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, depth: int) -> float:
    h = x
    for i in range(1, depth + 1):
        z = h @ params[f"W{i}"]
        mu, var = z.mean(axis=0), z.var(axis=0)
        zhat = (z - mu) / np.sqrt(var + 1e-5)
        h = np.tanh(params[f"g{i}"] * zhat + params[f"be{i}"])
    return softmax_ce(h @ params["Wo"] + params["bo"], y)[0]


def fd_grads(params: dict[str, np.ndarray], f, h: float = 1e-6) -> dict[str, np.ndarray]:
    out = {}
    for k, a in params.items():
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            old = a[idx]
            a[idx] = old + h
            up = f()
            a[idx] = old - h
            down = f()
            a[idx] = old
            g[idx] = (up - down) / (2 * h)
        out[k] = g
    return out


def test_bn_tanh_three_layers_against_finite_differences() -> None:
    """Definition 2.1 applied to a net defined in the test, gradients by finite differences."""
    depth, lr = 2, 0.3
    m = make(depth=depth, width=3, activation="tanh", bn=True)
    roughen(m)
    x, y = batch(n=7)
    params: dict[str, np.ndarray] = {}
    for i, b in enumerate(m.blocks, start=1):
        assert b.linear.b is None  # BN before: no bias
        params[f"W{i}"] = b.linear.W.data.copy()
        params[f"g{i}"] = b.bn.gamma.data.copy()
        params[f"be{i}"] = b.bn.beta.data.copy()
    params["Wo"], params["bo"] = m.head.W.data.copy(), m.head.b.data.copy()
    order = [f"{k}{i}" for i in range(1, depth + 1) for k in ("W", "g", "be")]
    grads = fd_grads(params, lambda: net_loss(params, x, y, depth))
    want = [(0.0, 1.0)]
    for i in range(2, depth + 2):
        stepped = {k: v.copy() for k, v in params.items()}
        for k in order[: 3 * (i - 1)]:  # every parameter of the layers before i
            stepped[k] -= lr * grads[k]
        key = f"W{i}" if i <= depth else "Wo"
        g2 = fd_grads(stepped, lambda s=stepped: net_loss(s, x, y, depth))[key]
        want.append(cos_l2(grads[key], g2))
    got = ics(m, x, y, lr)
    assert len(got) == depth + 1
    assert got[0] == (0.0, 1.0)
    for (l2, c), (wl2, wc) in zip(got[1:], want[1:], strict=True):
        assert wl2 > 1e-4
        assert l2 == pytest.approx(wl2, rel=1e-5)
        assert c == pytest.approx(wc, abs=1e-8)


@pytest.mark.parametrize("bn", [False, True])
def test_earlier_layers_with_zero_gradient_give_g_prime_equal_g(bn: bool) -> None:
    """W2 = 0: nothing reaches layer 1 (dL/dh1 = dz2 W2^T = 0), so its SGD step is a no-op
    and layer 2's gradient after the step is the same, bit for bit: exactly (0, 1)."""
    m = make(depth=2, width=4, activation="tanh", bn=bn)
    roughen(m)
    m.blocks[1].linear.W.data[...] = 0.0
    x, y = batch()
    m.loss(x, y, train=True)
    m.backward()
    assert all(not p.grad.any() for p in m.blocks[0].parameters())  # layer 1: zero gradient
    assert np.abs(m.blocks[1].linear.W.grad).max() > 1e-3  # layer 2's G is not zero
    got = ics(m, x, y, 0.5)
    assert got[0] == (0.0, 1.0)
    assert got[1] == pytest.approx((0.0, 1.0), abs=1e-12)  # to rounding (float64)
    assert got[2][0] > 1e-3  # the head does move: layer 2 (W2 and its BN/bias) took a step


def test_zero_lr_is_no_shift_and_penalties_count() -> None:
    m = make(depth=3, width=4, activation="relu", bn=True, weight_decay=0.1, l1=0.01)
    x, y = batch()
    for got in ics(m, x, y, 0.0):
        assert got == pytest.approx((0.0, 1.0), abs=1e-12)  # to rounding (float64)
    assert all(l2 > 1e-3 for l2, _ in ics(m, x, y, 0.5)[1:])


@pytest.mark.parametrize(
    "kw",
    [
        {"bn": True, "activation": "relu"},
        {"bn": False, "activation": "sigmoid"},
        {"bn": True, "bn_position": "after", "dropout": 0.3},
        {"bn": True, "dropout": 0.5, "dtype": np.float32, "weight_decay": 0.01},
    ],
)
def test_layer_one_is_exactly_zero_one(kw: dict) -> None:
    m = make(depth=3, width=5, **kw)
    x, y = batch(n=8, dtype=m.dtype.type)
    got = ics(m, x, y, 0.1)
    assert len(got) == 4
    assert got[0] == (0.0, 1.0)
    assert all(math.isfinite(a) and -1.0 <= c <= 1.0 for a, c in got)


def test_depth_zero_has_only_the_head() -> None:
    m = make(depth=0)
    x, y = batch()
    assert ics(m, x, y, 0.1) == [(0.0, 1.0)]


# --------------------------------------------------------------------------- left as found
def snapshot(m: MLP) -> dict[str, object]:
    """Every array and generator state the model holds that a measurement might touch."""
    snap: dict[str, object] = {}
    for p in m.parameters():
        snap[p.name + ".data"] = p.data.copy()
        snap[p.name + ".grad"] = p.grad.copy()
        snap[p.name + ".id"] = (id(p), id(p.data), id(p.grad))
    for b in m.blocks:
        for tap in ("z", "act_in", "act_out"):
            a = getattr(b, tap)
            snap[f"{b.name}.{tap}"] = None if a is None else (id(a), a.copy())
        snap[b.name + ".x"] = (id(b.linear.x), b.linear.x.copy())
        if b.bn is not None:
            snap[b.name + ".running"] = (b.bn.running_mean.copy(), b.bn.running_var.copy())
            snap[b.name + ".bn.training"] = b.bn.training
        if b.dropout is not None:
            d = b.dropout
            snap[b.name + ".mask"] = None if d.mask is None else (id(d.mask), d.mask.copy())
            snap[b.name + ".fixed"] = d.fixed_mask
            snap[b.name + ".rng"] = repr(d.rng.bit_generator.state)
    snap["head.x"] = (id(m.head.x), m.head.x.copy())
    snap["data_loss"] = m.last_data_loss
    return snap


def assert_same(a: dict[str, object], b: dict[str, object]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        va, vb = a[k], b[k]
        if isinstance(va, tuple):
            assert len(va) == len(vb), k  # type: ignore[arg-type]
            for x1, x2 in zip(va, vb, strict=True):  # type: ignore[arg-type]
                if isinstance(x1, np.ndarray):
                    assert x1.dtype == x2.dtype and np.array_equal(x1, x2), k
                    assert x1.tobytes() == x2.tobytes(), k
                else:
                    assert x1 == x2, k
        elif isinstance(va, np.ndarray):
            assert va.tobytes() == vb.tobytes(), k  # type: ignore[union-attr]
        elif isinstance(va, float) and math.isnan(va):
            assert isinstance(vb, float) and math.isnan(vb), k
        else:
            assert va == vb, k


@pytest.mark.parametrize("bn", [False, True])
def test_model_left_as_found(bn: bool) -> None:
    m = make(depth=3, width=5, bn=bn, dropout=0.2, dtype=np.float32)
    x, y = batch(n=8, dtype=np.float32)
    m.loss(x, y, train=True)
    m.backward()
    before = snapshot(m)
    ics(m, x, y, 0.2)
    assert_same(before, snapshot(m))
    smoothness(m, x, y, 0.2)
    assert_same(before, snapshot(m))


def test_training_after_a_measurement_is_unchanged() -> None:
    """Two identical nets, one measured before every step: the same weights bit for bit."""
    a = make(depth=3, width=6, bn=True, dropout=0.3, dtype=np.float32, seed=3)
    b = make(depth=3, width=6, bn=True, dropout=0.3, dtype=np.float32, seed=3)
    for t in range(6):
        x, y = batch(n=9, seed=t, dtype=np.float32)
        ics(b, x, y, 0.1)
        smoothness(b, x, y, 0.1)
        for m in (a, b):
            m.loss(x, y, train=True)
            m.backward()
            for p in m.parameters():
                p.data -= 0.1 * p.grad
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert pa.data.tobytes() == pb.data.tobytes()
    for ba, bb in zip(a.blocks, b.blocks, strict=True):
        assert ba.bn.running_var.tobytes() == bb.bn.running_var.tobytes()


# --------------------------------------------------------------------------- smoothness
def quadratic(lams: np.ndarray):
    """L(w) = 1/2 sum lam_k w_k^2: gradient lam * w, Hessian diag(lam), beta = max lam."""

    def f(w: np.ndarray) -> tuple[float, np.ndarray]:
        return 0.5 * float(np.sum(lams * w * w)), lams * w

    return f


def test_quadratic_along_an_eigenvector() -> None:
    """w = c e_k: g = lam c e_k, g(w - s g) - g(w) = -s lam^2 c e_k, so the ratio is lam."""
    lams = np.array([0.5, 2.0, 8.0])
    c, k = 1.5, 1
    w = np.zeros(3)
    w[k] = c
    steps = (0.05, 0.1, 0.2, 0.4)
    got = along_gradient(quadratic(lams), w, steps)
    lam = lams[k]
    losses = [0.5 * lam * (c - s * lam * c) ** 2 for s in (0.0, *steps)]  # hand values
    assert got.landscape_lo == pytest.approx(min(losses), rel=1e-12)
    assert got.landscape_hi == pytest.approx(max(losses), rel=1e-12)
    assert got.landscape_hi == pytest.approx(0.5 * 2.0 * 1.5**2)  # at s = 0: 2.25
    assert got.landscape_lo == pytest.approx(0.5 * 2.0 * (1.5 * (1 - 0.4 * 2)) ** 2)
    assert got.grad_pred == pytest.approx(0.4 * lam**2 * c, rel=1e-12)  # 2.4
    assert got.beta_smooth == pytest.approx(lam, rel=1e-12)


def test_quadratic_general_point_is_bounded_by_the_largest_curvature() -> None:
    lams = np.array([0.5, 2.0, 8.0])
    w = np.array([1.0, -1.0, 0.25])
    got = along_gradient(quadratic(lams), w, (0.1, 0.2))
    g = lams * w
    ratio = np.linalg.norm(lams * g) / np.linalg.norm(g)  # ||A g|| / ||g||, any s
    assert got.beta_smooth == pytest.approx(ratio, rel=1e-12)
    assert 0.5 < got.beta_smooth <= 8.0
    assert got.grad_pred == pytest.approx(0.2 * np.linalg.norm(lams * g), rel=1e-12)


def test_quadratic_at_the_minimum() -> None:
    got = along_gradient(quadratic(np.array([1.0, 3.0])), np.zeros(2), ETAS)
    assert (got.landscape_lo, got.landscape_hi, got.grad_pred) == (0.0, 0.0, 0.0)
    assert math.isnan(got.beta_smooth)  # no direction to move in


def test_smoothness_of_softmax_regression_by_hand() -> None:
    """depth 0 (the head alone): loss and gradient of softmax regression written out."""
    m = make(depth=0)
    m.head.b.data[:] = [0.1, -0.2, 0.05]
    x, y = batch(n=10)
    W, b = m.head.W.data.copy(), m.head.b.data.copy()

    def loss_grad(W_: np.ndarray, b_: np.ndarray) -> tuple[float, np.ndarray]:
        loss, d = softmax_ce(x @ W_ + b_, y)
        return loss, np.concatenate([(x.T @ d).ravel(), d.sum(axis=0)])

    lr = 0.7
    l0, g = loss_grad(W, b)
    gW, gb = g[: W.size].reshape(W.shape), g[W.size :]
    losses, preds, betas = [l0], [], []
    for eta in ETAS:
        s = eta * lr
        ls, gs = loss_grad(W - s * gW, b - s * gb)
        losses.append(ls)
        preds.append(np.linalg.norm(gs - g))
        betas.append(np.linalg.norm(gs - g) / (s * np.linalg.norm(g)))
    got = smoothness(m, x, y, lr)
    assert got.landscape_lo == pytest.approx(min(losses), rel=1e-10)
    assert got.landscape_hi == pytest.approx(max(losses), rel=1e-10)
    assert got.grad_pred == pytest.approx(max(preds), rel=1e-9)
    assert got.beta_smooth == pytest.approx(max(betas), rel=1e-9)
    assert set(got.to_dict()) == {"landscape_lo", "landscape_hi", "grad_pred", "beta_smooth"}


# --------------------------------------------------------------------------- edges
def test_compare_gradients_conventions() -> None:
    z = np.zeros(3)
    v = np.array([1.0, 2.0, 2.0])
    assert compare_gradients(z, z) == (0.0, 1.0)
    assert compare_gradients(v, v) == (0.0, 1.0)
    assert compare_gradients(v, z) == (3.0, 0.0)
    assert compare_gradients(v, -v) == (6.0, -1.0)
    l2, c = compare_gradients(v, np.array([np.nan, 0, 0]))
    assert math.isnan(l2) and math.isnan(c)


def test_bad_arguments() -> None:
    m = make(depth=1)
    x, y = batch()
    with pytest.raises(NNError):
        ics(m, x, y, -0.1)
    with pytest.raises(NNError):
        smoothness(m, x, y, 0.1, etas=(0.1, 0.0))
    with pytest.raises(NNError):
        ics(m, x[:, :2], y, 0.1)


def naive_ics(model: MLP, x: np.ndarray, y: np.ndarray, lr: float) -> list[tuple[float, float]]:
    """Definition 2.1 the slow way: one deep copy per layer, full passes through the public
    MLP API, dropout masks frozen at the first pass's."""
    import copy

    first = copy.deepcopy(model)
    first.loss(x, y, train=True)
    first.backward()
    masks = [b.dropout.mask if b.dropout is not None else None for b in first.blocks]
    grads = {id(p): p.grad.copy() for p in first.parameters()}
    linears = [b.linear for b in first.blocks] + [first.head]
    out = []
    for i in range(len(linears)):
        m = copy.deepcopy(first)
        for bm, mask in zip(m.blocks, masks, strict=True):
            if mask is not None:
                bm.dropout.fixed_mask = mask
        for bf, bm in zip(first.blocks[:i], m.blocks[:i], strict=True):
            for pf, pm in zip(bf.parameters(), bm.parameters(), strict=True):
                pm.data -= lr * grads[id(pf)]
        m.loss(x, y, train=True)
        m.backward()
        W = ([b.linear for b in m.blocks] + [m.head])[i].W
        G = grads[id(linears[i].W)]
        a, b = G.astype(np.float64).ravel(), W.grad.astype(np.float64).ravel()
        if i == 0:
            assert np.array_equal(a, b)  # nothing before layer 1: the same gradient
        out.append(
            (0.0, 1.0)
            if np.array_equal(a, b)
            else (
                float(np.linalg.norm(a - b)),
                float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)),
            )
        )
    return out


@pytest.mark.parametrize(
    "kw",
    [
        {"bn": True, "activation": "relu"},
        {"bn": False, "activation": "sigmoid", "weight_decay": 0.05, "l1": 0.01},
        {"bn": True, "bn_position": "after", "activation": "elu", "dropout": 0.3},
        {"bn": True, "dropout": 0.5, "dtype": np.float32, "activation": "tanh"},
    ],
)
@pytest.mark.parametrize("fast", [False, True])
def test_ics_equals_the_slow_definition(kw: dict, fast: bool) -> None:
    m = make(depth=3, width=6, seed=4, fast=fast, **kw)
    roughen(m)
    x, y = batch(n=10, dtype=m.dtype.type)
    got = ics(m, x, y, 0.3)
    want = naive_ics(m, x, y, 0.3)
    assert len(got) == 4
    # the stacked passes' arithmetic is not the layers' call for call: equal to rounding
    tol = {"rel": 1e-9, "abs": 1e-12} if m.dtype == np.float64 else {"rel": 1e-5, "abs": 1e-6}
    for (l2, c), (wl2, wc) in zip(got, want, strict=True):
        assert l2 == pytest.approx(wl2, **tol)
        assert c == pytest.approx(wc, **tol)
    assert any(l2 > 1e-3 for l2, _ in want[1:])


@pytest.mark.parametrize("kw", [{"bn": True, "dropout": 0.3}, {"bn": False, "weight_decay": 0.1}])
def test_grads_ready_gives_the_same_bits_one_pass_cheaper(kw: dict) -> None:
    """Measured before a training pass, or right after its backward: the same numbers."""
    a = make(depth=3, width=6, seed=2, dtype=np.float32, **kw)
    b = make(depth=3, width=6, seed=2, dtype=np.float32, **kw)
    x, y = batch(n=12, dtype=np.float32)
    fresh = (ics(a, x, y, 0.2), smoothness(a, x, y, 0.2))
    b.loss(x, y, train=True)  # the training pass: draws the same dropout masks
    b.backward()
    before = snapshot(b)
    ready = (ics(b, x, y, 0.2, grads_ready=True), smoothness(b, x, y, 0.2, grads_ready=True))
    assert ready == fresh
    assert_same(before, snapshot(b))


@pytest.mark.parametrize(
    "kw",
    [
        {"bn": True, "activation": "relu", "depth": 5},
        {"bn": True, "bn_position": "after", "activation": "tanh", "dropout": 0.3, "depth": 4},
        {"bn": False, "activation": "sigmoid", "weight_decay": 0.01, "depth": 3},
    ],
)
def test_the_session_nets_stacked_ics_and_packed_smoothness_equal_the_plain_passes(
    kw: dict, monkeypatch
) -> None:
    """On the session's net (fast layers, packed parameters, float32): ICS's stacked
    passes give what one pass per layer gives, and smoothness's stacked passes what one
    pass per step size gives, parameter by parameter (float32: equal to rounding)."""
    import bntui.nn.diagnostics as diag
    from bntui.nn.network import MLP as _MLP

    m = make(seed=3, width=7, fast=True, dtype=np.float32, **kw)
    x, y = batch(n=16, dtype=np.float32)
    for _ in range(3):  # a few updates through the packed buffer
        m.loss(x, y, train=True)
        m.backward()
        packed = m.packed_parameters()
        packed.data -= 0.1 * packed.grad
    assert m.packed is not None
    got_ics, got_sm = ics(m, x, y, 0.2), smoothness(m, x, y, 0.2)
    monkeypatch.setattr(diag, "stackable", lambda model, x: False)
    monkeypatch.setattr(_MLP, "packed", property(lambda self: None))
    want_ics, want_sm = ics(m, x, y, 0.2), smoothness(m, x, y, 0.2)
    for k, v in want_sm.to_dict().items():
        assert getattr(got_sm, k) == pytest.approx(v, rel=1e-4), k
    assert len(got_ics) == len(want_ics) == kw["depth"] + 1
    for (l2, c), (wl2, wc) in zip(got_ics, want_ics, strict=True):
        assert l2 == pytest.approx(wl2, rel=1e-5, abs=1e-6)
        assert c == pytest.approx(wc, rel=1e-5)
    assert any(l2 > 0 for l2, _ in got_ics[1:])


@pytest.mark.parametrize(
    "kw",
    [
        {"bn": True, "activation": "relu"},
        {"bn": False, "activation": "sigmoid", "weight_decay": 0.05, "l1": 0.01},
        {"bn": True, "bn_position": "after", "activation": "tanh", "dropout": 0.3},
        {"bn": True, "activation": "sigmoid", "weight_decay": 0.02},
    ],
)
def test_stacked_smoothness_equals_one_pass_per_step_size_in_float64(kw: dict) -> None:
    """The session's hook (``grads_ready``: all step sizes stacked, nothing written to the
    model) against ``along_gradient`` over the model's own passes, float64, to 1e-10."""
    m = make(depth=3, width=6, seed=5, **kw)
    roughen(m)
    x, y = batch(n=12)
    m.loss(x, y, train=True)
    m.backward()
    masks = [b.dropout.mask if b.dropout is not None else None for b in m.blocks]
    before = snapshot(m)
    lr = 0.4
    got = smoothness(m, x, y, lr, grads_ready=True)
    assert_same(before, snapshot(m))
    params = m.parameters()
    w0 = [p.data.copy() for p in params]

    def f(w: np.ndarray) -> tuple[float, np.ndarray]:  # the model's own pass at w
        off = 0
        for p in params:
            p.data[...] = w[off : off + p.data.size].reshape(p.data.shape)
            off += p.data.size
        for b, mask in zip(m.blocks, masks, strict=True):
            if mask is not None:
                b.dropout.fixed_mask = mask
        loss, _ = m.loss(x, y, train=True)
        m.backward()
        return loss, np.concatenate([p.grad.reshape(-1) for p in params])

    want = along_gradient(f, np.concatenate([w.reshape(-1) for w in w0]), [e * lr for e in ETAS])
    for k, v in want.to_dict().items():
        assert getattr(got, k) == pytest.approx(v, rel=1e-10, abs=1e-13), k
    assert want.grad_pred > 1e-3 and want.landscape_hi - want.landscape_lo > 1e-4


# --------------------------------------------------------------------------- noisy BN
def noisy(seed: int = 0) -> MLP:
    return make(depth=3, width=6, seed=seed, norm="noisy-bn", dtype=np.float32,
                noise_rng=np.random.default_rng(77))  # fmt: skip


@pytest.mark.parametrize("grads_ready", [False, True])
def test_noisy_bn_training_after_measurements_is_unchanged(grads_ready: bool) -> None:
    """ICS and smoothness draw no noise a later training step would have drawn: the
    generator is put back, so a measured net trains bit for bit as an unmeasured one."""
    a, b = noisy(), noisy()
    for t in range(5):
        x, y = batch(n=9, seed=t, dtype=np.float32)
        for m in (a, b):
            m.loss(x, y, train=True)
            m.backward()
            if m is b:
                ics(b, x, y, 0.1, grads_ready=grads_ready)
                smoothness(b, x, y, 0.1, grads_ready=grads_ready)
            for p in m.parameters():
                p.data -= 0.1 * p.grad
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert pa.data.tobytes() == pb.data.tobytes()
    rng_a, rng_b = (m.blocks[0].norm.rng for m in (a, b))
    assert rng_a.bit_generator.state == rng_b.bit_generator.state


def test_noisy_bn_passes_share_the_first_pass_noise() -> None:
    """With lr 0 nothing moves: every pass sees the first pass's noise, so G' = G and the
    smoothness passes see the loss at w (fresh noise per pass would show a false shift)."""
    m = noisy(seed=1)
    x, y = batch(n=10, dtype=np.float32)
    m.loss(x, y, train=True)
    m.backward()
    before = snapshot(m)
    for got in ics(m, x, y, 0.0)[1:]:
        assert got == pytest.approx((0.0, 1.0), abs=1e-6)
    sm = smoothness(m, x, y, 1e-9)  # step sizes ~1e-10: the same loss at every one
    assert sm.landscape_hi - sm.landscape_lo < 1e-5
    assert_same(before, snapshot(m))
