"""The fast paths of the engine agree with the plain ones: packed optimizer updates, the
buffered BatchNorm1d train pass, the sigmoid and softmax-CE rewrites."""

from __future__ import annotations

import numpy as np
import pytest

from bntui.nn import functional as F
from bntui.nn.fast import FastBatchNorm1d
from bntui.nn.layers import BatchNorm1d, Parameter
from bntui.nn.network import MLP
from bntui.nn.nn_error import NNError
from bntui.nn.optim import PackedParameters, make_optimizer


def _params(rng: np.random.Generator, dtype=np.float32) -> list[Parameter]:
    ps = [
        Parameter("W", rng.standard_normal((3, 4)).astype(dtype)),
        Parameter("b", rng.standard_normal(4).astype(dtype)),
        Parameter("g", rng.standard_normal(4).astype(dtype)),
    ]
    for p in ps:
        p.grad[...] = rng.standard_normal(p.data.shape)
    return ps


def _copy(ps: list[Parameter]) -> list[Parameter]:
    out = []
    for p in ps:
        q = Parameter(p.name, p.data.copy())
        q.grad[...] = p.grad
        out.append(q)
    return out


def test_packing_keeps_values_and_makes_views() -> None:
    ps = _params(np.random.default_rng(0))
    before = [(p.data.copy(), p.grad.copy()) for p in ps]
    packed = PackedParameters(ps)
    for p, (d, g) in zip(ps, before, strict=True):
        np.testing.assert_array_equal(p.data, d)
        np.testing.assert_array_equal(p.grad, g)
        assert np.shares_memory(p.data, packed.data) and np.shares_memory(p.grad, packed.grad)
    assert packed.data.size == 3 * 4 + 4 + 4 and packed.intact()
    ps[1].data = ps[1].data.copy()  # somebody rebinds an array: the packing is stale
    assert not packed.intact()


def test_packing_refuses_mixed_dtypes_and_nothing() -> None:
    ps = _params(np.random.default_rng(1))
    ps[0] = Parameter("W64", np.zeros((2, 2)))
    with pytest.raises(NNError, match="one dtype"):
        PackedParameters(ps)
    with pytest.raises(NNError, match="at least one"):
        PackedParameters([])


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_packed_step_equals_per_parameter_steps_bit_for_bit(name: str) -> None:
    rng = np.random.default_rng(2)
    a = _params(rng)
    b = _copy(a)
    opt_a, opt_b = make_optimizer(name, 0.1), make_optimizer(name, 0.1)
    packed = PackedParameters(a)
    for step in range(4):
        opt_a.step(packed)
        opt_b.step(b)
        for p, q in zip(a, b, strict=True):
            np.testing.assert_array_equal(p.data, q.data)
            assert p.data.dtype == np.float32
        g = rng.standard_normal(packed.grad.size).astype(np.float32)
        packed.grad[...] = g  # the same new gradients on both sides
        off = 0
        for q in b:
            q.grad[...] = g[off : off + q.grad.size].reshape(q.grad.shape)
            off += q.grad.size
        if step == 1:  # a reset drops one parameter's velocity on both sides
            opt_a.reset([a[1]])
            opt_b.reset([b[1]])


def test_packed_momentum_by_hand() -> None:
    # v = g on the first step (PyTorch), then v = mu v + g;  w -= lr v
    p = Parameter("w", np.array([1.0, -2.0], np.float32))
    p.grad[...] = [0.5, 1.0]
    opt = make_optimizer("momentum", 0.1, momentum=0.9)
    packed = PackedParameters([p])
    opt.step(packed)
    np.testing.assert_allclose(p.data, [0.95, -2.1], rtol=1e-6)
    p.grad[...] = [0.25, -1.0]
    opt.step(packed)  # v = [0.7, -0.1]
    np.testing.assert_allclose(p.data, [0.88, -2.09], rtol=1e-6)
    np.testing.assert_allclose(opt.state[p]["v"], [0.7, -0.1], rtol=1e-6)


def test_stale_packing_falls_back_to_per_parameter_updates() -> None:
    p = Parameter("w", np.array([1.0, 2.0], np.float32))
    packed = PackedParameters([p])
    p.data = np.array([1.0, 2.0, 3.0], np.float32)  # resized behind the packing's back
    p.grad = np.ones(3, np.float32)
    make_optimizer("sgd", 0.5).step(packed)
    np.testing.assert_allclose(p.data, [0.5, 1.5, 2.5])


def test_mlp_repacks_after_structural_edits() -> None:
    rng = np.random.default_rng(3)
    m = MLP(2, 3, depth=2, width=5, rng=rng, dropout_rng=np.random.default_rng(4))
    first = m.packed_parameters()
    assert m.packed_parameters() is first  # nothing changed: the same packing
    m.add_layer(rng)
    second = m.packed_parameters()
    assert second is not first and set(second.params) == set(m.parameters())
    m.set_dtype(np.float64)
    third = m.packed_parameters()
    assert third.data.dtype == np.float64 and set(third.params) == set(m.parameters())


@pytest.mark.parametrize("cls", [BatchNorm1d, FastBatchNorm1d])
@pytest.mark.parametrize("n", [1, 2, 7, 64])
def test_batchnorm_layer_matches_the_functional_form(n: int, cls: type) -> None:
    rng = np.random.default_rng(5)
    bn = cls(6, momentum=0.2)
    bn.gamma.data[...] = rng.uniform(0.5, 2, 6)
    bn.beta.data[...] = rng.standard_normal(6)
    rm, rv = bn.running_mean.copy(), bn.running_var.copy()
    for _ in range(3):  # reused buffers: every pass must stand on its own
        x = (rng.standard_normal((n, 6)) * 3 + 1).astype(np.float32)
        out = bn.forward(x)
        ref, cache = F.batchnorm_forward(x, bn.gamma.data, bn.beta.data)
        np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)
        # running = (1 - m) running + m [mean, unbiased var] (var unchanged for N = 1)
        rm = 0.8 * rm + 0.2 * x.mean(axis=0)
        if n > 1:
            rv = 0.8 * rv + 0.2 * x.var(axis=0, ddof=1)
        np.testing.assert_allclose(bn.running_mean, rm, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(bn.running_var, rv, rtol=1e-5, atol=1e-6)
        dout = rng.standard_normal((n, 6)).astype(np.float32)
        dx = bn.backward(dout)
        rdx, rdg, rdb = F.batchnorm_backward(dout, cache)
        np.testing.assert_allclose(dx, rdx, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(bn.gamma.grad, rdg, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(bn.beta.grad, rdb, rtol=1e-5, atol=1e-5)
        assert out.dtype == dx.dtype == np.float32


def test_running_statistics_can_be_replaced() -> None:
    bn = FastBatchNorm1d(3)
    bn.running_mean = np.array([1.0, 2.0, 3.0], np.float32)
    bn.running_var[:] = 4.0  # in place edits stick too
    np.testing.assert_array_equal(bn.running_mean, [1, 2, 3])
    np.testing.assert_array_equal(bn.running_var, [4, 4, 4])
    with pytest.raises(NNError, match="shape"):
        bn.running_var = np.ones(2, np.float32)


def test_sigmoid_left_tail_and_symmetry() -> None:
    x = np.linspace(-40, 40, 161)
    s = F.sigmoid(x)
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(s + F.sigmoid(-x), 1.0, rtol=1e-12)  # s(x) + s(-x) = 1


@pytest.mark.parametrize("k", [2, 3, 4, 10])
def test_softmax_cross_entropy_by_definition(k: int) -> None:
    rng = np.random.default_rng(k)
    logits = rng.standard_normal((9, k)) * 5
    y = rng.integers(0, k, 9)
    loss, d = F.softmax_cross_entropy(logits, y)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.log(p[np.arange(9), y]).mean(), rel=1e-12)
    np.testing.assert_allclose(d, (p - np.eye(k)[y]) / 9, rtol=1e-10, atol=1e-15)
    for bad in (np.array([0] * 8 + [k]), np.array([0] * 8 + [-1])):
        with pytest.raises(NNError, match="labels must be in"):
            F.softmax_cross_entropy(logits, bad)
