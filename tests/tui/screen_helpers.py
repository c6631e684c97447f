"""The whole screen as plain text, for the Korean and polish tests."""

from __future__ import annotations

from rich.console import Console

from bntui.tui.app import BntuiApp


def screen_text(app: BntuiApp) -> str:
    """The whole screen as plain text, the way export_screenshot composes it."""
    console = Console(width=app.size.width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    update = app.screen._compositor.render_update(full=True, simplify=True)
    console.print(update)
    return console.export_text()
