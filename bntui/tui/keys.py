"""The one key/action table: the bindings, the command palette, the help screen and the
README's key table are all generated from (or checked against) ``KEYS``.

Engine messages name commands ("try lr /2, bn on or reset"); ``with_keys`` shows each one
with the key that does it ("try l (lr /2), b (bn on) or r (reset)").
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from textual.binding import Binding

from bntui.i18n import _


@dataclass(frozen=True)
class Key:
    """One key: what it does, how the footer, the palette and the help screen name it."""

    id: str  # stable name (tests, docs)
    key: str  # Textual's key name: "b", "plus", "question_mark"
    action: str  # the app action it runs: "send('bn toggle')", "pause"
    label: str  # short footer label (English: the key of its translation, see bntui.i18n)
    description: str  # help screen and command palette (English, translated when shown)
    footer: bool = False  # shown in the footer
    display: str | None = None  # how the key is written, when not its name ("+", "→")
    palette: bool = True  # listed in the command palette
    priority: bool = False
    browser: bool = False  # in the footer in a browser tab (bntui serve)

    @property
    def shown(self) -> str:
        return self.display or self.key

    @property
    def command(self) -> str | None:
        """The vocabulary command the key sends (None for app actions)."""
        m = re.fullmatch(r"send\('(.+)'\)", self.action)
        return m.group(1) if m else None


# id, key (Textual's name), action, footer label, description, key as shown (None: its
# name), options: f = in the footer, x = not in the command palette, ! = priority binding,
# w = in the footer in a browser (bntui serve), where ctrl+s, ctrl+p and ctrl+q are the
# browser's (save the page, print, quit): S and P do what they do, q quits.
# Labels and descriptions are English, translated when shown (tests/unit/test_i18n.py
# checks that bntui/i18n/ko.py has each one).
_TABLE = (
    ("bn", "b", "send('bn toggle')", "BN", "Toggle BN: batch normalization on/off", None, "f"),
    ("norm", "N", "send('norm next')", "norm", "Next normalization (bn ln gn brn …)", None, ""),
    ("bn-pos", "B", "send('bn-position toggle')", "BN pos", "BN before/after activation", None, ""),
    ("act-next", "a", "send('activation next')", "act", "Next activation", None, "f"),
    ("act-prev", "A", "send('activation prev')", "act-", "Previous activation", None, ""),
    ("deeper", "plus", "send('depth +1')", "depth+", "Deeper: depth +1", "+", ""),
    ("shallower", "minus", "send('depth -1')", "depth-", "Shallower: depth -1", "-", ""),
    ("narrower", "w", "send('width /2')", "width/2", "Narrower: width ÷2", None, ""),
    ("wider", "W", "send('width *2')", "width*2", "Wider: width ×2", None, ""),
    ("lr-down", "l", "send('lr /2')", "lr/2", "Halve the learning rate", None, ""),
    ("lr-up", "L", "send('lr *2')", "lr*2", "Double the learning rate", None, ""),
    ("init", "i", "send('init next')", "init", "Next init (re-initializes the weights)", None, ""),
    ("optimizer", "o", "send('optimizer next')", "opt", "Next optimizer", None, ""),
    ("dropout", "p", "send('dropout next')", "dropout", "Next dropout 0→0.1→0.3→0.5", None, ""),
    ("dataset", "d", "send('dataset next')", "data", "Next dataset", None, ""),
    ("reset", "r", "send('reset')", "reset", "Reset: fresh weights", None, ""),
    ("compare", "c", "compare", "compare", "Compare: BN twin in lockstep, on/off", None, ""),
    ("pause", "space", "pause", "pause", "Pause / resume", None, "f"),
    ("slower", "less_than_sign", "speed(0.5)", "slow", "Slower: halve the pace", "<", "f"),
    ("faster", "greater_than_sign", "speed(2)", "fast", "Faster: double the pace", ">", "f"),
    ("next-event", "right", "next_event", "next", "Lesson: skip to the next event", "→", "fx"),
    ("restart", "left", "restart", "restart", "Lesson: start over", "←", "fx"),
    ("step", "n", "step", "step", "One step (while paused)", None, ""),
    ("back", "left_square_bracket", "send('goto prev')", "back",
     "Back: previous event (or a tenth of the run)", "[", ""),
    ("forward", "right_square_bracket", "send('goto next')", "forward",
     "Forward: next event (or a tenth of the run)", "]", ""),
    ("to-start", "left_curly_bracket", "send('goto start')", "start",
     "To step 0 (the future is kept)", "{", ""),
    ("to-newest", "right_curly_bracket", "send('goto end')", "newest",
     "To the newest step", "}", ""),
    ("layer-up", "up", "select(-1)", "layer up", "Select the layer above (drift, bands)", "↑", "x"),
    ("layer-down", "down", "select(1)", "layer down", "Select the layer below", "↓", "x"),
    ("log-y", "y", "log_y", "log-y", "Loss chart: log / linear y axis", None, ""),
    ("view-main", "1", "view('main')", "main", "View: main", None, ""),
    ("view-decision", "2", "view('decision')", "boundary", "View: decision boundary", None, ""),
    ("view-hist", "3", "view('hist')", "hist", "View: activation histograms", None, ""),
    ("view-log", "4", "view('log')", "log", "View: event log", None, ""),
    ("view-internals", "5", "view('internals')", "BN in", "View: BN internals", None, ""),
    ("view-diag", "6", "view('diag')", "ICS", "View: ICS and smoothness", None, ""),
    ("screenshot", "s", "screenshot", "svg", "Screenshot: SVG to bntui-<step>.svg", None, ""),
    ("record", "ctrl+s", "record", "save script", "Save the session as a replay script", None, ""),
    ("record-S", "S", "record", "save script", "Save the script (ctrl+s in a browser)", None, "xw"),
    ("cmd", "colon", "command_line", "cmd", "Type a command (Enter runs, Esc closes)", ":", ""),
    ("explain", "e", "explain", "explain", "Explain: what each mark of a panel means", None, "f"),
    ("help", "question_mark", "help", "help", "Help: keys and commands", "?", "f"),
    ("palette", "P", "palette", "palette", "Command palette (ctrl+p)", None, "xw"),
    ("quit", "q", "quit_key", "quit", "Quit", None, "fx"),
    ("quit-now", "ctrl+q", "quit", "quit", "Quit (also while typing a command)", None, "x!"),
)  # fmt: skip

KEYS: tuple[Key, ...] = tuple(
    Key(i, key, action, label, what, footer="f" in o, display=shown, palette="x" not in o,
        priority="!" in o, browser="w" in o)
    for i, key, action, label, what, shown, o in _TABLE
)  # fmt: skip
# the palette's own key (Textual's), listed in the help screen and the README
PALETTE_KEY = "ctrl+p"


def bindings() -> list[Binding]:
    """The app's BINDINGS."""
    return [
        Binding(
            k.key, k.action, _(k.label), show=k.footer, key_display=k.display, priority=k.priority
        )
        for k in KEYS
    ]


def show_browser_keys(app: Any) -> None:
    """In a browser tab (bntui serve): the footer also shows the keys that stand in for the
    browser's own ctrl+s and ctrl+p (an app's bindings, as ``language`` relabels them)."""
    shown = {k.key for k in KEYS if k.browser}
    table = app._bindings.key_to_bindings
    for key, items in table.items():
        table[key] = [dataclasses.replace(b, show=True) if b.key in shown else b for b in items]


def palette_entries() -> list[tuple[str, str]]:
    """(title, action) for the command palette: "Toggle BN: … (b)"."""
    return [(f"{_(k.description)} ({k.shown})", k.action) for k in KEYS if k.palette]


def help_rows() -> list[tuple[str, str]]:
    """(key, what it does) for the help screen, the palette's key included."""
    rows = [(k.shown, _(k.description)) for k in KEYS]
    return [*rows, (PALETTE_KEY, _("Command palette: every action by name"))]


# engine messages use these command words; "bn on/off" are what `b` does from the other state
_ALIASES = {"bn on": "bn toggle", "bn off": "bn toggle"}


def with_keys(text: str | None) -> str | None:
    """``text`` with the key before every command a key sends:
    "try lr /2, bn on or reset" -> "try l (lr /2), b (bn on) or r (reset)"."""
    if not text:
        return text
    by_command = {k.command: k.shown for k in KEYS if k.command}
    names = sorted({*by_command, *_ALIASES}, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w(-])(" + "|".join(re.escape(n) for n in names) + r")(?![\w)-])")

    def keyed(m: re.Match[str]) -> str:
        name = m.group(1)
        return f"{by_command[_ALIASES.get(name, name)]} ({name})"

    return pattern.sub(keyed, text)
