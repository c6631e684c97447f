"""The live view's terminal check: a terminal, or textual-serve's web driver; nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from bntui.cli.terminal import WEB_DRIVER, TerminalError, require_terminal, web_driver


class Stream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


class Closed:
    def isatty(self) -> bool:
        raise ValueError("I/O operation on closed file")


TTY, PIPE = Stream(True), Stream(False)
XTERM = {"TERM": "xterm-256color"}


def test_a_terminal_is_accepted():
    require_terminal(environ=XTERM, stdin=TTY, stdout=TTY)


@pytest.mark.parametrize(
    ("stdin", "stdout"), [(PIPE, TTY), (TTY, PIPE), (PIPE, PIPE), (Closed(), TTY)]
)
def test_a_pipe_or_a_closed_stream_is_refused(stdin, stdout):
    with pytest.raises(TerminalError, match="needs a terminal"):
        require_terminal(environ=XTERM, stdin=stdin, stdout=stdout)


@pytest.mark.parametrize("term", ["dumb", "unknown"])
def test_term_dumb_is_refused_even_on_a_tty(term):
    with pytest.raises(TerminalError, match=f"TERM={term}"):
        require_terminal(environ={"TERM": term}, stdin=TTY, stdout=TTY)


@pytest.mark.parametrize("term", ["dumb", "xterm", ""])
def test_the_web_driver_is_accepted_on_pipes_whatever_term(term):
    env = {"TEXTUAL_DRIVER": WEB_DRIVER, "TERM": term}
    require_terminal(environ=env, stdin=PIPE, stdout=PIPE)
    assert web_driver(env)


@pytest.mark.parametrize(
    "driver", ["", "textual.drivers.headless_driver:HeadlessDriver", "web", WEB_DRIVER + "x"]
)
def test_other_drivers_do_not_unlock_pipes(driver):
    env = {"TEXTUAL_DRIVER": driver, "TERM": "xterm"}
    assert not web_driver(env)
    with pytest.raises(TerminalError):
        require_terminal(environ=env, stdin=PIPE, stdout=PIPE)


def test_the_messages_are_one_line_and_say_what_to_do():
    with pytest.raises(TerminalError) as info:
        require_terminal(environ=XTERM, stdin=PIPE, stdout=TTY)
    text = str(info.value)
    assert "\n" not in text
    assert "bntui run" in text and "bntui serve" in text


def test_under_the_web_driver_the_app_starts_on_pipes(tmp_path):
    """The real process: piped, ``TEXTUAL_DRIVER`` = web driver, it speaks textual-serve's
    protocol (the ``__GANGLION__`` prelude, then ``D`` packets) instead of refusing."""
    env = {**os.environ, "TEXTUAL_DRIVER": WEB_DRIVER, "TERM": "dumb", "COLUMNS": "80"}
    env["BNTUI_CACHE_DIR"] = str(tmp_path / "cache")
    p = subprocess.Popen(
        [sys.executable, "-m", "bntui", "--paused", "--samples", "100"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    watchdog = threading.Timer(60, p.kill)  # bounded: a hung app cannot hang the test
    watchdog.start()
    try:
        assert p.stdout is not None
        first = p.stdout.readline()
        packet = p.stdout.read(5)
    finally:
        watchdog.cancel()
        p.kill()
        p.wait(10)
    assert first == b"__GANGLION__\n", (first, p.stderr.read() if p.stderr else b"")
    assert packet[:1] == b"D" and int.from_bytes(packet[1:5], "big") > 0


def test_without_it_the_same_pipes_are_refused(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_DRIVER"}
    env["BNTUI_CACHE_DIR"] = str(tmp_path / "cache")
    r = subprocess.run(
        [sys.executable, "-m", "bntui", "--paused"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.PIPE,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        "bntui: error: the live view needs a terminal (or `bntui serve` for a browser); "
        "use `bntui run` for headless runs"
    ]


@pytest.mark.parametrize("argv", [["--paused"], ["replay", "sigmoid-vanishing", "--paused"]])
def test_a_crashed_app_exits_with_status_1_not_0(tmp_path, argv):
    """The web driver cannot watch /dev/null (epoll refuses it): Textual's app crashes at
    start; that must not look like success to a script or a service manager."""
    env = {**os.environ, "TEXTUAL_DRIVER": WEB_DRIVER, "BNTUI_CACHE_DIR": str(tmp_path / "c")}
    r = subprocess.run(
        [sys.executable, "-m", "bntui", *argv],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
    )
    assert r.returncode == 1, r.stderr[-2000:]
