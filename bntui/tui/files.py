"""What the app writes: SVG screenshots and the session as a replay script."""

from __future__ import annotations

import os
from pathlib import Path

from textual.app import App

from bntui.frame import Needs
from bntui.i18n import _
from bntui.replay.recorder import script_toml, write_script
from bntui.runner import Runner
from bntui.svgfonts import cjk_svg
from bntui.tui.web import in_browser, offer_download


def screenshot(app: App, step: int) -> str:
    """Save ``bntui-<step>.svg`` in the working directory; returns the message to show.

    Under ``bntui serve`` the browser downloads it instead (nothing is written on the server).
    """
    svg = cjk_svg(app.export_screenshot())  # Korean fonts, wide characters two cells
    if in_browser(app):
        return offer_download(app, svg, f"bntui-{step}.svg")
    try:
        path = Path(os.getcwd()) / f"bntui-{step}.svg"
        path.write_text(svg, encoding="utf-8")  # as app.save_screenshot did
    except OSError as exc:
        return _("screenshot failed: {why}").format(why=exc.strerror or exc)
    return _("screenshot saved: {path}").format(path=path)


def save_script(runner: Runner, path: str, app: App | None = None) -> str:
    """Save the session so far as a replay script (from a Frame); returns the message.

    Under ``bntui serve`` (``app`` in a browser) the browser downloads it instead.
    """
    frame = runner.frame(Needs(script=True), settled=True)  # keys sent before count
    assert frame.initial_config is not None
    if app is not None and in_browser(app):
        text = script_toml(frame.initial_config, frame.log, frame.step)
        return offer_download(app, text, Path(path).name)
    try:
        write_script(frame.initial_config, frame.log, frame.step, path, force=True)
    except (OSError, ValueError) as exc:
        return _("could not save {path}: {why}").format(path=path, why=exc)
    return _("session saved: {path}").format(path=Path(path).resolve())
