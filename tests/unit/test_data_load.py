"""load_dataset(): splits, train-size, dtypes, determinism, and each kind of source."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bntui.data import DataError, Dataset, load_dataset, write_idx
from bntui.data.synthetic import GENERATORS
from bntui.training.config import Config


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def rows_of(*arrays: np.ndarray) -> list[tuple]:
    """The rows of stacked arrays as sorted tuples (a multiset, order-free)."""
    return sorted(map(tuple, np.concatenate(arrays).tolist()))


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_synthetic_split_keeps_every_point_once(name: str) -> None:
    cfg = Config(dataset=name, samples=500, classes=4, val_fraction=0.2, dtype="float64")
    d = load_dataset(cfg, rng(3))
    assert (d.n_train, d.n_val) == (400, 100)
    assert d.is_2d and d.input_dim == 2 and d.feature_names == ("x1", "x2")
    assert d.x_train.dtype == np.float64 and d.y_train.dtype == np.int64
    k = 2 if name in ("moons", "circles", "xor") else 4
    assert d.n_classes == k and d.class_names == tuple(str(i) for i in range(k))
    # train ∪ val is exactly the generated set: nothing lost, nothing duplicated
    x, y = GENERATORS[name](500, 4, cfg.noise, rng(3))
    labelled = np.column_stack([x, y])
    got = [np.column_stack([d.x_train, d.y_train]), np.column_stack([d.x_val, d.y_val])]
    assert rows_of(*got) == rows_of(labelled)
    # the split is shuffled: validation holds every class
    assert set(d.y_val.tolist()) == set(range(k))


def test_two_class_sets_note_the_ignored_classes() -> None:
    d = load_dataset(Config(dataset="moons", classes=5), rng())
    assert "moons always has 2 classes; classes 5 ignored" in d.notes


@pytest.mark.parametrize(
    ("n", "fraction", "n_val"), [(1500, 0.2, 300), (101, 0.1, 10), (20, 0.01, 1)]
)
def test_split_sizes(n: int, fraction: float, n_val: int) -> None:
    d = load_dataset(Config(dataset="blobs", samples=n, val_fraction=fraction), rng())
    assert (d.n_train, d.n_val) == (n - n_val, n_val)


def test_train_size_keeps_a_subset_of_the_training_rows() -> None:
    full = load_dataset(Config(dataset="spiral", dtype="float64"), rng(5))
    small = load_dataset(Config(dataset="spiral", dtype="float64", train_size=100), rng(5))
    assert small.n_train == 100 and small.n_val == full.n_val
    np.testing.assert_array_equal(small.x_val, full.x_val)  # same validation set
    train = set(map(tuple, full.x_train.tolist()))
    assert all(tuple(r) in train for r in small.x_train.tolist())
    assert "train-size: kept 100 of 1200 training samples" in small.notes
    with pytest.raises(DataError, match="train-size 1201 is larger than the 1200 training"):
        load_dataset(Config(dataset="spiral", train_size=1201), rng(5))


def test_deterministic_for_a_seed_and_dtype_respected() -> None:
    cfg = Config(dataset="spiral")
    a, b, c = load_dataset(cfg, rng(1)), load_dataset(cfg, rng(1)), load_dataset(cfg, rng(2))
    assert a.x_train.dtype == np.float32
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_val, b.y_val)
    assert not np.array_equal(a.x_train, c.x_train)
    d64 = load_dataset(cfg.replace(dtype="float64"), rng(1))
    np.testing.assert_allclose(d64.x_train, a.x_train, rtol=1e-6)


def test_dataset_is_read_only_and_validated() -> None:
    d = load_dataset(Config(dataset="xor", samples=100), rng())
    with pytest.raises(ValueError, match="read-only"):
        d.x_train[0, 0] = 1.0
    x, y = np.zeros((3, 2)), np.array([0, 1, 2])
    with pytest.raises(DataError, match="labels outside 0..1"):
        Dataset("t", x, y, x, y, 2, ("a", "b"), ("p", "q"))
    with pytest.raises(DataError, match="1 feature names for 2 inputs"):
        Dataset("t", x, y, x, y, 3, ("a",), ("p", "q", "r"))


# ---- files --------------------------------------------------------------------------------


def titanic_csv(path: Path, n: int = 80) -> Path:
    r = np.random.default_rng(11)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["PassengerId", "Survived", "Pclass", "Name", "Sex", "Age", "Fare", "Embarked"])
        for i in range(n):
            age = "" if i % 7 == 3 else str(int(r.integers(1, 70)))
            sex, embarked = r.choice(["male", "female"]), r.choice(["S", "C", "Q"])
            survived, pclass = int(r.integers(0, 2)), int(r.integers(1, 4))
            fare = f"{r.uniform(5, 90):.3f}"
            w.writerow([i + 1, survived, pclass, f"P{i}, Mr. X", sex, age, fare, embarked])
    return path


def test_csv_seed_experiment(tmp_path: Path) -> None:
    path = titanic_csv(tmp_path / "titanic.csv")
    cfg = Config(
        dataset="file", data=str(path), target="Survived", features=("Pclass", "Sex", "Age", "Fare")
    )
    d = load_dataset(cfg, rng(0))
    assert d.name == "titanic.csv" and (d.n_train, d.n_val) == (64, 16)
    assert d.feature_names == ("Pclass", "Sex=female", "Sex=male", "Age", "Fare")
    assert d.class_names == ("0", "1") and not d.is_2d and d.x_train.dtype == np.float32
    # standardization statistics come from the training rows: mean 0, std 1 there
    for j in (0, 3, 4):
        col = d.x_train[:, j].astype(np.float64)
        assert abs(col.mean()) < 1e-6 and col.std() == pytest.approx(1.0, abs=1e-5)
    assert set(np.unique(d.x_val[:, 1:3])) == {0.0, 1.0}
    missing = sum(i % 7 == 3 for i in range(80))
    assert any(f"Age: {missing} missing values imputed with the median" in n for n in d.notes)
    again = load_dataset(cfg, rng(0))
    np.testing.assert_array_equal(again.x_val, d.x_val)


def test_npz_images_flattened_and_scaled(tmp_path: Path) -> None:
    n = 50
    x = np.zeros((n, 28, 28), dtype=np.uint8)
    x[:, 0, 0] = np.arange(n)  # pixel (0, 0) records the row's index
    x[:, 5, 5] = 255
    y = (np.arange(n) % 3).astype(np.int64)
    path = tmp_path / "digits.npz"
    np.savez(path, x=x, y=y)
    d = load_dataset(Config(dataset="file", data=str(path), val_fraction=0.2), rng(0))
    assert (d.n_train, d.n_val, d.input_dim) == (40, 10, 784)
    for xs, ys in ((d.x_train, d.y_train), (d.x_val, d.y_val)):
        index = np.rint(xs[:, 0] * 255).astype(int)  # x / 255 undone
        np.testing.assert_array_equal(ys, index % 3)  # each row kept its own label
        np.testing.assert_array_equal(xs[:, 5 * 28 + 5], 1.0)
    assert sorted(np.rint(np.concatenate([d.x_train, d.x_val])[:, 0] * 255)) == list(range(n))
    assert "pixels scaled from 0..255 to [0, 1]" in d.notes


def test_npz_labels_mapped_and_floats_kept(tmp_path: Path) -> None:
    path = tmp_path / "f.npz"
    x = np.linspace(-3, 3, 40).reshape(20, 2)
    np.savez(path, x=x, y=np.where(np.arange(20) < 10, 7, 3))
    d = load_dataset(Config(dataset="file", data=str(path), dtype="float64"), rng())
    assert d.class_names == ("3", "7") and d.n_classes == 2
    assert "labels 3, 7 mapped to classes 0..1" in d.notes
    xs = np.concatenate([d.x_train, d.x_val])
    ys = np.concatenate([d.y_train, d.y_val])
    np.testing.assert_array_equal(ys, np.where(xs[:, 0] < 0, 1, 0))  # first ten rows were 7
    assert rows_of(xs) == rows_of(x)


def test_npz_refuses_pickles_and_bad_contents(tmp_path: Path) -> None:
    path = tmp_path / "obj.npz"
    np.savez(path, x=np.array([{"a": 1}, None], dtype=object), y=np.array([0, 1]))
    with pytest.raises(DataError, match="pickled object array; bntui never loads pickles"):
        load_dataset(Config(dataset="file", data=str(path)), rng())
    np.savez(path, images=np.zeros((4, 2)))
    with pytest.raises(DataError, match="needs arrays 'x' and 'y', found images"):
        load_dataset(Config(dataset="file", data=str(path)), rng())
    np.savez(path, x=np.zeros((4, 2)), y=np.array([0.5, 1, 0, 1]))
    with pytest.raises(DataError, match="whole numbers"):
        load_dataset(Config(dataset="file", data=str(path)), rng())
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="junk.npz: not a readable .npz"):
        load_dataset(Config(dataset="file", data=str(tmp_path / "junk.npz")), rng())


def test_idx_directory_uses_t10k_as_validation(tmp_path: Path) -> None:
    r = np.random.default_rng(0)
    tx = r.integers(0, 256, (6, 4, 4), dtype=np.uint8)
    write_idx(
        tmp_path / "train-images-idx3-ubyte.gz", r.integers(0, 256, (20, 4, 4), dtype=np.uint8)
    )
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", (np.arange(20) % 4).astype(np.uint8))
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", tx)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.array([0, 1, 2, 3, 0, 1], dtype=np.uint8))
    d = load_dataset(Config(dataset="file", data=str(tmp_path), train_size=15), rng())
    assert (d.n_train, d.n_val, d.n_classes) == (15, 6, 4)
    np.testing.assert_allclose(d.x_val, tx.reshape(6, 16) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(d.y_val, [0, 1, 2, 3, 0, 1])


def test_idx_directory_with_train_pair_only_is_split(tmp_path: Path) -> None:
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((30, 2, 2), dtype=np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", (np.arange(30) % 2).astype(np.uint8))
    d = load_dataset(Config(dataset="file", data=str(tmp_path), val_fraction=0.3), rng())
    assert (d.n_train, d.n_val) == (21, 9)


def test_mnist_not_downloaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BNTUI_CACHE_DIR", str(tmp_path))
    with pytest.raises(DataError) as info:
        load_dataset(Config(dataset="mnist"), rng())
    assert str(info.value) == "mnist is not downloaded; run: bntui data download mnist"


@pytest.mark.parametrize(
    ("data", "extra", "message"),
    [
        ("absent.csv", {}, "absent.csv: no such file or directory"),
        ("notes.txt", {}, "unknown kind of data file"),
        ("a.npz", {"target": "y"}, "apply to CSV files only"),
    ],
)
def test_source_errors(tmp_path: Path, data: str, extra: dict, message: str) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    np.savez(tmp_path / "a.npz", x=np.zeros((4, 2)), y=np.array([0, 1, 0, 1]))
    with pytest.raises(DataError, match=message):
        load_dataset(Config(dataset="file", data=str(tmp_path / data), **extra), rng())


def test_no_ui_imports() -> None:
    code = (
        "import sys, bntui.data; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_npz_one_hot_labels_and_one_column_inputs(tmp_path: Path) -> None:
    path = tmp_path / "h.npz"
    labels = np.arange(30) % 3
    np.savez(path, x=labels.astype(np.float64) * 10.0, y=np.eye(3, dtype=np.uint8)[labels])
    d = load_dataset(Config(dataset="file", data=str(path), dtype="float64"), rng())
    assert d.input_dim == 1 and d.n_classes == 3
    for xs, ys in ((d.x_train, d.y_train), (d.x_val, d.y_val)):
        np.testing.assert_array_equal(xs[:, 0], ys * 10.0)  # each row kept its class
    assert d.notes[:2] == (
        "x is 1-D: one input per sample",
        "y is one-hot: each row's 1 gives its class",
    )
