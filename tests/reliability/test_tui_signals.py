"""Signals to the live app in a real pty (tmux 80×24): SIGHUP (an SSH drop, a tmux session
killed), SIGTERM and SIGINT each save the --record file and the autosave, restore the
terminal (canonical mode, echo, main screen, no mouse tracking, cursor shown) and exit with
128 + signal. Also the same path in Pilot (``app.on_signal``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from tmuxdrive import Pane, exit_code, have_tmux

from bntui.training.config import Config
from bntui.tui.app import BntuiApp
from bntui.tui.lifecycle import Autosave

tmux_only = pytest.mark.skipif(not have_tmux(), reason="needs tmux")


@tmux_only
@pytest.mark.parametrize("sig", ["SIGHUP", "SIGTERM", "SIGINT"])
def test_signal_saves_and_restores_the_terminal(tmp_path, sig):
    state = tmp_path / "state"
    with Pane(tmp_path, 80, 24, env={"BNTUI_STATE_DIR": state}) as pane:
        pane.type("bntui --record r.toml --samples 300 --paused; echo EXIT=$?")
        assert pane.wait_for("step"), pane.text()
        pane.keys("b")  # one command, so the recording has an event
        pane.keys("n")
        pid = pane.pid_of("--record r.toml")

        time.sleep(1.5)  # the autosave checks for new commands every second
        os.kill(pid, getattr(signal, sig))
        code = exit_code(pane)
        assert code == 128 + getattr(signal, sig), pane.text()
        pane.type("stty -a > stty.txt")
        flags = pane._tmux("display-message", "-p", "-t", "t", "#{alternate_on} #{cursor_flag}")
        mouse = pane._tmux("display-message", "-p", "-t", "t", "#{mouse_any_flag}")
        for _ in range(50):
            if (tmp_path / "stty.txt").exists() and (tmp_path / "stty.txt").stat().st_size:
                break
            time.sleep(0.1)
        words = (tmp_path / "stty.txt").read_text().split()
    assert "icanon" in words and "echo" in words and "isig" in words, words
    assert flags.split() == ["0", "1"], flags  # main screen, cursor shown
    assert mouse.strip() == "0"
    for script in (tmp_path / "r.toml", state / "last-session.toml"):
        text = script.read_text()
        assert '"bn toggle"' in text, text
        out = subprocess.run(
            [sys.executable, "-m", "bntui", "replay", str(script), "--headless", "--quiet"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr


async def test_on_signal_saves_the_record_and_exits_128_plus_signal(tmp_path):
    record = tmp_path / "r.toml"
    auto = tmp_path / "state" / "last.toml"
    app = BntuiApp(Config(samples=200, depth=2, width=8, seed=1), threaded=False,
                   record=str(record), autosave=auto)  # fmt: skip
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b", "n", "n")
        app.on_signal(int(signal.SIGTERM))
        await pilot.pause()
    assert app.return_value == 143 and app.return_code == 143
    for path in (record, auto):
        text = path.read_text()
        assert '"bn toggle"' in text and "steps = 2" in text, text


def test_autosave_writes_on_a_new_command_only_or_when_late(tmp_path):
    from bntui.live.runner import Runner

    runner = Runner(Config(samples=200, depth=2, width=8, seed=1), threaded=False)
    auto = Autosave(runner, tmp_path / "a" / "s.toml", every=3600)
    auto.tick()
    assert auto.saves == 1 and (tmp_path / "a" / "s.toml").exists()
    runner.step(3)
    auto.tick()
    assert auto.saves == 1  # trained, no command, not late: no write
    runner.send("lr /2")
    auto.tick()
    assert auto.saves == 2
    assert '"lr /2"' in (tmp_path / "a" / "s.toml").read_text()
    auto.every = 0.0
    runner.step(1)
    auto.tick()
    assert auto.saves == 3
    assert "steps = 4" in (tmp_path / "a" / "s.toml").read_text()


def test_resume_last_with_nothing_saved_says_so(tmp_path):
    env = dict(os.environ, BNTUI_STATE_DIR=str(tmp_path / "empty"))
    out = subprocess.run(
        [sys.executable, "-m", "bntui", "--resume-last"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr.startswith("bntui: error: nothing to resume"), out.stderr
    assert "Traceback" not in out.stderr


@tmux_only
def test_resume_last_replays_to_where_it_was_and_goes_on(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    saved = '[config]\nsamples = 300\nsteps = 40\n\n[[event]]\nat = 25\ndo = ["lr /2"]\n'
    (state / "last-session.toml").write_text(saved)
    with Pane(tmp_path, 80, 24, env={"BNTUI_STATE_DIR": state}) as pane:
        pane.type("bntui --resume-last --paused; echo EXIT=$?")
        assert pane.wait_for("step:40"), pane.text()
        pane.keys("b")
        pane.keys("q")
        assert exit_code(pane) == 0, pane.text()
    assert (state / "previous-session.toml").read_text() == saved
    new = (state / "last-session.toml").read_text()
    assert "steps = 40" in new and '"lr /2"' in new and '"bn toggle"' in new, new
    assert new.index("at = 25") < new.index("at = 40")


async def test_ctrl_s_never_replaces_a_file_it_did_not_write(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bntui-session.toml").write_text("mine")
    app = BntuiApp(Config(samples=200, depth=2, width=8, seed=1), threaded=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n", "ctrl+s")
        first = app.app_message
        await pilot.press("b", "ctrl+s")  # the numbered file is its own now: replaced
        second = app.app_message
    assert (tmp_path / "bntui-session.toml").read_text() == "mine"
    assert "bntui-session.toml exists" in first and "bntui-session-1.toml" in first, first
    assert second.endswith("bntui-session-1.toml"), second
    assert '"bn toggle"' in (tmp_path / "bntui-session-1.toml").read_text()
    assert not (tmp_path / "bntui-session-2.toml").exists()


def test_record_refuses_an_existing_file_at_start_without_force(tmp_path):
    (tmp_path / "r.toml").write_text("mine")
    out = subprocess.run(
        [sys.executable, "-m", "bntui", "--record", str(tmp_path / "r.toml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "exists; use --force" in out.stderr, out.stderr
    assert (tmp_path / "r.toml").read_text() == "mine"


def test_a_huge_lesson_played_live_gets_a_capped_pace_not_an_error():
    import argparse

    from bntui.cli.parser import parse_speed
    from bntui.cli.replay import live_speed

    # no --speed (False): the lesson's own pace, capped (was: "--speed must be … 5.55556e+06")
    assert live_speed(False, 10**9) == 1_000_000.0
    assert live_speed(False, 3000) == pytest.approx(3000 / 180)
    assert live_speed(False, 10) == 1.0
    assert live_speed(250.0, 10**9) == 250.0
    assert live_speed(None, 10**9) is None  # --speed max: unpaced
    # a given --speed is checked when the flags are read: one line, exit 2
    with pytest.raises(argparse.ArgumentTypeError, match="positive number of steps"):
        parse_speed("5e6")
    with pytest.raises(argparse.ArgumentTypeError):
        parse_speed("0")


@tmux_only
def test_killing_the_tmux_session_saves_the_recording(tmp_path):
    """The pty goes away (SIGHUP): the recording and the autosave are still written."""
    from tmuxdrive import wait_exit

    state = tmp_path / "state"
    pane = Pane(tmp_path, 80, 24, env={"BNTUI_STATE_DIR": state})
    try:
        pane.type("bntui --record r.toml --samples 300; echo EXIT=$?")
        assert pane.wait_for("step"), pane.text()
        pane.keys("b")
        time.sleep(1.5)
        pid = pane.pid_of("--record r.toml")
        subprocess.run(["tmux", "-L", pane.sock, "kill-session", "-t", "t"], check=True)
        assert wait_exit(pid, 5.0) is not None
    finally:
        pane.close()
    for script in (tmp_path / "r.toml", state / "last-session.toml"):
        assert '"bn toggle"' in script.read_text()
