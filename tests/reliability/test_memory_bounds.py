"""Issue 12, cause 8: memory that must not grow, work that must not be quadratic.

A headless lesson with 10⁹ steps keeps only what its checks need (RSS flat); thousands
of ``expect`` checks with large windows are measured in linear time; the documented
maximums combined are refused up front with an estimate instead of a MemoryError.
"""

from __future__ import annotations

import math
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rel_helpers import bntui, env_for, one_error_line

from bntui.replay.headless import measure
from bntui.training.config import Config, ConfigError


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_a_billion_step_headless_lesson_is_flat_in_memory(tmp_path: Path) -> None:
    lesson = tmp_path / "long.toml"
    lesson.write_text(
        'title = "long"\n[config]\nsteps = 1000000000\nsamples = 200\ndepth = 1\nwidth = 4\n'
        "batch_size = 8\nstats_every = 1\n[[event]]\nat = 50\ndo = ['bn off']\n"
        "[[event]]\nat = 999999999\nexpect = { loss = '< 9' }\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bntui", "replay", str(lesson), "--headless", "--out", "out"],
        cwd=tmp_path,
        env=env_for(tmp_path),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(4)  # imports done, training in full swing
        assert proc.poll() is None, proc.communicate()
        start = _rss_mib(proc.pid)
        rows_start = sum(1 for _ in (tmp_path / "out").glob(".metrics.jsonl.*"))
        time.sleep(10)
        end = _rss_mib(proc.pid)
    finally:
        proc.kill()
        proc.wait()
    (tmp,) = (tmp_path / "out").glob(".metrics.jsonl.*")
    lines = tmp.read_bytes().count(b"\n")
    print(f"10^9-step lesson: RSS {start:.1f} -> {end:.1f} MiB over 10 s, {lines:,} rows streamed")
    assert rows_start == 1 and lines > 5000  # rows go to disk as they come
    assert end - start < 5, f"RSS grew {end - start:.1f} MiB in 10 s"


def test_many_checks_with_large_windows_are_linear(tmp_path: Path) -> None:
    n = 10_000
    events = "".join(
        f"[[event]]\nat = {i}\nwindow = {n}\nexpect = {{ loss = '< 100', acc = '>= 0' }}\n"
        for i in range(1, n + 1)
    )
    lesson = tmp_path / "many.toml"
    lesson.write_text(
        "[config]\nsteps = 10000\nsamples = 100\ndepth = 1\nwidth = 4\nbatch_size = 8\n" + events
    )
    started = time.perf_counter()
    result = bntui(["replay", str(lesson), "--headless", "--quiet"], tmp_path, timeout=120)
    took = time.perf_counter() - started
    print(f"{2 * n:,} checks over windows of {n:,} steps: {took:.1f} s")
    assert result.returncode == 0, result.stderr
    assert f"{2 * n}/{2 * n} checks passed" in result.stdout
    assert took < 60


def test_window_means_match_a_plain_scan() -> None:
    import random

    from bntui.replay.window import RecordWindow

    rng = random.Random(7)
    records = []
    for step in range(1, 3001):
        r = {"step": step, "loss": rng.random()}
        if step % 7 == 0:
            r["val_acc"] = rng.random()
        if step == 2000:
            r["loss"] = math.inf
        records.append(r)
    kept, full = RecordWindow(["loss", "val_acc"], keep=301), RecordWindow(["loss", "val_acc"])
    for r in records:
        kept.append(r)
        full.append(r)
    assert len(kept) == 301 and len(full) == 3000
    for name in ("loss", "val_acc"):
        for window, since in ((1, 0), (5, 0), (300, 0), (300, 2990), (6, 0), (3, 2995)):
            plain = measure(records, name, 3000, window, since)  # the list scan
            assert kept.measure(name, 3000, window, since) == plain
            assert full.measure(name, 3000, window, since) == plain
    for step in (1999, 2000, 2500, 2100):  # full history: any step, NaN across the inf
        for window in (1, 10, 1000, 5000):
            a, b = full.measure("loss", step, window), measure(records[:step], "loss", step, window)
            assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12)


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))  # the box is shared


def test_documented_maximums_combined_are_refused_with_an_estimate(tmp_path: Path) -> None:
    argv = ["run", "--samples", "1000000", "--batch-size", "65536", "--width", "1024"]
    argv += ["--depth", "32", "--steps", "1", "-q"]
    started = time.perf_counter()
    line = one_error_line(bntui(argv, tmp_path, preexec_fn=_limit_address_space))
    assert "needs about 48.6 GiB" in line and "smaller batch-size, width or depth" in line
    assert time.perf_counter() - started < 10


def test_memory_estimate_is_checked_against_the_limit() -> None:
    from bntui.training.memory import check_memory, memory_estimate

    small = Config()
    big = Config(samples=1_000_000, width=1024, depth=32, batch_size=65536)
    assert memory_estimate(small) < 2 << 20  # the default lab: about 0.3 MiB of arrays
    # 6 arrays of 65536 × 1024 float32 per hidden layer, for 32 layers: 48 GiB
    assert memory_estimate(big) >= 6 * 65536 * 1024 * 4 * 32
    assert check_memory(big, limit=1 << 40) is big
    with pytest.raises(ConfigError, match=r"needs about 48\.\d GiB, more than the 8\.0 GiB"):
        check_memory(big, limit=8 << 30)
