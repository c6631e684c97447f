"""LayerNorm, GroupNorm, BatchRenorm1d, noisy BN: finite differences, hand values,
equalities with BN, and the norm choice of the MLP."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bntui.nn import MLP, NNError, make_optimizer, numerical_gradient, rel_error
from bntui.nn import functional as F
from bntui.nn.layers import BatchNorm1d, Linear
from bntui.nn.norm_layers import (
    BatchRenorm1d,
    GroupNorm,
    LayerNorm,
    NoisyBatchNorm1d,
    make_norm,
    parse_norm,
)

TOL = 1e-6


def _fd_check(layer, x: np.ndarray, rng: np.random.Generator, forward=None) -> None:
    """backward() of ``layer`` against central differences of f = sum(out * w)."""
    w = rng.standard_normal(x.shape)
    fwd = forward or layer.forward

    def f() -> float:
        return float(np.sum(fwd(x) * w))

    fwd(x)
    dx = layer.backward(w)
    dgamma, dbeta = layer.gamma.grad.copy(), layer.beta.grad.copy()
    assert rel_error(dx, numerical_gradient(f, x)) < TOL
    assert rel_error(dgamma, numerical_gradient(f, layer.gamma.data)) < TOL
    assert rel_error(dbeta, numerical_gradient(f, layer.beta.data)) < TOL


def _roughen(layer, rng: np.random.Generator) -> None:
    layer.gamma.data[...] = rng.uniform(0.5, 2.0, layer.gamma.data.shape)
    layer.beta.data[...] = rng.standard_normal(layer.beta.data.shape)


# --------------------------------------------------------------------------- LN / GN


# With two features per group the output is +-sqrt(var / (var + eps)) (as BN with N = 2):
# it depends on x only through eps, so that case takes a larger eps to be measurable.
@pytest.mark.parametrize("n", [1, 2, 5])
@pytest.mark.parametrize("groups", [1, 2, 3, 6])  # group sizes 6 (= D, LN), 3, 2, 1
def test_groupnorm_matches_finite_differences(n: int, groups: int) -> None:
    rng = np.random.default_rng(10 * n + groups)
    layer = GroupNorm(groups, 6, eps=0.1 if groups == 3 else 1e-5, dtype=np.float64)
    _roughen(layer, rng)
    _fd_check(layer, rng.standard_normal((n, 6)) * 2 + 1, rng)


@pytest.mark.parametrize("n", [1, 2, 7])
def test_layernorm_matches_finite_differences(n: int) -> None:
    rng = np.random.default_rng(n)
    layer = LayerNorm(5, dtype=np.float64)
    _roughen(layer, rng)
    _fd_check(layer, rng.standard_normal((n, 5)) * 3 - 1, rng)


def test_layernorm_hand_values() -> None:
    # one sample [1, 2, 3, 6]: mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5
    layer = LayerNorm(4, dtype=np.float64)
    layer.gamma.data[...] = [1.0, 2.0, 3.0, 4.0]
    layer.beta.data[...] = [0.0, 1.0, 0.0, -1.0]
    s = math.sqrt(3.5 + 1e-5)
    want = [1 * (-2 / s) + 0, 2 * (-1 / s) + 1, 3 * (0 / s) + 0, 4 * (3 / s) - 1]
    out = layer.forward(np.array([[1.0, 2.0, 3.0, 6.0], [0.0, 0.0, 0.0, 4.0]]))
    np.testing.assert_allclose(out[0], want, rtol=0, atol=1e-8)
    # second sample [0, 0, 0, 4]: mean 1, variance (1 + 1 + 1 + 9) / 4 = 3
    s2 = math.sqrt(3 + 1e-5)
    want2 = [-1 / s2, 2 * (-1 / s2) + 1, 3 * (-1 / s2), 4 * (3 / s2) - 1]
    np.testing.assert_allclose(out[1], want2, rtol=0, atol=1e-8)


def test_groupnorm_hand_values() -> None:
    # [1, 2 | 3, 6] in two groups: (1.5, var 0.25) and (4.5, var 2.25)
    layer = GroupNorm(2, 4, dtype=np.float64)
    layer.gamma.data[...] = [1.0, 2.0, 3.0, 4.0]
    layer.beta.data[...] = [0.5, 0.0, 0.0, 0.0]
    a, b = math.sqrt(0.25 + 1e-5), math.sqrt(2.25 + 1e-5)
    want = [-0.5 / a + 0.5, 2 * 0.5 / a, 3 * (-1.5 / b), 4 * 1.5 / b]
    out = layer.forward(np.array([[1.0, 2.0, 3.0, 6.0]]))
    np.testing.assert_allclose(out[0], want, rtol=0, atol=1e-8)
    # groups of one feature: every xhat is 0, the output is beta (no NaN)
    one = GroupNorm(4, 4, dtype=np.float64)
    one.beta.data[...] = [1.0, 2.0, 3.0, 4.0]
    np.testing.assert_array_equal(one.forward(np.array([[1.0, 2.0, 3.0, 6.0]])), [[1, 2, 3, 4]])


def test_layernorm_is_per_sample_train_equals_eval_and_keeps_dtype() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 8)).astype(np.float32)
    layer = LayerNorm(8)
    full = layer.forward(x)
    assert full.dtype == np.float32
    layer.eval()
    np.testing.assert_array_equal(layer.forward(x[2:3]), full[2:3])  # alone, in eval: same


def test_groupnorm_groups_must_divide() -> None:
    with pytest.raises(NNError, match="3 groups do not divide 8"):
        GroupNorm(3, 8)
    with pytest.raises(NNError, match="groups"):
        GroupNorm(0, 8)
    with pytest.raises(NNError, match="do not divide"):
        MLP(
            2,
            3,
            depth=1,
            width=8,
            norm="gn:3",
            rng=np.random.default_rng(0),
            dropout_rng=np.random.default_rng(1),
        )


# --------------------------------------------------------------------------- batch renorm


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batchrenorm_with_r_max_1_d_max_0_is_batchnorm_bit_for_bit(dtype: type) -> None:
    rng = np.random.default_rng(4)
    bn = BatchNorm1d(5, momentum=0.2, dtype=dtype)
    brn = BatchRenorm1d(5, momentum=0.2, r_max=1.0, d_max=0.0, dtype=dtype)
    for layer in (bn, brn):
        layer.gamma.data[...] = [0.5, 1.0, 1.5, 2.0, -1.0]
        layer.beta.data[...] = [0.1, 0.2, 0.3, 0.4, 0.5]
    for n in (8, 2, 1, 8):
        x = (rng.standard_normal((n, 5)) * 3 + 2).astype(dtype)
        dout = rng.standard_normal((n, 5)).astype(dtype)
        np.testing.assert_array_equal(bn.forward(x), brn.forward(x))
        np.testing.assert_array_equal(bn.backward(dout), brn.backward(dout))
        np.testing.assert_array_equal(bn.gamma.grad, brn.gamma.grad)
        np.testing.assert_array_equal(bn.beta.grad, brn.beta.grad)
        np.testing.assert_array_equal(bn.running_mean, brn.running_mean)
        np.testing.assert_array_equal(bn.running_var, brn.running_var)
    bn.eval(), brn.eval()
    x = rng.standard_normal((3, 5)).astype(dtype)
    np.testing.assert_array_equal(bn.forward(x), brn.forward(x))


def _brn_layer(rng: np.random.Generator, r_max: float, d_max: float, eps: float) -> BatchRenorm1d:
    layer = BatchRenorm1d(4, eps=eps, r_max=r_max, d_max=d_max, dtype=np.float64)
    _roughen(layer, rng)
    layer.running_mean[...] = [0.5, -0.5, 1.0, 0.0]
    layer.running_var[...] = [2.0, 0.5, 1.0, 4.0]
    return layer


@pytest.mark.parametrize("n", [2, 8])
def test_batchrenorm_backward_holds_r_and_d_constant(n: int) -> None:
    """Against finite differences of the forward pass with r and d frozen."""
    rng = np.random.default_rng(n)
    eps = 0.1 if n == 2 else 1e-5  # (N = 2: see the group-size-2 note above)
    layer = _brn_layer(rng, r_max=10.0, d_max=10.0, eps=eps)  # wide: r and d not clipped
    x = rng.standard_normal((n, 4)) * 1.5 + 0.5
    rm, rv = layer.running_mean.copy(), layer.running_var.copy()
    _, base = F.batchrenorm_forward(x, layer.gamma.data, layer.beta.data, rm, rv, 10.0, 10.0, eps)
    r0 = base.r.copy()
    d0 = base.xhat[0] - base.xbn[0] * r0  # d from xhat = xbn r + d

    def frozen(xx: np.ndarray) -> np.ndarray:
        xbn = F.batchnorm_forward(xx, np.ones(4), np.zeros(4), eps)[1].xhat
        return layer.gamma.data * (xbn * r0 + d0) + layer.beta.data

    w = rng.standard_normal(x.shape)
    _, cache = F.batchrenorm_forward(x, layer.gamma.data, layer.beta.data, rm, rv, 10.0, 10.0, eps)
    assert np.all(np.abs(cache.r - 1) > 1e-3)  # the correction is really at work
    dx, dgamma, dbeta = F.batchrenorm_backward(w, cache)
    assert rel_error(dx, numerical_gradient(lambda: float(np.sum(frozen(x) * w)), x)) < TOL
    g = numerical_gradient(lambda: float(np.sum(frozen(x) * w)), layer.gamma.data)
    assert rel_error(dgamma, g) < TOL
    assert (
        rel_error(dbeta, numerical_gradient(lambda: float(np.sum(frozen(x) * w)), layer.beta.data))
        < TOL
    )


@pytest.mark.parametrize("n", [2, 8])
def test_batchrenorm_clipped_matches_true_finite_differences(n: int) -> None:
    """With r and d at their clip bounds the true derivative treats them as constants."""
    rng = np.random.default_rng(20 + n)
    eps = 0.1 if n == 2 else 1e-5
    layer = _brn_layer(rng, r_max=1.01, d_max=0.01, eps=eps)
    x = rng.standard_normal((n, 4)) * 4 + 5  # far from the running statistics: clipped
    rm, rv = layer.running_mean.copy(), layer.running_var.copy()

    def fwd(xx: np.ndarray) -> np.ndarray:  # the layer without its running update
        return F.batchrenorm_forward(
            xx, layer.gamma.data, layer.beta.data, rm, rv, 1.01, 0.01, eps
        )[0]

    cache = F.batchrenorm_forward(x, layer.gamma.data, layer.beta.data, rm, rv, 1.01, 0.01, eps)[1]
    assert np.all(np.isclose(np.abs(cache.r), [1.01] * 4) | np.isclose(cache.r, 1 / 1.01))
    w = rng.standard_normal(x.shape)
    dx, dgamma, _ = F.batchrenorm_backward(w, cache)
    assert rel_error(dx, numerical_gradient(lambda: float(np.sum(fwd(x) * w)), x)) < TOL
    assert (
        rel_error(dgamma, numerical_gradient(lambda: float(np.sum(fwd(x) * w)), layer.gamma.data))
        < TOL
    )


def test_batchrenorm_running_statistics_as_bn() -> None:
    rng = np.random.default_rng(6)
    layer = BatchRenorm1d(3, momentum=0.25, dtype=np.float64)
    x = rng.standard_normal((10, 3)) * 2 + 1
    layer.forward(x)
    np.testing.assert_allclose(layer.running_mean, 0.25 * x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, 0.75 + 0.25 * x.var(axis=0, ddof=1), rtol=1e-12)
    with pytest.raises(NNError, match="r_max"):
        BatchRenorm1d(3, r_max=0.5)


# --------------------------------------------------------------------------- noisy BN


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_noisy_bn_with_zero_noise_is_bn(dtype: type) -> None:
    rng = np.random.default_rng(7)
    bn = BatchNorm1d(4, dtype=dtype)
    noisy = NoisyBatchNorm1d(
        4, dtype=dtype, rng=np.random.default_rng(0), shift=(0, 0), scale=(1, 0)
    )
    for _ in range(3):
        x = rng.standard_normal((6, 4)).astype(dtype)
        dout = rng.standard_normal((6, 4)).astype(dtype)
        np.testing.assert_array_equal(bn.forward(x), noisy.forward(x))
        np.testing.assert_array_equal(bn.backward(dout), noisy.backward(dout))
        np.testing.assert_array_equal(bn.gamma.grad, noisy.gamma.grad)
        np.testing.assert_array_equal(bn.running_var, noisy.running_var)


@pytest.mark.parametrize("per_sample", [False, True])
def test_noisy_bn_noise_is_fresh_each_step_and_gradient_checks(per_sample: bool) -> None:
    rng = np.random.default_rng(8)
    layer = NoisyBatchNorm1d(
        4, dtype=np.float64, rng=np.random.default_rng(1), per_sample=per_sample
    )
    x = rng.standard_normal((5, 4)) * 2
    out1 = layer.forward(x)
    s1, _ = layer.noise  # type: ignore[misc]
    out2 = layer.forward(x)
    s2, t2 = layer.noise  # type: ignore[misc]
    assert s1.shape == ((5, 4) if per_sample else (4,))
    assert not np.array_equal(s1, s2) and not np.array_equal(out1, out2)
    # the noise has non-zero mean and non-unit scale; the same seed gives the same noise
    twin = NoisyBatchNorm1d(
        4, dtype=np.float64, rng=np.random.default_rng(1), per_sample=per_sample
    )
    np.testing.assert_array_equal(twin.forward(x), out1)
    # backward with the last draw held fixed, against finite differences of s BN(x) + t
    w = rng.standard_normal(x.shape)
    dx = layer.backward(w)

    def f() -> float:
        bn = F.batchnorm_forward(x, layer.gamma.data, layer.beta.data)[0]
        return float(np.sum((bn * s2 + t2) * w))

    assert rel_error(dx, numerical_gradient(f, x)) < TOL
    layer.eval()
    plain = BatchNorm1d(4, dtype=np.float64)
    plain.running_mean[...], plain.running_var[...] = layer.running_mean, layer.running_var
    plain.eval()
    np.testing.assert_array_equal(layer.forward(x), plain.forward(x))  # eval: no noise


# --------------------------------------------------------------------------- names


def test_parse_norm() -> None:
    assert parse_norm("BN") == ("bn", None)
    assert parse_norm("gn") == ("gn", 4)
    assert parse_norm("gn:8") == ("gn", 8)
    assert parse_norm("noisy-bn") == ("noisy-bn", None)
    for bad, msg in (
        ("gn:0", "groups"),
        ("gn:x", "groups"),
        ("noisy_bn", "did you mean 'noisy-bn'"),
        ("bn:2", "unknown"),
    ):
        with pytest.raises(NNError, match=msg):
            parse_norm(bad)
    assert make_norm("none", 4) is None
    with pytest.raises(NNError, match="random generator"):
        make_norm("noisy-bn", 4)


# --------------------------------------------------------------------------- the MLP


NORMS = ["bn", "ln", "gn:2", "brn", "noisy-bn", "none"]


def _mlp(norm: str, fast: bool = False, dtype: type = np.float32, **kw: object) -> MLP:
    return MLP(
        2,
        3,
        depth=3,
        width=8,
        norm=norm,
        dtype=dtype,
        fast=fast,
        rng=np.random.default_rng(1),
        dropout_rng=np.random.default_rng(2),
        noise_rng=np.random.default_rng(3),
        **kw,
    )  # type: ignore[arg-type]


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(9)
    x = rng.standard_normal((200, 2))
    return x, (x[:, 0] * x[:, 1] > 0).astype(np.int64) + (x[:, 0] > 1)


@pytest.mark.parametrize("fast", [False, True])
@pytest.mark.parametrize("norm", NORMS)
def test_every_norm_trains_fifty_steps(norm: str, fast: bool) -> None:
    x, y = _data()
    m = _mlp(norm, fast)
    opt = make_optimizer("momentum", 0.05)
    order = np.random.default_rng(4)
    losses = []
    for _ in range(50):
        idx = order.choice(200, 32, replace=False)
        losses.append(m.loss(x[idx], y[idx])[0])
        m.backward()
        opt.step(m.optimizer_parameters())
    assert np.all(np.isfinite(losses))
    assert np.mean(losses[-10:]) < np.mean(losses[:10]), norm
    val = m.predict_proba(x)
    assert val.shape == (200, 3) and np.all(np.isfinite(val))


@pytest.mark.parametrize("norm", ["bn", "ln", "gn:2", "noisy-bn"])
def test_whole_network_gradient_check(norm: str) -> None:
    m = MLP(
        3,
        3,
        depth=2,
        width=6,
        norm=norm,
        dtype=np.float64,
        activation="tanh",
        rng=np.random.default_rng(5),
        dropout_rng=np.random.default_rng(6),
        noise_rng=np.random.default_rng(7),
    )
    rng = np.random.default_rng(8)
    for b in m.blocks:
        _roughen(b.norm, rng)
        if isinstance(b.norm, NoisyBatchNorm1d):  # a fixed scale and shift: deterministic
            b.norm.scale, b.norm.shift = (1.7, 0.0), (0.3, 0.0)
        if b.linear.b is not None:
            b.linear.b.data[:] = rng.standard_normal(6) * 0.1
    x, y = rng.standard_normal((7, 3)), rng.integers(0, 3, 7)
    m.loss(x, y)
    m.backward()
    for p in m.parameters():
        analytic = p.grad.copy()
        numeric = numerical_gradient(lambda: m.loss(x, y)[0], p.data)
        assert rel_error(analytic, numeric) < TOL, p.name


def test_set_norm_keeps_linear_weights_and_biases_follow_the_rule() -> None:
    m = _mlp("bn")
    weights = [b.linear.W for b in m.blocks] + [m.head.W]
    values = [w.data.copy() for w in weights]
    assert all(b.linear.b is None for b in m.blocks)  # BN before the activation: no bias
    for norm in ["ln", "gn:4", "brn", "noisy-bn", "none", "bn", "gn"]:
        new = m.set_norm(norm)
        assert [b.linear.W for b in m.blocks] + [m.head.W] == weights  # the same objects
        for w, v in zip(weights, values, strict=True):
            np.testing.assert_array_equal(w.data, v)
        kind = parse_norm(norm)[0]
        assert m.spec.norm == ("gn:4" if norm == "gn" else norm)
        assert all((b.linear.b is None) == (kind in ("bn", "brn", "noisy-bn")) for b in m.blocks)
        names = {p.name for p in new}
        if kind != "none":
            assert {"L1.gamma", "L1.beta"} <= names
        assert m.bn == (kind == "bn")
        assert all((b.bn is not None) == (kind in ("bn", "brn", "noisy-bn")) for b in m.blocks)
    assert m.set_norm("gn:4") == []  # the same norm: nothing new


def test_set_norm_and_set_width_refuse_groups_that_do_not_divide() -> None:
    m = _mlp("ln")
    before = [p for p in m.parameters()]
    with pytest.raises(NNError, match="do not divide"):
        m.set_norm("gn:3")
    assert m.spec.norm == "ln" and m.parameters() == before
    m.set_norm("gn:4")
    with pytest.raises(NNError, match="do not divide"):
        m.set_width(10, np.random.default_rng(0))
    assert m.spec.width == 8 and all(b.linear.W.data.shape[1] == 8 for b in m.blocks)
    m.set_width(12, np.random.default_rng(0))
    assert all(b.norm.num_features == 12 for b in m.blocks)


def test_bn_flag_is_an_alias() -> None:
    assert _mlp_bn(True).spec.norm == "bn" and _mlp_bn(False).spec.norm == "none"
    with pytest.raises(NNError, match="contradicts"):
        MLP(
            2,
            3,
            depth=1,
            width=4,
            bn=False,
            norm="ln",
            rng=np.random.default_rng(0),
            dropout_rng=np.random.default_rng(1),
        )
    m = _mlp("ln")
    m.set_bn(True)
    assert m.spec.norm == "bn" and m.bn
    m.set_bn(False)
    assert m.spec.norm == "none" and not m.bn


def _mlp_bn(bn: bool) -> MLP:
    return MLP(
        2,
        3,
        depth=1,
        width=4,
        bn=bn,
        rng=np.random.default_rng(0),
        dropout_rng=np.random.default_rng(1),
    )


def test_width_edit_keeps_norm_parameters() -> None:
    m = _mlp("ln", dtype=np.float64)
    m.blocks[0].norm.gamma.data[:] = np.arange(8)
    m.set_width(12, np.random.default_rng(0))
    g = m.blocks[0].norm.gamma.data
    np.testing.assert_array_equal(g[:8], np.arange(8))
    np.testing.assert_array_equal(g[8:], 1.0)
    assert isinstance(m.blocks[0].norm, LayerNorm) and isinstance(m.head, Linear)
