"""``StackedMLP``: S nets trained at once compute what each net's solo training computes.

Each test builds the same S nets twice from the same seeds (``MLP(fast=True)``, the
session's net): one set trained alone with the session's arithmetic (``loss``,
``backward``, SGD on the packed parameters), the other as one stack. Losses at every step,
weights, BN running statistics and eval-mode logits must agree: to 1e-12 in float64, and
bit for bit in float32 (numpy's stacked matmul runs the BLAS product np.dot runs).
"""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from bntui.nn import MLP
from bntui.nn.nn_error import NNError
from bntui.nn.optim import SGD
from bntui.nn.stacked import StackedMLP, unsupported

IN, CLASSES, STEPS = 2, 3, 25


def nets(seeds, dtype, **spec):
    """One MLP per seed (its own init, dropout and noise generators), as the session
    builds it."""
    out = []
    for seed in seeds:
        settings = {"depth": 3, "width": 8, "init": "he", **spec}
        init, drop, noise = np.random.SeedSequence(seed).spawn(3)
        out.append(MLP(IN, CLASSES, rng=np.random.default_rng(init),
                       dropout_rng=np.random.default_rng(drop),
                       noise_rng=np.random.default_rng(noise), dtype=dtype, fast=True,
                       **settings))  # fmt: skip
    return out


def batches(size, n, steps, seed=7):
    """Seeded data: ``steps`` batches of n rows per net, (S, n, IN) and labels (S, n)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((steps, size, n, IN)) * 2.0
    y = rng.integers(0, CLASSES, (steps, size, n))
    return x, y


def train_alone(models, x, y, lrs):
    losses = np.empty(x.shape[:2])
    for i, (m, lr) in enumerate(zip(models, lrs, strict=True)):
        opt = SGD(lr)
        for t in range(x.shape[0]):
            loss, _ = m.loss(x[t, i], y[t, i], train=True)
            m.backward()
            opt.step(m.optimizer_parameters())
            losses[t, i] = loss
    return losses


def train_stacked(models, x, y, lrs):
    net = StackedMLP(models)
    lr = np.array(lrs, dtype=net.dtype)[:, None, None]
    losses = np.empty(x.shape[:2])
    for t in range(x.shape[0]):
        losses[t], _ = net.loss(x[t], y[t])
        net.backward()
        net.sgd(lr)
    return losses


def state(m: MLP) -> list[np.ndarray]:
    """Every parameter, every running statistic and the eval-mode logits of a probe."""
    out = [p.data.copy() for p in m.parameters()]
    for b in m.blocks:
        if b.bn is not None:
            out += [b.bn.running_mean.copy(), b.bn.running_var.copy()]
    probe = np.linspace(-3, 3, 40, dtype=m.dtype).reshape(20, IN)
    return [*out, m.eval_logits(probe, {})]


CASES = [
    pytest.param({"norm": "bn"}, id="bn"),
    pytest.param({"norm": "brn"}, id="brn"),
    pytest.param({"norm": "gn:2"}, id="gn"),
    pytest.param({"norm": "ln"}, id="ln"),
    pytest.param({"norm": "none"}, id="none"),
    pytest.param({"norm": "noisy-bn"}, id="noisy-bn"),
    pytest.param({"norm": "bn", "activation": "sigmoid", "init": "xavier"}, id="bn-sigmoid"),
    pytest.param({"norm": "none", "activation": "sigmoid", "init": "xavier"}, id="sigmoid"),
    pytest.param({"norm": "bn", "dropout": 0.3}, id="bn+dropout"),
    pytest.param(
        {"norm": "none", "dropout": 0.2, "dropout_style": "scale-at-test"},
        id="dropout-scale-at-test",
    ),
]


@pytest.mark.parametrize("spec", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_stack_trains_each_net_as_alone(spec, dtype) -> None:
    seeds, n = [3, 11, 12, 40], 6
    lrs = [0.05, 0.1, 0.3, 0.1]  # one per net
    x, y = batches(len(seeds), n, STEPS)
    with threadpool_limits(limits=1, user_api="blas"):
        alone = nets(seeds, dtype, **spec)
        stacked = nets(seeds, dtype, **spec)
        la = train_alone(alone, x, y, lrs)
        lb = train_stacked(stacked, x, y, lrs)
        tol = 1e-12 if dtype == np.float64 else 0.0
        np.testing.assert_allclose(lb, la, rtol=tol, atol=tol)
        assert np.isfinite(la).all() and la[-1].mean() < la[0].mean()  # it did train
        for a, b in zip(alone, stacked, strict=True):  # the members read the stack's weights
            for u, v in zip(state(a), state(b), strict=True):
                np.testing.assert_allclose(v, u, rtol=tol, atol=tol)


def test_init_scales_may_differ_in_one_stack() -> None:
    seeds = [1, 2, 3]
    x, y = batches(3, 5, 10)
    inits = ["std:1", "std:0.01", "he"]
    make = [nets([s], np.float32, norm="bn", init=i)[0] for s, i in zip(seeds, inits, strict=True)]
    again = [nets([s], np.float32, norm="bn", init=i)[0] for s, i in zip(seeds, inits, strict=True)]
    with threadpool_limits(limits=1, user_api="blas"):
        la = train_alone(make, x, y, [0.1] * 3)
        lb = train_stacked(again, x, y, [0.1] * 3)
    np.testing.assert_array_equal(lb, la)


def test_what_cannot_stack_is_refused() -> None:
    assert unsupported(nets([0], np.float32, activation="tanh")[0]) == "activation tanh"
    assert unsupported(nets([0], np.float32, bn_position="after")[0]) == (
        "norm after the activation"
    )
    slow = MLP(IN, CLASSES, rng=np.random.default_rng(0), dropout_rng=np.random.default_rng(1))
    assert unsupported(slow) == "not built with fast=True"
    with pytest.raises(NNError, match="differ in structure"):
        StackedMLP(nets([0], np.float32, width=8) + nets([1], np.float32, width=4))
    with pytest.raises(NNError, match="cannot stack"):
        StackedMLP(nets([0, 1], np.float32, activation="tanh"))
    net = StackedMLP(nets([0, 1], np.float32))
    with pytest.raises(NNError, match="lr per net"):
        net.sgd(np.ones((3, 1, 1), np.float32))
    with pytest.raises(NNError, match="loss"):
        net.backward()
