"""Issue 21: sweeps that never write where they should not, and never run unbounded.

Grids, seeds and trials past a documented limit are refused up front (the count and a
time estimate); ``results.jsonl`` is never followed through a link; ``--show`` survives
any JSON value and prints no escapes; executor addresses are usage errors and a silent
listener cannot hang the sweep; SIGTERM/SIGHUP stop the pool like ctrl+c; a failed
start leaves no file behind; a full disk is named; a lesson screenshot cannot displace a
slide.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from rel_helpers import bntui, env_for, one_error_line

from bntui.cli import main

FAST = ["--steps", "5", "--samples", "64", "--depth", "1", "--width", "4", "-q"]


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # a refusal must not need it


def _refused(argv: list[str], tmp_path: Path) -> str:
    result = bntui(["sweep", *argv], tmp_path, timeout=60, preexec_fn=_cap_memory)
    return one_error_line(result)


def test_huge_grids_seeds_and_trials_are_refused_up_front(tmp_path: Path) -> None:
    lrs = ",".join(f"{0.001 * (i + 1):.3f}" for i in range(1000))
    widths = ",".join(str(i) for i in range(1, 1001))
    out = ["--out", str(tmp_path / "D"), *FAST]
    line = _refused(["--param", f"lr={lrs}", "--param", f"width={widths}", *out], tmp_path)
    assert "1,000,000 trials" in line and "at most 10,000" in line and "about" in line, line
    line = _refused(["--param", "bn=on,off", "--seeds", "1000000000", *out], tmp_path)
    assert "2,000,000,000 trials" in line and "at most 10,000" in line, line
    random = ["--random", "lr=loguniform:1e-4:1", "--trials", "1000000000"]
    line = _refused([*random, *out], tmp_path)
    assert "1,000,000,000 trials" in line, line
    assert not (tmp_path / "D").exists()
    result = bntui(["verify", "--seeds", "1000000000", "--quick"], tmp_path, timeout=60)
    assert "at most" in one_error_line(result)


@pytest.mark.parametrize("dangling", [False, True])
def test_results_file_is_never_followed_through_a_link(tmp_path: Path, dangling: bool) -> None:
    d, victim = tmp_path / "D", tmp_path / "victim.txt"
    d.mkdir()
    if not dangling:
        victim.write_text("precious\nlast line without newline")
    (d / "results.jsonl").symlink_to(victim)
    resume = [] if dangling else ["--resume"]
    line = one_error_line(
        bntui(["sweep", "--param", "bn=on,off", "--out", str(d), *resume, *FAST], tmp_path)
    )
    assert "symbolic link" in line and "results.jsonl" in line, line
    if dangling:
        assert not victim.exists()
    else:
        assert victim.read_text() == "precious\nlast line without newline"
    line = one_error_line(bntui(["sweep", "--show", str(d)], tmp_path))
    assert "symbolic link" in line


def test_show_survives_any_json_value_and_prints_no_escapes(tmp_path: Path, capsys) -> None:
    d = tmp_path / "D"
    d.mkdir()
    rows = [
        {"trial": "a\x1b]0;pwned\x07", "params": {"lr\x1b[2J": 1e308}, "seed": 0, "val_acc": 1e308},
        {"trial": "b", "params": ["not", "a", "dict"], "seed": None, "val_acc": "high"},
        {"trial": "c", "params": None, "seed": "x", "val_acc": None, "val_loss": [1]},
        {"trial": "d", "params": {"bn": {"deep": 1}}, "seed": 1.5, "val_acc": -1e308},
        {"trial": "e", "params": {"lr": 0.1}, "seed": 2, "val_acc": 0.5},
        {"trial": "f", "params": {"lr": "[/]", "[bold]": "[/x]"}, "seed": 3, "val_acc": 0.6},
    ]
    (d / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    for metric in ("val_acc", "val_loss"):
        code = main(["sweep", "--show", str(d), "--metric", metric])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert "\x1b" not in out and "\x07" not in out and "Traceback" not in err


def test_an_executor_address_without_a_port_is_a_usage_error(tmp_path: Path, capsys) -> None:
    for address in ("dask://127.0.0.1", "dask://127.0.0.1:", "dask://:8786", "tcp://h:99999"):
        code = main(["sweep", "--param", "bn=on,off", "--out", str(tmp_path / "D"),
                     "--executor", address, *FAST])  # fmt: skip
        _out, err = capsys.readouterr()
        assert code == 2 and err.startswith("bntui: error:") and err.count("\n") == 1, err
        assert "HOST:PORT" in err
    assert not (tmp_path / "D").exists()  # a failed start leaves nothing behind


def test_a_silent_listener_cannot_hang_the_sweep(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    threading.Thread(
        target=lambda: accepted.extend(server.accept()[0] for _ in range(8)), daemon=True
    ).start()
    port = server.getsockname()[1]
    env = env_for(tmp_path, BNTUI_CONNECT_TIMEOUT="3")
    argv = ["sweep", "--param", "bn=on,off", "--out", str(tmp_path / "D"), *FAST]
    try:
        result = bntui([*argv, "--executor", f"dask://127.0.0.1:{port}"], tmp_path, env=env)
    finally:
        server.close()
        for s in accepted:
            s.close()
    line = one_error_line(result)
    assert f"127.0.0.1:{port}" in line and "no answer" in line, line
    assert not (tmp_path / "D" / "results.jsonl").exists()  # the rerun is not blocked


def _session_processes(sid: int) -> list[str]:
    out = subprocess.run(
        ["ps", "-eo", "pid=,sid=,args="], capture_output=True, text=True, check=True
    ).stdout
    return [line for line in out.splitlines() if line.split()[1] == str(sid)]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_the_pool_like_ctrl_c(tmp_path: Path, sig: int) -> None:
    d = tmp_path / "D"
    cmd = [sys.executable, "-m", "bntui", "sweep", "--param", "lr=0.05,0.1,0.2,0.4",
           "--seeds", "2", "--steps", "3000", "--jobs", "2", "--out", str(d), "-q"]  # fmt: skip
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=env_for(tmp_path),
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(_session_processes(proc.pid)) < 4:
            time.sleep(0.1)  # the parent, the forkserver, its workers (and the tracker)
        assert len(_session_processes(proc.pid)) >= 3, _session_processes(proc.pid)
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=30)
        assert proc.returncode == 128 + sig, err
        assert "Traceback" not in err and "interrupted" in err
        left: list[str] = []
        for _ in range(50):  # the children go with the parent, not minutes later
            left = _session_processes(proc.pid)
            if not left:
                break
            time.sleep(0.1)
        assert left == []
    finally:
        for line in _session_processes(proc.pid):
            os.kill(int(line.split()[0]), signal.SIGKILL)
    results = d / "results.jsonl"  # whole lines only; no empty file left to block a rerun
    assert not results.exists() or results.read_text().endswith("\n")
    assert not results.exists() or results.stat().st_size > 0


def test_a_full_disk_names_the_results_file(tmp_path: Path, capsys, monkeypatch) -> None:
    import bntui.experiments.results as results

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(results.os, "fsync", full)
    d = tmp_path / "D"
    code = main(["sweep", "--param", "bn=on,off", "--out", str(d), "--jobs", "1", *FAST])
    _out, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1, err
    assert str(d / "results.jsonl") in err and "No space left on device" in err, err


def test_a_lesson_screenshot_cannot_take_a_slide_name(tmp_path: Path) -> None:
    lesson = tmp_path / "l.toml"
    lesson.write_text(
        'title = "t"\n[config]\nsteps = 4\nsamples = 64\ndepth = 1\nwidth = 4\n'
        '[[event]]\nat = 1\ncaption = "one"\n'
        '[[event]]\nat = 2\ncaption = "two"\nscreenshot = "slide-02.svg"\n'
    )
    argv = ["replay", str(lesson), "--headless", "--out", "S", "--slides", "S"]
    line = one_error_line(bntui(argv, tmp_path))
    assert "slide-02.svg" in line and "event 2" in line and "reserved" in line, line
    for name in ("Slide-7.SVG", "slide-100.svg", "SLIDE-01.svg"):
        lesson.write_text(lesson.read_text().replace("slide-02.svg", name))
        line = one_error_line(bntui(["replay", str(lesson), "--headless"], tmp_path))
        assert "reserved" in line, line
        lesson.write_text(lesson.read_text().replace(name, "slide-02.svg"))


def test_a_setting_that_would_not_fit_in_memory_is_refused_before_the_sweep(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("BNTUI_MEMORY_LIMIT", "256")
    d = tmp_path / "D"
    argv = ["sweep", "--param", "width=8,1024", "--batch-size", "65536", "--samples", "200000"]
    code = main([*argv, "--out", str(d), "--jobs", "1", "--steps", "2", "-q"])
    _out, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1, err
    assert "width=1024" in err and "needs about" in err, err
    assert not d.exists()  # refused before the first trial: nothing to clean up
