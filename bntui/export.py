"""Writers for metrics (JSONL / CSV), events and models (.npz): all atomic.

A file is written under a temporary name in the target's directory and renamed into
place when complete, so an interrupted run never leaves a half-written file: rows that
were finished are kept, the rest never appear. Existing files are not overwritten unless
``force`` is given.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
import stat
import tempfile
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, Self

import numpy as np

from bntui.errors import BntuiError
from bntui.training.metrics import layer_metric


class ExportError(BntuiError, OSError):
    """A file that cannot be written; the message is one line for the user."""


def _file_mode() -> int:
    """rw for whoever the umask allows: mkstemp's own 0600 is wrong for shared results."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


FILE_MODE = _file_mode()  # read once, at import: os.umask is process-wide


_SPECIAL = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def _special(p: Path) -> str | None:
    """What ``p`` is when it exists and is not a regular file or directory (else None)."""
    try:
        mode = os.lstat(p).st_mode
    except OSError:
        return None
    return next((what for test, what in _SPECIAL if test(mode)), None)


def check_target(path: str | Path, *, force: bool = False) -> Path:
    """Refuse to overwrite an existing file (without force) or to write into a missing dir.

    Even with force, a symbolic link, device, FIFO or socket is never replaced.
    """
    p = Path(path)
    special = _special(p)
    if special is not None:
        raise ExportError(f"{p} is {special}; bntui only writes regular files, not replacing it")
    if p.exists() and not force:
        raise ExportError(f"{p} exists; use --force to overwrite it")
    if p.is_dir():
        raise ExportError(f"{p} is a directory")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise ExportError(f"{parent}: no such directory")
    if not os.access(parent, os.W_OK):
        raise ExportError(f"{parent}: not writable")
    return p


def _place(tmp: Path, path: Path, *, force: bool) -> None:
    """Move the finished ``tmp`` to ``path``; without force, never over a file that appeared.

    Without force the temporary file is hard-linked to its name (which fails if the name
    exists, so a second run writing the same path cannot replace the first one's file);
    where hard links are not supported the name is claimed with ``O_CREAT | O_EXCL``.
    """
    special = _special(path)
    if special is not None:
        raise ExportError(f"{path} became {special} while writing; not replacing it")
    if force:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise ExportError(
            f"{path} was created by another program while this run was writing it; "
            "it was not replaced (use --force to overwrite)"
        ) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
        except FileExistsError:
            raise ExportError(
                f"{path} was created by another program while this run was writing it; "
                "it was not replaced (use --force to overwrite)"
            ) from None
        os.replace(tmp, path)
        return
    tmp.unlink(missing_ok=True)


def dumps_record(record: dict[str, Any]) -> str:
    """One JSON line; key order as built, no whitespace, NaN written as null."""
    return json.dumps(_clean(record), separators=(",", ":"), ensure_ascii=False)


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


class _KeptOnSuccess:
    """The writers' context protocol: keep the file on success or ctrl+c, drop it on error."""

    def close(self) -> None:
        raise NotImplementedError

    def discard(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None or issubclass(exc_type, KeyboardInterrupt):
            try:
                self.close()
            except BaseException:
                self.discard()  # a second ctrl+c mid-close: no temporary file is left
                raise
        else:
            self.discard()


class AtomicWriter(_KeptOnSuccess):
    """A text file filled bit by bit and moved into place on ``close()``.

    Use as a context manager: on success or KeyboardInterrupt the rows written so far are
    kept (renamed into place); on any other error the temporary file is removed.
    """

    def __init__(self, path: str | Path, *, force: bool = False) -> None:
        self.path = check_target(path, force=force)
        self.force = force
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent or ".")
        except OSError as exc:
            raise ExportError(f"{self.path}: cannot write ({exc.strerror})") from None
        self._tmp = Path(tmp)
        os.chmod(fd, FILE_MODE)
        self._fh: io.TextIOWrapper = os.fdopen(fd, "w", encoding="utf-8", newline="")

    def write(self, text: str) -> None:
        try:
            self._fh.write(text)
        except OSError as exc:
            self.discard()
            raise ExportError(f"{self.path}: cannot write ({exc.strerror})") from None

    def close(self) -> None:
        if self._fh.closed:
            return
        try:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            _place(self._tmp, self.path, force=self.force)
        except ExportError:
            self.discard()
            raise
        except OSError as exc:
            self.discard()
            raise ExportError(f"{self.path}: cannot write ({exc.strerror})") from None

    def discard(self) -> None:
        """Drop the temporary file; never raises (it runs while another error is reported)."""
        if not self._fh.closed:
            with contextlib.suppress(OSError):  # close flushes: fails again on a full disk
                self._fh.close()
        self._tmp.unlink(missing_ok=True)


def write_text(path: str | Path, text: str, *, force: bool = False) -> Path:
    with AtomicWriter(path, force=force) as w:
        w.write(text)
    return Path(path)


# The CSV columns of a metrics record; per-layer statistics become L<i>.<key> columns.
# Compare mode adds "twin"; other top-level fields (ICS L<i>.ics_*, smoothness) follow.
CSV_BASE = (
    "step", "twin", "epoch", "lr", "loss", "penalty", "acc", "val_loss", "val_acc",
    "train_eval_acc", "test_loss", "test_acc", "events",
)  # fmt: skip


def flatten_record(record: dict[str, Any]) -> dict[str, Any]:
    row = {k: record[k] for k in CSV_BASE if k in record}
    if "events" in row:
        row["events"] = "; ".join(row["events"])
    row.update({k: v for k, v in record.items() if k not in row and k != "layers"})
    for i, layer in enumerate(record.get("layers", ()), start=1):
        for key, value in layer.items():
            row[layer_metric(i, key)] = value
    return row


class MetricsWriter(_KeptOnSuccess):
    """Streams step records to .jsonl or .csv (chosen by the file's suffix).

    Both kinds write each row as it comes (memory stays flat, ctrl+c is quick). A CSV's
    columns are the union of every row's, in order of first appearance: rows go out with
    the columns known so far, and if a later row brings new ones (a layer added, the first
    statistics) the file is rewritten once at close with the full header, earlier rows
    padded with empty cells.
    """

    def __init__(self, path: str | Path, *, force: bool = False) -> None:
        self.path = Path(path)
        self.kind = "csv" if self.path.suffix.lower() == ".csv" else "jsonl"
        self._out = AtomicWriter(self.path, force=force)
        self._columns: dict[str, None] = {}
        self._written: int | None = None  # columns in the header written first
        self._grown = False
        self._buf = io.StringIO()

    def write(self, record: dict[str, Any]) -> None:
        if self.kind == "jsonl":
            self._out.write(dumps_record(record) + "\n")
            return
        row = flatten_record(record)
        if any(k not in self._columns for k in row):
            self._columns.update(dict.fromkeys(row))
            if self._written is not None:
                self._grown = True
        fieldnames = list(self._columns)
        w = csv.DictWriter(self._buf, fieldnames=fieldnames, lineterminator="\n")
        if self._written is None:
            w.writeheader()
            self._written = len(fieldnames)
        w.writerow(_clean(row))
        self._out.write(self._buf.getvalue())
        self._buf.seek(0)
        self._buf.truncate()

    def write_many(self, records: Iterable[dict[str, Any]]) -> None:
        for r in records:
            self.write(r)

    def close(self) -> None:
        if self.kind == "csv" and self._written is None:
            self._out.write("\n")  # no rows: an empty header line, as before
        if self.kind == "csv" and self._grown and not self._out._fh.closed:
            self._rewrite_padded()
        self._out.close()

    def _rewrite_padded(self) -> None:
        """Put the full header on top and pad the rows written with fewer columns."""
        fh = self._out._fh
        fh.flush()
        columns = list(self._columns)
        with open(self._out._tmp, encoding="utf-8", newline="") as old:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
            try:
                os.chmod(fd, FILE_MODE)
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as new:
                    reader = csv.reader(old)
                    next(reader)  # the first, shorter header
                    writer = csv.writer(new, lineterminator="\n")
                    writer.writerow(columns)
                    for cells in reader:
                        writer.writerow(cells + [""] * (len(columns) - len(cells)))
                fh.close()
                os.replace(tmp, self._out._tmp)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        self._out._fh = open(self._out._tmp, "a", encoding="utf-8", newline="")  # noqa: SIM115

    def discard(self) -> None:
        self._out.discard()


def open_metrics(path: str | Path | None, *, force: bool = False) -> AbstractContextManager:
    """``with open_metrics(path) as writer``: a MetricsWriter, or None when no path is given."""
    return MetricsWriter(path, force=force) if path else nullcontext(None)


def save_model(path: str | Path, arrays: dict[str, np.ndarray], *, force: bool = False) -> Path:
    """Write named arrays to an .npz atomically (plain arrays only: loadable without pickle)."""
    p = check_target(path, force=force)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".npz", dir=p.parent or ".")
    os.chmod(fd, FILE_MODE)
    os.close(fd)
    try:
        np.savez(tmp, **arrays)
        _place(Path(tmp), p, force=force)
    except ExportError:
        Path(tmp).unlink(missing_ok=True)
        raise
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ExportError(f"{p}: cannot write ({exc.strerror})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p
