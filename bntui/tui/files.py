"""What the app writes: SVG screenshots and the session as a replay script."""

from __future__ import annotations

import os
from pathlib import Path

from textual.app import App

from bntui.frame import Needs
from bntui.replay.recorder import write_script
from bntui.runner import Runner


def screenshot(app: App, step: int) -> str:
    """Save ``bntui-<step>.svg`` in the working directory; returns the message to show."""
    try:
        path = app.save_screenshot(filename=f"bntui-{step}.svg", path=os.getcwd())
    except OSError as exc:
        return f"screenshot failed: {exc.strerror or exc}"
    return f"screenshot saved: {path}"


def save_script(runner: Runner, path: str) -> str:
    """Save the session so far as a replay script (from a Frame); returns the message."""
    frame = runner.frame(Needs(script=True))
    assert frame.initial_config is not None
    try:
        write_script(frame.initial_config, frame.log, frame.step, path, force=True)
    except (OSError, ValueError) as exc:
        return f"could not save {path}: {exc}"
    return f"session saved: {Path(path).resolve()}"
