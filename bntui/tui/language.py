"""The interface language of a running app: the footer's labels, titles and notes.

``bntui.i18n`` translates strings; this module re-labels what Textual keeps itself (the
bindings behind the footer) and the titles set once at mount, when ``lang`` changes.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from textual.widgets import Static

from bntui import i18n
from bntui.i18n import N_, _
from bntui.tui.commandline import CommandLine
from bntui.tui.keys import KEYS
from bntui.tui.panels import Keyed
from bntui.tui.panels.bars import StatusBar
from bntui.tui.panels.charts import LOSS_TITLE
from bntui.tui.render import asciify

PLACEHOLDER = N_("command, e.g. lr 0.05 · bn off · depth 6")


def too_small_text(ascii: bool, width: int, height: int) -> str:
    text = _("terminal too small (need {w}×{h}) — enlarge it, or q to quit")
    text = text.format(w=width, h=height)
    return asciify(text) if ascii else text


def translate_bindings(app: Any) -> None:
    """The footer's labels in the current language (the key table holds English)."""
    labels = {k.action: k.label for k in KEYS} | {"command_palette": N_("palette")}
    table = app._bindings.key_to_bindings
    for key, items in table.items():
        table[key] = [
            dataclasses.replace(b, description=_(labels[b.action])) if b.action in labels else b
            for b in items
        ]


def set_language(app: Any, lang: str) -> None:
    """Switch every later string, the footer and the titles; say so on the message line."""
    i18n.set_language(lang)
    translate_bindings(app)
    app.refresh_bindings()
    screen = app.main_screen
    screen.query_one("#loss").border_title = _(LOSS_TITLE[app.ascii])
    screen.query_one("#too-small", Static).update(app._too_small_text())
    screen.query_one("#cmd", CommandLine).placeholder = _(PLACEHOLDER)
    for bar in screen.query(StatusBar):
        bar.forget()
    for panel in screen.query("*"):  # every panel redraws its titles in the new language
        if isinstance(panel, Keyed):
            panel._key = None
    app.painter.forget()
    app.app_message = _("language: {lang}").format(lang=lang)
    app.pull()
