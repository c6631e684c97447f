"""CSV files: the stdlib csv module, a little type inference and honest notes.

A column is *numeric* when every present value parses as a number; numeric features are
imputed with the median and standardized (z-score); any other feature is *categorical*,
imputed with the most frequent value and one-hot encoded (one input per category, named
``Column=value``). Missing values are empty fields and NA, NaN, N/A, null, ``?`` (any
case). The target becomes class labels 0..K-1: numbers in numeric order, text in sorted
order. Rows with a missing target are dropped. Everything done to the data is reported
as a line in ``notes``.

Without ``features``, every column except the target is used, except ID-like ones:
text with (nearly) a distinct value per row (names, ticket numbers) and whole-number
row counters (1, 2, 3, …), and columns with no value at all. Each skip is noted.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bntui.data.columns import (
    _NUMERIC_SHARE,
    MISSING,
    _categorical_column,
    _id_like,
    _number,
    _numeric_column,
    fmt,
    plural,
)
from bntui.data.data_error import DataError
from bntui.errors import decode_utf8, read_input
from bntui.safety import clean_text

MAX_CLASSES = 50
"""More distinct target values than this is not a classification task for bntui."""
DISTINCT_SHARE = 0.9
"""A target with distinct values in at least this share of its rows is refused."""

MIN_ROWS = 2
"""Rows needed (after dropping missing targets) to make a training and a validation set."""


@dataclass
class Table:
    """A CSV turned into numbers, before standardization (see ``standardize``)."""

    x: np.ndarray  # float64 (n, d): numeric columns imputed, categorical one-hot 0/1
    y: np.ndarray  # int64 (n,)
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    notes: list[str] = field(default_factory=list)
    numeric: tuple[int, ...] = ()  # columns of x to standardize
    n_test: int = 0  # the last n_test rows come from the test file (``read_table(test=...)``)


def _suggest(name: str, options: list[str]) -> str:
    lowered = {o.lower(): o for o in options}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean {lowered[close[0]]!r}?)" if close else ""


def _delimiter(text: str) -> str:
    """Comma, unless the header line only makes sense split on ';', tab or '|'."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    for d in (",", ";", "\t", "|"):
        if d in header:
            return d
    return ","


def _read_rows(path: Path, label: str) -> tuple[list[str], list[list[str]], list[int]]:
    """Header, data rows (stripped fields) and each row's line number."""
    text = decode_utf8(read_input(path, DataError, "a CSV file"), label, DataError)
    if not text.strip():
        raise DataError(f"{label}: empty file")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        for record in reader:
            fields_ = [(f if f.isprintable() else clean_text(f)).strip() for f in record]
            if not any(fields_):
                continue  # blank line
            if header is None:
                header = fields_
                continue
            if len(fields_) != len(header):
                raise DataError(
                    f"{label}: line {reader.line_num} has {len(fields_)} fields, "
                    f"the header has {len(header)}"
                )
            rows.append(fields_)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise DataError(f"{label}: line {reader.line_num}: {exc}") from None
    if header is None:
        raise DataError(f"{label}: no header row (every line is empty)")
    names = [name or f"column{j + 1}" for j, name in enumerate(header)]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DataError(f"{label}: the header names column {name!r} twice")
        seen.add(name)
    if not rows:
        raise DataError(f"{label}: no data rows after the header")
    return names, rows, lines


def _target(
    values: list[str], lines: list[int], name: str, label: str
) -> tuple[np.ndarray, tuple[str, ...], np.ndarray, list[str]]:
    """(y for kept rows, class names, keep mask, notes) for the target column."""
    keep = np.array([v.lower() not in MISSING for v in values])
    present = [(v, line) for v, line, k in zip(values, lines, keep, strict=True) if k]
    where = f"{label}: column {name!r} (target)"
    if not present:
        raise DataError(f"{where} is entirely empty")
    if len(present) < MIN_ROWS:
        raise DataError(
            f"{label}: too few rows ({len(present)} with a target; need at least {MIN_ROWS})"
        )
    numbers = [_number(v) for v, _ in present]
    n_numeric = sum(v is not None for v in numbers)
    notes = []
    if keep.sum() < len(values):
        notes.append(
            f"{name}: {plural(len(values) - int(keep.sum()), 'row')} with a missing target dropped"
        )
    if n_numeric == len(present):
        distinct = sorted(set(numbers))  # type: ignore[type-var]
        if len(distinct) > MAX_CLASSES:
            kind = "whole" if all(float(v).is_integer() for v in distinct) else "non-integer"
            raise DataError(
                f"{where} has {len(distinct)} distinct {kind} numbers; it looks like a "
                f"regression target (bntui classifies, at most {MAX_CLASSES} classes)"
            )
        index = {v: i for i, v in enumerate(distinct)}
        y = np.array([index[v] for v in numbers], dtype=np.int64)
        names = tuple(str(int(v)) if float(v).is_integer() else fmt(v) for v in distinct)
    elif n_numeric >= len(present) / 2:
        bad, line = next(p for p, v in zip(present, numbers, strict=True) if v is None)
        raise DataError(f"{where} has non-numeric value {bad!r} at line {line}")
    else:
        distinct_text = sorted({v for v, _ in present})
        if len(distinct_text) > MAX_CLASSES:
            raise DataError(
                f"{where} has {len(distinct_text)} distinct values; "
                f"at most {MAX_CLASSES} classes are supported"
            )
        index_text = {v: i for i, v in enumerate(distinct_text)}
        y = np.array([index_text[v] for v, _ in present], dtype=np.int64)
        names = tuple(distinct_text)
    if len(names) < 2:
        raise DataError(f"{where} has a single class {names[0]!r}; nothing to classify")
    if len(names) > 2 and len(names) >= DISTINCT_SHARE * len(present):
        raise DataError(
            f"{where} has {len(names)} distinct values in {len(present)} rows: "
            "(nearly) every row is its own class, so it is not a class label; "
            "choose another --target"
        )
    notes.append(f"{name}: target, {len(names)} classes ({', '.join(names)})")
    return y, names, keep, notes


def read_table(
    path: str | Path,
    target: str,
    features: tuple[str, ...] | list[str] | None = None,
    *,
    fit_rows: Callable[[int], np.ndarray] | None = None,
    test: str | Path | None = None,
) -> Table:
    """Parse a CSV into an unstandardized Table; see the module docstring for the rules.

    ``fit_rows(n)``, called with the number of rows that have a target, returns the rows
    whose values impute the missing ones (the training rows); default: all rows.
    ``test``: a second CSV with the same header; its rows come last (``Table.n_test``),
    encoded like the others and never part of ``fit_rows``."""
    p = Path(path)
    label = str(path)
    names, rows, lines = _read_rows(p, label)
    n_main = len(rows)
    if test is not None:
        test_names, test_rows, test_lines = _read_rows(Path(test), str(test))
        if test_names != names:
            raise DataError(f"{test}: its header differs from {label}'s")
        rows, lines = rows + test_rows, lines + test_lines
    if not target:
        raise DataError(
            f"{label}: give the column to predict with --target (columns: {', '.join(names)})"
        )
    if target not in names:
        raise DataError(
            f"{label}: no column {target!r} for the target{_suggest(target, names)}; "
            f"columns: {', '.join(names)}"
        )
    columns = {name: [row[j] for row in rows] for j, name in enumerate(names)}
    y, class_names, keep, notes = _target(columns[target], lines, target, label)
    kept_lines = [line for line, k in zip(lines, keep, strict=True) if k]
    n_test = int(np.count_nonzero(keep[n_main:]))
    fit = None if fit_rows is None else np.asarray(fit_rows(len(y) - n_test))
    explicit = features is not None
    if features is not None:
        chosen = list(dict.fromkeys(features))  # drop repeats, keep order
        if not chosen:
            raise DataError(f"{label}: --features names no column")
        for name in chosen:
            if name == target:
                raise DataError(
                    f"{label}: column {name!r} is the target; leave it out of --features"
                )
            if name not in names:
                raise DataError(
                    f"{label}: no column {name!r}{_suggest(name, names)}; "
                    f"columns: {', '.join(names)}"
                )
    else:
        chosen = []
        for name in names:
            if name == target:
                continue
            if all(v.lower() in MISSING for v in columns[name]):
                notes.append(f"{name}: skipped, the column is empty")
                continue
            why = _id_like(columns[name])
            if why:
                notes.append(
                    f"{name}: skipped as an ID-like column ({why}); name it in --features to use it"
                )
                continue
            chosen.append(name)
        if not chosen:
            raise DataError(f"{label}: no usable feature column besides the target {target!r}")

    blocks: list[np.ndarray] = []
    feature_names: list[str] = []
    numeric: list[int] = []
    for name in chosen:
        values = [v for v, k in zip(columns[name], keep, strict=True) if k]
        present = [
            (v, line)
            for v, line in zip(values, kept_lines, strict=True)
            if v.lower() not in MISSING
        ]
        if not present:
            if explicit:
                raise DataError(f"{label}: column {name!r} is entirely empty")
            notes.append(f"{name}: skipped, no value in the rows with a target")
            continue
        numbers = [None if v.lower() in MISSING else _number(v) for v in values]
        bad = [(v, line) for (v, line) in present if _number(v) is None]
        if not bad:
            numeric.append(sum(b.shape[1] for b in blocks))
            blocks.append(_numeric_column(name, numbers, notes, fit)[:, None])
            feature_names.append(name)
        elif len(bad) <= (1 - _NUMERIC_SHARE) * len(present):
            value, line = bad[0]
            raise DataError(
                f"{label}: column {name!r} is numeric but has value {value!r} at "
                f"line {line} (leave missing values empty or write NA)"
            )
        else:
            onehot, onehot_names = _categorical_column(name, values, notes, fit)
            blocks.append(onehot)
            feature_names.extend(onehot_names)
    if not blocks:
        raise DataError(f"{label}: no usable feature column")
    notes.insert(0, f"features: {', '.join(chosen)} -> {len(feature_names)} inputs, {len(y)} rows")
    x = np.hstack(blocks)
    return Table(x, y, tuple(feature_names), class_names, notes, tuple(numeric), n_test)


def standardize(
    table: Table, fit_rows: np.ndarray | slice | None = None
) -> tuple[np.ndarray, list[str]]:
    """``table.x`` with its numeric columns z-scored, ``(x - mean) / std``, the mean and
    (population) std taken over ``fit_rows`` (default all rows; pass the training rows
    to keep validation data out of the statistics). Returns (x, notes)."""
    x = table.x.copy()
    rows = slice(None) if fit_rows is None else fit_rows
    notes = []
    for j in table.numeric:
        fit = x[rows, j]
        mean, std = float(fit.mean()), float(fit.std())  # z = (x - mean) / std, ddof 0
        name = table.feature_names[j]
        if std == 0.0:
            x[:, j] -= mean
            notes.append(f"{name}: constant ({fmt(mean)}), centred to 0; it carries no information")
        else:
            x[:, j] = (x[:, j] - mean) / std
            notes.append(f"{name}: standardized with mean {fmt(mean)}, std {fmt(std)}")
    return x, notes


def load_csv(
    path: str | Path, target: str, features: tuple[str, ...] | list[str] | None = None
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """``(x, y, feature_names, class_names, notes)`` from a CSV file.

    ``x`` is float64 with numeric columns standardized over all rows (``load_dataset``
    instead fits the statistics on the training rows only); ``y`` int64 labels."""
    table = read_table(path, target, features)
    x, scale_notes = standardize(table)
    return x, table.y, table.feature_names, table.class_names, tuple(table.notes + scale_notes)
