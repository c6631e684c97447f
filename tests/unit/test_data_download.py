"""download(): never touches the network here; a file:// mirror written by the test."""

from __future__ import annotations

import hashlib
import io
import re
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from bntui.data import DataError, load_dataset, write_idx
from bntui.data.download import CHECKSUMS, FILES, MIRRORS, cache_dir, download
from bntui.training.config import Config


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv("BNTUI_CACHE_DIR", str(path))
    return path


@pytest.fixture
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Four small MNIST-shaped .gz files, with the checksum table pointed at them."""
    d = tmp_path / "mirror"
    d.mkdir()
    r = np.random.default_rng(0)
    write_idx(d / FILES[0], r.integers(0, 256, (30, 28, 28), dtype=np.uint8))
    write_idx(d / FILES[1], (np.arange(30) % 10).astype(np.uint8))
    write_idx(d / FILES[2], r.integers(0, 256, (10, 28, 28), dtype=np.uint8))
    write_idx(d / FILES[3], (np.arange(10) % 10).astype(np.uint8))
    sums = {f: hashlib.sha256((d / f).read_bytes()).hexdigest() for f in FILES}
    monkeypatch.setitem(CHECKSUMS, "mnist", sums)
    monkeypatch.setitem(CHECKSUMS, "fashion-mnist", dict(sums))
    return d


class SlowResponse(io.BytesIO):
    """An HTTP-like response that hands out at most 1000 bytes per read."""

    def __init__(self, body: bytes) -> None:
        super().__init__(body)
        self.headers = {"Content-Length": str(len(body))}

    def read(self, size: int | None = -1) -> bytes:
        return super().read(min(1000, size if size and size > 0 else 1000))


def no_network(*args, **kwargs):
    raise AssertionError("urlopen was called")


def test_published_checksum_table_is_complete() -> None:
    assert set(CHECKSUMS) == set(MIRRORS) == {"mnist", "fashion-mnist"}
    for sums in CHECKSUMS.values():
        assert set(sums) == set(FILES)
        assert all(re.fullmatch(r"[0-9a-f]{64}", s) for s in sums.values())
    # the well-known first MNIST hash (also in torchvision's and TensorFlow's mirrors' lists)
    assert CHECKSUMS["mnist"]["train-images-idx3-ubyte.gz"].startswith("440fcabf73cc546f")


def test_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BNTUI_CACHE_DIR", str(tmp_path / "x"))
    assert cache_dir() == tmp_path / "x"
    monkeypatch.delenv("BNTUI_CACHE_DIR")
    default = cache_dir()
    assert default.name == "datasets" and "bntui" in default.parts


def test_download_from_a_file_mirror(cache: Path, mirror: Path) -> None:
    lines: list[str] = []
    out = download("mnist", base_url=mirror.as_uri(), progress=lines.append)
    assert out == cache / "mnist"
    for f in FILES:
        assert (out / f).read_bytes() == (mirror / f).read_bytes()
        size = (mirror / f).stat().st_size
        mine = [line for line in lines if line.startswith(f + ": ")]
        assert mine[0] == f"{f}: downloading {mirror.as_uri()}/{f}"
        assert mine[-1] == f"{f}: {size / 1e6:.1f} MB, SHA-256 verified"
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)  # no temp files left


def test_downloaded_set_loads_with_the_test_split_as_validation(cache: Path, mirror: Path) -> None:
    download("mnist", base_url=mirror.as_uri())
    d = load_dataset(Config(dataset="mnist"), np.random.default_rng(0))
    assert (d.n_train, d.n_val, d.input_dim, d.n_classes) == (30, 10, 784, 10)
    assert d.class_names == tuple("0123456789")
    assert d.x_train.min() >= 0.0 and d.x_train.max() <= 1.0


def test_fashion_class_names(cache: Path, mirror: Path) -> None:
    download("fashion-mnist", base_url=str(mirror.as_uri()))
    d = load_dataset(Config(dataset="fashion-mnist"), np.random.default_rng(0))
    assert d.class_names[0] == "T-shirt/top" and d.class_names[9] == "Ankle boot"


def test_checksum_mismatch_deletes_and_raises(
    cache: Path, mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(CHECKSUMS["mnist"], FILES[2], "0" * 64)
    with pytest.raises(DataError, match=f"{FILES[2]}: SHA-256 mismatch .* deleted"):
        download("mnist", base_url=mirror.as_uri())
    present = sorted(p.name for p in (cache / "mnist").iterdir())
    assert present == sorted(FILES[:2])  # the bad file is gone, no .part file is left


def test_already_cached_files_are_skipped(
    cache: Path, mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    download("mnist", base_url=mirror.as_uri())
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    lines: list[str] = []
    download("mnist", progress=lines.append)
    assert lines == [f"{f}: already downloaded, SHA-256 verified" for f in FILES]


def test_damaged_cached_file_is_fetched_again(cache: Path, mirror: Path) -> None:
    download("mnist", base_url=mirror.as_uri())
    target = cache / "mnist" / FILES[1]
    target.write_bytes(b"damaged")
    download("mnist", base_url=mirror.as_uri())
    assert target.read_bytes() == (mirror / FILES[1]).read_bytes()


def test_network_errors_and_unknown_names(cache: Path, tmp_path: Path, mirror: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="could not download file://.*train-images-idx3-ubyte.gz"):
        download("mnist", base_url=empty.as_uri())
    assert list((cache / "mnist").iterdir()) == []
    with pytest.raises(
        DataError, match="unknown dataset 'cifar'; downloadable: mnist, fashion-mnist"
    ):
        download("cifar")


def test_default_mirror_url_is_used(cache: Path, mirror: Path, monkeypatch) -> None:
    seen = []

    def fake_urlopen(request, timeout):
        seen.append(request.full_url)
        name = request.full_url.rsplit("/", 1)[1]
        body = (mirror / name).read_bytes()
        return SlowResponse(body)

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    lines: list[str] = []
    download("mnist", progress=lines.append)
    assert seen == [MIRRORS["mnist"] + f for f in FILES]
    # with a known length, a line at each quarter: 25, 50, 75 % (then the verified line)
    f = FILES[0]
    size = (mirror / f).stat().st_size
    quarters = [line for line in lines if line.startswith(f) and " of " in line]
    assert len(quarters) == 3 and all(q.endswith(f"of {size / 1e6:.1f} MB") for q in quarters)
