"""ctrl+c during long headless commands: stop within a second, leave only complete files."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

TINY = ["--samples", "200", "--depth", "2", "--width", "8", "--batch-size", "16"]


def rows_written(d: Path) -> int:
    """The most lines in any metrics file (.jsonl, .csv) under ``d`` so far."""
    counts = [len(p.read_bytes().splitlines()) for p in (*d.rglob("*.jsonl"), *d.rglob("*.csv"))]
    return max(counts, default=0)


def interrupt_after(argv: list[str], cwd: Path, delay: float = 1.5) -> tuple[int, float, str]:
    """Start ``bntui ARGV``, send SIGINT once it has trained a while (``delay`` s and at least
    12 metrics rows written, at most 60 s: a fixed delay alone fired during the imports on a
    loaded machine); (exit code, seconds to exit, stderr)."""
    env = {**os.environ, "BNTUI_CACHE_DIR": str(cwd / "cache")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bntui", *argv],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(delay)
        deadline = time.monotonic() + 60
        while rows_written(cwd) < 12 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, f"finished before the interrupt: {proc.communicate()}"
        sent = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
        took = time.perf_counter() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in err, err
    return proc.returncode, took, err


def no_temp_files(d: Path) -> None:
    leftovers = [p.name for p in d.rglob("*") if p.name.startswith(".")]
    assert not leftovers, f"temporary files left behind: {leftovers}"


def test_ctrl_c_during_run_keeps_finished_jsonl_rows(tmp_path):
    out = tmp_path / "out.jsonl"
    code, took, err = interrupt_after(
        ["run", "--steps", "10000000", "--metrics", str(out), "-q", *TINY], tmp_path
    )
    # the promise is "within a second"; 5 s here so a loaded machine cannot fail it, while a
    # run that ignores ctrl+c (trains on to the end: minutes) still does
    assert code == 130 and took < 5.0, (code, took, err)
    lines = out.read_text().splitlines()
    assert len(lines) > 10
    steps = [json.loads(line)["step"] for line in lines]  # every line parses
    assert steps == list(range(1, len(steps) + 1))  # no gap, no half row
    no_temp_files(tmp_path)


def test_ctrl_c_during_run_with_progress_bar_and_csv(tmp_path):
    out, model = tmp_path / "out.csv", tmp_path / "w.npz"
    argv = ["run", "--steps", "10000000", "--metrics", str(out), "--save-model", str(model), *TINY]
    code, took, err = interrupt_after(argv, tmp_path)
    # the promise is "within a second"; 5 s here so a loaded machine cannot fail it, while a
    # run that ignores ctrl+c (trains on to the end: minutes) still does
    assert code == 130 and took < 5.0, (code, took, err)
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) > 10 and rows[-1]["step"] == str(len(rows))
    assert all(len(r) == len(rows[0]) and None not in r for r in rows)
    import numpy as np

    with np.load(model, allow_pickle=False) as z:
        assert "L1.W" in z.files  # the weights at the interrupt, written whole
    no_temp_files(tmp_path)


def _long_script(d: Path) -> Path:
    path = d / "long.toml"
    path.write_text(
        'title = "long"\n[config]\nsteps = 10000000\nsamples = 200\ndepth = 2\nwidth = 8\n'
        'batch_size = 16\n[[event]]\nat = 100\ndo = ["bn off"]\ncaption = "off"\n'
    )
    return path


def test_ctrl_c_during_headless_replay_stops_and_leaves_no_partial_file(tmp_path):
    script = _long_script(tmp_path)
    out = tmp_path / "out"
    argv = ["replay", str(script), "--headless", "--out", str(out), "--metrics", "m.jsonl"]
    code, took, err = interrupt_after(argv, tmp_path)
    # the promise is "within a second"; 5 s here so a loaded machine cannot fail it, while a
    # run that ignores ctrl+c (trains on to the end: minutes) still does
    assert code == 130 and took < 5.0, (code, took, err)
    for f in [*tmp_path.glob("*.jsonl"), *out.glob("*.jsonl")]:
        if f.exists():
            assert all(json.loads(line) for line in f.read_text().splitlines())
    no_temp_files(tmp_path)


def test_ctrl_c_during_headless_replay_keeps_finished_rows(tmp_path):
    script = _long_script(tmp_path)
    code, _, _ = interrupt_after(
        ["replay", str(script), "--headless", "--metrics", "m.jsonl"], tmp_path
    )
    assert code == 130
    assert len((tmp_path / "m.jsonl").read_text().splitlines()) > 10
