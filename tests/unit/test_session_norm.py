"""The norm setting in the session: every normalization trains, switching keeps the
Linear weights and the batch order, `bn` still toggles BN."""

from __future__ import annotations

import numpy as np
import pytest

from bntui.nn import BatchNorm1d, GroupNorm, LayerNorm
from bntui.training.commands import CommandError, parse
from bntui.training.config import Config, ConfigError
from bntui.training.session import Session

SMALL = Config(samples=300, depth=2, width=8, stats_every=5, eval_every=10)
NORMS = ["bn", "ln", "gn", "gn:2", "brn", "noisy-bn", "none"]


def _batches(session: Session, steps: int, schedule=()) -> list[np.ndarray]:
    """The training-set indices of each batch (read back from the epoch order)."""
    out, todo = [], dict(schedule)
    for step in range(steps):
        if step in todo:
            session.apply(todo[step])
        session.step()
        bs = session.config.batch_size
        out.append(session._order[session._pos - bs : session._pos].copy())
    return out


@pytest.mark.parametrize("norm", NORMS)
def test_every_norm_trains_fifty_steps(norm: str) -> None:
    s = Session(SMALL.replace(norm=norm))
    records = [s.step() for _ in range(50)]
    losses = [r["loss"] for r in records]
    assert np.all(np.isfinite(losses))
    assert np.mean(losses[-10:]) < np.mean(losses[:10])
    assert s.model.spec.norm == ("gn:4" if norm == "gn" else norm)


def test_switching_keeps_linear_weights_and_batch_order() -> None:
    schedule = [
        (5 * (i + 1), f"norm {n}")
        for i, n in enumerate(["ln", "gn:2", "brn", "noisy-bn", "none", "bn"])
    ]
    plain = _batches(Session(SMALL), 40)
    s = Session(SMALL)
    switched = _batches(s, 40, schedule)
    assert all(np.array_equal(a, b) for a, b in zip(plain, switched, strict=True))
    # at a switch the Linear weights stay the same objects with the same values
    s2 = Session(SMALL)
    for _ in range(7):
        s2.step()
    weights = [b.linear.W for b in s2.model.blocks] + [s2.model.head.W]
    values = [w.data.copy() for w in weights]
    for name in ["ln", "gn:4", "brn", "noisy-bn", "none", "bn"]:
        event = s2.apply(f"norm {name}")
        assert event.kind == "norm" and s2.model.spec.norm == name
        assert [b.linear.W for b in s2.model.blocks] + [s2.model.head.W] == weights
        for w, v in zip(weights, values, strict=True):
            np.testing.assert_array_equal(w.data, v)


def test_bn_command_still_toggles_batch_norm() -> None:
    s = Session(SMALL.replace(norm="ln"))
    assert isinstance(s.model.blocks[0].norm, LayerNorm)
    s.apply("bn toggle")  # LN is on: toggling turns normalization off
    assert s.config.normalization == "none" and s.model.blocks[0].norm is None
    s.apply("bn toggle")
    assert (
        s.config.normalization == "bn"
        and type(s.model.blocks[0].norm).__name__ == "FastBatchNorm1d"
    )
    assert isinstance(s.model.blocks[0].bn, BatchNorm1d)
    s.apply("norm gn")
    assert isinstance(s.model.blocks[0].norm, GroupNorm) and s.config.bn
    s.apply("bn off")
    assert s.config.normalization == "none" and not s.config.bn


def test_norm_next_cycles_and_bad_norms_change_nothing() -> None:
    s = Session(SMALL)
    s.apply("norm next")
    assert s.model.spec.norm == "ln"
    s.apply("norm prev")
    assert s.model.spec.norm == "bn"
    before = [p.data.copy() for p in s.model.parameters()]
    with pytest.raises(CommandError, match="3 groups do not divide width 8"):
        s.apply("norm gn:3")
    assert s.model.spec.norm == "bn" and s.config.norm == "bn"
    for p, b in zip(s.model.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, b)
    s.apply("norm gn:4")
    with pytest.raises(CommandError, match="do not divide"):
        s.apply("width 6")
    assert s.config.width == 8 and s.model.spec.width == 8
    with pytest.raises(CommandError, match="unknown norm"):
        parse("norm lnn")


def test_config_norm_values() -> None:
    assert Config(norm="ln", bn=False).normalization == "none"
    assert Config(norm="gn:8").normalization == "gn:8"
    with pytest.raises(ConfigError, match="unknown norm"):
        Config(norm="batch")
    with pytest.raises(ConfigError, match="do not divide"):
        Config(norm="gn:5", width=32)


def test_noise_stream_leaves_the_other_streams_alone() -> None:
    """noisy BN draws from its own stream: the batch order equals plain BN's."""
    a = _batches(Session(SMALL.replace(norm="noisy-bn")), 30)
    b = _batches(Session(SMALL), 30)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
