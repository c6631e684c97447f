"""How big a data file's arrays are, read from its headers alone (nothing large is read).

``bntui.training.memory`` adds this to its estimate before a file is loaded, so an ``.npz`` or IDX
file whose headers promise more than the machine can hold is refused before a single
large allocation, and a CSV is weighed by what parsing it costs.
"""

from __future__ import annotations

import gzip
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bntui.data.data_error import DataError
from bntui.data.idx import _GZIP_MAGIC, _find, _header
from bntui.data.npz import check_npz_header, npz_header

ARRAY_COPIES = 2
"""A stored array is held twice while it is read: as read, and as the rows picked from it."""
CSV_BYTES_PER_BYTE = 16
"""Peak memory per byte of CSV text while it is parsed (measured: a 19.4 MB CSV of 10
numeric columns raised peak RSS by 283 MB, 14.6×: Python strings and lists per cell)."""


@dataclass(frozen=True)
class StoredSize:
    """Samples, inputs per sample, and the bytes held while the file is read and converted
    (the stored arrays, or a CSV's parsed rows), before the float copies are made."""

    rows: int
    inputs: int
    stored: int


def _npz(path: Path) -> StoredSize:
    with zipfile.ZipFile(path) as archive:
        shapes = {}
        for key in ("x", "y"):
            check_npz_header(archive, key, str(path))  # a lying or pickled array: named
            shape, dtype, _ = npz_header(archive, key, str(path))
            shapes[key] = (shape, int(math.prod(shape)) * dtype.itemsize)
    x_shape = shapes["x"][0]
    rows = int(x_shape[0]) if x_shape else 1
    stored = ARRAY_COPIES * (shapes["x"][1] + shapes["y"][1])
    return StoredSize(rows, int(math.prod(x_shape[1:])), stored)


def _idx_header(path: Path) -> tuple[tuple[int, ...], int]:
    with path.open("rb") as raw:
        magic = raw.read(2)
        raw.seek(0)
        fh = gzip.GzipFile(fileobj=raw, mode="rb") if magic == _GZIP_MAGIC else raw
        _dtype, dims, _head, nbytes = _header(path, fh.read(4), fh)
    return dims, nbytes


def _idx_dir(directory: Path) -> StoredSize:
    rows = inputs = stored = 0
    for prefix in ("train", "t10k"):
        images = _find(directory, prefix, "images-idx3")
        labels = _find(directory, prefix, "labels-idx1")
        if images is not None:
            dims, nbytes = _idx_header(images)
            rows, inputs, stored = rows + dims[0], int(math.prod(dims[1:])), stored + nbytes
        if labels is not None:
            stored += _idx_header(labels)[1]
    return StoredSize(rows, inputs, ARRAY_COPIES * stored)


def _csv(path: Path) -> StoredSize:
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(1 << 16).split(b"\n")
    columns = max(1, len(head[0].replace(b";", b",").replace(b"\t", b",").split(b",")))
    line = max(2, len(head[1]) + 1 if len(head) > 2 else size)
    return StoredSize(max(1, size // line), max(1, columns - 1), size * CSV_BYTES_PER_BYTE)


def stored_size(path: str | Path) -> StoredSize | None:
    """The size of the data at ``path`` (a .csv, an .npz or a directory of IDX files) from
    its headers, or None when they cannot be read (loading it then says what is wrong).

    DataError for headers the loader refuses too (a pickle, a lie, past the 1 GiB cap)."""
    p = Path(path).expanduser()
    try:
        if p.is_dir():
            return _idx_dir(p)
        suffix = p.suffix.lower()
        if not p.is_file():
            return None
        if suffix == ".npz":
            return _npz(p)
        if suffix == ".csv":
            return _csv(p)
    except DataError:
        raise
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile):
        return None
    return None
