"""How the live app ends and what it keeps: signals, the autosave, the --record file.

SIGINT, SIGTERM and SIGHUP (an SSH connection dropping, a tmux session killed) are caught
on the app's event loop (``loop.add_signal_handler``), so the app exits the normal way:
Textual's driver restores the terminal (canonical mode and echo, main screen, no mouse
tracking, cursor shown), the session is saved first, and the exit status is 128 + signal.

The autosave keeps the live session's script (config + commands so far) in the user's
state directory (``BNTUI_STATE_DIR`` overrides it): written atomically when a command was
applied (checked every second), every ``AUTOSAVE_EVERY`` seconds and at exit;
``bntui --resume-last`` replays it and goes on live. A browser tab of ``bntui serve``
(``BNTUI_SERVED=1``) has no autosave: the server user's state is not a stranger's to write.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path
from typing import Protocol

import platformdirs

from bntui.i18n import _
from bntui.live.frame import Needs
from bntui.live.runner import Runner
from bntui.replay.recorder import write_script


class SignalTarget(Protocol):
    """What the signal handlers call (the app)."""

    def on_signal(self, signum: int) -> None: ...


STATE_ENV = "BNTUI_STATE_DIR"
SERVED_ENV = "BNTUI_SERVED"  # set by bntui serve in each tab's process
AUTOSAVE_NAME = "last-session.toml"
AUTOSAVE_EVERY = 10.0  # seconds between saves while training (commands save within 1 s)
HANDLED = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def state_dir() -> Path:
    """Where bntui keeps its state (``BNTUI_STATE_DIR`` or platformdirs' user state dir)."""
    env = os.environ.get(STATE_ENV)
    return Path(env) if env else platformdirs.user_state_path("bntui")


def served() -> bool:
    """True in a session that ``bntui serve`` started for a browser tab."""
    return os.environ.get(SERVED_ENV) == "1"


def autosave_path() -> Path:
    return state_dir() / AUTOSAVE_NAME


class Autosave:
    """Keeps ``path`` equal to the session's script: on new commands, periodically, at exit."""

    def __init__(self, runner: Runner, path: Path, every: float = AUTOSAVE_EVERY) -> None:
        self.runner = runner
        self.path = Path(path)
        self.every = every
        self.saves = 0
        self.error: str | None = None
        self._logged = -1  # commands in the last save
        self._step = -1
        self._at = 0.0

    def tick(self) -> None:
        """Save if a command came in since the last save, or every ``every`` seconds."""
        frame = self.runner.frame(Needs(script=True))
        late = time.monotonic() - self._at >= self.every and frame.step != self._step
        if len(frame.log) != self._logged or late:
            self.save(settled=False)

    def save(self, *, settled: bool = True) -> bool:
        """Write the script now (atomic; the autosave file is bntui's own). True on success."""
        frame = self.runner.frame(Needs(script=True), settled=settled)
        if frame.initial_config is None:
            return False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_script(frame.initial_config, frame.log, frame.script_steps, self.path, force=True)
        except (OSError, ValueError) as exc:
            why = getattr(exc, "strerror", None) or exc
            self.error = _("autosave failed: {path}: {why}").format(path=self.path, why=why)
            return False
        self.saves += 1
        self._logged, self._step, self._at = len(frame.log), frame.step, time.monotonic()
        self.error = None
        return True


def install_signal_handlers(app: SignalTarget) -> bool:
    """Route SIGINT/SIGTERM/SIGHUP to ``app.on_signal`` on the running loop (main thread
    only); True if installed. ``remove_signal_handlers`` undoes it."""
    try:
        loop = asyncio.get_running_loop()
        for sig in HANDLED:
            loop.add_signal_handler(sig, app.on_signal, int(sig))
    except (RuntimeError, ValueError, NotImplementedError):  # not the main thread / Windows
        return False
    return True


def remove_signal_handlers() -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    for sig in HANDLED:
        with contextlib.suppress(RuntimeError, ValueError):
            loop.remove_signal_handler(sig)
