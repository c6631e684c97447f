"""bntui.nn.layers: Parameter, Linear, BatchNorm1d, activations, Dropout."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from bntui.nn import (
    ACTIVATIONS,
    ELU,
    GELU,
    BatchNorm1d,
    Dropout,
    Identity,
    LeakyReLU,
    Linear,
    NNError,
    Parameter,
    ReLU,
    Sigmoid,
    Tanh,
    make_activation,
    numerical_gradient,
    rel_error,
)

TOL = 1e-6


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# --------------------------------------------------------------------------- Parameter


def test_parameter_grad_matches_data_and_identity_hash() -> None:
    p = Parameter("L1.W", np.ones((2, 3), np.float32))
    assert p.grad.shape == (2, 3) and p.grad.dtype == np.float32 and not p.grad.any()
    q = Parameter("L1.W", np.ones((2, 3), np.float32))
    assert len({p, q}) == 2  # keyed by identity, not by value


# --------------------------------------------------------------------------- Linear


@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradients(bias: bool) -> None:
    rng = _rng(1)
    lin = Linear(4, 3, weight=rng.standard_normal((4, 3)), bias=bias, name="L1")
    if bias:
        lin.b.data[:] = rng.standard_normal(3)
    x = rng.standard_normal((5, 4))
    w = rng.standard_normal((5, 3))

    def f() -> float:
        return float(np.sum(lin.forward(x) * w))

    lin.forward(x)
    dx = lin.backward(w)
    assert rel_error(dx, numerical_gradient(f, x)) < TOL
    assert rel_error(lin.W.grad.copy(), numerical_gradient(f, lin.W.data)) < TOL
    if bias:
        assert rel_error(lin.b.grad.copy(), numerical_gradient(f, lin.b.data)) < TOL
        assert [p.name for p in lin.parameters()] == ["L1.W", "L1.b"]
    else:
        assert lin.b is None and [p.name for p in lin.parameters()] == ["L1.W"]


def test_linear_forward_is_xw_plus_b() -> None:
    lin = Linear(2, 2, weight=np.array([[1.0, 2.0], [3.0, 4.0]]))
    lin.b.data[:] = [10.0, 20.0]
    # [1, 1] @ W = [4, 6]; + b = [14, 26]
    np.testing.assert_array_equal(lin.forward(np.array([[1.0, 1.0]])), [[14.0, 26.0]])


def test_linear_need_dx_false_skips_input_gradient() -> None:
    lin = Linear(3, 2, weight=np.ones((3, 2), np.float32), need_dx=False)
    lin.forward(np.ones((4, 3), np.float32))
    assert lin.backward(np.ones((4, 2), np.float32)) is None
    np.testing.assert_array_equal(lin.W.grad, np.full((3, 2), 4.0))  # x^T dout
    assert lin.W.grad.dtype == np.float32


def test_linear_set_bias() -> None:
    lin = Linear(3, 2, weight=np.ones((3, 2)), bias=False, name="L2")
    b = lin.set_bias(True)
    assert b is lin.b and b.name == "L2.b" and not b.data.any()
    assert lin.set_bias(True) is None  # already there
    lin.set_bias(False)
    assert lin.b is None


def test_linear_bad_input_raises() -> None:
    with pytest.raises(NNError, match=r"\(3, 2\)"):
        Linear(3, 2, weight=np.ones((2, 3)))
    with pytest.raises(NNError, match="float32 or float64"):
        Linear(3, 2, weight=np.ones((3, 2), dtype=np.int64))
    lin = Linear(3, 2, weight=np.ones((3, 2)))
    with pytest.raises(NNError, match=r"\(N, 3\)"):
        lin.forward(np.ones((4, 2)))


# --------------------------------------------------------------------------- BatchNorm1d


def test_bn_layer_train_output_standardized() -> None:
    bn = BatchNorm1d(4)
    x = (_rng(2).standard_normal((128, 4)) * [1, 5, 0.5, 20] + [3, -3, 0, 50]).astype(np.float32)
    out = bn.forward(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(out.var(axis=0), 1, atol=1e-3)


def test_bn_running_stats_pytorch_rule_by_hand() -> None:
    bn = BatchNorm1d(2, momentum=0.1, dtype=np.float64)
    np.testing.assert_array_equal(bn.running_mean, [0, 0])
    np.testing.assert_array_equal(bn.running_var, [1, 1])
    # batch 1: means [3, 6]; unbiased vars: (4+0+4)/2 = 4 and (16+0+16)/2 = 16
    bn.forward(np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]]))
    # running_mean = 0.9*0 + 0.1*[3, 6];  running_var = 0.9*1 + 0.1*[4, 16]
    np.testing.assert_allclose(bn.running_mean, [0.3, 0.6], rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, [1.3, 2.5], rtol=1e-12)
    # batch 2: means [2, 0]; unbiased vars: (4+0+4)/2 = 4 and (0+4+4)/2 = 4
    bn.forward(np.array([[0.0, 0.0], [2.0, -2.0], [4.0, 2.0]]))
    # running_mean = 0.9*[0.3, 0.6] + 0.1*[2, 0];  running_var = 0.9*[1.3, 2.5] + 0.1*[4, 4]
    np.testing.assert_allclose(bn.running_mean, [0.47, 0.54], rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, [1.57, 2.65], rtol=1e-12)


def test_bn_eval_uses_running_stats() -> None:
    bn = BatchNorm1d(2, dtype=np.float64)
    bn.running_mean[:] = [0.47, 0.54]
    bn.running_var[:] = [1.57, 2.65]
    bn.gamma.data[:] = [2.0, 0.5]
    bn.beta.data[:] = [1.0, -1.0]
    bn.eval()
    x = np.array([[1.0, 1.0], [-2.0, 3.0]])
    out = bn.forward(x)
    expected = (x - [0.47, 0.54]) / np.sqrt(np.array([1.57, 2.65]) + 1e-5) * [2.0, 0.5] + [1, -1]
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    # per-sample: one row alone gives the same output; running stats untouched
    np.testing.assert_allclose(bn.forward(x[1:]), expected[1:], rtol=1e-12)
    np.testing.assert_array_equal(bn.running_mean, [0.47, 0.54])
    bn.train()
    assert bn.training


@pytest.mark.parametrize("training", [True, False])
def test_bn_layer_gradients(training: bool) -> None:
    rng = _rng(3)
    bn = BatchNorm1d(3, dtype=np.float64, name="L1")
    bn.gamma.data[:] = rng.standard_normal(3) + 1
    bn.beta.data[:] = rng.standard_normal(3)
    bn.running_mean[:] = rng.standard_normal(3)
    bn.running_var[:] = rng.random(3) + 0.5
    bn.training = training
    x = rng.standard_normal((6, 3)) * 2
    w = rng.standard_normal((6, 3))

    def f() -> float:
        return float(np.sum(bn.forward(x) * w))

    bn.forward(x)
    dx = bn.backward(w)
    assert rel_error(dx, numerical_gradient(f, x)) < TOL
    assert rel_error(bn.gamma.grad.copy(), numerical_gradient(f, bn.gamma.data)) < TOL
    assert rel_error(bn.beta.grad.copy(), numerical_gradient(f, bn.beta.data)) < TOL
    assert [p.name for p in bn.parameters()] == ["L1.gamma", "L1.beta"]


def test_bn_batch_of_one() -> None:
    bn = BatchNorm1d(3)
    bn.beta.data[:] = [0.5, -0.5, 2.0]
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        out = bn.forward(np.array([[1.0, -2.0, 1e6]], np.float32))
        dx = bn.backward(np.ones((1, 3), np.float32))
    np.testing.assert_array_equal(out, [[0.5, -0.5, 2.0]])  # x - mean = 0 -> beta
    assert np.all(np.isfinite(dx))
    # running_var: unbiased variance undefined for N = 1 -> unchanged; mean still updated
    np.testing.assert_array_equal(bn.running_var, [1, 1, 1])
    np.testing.assert_allclose(bn.running_mean, [0.1, -0.2, 1e5], rtol=1e-6)


def test_bn_bad_arguments() -> None:
    with pytest.raises(NNError, match="momentum"):
        BatchNorm1d(3, momentum=0.0)
    with pytest.raises(NNError, match="num_features"):
        BatchNorm1d(0)
    with pytest.raises(NNError, match="float32 or float64"):
        BatchNorm1d(3, dtype=np.int32)
    with pytest.raises(NNError, match=r"\(N, 3\)"):
        BatchNorm1d(3).forward(np.zeros((2, 4), np.float32))
    with pytest.raises(NNError, match="before forward"):
        BatchNorm1d(3).backward(np.zeros((2, 3), np.float32))


# --------------------------------------------------------------------------- activations


def test_activation_registry() -> None:
    assert list(ACTIVATIONS) == [
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
        "elu",
        "gelu",
        "identity",
    ]
    classes = [Sigmoid, Tanh, ReLU, LeakyReLU, ELU, GELU, Identity]
    assert list(ACTIVATIONS.values()) == classes
    for name, cls in ACTIVATIONS.items():
        act = make_activation(name)
        assert type(act) is cls
    assert make_activation("relu") is not make_activation("relu")  # fresh each time
    assert "tanh approximation" in (GELU.__doc__ or "")


def test_make_activation_unknown() -> None:
    with pytest.raises(NNError, match=r"unknown activation 'rleu' \(did you mean 'relu'\?\)"):
        make_activation("rleu")


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_gradients(name: str) -> None:
    rng = _rng(4)
    x = rng.standard_normal((5, 6)) * 2
    x[np.abs(x) < 0.05] += 0.1  # stay away from the kinks of relu / leaky_relu / elu at 0
    w = rng.standard_normal((5, 6))
    act = make_activation(name)

    def f() -> float:
        return float(np.sum(act.forward(x) * w))

    act.forward(x)
    dx = act.backward(w)
    assert rel_error(dx, numerical_gradient(f, x)) < TOL


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_keeps_float32(name: str) -> None:
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    act = make_activation(name)
    out = act.forward(x)
    assert out.dtype == np.float32
    assert act.backward(np.ones_like(x)).dtype == np.float32


def test_activation_derivative_values() -> None:
    # d/dx at known points: sigmoid'(0) = 1/4, tanh'(0) = 1, leaky'(-1) = 0.01, elu'(-1) = e^-1
    x = np.array([[0.0, -1.0]])
    one = np.ones_like(x)
    s = Sigmoid()
    s.forward(x)
    assert s.backward(one)[0, 0] == pytest.approx(0.25)
    t = Tanh()
    t.forward(x)
    assert t.backward(one)[0, 0] == pytest.approx(1.0)
    lk = LeakyReLU()
    lk.forward(x)
    assert lk.backward(one)[0, 1] == pytest.approx(0.01)
    e = ELU()
    e.forward(x)
    assert e.backward(one)[0, 1] == pytest.approx(math.exp(-1))
    r = ReLU()
    r.forward(x)
    np.testing.assert_array_equal(r.backward(one), [[0.0, 0.0]])  # 0 at the kink, as PyTorch


def test_sigmoid_layer_saturates_without_warning() -> None:
    s = Sigmoid()
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        out = s.forward(np.array([[-5e3, 5e3]], np.float32))
        d = s.backward(np.ones((1, 2), np.float32))
    np.testing.assert_array_equal(out, [[0.0, 1.0]])
    np.testing.assert_array_equal(d, [[0.0, 0.0]])


# --------------------------------------------------------------------------- Dropout


def test_dropout_train_statistics() -> None:
    d = Dropout(0.3, _rng(5))
    x = np.ones((400, 250), np.float32)
    out = d.forward(x)
    assert out.dtype == np.float32
    kept = out != 0
    assert kept.mean() == pytest.approx(0.7, abs=0.01)  # P(keep) = 1 - p
    np.testing.assert_allclose(out[kept], 1 / 0.7, rtol=1e-6)  # inverted scaling
    assert out.mean() == pytest.approx(1.0, abs=0.02)  # E[out] = x
    # backward drops the same units
    np.testing.assert_array_equal(d.backward(np.ones_like(x)) != 0, kept)


def test_dropout_eval_is_identity_and_seeded() -> None:
    d = Dropout(0.5, _rng(6))
    d.eval()
    x = _rng(7).standard_normal((4, 5)).astype(np.float32)
    assert d.forward(x) is x and d.backward(x) is x
    a = Dropout(0.5, _rng(8)).forward(np.ones((6, 6)))
    b = Dropout(0.5, _rng(8)).forward(np.ones((6, 6)))
    np.testing.assert_array_equal(a, b)


def test_dropout_fixed_mask_gradient() -> None:
    rng = _rng(9)
    d = Dropout(0.5, rng)
    d.fixed_mask = (rng.random((4, 5)) >= 0.5) * 2.0
    x = rng.standard_normal((4, 5))
    w = rng.standard_normal((4, 5))

    def f() -> float:
        return float(np.sum(d.forward(x) * w))

    out = d.forward(x)
    np.testing.assert_array_equal(out, x * d.fixed_mask)
    assert rel_error(d.backward(w), numerical_gradient(f, x)) < TOL


def test_dropout_bad_p() -> None:
    for p in (-0.1, 1.0, float("nan"), "half"):
        with pytest.raises(NNError, match=r"dropout p must be in \[0, 1\)"):
            Dropout(p, _rng())  # type: ignore[arg-type]
