"""The Dataset record and ``load_dataset``: from a data spec (a Config) to train/validation
arrays."""

from __future__ import annotations

import dataclasses
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from bntui.data.arrays import _apply, _floats, _input_notes, _label_map
from bntui.data.data_error import DataError
from bntui.data.download import CHECKSUMS, locate
from bntui.data.idx import load_idx_dir
from bntui.data.npz import check_npz_header
from bntui.data.split import (  # noqa: F401 (split_indices re-exported)
    IdxReader,
    _subset,
    _test_file,
    split_indices,
    split_three,
)
from bntui.data.synthetic import GENERATORS, TWO_CLASS
from bntui.data.tabular import read_table, standardize
from bntui.errors import stat_input


class DataSpec(Protocol):
    """What ``load_dataset`` reads (a ``bntui.training.config.Config`` has all of it)."""

    dataset: str
    data: str | None
    target: str | None
    features: tuple[str, ...] | None
    samples: int
    classes: int
    noise: float
    dtype: str
    val_fraction: float
    test_fraction: float
    test_data: str | None
    train_size: int | None


FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class Dataset:
    """Training and validation arrays plus what a reader needs to know about them.

    ``x_*`` are float arrays ``(n, input_dim)`` (read-only), ``y_*`` int64 labels in
    ``0..n_classes-1``; ``notes`` are human lines saying what was done to the data.
    Compared by identity (arrays have no single truth value)."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    n_classes: int
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    notes: tuple[str, ...] = ()
    x_test: np.ndarray | None = None  # a held-out test set (--test-fraction, --test-data)
    y_test: np.ndarray | None = None

    def __post_init__(self) -> None:
        where = f"dataset {self.name!r}"
        if (self.x_test is None) != (self.y_test is None):
            raise DataError(f"{where}: x_test and y_test come together")
        parts = ("train", "val") if self.x_test is None else ("train", "val", "test")
        for part in parts:
            x, y = getattr(self, f"x_{part}"), getattr(self, f"y_{part}")
            if x.ndim != 2 or y.ndim != 1 or len(x) != len(y):
                raise DataError(f"{where}: x_{part} {x.shape} and y_{part} {y.shape} do not match")
            if y.dtype != np.int64:
                raise DataError(f"{where}: y_{part} must be int64, got {y.dtype}")
            if len(y) and (y.min() < 0 or y.max() >= self.n_classes):
                raise DataError(f"{where}: y_{part} has labels outside 0..{self.n_classes - 1}")
            x.setflags(write=False)
            y.setflags(write=False)
        if self.x_val.shape[1] != self.x_train.shape[1] or (
            self.x_test is not None and self.x_test.shape[1] != self.x_train.shape[1]
        ):
            raise DataError(f"{where}: train, validation and test inputs differ in width")
        if len(self.feature_names) != self.input_dim:
            raise DataError(
                f"{where}: {len(self.feature_names)} feature names for {self.input_dim} inputs"
            )
        if len(self.class_names) != self.n_classes:
            raise DataError(
                f"{where}: {len(self.class_names)} class names for {self.n_classes} classes"
            )

    @property
    def input_dim(self) -> int:
        """Inputs per sample."""
        return int(self.x_train.shape[1])

    @property
    def is_2d(self) -> bool:
        """True for plane data (a decision boundary can be drawn)."""
        return self.input_dim == 2

    @property
    def n_train(self) -> int:
        """Training samples."""
        return len(self.y_train)

    @property
    def n_val(self) -> int:
        """Validation samples."""
        return len(self.y_val)


def _stored(
    name: str,
    x: np.ndarray,
    y: np.ndarray,
    x_test: np.ndarray | None,
    y_test: np.ndarray | None,
    config: DataSpec,
    rng: np.random.Generator,
    class_names: tuple[str, ...] | None = None,
    test_file: tuple[np.ndarray, np.ndarray] | None = None,
) -> Dataset:
    """A Dataset from stored arrays: the test split as validation if there is one;
    ``test_file`` (x, y) from --test-data is the held-out test set.

    Rows are picked in the stored dtype first, so only the kept rows become floats."""
    dtype = np.dtype(config.dtype)
    if len(x) != len(y):
        raise DataError(f"{name}: {len(x)} inputs but {len(y)} labels")
    notes = _input_notes(x)
    held = np.arange(0)
    if x_test is None or y_test is None:
        values, names, label_notes = _label_map(y, name)
        train, val, held, split_notes = split_three(
            len(y), config.val_fraction, config.test_fraction, config.train_size, rng, name
        )
        x_tr, y_tr, x_va, y_va = x[train], y[train], x[val], y[val]
    else:
        values, names, label_notes = _label_map(np.concatenate([y, y_test]), name)
        perm = rng.permutation(len(y))
        n_held = max(1, round(len(y) * config.test_fraction)) if config.test_fraction else 0
        held, perm = perm[:n_held], perm[n_held:]
        train, more = _subset(perm, config.train_size, name)
        x_tr, y_tr, x_va, y_va = x[train], y[train], x_test, y_test
        split_notes = [
            f"split: the source's {len(y)} training and {len(y_test)} test samples "
            "(test used for validation)",
            *([f"test: {n_held} of the source's training samples held out"] if n_held else []),
            *more,
        ]
    if test_file is not None:
        x_file, y_file = test_file
        if len(x_file) != len(y_file) or x_file.shape[1:] != x.shape[1:]:
            raise DataError(
                f"{config.test_data}: test inputs of shape {x_file.shape[1:]} do not fit"
            )
        unknown = np.setdiff1d(np.unique(y_file), values)
        if unknown.size:
            raise DataError(f"{config.test_data}: test labels {unknown.tolist()} are not in {name}")
        x, y = np.concatenate([x[held], x_file]), np.concatenate([y[held], y_file])
        held = np.arange(len(y))  # (held is empty: test-data excludes test-fraction)
        split_notes.append(f"test: {len(y)} samples of {config.test_data}, used once at the end")
    if class_names is not None and len(class_names) == len(names) and not label_notes:
        names = class_names
    x_tr, x_va = _floats(x_tr, dtype, name), _floats(x_va, dtype, name)
    d = x_tr.shape[1]
    if d < 1:
        raise DataError(f"{name}: inputs x have 0 values per sample; need at least 1")
    test = (_floats(x[held], dtype, name), _apply(values, y[held])) if held.size else (None, None)
    if test_file is not None and not held.size:
        raise DataError(f"{config.test_data}: no test samples")
    return Dataset(
        name,
        x_tr,
        _apply(values, y_tr),
        x_va,
        _apply(values, y_va),
        len(names),
        tuple(f"x{i + 1}" for i in range(d)),
        names,
        tuple(notes + label_notes + split_notes),
        *test,
    )


def _synthetic(config: DataSpec, rng: np.random.Generator) -> Dataset:
    name = config.dataset
    x, y = GENERATORS[name](config.samples, config.classes, config.noise, rng)
    k = int(y.max()) + 1
    notes = [f"{name}: {k} classes, {len(y)} points, noise {config.noise:g}"]
    if name in TWO_CLASS and config.classes != 2:
        notes.append(f"{name} always has 2 classes; classes {config.classes} ignored")
    train, val, held, split_notes = split_three(
        len(y), config.val_fraction, config.test_fraction, config.train_size, rng, name
    )
    dtype = np.dtype(config.dtype)
    return Dataset(
        name,
        x[train].astype(dtype),
        y[train],
        x[val].astype(dtype),
        y[val],
        k,
        ("x1", "x2"),
        tuple(str(i) for i in range(k)),
        tuple(notes + split_notes),
        *((x[held].astype(dtype), y[held]) if held.size else (None, None)),
    )


def _csv(path: Path, config: DataSpec, rng: np.random.Generator) -> Dataset:
    label = str(config.data)
    parts: list = []

    def split(n: int) -> np.ndarray:  # the split comes first: imputation fits training rows
        parts[:] = split_three(
            n, config.val_fraction, config.test_fraction, config.train_size, rng, label
        )
        return parts[0]

    test = config.test_data
    table = read_table(path, config.target or "", config.features, fit_rows=split, test=test)
    train, val, held, split_notes = parts
    if table.n_test:  # --test-data: the test file's rows, after the main file's
        held = np.arange(len(table.y) - table.n_test, len(table.y))
        split_notes = [*split_notes, f"test: {table.n_test} rows of {test}, used once at the end"]
    x, scale_notes = standardize(table, fit_rows=train)  # statistics of training rows only
    dtype = np.dtype(config.dtype)
    return Dataset(
        path.name,
        x[train].astype(dtype),
        table.y[train],
        x[val].astype(dtype),
        table.y[val],
        len(table.class_names),
        table.feature_names,
        table.class_names,
        tuple(
            [
                *table.notes,
                *scale_notes,
                "imputation and standardization statistics come from the training rows",
                *split_notes,
            ]
        ),
        *((x[held].astype(dtype), table.y[held]) if held.size else (None, None)),
    )


def _npz(path: Path, config: DataSpec, rng: np.random.Generator, read_idx: IdxReader) -> Dataset:
    label = str(config.data)
    stat_input(path, DataError, "an .npz file")  # a FIFO would block, a loop is named
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise DataError(f"{label}: cannot read ({exc.strerror or exc})") from None
    if magic != b"PK\x03\x04":  # an .npz is a zip archive
        raise DataError(f"{label}: not a readable .npz file (not a zip archive)")
    try:
        with zipfile.ZipFile(path) as archive:
            keys = {n[:-4] for n in archive.namelist() if n.endswith(".npy")}
            if not {"x", "y"} <= keys:
                raise DataError(
                    f"{label}: needs arrays 'x' and 'y', found {', '.join(sorted(keys)) or 'none'}"
                )
            for key in ("x", "y"):
                check_npz_header(archive, key, label)
        with np.load(path, allow_pickle=False) as archive:
            x, y = archive["x"], archive["y"]
    except DataError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc):
            raise DataError(
                f"{label}: holds a pickled object array; bntui never loads pickles "
                "(save plain numeric arrays)"
            ) from None
        raise DataError(f"{label}: not a readable .npz file ({exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:  # truncated or corrupt archive
        raise DataError(f"{label}: not a readable .npz file ({exc})") from None
    for key, a in (("x", x), ("y", y)):
        if a.ndim == 0:
            raise DataError(f"{label}: {key} is a single number (0-d); it must hold samples")
    notes = []
    if x.ndim == 1:
        x = x[:, None]
        notes.append("x is 1-D: one input per sample")
    if y.ndim == 2 and y.shape[1] > 1 and np.all((y == 0) | (y == 1)) and np.all(y.sum(1) == 1):
        y = y.argmax(axis=1)  # one-hot rows -> the index of their 1
        notes.append("y is one-hot: each row's 1 gives its class")
    elif y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or len(y) != len(x):
        raise DataError(f"{label}: x has {len(x)} samples but y has shape {y.shape}")
    d = _stored(path.name, x, y, None, None, config, rng, None, _test_file(config, read_idx))
    return dataclasses.replace(d, notes=tuple(notes) + d.notes) if notes else d


def _cached(name: str, config: DataSpec, rng: np.random.Generator, read_idx: IdxReader) -> Dataset:
    where = locate(name)
    if where is None:
        raise DataError(f"{name} is not downloaded; run: bntui data download {name}")
    x, y, x_test, y_test = read_idx(where)
    names = FASHION_CLASSES if name == "fashion-mnist" else None
    return _stored(name, x, y, x_test, y_test, config, rng, names, _test_file(config, read_idx))


def load_dataset(
    config: DataSpec, rng: np.random.Generator, *, read_idx: IdxReader = load_idx_dir
) -> Dataset:
    """The Dataset a Config asks for; all randomness (generation, shuffle, split) from rng.

    ``read_idx`` reads a directory of IDX files (``bntui.data.cache`` passes a cached one).

    ``config.data`` (a .csv, an .npz or a directory of IDX files) wins over
    ``config.dataset``; otherwise the synthetic sets are generated and mnist and
    fashion-mnist are read from the download cache."""
    if config.data is not None:
        path = Path(config.data).expanduser()
        if (config.target is not None or config.features is not None) and (
            path.is_dir() or path.suffix.lower() != ".csv"
        ):
            raise DataError(f"{config.data}: --target and --features apply to CSV files only")
        if path.is_dir():
            x, y, x_test, y_test = read_idx(path)
            test = _test_file(config, read_idx)
            return _stored(path.name, x, y, x_test, y_test, config, rng, None, test)
        if not path.exists():
            if path.is_symlink():
                stat_input(path, DataError, "a data file")  # names a link loop
            raise DataError(f"{config.data}: no such file or directory")
        suffix = path.suffix.lower()
        if suffix == ".csv":
            return _csv(path, config, rng)
        if suffix == ".npz":
            return _npz(path, config, rng, read_idx)
        raise DataError(
            f"{config.data}: unknown kind of data file (use .csv, .npz or a directory of IDX files)"
        )
    if config.dataset in GENERATORS:
        if config.test_data is not None:
            raise DataError(f"--test-data needs data read from files, not {config.dataset!r}")
        return _synthetic(config, rng)
    if config.dataset in CHECKSUMS:
        return _cached(config.dataset, config, rng, read_idx)
    raise DataError(f"dataset {config.dataset!r} needs --data PATH")
