"""How the live app ends and what it keeps: signals, the autosave, the --record file.

SIGINT, SIGTERM and SIGHUP (an SSH connection dropping, a tmux session killed) are caught
on the app's event loop (``loop.add_signal_handler``), so the app exits the normal way:
Textual's driver restores the terminal (canonical mode and echo, main screen, no mouse
tracking, cursor shown), the session is saved first, and the exit status is 128 + signal.

The autosave keeps the live session's script (config + commands so far) in the user's
state directory (``BNTUI_STATE_DIR`` overrides it): written atomically when a command was
applied (checked every second), every ``AUTOSAVE_EVERY`` seconds and at exit;
``bntui --resume-last`` replays it and goes on live.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path
from typing import Any, Protocol

import platformdirs

from bntui.frame import Needs
from bntui.i18n import _
from bntui.replay.recorder import write_script
from bntui.runner import Runner


class SignalTarget(Protocol):
    """What the signal handlers call (the app)."""

    def on_signal(self, signum: int) -> None: ...


STATE_ENV = "BNTUI_STATE_DIR"
AUTOSAVE_NAME = "last-session.toml"
AUTOSAVE_EVERY = 10.0  # seconds between saves while training (commands save within 1 s)
HANDLED = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def state_dir() -> Path:
    """Where bntui keeps its state (``BNTUI_STATE_DIR`` or platformdirs' user state dir)."""
    env = os.environ.get(STATE_ENV)
    return Path(env) if env else platformdirs.user_state_path("bntui")


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


def start(app: Any) -> None:
    """At mount: the autosave timer (and where it writes), and the signal handlers in a
    real terminal."""
    if app.autosave is not None:
        path = app.autosave.path
        app.app_message = _("autosave: {path} (bntui --resume-last)").format(path=path)
        app.set_interval(1.0, lambda: autosave_tick(app), name="autosave")
    if not app.is_headless:  # a real terminal: signals end the app the normal way
        install_signal_handlers(app)


def autosave_tick(app: Any) -> None:
    app.autosave.tick()
    if app.autosave.error:  # never silently: the path and the reason
        app.app_message = app.autosave.error


def save_at_exit(app: Any) -> None:
    """Stop training and save the --record file and the autosave (once)."""
    from bntui.tui import files

    if app._saved_at_exit:
        return
    app._saved_at_exit = True
    app.runner.stop(timeout=1.0)
    if app.record_path:
        app.app_message = files.save_script(app.runner, app.record_path, owned=app.owned)
    if app.autosave is not None:
        app.autosave.save()


def on_signal(app: Any, signum: int) -> None:
    """SIGINT/SIGTERM/SIGHUP: save, then exit normally (the driver restores the terminal)
    with status 128 + signal. A third signal exits at once."""
    if app.exit_signal is not None:
        app._signals_after += 1
        if app._signals_after >= 2:
            os._exit(128 + signum)
        return
    app.exit_signal = signum
    save_at_exit(app)
    app.exit(128 + signum, return_code=128 + signum)
