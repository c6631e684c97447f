"""Odd terminals: a real ``bntui`` in tmux (NO_COLOR, 40×10), and TERM/TTY checks.

TERM=dumb and a piped stdout are refused with one line (see test_cli_bad_input); here
the live view runs in a real terminal emulator and must read without colour, tell the
user a 40×10 window is too small, and quit on ``q`` without a traceback.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

_ids = itertools.count()
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


class Pane:
    """A detached tmux session running one bntui command."""

    def __init__(self, name: str, cols: int, rows: int, env: dict[str, str], log: Path) -> None:
        self.name = name
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        # Textual draws on stderr, so a traceback shows on the pane once the app has left
        # the alternate screen; the exit status goes to a file
        # COLUMNS/LINES from the test runner would override the pane's real size
        cmd = (
            f"cd {log.parent} && env -u COLUMNS -u LINES {exports} {sys.executable} -m bntui "
            f"--paused --samples 200 --depth 2 --width 8; echo EXIT=$? > {log}; sleep 30"
        )
        tmux("new-session", "-d", "-s", name, "-x", str(cols), "-y", str(rows), cmd)
        tmux("resize-window", "-t", name, "-x", str(cols), "-y", str(rows))

    def screen(self) -> str:
        return tmux("capture-pane", "-p", "-t", self.name)

    def wait_for(self, needle: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.screen()
            if needle in text:
                return text
            time.sleep(0.2)
        raise AssertionError(f"{needle!r} never appeared:\n{self.screen()}")

    def keys(self, *keys: str) -> None:
        tmux("send-keys", "-t", self.name, *keys)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@pytest.fixture(scope="module")
def tmux_server():
    """One idle session keeps the tmux server up between tests (no start/stop race)."""
    name = f"bntui-keeper-{os.getpid()}"
    tmux("new-session", "-d", "-s", name, "sleep 600")
    yield
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


@pytest.fixture
def pane(tmp_path, tmux_server):
    opened: list[Pane] = []

    def open_(cols: int, rows: int, **env: str) -> tuple[Pane, Path]:
        log = tmp_path / f"stderr-{len(opened)}.txt"
        env = {"TERM": "xterm-256color", "BNTUI_CACHE_DIR": str(tmp_path), **env}
        p = Pane(f"bntui-test-{os.getpid()}-{next(_ids)}", cols, rows, env, log)
        opened.append(p)
        return p, log

    yield open_
    for p in opened:
        p.close()


def quit_cleanly(p: Pane, log: Path) -> None:
    p.keys("q")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (log.exists() and "EXIT=" in log.read_text()):
        time.sleep(0.1)
    assert log.exists() and "EXIT=0" in log.read_text(), p.screen()
    assert "Traceback" not in p.screen()


def test_no_color_screen_still_reads(pane):
    p, log = pane(80, 24, NO_COLOR="1")
    screen = p.wait_for("pause")  # the key help in the footer: the last thing drawn
    # the meaning is in words, not colour: state, BN, the key help
    assert "paused" in screen and "BN:on" in screen and "depth" in screen
    p.keys("b")
    assert "BN:off" in p.wait_for("BN:off")
    quit_cleanly(p, log)


def test_tiny_window_says_too_small_and_quits(pane):
    p, log = pane(40, 10)
    screen = p.wait_for("too small")
    assert "q" in screen
    quit_cleanly(p, log)


def test_resize_from_tiny_to_normal_shows_the_panels(pane):
    p, log = pane(40, 10)
    p.wait_for("too small")
    tmux("resize-window", "-t", p.name, "-x", "100", "-y", "30")
    screen = p.wait_for("Loss")
    assert "too small" not in screen
    quit_cleanly(p, log)
