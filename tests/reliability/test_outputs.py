"""Issue 12, cause 5: outputs are never replaced without asking.

``--record`` is checked at start; ``--force`` never replaces a device, FIFO, socket or
symbolic link; a file that appears while a run writes the same path is not replaced.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from rel_helpers import TINY, bntui, env_for, one_error_line, temp_files

from bntui.export import AtomicWriter, ExportError, MetricsWriter, save_model


def test_record_refuses_an_existing_file_at_start(tmp_path: Path) -> None:
    (tmp_path / "r.toml").write_text("mine\n")
    line = one_error_line(bntui(["--record", "r.toml"], tmp_path))
    assert "r.toml exists" in line and "--force" in line
    assert (tmp_path / "r.toml").read_text() == "mine\n"
    line = one_error_line(bntui(["replay", "sigmoid-vanishing", "--record", "r.toml"], tmp_path))
    assert "r.toml exists" in line


def test_record_into_a_missing_directory_is_an_error_at_start(tmp_path: Path) -> None:
    line = one_error_line(bntui(["--record", "nodir/r.toml"], tmp_path))
    assert "nodir: no such directory" in line


def _make_special(d: Path, kind: str) -> Path:
    target = d / "target.txt"
    target.write_text("keep me\n")
    path = d / kind
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink":
        path.symlink_to(target)
    else:  # a private copy of /dev/null's device number (needs root)
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))
    return path


KINDS = ["fifo", "symlink"] + (["chardev"] if os.geteuid() == 0 else [])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("flag", ["--metrics", "--save-model"])
def test_force_never_replaces_devices_fifos_or_symlinks(tmp_path: Path, flag, kind) -> None:
    path = _make_special(tmp_path, kind)
    before = os.lstat(path)
    result = bntui(["run", "--steps", "5", "-q", flag, str(path), "--force", *TINY], tmp_path)
    line = one_error_line(result)
    assert "only writes regular files" in line, (kind, line)
    after = os.lstat(path)
    assert (after.st_mode, after.st_ino, after.st_rdev) == (
        before.st_mode,
        before.st_ino,
        before.st_rdev,
    )
    assert (tmp_path / "target.txt").read_text() == "keep me\n"
    assert temp_files(tmp_path) == []


def test_a_file_that_appears_while_writing_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "m.jsonl"
    with pytest.raises(ExportError, match="created by another program"), MetricsWriter(target) as w:
        w.write({"step": 1, "loss": 1.0})
        target.write_text("the other run's rows\n")
    assert target.read_text() == "the other run's rows\n"
    assert temp_files(tmp_path) == []
    with pytest.raises(ExportError, match="created by another program"):
        w2 = AtomicWriter(tmp_path / "b.txt")
        (tmp_path / "b.txt").write_text("first\n")
        w2.write("second\n")
        w2.close()
    assert (tmp_path / "b.txt").read_text() == "first\n"
    with pytest.raises(ExportError, match="created by another program"):
        (tmp_path / "w.npz").unlink(missing_ok=True)
        import numpy as np

        real_savez = np.savez

        def savez_then_race(path, **arrays):
            real_savez(path, **arrays)
            (tmp_path / "w.npz").write_text("other\n")

        np.savez = savez_then_race
        try:
            save_model(tmp_path / "w.npz", {"a": np.zeros(2)})
        finally:
            np.savez = real_savez
    assert (tmp_path / "w.npz").read_text() == "other\n"
    assert temp_files(tmp_path) == []


def test_two_runs_writing_the_same_metrics_path(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "bntui", "run", "--steps", "4000", "-q", *TINY]
    procs = [
        subprocess.Popen(
            [*argv, "--metrics", "m.jsonl", "--seed", str(seed)],
            cwd=tmp_path,
            env=env_for(tmp_path),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    assert "created by another program" in loser or "exists" in loser
    assert len((tmp_path / "m.jsonl").read_text().splitlines()) == 4000
    assert temp_files(tmp_path) == []
