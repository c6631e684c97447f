"""The `?` help screen: every key, and the whole command vocabulary for `:`."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from bntui.commands import help_lines

KEYS: list[tuple[str, str]] = [
    ("b", "BN on/off"),
    ("B", "BN before/after the activation"),
    ("a / A", "next / previous activation"),
    ("+ / -", "depth +1 / -1"),
    ("w / W", "width ÷2 / ×2"),
    ("l / L", "learning rate ÷2 / ×2"),
    ("i", "cycle init (re-initializes)"),
    ("o", "cycle optimizer"),
    ("p", "cycle dropout 0 → 0.1 → 0.3 → 0.5"),
    ("d", "cycle dataset"),
    ("r", "reset weights"),
    ("space", "pause / resume"),
    ("n", "one step (while paused)"),
    ("↑ / ↓", "select layer (drift, bands)"),
    ("y", "loss chart: log / linear y"),
    ("1 2 3 4", "views: main, decision, histograms, events"),
    ("s", "SVG screenshot to bntui-<step>.svg"),
    ("ctrl+s", "save the session as a replay script"),
    (":", "type a command (Enter runs; Enter on empty or Esc closes)"),
    ("ctrl+p", "command palette"),
    ("?", "this help"),
    ("q", "quit"),
]


class HelpScreen(ModalScreen[None]):
    """Keys on the left, the vocabulary on the right; any of ?, Esc, Enter, q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,enter,q", "dismiss", "close", show=True),
    ]

    def compose(self) -> ComposeResult:
        keys = Table.grid(padding=(0, 1))
        keys.add_column(style="bold", no_wrap=True)
        keys.add_column()
        for k, what in KEYS:
            keys.add_row(k, what)
        vocab = Text()
        for n, line in enumerate(help_lines()):
            if n:
                vocab.append("\n")
            cmd, _, what = line.partition(" — ")
            vocab.append(cmd, style="bold")
            vocab.append(f"  {what}" if what else "", style="dim")
        with VerticalScroll(id="help-body"):
            yield Static(keys, id="help-keys")
            yield Static(Text("Commands for : and replay scripts", style="bold underline"))
            yield Static(vocab, id="help-vocab")

    def on_mount(self) -> None:
        body = self.query_one("#help-body")
        body.border_title = "bntui · help"
        body.border_subtitle = "? / Esc / Enter closes"

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
