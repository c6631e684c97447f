"""Issue 21: one memory guard for everything that grows the model or the data.

Flags and ``[config]`` were checked; ``--do`` commands, lesson ``do`` events, ``:``
commands and keys (all ``Session.apply``), ``compare`` (a second session) and data files
(the arrays a file's headers promise) now go through the same estimate
(``bntui.training.memory``) before they apply. ``BNTUI_MEMORY_LIMIT`` (MiB) is the one ceiling.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from rel_helpers import bntui, env_for, one_error_line

from bntui.live.runner import Runner
from bntui.training.commands import CommandError
from bntui.training.config import Config, ConfigError
from bntui.training.session import Session

SMALL = Config(samples=2000, depth=2, width=8, batch_size=16, seed=1)


def test_a_command_that_would_not_fit_is_refused_and_the_session_goes_on(monkeypatch) -> None:
    monkeypatch.setenv("BNTUI_MEMORY_LIMIT", "256")
    s = Session(SMALL.replace(samples=200_000))
    s.run(3)
    s.apply("batch-size 65536")  # 25 MiB of activations at width 8, depth 2: fits
    for command in ("width 1024", "depth 32", "width *100"):
        with pytest.raises(CommandError, match=r"needs about [\d.]+ [GM]iB, more than the 256 MiB"):
            s.apply(command)
    assert (s.config.width, s.config.depth) == (8, 2)
    assert [b.linear.W.data.shape for b in s.model.blocks] == [(2, 8), (8, 8)]
    s.run(2)  # the session goes on
    assert s.step_count == 5


def test_switching_to_a_bigger_dataset_is_checked_before_it_loads(monkeypatch) -> None:
    monkeypatch.setenv("BNTUI_MEMORY_LIMIT", "256")  # MNIST as floats: ~0.7 GiB
    s = Session(SMALL)
    with pytest.raises(CommandError, match=r"dataset mnist: .*needs about [\d.]+ [GM]iB"):
        s.apply("dataset mnist")  # refused for its size, before "not downloaded"
    assert s.config.dataset == SMALL.dataset


def test_compare_counts_the_second_session(monkeypatch: pytest.MonkeyPatch) -> None:
    from bntui.training.memory import memory_estimate
    from bntui.training.pair import Pair

    big = Config(samples=2000, depth=8, width=256, batch_size=2000, seed=1)
    one = memory_estimate(big)
    monkeypatch.setenv("BNTUI_MEMORY_LIMIT", str(1.5 * one / 2**20))  # one fits, two do not
    pair = Pair(big)
    with pytest.raises(CommandError, match="two sessions"):
        pair.apply("compare")
    assert pair.twin is None


def test_keys_and_colon_commands_in_the_runner_get_a_message(monkeypatch) -> None:
    monkeypatch.setenv("BNTUI_MEMORY_LIMIT", "256")
    r = Runner(SMALL.replace(samples=200_000, batch_size=65536), threaded=False)
    r.step(2)
    r.send("width 1024")  # what `:width 1024` and the width keys send
    f = r.frame()
    assert "needs about" in (f.message or "") and f.config.width == 8
    r.step(1)
    assert r.session.step_count == 3 and r.error is None


def test_run_refuses_do_commands_up_front(tmp_path: Path) -> None:
    argv = ["run", "--samples", "1000000", "--do", "0:batch-size 65536", "--do", "0:width 1024"]
    argv += ["--do", "0:depth 32", "--steps", "5", "-q"]
    result = bntui(argv, tmp_path, env=env_for(tmp_path, BNTUI_MEMORY_LIMIT="2048"))
    line = one_error_line(result)
    assert "--do 0:width 1024" in line and "more than the 2.0 GiB" in line, line


def test_run_checks_a_late_do_command_before_training(tmp_path: Path) -> None:
    argv = ["run", "--samples", "200", "--steps", "1000000000", "-q", "--do", "999999:depth 32"]
    argv += ["--do", "999999:width 1024", "--batch-size", "200"]
    result = bntui(argv, tmp_path, env=env_for(tmp_path, BNTUI_MEMORY_LIMIT="64"), timeout=30)
    line = one_error_line(result)
    assert "--do 999999:width 1024" in line and "needs about" in line


def test_a_lesson_whose_events_grow_past_the_limit_is_refused_up_front(tmp_path: Path) -> None:
    lesson = tmp_path / "grow.toml"
    lesson.write_text(
        'title = "grow"\n[config]\nsamples = 1000000\nsteps = 100000\n'
        "[[event]]\nat = 0\ndo = ['batch-size 65536']\n"
        "[[event]]\nat = 5000\ndo = ['width 1024', 'depth 32']\n"
    )
    env = env_for(tmp_path, BNTUI_MEMORY_LIMIT="2048")
    result = bntui(["replay", str(lesson), "--headless"], tmp_path, env=env, timeout=30)
    line = one_error_line(result)
    assert "event 2" in line and "needs about" in line, line


def _big_npz(path: Path, rows: int, cols: int) -> None:
    """An .npz whose x header promises rows × cols float64 zeros (deflated: a small file),
    written in chunks so the test itself never holds the array."""
    header = {"descr": "<f8", "fortran_order": False, "shape": (rows, cols)}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with z.open("x.npy", "w", force_zip64=True) as fh:
            np.lib.format.write_array_header_1_0(fh, header)
            chunk = bytes(8 * cols * 4096)
            for start in range(0, rows, 4096):
                fh.write(chunk[: 8 * cols * min(4096, rows - start)])
        y = np.arange(rows) % 2
        with z.open("y.npy", "w") as fh:
            np.lib.format.write_array(fh, y)


def _peak_rss_child(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str, float]:
    """Exit code, stderr and the child's own peak RSS in MiB: its ``VmHWM``, read from
    /proc while it runs. (``wait4``'s ru_maxrss would not do: a child forked from a large
    pytest process inherits the parent's high-water mark, 556 MiB in a full run.)"""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bntui", *argv],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    status = Path(f"/proc/{proc.pid}/status")
    peak_kib = 0
    while proc.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kib = max(peak_kib, int(line.split()[1]))
        except (OSError, ValueError, IndexError):  # gone between poll and read
            pass
        time.sleep(0.005)
    err = proc.stderr.read() if proc.stderr else ""
    return proc.returncode, err, peak_kib / 1024  # MiB


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_an_npz_whose_arrays_do_not_fit_is_refused_from_its_headers(tmp_path: Path) -> None:
    big = tmp_path / "big.npz"
    _big_npz(big, 400_000, 100)  # 305 MiB of float64 under each header's 1 GiB cap
    assert big.stat().st_size < 4 << 20
    env = env_for(tmp_path, BNTUI_MEMORY_LIMIT="400")
    code, err, peak = _peak_rss_child(
        ["run", "--data", str(big), "--steps", "1", "-q"], tmp_path, env
    )
    assert code == 2 and "Traceback" not in err, err
    assert "big.npz" in err and "needs about" in err and "more than the 400 MiB" in err, err
    assert peak < 200, f"peak RSS {peak:.0f} MiB: the array was read before the check"


def test_idx_and_csv_data_are_counted(tmp_path: Path) -> None:
    from bntui.data.idx import write_idx
    from bntui.training.memory import data_size, memory_estimate

    d = tmp_path / "idx"
    d.mkdir()
    write_idx(d / "train-images-idx3-ubyte.gz", np.zeros((3000, 28, 28), np.uint8))
    write_idx(d / "train-labels-idx1-ubyte", np.arange(3000, dtype=np.uint8) % 10)
    size = data_size(Config(data=str(d)))
    assert (size.rows, size.inputs, size.stored) == (3000, 784, 2 * (3000 * 784 + 3000))
    csv = tmp_path / "t.csv"
    csv.write_text("a,b,label\n" + "0.5,1.5,1\n" * 10_000)
    size = data_size(Config(data=str(csv), target="label"))
    assert size.stored >= 10 * csv.stat().st_size  # Python's rows: ~15× the text (measured)
    # a data file weighs in the estimate as much as its arrays and their copies
    assert memory_estimate(Config(data=str(d))) > 2 * 3000 * 784 * 4
    with pytest.raises(ConfigError, match=r"t\.csv.*needs about"):
        from bntui.training.memory import check_memory

        check_memory(Config(data=str(csv), target="label"), limit=1 << 20)


def test_the_ceiling_honours_an_address_space_limit() -> None:
    from bntui.training.memory import memory_limit

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    code = (
        "import resource, os\n"
        "os.environ.pop('BNTUI_MEMORY_LIMIT', None)\n"
        "resource.setrlimit(resource.RLIMIT_AS, (3 << 30, resource.RLIM_INFINITY))\n"
        "from bntui.training.memory import memory_limit\n"
        "print(memory_limit())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) < 3 << 30
    assert memory_limit() > 0 and (soft, hard) == resource.getrlimit(resource.RLIMIT_AS)
