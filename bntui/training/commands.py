"""The command vocabulary: ``parse("bn off") -> Command`` and ``str(Command) -> "bn off"``.

Keys, replay scripts, the ``:`` prompt, the command palette and CLI flags all produce
these objects; the Session applies them between steps. Parsing checks the syntax and the
value's type; whether a value fits the current experiment (``depth +1`` at depth 32) is
decided when the Session applies it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from bntui.errors import BntuiError
from bntui.nn.names import NORM_NAMES
from bntui.nn.nn_error import NNError
from bntui.nn.norm_layers import parse_norm
from bntui.training.config import (
    ACTIVATIONS,
    BN_POSITIONS,
    DATASETS,
    INIT_PRESETS,
    MAX_DEPTH,
    MAX_WIDTH,
    OPTIMIZERS,
    ConfigError,
    parse_init,
)


class CommandError(BntuiError, ValueError):
    """A command that cannot be parsed or applied; the message is one line for the user."""


@dataclass(frozen=True)
class Command:
    """One action on the experiment: a verb and its (normalized) argument text."""

    verb: str
    arg: str = ""

    def __str__(self) -> str:
        return f"{self.verb} {self.arg}".strip()


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?"
_RELATIVE = re.compile(rf"^([*/])\s*({_NUMBER})$", re.IGNORECASE)


def _choice(options: tuple[str, ...], extra: tuple[str, ...] = ()):
    def check(arg: str) -> str:
        value = arg.lower().replace("-", "_") if options is ACTIVATIONS else arg.lower()
        if value in options or value in extra:
            return value
        raise CommandError(f"expected one of {', '.join(options + extra)}, got {arg!r}")

    return check


def _integer(lo: int, hi: int, *, relative: bool = False):
    def check(arg: str) -> str:
        text = arg.replace(" ", "")
        if relative and re.fullmatch(r"[-+]\d+", text):
            return text
        if relative and _RELATIVE.match(text):
            return _relative(text)
        if not re.fullmatch(r"\d+", text):
            hint = ", +N, -N, *F or /F" if relative else ""
            raise CommandError(f"expected a whole number{hint}, got {arg!r}")
        value = int(text)
        if not lo <= value <= hi:
            raise CommandError(f"expected a value in {lo}..{hi}, got {value}")
        return str(value)

    return check


def _positive_float(*, zero_ok: bool = False, below_one: bool = False, off: bool = False):
    def check(arg: str) -> str:
        text = arg.replace(" ", "").lower()
        if off and text in ("off", "none"):
            return "off"
        if _RELATIVE.match(text):
            return _relative(text)
        try:
            value = float(text)
        except ValueError:
            raise CommandError(f"expected a number, got {arg!r}") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok):
            raise CommandError(f"expected a {'non-negative' if zero_ok else 'positive'} number")
        if below_one and value >= 1:
            raise CommandError(f"expected a value below 1, got {value:g}")
        return f"{value:g}"

    return check


def _relative(text: str) -> str:
    op, factor = _RELATIVE.match(text).groups()  # type: ignore[union-attr]
    f = float(factor)
    if not (math.isfinite(f) and f > 0):
        raise CommandError(f"the factor must be a positive number, got {factor!r}")
    return f"{op}{f:g}"


def _init(arg: str) -> str:
    if arg.lower() in ("next", "prev"):
        return arg.lower()
    try:
        kind, std = parse_init(arg)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    return kind if std is None else f"std:{std:g}"


def _text(arg: str) -> str:
    text = " ".join(arg.split())
    if not text:
        raise CommandError("expected some text")
    return text


def _norm(arg: str) -> str:
    value = arg.strip().lower()
    if value in ("next", "prev"):
        return value
    try:
        parse_norm(value)
    except NNError as exc:
        raise CommandError(str(exc)) from None
    return value


def _every(arg: str) -> str:
    text = arg.strip().lower()
    if text in ("off", "none", "0"):
        return "off"
    if not re.fullmatch(r"\d+", text) or not 1 <= int(text) <= 1_000_000:
        raise CommandError(f"expected a number of steps 1..1000000 or off, got {arg!r}")
    return str(int(text))


def _compare(arg: str) -> str:
    text = " ".join(arg.replace("=", " ").split()).lower()
    return text or "on"


def _goto(arg: str) -> str:
    text = arg.strip().lower()
    if text in ("prev", "next", "start", "end"):
        return text
    return _integer(0, 10**12)(arg)


def _nothing(arg: str) -> str:
    if arg:
        raise CommandError(f"takes no argument, got {arg!r}")
    return ""


# verb -> (argument checker, help line). The one list of what the vocabulary holds.
VOCABULARY: dict[str, tuple] = {
    "bn": (_choice(("on", "off", "toggle")), "bn on|off|toggle — batch normalization"),
    "norm": (
        _norm,
        "norm " + "|".join(NORM_NAMES) + "|next — the normalization, gn:G for G groups",
    ),
    "bn-position": (
        _choice(BN_POSITIONS, ("toggle",)),
        "bn-position before|after|toggle — BN before or after the activation",
    ),
    "activation": (
        _choice(ACTIVATIONS, ("next", "prev")),
        "activation NAME|next|prev — " + ", ".join(ACTIVATIONS),
    ),
    "depth": (
        _integer(0, MAX_DEPTH, relative=True),
        f"depth N|+1|-1 — hidden layers 0..{MAX_DEPTH}",
    ),
    "width": (
        _integer(1, MAX_WIDTH, relative=True),
        f"width N|*2|/2 — units per hidden layer 1..{MAX_WIDTH}",
    ),
    "lr": (_positive_float(), "lr X|*2|/2 — learning rate"),
    "optimizer": (_choice(OPTIMIZERS, ("next", "prev")), "optimizer sgd|momentum|adam|next"),
    "init": (_init, "init he|xavier|std:S|next — re-initializes the weights"),
    "weight-decay": (_positive_float(zero_ok=True), "weight-decay X — L2 penalty λ"),
    "l1": (_positive_float(zero_ok=True), "l1 X — L1 penalty λ"),
    "max-norm": (_positive_float(off=True), "max-norm X|off — cap each unit's weight norm"),
    "dropout": (
        _positive_float(zero_ok=True, below_one=True),
        "dropout P|next — dropout probability (0 = off)",
    ),
    "batch-size": (_integer(1, 65536, relative=True), "batch-size N|*2|/2 — mini-batch size"),
    "dataset": (_choice(DATASETS[:-1], ("next", "prev")), "dataset NAME|next — switch data set"),
    "seed": (_integer(0, 2**63 - 1), "seed N — new seed: re-draws weights and batch order"),
    "compare": (
        _compare,
        "compare on|off|KEY VALUE — a twin differing in one setting (BN flipped by default)",
    ),
    "goto": (
        _goto,
        "goto STEP|prev|next|start|end — go back (or forward) to a step, the previous/next "
        "event (or a tenth of the run), step 0 or the newest; the recorded future is kept",
    ),
    "ics-every": (_every, "ics-every K|off — log internal covariate shift every K steps"),
    "smooth-every": (_every, "smooth-every N|off — log loss smoothness every N steps"),
    "reset": (_nothing, "reset — fresh weights (same init), optimizer state cleared"),
    "mark": (_text, "mark LABEL — put a labelled marker on the charts"),
    "caption": (_text, "caption TEXT — a caption (shown in replays)"),
    # a display setting: the app applies it, the session refuses it (never in a script)
    "lang": (_choice(("en", "ko")), "lang en|ko — interface language (display only)"),
}
DISPLAY_VERBS = ("lang",)  # applied by the app, not the Session: not logged, not replayed
# "dropout next" needs its own word, the float checker would refuse it.
_CYCLIC = {"dropout": ("next", "prev")}

ALIASES = {
    "batchnorm": "bn",
    "act": "activation",
    "opt": "optimizer",
    "wd": "weight-decay",
    "weight_decay": "weight-decay",
    "bn_position": "bn-position",
    "pos": "bn-position",
    "batch_size": "batch-size",
    "max_norm": "max-norm",
    "data": "dataset",
    "label": "mark",
    "ics_every": "ics-every",
    "smooth_every": "smooth-every",
}


def parse(text: str) -> Command:
    """Parse one command line (``"lr *2"``, ``"bn off"``); raise CommandError if invalid."""
    line = " ".join(str(text).split())
    if not line:
        raise CommandError("empty command")
    head, _, rest = line.partition(" ")
    verb = ALIASES.get(head.lower(), head.lower())
    if verb not in VOCABULARY:
        import difflib

        close = difflib.get_close_matches(verb, list(VOCABULARY), n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise CommandError(f"unknown command {head!r}{hint}; try 'help'")
    check = VOCABULARY[verb][0]
    if rest.lower() in _CYCLIC.get(verb, ()):
        return Command(verb, rest.lower())
    try:
        arg = check(rest)
    except CommandError as exc:
        raise CommandError(f"{verb}: {exc}") from None
    if verb not in ("mark", "caption", "reset") and not arg:
        raise CommandError(f"{verb}: needs a value ({VOCABULARY[verb][1].split(' — ')[0]})")
    return Command(verb, arg)


def help_lines() -> list[str]:
    """One line per verb, for the help screen and ``bntui --help``."""
    return [entry[1] for entry in VOCABULARY.values()]


def cycle(options: tuple[str, ...], current: str, direction: str) -> str:
    """The next (or previous) option after ``current``; wraps around."""
    step = -1 if direction == "prev" else 1
    i = options.index(current) if current in options else -step
    return options[(i + step) % len(options)]


def resolve_number(arg: str, current: float) -> float:
    """Resolve ``"*2"``, ``"/2"``, ``"+1"``, ``"-1"`` or an absolute number against ``current``."""
    if arg.startswith("*"):
        return current * float(arg[1:])
    if arg.startswith("/"):
        return current / float(arg[1:])
    if arg.startswith(("+", "-")):
        return current + float(arg)
    return float(arg)


DROPOUT_CYCLE = (0.0, 0.1, 0.3, 0.5)
INIT_CYCLE = INIT_PRESETS
