"""Issue 14's faithful flags at the Session level: epochs, the test split, separate seeds,
eval-mode training accuracy, the data loss beside the penalty, BN ε, train-only imputation,
and the system copy of Fashion-MNIST."""

import dataclasses

import numpy as np
import pytest

from bntui.data import load_dataset
from bntui.data.idx import write_idx
from bntui.data.split import split_three
from bntui.nn.functional import softmax_cross_entropy
from bntui.training.config import Config, ConfigError
from bntui.training.epochs import batch_rows, batches_left
from bntui.training.session import Session, _streams

# 1,114 points, val-fraction 0.2: round(222.8) = 223 validate, 891 train (Titanic's size)
TITANIC_SIZE = dict(samples=1114, batch_size=64, eval_every=10_000, stats_every=10_000)


def _batches(session: Session, steps: int) -> list[np.ndarray]:
    seen, pick = [], session._next_batch

    def spy():
        idx = pick()
        seen.append(idx.copy())
        return idx

    session._next_batch = spy
    for _ in range(steps):
        session.step()
    return seen


# ---------------------------------------------------------------- 1. epochs
def test_batch_rows_by_hand():
    # 891 rows, batch 64: 13 full batches and one of 891 - 832 = 59
    assert [batch_rows(p, 891, 64, whole=True) for p in (0, 768, 832, 891)] == [64, 64, 59, 0]
    assert batches_left(0, 891, 64, whole=True) == 14
    assert batches_left(0, 891, 64, whole=False) == 13  # steps: the 59 wait for the next epoch
    # a 1-row remainder joins the batch before it: 129 = 64 + 65
    assert [batch_rows(p, 129, 64, whole=True) for p in (0, 64, 129)] == [64, 65, 0]
    assert batch_rows(0, 10, 64, whole=True) == 10  # a batch larger than the set: one batch


def test_epochs_use_every_row_once_per_epoch_and_count_from_one():
    s = Session(Config(epochs=3, **TITANIC_SIZE))
    n = s.data.n_train
    assert n == 891 and s.planned_steps == 3 * 14
    records, seen = [], []
    pick = s._next_batch

    def spy():
        idx = pick()
        seen.append(idx.copy())
        return idx

    s._next_batch = spy
    while not s.finished:
        records.append(s.step())
    assert len(records) == 42 and s.step_count == 42
    assert [r["epoch"] for r in records] == [e for e in (1, 2, 3) for _ in range(14)]
    for e in range(3):
        rows = np.concatenate(seen[14 * e : 14 * (e + 1)])
        assert sorted(rows.tolist()) == list(range(891))  # every row once, none dropped
    assert [len(b) for b in seen[:14]] == [64] * 13 + [59]


def test_steps_mode_keeps_full_batches_and_numbers_epochs_from_one():
    s = Session(Config(steps=30, **TITANIC_SIZE))
    seen = _batches(s, 14)
    assert all(len(b) == 64 for b in seen)
    assert s.last_record["epoch"] == 2  # 13 batches fill epoch 1; the 14th starts epoch 2
    assert s.planned_steps == 30


def test_planned_steps_follow_a_batch_size_change():
    s = Session(Config(epochs=2, **TITANIC_SIZE))
    for _ in range(10):
        s.step()
    s.apply("batch-size 128")  # 4 more batches finish epoch 1 (640 + 2·128 = 896 > 891)
    left_now = batches_left(640, 891, 128, whole=True)
    assert s.planned_steps == 10 + left_now + batches_left(0, 891, 128, whole=True)
    while not s.finished:
        s.step()
    assert s.epoch == 2 and s._pos == 891


def test_steps_and_epochs_together_are_refused():
    with pytest.raises(ConfigError, match="steps or epochs"):
        Config.from_dict({"steps": 100, "epochs": 2})
    with pytest.raises(ConfigError, match="epochs must be >= 1"):
        Config(epochs=0)
    c = Config(epochs=4)
    assert "steps" not in c.to_dict() and Config.from_dict(c.to_dict()) == c


# ---------------------------------------------------------------- 2. test split
def test_test_fraction_holds_out_disjoint_rows_and_leaves_the_old_split_alone():
    rng = np.random.default_rng(0)
    tr, va, te, _ = split_three(1000, 0.2, 0.1, None, rng, "x")
    assert (len(tr), len(va), len(te)) == (700, 200, 100)
    assert len(set(tr) | set(va) | set(te)) == 1000
    _tr0, va0, te0, _ = split_three(1000, 0.2, 0.0, None, np.random.default_rng(0), "x")
    np.testing.assert_array_equal(va0, va)  # same permutation, val first
    assert te0.size == 0
    d = load_dataset(Config(test_fraction=0.1), _streams(0)["data"])
    assert (d.n_train, d.n_val, len(d.y_test)) == (1050, 300, 150)
    plain = load_dataset(Config(), _streams(0)["data"])
    np.testing.assert_array_equal(plain.x_val, d.x_val)


def test_the_test_set_is_never_read_during_training():
    c = Config(test_fraction=0.2, steps=0, eval_every=10, patience=2, stats_every=7)
    base = load_dataset(c, _streams(0)["data"])
    rng = np.random.default_rng(5)
    garbage = dataclasses.replace(
        base,
        x_test=rng.normal(size=base.x_test.shape).astype(base.x_test.dtype),
        y_test=rng.permutation(base.y_test),
    )

    def records(data):
        s = Session(c, load=lambda config, r: (load_dataset(config, r), data)[1])
        return s, [s.step() for _ in range(200) if not s.stopped_early]

    (a, ra), (b, rb) = records(base), records(garbage)
    assert ra == rb and a.stopped_early == b.stopped_early
    assert not any(k.startswith("test") for r in ra for k in r)
    assert a.test_metrics() != b.test_metrics()  # the final report does read it
    logits = a.model.forward(np.asarray(base.x_test), train=False)
    by_hand = np.count_nonzero(logits.argmax(1) == base.y_test) / len(base.y_test)
    assert a.test_metrics()["test_acc"] == pytest.approx(by_hand, abs=1e-6)
    assert Session(Config(steps=0)).test_metrics() is None


def test_test_data_file_beside_an_npz(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(120, 3)), rng.integers(0, 3, 120)
    np.savez(tmp_path / "train.npz", x=x, y=y)
    np.savez(tmp_path / "test.npz", x=x[:30] + 1, y=y[:30])
    c = Config(
        data=str(tmp_path / "train.npz"), dataset="file", test_data=str(tmp_path / "test.npz")
    )
    d = load_dataset(c, np.random.default_rng(1))
    np.testing.assert_allclose(d.x_test, (x[:30] + 1).astype(np.float32))
    np.testing.assert_array_equal(d.y_test, y[:30])
    with pytest.raises(ConfigError, match="not both"):
        c.replace(test_fraction=0.1)


def test_test_data_csv_rows_are_encoded_like_the_training_rows(tmp_path):
    rows = "\n".join(f"{i % 7},{'ab'[i % 2]},{i % 2}" for i in range(40))
    (tmp_path / "t.csv").write_text("a,b,y\n" + rows + "\n")
    (tmp_path / "test.csv").write_text("a,b,y\n3,b,1\n,a,0\n")
    c = Config(data=str(tmp_path / "t.csv"), target="y", test_data=str(tmp_path / "test.csv"))
    d = load_dataset(c, np.random.default_rng(0))
    assert d.n_train + d.n_val == 40 and d.y_test.tolist() == [1, 0]
    assert d.feature_names == ("a", "b=a", "b=b") and d.x_test[:, 1:].tolist() == [[0, 1], [1, 0]]
    (tmp_path / "bad.csv").write_text("a,c,y\n1,a,0\n")
    with pytest.raises(Exception, match="header differs"):
        load_dataset(c.replace(test_data=str(tmp_path / "bad.csv")), np.random.default_rng(0))


# ---------------------------------------------------------------- 3. separate seeds
def test_a_data_seed_holds_the_split_fixed_while_the_init_varies():
    a = Session(Config(seed=0, data_seed=7, test_fraction=0.1, steps=0))
    b = Session(Config(seed=1, data_seed=7, test_fraction=0.1, steps=0))
    for part in ("x_train", "y_train", "x_val", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(a.data, part), getattr(b.data, part))
    assert not np.array_equal(a.model.blocks[0].linear.W.data, b.model.blocks[0].linear.W.data)


# ---------------------------------------------------------------- 4. train_eval_acc
def test_train_eval_acc_is_at_every_tenth_evaluation_on_an_evenly_spaced_sample():
    # 5,000 points: 1,000 validation rows, 4,000 training rows -> every 4th training row
    s = Session(Config(samples=5000, eval_every=5, steps=0, dropout=0.3))
    records = [s.step() for _ in range(100)]
    assert [r["step"] for r in records if "val_acc" in r] == list(range(5, 101, 5))
    assert [r["step"] for r in records if "train_eval_acc" in r] == [50, 100]
    assert (s.data.n_train, s.data.n_val) == (4000, 1000)
    rows = np.arange(1000) * 4
    logits = s.model.forward(np.asarray(s.data.x_train[rows]), train=False)
    by_hand = np.count_nonzero(logits.argmax(1) == s.data.y_train[rows]) / 1000
    assert records[-1]["train_eval_acc"] == pytest.approx(by_hand, abs=1e-6)
    # the summary's figure still counts every training row
    logits = s.model.forward(np.asarray(s.data.x_train), train=False)
    whole = np.count_nonzero(logits.argmax(1) == s.data.y_train) / 4000
    assert s.train_eval_accuracy() == pytest.approx(whole, abs=1e-6)


def test_train_eval_acc_counts_every_row_of_a_small_training_set():
    s = Session(Config(samples=1000, eval_every=5, steps=0))  # 800 training rows < 1,000
    records = [s.step() for _ in range(50)]
    logits = s.model.forward(np.asarray(s.data.x_train), train=False)
    by_hand = np.count_nonzero(logits.argmax(1) == s.data.y_train) / s.data.n_train
    assert s.data.n_train == 800
    assert records[-1]["train_eval_acc"] == pytest.approx(by_hand, abs=1e-6)


def test_eval_logits_are_forward_in_eval_mode_bit_for_bit():
    for fields in (
        dict(bn=True, dropout=0.2),
        dict(bn=True, bn_position="after", activation="sigmoid"),
        dict(norm="ln", activation="tanh"),
        dict(bn=False, dropout=0.3, dropout_style="scale-at-test"),
    ):
        s = Session(Config(steps=0, **fields))
        s.run(20)
        x = np.asarray(s.data.x_val)
        want = s.model.forward(x, train=False).copy()
        scratch: dict = {}
        np.testing.assert_array_equal(s.model.eval_logits(x, scratch), want)
        # a second, smaller chunk through the same buffers (BLAS may round a 7-row
        # product differently from a 300-row one: compare with forward on those 7 rows)
        few = s.model.forward(x[:7], train=False).copy()
        np.testing.assert_array_equal(s.model.eval_logits(x[:7], scratch), few)


# ---------------------------------------------------------------- 5. data loss vs penalty
def test_loss_is_the_data_loss_and_the_penalty_is_its_own_field():
    c = Config(weight_decay=0.1, l1=0.01, steps=0, eval_every=1000)
    s, plain = Session(c), Session(c.replace(weight_decay=0.0, l1=0.0))
    weights = [w.data.astype(np.float64) for w in s.model.weights()]
    want = 0.05 * sum(float((w**2).sum()) for w in weights) + 0.01 * sum(
        float(np.abs(w).sum()) for w in weights
    )
    rec, rec_plain = s.step(), plain.step()
    assert rec["penalty"] == pytest.approx(want, rel=1e-5)
    assert rec["loss"] == rec_plain["loss"]  # same weights, batch, masks: same data loss
    assert "penalty" not in rec_plain


def test_data_loss_matches_cross_entropy_of_the_batch():
    s = Session(Config(weight_decay=0.5, steps=0, eval_every=1000, bn=False))
    w_before = [p.data.copy() for p in s.model.parameters()]
    first = _batches(s, 1)[0]
    for p, d in zip(s.model.parameters(), w_before, strict=True):
        p.data[...] = d  # back to the weights the step saw
    logits = s.model.forward(s.data.x_train[first], train=True)
    loss, _ = softmax_cross_entropy(logits.astype(np.float64), s.data.y_train[first])
    assert s.last_record["loss"] == pytest.approx(loss, rel=1e-5)


# ---------------------------------------------------------------- 7. BN ε
@pytest.mark.parametrize("norm", ["bn", "ln", "gn:4", "brn", "noisy-bn"])
def test_bn_eps_reaches_every_normalization_layer(norm):
    s = Session(Config(bn_eps=1e-6, norm=norm, steps=0))
    assert [b.norm.eps for b in s.model.blocks] == [1e-6] * 4
    s.apply("depth +1")
    s.apply("width 64")
    s.apply("norm ln")
    assert [b.norm.eps for b in s.model.blocks] == [1e-6] * 5
    assert Session(Config(steps=0)).model.blocks[0].norm.eps == 1e-5
    with pytest.raises(ConfigError, match="bn-eps"):
        Config(bn_eps=0.0)


def test_bn_eps_changes_the_tiny_scale_result():
    # init std 1e-4: the batch variance of layer 1 is ~1e-8, below ε, so ε decides the scale
    c = Config(init="std:0.0001", steps=0, eval_every=1000)
    a, b = Session(c), Session(c.replace(bn_eps=1e-6))
    ra, rb = [a.step() for _ in range(20)], [b.step() for _ in range(20)]
    assert ra[0]["loss"] == pytest.approx(rb[0]["loss"], abs=1e-4)  # both start at ln 3
    assert ra[-1]["loss"] != rb[-1]["loss"]


# ---------------------------------------------------------------- 8. dropout style
def test_dropout_style_reaches_the_layers_and_is_validated():
    s = Session(Config(dropout=0.5, dropout_style="scale-at-test", steps=0))
    assert {b.dropout.style for b in s.model.blocks} == {"scale-at-test"}
    s.apply("depth +1")
    assert s.model.blocks[-1].dropout.style == "scale-at-test"
    with pytest.raises(ConfigError, match="dropout-style"):
        Config(dropout_style="gaussian")


# ---------------------------------------------------------------- 9. train-only imputation
def test_csv_imputation_uses_the_training_rows_only(tmp_path):
    n = 20
    train, val, _t, _ = split_three(n, 0.4, 0.0, None, _streams(0)["data"], "t")
    a = [str(float(i)) for i in range(n)]
    for i in val:
        a[i] = str(1000.0 + i)  # validation rows far above: they would move the median
    a[train[0]] = ""  # the one missing value, in a training row
    path = tmp_path / "t.csv"
    path.write_text("a,y\n" + "\n".join(f"{v},{i % 2}" for i, v in enumerate(a)) + "\n")
    want = float(np.median([float(a[i]) for i in train if a[i]]))
    assert want != float(np.median([float(v) for v in a if v]))
    d = load_dataset(Config(data=str(path), target="y", val_fraction=0.4), _streams(0)["data"])
    note = next(t for t in d.notes if "imputed" in t)
    assert "median of the training rows" in note and f"{want:g}" in note
    col = np.array([float(v) if v else want for v in a])  # standardized by the training rows
    z = (want - col[train].mean()) / col[train].std()
    assert d.x_train[0, 0] == pytest.approx(z, rel=1e-5)  # train[0] is the first training row


def test_csv_mode_imputation_uses_the_training_rows_only(tmp_path):
    # categories: 'p' is the most frequent overall only thanks to validation rows
    path = tmp_path / "c.csv"
    values = ["p"] * 9 + ["q"] * 8 + [""] * 3
    path.write_text("c,y\n" + "\n".join(f"{v},{i % 2}" for i, v in enumerate(values)) + "\n")
    train, *_ = split_three(20, 0.3, 0.0, None, _streams(2)["data"], "c")
    counts = {k: sum(values[i] == k for i in train) for k in "pq"}
    want = max(sorted(counts), key=lambda k: counts[k])
    d = load_dataset(
        Config(data=str(path), target="y", val_fraction=0.3, seed=2), _streams(2)["data"]
    )
    note = next(t for t in d.notes if "imputed" in t)
    assert f"most frequent of the training rows {want!r}" in note


# ---------------------------------------------------------------- fashion-mnist, system copy
def _idx_set(d, n=30):
    d.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, m in (("train", n), ("t10k", 10)):
        write_idx(
            d / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 255, (m, 4, 4), dtype=np.uint8)
        )
        write_idx(d / f"{prefix}-labels-idx1-ubyte.gz", (np.arange(m) % 10).astype(np.uint8))


def test_fashion_mnist_is_found_in_a_system_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("BNTUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("BNTUI_SYSTEM_DATASETS", str(tmp_path / "share"))
    c = Config(dataset="fashion-mnist")
    with pytest.raises(Exception, match="not downloaded"):
        load_dataset(c, np.random.default_rng(0))
    _idx_set(tmp_path / "share" / "fashion-mnist", n=30)
    d = load_dataset(c, np.random.default_rng(0))
    assert d.n_train == 30 and d.n_val == 10 and d.class_names[0] == "T-shirt/top"
    _idx_set(tmp_path / "cache" / "fashion-mnist", n=50)  # a downloaded copy comes first
    assert load_dataset(c, np.random.default_rng(0)).n_train == 50
