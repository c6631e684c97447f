"""bntui.nn.network.MLP: whole-network gradients, modes, taps, structural edits."""

from __future__ import annotations

import numpy as np
import pytest

from bntui.nn import (
    ACTIVATIONS,
    MLP,
    BatchNorm1d,
    Dropout,
    NNError,
    Parameter,
    make_optimizer,
    numerical_gradient,
    rel_error,
)
from bntui.nn.layers import ReLU, Tanh

TOL = 1e-6
N, IN, WIDTH, CLASSES = 8, 3, 5, 3


def make(seed: int = 0, **kw: object) -> MLP:
    args: dict[str, object] = {"depth": 2, "width": WIDTH, "dtype": np.float64}
    args.update(kw)
    return MLP(
        IN,
        CLASSES,
        rng=np.random.default_rng(seed + 1),
        dropout_rng=np.random.default_rng(seed + 2),
        **args,  # type: ignore[arg-type]
    )


def batch(seed: int = 0, n: int = N, dtype: type = np.float64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(100 + seed)
    return rng.standard_normal((n, IN)).astype(dtype), rng.integers(0, CLASSES, n)


def names(params: list[Parameter]) -> list[str]:
    return [p.name for p in params]


# --------------------------------------------------------------------------- gradient checks


def _roughen(m: MLP, rng: np.random.Generator) -> None:
    """Move away from the symmetric start (gamma 1, beta 0, b 0) and from |W| = 0 kinks."""
    for b in m.blocks:
        if b.bn is not None:
            b.bn.gamma.data[:] = rng.standard_normal(m.spec.width) * 0.5 + 1
            b.bn.beta.data[:] = rng.standard_normal(m.spec.width) * 0.5
        if b.linear.b is not None:
            b.linear.b.data[:] = rng.standard_normal(m.spec.width) * 0.1
    for w in m.weights():  # |W| >= 0.02: l1's |W| is smooth within h = 1e-5
        w.data[:] = np.where(np.abs(w.data) < 0.02, np.copysign(0.02, w.data), w.data)


def gradcheck(m: MLP, x: np.ndarray, y: np.ndarray, zero: frozenset[str] = frozenset()) -> None:
    """Compare backward() with central differences for every parameter.

    ``zero``: parameters whose true gradient is exactly 0 (a shift that a later BN
    removes); there the relative error is meaningless, so both must be ~0 instead.
    """
    m.loss(x, y, train=True)
    m.backward()
    if m.spec.activation in ("relu", "leaky_relu", "elu"):
        # no activation input within reach of the kink at 0: a 1e-5 nudge of one
        # parameter moves an activation input by O(1e-5) at these scales
        for b in m.blocks:
            assert np.abs(b.act_in).min() > 1e-4
    for p in m.parameters():
        analytic = p.grad.copy()
        numeric = numerical_gradient(lambda: m.loss(x, y, train=True)[0], p.data)
        if p.name in zero:
            assert np.abs(analytic).max() < 1e-12 and np.abs(numeric).max() < 1e-9, p.name
        else:
            assert rel_error(analytic, numeric) < TOL, p.name


def _structural_zeros(act: str, bn: bool, pos: str, depth: int) -> frozenset[str]:
    # With an identity activation, a per-feature shift before a BN is cancelled by it:
    # the bias of a Linear feeding BN (position after), and the beta of a BN whose
    # next layer is Linear -> BN.
    if act != "identity" or not bn:
        return frozenset()
    zero = {f"L{i}.beta" for i in range(1, depth)}
    if pos == "after":
        zero |= {f"L{i}.b" for i in range(1, depth + 1)}
    return frozenset(zero)


@pytest.mark.parametrize("act", list(ACTIVATIONS))
@pytest.mark.parametrize(("bn", "pos"), [(True, "before"), (True, "after"), (False, "before")])
def test_mlp_gradients(act: str, bn: bool, pos: str) -> None:
    m = make(activation=act, bn=bn, bn_position=pos)
    _roughen(m, np.random.default_rng(7))
    x, y = batch()
    gradcheck(m, x, y, _structural_zeros(act, bn, pos, m.depth))


@pytest.mark.parametrize(("bn", "pos"), [(True, "before"), (True, "after"), (False, "before")])
def test_mlp_gradients_dropout_fixed_mask(bn: bool, pos: str) -> None:
    m = make(activation="tanh", bn=bn, bn_position=pos, dropout=0.4, depth=3)
    rng = np.random.default_rng(8)
    _roughen(m, rng)
    for b in m.blocks:
        assert isinstance(b.dropout, Dropout)
        b.dropout.fixed_mask = (rng.random((N, WIDTH)) >= 0.4) / 0.6
    x, y = batch(1)
    gradcheck(m, x, y)


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_mlp_gradients_with_penalties(depth: int) -> None:
    m = make(activation="gelu", depth=depth, weight_decay=0.3, l1=0.05)
    _roughen(m, np.random.default_rng(9))
    x, y = batch(2)
    gradcheck(m, x, y)


def test_penalty_value() -> None:
    m = make(weight_decay=0.3, l1=0.05)
    x, y = batch()
    loss, _ = m.loss(x, y)
    ws = [m.blocks[0].linear.W.data, m.blocks[1].linear.W.data, m.head.W.data]
    # 0.5 * wd * sum W^2 + l1 * sum |W| over hidden and head weights (not biases, not BN)
    expected = 0.5 * 0.3 * sum((w**2).sum() for w in ws) + 0.05 * sum(np.abs(w).sum() for w in ws)
    assert loss - m.last_data_loss == pytest.approx(expected, rel=1e-12)
    m.set_weight_decay(0.0)
    m.set_l1(0.0)
    assert m.loss(x, y)[0] == m.last_data_loss


# --------------------------------------------------------------------------- structure and modes


def test_parameter_names_and_bias_rule() -> None:
    before = make(bn=True, bn_position="before")
    assert names(before.parameters()) == [
        "L1.W",
        "L1.gamma",
        "L1.beta",
        "L2.W",
        "L2.gamma",
        "L2.beta",
        "out.W",
        "out.b",
    ]
    after = make(bn=True, bn_position="after")
    assert names(after.parameters())[:4] == ["L1.W", "L1.b", "L1.gamma", "L1.beta"]
    plain = make(bn=False)
    assert names(plain.parameters()) == ["L1.W", "L1.b", "L2.W", "L2.b", "out.W", "out.b"]
    assert names(make(depth=0).parameters()) == ["out.W", "out.b"]
    # only the first Linear skips dL/dx
    assert [b.linear.need_dx for b in before.blocks] + [before.head.need_dx] == [False, True, True]
    assert make(depth=0).head.need_dx is False


def test_initial_weights_follow_init_spec() -> None:
    m = MLP(
        400,
        3,
        depth=1,
        width=500,
        init="he",
        rng=np.random.default_rng(0),
        dropout_rng=np.random.default_rng(1),
    )
    assert m.blocks[0].linear.W.data.std() == pytest.approx(np.sqrt(2 / 400), rel=0.01)
    assert m.head.W.data.std() == pytest.approx(np.sqrt(2 / 500), rel=0.05)
    assert not m.head.b.data.any()


def test_taps_are_the_layer_values() -> None:
    m = make(activation="relu", bn=True, bn_position="before")
    x, _ = batch(n=64)
    m.forward(x, train=True)
    b1 = m.blocks[0]
    np.testing.assert_allclose(b1.z, x @ b1.linear.W.data, rtol=1e-12)  # no bias before BN
    # BN in train mode with gamma 1, beta 0: standardized per feature
    np.testing.assert_allclose(b1.act_in.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(b1.act_in.std(axis=0), 1, atol=1e-4)
    np.testing.assert_array_equal(b1.act_out, np.maximum(b1.act_in, 0))
    after = make(activation="tanh", bn=True, bn_position="after")
    after.forward(x, train=True)
    b = after.blocks[1]
    np.testing.assert_array_equal(b.act_in, b.z)  # BN after: the activation sees z
    np.testing.assert_allclose(b.act_out, np.tanh(b.z), rtol=1e-12)


def test_train_and_eval_modes() -> None:
    m = make(dropout=0.5)
    x, _ = batch(n=32)
    bn = m.blocks[0].bn
    assert isinstance(bn, BatchNorm1d)
    m.forward(x, train=True)
    assert bn.training and m.blocks[0].dropout.training
    stats = bn.running_mean.copy()
    assert stats.any()  # updated by the train pass
    a = m.forward(x, train=False)
    b = m.forward(x, train=False)
    assert not bn.training and not m.blocks[0].dropout.training
    np.testing.assert_array_equal(bn.running_mean, stats)  # eval leaves them alone
    np.testing.assert_array_equal(a, b)  # no dropout, fixed statistics
    # eval mode is per-sample: a row's logits do not depend on the rest of the batch
    np.testing.assert_allclose(m.forward(x[3:4], train=False), a[3:4], rtol=1e-12)


def test_predict_proba() -> None:
    m = make()
    x, _ = batch(n=50)
    m.forward(x, train=True)
    p = m.predict_proba(x)
    assert p.shape == (50, CLASSES)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(m.predict_proba(x, chunk=7), p, rtol=1e-12)
    logits = m.forward(x, train=False)
    np.testing.assert_allclose(np.log(p[:, 0] / p[:, 1]), logits[:, 0] - logits[:, 1])


def test_learns_a_separable_problem() -> None:
    rng = np.random.default_rng(11)
    x = rng.standard_normal((256, IN)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)
    m = MLP(
        IN,
        CLASSES,
        depth=2,
        width=32,
        rng=np.random.default_rng(1),
        dropout_rng=np.random.default_rng(2),
    )
    opt = make_optimizer("momentum", 0.05)
    first = m.loss(x, y)[0]
    for step in range(300):
        idx = np.arange(step * 32, step * 32 + 32) % 256
        m.loss(x[idx], y[idx])
        m.backward()
        opt.step(m.parameters())
    acc = float(np.mean(m.predict_proba(x).argmax(axis=1) == y))
    assert acc > 0.95
    assert m.loss(x, y, train=False)[0] < first / 4


def test_same_seeds_same_run() -> None:
    def run() -> np.ndarray:
        m = make(dropout=0.3, dtype=np.float32)
        opt = make_optimizer("adam", 0.01)
        x, y = batch(n=16, dtype=np.float32)
        for _ in range(5):
            m.loss(x, y)
            m.backward()
            opt.step(m.parameters())
        return m.forward(x, train=True)

    np.testing.assert_array_equal(run(), run())


def _assert_float32(m: MLP, x: np.ndarray, y: np.ndarray) -> None:
    loss, logits = m.loss(x, y)
    m.backward()
    assert isinstance(loss, float) and logits.dtype == np.float32
    for p in m.parameters():
        assert p.data.dtype == np.float32 and p.grad.dtype == np.float32, p.name
        assert p.grad.shape == p.data.shape, p.name
    for b in m.blocks:
        assert b.z.dtype == b.act_in.dtype == b.act_out.dtype == np.float32
        if b.bn is not None:
            assert b.bn.running_mean.dtype == b.bn.running_var.dtype == np.float32


def test_float32_end_to_end_through_every_edit() -> None:
    m = make(dtype=np.float32, dropout=0.2, weight_decay=1e-3, l1=1e-4)
    x, y = batch(n=16)  # float64 input is cast once at the door
    edits = [
        lambda: None,
        lambda: m.set_bn(False),
        lambda: m.set_bn(True),
        lambda: m.set_bn_position("after"),
        lambda: m.set_activation("gelu"),
        lambda: m.add_layer(np.random.default_rng(5)),
        lambda: m.set_width(9, np.random.default_rng(6)),
        lambda: m.remove_layer(),
        lambda: m.set_dropout(0.0),
        lambda: m.reinit("xavier", np.random.default_rng(7)),
        lambda: m.set_io(4, 5, np.random.default_rng(8)),
    ]
    for i, edit in enumerate(edits):
        edit()
        if i == len(edits) - 1:
            x, y = np.ones((16, 4)), np.arange(16) % 5
        for act in ("sigmoid", "elu", "leaky_relu", "tanh"):
            m.set_activation(act)
            _assert_float32(m, x, y)
    m.remove_layer()
    m.remove_layer()
    assert m.depth == 0
    _assert_float32(m, x, y)


# --------------------------------------------------------------------------- structural edits


def test_set_bn_keeps_linear_weights() -> None:
    m = make()
    ws = [b.linear.W for b in m.blocks]
    values = [w.data.copy() for w in ws]
    new = m.set_bn(False)
    assert names(new) == ["L1.b", "L2.b"]  # biases come back (as zeros)
    assert all(not p.data.any() for p in new)
    assert all(b.bn is None for b in m.blocks) and not m.bn
    assert [b.linear.W for b in m.blocks] == ws  # the same objects ...
    for w, v in zip(ws, values, strict=True):
        np.testing.assert_array_equal(w.data, v)  # ... with the same values
    new = m.set_bn(True)
    assert names(new) == ["L1.gamma", "L1.beta", "L2.gamma", "L2.beta"]
    assert all(b.linear.b is None for b in m.blocks)
    bn = m.blocks[0].bn
    assert isinstance(bn, BatchNorm1d)
    assert bn.gamma.data.tolist() == [1.0] * WIDTH and not bn.beta.data.any()
    assert not bn.running_mean.any() and bn.running_var.tolist() == [1.0] * WIDTH
    assert m.set_bn(True) == []
    x, y = batch()
    m.loss(x, y)
    m.backward()


def test_set_bn_with_position_after_keeps_bias() -> None:
    m = make(bn=False)
    m.blocks[0].linear.b.data[:] = 0.5
    m.set_bn_position("after")
    new = m.set_bn(True)
    assert names(new) == ["L1.gamma", "L1.beta", "L2.gamma", "L2.beta"]
    assert m.blocks[0].linear.b.data.tolist() == [0.5] * WIDTH


def test_set_bn_position_restarts_bn() -> None:
    m = make()
    x, y = batch()
    m.loss(x, y)
    old_bn = m.blocks[0].bn
    w = m.blocks[0].linear.W
    new = m.set_bn_position("after")
    assert names(new) == ["L1.b", "L1.gamma", "L1.beta", "L2.b", "L2.gamma", "L2.beta"]
    assert m.blocks[0].bn is not old_bn and m.blocks[0].linear.W is w
    assert m.spec.bn_position == "after" and all(b.bn_position == "after" for b in m.blocks)
    assert m.set_bn_position("after") == []
    with pytest.raises(NNError, match="before.*after"):
        m.set_bn_position("middle")


def test_add_and_remove_layer() -> None:
    m = make()
    head = m.head
    new = m.add_layer(np.random.default_rng(3))
    assert m.depth == 3 and names(new) == ["L3.W", "L3.gamma", "L3.beta"]
    assert m.blocks[2].linear.W.data.shape == (WIDTH, WIDTH)
    assert m.head is head  # width -> classes still fits
    assert m.remove_layer() == [] and m.depth == 2
    assert m.remove_layer() == [] and m.depth == 1
    new = m.remove_layer()
    assert m.depth == 0 and names(new) == ["out.W", "out.b"]
    assert m.head.W.data.shape == (IN, CLASSES) and m.head.need_dx is False
    with pytest.raises(NNError, match="depth is already 0"):
        m.remove_layer()
    x, y = batch()
    m.loss(x, y)
    m.backward()
    new = m.add_layer(np.random.default_rng(4))
    assert names(new) == ["L1.W", "L1.gamma", "L1.beta", "out.W", "out.b"]
    assert m.blocks[0].linear.W.data.shape == (IN, WIDTH)
    assert m.head.W.data.shape == (WIDTH, CLASSES)
    assert m.blocks[0].linear.need_dx is False and m.head.need_dx is True
    m.loss(x, y)
    m.backward()


@pytest.mark.parametrize("new_width", [8, 3])
def test_set_width_keeps_overlap(new_width: int) -> None:
    m = make(depth=2)
    x, y = batch()
    m.loss(x, y)  # non-trivial running statistics
    old = {p.name: p.data.copy() for p in m.parameters()}
    old_stats = [b.bn.running_mean.copy() for b in m.blocks]
    head_b = m.head.b
    new = m.set_width(new_width, np.random.default_rng(5))
    c = min(WIDTH, new_width)
    assert m.spec.width == new_width
    assert names(new) == [n for n in old if n != "out.b"]  # out.b keeps its shape
    assert m.head.b is head_b
    assert m.blocks[0].linear.W.data.shape == (IN, new_width)
    assert m.blocks[1].linear.W.data.shape == (new_width, new_width)
    np.testing.assert_array_equal(m.blocks[0].linear.W.data[:, :c], old["L1.W"][:, :c])
    np.testing.assert_array_equal(m.blocks[1].linear.W.data[:c, :c], old["L2.W"][:c, :c])
    np.testing.assert_array_equal(m.head.W.data[:c], old["out.W"][:c])
    for b, stats in zip(m.blocks, old_stats, strict=True):
        assert b.bn.gamma.data.shape == (new_width,)
        np.testing.assert_array_equal(b.bn.running_mean[:c], stats[:c])
    if new_width > WIDTH:  # the rest is freshly initialized, BN rows start at 1/0
        assert m.blocks[1].linear.W.data[WIDTH:].std() > 0.1
        assert m.blocks[1].bn.running_var[WIDTH:].tolist() == [1.0] * (new_width - WIDTH)
    assert m.set_width(new_width, np.random.default_rng(5)) == []
    m.loss(x, y)
    m.backward()


def test_set_io_reinitializes_only_what_changed() -> None:
    m = make()
    keep = m.blocks[1].linear.W
    new = m.set_io(4, CLASSES, np.random.default_rng(6))
    assert names(new) == ["L1.W"] and new[0].data.shape == (4, WIDTH)
    assert m.blocks[1].linear.W is keep
    new = m.set_io(4, 6, np.random.default_rng(6))
    assert names(new) == ["out.W", "out.b"] and m.head.W.data.shape == (WIDTH, 6)
    assert m.set_io(4, 6, np.random.default_rng(6)) == []
    m.loss(np.ones((5, 4)), np.array([0, 1, 2, 3, 5]))
    m.backward()
    flat = make(depth=0)
    assert names(flat.set_io(7, CLASSES, np.random.default_rng(6))) == ["out.W", "out.b"]
    assert flat.head.W.data.shape == (7, CLASSES)


def test_reinit_replaces_everything() -> None:
    m = make()
    x, y = batch()
    m.loss(x, y)
    old = m.parameters()
    new = m.reinit("std:0.01", np.random.default_rng(9))
    assert names(new) == names(old) and not {id(p) for p in new} & {id(p) for p in old}
    assert m.spec.init == "std:0.01"
    assert 0.003 < m.blocks[1].linear.W.data.std() < 0.03
    assert not m.blocks[0].bn.running_mean.any()
    with pytest.raises(NNError, match="unknown init"):
        m.reinit("glorot", np.random.default_rng(9))


def test_activation_and_dropout_edits_change_no_parameters() -> None:
    m = make()
    params = m.parameters()
    assert m.set_activation("tanh") == [] and m.spec.activation == "tanh"
    assert all(isinstance(b.act, Tanh) for b in m.blocks)
    assert m.set_dropout(0.25) == [] and m.spec.dropout == 0.25
    assert all(b.dropout is not None and b.dropout.p == 0.25 for b in m.blocks)
    assert m.set_dropout(0.0) == [] and all(b.dropout is None for b in m.blocks)
    assert m.set_bn_momentum(0.5) == [] and m.blocks[0].bn.momentum == 0.5
    assert m.parameters() == params
    m.set_activation("relu")
    assert isinstance(m.blocks[0].act, ReLU)


def test_set_dtype() -> None:
    m = make(dtype=np.float32)
    new = m.set_dtype(np.float64)
    assert names(new) == names(m.parameters())
    assert all(p.data.dtype == np.float64 for p in m.parameters())
    assert m.blocks[0].bn.running_var.dtype == np.float64
    x, y = batch()
    assert m.loss(x, y)[1].dtype == np.float64


def test_backward_after_edit_needs_a_new_loss() -> None:
    m = make()
    x, y = batch()
    with pytest.raises(NNError, match="loss"):
        m.backward()
    m.loss(x, y)
    m.add_layer(np.random.default_rng(1))
    with pytest.raises(NNError, match="loss"):
        m.backward()


def test_optimizer_state_survives_structural_change() -> None:
    m = make(dtype=np.float32)
    opt = make_optimizer("adam", 0.01)
    x, y = batch()
    m.loss(x, y)
    m.backward()
    opt.step(m.parameters())
    w = m.blocks[0].linear.W
    new = m.set_bn(False)
    opt.reset(new)
    assert opt.state[w]["t"] == 1  # the surviving weight keeps its Adam state
    assert all(p not in opt.state for p in new)
    m.loss(x, y)
    m.backward()
    opt.step(m.parameters())
    assert opt.state[w]["t"] == 2 and opt.state[new[0]]["t"] == 1


def test_bad_arguments() -> None:
    with pytest.raises(NNError, match="depth"):
        make(depth=-1)
    with pytest.raises(NNError, match="width"):
        make(width=0)
    with pytest.raises(NNError, match="unknown activation"):
        make(activation="swish")
    with pytest.raises(NNError, match="bn position"):
        make(bn_position="inside")
    with pytest.raises(NNError, match="unknown init"):
        make(init="zeros")
    with pytest.raises(NNError, match="dropout"):
        make(dropout=1.0)
    with pytest.raises(NNError, match="weight decay"):
        make(weight_decay=-0.1)
    with pytest.raises(NNError, match="bn momentum"):
        make(bn_momentum=0.0)
    with pytest.raises(NNError, match="float32 or float64"):
        make(dtype=np.float16)
    with pytest.raises(NNError, match="n_classes"):
        MLP(
            3, 1, depth=1, width=4, rng=np.random.default_rng(), dropout_rng=np.random.default_rng()
        )
    m = make()
    with pytest.raises(NNError, match=r"shape \(N, 3\)"):
        m.forward(np.ones((4, 2)), train=True)
    with pytest.raises(NNError, match="empty"):
        m.forward(np.ones((0, 3)), train=True)
    with pytest.raises(NNError, match="labels"):
        m.loss(np.ones((2, 3)), np.array([0, 3]))
    with pytest.raises(NNError, match="l1"):
        m.set_l1(float("inf"))


def test_eval_passes_leave_the_taps_of_the_last_training_batch():
    rng = np.random.default_rng(0)
    net = MLP(2, 3, depth=2, width=8, rng=rng, dropout_rng=np.random.default_rng(1))
    x = rng.normal(size=(16, 2)).astype(np.float32)
    net.loss(x, rng.integers(0, 3, 16), train=True)
    taps = [(b.z, b.act_in, b.act_out) for b in net.blocks]
    net.predict_proba(rng.normal(size=(100, 2)).astype(np.float32))
    net.forward(x[:4], train=False)
    for b, (z, a_in, a_out) in zip(net.blocks, taps, strict=True):
        assert b.z is z and b.act_in is a_in and b.act_out is a_out
        assert b.z.shape == (16, 8)
