"""Issue 12, cause 4: SIGTERM and SIGHUP take the ctrl+c path in headless commands.

Real subprocesses get the signal after they have started training; each must exit with
128 + the signal, leave no temporary file and keep every finished row (complete lines).
"""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from rel_helpers import TINY, env_for, temp_files

from bntui.export import MetricsWriter


def signal_after(argv: list[str], cwd: Path, signals: list[int], wait_for: Path | None = None):
    """Start ``bntui ARGV``, wait until it writes rows, send ``signals``; (code, secs, err)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bntui", *argv],
        cwd=cwd,
        env=env_for(cwd),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # started: a temporary file with rows in it
            assert proc.poll() is None, proc.communicate()
            if any(p.stat().st_size > 2000 for p in cwd.rglob(".*") if p.is_file()):
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the run never started writing")
        sent = time.perf_counter()
        for i, sig in enumerate(signals):
            if i:
                time.sleep(0.01)
            proc.send_signal(sig)
        _, err = proc.communicate(timeout=15)
        took = time.perf_counter() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in err, err
    return proc.returncode, took, err


def _steps_of_jsonl(path: Path) -> list[int]:
    text = path.read_text()
    assert text.endswith("\n")
    return [json.loads(line)["step"] for line in text.splitlines()]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_signal_during_run_keeps_rows_and_exits_128_plus_signal(tmp_path: Path, sig) -> None:
    argv = ["run", "--steps", str(10**7), "--metrics", "m.jsonl", "-q", *TINY]
    code, took, err = signal_after(argv, tmp_path, [sig])
    assert code == 128 + sig, (code, err)
    assert took < 5.0  # stops rather than hangs
    steps = _steps_of_jsonl(tmp_path / "m.jsonl")
    assert len(steps) > 10 and steps == list(range(1, len(steps) + 1))
    assert temp_files(tmp_path) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_signal_during_headless_replay(tmp_path: Path, sig) -> None:
    lesson = tmp_path / "long.toml"
    lesson.write_text(
        'title = "long"\n[config]\nsteps = 10000000\nsamples = 200\ndepth = 2\nwidth = 8\n'
        'batch_size = 16\n[[event]]\nat = 100\ndo = ["bn off"]\ncaption = "off"\n'
    )
    argv = ["replay", str(lesson), "--headless", "--out", "out", "--metrics", "m.jsonl"]
    code, _, err = signal_after(argv, tmp_path, [sig])
    assert code == 128 + sig, (code, err)
    steps = _steps_of_jsonl(tmp_path / "m.jsonl")
    assert len(steps) > 10 and steps == list(range(1, len(steps) + 1))
    assert _steps_of_jsonl(tmp_path / "out" / "metrics.jsonl") == steps
    assert temp_files(tmp_path) == []


def test_double_ctrl_c_with_csv_leaves_a_complete_file(tmp_path: Path) -> None:
    argv = ["run", "--steps", str(10**7), "--metrics", "m.csv", "-q", *TINY]
    code, took, err = signal_after(argv, tmp_path, [signal.SIGINT, signal.SIGINT])
    assert code == 130, (code, err)
    assert took < 5.0  # stops rather than hangs (a timed bound failed under load)
    with (tmp_path / "m.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) > 10 and all(len(r) == len(rows[0]) for r in rows)
    assert [int(r[0]) for r in rows[1:]] == list(range(1, len(rows)))
    assert temp_files(tmp_path) == []


def test_csv_rows_are_streamed_not_kept(tmp_path: Path) -> None:
    record = {"step": 1, "epoch": 0, "lr": 0.1, "loss": 1.0, "acc": 0.5, "events": []}
    with MetricsWriter(tmp_path / "m.csv") as w:
        for step in range(1, 3001):
            w.write(record | {"step": step})
        (tmp,) = tmp_path.glob(".m.csv.*")
        w._out._fh.flush()
        assert tmp.stat().st_size > 3000 * 10  # on disk while running, not in a list
        w.write(record | {"step": 3001, "val_acc": 0.9})  # a new column: padded at close
    with (tmp_path / "m.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3001 and rows[0]["val_acc"] == "" and rows[-1]["val_acc"] == "0.9"
    assert all(None not in r for r in rows)
    assert temp_files(tmp_path) == []


SLOW_MIRROR = textwrap.dedent(
    """
    import http.server, sys, threading, time
    from bntui.data import download
    class Slow(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(9 * 10**6))  # within the file's known size
            self.end_headers()
            for _ in range(9000):
                self.wfile.write(b"x" * 1000)
                time.sleep(0.01)
        def log_message(self, *a):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    download.MIRRORS["mnist"] = f"http://127.0.0.1:{server.server_port}/"
    from bntui.cli import main
    sys.exit(main(["data", "download", "mnist"]))
    """
)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_during_download_removes_the_part_file(tmp_path: Path, sig) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_MIRROR],
        cwd=tmp_path,
        env=env_for(tmp_path),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    cache = tmp_path / "cache" / "mnist"
    try:
        deadline = time.monotonic() + 20
        while not list(cache.glob(".*.part")) or not any(
            p.stat().st_size for p in cache.glob(".*.part")
        ):
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in err, err
    assert proc.returncode == 128 + sig, (proc.returncode, err)
    assert list(cache.iterdir()) == []


def test_stale_part_files_are_removed_by_the_next_download(tmp_path: Path, monkeypatch) -> None:
    from bntui.data import download

    d = tmp_path / "mnist"
    d.mkdir()
    stale = d / ".train-images-idx3-ubyte.gz.k3j2.part"
    stale.write_bytes(b"half")
    mine = d / "notes.part"
    mine.write_bytes(b"not ours")
    assert download.remove_partial(d) == [stale]
    assert not stale.exists() and mine.exists()


def test_a_signal_inside_a_deferred_block_raises_when_it_ends() -> None:
    """One record goes to two files (a headless replay's --metrics and --out's
    metrics.jsonl); a SIGTERM between the two writes left the files one row apart (seen once
    in CI). Inside ``deferred()`` the first signal waits for the block's end."""
    import os

    from bntui.cli.signals import Interrupted, deferred, interrupts

    written: list[str] = []
    with interrupts(), pytest.raises(Interrupted):
        with deferred():
            written.append("--metrics")
            os.kill(os.getpid(), signal.SIGTERM)
            written.append("out/metrics.jsonl")
        written.append("never")
    assert written == ["--metrics", "out/metrics.jsonl"]
