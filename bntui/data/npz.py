"""Reading the header of an array in an ``.npz`` before reading the array itself.

An ``.npz`` is a zip of ``.npy`` files; each starts with a small header (dtype, shape).
Checking that header first refuses a file that claims a huge shape, lies about its size,
or holds pickled objects, before a single large allocation is made.
"""

from __future__ import annotations

import zipfile

import numpy as np

from bntui.data.data_error import DataError

MAX_NPZ_BYTES = 1 << 30
"""Largest array read from an .npz (1 GiB), checked from its header before reading."""


def npz_header(archive: zipfile.ZipFile, key: str, label: str) -> tuple[tuple, np.dtype, int]:
    """(shape, dtype, header bytes) of ``key``.npy, read from its header alone."""
    info = archive.getinfo(f"{key}.npy")
    with archive.open(info) as fh:
        try:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, _fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            else:
                shape, _fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        except ValueError as exc:
            if "max_header_size" in str(exc) or "is large" in str(exc):
                raise DataError(
                    f"{label}: the header of array {key!r} is too large to be a plain array; "
                    "refused"
                ) from None
            raise DataError(f"{label}: array {key!r} has a bad .npy header ({exc})") from None
        header = fh.tell()
    return shape, dtype, header


def check_npz_header(archive: zipfile.ZipFile, key: str, label: str) -> None:
    """Refuse ``key``.npy from its header alone: a huge, lying or pickled array."""
    info = archive.getinfo(f"{key}.npy")
    shape, dtype, header = npz_header(archive, key, label)
    if dtype.hasobject:
        raise DataError(
            f"{label}: holds a pickled object array; bntui never loads pickles "
            "(save plain numeric arrays)"
        )
    nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if nbytes > MAX_NPZ_BYTES:
        raise DataError(
            f"{label}: array {key!r} declares shape {shape} ({nbytes / 2**30:,.1f} GiB); "
            f"bntui reads at most {MAX_NPZ_BYTES // 2**20} MiB"
        )
    if nbytes != info.file_size - header:
        raise DataError(
            f"{label}: array {key!r} declares shape {shape} ({nbytes} bytes) but holds "
            f"{info.file_size - header} bytes (truncated or corrupt)"
        )
