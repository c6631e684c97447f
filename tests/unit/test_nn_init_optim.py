"""bntui.nn.init and bntui.nn.optim: initial weight scales, optimizer steps, max-norm."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bntui.nn import NNError, Parameter, apply_max_norm, init_weight, make_optimizer

# --------------------------------------------------------------------------- init


@pytest.mark.parametrize(
    ("spec", "fan_in", "fan_out", "std"),
    [
        ("he", 2000, 500, math.sqrt(2 / 2000)),
        ("xavier", 1000, 600, math.sqrt(2 / 1600)),
        ("std:0.01", 800, 800, 0.01),
        ("std:1", 300, 2000, 1.0),
    ],
)
def test_init_scale(spec: str, fan_in: int, fan_out: int, std: float) -> None:
    w = init_weight(spec, fan_in, fan_out, np.random.default_rng(0), np.float32)
    assert w.shape == (fan_in, fan_out) and w.dtype == np.float32
    # 600k+ samples: the sample std is within ~0.1% of the true one
    assert w.std() == pytest.approx(std, rel=0.01)
    assert abs(w.mean()) < 0.01 * std


def test_init_same_values_in_both_dtypes() -> None:
    a = init_weight("he", 5, 4, np.random.default_rng(3), np.float32)
    b = init_weight("he", 5, 4, np.random.default_rng(3), np.float64)
    assert b.dtype == np.float64
    np.testing.assert_array_equal(a, b.astype(np.float32))


def test_init_bad_input() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(NNError, match="unknown init 'kaiming'"):
        init_weight("kaiming", 3, 3, rng, np.float32)
    with pytest.raises(NNError, match="positive"):
        init_weight("std:-1", 3, 3, rng, np.float32)
    with pytest.raises(NNError, match="fan_in"):
        init_weight("he", 0, 3, rng, np.float32)
    with pytest.raises(NNError, match="float32 or float64"):
        init_weight("he", 3, 3, rng, np.int64)


# --------------------------------------------------------------------------- optimizers


def _param(values: list[float], grad: list[float], dtype: type = np.float64) -> Parameter:
    p = Parameter("w", np.array(values, dtype=dtype))
    p.grad[:] = grad
    return p


def test_sgd_step_by_hand() -> None:
    p = _param([1.0, -2.0], [0.5, 1.0])
    make_optimizer("sgd", 0.1).step([p])
    # w - lr g = [1 - 0.05, -2 - 0.1]
    np.testing.assert_allclose(p.data, [0.95, -2.1], rtol=1e-15)


def test_momentum_two_steps_by_hand() -> None:
    p = _param([1.0, -2.0], [0.5, 1.0])
    opt = make_optimizer("momentum", 0.1, momentum=0.9)
    opt.step([p])  # v = g = [0.5, 1];  w = [1, -2] - 0.1 v = [0.95, -2.1]
    np.testing.assert_allclose(p.data, [0.95, -2.1], rtol=1e-15)
    p.grad[:] = [0.25, -1.0]
    opt.step([p])  # v = 0.9 [0.5, 1] + [0.25, -1] = [0.7, -0.1];  w -= 0.1 v
    np.testing.assert_allclose(p.data, [0.88, -2.09], rtol=1e-14)


def test_adam_two_steps_by_hand() -> None:
    p = _param([1.0, -2.0], [0.5, 1.0])
    opt = make_optimizer("adam", 0.1)
    # step 1: m = 0.1 g, v = 0.001 g^2 -> m_hat = g, v_hat = g^2 -> w -= 0.1 g / (|g| + 1e-8)
    opt.step([p])
    np.testing.assert_allclose(p.data, [1 - 0.05 / (0.5 + 1e-8), -2 - 0.1 / (1 + 1e-8)], rtol=1e-14)
    p.grad[:] = [0.25, -1.0]
    opt.step([p])
    # step 2, unit 0: m = 0.045 + 0.025 = 0.07, v = 0.00024975 + 0.0000625 = 0.00031225
    #   m_hat = 0.07 / 0.19 = 0.368421053, v_hat = 0.00031225 / 0.001999 = 0.156203102
    #   w = 0.9 - 0.1 * 0.368421053 / 0.395225381 = 0.9 - 0.0932180 = 0.806782
    # unit 1: m = 0.09 - 0.1 = -0.01, v = 0.000999 + 0.001 = 0.001999 -> v_hat = 1
    #   w = -2.1 + 0.1 * 0.01 / 0.19 = -2.1 + 0.00526316 = -2.0947368
    np.testing.assert_allclose(p.data, [0.806782, -2.0947368], rtol=1e-6)


def test_adam_step_count_is_per_parameter() -> None:
    opt = make_optimizer("adam", 0.01)
    old = _param([0.0], [1.0])
    for _ in range(3):
        opt.step([old])
    new = _param([0.0], [-4.0])
    opt.step([old, new])
    # the newcomer's first step is bias-corrected as t = 1: exactly lr * sign(g)
    np.testing.assert_allclose(new.data, [0.01], rtol=1e-8)
    assert opt.state[old]["t"] == 4 and opt.state[new]["t"] == 1


def test_reset_and_surviving_state() -> None:
    opt = make_optimizer("momentum", 1.0, momentum=0.5)
    a, b = _param([0.0], [1.0]), _param([0.0], [1.0])
    opt.step([a, b])  # v = 1 for both; w = -1
    opt.reset([a])
    opt.step([a, b])
    # a restarted: v = g = 1 -> w = -2;  b kept its velocity: v = 0.5 + 1 -> w = -2.5
    np.testing.assert_allclose(a.data, [-2.0])
    np.testing.assert_allclose(b.data, [-2.5])
    opt.reset()
    assert len(opt.state) == 0
    opt.step([b])  # fresh again: v = 1
    np.testing.assert_allclose(b.data, [-3.5])


def test_state_follows_shape_change() -> None:
    opt = make_optimizer("momentum", 1.0)
    p = _param([0.0, 0.0], [1.0, 1.0])
    opt.step([p])
    p.data = np.zeros(3)  # the session resizes a layer without telling the optimizer
    p.grad = np.ones(3)
    opt.step([p])  # stale velocity of shape (2,) is dropped, v = g
    np.testing.assert_allclose(p.data, [-1.0, -1.0, -1.0])


def test_dropped_parameter_takes_its_state_along() -> None:
    opt = make_optimizer("adam", 0.1)
    p = _param([0.0], [1.0])
    opt.step([p])
    assert len(opt.state) == 1
    del p
    assert len(opt.state) == 0


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_float32_stays_float32(name: str) -> None:
    opt = make_optimizer(name, np.float64(0.1))  # type: ignore[arg-type]
    assert type(opt.lr) is float
    p = _param([1.0, 2.0], [0.1, -0.1], np.float32)
    data = p.data
    opt.step([p])
    assert p.data is data and p.data.dtype == np.float32  # updated in place
    if name != "sgd":
        assert all(
            a.dtype == np.float32 for a in opt.state[p].values() if isinstance(a, np.ndarray)
        )


def test_optimizer_bad_input() -> None:
    with pytest.raises(NNError, match="unknown optimizer 'rmsprop'"):
        make_optimizer("rmsprop", 0.1)
    with pytest.raises(NNError, match="learning rate"):
        make_optimizer("sgd", 0.0)
    opt = make_optimizer("sgd", 0.1)
    with pytest.raises(NNError, match="learning rate"):
        opt.lr = float("nan")
    opt.lr = 0.5
    assert opt.lr == 0.5
    with pytest.raises(NNError, match="momentum"):
        make_optimizer("momentum", 0.1, momentum=1.0)


# --------------------------------------------------------------------------- max-norm


def test_max_norm_by_hand() -> None:
    w = np.array([[3.0, 0.1, 0.0], [4.0, 0.2, 0.0]], np.float32)
    apply_max_norm(w, 1.0)
    # column 0 has norm 5 -> [3, 4] / 5; column 1 (norm 0.22) and the zero column unchanged
    np.testing.assert_allclose(w, [[0.6, 0.1, 0.0], [0.8, 0.2, 0.0]], rtol=1e-6)
    assert w.dtype == np.float32
    norms = np.sqrt((np.random.default_rng(0).standard_normal((50, 20)) ** 2).sum(axis=0))
    big = np.random.default_rng(0).standard_normal((50, 20))
    apply_max_norm(Parameter("W", big), 3.0)
    np.testing.assert_allclose(np.sqrt((big**2).sum(axis=0)), np.minimum(norms, 3.0), rtol=1e-12)


def test_max_norm_bad_input() -> None:
    with pytest.raises(NNError, match="2-D"):
        apply_max_norm(np.ones(3), 1.0)
    with pytest.raises(NNError, match="> 0"):
        apply_max_norm(np.ones((3, 2)), 0.0)
