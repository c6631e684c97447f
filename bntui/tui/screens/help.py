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

from bntui.i18n import N_, _
from bntui.training.commands import help_lines
from bntui.training.timeline import DEFAULT_BUDGET
from bntui.tui.keys import help_rows


class HelpScreen(ModalScreen[None]):
    """Keys on the left, the vocabulary on the right; any of ?, Esc, Enter, q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,enter,q", "dismiss", N_("close"), show=True),
    ]

    def compose(self) -> ComposeResult:
        keys = Table.grid(padding=(0, 1))
        keys.add_column(style="bold", no_wrap=True)
        keys.add_column(overflow="fold")  # ellipsis crops full lines (see legend.py)
        for k, what in help_rows():
            keys.add_row(k, what)
        vocab = Text()
        for n, line in enumerate(help_lines()):
            if n:
                vocab.append("\n")
            cmd, _sep, what = line.partition(" — ")
            vocab.append(cmd, style="bold")
            vocab.append(f"  {_(what)}" if what else "", style="dim")
        with VerticalScroll(id="help-body"):
            yield Static(keys, id="help-keys")
            autosave = getattr(self.app, "autosave", None)
            if autosave is not None:
                note = _("This session is autosaved to {path}; bntui --resume-last brings it back.")
                note = note.format(path=autosave.path)
                yield Static(Text(note, style="dim"), id="help-autosave")
            travel = _(
                "Time travel: the session keeps checkpoints of its whole state, at most "
                "{mib} MiB (thinned like the history when full)."
            ).format(mib=DEFAULT_BUDGET // 2**20)
            travel += " " + _(
                "A change at a past step starts a branch beside the recorded future. "
                "Leaving the branch ([ ] { } or goto) drops the recorded future: the "
                "branch's own timeline goes on (ctrl+s saves it)."
            )
            yield Static(Text(travel, style="dim"), id="help-travel")
            yield Static(Text(_("Commands for : and replay scripts"), style="bold underline"))
            yield Static(vocab, id="help-vocab")

    def on_mount(self) -> None:
        for body in self.query("#help-body"):  # none if the screen closed before it mounted
            body.focus()  # so ↑ ↓ PgUp PgDn scroll it, as its frame says
            body.border_title = _("bntui · help")
            body.border_subtitle = _("↑ ↓ PgDn scroll · ? / Esc / Enter closes")

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
