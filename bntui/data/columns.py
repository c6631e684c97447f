"""One CSV column to numbers: numeric (median-imputed) or categorical (one-hot), with the
statistics fitted on the training rows only; small formatting helpers for their notes."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

MISSING = frozenset({"", "na", "nan", "n/a", "null", "?"})  # field values (lower-cased)

_NUMERIC_SHARE = 0.9  # this numeric: a numeric column with a typo, not categorical text


def plural(count: int, noun: str) -> str:
    """'1 missing value', '3 missing values'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def fmt(value: float) -> str:
    """A float with 4 significant digits, as Python prints it: 28.0, 14.45, 1e-05."""
    return repr(float(f"{value:.4g}"))


def _number(text: str) -> float | None:
    """The finite number a field holds, or None ('1_000', 'inf' are not numbers here)."""
    if "_" in text:
        return None
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _id_like(values: list[str]) -> str | None:
    """Why a column looks like an identifier (for the default feature set), or None."""
    present = [v for v in values if v.lower() not in MISSING]
    if not present:
        return None
    numbers = [_number(v) for v in present]
    n_numeric = sum(v is not None for v in numbers)
    if n_numeric == len(present):
        first = numbers[0]
        # a row counter: whole numbers going up by one from row to row (1, 2, 3, …)
        counter = (
            len(values) == len(present) > 2
            and first is not None
            and float(first).is_integer()
            and all(v == first + i for i, v in enumerate(numbers))
        )
        return "a row counter" if counter else None
    if n_numeric >= _NUMERIC_SHARE * len(present):
        return None  # numbers with a typo: the feature loop reports it
    distinct = len(set(present))
    if distinct == len(present) and distinct > 2:
        return "a distinct text per row"
    if distinct > max(20, len(present) // 2):
        return f"{distinct} distinct texts in {len(present)} rows"
    return None


def _numeric_column(
    name: str, numbers: list[float | None], notes: list[str], fit: np.ndarray | None = None
) -> np.ndarray:
    """Floats; missing values get the median of the ``fit`` rows (all if None or none)."""
    col = np.array([math.nan if v is None else v for v in numbers], dtype=np.float64)
    missing = np.isnan(col)
    if missing.any():
        pool = col if fit is None else col[fit]
        where = "" if fit is None else " of the training rows"
        if np.isnan(pool).all():
            pool, where = col, " of all rows (the training rows have none)"
        median = float(np.median(pool[~np.isnan(pool)]))  # the middle value: robust to outliers
        col[missing] = median
        notes.append(
            f"{name}: {plural(int(missing.sum()), 'missing value')} imputed with the median"
            f"{where} {fmt(median)}"
        )
    return col


def _categorical_column(
    name: str, values: list[str], notes: list[str], fit: np.ndarray | None = None
) -> tuple[np.ndarray, list[str]]:
    """One-hot over all rows' categories; missing: the ``fit`` rows' most frequent value."""
    present = [v for v in values if v.lower() not in MISSING]
    counts = Counter(present)
    n_missing = len(values) - len(present)
    filled = values
    if n_missing:
        pool = values if fit is None else [values[i] for i in fit]
        fitted = Counter(v for v in pool if v.lower() not in MISSING)
        where = "" if fit is None else " of the training rows"
        if not fitted:
            fitted, where = counts, " of all rows (the training rows have none)"
        top = max(sorted(fitted), key=lambda v: fitted[v])  # most frequent; ties: first sorted
        filled = [top if v.lower() in MISSING else v for v in values]
        notes.append(
            f"{name}: {plural(n_missing, 'missing value')} imputed with the most frequent"
            f"{where} {top!r}"
        )
    categories = sorted(counts)
    index = {c: i for i, c in enumerate(categories)}
    onehot = np.zeros((len(values), len(categories)), dtype=np.float64)
    onehot[np.arange(len(values)), [index[v] for v in filled]] = 1.0  # one 1 per row
    shown = ", ".join(categories) if len(categories) <= 8 else ", ".join(categories[:8]) + ", …"
    notes.append(f"{name}: one-hot, {len(categories)} categories ({shown})")
    return onehot, [f"{name}={c}" for c in categories]
