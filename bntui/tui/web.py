"""The app in a browser page (``bntui serve``): files become downloads; orphans quit.

In a terminal, ``s`` and ctrl+s write into the working directory of the machine bntui runs
on, which is the user's own. Through textual-serve that machine is the server: the file
would land where the student cannot reach it (and one tab could overwrite another's), so
the text goes to the browser instead, via Textual's ``App.deliver_text`` (textual-serve
then offers it at a one-time ``/download/KEY`` address).

Textual's web driver keeps the app running when its stdin reaches end-of-file, so a tab's
session would outlive a server that was killed (paused, it never writes, so it never
meets a broken pipe either): ``watch_server`` ends the app once its parent is gone.
"""

from __future__ import annotations

import io
import os

from textual.app import App

from bntui.i18n import _

MIME_TYPES = {".svg": "image/svg+xml", ".toml": "application/toml"}


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


def watch_server(app: App, seconds: float = 2.0) -> None:
    """In a browser, exit the app when the server that started it is gone (re-parented)."""
    if not in_browser(app):
        return
    parent = os.getppid()

    def check() -> None:
        if os.getppid() != parent:
            app.exit(0)

    app.set_interval(seconds, check, name="watch-server")
