"""``DIR/results.jsonl``: one JSON object per finished trial, appended and flushed at once.

Only the parent process writes it, one whole line per trial, so ctrl+c (or a crash) can at
worst leave a partial last line; reading ignores it and ``--resume`` cuts it off before
appending."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from bntui.errors import decode_utf8, read_input
from bntui.experiments.space import SweepError
from bntui.export import FILE_MODE, dumps_record

RESULTS = "results.jsonl"


def results_path(directory: str | Path) -> Path:
    return Path(directory) / RESULTS


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a results file; a partial last line (an interrupted write) is skipped."""
    p = Path(path)
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
        rows.append(row)
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
        if self.path.exists():
            if not resume:
                raise SweepError(
                    f"{self.path} exists; use --resume to run only the missing trials, "
                    "or choose another --out"
                )
            for row in read_rows(self.path):
                self.done[row["trial"]] = row
            self._cut_partial_line()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        except OSError as exc:
            raise SweepError(f"{self.path}: cannot write ({exc.strerror or exc})") from None
        self._fh = os.fdopen(fd, "a", encoding="utf-8", newline="")

    def _cut_partial_line(self) -> None:
        raw = self.path.read_bytes()
        if raw and not raw.endswith(b"\n"):
            keep = raw.rfind(b"\n") + 1
            with self.path.open("r+b") as fh:
                fh.truncate(keep)

    def add(self, row: dict[str, Any]) -> None:
        self._fh.write(dumps_record(row) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.done[row["trial"]] = row

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
