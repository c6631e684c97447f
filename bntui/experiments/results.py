"""``DIR/results.jsonl``: one JSON object per finished trial, appended and flushed at once.

Only the parent process writes it, one whole line per trial, so ctrl+c (or a crash) can at
worst leave a partial last line; reading ignores it and ``--resume`` cuts it off before
appending.

A results file is untrusted input (``--show`` reads whatever is there): it is never
reached through a symbolic link, and every row is cleaned (``clean_row``) before anything
prints it: no escapes, ``params`` a flat table, numbers finite and within ``BIG``."""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
from pathlib import Path
from typing import Any

from bntui.errors import decode_utf8, read_input
from bntui.experiments.space import SweepError
from bntui.export import FILE_MODE, dumps_record
from bntui.safety import clean_text

RESULTS = "results.jsonl"
NUMBERS = ("val_acc", "val_loss", "train_eval_acc", "train_loss", "penalty")
BIG = 1e15  # a number beyond this in a results file is shown as missing
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _text(value: Any, limit: int = 200) -> str:
    return clean_text(value if isinstance(value, str) else json.dumps(value))[:limit]


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) and abs(value) <= BIG else None


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return _number(value)
    return _text(value)


def clean_row(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` made safe to print and compute with: strings without escapes or controls
    (cut to 200 characters), ``params`` a dict of plain values (anything else: empty),
    metrics and seed numbers or None (1e308, strings, lists: None)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        key = _text(key, 100)
        if key == "params":
            items = value.items() if isinstance(value, dict) else ()
            out[key] = {_text(k, 100): _scalar(v) for k, v in items}
        elif key in NUMBERS or key in ("seed", "steps", "epoch"):
            out[key] = _number(value)
        elif isinstance(value, list):
            out[key] = [_scalar(v) for v in value]
        else:
            out[key] = _scalar(value)
    out.setdefault("params", {})
    return out


def _refuse_link(p: Path) -> None:
    if p.is_symlink():
        raise SweepError(f"{p}: is a symbolic link; a results file is never followed (remove it)")


def results_path(directory: str | Path) -> Path:
    return Path(directory) / RESULTS


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a results file; a partial last line (an interrupted write) is skipped."""
    p = Path(path)
    _refuse_link(p)
    if not p.exists():
        raise SweepError(f"{p}: no such file (run a sweep with --out first)")
    text = decode_utf8(read_input(p, SweepError, "a results file"), str(p), SweepError)
    lines = text.split("\n")
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):  # no newline after it: cut short by an interruption
                continue
            raise SweepError(f"{p}:{number}: not a JSON line; not a bntui results file") from None
        if not isinstance(row, dict) or not isinstance(row.get("trial"), str):
            raise SweepError(f"{p}:{number}: a row without a 'trial' id; not a results file")
        rows.append(clean_row(row))
    return rows


class ResultsWriter:
    """Appends rows to ``DIR/results.jsonl``; each row is on disk when ``add`` returns."""

    def __init__(self, directory: str | Path, *, resume: bool) -> None:
        d = Path(directory)
        if d.exists() and not d.is_dir():
            raise SweepError(f"--out {d}: exists and is not a directory")
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SweepError(f"--out {d}: cannot create ({exc.strerror or exc})") from None
        self.path = results_path(d)
        self.done: dict[str, dict[str, Any]] = {}
        _refuse_link(self.path)  # dangling or not: never written through
        if self.path.exists():
            if not resume:
                raise SweepError(
                    f"{self.path} exists; use --resume to run only the missing trials, "
                    "or choose another --out"
                )
            for row in read_rows(self.path):
                self.done[row["trial"]] = row
            self._cut_partial_line()
        self.created = not self.path.exists()
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | _NOFOLLOW
            fd = os.open(self.path, flags, FILE_MODE)
        except OSError as exc:
            raise self._error(exc, "cannot write") from None
        self._fh = os.fdopen(fd, "a", encoding="utf-8", newline="")

    def _error(self, exc: OSError, what: str) -> SweepError:
        if exc.errno == errno.ELOOP:
            return SweepError(f"{self.path}: is a symbolic link; a results file is never followed")
        return SweepError(f"{self.path}: {what} ({exc.strerror or exc})")

    def _cut_partial_line(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | _NOFOLLOW)
        except OSError as exc:
            raise self._error(exc, "cannot open") from None
        with os.fdopen(fd, "r+b") as fh:
            raw = fh.read()
            if raw and not raw.endswith(b"\n"):
                fh.truncate(raw.rfind(b"\n") + 1)

    def add(self, row: dict[str, Any]) -> None:
        try:
            self._fh.write(dumps_record(row) + "\n")
            self._fh.flush()
            os.fsync(self._fh.fileno())
        except OSError as exc:  # a full disk: name the file
            raise self._error(exc, "cannot write") from None
        self.done[row["trial"]] = row

    def close(self) -> None:
        if not self._fh.closed:
            with contextlib.suppress(OSError):  # the write that failed already said why
                self._fh.close()
        if self.created and not self.done:
            # nothing was written: a failed start leaves no empty file blocking the rerun
            with contextlib.suppress(OSError):
                if self.path.stat().st_size == 0:
                    self.path.unlink()

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
