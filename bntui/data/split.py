"""Splitting a dataset's rows: validation, test and training indices from one permutation,
and --test-data read beside stored arrays."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bntui.data.data_error import DataError

IdxReader = Callable[[Path], tuple]
"""``read_idx(directory) -> (x, y, x_test, y_test)``, like ``load_idx_dir``."""


def split_indices(
    n: int, val_fraction: float, train_size: int | None, rng: np.random.Generator, label: str
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(train indices, val indices, notes): a random permutation, the first
    round(n·val_fraction) (at least 1) for validation, then at most train_size to train."""
    train, val, _test, notes = split_three(n, val_fraction, 0.0, train_size, rng, label)
    return train, val, notes


def split_three(
    n: int,
    val_fraction: float,
    test_fraction: float,
    train_size: int | None,
    rng: np.random.Generator,
    label: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(train, val, test indices, notes): one random permutation; the first
    round(n·val_fraction) (at least 1) validate, the next round(n·test_fraction) (at least
    1 when the fraction is > 0) are the test set, the rest (at most train_size) train.
    With test_fraction 0 the train and val indices are those of ``split_indices``."""
    if not 0.0 < val_fraction < 1.0:
        raise DataError(f"{label}: val-fraction must be between 0 and 1, got {val_fraction}")
    n_val = max(1, round(n * val_fraction))
    n_test = max(1, round(n * test_fraction)) if test_fraction > 0 else 0
    n_train = n - n_val - n_test
    if n_train < 1:
        raise DataError(f"{label}: {n} samples are too few to split off validation and test sets")
    perm = rng.permutation(n)
    val, test, train = perm[:n_val], perm[n_val : n_val + n_test], perm[n_val + n_test :]
    text = f"split: {n_train} train / {n_val} validation (val-fraction {val_fraction:g})"
    if n_test:
        text += f" / {n_test} test (test-fraction {test_fraction:g}, used once at the end)"
    train, more = _subset(train, train_size, label)
    return train, val, test, [text, *more]


def _subset(train: np.ndarray, train_size: int | None, label: str) -> tuple[np.ndarray, list[str]]:
    if train_size is None:
        return train, []
    if train_size > len(train):
        raise DataError(
            f"{label}: train-size {train_size} is larger than the "
            f"{len(train)} training samples available"
        )
    if train_size < 1:
        raise DataError(f"{label}: train-size must be at least 1, got {train_size}")
    return train[:train_size], [f"train-size: kept {train_size} of {len(train)} training samples"]


def _test_file(config: Any, read_idx: IdxReader) -> tuple[np.ndarray, np.ndarray] | None:
    """(x, y) of --test-data for stored arrays: an .npz (x, y) or a directory of IDX files
    (its training pair, or its lone t10k pair). A CSV test file needs a CSV --data."""
    if config.test_data is None:
        return None
    path = Path(config.test_data).expanduser()
    if path.is_dir():
        x, y, _xt, _yt = read_idx(path)
        return x, y
    if path.suffix.lower() != ".npz" or not path.is_file():
        raise DataError(
            f"{config.test_data}: test data must be of --data's kind (.npz, a directory of "
            "IDX files, or a .csv beside a .csv)"
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            x, y = archive["x"], archive["y"]
    except (KeyError, ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{config.test_data}: not a readable .npz with x and y ({exc})") from None
    x = x[:, None] if x.ndim == 1 else x
    y = y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y
    if y.ndim != 1:
        raise DataError(f"{config.test_data}: y must be one label per sample")
    return x, y
