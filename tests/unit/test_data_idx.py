"""IDX files: the byte layout, round trips, damaged files, and MNIST-style directories."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from bntui.data import DataError, load_idx_dir, read_idx, write_idx


def images(n: int, seed: int = 0, side: int = 4) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, side, side), dtype=np.uint8)


def test_header_bytes_follow_the_format(tmp_path: Path) -> None:
    a = np.arange(6, dtype=np.uint8).reshape(2, 3)
    write_idx(tmp_path / "a", a)
    raw = (tmp_path / "a").read_bytes()
    # magic 00 00, type 0x08 (uint8), 2 dims; dims as big-endian uint32; then the data
    assert raw == bytes([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 1, 2, 3, 4, 5])
    b = np.array([1, -2], dtype=np.int32)
    write_idx(tmp_path / "b", b)
    assert (tmp_path / "b").read_bytes() == bytes(
        [0, 0, 0x0C, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFE]
    )


@pytest.mark.parametrize("name", ["x-idx3-ubyte", "x-idx3-ubyte.gz"])
@pytest.mark.parametrize(
    "array",
    [
        images(5),
        np.arange(10, dtype=np.uint8),
        np.array([[-3, 7], [2**20, -(2**30)]], dtype=np.int32),
        np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 2, 2),
        np.array([np.pi, -np.e, 1e-300]),
        np.array([-128, 127], dtype=np.int8),
        np.array([-300, 300], dtype=np.int16),
    ],
)
def test_round_trip(tmp_path: Path, name: str, array: np.ndarray) -> None:
    write_idx(tmp_path / name, array)
    back = read_idx(tmp_path / name)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    back[...] = 0  # writable, native order
    if name.endswith(".gz"):
        assert (tmp_path / name).read_bytes()[:2] == b"\x1f\x8b"


def test_gzip_detected_by_content(tmp_path: Path) -> None:
    a = images(3)
    write_idx(tmp_path / "plain", a)
    (tmp_path / "zipped-without-suffix").write_bytes(
        gzip.compress((tmp_path / "plain").read_bytes())
    )
    np.testing.assert_array_equal(read_idx(tmp_path / "zipped-without-suffix"), a)


def test_refuses_unstorable_arrays(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot store dtype int64"):
        write_idx(tmp_path / "x", np.arange(3))
    with pytest.raises(DataError, match="cannot store an array of shape"):
        write_idx(tmp_path / "x", np.array(5, dtype=np.uint8))


@pytest.mark.parametrize(
    ("cut", "message"),
    [
        (
            lambda raw: raw[:-1],
            "truncated IDX file: shape \\(5, 4, 4\\) needs 80 data bytes, found 79",
        ),
        (lambda raw: raw[:10], "truncated IDX header"),
        (lambda raw: raw[:2], "no header"),
        (lambda raw: raw + b"\0\0", "2 bytes after the data"),
        (lambda raw: b"\x01" + raw[1:], "not an IDX file"),
        (lambda raw: raw[:2] + b"\x07" + raw[3:], "unknown IDX data type 0x07"),
        (lambda raw: raw[:3] + b"\x00", "0 dimensions"),
    ],
)
def test_damaged_files(tmp_path: Path, cut, message: str) -> None:
    write_idx(tmp_path / "ok", images(5))
    (tmp_path / "bad").write_bytes(cut((tmp_path / "ok").read_bytes()))
    with pytest.raises(DataError, match=message):
        read_idx(tmp_path / "bad")


def test_damaged_gzip(tmp_path: Path) -> None:
    write_idx(tmp_path / "ok.gz", images(50, side=8))
    raw = (tmp_path / "ok.gz").read_bytes()
    (tmp_path / "cut.gz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError, match="corrupt or truncated gzip"):
        read_idx(tmp_path / "cut.gz")
    (tmp_path / "fake.gz").write_bytes(b"\0\0\x08\x01\0\0\0\0")
    with pytest.raises(DataError, match="named .gz but is not gzip"):
        read_idx(tmp_path / "fake.gz")
    with pytest.raises(DataError, match="no such file"):
        read_idx(tmp_path / "absent")


def write_pair(d: Path, prefix: str, n: int, seed: int, gz: bool = True) -> tuple:
    x, y = images(n, seed), np.random.default_rng(seed).integers(0, 10, n).astype(np.uint8)
    suffix = ".gz" if gz else ""
    write_idx(d / f"{prefix}-images-idx3-ubyte{suffix}", x)
    write_idx(d / f"{prefix}-labels-idx1-ubyte{suffix}", y)
    return x, y


def test_directory_with_both_pairs(tmp_path: Path) -> None:
    x, y = write_pair(tmp_path, "train", 20, 1)
    xt, yt = write_pair(tmp_path, "t10k", 7, 2, gz=False)
    got = load_idx_dir(tmp_path)
    for a, b in zip(got, (x, y, xt, yt), strict=True):
        np.testing.assert_array_equal(a, b)


def test_directory_with_one_pair(tmp_path: Path) -> None:
    x, y = write_pair(tmp_path, "train", 12, 3)
    gx, gy, tx, ty = load_idx_dir(tmp_path)
    np.testing.assert_array_equal(gx, x)
    np.testing.assert_array_equal(gy, y)
    assert tx is None and ty is None
    only_test = tmp_path / "t"
    only_test.mkdir()
    x, y = write_pair(only_test, "t10k", 9, 4)
    gx, gy, tx, ty = load_idx_dir(only_test)
    np.testing.assert_array_equal(gx, x)
    assert tx is None


def test_kaggle_dotted_names(tmp_path: Path) -> None:
    write_idx(tmp_path / "train-images.idx3-ubyte", images(4))
    write_idx(tmp_path / "train-labels.idx1-ubyte", np.arange(4, dtype=np.uint8))
    assert load_idx_dir(tmp_path)[0].shape == (4, 4, 4)


def test_directory_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no IDX files found"):
        load_idx_dir(tmp_path)
    with pytest.raises(DataError, match="not a directory"):
        load_idx_dir(tmp_path / "absent")
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images(5))
    with pytest.raises(DataError, match="found train-images-idx3-ubyte.gz but not train-labels"):
        load_idx_dir(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(6, dtype=np.uint8))
    with pytest.raises(DataError, match="has 5 images but train-labels-idx1-ubyte.gz has 6 labels"):
        load_idx_dir(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(5, dtype=np.uint8))
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images(2, side=3))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(2, dtype=np.uint8))
    with pytest.raises(DataError, match=r"train images are \(4, 4\) but t10k images are \(3, 3\)"):
        load_idx_dir(tmp_path)
