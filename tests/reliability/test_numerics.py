"""Divergence and numerics: every extreme setting trains on or pauses with a message."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bntui.live.frame import RunState
from bntui.live.runner import Runner
from bntui.nn.functional import batchnorm_backward, batchnorm_forward, softmax_cross_entropy
from bntui.training.config import Config
from bntui.training.session import BN_BATCH_ONE_HINT, DIVERGED_HINT, Session

TINY = Config(samples=200, depth=2, width=16, batch_size=16, eval_every=5, stats_every=1)


def finite_or_flagged(s: Session) -> None:
    """The session's promise: a finite loss, or the diverged flag and its event."""
    loss = s.last_record["loss"]
    if s.diverged:
        assert not math.isfinite(loss)
        assert s.events[-1].kind == "diverged" and "lr /2" in s.events[-1].text
    else:
        assert math.isfinite(loss)


@pytest.mark.parametrize("bn", [True, False])
@pytest.mark.parametrize("lr", [1e3, 1e6, 1e30])
def test_huge_learning_rate_diverges_cleanly_or_trains(bn, lr):
    s = Session(TINY.replace(bn=bn, lr=lr, optimizer="sgd"))
    s.run(200)
    finite_or_flagged(s)
    if s.diverged:
        step = s.step_count
        s.run(10)  # a diverged session does not train on by itself
        assert s.step_count == step
        s.apply("lr 0.01")
        s.apply("reset")  # the documented way out
        assert not s.diverged
        s.run(20)
        assert math.isfinite(s.last_record["loss"])


def test_huge_lr_without_bn_does_diverge_and_the_runner_pauses_with_the_hint():
    """lr 1e30, std:1, no BN: the first update sends the weights to ~1e30 (float32 overflow)."""
    runner = Runner(Session(TINY.replace(bn=False, lr=1e30, init="std:1")), threaded=False)
    runner.pause(False)
    runner.step(50)
    assert runner.session.diverged and runner.state == RunState.DIVERGED
    assert runner.frame().message == DIVERGED_HINT
    runner.send("reset")
    runner.send("lr 0.01")
    assert runner.state == RunState.PAUSED and runner.frame().message is None
    runner.step(10)
    assert math.isfinite(runner.session.last_record["loss"])


@pytest.mark.parametrize("bn", [True, False])
def test_init_std_100(bn):
    """N(0, 100²) weights: BN renormalizes each layer; without it logits reach ~1e4 or more."""
    s = Session(TINY.replace(init="std:100", bn=bn, activation="tanh"))
    s.run(1)
    if bn:
        for layer in s.last_record["layers"]:
            # pre-BN scale grows with the init, the activation input does not: at step 1
            # γ = 1, β = 0, so it is x̂ itself, each unit with mean 0 and variance 1
            assert layer["pre_std"] > 10 and abs(layer["std"] - 1) < 1e-3
    s.run(50)
    finite_or_flagged(s)
    if bn:
        assert not s.diverged


def test_widest_deepest_net_takes_a_step():
    """Width 1024 × depth 32 (the limits): one step, finite loss with BN and He init."""
    c = TINY.replace(depth=32, width=1024, batch_size=8, stats_every=1)
    s = Session(c)
    s.run(2)
    assert s.model.depth == 32 and s.model.blocks[-1].linear.W.data.shape == (1024, 1024)
    assert math.isfinite(s.last_record["loss"]) and len(s.last_record["layers"]) == 32


def test_widest_deepest_net_without_bn_large_init_is_flagged_not_crashed():
    c = TINY.replace(depth=32, width=1024, batch_size=8, bn=False, init="std:1", activation="relu")
    s = Session(c)
    s.run(3)
    # activations grow ~sqrt(1024)=32× per layer: 32**32 overflows float32 (max ~3.4e38)
    assert s.diverged and not math.isfinite(s.last_record["loss"])


@pytest.mark.parametrize("position", ["before", "after"])
def test_batch_size_one_with_bn_has_no_nan_and_is_explained(position):
    s = Session(TINY.replace(batch_size=1, bn_position=position))
    s.run(40)
    assert not s.diverged and math.isfinite(s.last_record["loss"])
    for block in s.model.blocks:
        assert np.all(np.isfinite(block.bn.gamma.data)) and np.all(block.bn.running_var == 1.0)
    assert s.warning() == BN_BATCH_ONE_HINT
    assert any(e.kind == "warning" for e in s.events)
    runner = Runner(s, threaded=False)
    assert runner.frame().message == BN_BATCH_ONE_HINT
    runner.send("batch-size 2")  # the note goes when the cause goes
    assert s.warning() is None and runner.frame().message is None
    runner.send("batch-size 1")
    assert runner.frame().message == BN_BATCH_ONE_HINT
    assert [e.kind for e in s.events].count("warning") == 2


def test_batchnorm_of_a_single_sample_is_beta_with_zero_gradient_to_x():
    """N = 1: x - μ = 0 and σ² = 0, so y = β exactly and dL/dx = 0 (hand-derived)."""
    x = np.array([[3.0, -7.0, 1e6]], dtype=np.float32)
    gamma = np.array([2.0, 0.5, 1.0], dtype=np.float32)
    beta = np.array([0.1, -0.2, 0.3], dtype=np.float32)
    out, cache = batchnorm_forward(x, gamma, beta)
    np.testing.assert_array_equal(out, beta[None, :])
    dx, dgamma, dbeta = batchnorm_backward(np.ones_like(x), cache)
    assert np.all(np.isfinite(dx)) and np.all(dx == 0)
    np.testing.assert_array_equal(dbeta, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(dgamma, [0.0, 0.0, 0.0])


def test_batchnorm_of_a_constant_batch_is_beta():
    """N = 64 identical rows: variance 0 again; ε keeps 1/√(0 + ε) = 316.2 finite."""
    x = np.full((64, 4), 5.0, dtype=np.float32)
    out, cache = batchnorm_forward(x, np.ones(4, np.float32), np.zeros(4, np.float32))
    assert np.all(out == 0) and np.allclose(cache.invstd, 1 / math.sqrt(1e-5))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_cross_entropy_with_overflowing_logits(dtype):
    """Logits ±1e30 (float32 exp overflows at ~88): the max-shift keeps it exact.

    Row 0: the right class has the largest logit: loss = log(1 + e^(-2e30)) = 0.
    Row 1: the right class is 2e30 below the max: loss = 2e30 (to rounding).
    """
    big = dtype(1e30)
    logits = np.array([[big, -big], [big, -big]], dtype=dtype)
    y = np.array([0, 1])
    loss, dlogits = softmax_cross_entropy(logits, y)
    assert math.isfinite(loss)
    assert loss == pytest.approx(2e30 / 2, rel=1e-6)  # mean of 0 and 2e30
    assert np.all(np.isfinite(dlogits))
    # dL/dlogits = (softmax - onehot) / N; softmax is (1, 0) in both rows
    np.testing.assert_allclose(dlogits, [[0, 0], [0.5, -0.5]], atol=1e-7)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_softmax_cross_entropy_with_inf_logits_is_not_finite():
    """An inf logit gives inf - inf = NaN in the shift: that is divergence, not a crash."""
    loss, _ = softmax_cross_entropy(np.array([[np.inf, 0.0]], dtype=np.float32), np.array([1]))
    assert not math.isfinite(loss)


def test_session_survives_nan_in_the_weights():
    """A NaN injected into a weight (a cosmic ray, a bad loaded file) flags divergence."""
    s = Session(TINY)
    s.run(5)
    s.model.blocks[0].linear.W.data[0, 0] = np.nan
    s.run(5)
    assert s.diverged and s.events[-1].kind == "diverged"
    s.apply("reset")
    s.run(5)
    assert not s.diverged and math.isfinite(s.last_record["loss"])
