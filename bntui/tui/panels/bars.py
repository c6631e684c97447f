"""One-line bars: the status line, the caption and the message line."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from bntui.i18n import N_, _
from bntui.live.frame import Frame, RunState
from bntui.tui.render import asciify, fmt_pace, fmt_rate
from bntui.tui.travel import status as travel_status

STATE_GLYPH = {
    RunState.RUNNING: "▶",
    RunState.PAUSED: "‖",
    RunState.DIVERGED: "✖",
    RunState.CRASHED: "✖",
    RunState.STOPPED: "■",
}
STATE_ASCII = {
    RunState.RUNNING: ">",
    RunState.PAUSED: "||",
    RunState.DIVERGED: "X",
    RunState.CRASHED: "X",
    RunState.STOPPED: "#",
}
# the state word shown (the Frame's state is a RunState; its word is translated when shown)
STATE_WORD = {
    RunState.RUNNING: N_("running"),
    RunState.PAUSED: N_("paused"),
    RunState.DIVERGED: N_("diverged"),
    RunState.CRASHED: N_("crashed"),
    RunState.STOPPED: N_("stopped"),
}
STATE_STYLE = {
    RunState.RUNNING: "bold green",
    RunState.PAUSED: "bold yellow",
    RunState.DIVERGED: "bold red",
    RunState.CRASHED: "bold red",
    RunState.STOPPED: "bold",
}


def status_text(snap: Frame, *, view: str, show_rate: bool, ascii: bool) -> Text:
    """State, step, rate, epoch, then the exact `key:value` tokens of the experiment.

    The state word is translated (``bntui.i18n``); the tokens are not: they are the
    vocabulary's own words (``bn on``, ``lr 0.05``), what the user types at ``:``.

    The most useful tokens come first (at 80 columns the line wraps after ``width:``).
    Separating spaces end a segment instead of starting the next one: SVG renderers such
    as rsvg drop a text element's leading space, which glued "paused" to "ep:11".
    """
    c = snap.config
    glyph = (STATE_ASCII if ascii else STATE_GLYPH)[snap.state]
    t = Text()
    word = _(STATE_WORD[snap.state])
    t.append(f"{glyph} {word} ", style=STATE_STYLE[snap.state])
    past = travel_status(snap)
    if past is not None:  # at a past step: "⏪ step 300 of 2,000 · the future is kept"
        t.append((asciify(past) if ascii else past) + " ", style="bold yellow")
    else:
        t.append(f"step:{snap.step} ", style="bold")
    rate = fmt_rate(snap.steps_per_sec) if show_rate else "–"
    t.append((asciify(rate) if ascii else rate) + " ", style="dim")
    t.append(f"pace:{fmt_pace(snap.pace)} ", style="bold cyan")
    t.append(f"ep:{snap.epoch} ")
    norm = c.normalization
    if norm in ("bn", "none"):  # BN:on / BN:off, as since the first version
        on = norm == "bn"
        t.append(f"BN:{'on' if on else 'off'} ", style="bold green" if on else "bold yellow")
    else:  # another normalization: named (LN, GN:4, BRN, noisy BN)
        t.append(f"norm:{snap.norm_label.replace(' ', '-')} ", style="bold green")
    if snap.labels is not None and snap.twin is not None:  # compare mode: both twins named
        t.append("<> " if ascii else "⇄ ", style="bold")
        for n, (label, f) in enumerate(zip(snap.labels, (snap, snap.twin), strict=True)):
            glyph = ("*", "x")[n] if ascii else ("•", "×")[n]
            state = ":diverged" if f.state == RunState.DIVERGED else ""
            t.append(f"{glyph}{label}{state} ", style=("bold cyan", "bold #ff6ad5")[n])
    tokens = [
        f"pos:{c.bn_position}",
        f"act:{c.activation}",
        f"depth:{c.depth}",
        f"width:{c.width}",
        f"lr:{c.lr:g}",
        f"opt:{c.optimizer}",
        f"init:{c.init}",
        f"data:{c.dataset}",
    ]
    if c.dropout:
        tokens.append(f"drop:{c.dropout:g}")
    t.append(" ".join(tokens) + " ")
    t.append(f"[{view}]", style="dim")
    return t


class StatusBar(Static):
    """The top line(s): wraps to two lines at 80 columns, never splits a token."""

    def __init__(self, *, ascii: bool = False, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.ascii = ascii
        self._key: object = None
        self._lines: int | None = None  # wrapped height of the shown text

    def forget(self) -> None:
        """Redraw at the next ``show`` (the language changed)."""
        self._key = None

    def show(self, snap: Frame, *, view: str, show_rate: bool) -> None:
        rate = round(snap.steps_per_sec, -1) if show_rate else None
        key = (snap.state, snap.step, snap.epoch, rate, snap.pace, view, snap.config, snap.travel)
        if key == self._key:
            return
        self._key = key
        self.set_class(snap.state in (RunState.DIVERGED, RunState.CRASHED), "alarm")
        text = status_text(snap, view=view, show_rate=show_rate, ascii=self.ascii)
        # a layout pass repaints the whole screen: only when the wrapped height may change
        width = self.content_size.width
        lines = len(text.wrap(self.app.console, width)) if width > 0 else None
        self.update(text, layout=lines is None or lines != self._lines)
        self._lines = lines


class TextBar(Static):
    """A one-line bar hidden while it has nothing to say (class ``empty``, see app.tcss)."""

    def __init__(self, *, ascii: bool = False, id: str | None = None) -> None:
        super().__init__("", id=id, classes="empty")
        self.ascii = ascii
        self._text: str | None = None

    def say(self, text: str | None, style: str = "") -> None:
        if text == self._text:
            return
        self._text = text
        self.set_class(not text, "empty")
        shown = asciify(text or "") if self.ascii else (text or "")
        self.update(Text(shown, style=style))

    @property
    def text(self) -> str | None:
        return self._text
