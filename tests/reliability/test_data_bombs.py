"""Issue 12, causes 6, 7, 11 and 12: bombs, lies and blocking inputs in data files.

Each case goes through the real CLI (a subprocess): one line ``bntui: error: …``, exit 2,
quickly, and within a memory bound where the file tries to exhaust it.
"""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from rel_helpers import bntui, env_for, one_error_line

RUN = ["run", "--steps", "2", "-q"]


def _idx_header(dims: tuple[int, ...]) -> bytes:
    return bytes([0, 0, 0x08, len(dims)]) + np.asarray(dims, dtype=">u4").tobytes()


def peak_rss_mib(argv: list[str], cwd: Path, timeout: float = 60) -> tuple[int, str, float, float]:
    """(exit code, stderr, seconds, peak RSS in MiB) of ``bntui ARGV``, via wait4."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bntui", *argv],
        cwd=cwd,
        env=env_for(cwd),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    err = proc.stderr.read().decode() if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, err, time.perf_counter() - started, usage.ru_maxrss / 1024


@pytest.fixture(scope="module")
def idx_bomb(tmp_path_factory) -> Path:
    """train-images declares 10 images of 28×28 (7,840 bytes) but inflates to 600 MiB."""
    d = tmp_path_factory.mktemp("bomb")
    zeros = bytes(16 << 20)
    with gzip.open(d / "train-images-idx3-ubyte.gz", "wb", compresslevel=1) as fh:
        fh.write(_idx_header((10, 28, 28)))
        for _ in range(600 // 16):
            fh.write(zeros)
    with gzip.open(d / "train-labels-idx1-ubyte.gz", "wb") as fh:
        fh.write(bytes([0, 0, 0x08, 1]) + np.asarray([10], ">u4").tobytes() + bytes(range(10)))
    assert (d / "train-images-idx3-ubyte.gz").stat().st_size < 5 << 20
    return d


def test_gzip_idx_bomb_is_refused_early_and_small(idx_bomb: Path) -> None:
    code, err, secs, rss = peak_rss_mib([*RUN, "--data", str(idx_bomb)], idx_bomb)
    assert code == 2 and "Traceback" not in err, err
    assert "more data than its header declares" in err
    print(f"IDX bomb: refused in {secs:.2f} s, peak RSS {rss:.0f} MiB")
    assert rss < 300, f"peak RSS {rss:.0f} MiB"
    assert secs < 10, f"{secs:.1f} s"


def test_idx_header_declaring_a_huge_shape_is_refused(tmp_path: Path) -> None:
    (tmp_path / "train-images-idx3-ubyte").write_bytes(_idx_header((10**6, 1000, 1000)))
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(_idx_header((10,)) + bytes(10))
    line = one_error_line(bntui([*RUN, "--data", str(tmp_path)], tmp_path))
    assert "declares shape (1000000, 1000, 1000)" in line and "at most" in line


def _npy_member(zf: zipfile.ZipFile, name: str, header: dict, payload: bytes) -> None:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    zf.writestr(name, buf.getvalue() + payload)


def _npz_with_x_header(path: Path, shape: tuple[int, ...], payload: bytes) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        _npy_member(zf, "x.npy", {"descr": "<f8", "fortran_order": False, "shape": shape}, payload)
        y = io.BytesIO()
        np.save(y, np.zeros(shape[0] if shape[0] < 100 else 10, dtype=np.int64))
        zf.writestr("y.npy", y.getvalue())


def test_npz_header_claiming_huge_shapes_is_refused_from_the_header(tmp_path: Path) -> None:
    _npz_with_x_header(tmp_path / "huge.npz", (10**12, 1), b"\0" * 80)
    code, err, _, rss = peak_rss_mib([*RUN, "--data", "huge.npz"], tmp_path)
    assert code == 2 and "declares shape (1000000000000, 1)" in err, err
    assert rss < 200 and "MemoryError" not in err


def test_npz_header_that_lies_about_its_size_is_refused(tmp_path: Path) -> None:
    _npz_with_x_header(tmp_path / "lie.npz", (10, 2), b"\0" * 8)
    line = one_error_line(bntui([*RUN, "--data", "lie.npz"], tmp_path))
    assert "declares shape (10, 2) (160 bytes) but holds 8 bytes" in line


def test_zero_dimensional_x_is_refused(tmp_path: Path) -> None:
    np.savez(tmp_path / "a.npz", x=np.float64(3.0), y=np.arange(4))
    line = one_error_line(bntui([*RUN, "--data", "a.npz"], tmp_path))
    assert "x is a single number (0-d)" in line


def test_too_many_classes_in_npz_are_capped_like_csv(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "many.npz", x=rng.normal(size=(100_000, 2)), y=np.arange(100_000))
    started = time.perf_counter()
    line = one_error_line(bntui([*RUN, "--data", "many.npz"], tmp_path))
    assert "100000 distinct values; at most 50 classes" in line
    assert time.perf_counter() - started < 15


def test_large_npz_header_is_not_called_a_pickle(tmp_path: Path) -> None:
    wide = np.zeros(4, dtype=[(f"field{i}", "<f8") for i in range(800)])
    buf = io.BytesIO()
    np.save(buf, wide)
    assert buf.getvalue()[8:10] != b"\0\0"  # a header over 10,000 bytes
    with zipfile.ZipFile(tmp_path / "big.npz", "w") as zf:
        zf.writestr("x.npy", buf.getvalue())
        y = io.BytesIO()
        np.save(y, np.arange(4))
        zf.writestr("y.npy", y.getvalue())
    line = one_error_line(bntui([*RUN, "--data", "big.npz"], tmp_path))
    assert "header of array 'x' is too large" in line and "pickle" not in line


def test_symlink_loop_is_named(tmp_path: Path) -> None:
    (tmp_path / "a.npz").symlink_to(tmp_path / "b.npz")
    (tmp_path / "b.npz").symlink_to(tmp_path / "a.npz")
    line = one_error_line(bntui([*RUN, "--data", "a.npz"], tmp_path))
    assert "symbolic link loop" in line


@pytest.mark.parametrize("name", ["pipe.csv", "pipe.npz"])
def test_fifo_as_data_is_refused_at_once(tmp_path: Path, name: str) -> None:
    os.mkfifo(tmp_path / name)
    extra = ["--target", "y"] if name.endswith(".csv") else []
    started = time.perf_counter()
    line = one_error_line(bntui([*RUN, "--data", name, *extra], tmp_path, timeout=20))
    assert "FIFO" in line and "not" in line
    assert time.perf_counter() - started < 10


DEEP = {
    "arrays": "a = " + "[" * 3000 + "]" * 3000 + "\n",
    "dotted": "[config]\n" + "depth." + "a." * 3000 + "b = 1\n",
    "expect": "[config]\nsteps = 10\n[[event]]\nat = 1\nexpect." + "a." * 3000 + "b = '> 1'\n",
}


@pytest.mark.parametrize("kind", sorted(DEEP))
def test_deeply_nested_toml_is_one_line(tmp_path: Path, kind: str) -> None:
    (tmp_path / "deep.toml").write_text(DEEP[kind])
    for argv in ([*RUN, "--config", "deep.toml"], ["replay", "deep.toml", "--headless"]):
        line = one_error_line(bntui(argv, tmp_path))
        assert "deep.toml" in line and "nested" in line and "Recursion" not in line


def test_free_text_target_is_refused_naming_column_and_count(tmp_path: Path) -> None:
    rows = ["age,remark"]
    rows += [f"{20 + (i * 7) % 31},this is remark number {i} about row {i}" for i in range(40)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    line = one_error_line(bntui([*RUN, "--data", "t.csv", "--target", "remark"], tmp_path))
    assert "column 'remark'" in line and "40 distinct values in 40 rows" in line
    assert "remark number 7" not in line  # the sentences are not printed as class names


def test_huge_values_in_npz_give_one_line_and_no_warning(tmp_path: Path) -> None:
    x = np.ones((40, 2))
    x[3, 1] = 1e300
    np.savez(tmp_path / "big.npz", x=x, y=np.arange(40) % 2)
    result = bntui([*RUN, "--data", "big.npz"], tmp_path)
    line = one_error_line(result)  # exactly one stderr line: no RuntimeWarning
    assert "too large for float32" in line and "1e+300" in line


def test_zero_inputs_per_sample_names_the_file(tmp_path: Path) -> None:
    np.savez(tmp_path / "empty.npz", x=np.zeros((40, 0)), y=np.arange(40) % 2)
    line = one_error_line(bntui([*RUN, "--data", "empty.npz"], tmp_path))
    assert "empty.npz" in line and "0 values per sample" in line


def test_truncated_download_is_reported_as_truncated(tmp_path: Path, monkeypatch) -> None:
    import urllib.request

    from bntui.data import DataError, download

    class Short(io.BytesIO):
        def __init__(self, data: bytes) -> None:
            super().__init__(data)
            self.headers = {"Content-Length": "1000"}

        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

    monkeypatch.setenv("BNTUI_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: Short(b"x" * 400))
    with pytest.raises(DataError, match=r"truncated download \(400 of 1,000 bytes"):
        download.download("mnist")
    assert list((tmp_path / "mnist").iterdir()) == []


def test_escapes_in_csv_names_never_reach_the_summary(tmp_path: Path) -> None:
    rows = ["x,\x1b]0;pwned\x07label"]
    rows += [f"{(i * 7) % 11},{'a' if i % 2 else 'b'}\x1b[2J" for i in range(30)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    result = bntui([*RUN, "--data", "t.csv", "--target", "label"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout + result.stderr and "\x07" not in result.stdout
    assert "label" in result.stdout
