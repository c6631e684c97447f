"""Bugs the reliability suites found, each pinned by a test named after it."""

from __future__ import annotations

import errno

import pytest

from bntui.export import AtomicWriter, ExportError
from bntui.training.commands import CommandError
from bntui.training.config import Config
from bntui.training.session import Session

TINY = Config(samples=200, depth=2, width=8, batch_size=16)


def test_regression_dataset_prev_wraps_into_undownloaded_mnist():
    """`dataset prev` from spiral wrapped to fashion-mnist and let a DataError escape."""
    s = Session(TINY)
    event = s.apply("dataset prev")
    assert s.config.dataset == "blobs" and event.kind == "dataset"
    s.step()


def test_regression_dataset_next_cycles_back_without_downloads():
    """`dataset next` from blobs must not get stuck on mnist when it is not downloaded."""
    s = Session(TINY.replace(dataset="blobs"))
    s.apply("dataset next")
    assert s.config.dataset == "spiral"


def test_regression_dataset_mnist_not_downloaded_is_a_command_error():
    s = Session(TINY)
    before = s.config
    with pytest.raises(CommandError, match="not downloaded"):
        s.apply("dataset mnist")
    assert s.config == before and s.log == []


def test_regression_usage_error_with_newline_argument(capsys):
    """An argument holding a newline made `bntui: error: …` span two lines."""
    from bntui.cli import main

    code = main(["run", "\n", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("bntui: error: unrecognized arguments: \\n")


class _FullDisk:
    """A file whose writes and flushes fail like a full disk (ENOSPC)."""

    closed = False

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")  # the flush in close


def test_regression_full_disk_error_names_the_file(tmp_path):
    """On a full disk, discard() re-flushed the buffer and a bare OSError hid the file name."""
    w = AtomicWriter(tmp_path / "m.jsonl")
    tmp = w._tmp
    w._fh.close()
    w._fh = _FullDisk()  # type: ignore[assignment]
    with pytest.raises(ExportError, match=r"m\.jsonl: cannot write \(No space left"):
        w.write("{}\n")
    assert not tmp.exists() and not (tmp_path / "m.jsonl").exists()
