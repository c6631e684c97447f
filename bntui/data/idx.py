"""IDX files, the MNIST family's format.

Layout: two zero bytes, a type byte (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
0x0D float32, 0x0E float64), a byte with the number of dimensions, then each dimension
as a big-endian uint32, then the data in C order, big-endian. Files ending in ``.gz``
(or starting with the gzip magic) are decompressed transparently.
"""

from __future__ import annotations

import gzip
import os
import tempfile
import zlib
from pathlib import Path

import numpy as np

from bntui.data.data_error import DataError
from bntui.errors import stat_input

_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("="): code for code, dt in _TYPES.items()}

_GZIP_MAGIC = b"\x1f\x8b"
MAX_IDX_BYTES = 1 << 30
"""Largest IDX payload read (1 GiB; MNIST's training images are 47 MB)."""


def _header(p: Path, head: bytes, fh) -> tuple[np.dtype, tuple[int, ...], int, int]:
    """(dtype, dims, header bytes, data bytes) from the first bytes of an IDX stream."""
    if len(head) < 4:
        raise DataError(f"{p}: truncated IDX file ({len(head)} bytes, no header)")
    if head[0] != 0 or head[1] != 0:
        raise DataError(f"{p}: not an IDX file (magic starts {head[:2].hex()}, expected 0000)")
    code, ndim = head[2], head[3]
    if code not in _TYPES:
        raise DataError(f"{p}: unknown IDX data type 0x{code:02x}")
    if ndim == 0:
        raise DataError(f"{p}: IDX header declares 0 dimensions")
    size = 4 + 4 * ndim
    raw_dims = fh.read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise DataError(f"{p}: truncated IDX header ({4 + len(raw_dims)} of {size} bytes)")
    dims = tuple(int(d) for d in np.frombuffer(raw_dims, dtype=">u4"))
    dtype = _TYPES[code]
    expected = int(np.prod(dims, dtype=object)) * dtype.itemsize  # exact, no overflow
    if expected > MAX_IDX_BYTES:
        raise DataError(
            f"{p}: IDX header declares shape {dims} ({expected / 2**20:,.0f} MiB of data); "
            f"bntui reads at most {MAX_IDX_BYTES // 2**20} MiB"
        )
    return dtype, dims, size, expected


def read_idx(path: str | Path) -> np.ndarray:
    """The array stored in an IDX file (native byte order, writable).

    The header is read first and only the data it declares is read (or decompressed)
    after it, so a gzip bomb is refused after one byte past the declared size.
    Raises DataError for a missing, truncated, corrupt or over-long file."""
    p = Path(path)
    st = stat_input(p, DataError, "an IDX file")
    try:
        with p.open("rb") as raw:
            magic = raw.read(2)
            raw.seek(0)
            if magic == _GZIP_MAGIC:
                with gzip.GzipFile(fileobj=raw, mode="rb") as fh:
                    return _read_stream(p, fh, None)
            if p.suffix == ".gz":
                raise DataError(f"{p}: named .gz but is not gzip data")
            return _read_stream(p, raw, st.st_size)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DataError(f"{p}: corrupt or truncated gzip data ({exc})") from None
    except OSError as exc:
        raise DataError(f"{p}: cannot read ({exc.strerror or exc})") from None


def _read_stream(p: Path, fh, file_size: int | None) -> np.ndarray:
    dtype, dims, head, expected = _header(p, fh.read(4), fh)
    if file_size is not None and file_size - head > expected:
        raise DataError(
            f"{p}: corrupt IDX file: {file_size - head - expected} bytes after the data "
            f"of shape {dims}"
        )
    data = fh.read(expected)
    if len(data) < expected:
        raise DataError(
            f"{p}: truncated IDX file: shape {dims} needs {expected} data bytes, found {len(data)}"
        )
    if fh.read(1):
        raise DataError(
            f"{p}: corrupt IDX file: more data than its header declares (shape {dims}, "
            f"{expected} bytes); refused"
        )
    array = np.frombuffer(data, dtype=dtype, count=expected // dtype.itemsize)
    return array.reshape(dims).astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (gzipped when the name ends in .gz), atomically."""
    a = np.asarray(array)
    native = a.dtype.newbyteorder("=")
    if native not in _CODES:
        kinds = "uint8, int8, int16, int32, float32, float64"
        raise DataError(f"{path}: IDX cannot store dtype {a.dtype} (use {kinds})")
    if not 1 <= a.ndim <= 255 or any(d >= 2**32 for d in a.shape):
        raise DataError(f"{path}: IDX cannot store an array of shape {a.shape}")
    code = _CODES[native]
    header = bytes([0, 0, code, a.ndim]) + np.asarray(a.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(a, dtype=_TYPES[code]).tobytes()
    p = Path(path)
    if p.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)  # mtime 0: same array, same bytes
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _find(directory: Path, prefix: str, kind: str) -> Path | None:
    """The file for e.g. ('train', 'images-idx3'), under its standard names."""
    dotted = kind.replace("-", ".")  # Kaggle's copies: train-images.idx3-ubyte
    for stem in (f"{prefix}-{kind}-ubyte", f"{prefix}-{dotted}-ubyte"):
        for suffix in ("", ".gz"):
            candidate = directory / (stem + suffix)
            if candidate.is_file():
                return candidate
    return None


def _pair(directory: Path, prefix: str) -> tuple[np.ndarray, np.ndarray] | None:
    images = _find(directory, prefix, "images-idx3")
    labels = _find(directory, prefix, "labels-idx1")
    if images is None and labels is None:
        return None
    if images is None or labels is None:
        if labels is None:
            have, missing = images, f"{prefix}-labels-idx1-ubyte"
        else:
            have, missing = labels, f"{prefix}-images-idx3-ubyte"
        raise DataError(f"{directory}: found {have.name} but not {missing}[.gz]")
    x, y = read_idx(images), read_idx(labels)
    if x.ndim < 2:
        raise DataError(f"{images}: images must have at least 2 dimensions, got shape {x.shape}")
    if y.ndim != 1:
        raise DataError(f"{labels}: labels must be 1-dimensional, got shape {y.shape}")
    if len(x) != len(y):
        raise DataError(
            f"{directory}: {images.name} has {len(x)} images but {labels.name} has {len(y)} labels"
        )
    return x, y


def load_idx_dir(
    path: str | Path,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """``(x_train, y_train, x_test, y_test)`` from a directory of MNIST-style IDX files.

    Arrays are returned as stored (uint8 images ``(n, rows, cols)``, labels ``(n,)``).
    Either pair alone is enough: the test pair is then None (a lone t10k pair is
    returned as the training pair)."""
    d = Path(path)
    if not d.is_dir():
        raise DataError(f"{d}: not a directory")
    train, test = _pair(d, "train"), _pair(d, "t10k")
    if train is None and test is None:
        raise DataError(
            f"{d}: no IDX files found (expected train-images-idx3-ubyte[.gz] and "
            "train-labels-idx1-ubyte[.gz], or the t10k-* pair)"
        )
    if train is None or test is None:
        x, y = train if train is not None else test  # type: ignore[misc]
        return x, y, None, None
    if train[0].shape[1:] != test[0].shape[1:]:
        raise DataError(
            f"{d}: train images are {train[0].shape[1:]} but t10k images are {test[0].shape[1:]}"
        )
    return train[0], train[1], test[0], test[1]
