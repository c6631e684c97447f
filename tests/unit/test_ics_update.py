"""ICS with the optimizer's actual update (Santurkar et al. 2018, Def. 2.1).

The expected values come from a Def. 2.1 loop written out here in float64: its own forward
and backward pass (Linear → BN in train mode → ReLU, softmax cross-entropy) and its own
momentum / Adam update formulas read off the optimizer's state — never from
``bntui.nn.diagnostics``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from bntui.nn import MLP
from bntui.nn.diagnostics import ics
from bntui.nn.optim import make_optimizer

IN, CLASSES, EPS = 3, 3, 1e-5


def make(bn: bool, seed: int = 0, activation: str = "relu") -> MLP:
    rngs = np.random.default_rng(seed + 1), np.random.default_rng(seed + 2)
    return MLP(IN, CLASSES, depth=3, width=5, bn=bn, dtype=np.float64, rng=rngs[0],
               dropout_rng=rngs[1], activation=activation)  # fmt: skip


def data(n: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(50 + seed)
    return rng.standard_normal((n, IN)), rng.integers(0, CLASSES, n)


def params_of(m: MLP) -> list[dict[str, np.ndarray | None]]:
    """Copies of each layer's parameters: hidden blocks, then the head."""
    out = []
    for b in m.blocks:
        out.append({
            "W": b.linear.W.data.astype(np.float64).copy(),
            "b": None if b.linear.b is None else b.linear.b.data.astype(np.float64).copy(),
            "gamma": None if b.bn is None else b.bn.gamma.data.astype(np.float64).copy(),
            "beta": None if b.bn is None else b.bn.beta.data.astype(np.float64).copy(),
        })  # fmt: skip
    out.append({"W": m.head.W.data.copy(), "b": m.head.b.data.copy(), "gamma": None, "beta": None})
    return out


def grads_by_hand(
    P: list[dict], x: np.ndarray, y: np.ndarray, act: str = "relu"
) -> list[dict[str, np.ndarray]]:
    """dL/d(every parameter) of the mean softmax cross-entropy, by hand (relu or sigmoid)."""
    caches, h = [], x
    for layer in P[:-1]:
        z = h @ layer["W"] + (0 if layer["b"] is None else layer["b"])
        if layer["gamma"] is not None:
            mu, var = z.mean(axis=0), z.var(axis=0)
            zh = (z - mu) / np.sqrt(var + EPS)
            u = layer["gamma"] * zh + layer["beta"]
            caches.append((h, z, zh, var, u))
        else:
            u = z
            caches.append((h, z, None, None, u))
        h = np.maximum(u, 0.0) if act == "relu" else 1.0 / (1.0 + np.exp(-u))
    logits = h @ P[-1]["W"] + P[-1]["b"]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    n = y.size
    d = p.copy()
    d[np.arange(n), y] -= 1.0
    d /= n
    out: list[dict[str, np.ndarray]] = [{} for _ in P]
    out[-1] = {"W": h.T @ d, "b": d.sum(axis=0)}
    dh = d @ P[-1]["W"].T
    for i in range(len(P) - 2, -1, -1):
        layer, (hin, z, zh, var, u) = P[i], caches[i]
        if act == "relu":
            du = dh * (u > 0)
        else:
            sig = 1.0 / (1.0 + np.exp(-u))
            du = dh * sig * (1.0 - sig)
        g: dict[str, np.ndarray] = {}
        if layer["gamma"] is not None:
            g["gamma"], g["beta"] = (du * zh).sum(axis=0), du.sum(axis=0)
            dzh = du * layer["gamma"]
            # the batch-statistics backward, written from its three terms
            dz = (n * dzh - dzh.sum(axis=0) - zh * (dzh * zh).sum(axis=0)) / (
                n * np.sqrt(var + EPS)
            )
        else:
            dz = du
        g["W"] = hin.T @ dz
        if layer["b"] is not None:
            g["b"] = dz.sum(axis=0)
        out[i] = g
        dh = dz @ layer["W"].T
    return out


def update_by_hand(opt, param, g: np.ndarray) -> np.ndarray:
    """The step the optimizer takes now, from its state read here (not its code)."""
    lr = opt.lr
    st = opt.state.get(param) or {}
    if opt.name == "sgd":
        return lr * g
    if opt.name == "momentum":
        v = st.get("v")
        return lr * g if v is None else lr * (opt.momentum * v + g)
    if opt.name == "adam":
        m0 = st.get("m", np.zeros_like(g))
        v0 = st.get("v", np.zeros_like(g))
        t = st.get("t", 0) + 1
        m1 = opt.beta1 * m0 + (1 - opt.beta1) * g
        v1 = opt.beta2 * v0 + (1 - opt.beta2) * g * g
        mhat, vhat = m1 / (1 - opt.beta1**t), v1 / (1 - opt.beta2**t)
        return lr * mhat / (np.sqrt(vhat) + opt.eps)
    raise AssertionError(opt.name)


def param_objects(m: MLP) -> list[dict[str, object]]:
    out = []
    for b in m.blocks:
        out.append({"W": b.linear.W, "b": b.linear.b,
                    "gamma": None if b.bn is None else b.bn.gamma,
                    "beta": None if b.bn is None else b.bn.beta})  # fmt: skip
    return out


def def21_by_hand(
    m: MLP, opt, x: np.ndarray, y: np.ndarray, act: str = "relu"
) -> list[tuple[float, float]]:
    """Def. 2.1: G_i at the current weights; G'_i after layers 1..i-1 took their update."""
    P = params_of(m)
    G = grads_by_hand(P, x, y, act)
    objs = param_objects(m)
    out = []
    for i in range(len(P)):
        Q = [dict(layer) for layer in P]
        for j in range(i):  # every earlier (hidden) layer moves by its actual update
            for name, value in P[j].items():
                if value is not None:
                    Q[j][name] = value - update_by_hand(opt, objs[j][name], G[j][name])
        G2 = grads_by_hand(Q, x, y, act)[i]["W"]
        a, b = G[i]["W"].ravel(), G2.ravel()
        cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
        out.append((float(np.linalg.norm(a - b)), cos))
    return out


def trained(opt_name: str, bn: bool, lr: float, activation: str = "relu") -> tuple[MLP, object]:
    """A net and its optimizer after 5 steps (so momentum and Adam carry state)."""
    m = make(bn, activation=activation)
    opt = make_optimizer(opt_name, lr)
    for s in range(5):
        x, y = data(seed=10 + s)
        m.loss(x, y, train=True)
        m.backward()
        opt.step(m.optimizer_parameters())
    return m, opt


@pytest.mark.parametrize("bn", [True, False])
@pytest.mark.parametrize(("opt_name", "lr"), [("momentum", 0.3), ("adam", 0.05), ("sgd", 0.3)])
def test_ics_with_the_actual_update_matches_def_2_1_by_hand(opt_name, lr, bn) -> None:
    m, opt = trained(opt_name, bn, lr)
    x, y = data(seed=0)
    want = def21_by_hand(m, opt, x, y)
    got = ics(m, x, y, lr, optimizer=opt)
    assert len(got) == len(want) == 4
    assert got[0] == (0.0, 1.0)
    for (l2, cos), (l2w, cosw) in zip(got[1:], want[1:], strict=True):
        assert l2 == pytest.approx(l2w, rel=1e-7, abs=1e-12)
        assert cos == pytest.approx(cosw, rel=1e-9, abs=1e-12)
    assert any(v[0] > 1e-4 for v in want[1:])  # a real shift, not 0 = 0


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
@pytest.mark.parametrize("bn", [True, False])
@pytest.mark.parametrize(("opt_name", "lr"), [("momentum", 0.3), ("adam", 0.05), ("sgd", 0.3)])
def test_the_session_hook_matches_def_2_1_by_hand_to_1e12(opt_name, lr, bn, activation) -> None:
    """As the session measures it: right after the step's own backward (``grads_ready``),
    the stacked passes, nothing written to the model; float64 against the loop above."""
    m, opt = trained(opt_name, bn, lr, activation)
    x, y = data(seed=3)
    want = def21_by_hand(m, opt, x, y, activation)
    m.loss(x, y, train=True)
    m.backward()
    grads = [p.grad.copy() for p in m.parameters()]
    got = ics(m, x, y, lr, optimizer=opt, grads_ready=True)
    assert got[0] == (0.0, 1.0)
    for (l2, cos), (l2w, cosw) in zip(got[1:], want[1:], strict=True):
        assert l2 == pytest.approx(l2w, rel=1e-10, abs=1e-12)
        assert cos == pytest.approx(cosw, rel=1e-12, abs=1e-12)
    assert min(v[0] for v in want[1:]) > 1e-7  # every layer shifted, far beyond the tolerance
    assert all(np.array_equal(p.grad, g) for p, g in zip(m.parameters(), grads, strict=True))


@pytest.mark.parametrize("opt_name", ["momentum", "adam"])
def test_the_actual_update_is_not_the_plain_sgd_step(opt_name) -> None:
    m, opt = trained(opt_name, True, 0.05)
    x, y = data(seed=1)
    real = ics(m, x, y, 0.05, optimizer=opt)
    plain = ics(m, x, y, 0.05)  # the plain-SGD variant
    assert max(abs(a[0] - b[0]) for a, b in zip(real[1:], plain[1:], strict=True)) > 1e-6


@pytest.mark.parametrize("opt_name", ["momentum", "adam"])
def test_measuring_leaves_the_optimizer_state_alone(opt_name) -> None:
    m, opt = trained(opt_name, True, 0.05)
    before = {
        id(p): {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in st.items()}
        for p, st in opt.state.items()
    }
    ics(m, *data(seed=2), 0.05, optimizer=opt)
    for p, st in opt.state.items():
        for k, v in st.items():
            w = before[id(p)][k]
            assert np.array_equal(v, w) if isinstance(v, np.ndarray) else v == w


def test_session_logs_ics_with_its_optimizer(monkeypatch) -> None:
    """The record's L{i}.ics_* come from the session's optimizer (momentum here): the
    expected values are computed by hand on the step's batch, just before its update."""
    import bntui.training.session as session_module
    from bntui.training.config import Config
    from bntui.training.session import Session

    c = Config(steps=40, optimizer="momentum", lr=0.05, ics_every=20, depth=2, width=8,
               eval_every=10**9, stats_every=10**9, dtype="float64")  # fmt: skip
    s = Session(c)
    seen: list[list[tuple[float, float]]] = []
    real = session_module.diagnostic_fields

    def spy(model, x, y, lr, **kw):
        if kw["step"] % 20 == 0:
            seen.append(def21_by_hand(model, s.optimizer, x, y))
        return real(model, x, y, lr, **kw)

    monkeypatch.setattr(session_module, "diagnostic_fields", spy)
    s.run(19)
    record = s.step()
    assert len(seen) == 1
    for i, (l2, cos) in enumerate(seen[0][1:], start=2):
        assert record[f"L{i}.ics_l2"] == pytest.approx(l2, rel=1e-4)
        assert record[f"L{i}.ics_cos"] == pytest.approx(cos, rel=1e-4, abs=1e-6)
    assert math.isfinite(record["L2.ics_l2"]) and record["L2.ics_l2"] > 0
