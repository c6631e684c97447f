"""bntui.nn.functional: batch norm forward/backward, activations, softmax cross-entropy."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest

from bntui.nn import NNError, numerical_gradient, rel_error
from bntui.nn import functional as F

TOL = 1e-6


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# --------------------------------------------------------------------------- helpers


def test_numerical_gradient_of_known_function() -> None:
    # f(x) = sum(x^3) has df/dx = 3 x^2
    x = np.array([[0.5, -1.0], [2.0, 0.1]])
    g = numerical_gradient(lambda: float(np.sum(x**3)), x)
    assert rel_error(g, 3 * x**2) < 1e-8
    assert np.array_equal(x, [[0.5, -1.0], [2.0, 0.1]])  # restored


def test_numerical_gradient_refuses_float32() -> None:
    with pytest.raises(NNError, match="float64"):
        numerical_gradient(lambda: 0.0, np.zeros(3, np.float32))


def test_rel_error_definition() -> None:
    assert rel_error(np.array([1.0, 0.0]), np.array([1.0, 0.0])) == 0.0
    # |2 - 1| / (2 + 1) = 1/3
    assert rel_error(np.array([2.0]), np.array([1.0])) == pytest.approx(1 / 3)
    # both tiny: the 1e-8 floor keeps it small
    assert rel_error(np.array([1e-12]), np.array([-1e-12])) == pytest.approx(2e-4)


# --------------------------------------------------------------------------- batch norm


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bn_forward_normalizes_each_feature(dtype: type) -> None:
    x = (_rng(1).standard_normal((256, 5)) * [1, 3, 0.1, 10, 2] + [5, -2, 0, 100, 1]).astype(dtype)
    out, _ = F.batchnorm_forward(x, np.ones(5, dtype), np.zeros(5, dtype))
    assert out.dtype == dtype
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-5)
    # var(out) = var / (var + eps), within 1e-5 of 1 for these scales (smallest var 0.01)
    np.testing.assert_allclose(out.var(axis=0), 1, atol=2e-3)


def test_bn_forward_hand_computed() -> None:
    # feature 0: 1, 3, 5 -> mean 3, biased var 8/3; feature 1: 2, 6, 10 -> mean 6, var 32/3
    x = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]])
    gamma, beta = np.array([2.0, 1.0]), np.array([0.5, -1.0])
    out, cache = F.batchnorm_forward(x, gamma, beta, eps=0.0 + 1e-5)
    np.testing.assert_allclose(cache.mean, [3.0, 6.0])
    np.testing.assert_allclose(cache.var, [8 / 3, 32 / 3])
    s0, s1 = math.sqrt(8 / 3 + 1e-5), math.sqrt(32 / 3 + 1e-5)
    expected = [
        [2 * -2 / s0 + 0.5, -4 / s1 - 1],
        [0.5, -1.0],
        [2 * 2 / s0 + 0.5, 4 / s1 - 1],
    ]
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_bn_forward_gamma_beta_set_mean_and_std() -> None:
    x = _rng(2).standard_normal((500, 3)) * 4 + 7
    gamma, beta = np.array([0.5, 2.0, -3.0]), np.array([1.0, -1.0, 0.0])
    out, _ = F.batchnorm_forward(x, gamma, beta)
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-10)
    np.testing.assert_allclose(out.std(axis=0), np.abs(gamma), rtol=1e-5)


# With N = 2 the output is +-sqrt(var / (var + eps)): it depends on x only through eps,
# so dx ~ 1e-7 and finite differences drown in rounding; a larger eps makes it measurable.
@pytest.mark.parametrize("backward", [F.batchnorm_backward, F.batchnorm_backward_staged])
@pytest.mark.parametrize(("n", "eps"), [(1, 1e-5), (2, 0.1), (3, 1e-5), (16, 1e-5), (16, 0.5)])
def test_bn_backward_matches_finite_differences(n: int, eps: float, backward) -> None:
    rng = _rng(n)
    x = rng.standard_normal((n, 4)) * 2 + 1
    gamma = rng.standard_normal(4) + 1.5
    beta = rng.standard_normal(4)
    w = rng.standard_normal((n, 4))  # f = sum(out * w) so dout = w

    def f() -> float:
        return float(np.sum(F.batchnorm_forward(x, gamma, beta, eps)[0] * w))

    _, cache = F.batchnorm_forward(x, gamma, beta, eps)
    dx, dgamma, dbeta = backward(w, cache)  # compact and staged (node by node) forms
    assert rel_error(dx, numerical_gradient(f, x)) < TOL
    assert rel_error(dgamma, numerical_gradient(f, gamma)) < TOL
    assert rel_error(dbeta, numerical_gradient(f, beta)) < TOL


def test_bn_backward_invariants() -> None:
    # out is invariant to shifting a feature, and (as eps -> 0) to scaling it: so dx sums
    # to 0 over the batch and is orthogonal to xhat, per feature.
    rng = _rng(5)
    x = rng.standard_normal((32, 6)) * 3
    _, cache = F.batchnorm_forward(x, rng.standard_normal(6), rng.standard_normal(6), eps=1e-14)
    dx, _, _ = F.batchnorm_backward(rng.standard_normal((32, 6)), cache)
    np.testing.assert_allclose(dx.sum(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose((dx * cache.xhat).sum(axis=0), 0, atol=1e-10)


def test_bn_float32_stays_float32() -> None:
    x = _rng(6).standard_normal((8, 3)).astype(np.float32)
    g, b = np.ones(3, np.float32), np.zeros(3, np.float32)
    out, cache = F.batchnorm_forward(x, g, b)
    dx, dg, db = F.batchnorm_backward(np.ones_like(x), cache)
    arrays = (out, cache.xhat, cache.invstd, cache.mean, cache.var, dx, dg, db)
    assert {a.dtype for a in arrays} == {np.dtype(np.float32)}


def test_bn_batch_of_one_is_beta() -> None:
    x = np.array([[3.0, -7.0]], dtype=np.float32)
    beta = np.array([0.25, -0.5], np.float32)
    out, cache = F.batchnorm_forward(x, np.array([2.0, 3.0], np.float32), beta)
    assert np.all(np.isfinite(out))
    np.testing.assert_array_equal(out, [beta])
    dx, dg, db = F.batchnorm_backward(np.ones_like(x), cache)
    assert np.all(np.isfinite(dx)) and np.all(dx == 0)
    np.testing.assert_array_equal(dg, [0, 0])  # xhat = 0
    np.testing.assert_array_equal(db, [1, 1])  # sum of dout


def test_bn_bad_shapes_raise() -> None:
    with pytest.raises(NNError, match="shape"):
        F.batchnorm_forward(np.zeros((4, 3)), np.ones(2), np.zeros(3))
    with pytest.raises(NNError, match="shape"):
        F.batchnorm_forward(np.zeros(3), np.ones(3), np.zeros(3))


# --------------------------------------------------------------------------- activations


def test_sigmoid_values_and_no_overflow_warning() -> None:
    for dtype in (np.float32, np.float64):
        x = np.array([-1e4, -100.0, 0.0, 2.0, 100.0, 1e4], dtype=dtype)
        with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
            warnings.simplefilter("error")
            s = F.sigmoid(x)
        assert s.dtype == dtype
        np.testing.assert_allclose(s, [0.0, 0.0, 0.5, 0.8807970779778823, 1.0, 1.0], atol=1e-7)
        assert np.all((s >= 0) & (s <= 1))
    # relative accuracy in the left tail: sigmoid(-30) = e^-30 / (1 + e^-30)
    assert F.sigmoid(np.array([-30.0]))[0] == pytest.approx(math.exp(-30) / (1 + math.exp(-30)))


def test_activation_known_values() -> None:
    x = np.array([-1.0, 1.0, 2.0, -0.5])
    np.testing.assert_allclose(F.relu(x), [0, 1, 2, 0])
    np.testing.assert_allclose(F.leaky_relu(x), [-0.01, 1, 2, -0.005])
    np.testing.assert_allclose(F.elu(x), [-0.6321205588285577, 1, 2, math.exp(-0.5) - 1])
    # GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    np.testing.assert_allclose(
        F.gelu(x),
        [-0.15880800939172324, 0.8411919906082768, 1.954597694087775, -0.15428599017485606],
        rtol=1e-12,
    )


def test_elu_no_overflow_for_large_input() -> None:
    x = np.array([1e4, -1e4], np.float32)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        out = F.elu(x)
    np.testing.assert_array_equal(out, [1e4, -1.0])


# --------------------------------------------------------------------------- softmax / CE


def test_softmax_rows_sum_to_one_and_shift_invariant() -> None:
    z = _rng(7).standard_normal((5, 4)) * 10
    p = F.softmax(z)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(F.softmax(z + 1000.0), p, rtol=1e-12)


@pytest.mark.parametrize("k", [2, 3, 10])
def test_ce_uniform_logits_is_log_k(k: int) -> None:
    logits = np.full((4, k), 0.7)
    y = np.array([0, 1, 1, 0])
    loss, d = F.softmax_cross_entropy(logits, y)
    assert loss == pytest.approx(math.log(k))
    # dlogits = (1/k - onehot) / N
    expected = np.full((4, k), 1 / k)
    expected[np.arange(4), y] -= 1
    np.testing.assert_allclose(d, expected / 4)


def test_ce_large_logits_finite() -> None:
    for dtype in (np.float32, np.float64):
        logits = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4]], dtype=dtype)
        with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
            warnings.simplefilter("error")
            loss, d = F.softmax_cross_entropy(logits, np.array([1, 0]))
        # row 0: -log p_1 = 1e4 + log(1 + e^-1e4 + e^-2e4) = 1e4
        # row 1: -log p_0 = 1e4 + log 2
        assert math.isfinite(loss) and np.all(np.isfinite(d))
        assert loss == pytest.approx((1e4 + 1e4 + math.log(2)) / 2, rel=1e-6)
        assert d.dtype == dtype


def test_ce_gradient_matches_finite_differences() -> None:
    rng = _rng(8)
    logits = rng.standard_normal((6, 4)) * 3
    y = rng.integers(0, 4, 6)
    _, d = F.softmax_cross_entropy(logits, y)
    num = numerical_gradient(lambda: F.softmax_cross_entropy(logits, y)[0], logits)
    assert rel_error(d, num) < TOL
    np.testing.assert_allclose(d.sum(axis=1), 0, atol=1e-15)


def test_ce_bad_labels_raise() -> None:
    logits = np.zeros((3, 4))
    with pytest.raises(NNError, match=r"0\.\.3"):
        F.softmax_cross_entropy(logits, np.array([0, 4, 1]))
    with pytest.raises(NNError, match="integers"):
        F.softmax_cross_entropy(logits, np.array([0.0, 1.0, 1.0]))
    with pytest.raises(NNError, match="shape"):
        F.softmax_cross_entropy(logits, np.array([0, 1]))
    with pytest.raises(NNError, match="N >= 1"):
        F.softmax_cross_entropy(np.zeros((0, 4)), np.array([], int))


def test_engine_imports_no_ui_library() -> None:
    # DESIGN: bntui.nn is a teaching library; it must not pull in Textual or Rich
    code = (
        "import sys, bntui.nn; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')); "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
