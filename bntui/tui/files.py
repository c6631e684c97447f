"""What the app writes: SVG screenshots and the session as a replay script."""

from __future__ import annotations

import os
from pathlib import Path

from textual.app import App

from bntui.export import FILE_MODE
from bntui.i18n import _
from bntui.live.frame import Needs
from bntui.live.runner import Runner
from bntui.replay.recorder import script_toml, write_script
from bntui.svgfonts import cjk_svg
from bntui.tui.web import in_browser, offer_download


def screenshot(app: App, step: int) -> str:
    """Save ``bntui-<step>.svg`` in the working directory; returns the message to show.

    The file is created, never replaced and never reached through a link: when the name
    is taken (a file, a link, even a dangling one) the next free ``bntui-<step>-N.svg`` is
    used and the message says so. Under ``bntui serve`` the browser downloads it instead
    (nothing is written on the server).
    """
    svg = cjk_svg(app.export_screenshot())  # Korean fonts, wide characters two cells
    if in_browser(app):
        return offer_download(app, svg, f"bntui-{step}.svg")
    target = Path(os.getcwd()) / f"bntui-{step}.svg"
    for path in [target, *(numbered(target, n) for n in range(1, 1000))]:
        try:
            _create(path, svg)
        except FileExistsError:
            continue
        except OSError as exc:
            return _("screenshot failed: {why}").format(why=exc.strerror or exc)
        if path != target:
            note = _("{target} exists (not replaced); screenshot saved: {path}")
            return note.format(target=target.name, path=path)
        return _("screenshot saved: {path}").format(path=path)
    return _("could not save {path}: no free numbered name").format(path=target)


def _create(path: Path, text: str) -> None:
    """Write a new file at ``path``: FileExistsError if anything (a link too) is there."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
    except BaseException:
        path.unlink(missing_ok=True)  # ours: created just now (O_EXCL)
        raise


def save_script(
    runner: Runner, path: str, app: App | None = None, *, owned: set[Path] | None = None
) -> str:
    """Save the session so far as a replay script (from a Frame); returns the message.

    ``owned``: the files this session created (or the user allowed with --force); one of
    them is replaced, but an existing file not in it never is: the script goes to the
    first free numbered name (``bntui-session-1.toml`` …) and the message says so.
    Under ``bntui serve`` (``app`` in a browser) the browser downloads it instead.
    """
    frame = runner.frame(Needs(script=True), settled=True)  # keys sent before count
    assert frame.initial_config is not None
    travel = frame.travel
    if travel is not None and travel.branch_at is not None:  # the recording names the branch
        named = (f"Branch at step {travel.branch_at:,}", travel.branch or "")
    else:
        named = ("Recorded session", "")
    if app is not None and in_browser(app):
        text = script_toml(frame.initial_config, frame.log, frame.script_steps, *named)
        return offer_download(app, text, Path(path).name)
    owned = set() if owned is None else owned
    target = Path(path)
    for name in [target, *(numbered(target, n) for n in range(1, 1000))]:
        mine = _key(name) in owned  # this session wrote it (or --force allowed it)
        if name.exists() and not mine:
            continue
        try:
            write_script(
                frame.initial_config, frame.log, frame.script_steps, name, force=mine, named=named
            )
        except (OSError, ValueError) as exc:
            if not mine and name.exists():
                continue  # appeared meanwhile: the next number
            why = getattr(exc, "strerror", None) or exc
            return _("could not save {path}: {why}").format(path=name, why=why)
        owned.add(_key(name))
        if name != target:
            note = _("{target} exists (not written here); session saved: {path}")
            return note.format(target=target, path=name.resolve())
        return _("session saved: {path}").format(path=name.resolve())
    return _("could not save {path}: no free numbered name").format(path=target)


def numbered(path: Path, n: int) -> Path:
    """``dir/name-<n>.suffix``."""
    return path.with_name(f"{path.stem}-{n}{path.suffix}")


def _key(path: Path) -> Path:
    return Path(os.path.abspath(path))
