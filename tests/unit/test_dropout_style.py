"""Dropout styles: inverted (PyTorch) and scale-at-test (DLFS common/layers.py)."""

import numpy as np
import pytest

from bntui.nn import MLP
from bntui.nn.layers import Dropout
from bntui.nn.nn_error import NNError


def _numeric_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        x[i] = old
        g[i] = (up - down) / (2 * h)
    return g


@pytest.mark.parametrize("style", ["inverted", "scale-at-test"])
@pytest.mark.parametrize("training", [True, False])
def test_backward_matches_finite_differences(style, training):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 4))
    w = rng.normal(size=(5, 4))  # loss = sum(w * out)
    d = Dropout(0.3, np.random.default_rng(1), style)
    d.training = training
    d.forward(x.copy())
    d.fixed_mask = d.mask  # the same units for every finite-difference pass
    analytic = d.backward(w)
    numeric = _numeric_grad(lambda z: float(np.sum(w * d.forward(z))), x.copy())
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_scale_at_test_by_hand():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    d = Dropout(0.25, np.random.default_rng(3), "scale-at-test")
    out = d.forward(x)
    assert set(np.unique(d.mask)) <= {0.0, 1.0}  # DLFS: x * mask, no 1/(1-p) in training
    np.testing.assert_array_equal(out, x * d.mask)
    d.eval()
    np.testing.assert_array_equal(d.forward(x), x * 0.75)  # DLFS: x * (1 - dropout_ratio)
    inv = Dropout(0.25, np.random.default_rng(3), "inverted")
    np.testing.assert_array_equal(inv.forward(x), out / 0.75)  # the same draw, rescaled
    inv.eval()
    np.testing.assert_array_equal(inv.forward(x), x)


@pytest.mark.parametrize("style", ["inverted", "scale-at-test"])
def test_the_expected_training_output_is_the_eval_output(style):
    p, draws = 0.4, 20_000
    x = np.array([[1.0, -2.0, 3.0, 0.5]])
    d = Dropout(p, np.random.default_rng(7), style)
    mean = np.mean([d.forward(x) for _ in range(draws)], axis=0)
    d.eval()
    # std of the mean of one unit: |x| sqrt(p/(1-p)) / sqrt(draws) (inverted), smaller here
    tol = 4 * np.abs(x) * np.sqrt(p / (1 - p)) / np.sqrt(draws)
    assert np.all(np.abs(mean - d.forward(x)) < tol)


def test_a_net_with_either_style_has_the_same_expected_output_at_test_time():
    # depth 1: logits = drop(relu(x W1 + b1)) W + b. Same weights: the eval logits of the
    # two styles differ by exactly (1 - p) in the head's input, and in both styles the mean
    # training logits (over masks) equal the eval logits.
    kw = dict(depth=1, width=8, bn=False, dropout=0.5, dtype=np.float64)
    x = np.random.default_rng(2).normal(size=(3, 4))
    outs = {}
    for style in ("inverted", "scale-at-test"):
        m = MLP(4, 3, rng=np.random.default_rng(0), dropout_rng=np.random.default_rng(1),
                dropout_style=style, **kw)  # fmt: skip
        b = m.head.b.data
        train = np.mean([m.forward(x, train=True) for _ in range(20_000)], axis=0)
        test = m.forward(x, train=False)
        np.testing.assert_allclose(train, test, atol=0.05)
        outs[style] = (test - b, b)
    np.testing.assert_allclose(outs["scale-at-test"][0], 0.5 * outs["inverted"][0], rtol=1e-12)


def test_unknown_style_is_refused():
    with pytest.raises(NNError, match="dropout style"):
        Dropout(0.5, np.random.default_rng(0), "gaussian")
    with pytest.raises(NNError, match="dropout style"):
        MLP(2, 2, depth=1, width=2, dropout_style="nope", rng=np.random.default_rng(0),
            dropout_rng=np.random.default_rng(1))  # fmt: skip
