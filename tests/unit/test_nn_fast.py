"""The fast path (bntui.nn.fast) against the textbook layers, and the layout of nn/.

Where both paths do the same arithmetic in the same order they must agree bit for bit in
float32; where the order differs (BLAS sums vs np.sum) they must agree to 1e-12 in float64.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from bntui.errors import BntuiError
from bntui.nn import MLP, NNError, make_optimizer
from bntui.nn import functional as F
from bntui.nn.fast import FastBatchNorm1d, FastLinear, PackedParameters
from bntui.nn.layers import BatchNorm1d, Linear, Parameter

TIGHT = 1e-12


def _close(a: np.ndarray, b: np.ndarray, tol: float = TIGHT) -> None:
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_staged_backward_equals_compact_backward() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((9, 5)) * 3 - 1
    gamma, beta = rng.uniform(0.5, 2, 5), rng.standard_normal(5)
    dout = rng.standard_normal((9, 5))
    _, cache = F.batchnorm_forward(x, gamma, beta)
    staged = F.batchnorm_backward_staged(dout, cache)
    for a, b in zip(F.batchnorm_backward(dout, cache), staged, strict=True):
        _close(a, b)
    with pytest.raises(NNError, match="dout has shape"):
        F.batchnorm_backward_staged(dout[:3], cache)


@pytest.mark.parametrize("n", [1, 2, 16])
def test_fast_batchnorm_equals_textbook_float64(n: int) -> None:
    rng = np.random.default_rng(n)
    slow, fast = (
        BatchNorm1d(4, momentum=0.3, dtype=np.float64),
        FastBatchNorm1d(4, 1e-5, 0.3, np.float64),
    )
    for layer in (slow, fast):
        layer.gamma.data[...] = [0.5, 1.0, 2.0, -1.0]
        layer.beta.data[...] = [0.0, 1.0, -2.0, 0.5]
    for _ in range(4):  # several passes: the fast path's buffers are reused
        x = rng.standard_normal((n, 4)) * 2 + 3
        dout = rng.standard_normal((n, 4))
        _close(slow.forward(x), fast.forward(x))
        _close(slow.backward(dout), fast.backward(dout))
        _close(slow.gamma.grad, fast.gamma.grad)
        _close(slow.beta.grad, fast.beta.grad)
        _close(slow.running_mean, fast.running_mean)
        _close(slow.running_var, fast.running_var)
    slow.eval(), fast.eval()
    fast.running_mean = slow.running_mean.copy()
    fast.running_var = slow.running_var.copy()
    x = rng.standard_normal((5, 4))
    # eval mode runs the same function on both: with equal statistics, bit for bit
    np.testing.assert_array_equal(slow.forward(x), fast.forward(x))
    np.testing.assert_array_equal(slow.backward(x), fast.backward(x))


def test_fast_batchnorm_float32_running_update_bit_for_bit() -> None:
    """Given the same batch statistics, the (2, D) update equals batchnorm_running_update."""
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((8, 6)) * 2).astype(np.float32)
    fast = FastBatchNorm1d(6, momentum=0.1)
    fast.forward(x)
    # recompute the fast pass's statistics the same way (BLAS product with 1/N)
    invn = np.full(8, 1 / 8, np.float32)
    mean = np.dot(invn, x)
    var = np.dot(invn, (x - mean) * (x - mean))
    rm, rv = np.zeros(6, np.float32), np.ones(6, np.float32)
    F.batchnorm_running_update(rm, rv, mean, var, 8, 0.1)
    np.testing.assert_array_equal(fast.running_mean, rm)
    np.testing.assert_array_equal(fast.running_var, rv)


def test_fast_linear_float32_bit_for_bit_where_the_arithmetic_is_the_same() -> None:
    rng = np.random.default_rng(4)
    w = rng.standard_normal((5, 7)).astype(np.float32)
    slow = Linear(5, 7, weight=w.copy())
    fast = FastLinear(5, 7, weight=w.copy())
    slow.b.data[...] = fast.b.data[...] = rng.standard_normal(7)  # type: ignore[union-attr]
    x = rng.standard_normal((11, 5)).astype(np.float32)
    dout = rng.standard_normal((11, 7)).astype(np.float32)
    np.testing.assert_array_equal(slow.forward(x), fast.forward(x))  # one gemm + b
    np.testing.assert_array_equal(slow.backward(dout), fast.backward(dout))  # dout W^T
    np.testing.assert_array_equal(slow.W.grad, fast.W.grad)  # x^T dout
    # db: np.sum vs a BLAS product with ones sum in a different order
    np.testing.assert_allclose(slow.b.grad, fast.b.grad, rtol=1e-5)  # type: ignore[union-attr]


def _train(fast: bool, dtype: type, steps: int = 50, optimizer: str = "sgd") -> tuple:
    data = np.random.default_rng(7)
    x = data.standard_normal((256, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64) + (x[:, 0] > 1)
    m = MLP(
        2,
        3,
        depth=4,
        width=32,
        dtype=dtype,
        fast=fast,
        rng=np.random.default_rng(1),
        dropout_rng=np.random.default_rng(2),
    )
    opt = make_optimizer(optimizer, 0.1)
    order = np.random.default_rng(3)
    losses = []
    for _ in range(steps):
        idx = order.choice(256, 64, replace=False)
        loss, _ = m.loss(x[idx], y[idx], train=True)
        m.backward()
        opt.step(m.optimizer_parameters())
        losses.append(loss)
    return np.array(losses), [p.data.copy() for p in m.parameters()], m


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_fifty_steps_fast_equals_textbook_float64(optimizer: str) -> None:
    slow_loss, slow_p, slow_m = _train(False, np.float64, optimizer=optimizer)
    fast_loss, fast_p, fast_m = _train(True, np.float64, optimizer=optimizer)
    assert isinstance(fast_m.blocks[0].bn, FastBatchNorm1d)
    assert type(slow_m.blocks[0].bn) is BatchNorm1d and type(slow_m.head) is Linear
    assert slow_loss[-1] < slow_loss[0]  # it trained
    _close(slow_loss, fast_loss)
    for a, b in zip(slow_p, fast_p, strict=True):
        _close(a, b)
    for bs, bf in zip(slow_m.blocks, fast_m.blocks, strict=True):
        _close(bs.bn.running_mean, bf.bn.running_mean)
        _close(bs.bn.running_var, bf.bn.running_var)


def test_fifty_steps_fast_and_textbook_float32_stay_together() -> None:
    slow_loss, _, _ = _train(False, np.float32)
    fast_loss, _, _ = _train(True, np.float32)
    # float32 sums in a different order: not bit for bit, but the same run
    np.testing.assert_allclose(slow_loss, fast_loss, rtol=1e-4)


def test_packing_rebinds_data_and_a_stale_reference_sees_no_update() -> None:
    p = Parameter("w", np.array([1.0, 2.0, 3.0], np.float32))
    stale = p.data  # taken before packing
    packed = PackedParameters([p])
    assert p.data is not stale and np.shares_memory(p.data, packed.data)
    p.grad[...] = 1.0
    make_optimizer("sgd", 0.5).step(packed)
    np.testing.assert_array_equal(p.data, [0.5, 1.5, 2.5])  # read again: updated
    np.testing.assert_array_equal(stale, [1.0, 2.0, 3.0])  # the old array: untouched
    fresh = p.data
    make_optimizer("sgd", 0.5).step(packed)
    np.testing.assert_array_equal(fresh, [0.0, 1.0, 2.0])  # taken after packing: live


def test_textbook_mlp_does_not_rebind_parameters() -> None:
    m = MLP(
        2, 3, depth=2, width=4, rng=np.random.default_rng(0), dropout_rng=np.random.default_rng(1)
    )
    arrays = [p.data for p in m.parameters()]
    assert m.optimizer_parameters() == m.parameters()
    assert all(p.data is a for p, a in zip(m.parameters(), arrays, strict=True))


def test_nn_error_is_a_bntui_error_not_a_config_error() -> None:
    from bntui.training.config import ConfigError

    assert issubclass(NNError, BntuiError) and issubclass(NNError, ValueError)
    assert not issubclass(NNError, ConfigError)


def test_nn_does_not_import_config() -> None:
    code = "import sys, bntui.nn, bntui.nn.fast; print('bntui.training.config' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_name_lists_live_in_nn() -> None:
    from bntui.nn import names
    from bntui.nn.activation_layers import ACTIVATIONS
    from bntui.nn.optim import OPTIMIZERS
    from bntui.training import config

    assert config.ACTIVATIONS is names.ACTIVATION_NAMES
    assert config.OPTIMIZERS is names.OPTIMIZER_NAMES
    assert config.BN_POSITIONS is names.BN_POSITIONS
    assert tuple(ACTIVATIONS) == names.ACTIVATION_NAMES
    assert all(cls.name == name for name, cls in ACTIVATIONS.items())
    assert tuple(OPTIMIZERS) == names.OPTIMIZER_NAMES
    assert all(cls.name == name for name, cls in OPTIMIZERS.items())


def test_config_parse_init_raises_config_error() -> None:
    from bntui.nn.init import parse_init as nn_parse_init
    from bntui.training.config import ConfigError, parse_init

    assert nn_parse_init("STD:0.5") == ("std", 0.5)
    with pytest.raises(NNError, match="unknown init"):
        nn_parse_init("kaiming")
    with pytest.raises(ConfigError, match="unknown init"):
        parse_init("kaiming")
