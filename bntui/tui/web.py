"""The app in a browser page (``bntui serve``): files become downloads; orphans quit.

In a terminal, ``s`` and ctrl+s write into the working directory of the machine bntui runs
on, which is the user's own. Through textual-serve that machine is the server: the file
would land where the student cannot reach it (and one tab could overwrite another's), so
the text goes to the browser instead, via Textual's ``App.deliver_text`` (textual-serve
then offers it at a one-time ``/download/KEY`` address). A download waits in the app's
memory until the browser fetches it; a tab keeps the newest ``MAX_DOWNLOADS`` (and at most
``MAX_DOWNLOAD_BYTES``) and drops older undelivered ones (``bntui serve`` forgets them too).

Textual's web driver keeps the app running when its stdin reaches end-of-file, so a tab's
session would outlive a server that was killed (paused, it never writes, so it never
meets a broken pipe either): ``watch_server`` ends the app once its parent is gone.
"""

from __future__ import annotations

import contextlib
import io
import os

from textual.app import App

from bntui.i18n import _

MIME_TYPES = {".svg": "image/svg+xml", ".toml": "application/toml"}
MAX_DOWNLOADS = 8  # as bntui.cli.serve.MAX_DOWNLOADS
MAX_DOWNLOAD_BYTES = 32 * 2**20


def in_browser(app: App) -> bool:
    """True when the app draws into a web page (textual-serve / textual-web)."""
    return bool(app.is_web)


def offer_download(app: App, text: str, filename: str) -> str:
    """Hand ``text`` to the browser as the download ``filename``; returns the status line.

    Only meaningful when ``in_browser(app)``; Textual would otherwise save into the user's
    downloads directory, which is why callers in a terminal write their file themselves.
    """
    suffix = filename[filename.rfind(".") :] if "." in filename else ""
    mime = MIME_TYPES.get(suffix.lower(), "text/plain")
    drop_old_downloads(app, len(text))
    try:
        app.deliver_text(
            io.StringIO(text),
            save_filename=filename,
            open_method="download",
            encoding="utf-8",
            mime_type=mime,
        )
    except Exception as exc:  # the driver refused: say so on the message line, keep running
        return _("download failed: {why}").format(why=exc)
    return _("{name}: sent to the browser as a download").format(name=filename)


def drop_old_downloads(app: App, adding: int) -> int:
    """Free the oldest undelivered downloads so that one more (``adding`` characters) keeps
    the tab within ``MAX_DOWNLOADS`` and ``MAX_DOWNLOAD_BYTES``; returns how many went.

    Textual's web driver keeps each one as a file object in ``_deliveries`` (by delivery
    key, oldest first) until the browser has read it to the end."""
    pending = getattr(getattr(app, "_driver", None), "_deliveries", None)
    if not isinstance(pending, dict):
        return 0
    dropped = 0

    def size(f: object) -> int:
        buffer = getattr(f, "getbuffer", None) or getattr(f, "getvalue", None)
        return len(buffer()) if buffer else 0

    while pending and (
        len(pending) >= MAX_DOWNLOADS
        or sum(map(size, pending.values())) + adding > MAX_DOWNLOAD_BYTES
    ):
        key = next(iter(pending))
        with contextlib.suppress(Exception):
            pending.pop(key).close()
        dropped += 1
    return dropped


def watch_server(app: App, seconds: float = 2.0) -> None:
    """In a browser, exit the app when the server that started it is gone (re-parented)."""
    if not in_browser(app):
        return
    parent = os.getppid()

    def check() -> None:
        if os.getppid() != parent:
            app.exit(0)

    app.set_interval(seconds, check, name="watch-server")
