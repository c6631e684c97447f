"""One trial: its numbers, the per-worker data cache, and the ICS measurement."""

import numpy as np
import pytest

from bntui.data import load_dataset
from bntui.data.cache import DatasetCache
from bntui.experiments.space import trial_id
from bntui.experiments.trial import run_trial, train_eval_accuracy
from bntui.nn import MLP
from bntui.nn.diagnostics import ics
from bntui.training.config import Config
from bntui.training.session import Session


def spec(config, measure=None):
    return {"trial": trial_id(config, measure), "params": {}, "config": config.to_dict(),
            "measure": measure or {}}  # fmt: skip


def test_a_trial_row_has_the_final_numbers():
    c = Config(steps=120, seed=3, eval_every=1000)
    row = run_trial(spec(c))
    s = Session(c)
    s.run(120)
    assert row["steps"] == 120 and row["seed"] == 3 and row["diverged"] is False
    assert (row["val_loss"], row["val_acc"]) == s.evaluate()
    assert row["train_eval_acc"] == train_eval_accuracy(s)
    again = run_trial(spec(c))
    assert {k: v for k, v in again.items() if k != "seconds"} == {
        k: v for k, v in row.items() if k != "seconds"
    }


def test_train_eval_accuracy_counts_by_hand():
    s = Session(Config(steps=0, samples=200, seed=1))
    s.run(50)
    logits = s.model.forward(np.asarray(s.data.x_train), train=False)
    by_hand = sum(int(np.argmax(row) == y) for row, y in zip(logits, s.data.y_train, strict=True))
    assert train_eval_accuracy(s) == round(by_hand / len(s.data.y_train), 6)


def test_the_data_cache_returns_what_a_load_would_and_moves_the_stream_the_same():
    cache = DatasetCache()
    c = Config(seed=11, samples=300)
    fresh = np.random.default_rng(np.random.SeedSequence(11).spawn(5)[0])
    want = load_dataset(c, fresh)  # the uncached loader
    got = []
    for _ in range(2):  # a miss, then a hit
        rng = np.random.default_rng(np.random.SeedSequence(11).spawn(5)[0])
        got.append(cache.load(c, rng))
        np.testing.assert_array_equal(got[-1].x_train, want.x_train)
        np.testing.assert_array_equal(got[-1].y_val, want.y_val)
        assert rng.bit_generator.state == fresh.bit_generator.state
    assert got[0] is got[1]  # the hit is the stored Dataset
    other = cache.load(c.replace(noise=0.3), np.random.default_rng(0))
    assert not np.array_equal(other.x_train, want.x_train)


def test_a_session_given_the_cache_trains_as_one_without_it():
    cache = DatasetCache()
    c = Config(steps=0, seed=4, samples=300, eval_every=10)
    plain, cached = Session(c), Session(c, load=cache.load)
    Session(c, load=cache.load)  # a hit for the next one
    again = Session(c, load=cache.load)
    for s in (plain, cached, again):
        s.run(30)
    assert plain.last_record == cached.last_record == again.last_record


def test_the_idx_cache_reads_a_directory_once(tmp_path, monkeypatch):
    from bntui.data import cache as cache_module
    from bntui.data.idx import write_idx

    rng = np.random.default_rng(0)
    for prefix, n in (("train", 40), ("t10k", 10)):
        write_idx(
            tmp_path / f"{prefix}-images-idx3-ubyte.gz",
            rng.integers(0, 255, (n, 4, 4), dtype=np.uint8),
        )
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n, dtype=np.uint8) % 3)
    reads = []
    real = cache_module.load_idx_dir
    monkeypatch.setattr(cache_module, "load_idx_dir", lambda d: reads.append(d) or real(d))
    cache = DatasetCache()
    for seed in (0, 1):  # two seeds: two datasets, one read
        cache.load(
            Config(data=str(tmp_path), dataset="file", seed=seed), np.random.default_rng(seed)
        )
    assert len(reads) == 1


def test_steps_to_target_and_gradient_measures():
    c = Config(steps=2000, eval_every=20, seed=0)
    row = run_trial(spec(c, {"target_acc": 0.8}))
    assert row["steps_to_target"] == row["steps"] and row["steps"] % 20 == 0
    assert row["val_acc"] >= 0.8
    never = run_trial(spec(c.replace(steps=40), {"target_acc": 1.01}))
    assert never["steps_to_target"] is None and never["steps"] == 40
    g = run_trial(spec(c.replace(steps=60, stats_every=10), {"grad_l1": True}))
    assert g["grad_l1"] > 0


def _model(bn, seed=0, depth=2):
    rng = np.random.default_rng(seed)
    return MLP(3, 2, depth=depth, width=4, activation="tanh", bn=bn, dtype=np.float64,
               rng=rng, dropout_rng=np.random.default_rng(1))  # fmt: skip


def _batch(n=16, seed=2):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)), rng.integers(0, 2, size=n)


@pytest.mark.parametrize("bn", [True, False])
def test_ics_layer_one_is_zero_shift_and_the_model_is_unchanged(bn):
    m = _model(bn)
    x, y = _batch()
    m.loss(x, y, train=True)
    m.backward()
    before = [(p.data.copy(), p.grad.copy()) for p in m.parameters()]
    running = [b.bn.running_mean.copy() for b in m.blocks if b.bn is not None]
    out = ics(m, x, y, 0.5)
    assert len(out) == 3 and out[0] == (0.0, 1.0)
    for p, (d, g) in zip(m.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, d)
        np.testing.assert_array_equal(p.grad, g)
    for b, r in zip([b for b in m.blocks if b.bn is not None], running, strict=True):
        np.testing.assert_array_equal(b.bn.running_mean, r)


def test_ics_with_no_step_is_no_shift():
    m = _model(True)
    x, y = _batch()
    for l2, cos in ics(m, x, y, 0.0):  # lr 0: the earlier layers do not move, G' = G (to rounding)
        assert l2 == pytest.approx(0.0, abs=1e-12) and cos == pytest.approx(1.0, abs=1e-12)


def test_ics_matches_the_definition_on_a_two_layer_net():
    # one hidden layer: G' of the head = its gradient after L1 (W, b) took one SGD step
    m = _model(False, depth=1)
    x, y = _batch()
    lr = 0.3
    m.loss(x, y, train=True)
    m.backward()
    g = m.head.W.grad.copy()
    twin = _model(False, depth=1)
    for p, q in zip(twin.parameters(), m.parameters(), strict=True):
        if p.name.startswith("L1."):
            p.data[...] = q.data - lr * q.grad
    twin.loss(x, y, train=True)
    twin.backward()
    g2 = twin.head.W.grad
    want_l2 = np.linalg.norm(g - g2)
    want_cos = np.sum(g * g2) / (np.linalg.norm(g) * np.linalg.norm(g2))
    (_, first), (l2, cos) = ics(m, x, y, lr)
    assert first == 1.0
    assert l2 == pytest.approx(want_l2, rel=1e-12) and l2 > 0
    assert cos == pytest.approx(want_cos, rel=1e-12)


def test_ics_on_read_only_data_leaves_the_model_as_found():
    # a Dataset's arrays are read-only; the layers cache views of them during the passes
    m = _model(True)
    x, y = _batch()
    x.setflags(write=False)
    m.loss(x, y, train=True)
    m.backward()
    before = [p.data.copy() for p in m.parameters()]
    assert len(ics(m, x, y, 0.1)) == 3
    for p, d in zip(m.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, d)


def test_an_ics_trial_runs_on_the_sessions_read_only_data():
    row = run_trial(spec(Config(steps=20, eval_every=1000), {"ics": 64}))
    assert len(row["ics_l2"]) == 5 and row["ics_l2"][0] == 0.0 and row["ics_cos"][0] == 1.0
