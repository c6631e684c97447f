"""Stored arrays made ready to train on: labels mapped to classes 0..K-1, inputs to floats.

Used by ``bntui.data.dataset`` for every stored source (IDX, .npz); the checks here name
the file (``label``) and say what is wrong in one line.
"""

from __future__ import annotations

import numpy as np

from bntui.data.data_error import DataError
from bntui.data.tabular import MAX_CLASSES


def _label_map(y: np.ndarray, label: str) -> tuple[np.ndarray, tuple[str, ...], list[str]]:
    """(sorted distinct label values, class names, notes) for stored labels.

    Labels that are already 0..K-1 are kept; others are mapped in sorted order."""
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise DataError(f"{label}: labels y must be whole numbers")
    elif y.dtype.kind not in "iub":
        raise DataError(f"{label}: labels y must be integers, got dtype {y.dtype}")
    values = np.unique(y)
    if len(values) < 2:
        raise DataError(f"{label}: labels y hold a single class; nothing to classify")
    if len(values) > MAX_CLASSES:
        raise DataError(
            f"{label}: labels y hold {len(values)} distinct values; at most {MAX_CLASSES} "
            "classes are supported"
        )
    names = tuple(str(int(v)) for v in values)
    if np.array_equal(values, np.arange(len(values))):
        return values, names, []
    return values, names, [f"labels {', '.join(names)} mapped to classes 0..{len(values) - 1}"]


def _apply(values: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each label's rank among the sorted distinct values: the class index 0..K-1."""
    return np.searchsorted(values, y).astype(np.int64)


def _floats(x: np.ndarray, dtype: np.dtype, label: str) -> np.ndarray:
    """(n, ...) stored samples -> (n, d) floats; uint8 images scaled to [0, 1]."""
    flat = x.reshape(len(x), -1)
    if flat.dtype == np.uint8:
        out = flat.astype(dtype)
        out /= dtype.type(255)  # x / 255 (DLFS normalize=True), in place: MNIST is big
        return out
    if flat.dtype.kind not in "iuf":
        raise DataError(f"{label}: inputs x must be numbers, got dtype {x.dtype}")
    if flat.dtype.kind == "f" and not np.all(np.isfinite(flat)):
        raise DataError(f"{label}: inputs x contain NaN or infinite values")
    with np.errstate(over="ignore", invalid="ignore"):  # checked below, in words
        out = flat.astype(dtype)
    if not np.all(np.isfinite(out)):
        big = float(np.max(np.abs(flat)))
        raise DataError(
            f"{label}: inputs x hold values too large for {dtype} (up to {big:.3g}); "
            "rescale them or use --dtype float64"
        )
    return out


def _input_notes(x: np.ndarray) -> list[str]:
    notes = []
    if x.ndim > 2:
        notes.append(f"inputs of shape {x.shape[1:]} flattened to {int(np.prod(x.shape[1:]))}")
    if x.dtype == np.uint8:
        notes.append("pixels scaled from 0..255 to [0, 1]")
    else:
        notes.append("inputs used as stored (not rescaled)")
    return notes
