"""Drive the real, threaded bntui in a tmux pane (a real pty): keys, resizes, signals.

Used by ``bench/stress.py`` (10 seeds × ≥ 500 actions) and by the tmux tests in
``tests/reliability`` (short runs). Each pane runs a shell; bntui is started in it with
``; echo EXIT=$?`` after it, so the exit status and ``stty -a`` can be read in the pane.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def have_tmux() -> bool:
    return shutil.which("tmux") is not None


class Pane:
    """One detached tmux session on its own server socket (nothing shared with the user's)."""

    def __init__(self, cwd: Path, width: int = 80, height: int = 24, env: dict | None = None):
        self.sock = f"bntui-{uuid.uuid4().hex[:8]}"
        self.cwd = Path(cwd)
        self.env = dict(env or {})
        self._tmux(
            "new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height), "bash --norc -i"
        )
        self._tmux("set-option", "-t", "t", "status", "off")
        self._tmux("set-window-option", "-t", "t", "window-size", "manual")
        exports = " ".join(f"{k}={shlex.quote(str(v))}" for k, v in self.env.items())
        bindir = os.path.dirname(sys.executable)
        self.type(f"cd {shlex.quote(str(self.cwd))}; export PATH={bindir}:$PATH {exports}")
        self.type("export PS1='$ '; clear")

    def _tmux(self, *args: str) -> str:
        out = subprocess.run(
            ["tmux", "-L", self.sock, *args], capture_output=True, text=True, timeout=20
        )
        return out.stdout

    def type(self, line: str) -> None:
        """Type a shell line and Enter."""
        self._tmux("send-keys", "-t", "t", "-l", line)
        self._tmux("send-keys", "-t", "t", "Enter")

    def keys(self, *names: str) -> None:
        """tmux key names: ``b``, ``Space``, ``C-p``, ``PageUp`` …"""
        self._tmux("send-keys", "-t", "t", *names)

    def resize(self, width: int, height: int) -> None:
        self._tmux("resize-window", "-t", "t", "-x", str(width), "-y", str(height))

    def text(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "t", "-S", "-200")

    def pid_of(self, marker: str, timeout: float = 15.0) -> int:
        """The pid of the process started in the pane whose command line holds ``marker``."""
        shell = int(self._tmux("display-message", "-p", "-t", "t", "#{pane_pid}").strip())
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            out = subprocess.run(
                ["pgrep", "-P", str(shell), "-f", "--", marker], capture_output=True, text=True
            ).stdout.split()
            if out:
                return int(out[0])
            time.sleep(0.1)
        raise TimeoutError(f"no process {marker!r} in the pane")

    def wait_for(self, needle: str, timeout: float = 20.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if needle in self.text():
                return True
            time.sleep(0.1)
        return False

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.sock, "kill-server"], capture_output=True)

    def __enter__(self) -> Pane:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not alive
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def wait_exit(pid: int, timeout: float) -> float | None:
    """Seconds until ``pid`` is gone (None if it still runs after ``timeout``)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if not alive(pid):
            return time.monotonic() - start
        time.sleep(0.02)
    return None


def exit_code(pane: Pane, timeout: float = 10.0) -> int | None:
    """The ``EXIT=<n>`` the shell printed after bntui (None if none came)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for line in reversed(pane.text().splitlines()):
            if line.startswith("EXIT="):
                return int(line[5:].strip())
        time.sleep(0.1)
    return None
