"""Issue 21: a download stops at the size the checksum list fixes.

A server that never stops sending (here a local one on 127.0.0.1) used to have 235 MB
written in 20 s past the known size; now at most one chunk past it is read, nothing is
kept, and the message says what happened. A Content-Length beyond the size is refused
before the body is read.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bntui.data import download
from bntui.data.data_error import DataError

SIZE = 1000


class Endless(BaseHTTPRequestHandler):
    length: str | None = None

    def do_GET(self) -> None:
        self.send_response(200)
        if self.length is not None:
            self.send_header("Content-Length", self.length)
        self.end_headers()
        total = 0
        try:
            while total < 512 << 20:  # bounded, in case the client never stops
                self.wfile.write(b"x" * 65536)
                total += 65536
        except OSError:
            pass

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    Endless.length = None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Endless)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


def _small_table(monkeypatch: pytest.MonkeyPatch) -> None:
    good = hashlib.sha256(b"x" * SIZE).hexdigest()
    monkeypatch.setitem(download.CHECKSUMS, "mnist", dict.fromkeys(download.FILES, good))
    monkeypatch.setitem(download.SIZES, "mnist", dict.fromkeys(download.FILES, SIZE))


def test_the_published_sizes_are_complete() -> None:
    assert set(download.SIZES) == set(download.CHECKSUMS)
    for name, sizes in download.SIZES.items():
        assert set(sizes) == set(download.FILES), name
    assert download.SIZES["mnist"]["train-images-idx3-ubyte.gz"] == 9_912_422


@pytest.mark.parametrize("length", [None, str(10**12)])
def test_a_server_that_never_stops_is_cut_at_the_known_size(
    server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, length: str | None
) -> None:
    monkeypatch.setenv("BNTUI_CACHE_DIR", str(tmp_path))
    _small_table(monkeypatch)
    Endless.length = length
    written: list[int] = []
    real_fdopen = download.os.fdopen

    def counting_fdopen(fd, mode="r", *a, **k):
        fh = real_fdopen(fd, mode, *a, **k)
        write = fh.write
        fh.write = lambda b: written.append(len(b)) or write(b)  # type: ignore[method-assign]
        return fh

    monkeypatch.setattr(download.os, "fdopen", counting_fdopen)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    with pytest.raises(DataError, match=r"more than the 1,000 bytes"):
        download.download("mnist", base_url=base)
    assert sum(written) <= SIZE  # never past the known size on disk
    assert list((tmp_path / "mnist").iterdir()) == []  # nothing kept, no .part file
