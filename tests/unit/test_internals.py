"""The BN internals of a layer (view 5), checked against hand computations on the
session's own last batch; the measurement leaves the session exactly as it was."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from bntui.live.bn_internals import bn_internals
from bntui.live.frame import Needs, build_frame
from bntui.training.config import Config
from bntui.training.session import Session

SMALL = Config(samples=400, depth=3, width=8, stats_every=5, eval_every=10, seed=3)


def trained(steps: int = 60, **changes) -> Session:
    s = Session(SMALL.replace(**changes))
    s.run(steps)
    return s


@pytest.mark.parametrize("position", ["before", "after"])
def test_batch_and_running_statistics_by_hand(position: str) -> None:
    s = trained(bn_position=position)
    block = s.model.blocks[1]
    x = np.asarray(block.z if position == "before" else block.act_out, dtype=np.float64)
    bi = bn_internals(s, 2)
    assert bi.applies and bi.batch_size == SMALL.batch_size
    mu = x.sum(axis=0) / x.shape[0]
    sigma = np.sqrt(((x - mu) ** 2).sum(axis=0) / x.shape[0])  # biased, as in train mode
    np.testing.assert_allclose(bi.mu_b, mu, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(bi.sigma_b, sigma, rtol=1e-12, atol=1e-12)
    bn = block.bn
    np.testing.assert_array_equal(bi.run_mean, np.asarray(bn.running_mean, np.float64))
    np.testing.assert_array_equal(bi.run_std, np.sqrt(np.asarray(bn.running_var, np.float64)))
    np.testing.assert_array_equal(bi.gamma, np.asarray(bn.gamma.data, np.float64))
    # eval mode, sample 1, by hand: gamma (x - running mean) / sqrt(running var + eps) + beta
    rm, rv = np.asarray(bn.running_mean, np.float64), np.asarray(bn.running_var, np.float64)
    g, b = np.asarray(bn.gamma.data, np.float64), np.asarray(bn.beta.data, np.float64)
    np.testing.assert_allclose(bi.y_eval, g * (x[0] - rm) / np.sqrt(rv + bn.eps) + b, atol=1e-5)
    # train mode, sample 1, by hand with the batch's own statistics (DLFS eq. 6.7)
    np.testing.assert_allclose(
        bi.y_train, g * (x[0] - mu) / np.sqrt(sigma**2 + bn.eps) + b, atol=1e-5
    )
    # and it is what the layer itself outputs in train mode (a copy: its forward moves
    # the running statistics); the last batch's taps were made with the pre-step gamma, beta
    layer = copy.deepcopy(bn)
    layer.training = True
    own = layer.forward(np.asarray(x, dtype=bn.gamma.data.dtype))
    np.testing.assert_allclose(bi.y_train, own[0], atol=1e-5)


@pytest.mark.parametrize("norm", ["bn", "noisy-bn", "brn"])
def test_measuring_changes_nothing(norm: str) -> None:
    """Records, weights, running statistics and every random stream (noisy BN's noise, the
    batch order) are those of a session that was never looked at."""
    a, b = Session(SMALL.replace(norm=norm)), Session(SMALL.replace(norm=norm))
    ra, rb = [], []
    for step in range(40):
        ra.append(a.step())
        rb.append(b.step())
        if step % 7 == 0:
            for layer in (1, 2, 3):
                build_frame(b, Needs(internals=True, selected=layer))
    assert ra == rb
    for pa, pb in zip(a.model.parameters(), b.model.parameters(), strict=True):
        np.testing.assert_array_equal(pa.data, pb.data)
    for ba, bb in zip(a.model.blocks, b.model.blocks, strict=True):
        np.testing.assert_array_equal(ba.bn.running_mean, bb.bn.running_mean)
        np.testing.assert_array_equal(ba.bn.running_var, bb.bn.running_var)


def test_whole_set_batches_match_the_model_in_train_and_eval_mode() -> None:
    """Batch size >= the training set: every sampled batch is the whole set (permuted), so
    the batch statistics do not scatter, and the accuracies are the model's own on x_train
    in eval mode and in train mode (a copy: train mode moves the running statistics)."""
    s = trained(batch_size=4096)
    bi = bn_internals(s, 3)
    x, y = s.data.x_train, s.data.y_train
    assert bi.sample_size == x.shape[0] and bi.batches > 1
    assert bi.mu_spread < 1e-6 and bi.sigma_spread < 1e-6
    eval_acc = np.mean(s.model.forward(x, train=False).argmax(axis=1) == y)
    train_acc = np.mean(copy.deepcopy(s.model).forward(x, train=True).argmax(axis=1) == y)
    assert bi.acc_eval == pytest.approx(eval_acc, abs=1.5 / y.size)
    assert bi.acc_train == pytest.approx(train_acc, abs=1.5 / y.size)
    assert bi.gap == pytest.approx(bi.acc_train - bi.acc_eval)


def test_small_batches_scatter_more() -> None:
    """The standard error of a batch mean falls as 1/sqrt(B): batches of 4 scatter several
    times more around the running statistics than batches of 128 (same network)."""
    s = trained(120)
    s.apply("batch-size 4")
    small = bn_internals(s, 2)
    s.apply("batch-size 128")
    large = bn_internals(s, 2)
    assert small.sample_size == 4 and large.sample_size == 128
    assert small.mu_spread > 3 * large.mu_spread
    assert small.sigma_spread > 3 * large.sigma_spread


@pytest.mark.parametrize("norm", ["ln", "gn:2", "none"])
def test_norms_without_batch_statistics_say_why(norm: str) -> None:
    bi = bn_internals(trained(10, norm=norm, bn=norm != "none"), 1)
    assert not bi.applies and bi.mu_b is None
    assert "train mode equals eval mode" in str(bi.reason)


def test_before_the_first_step_and_out_of_range() -> None:
    s = Session(SMALL)
    assert "no training step yet" in str(bn_internals(s, 1).reason)
    s.step()
    assert bn_internals(s, 1).applies
    assert not bn_internals(s, 4).applies and not bn_internals(s, 0).applies


def test_frame_carries_internals_only_when_asked() -> None:
    s = trained(10)
    assert build_frame(s, Needs()).internals is None
    f = build_frame(s, Needs(internals=True, selected=2))
    assert f.internals is not None and f.internals.layer == 2
    with pytest.raises(ValueError):
        f.internals.mu_b[0] = 1.0  # read-only, like every array of a Frame
