"""Events: what changed the experiment (or a label), at a step boundary.

A neutral module: the session makes events, the frame carries them, the panels draw them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    """What an event is: the verb of the command that made it, or one the session raises
    itself. Str-valued: ``events.jsonl`` holds the bare word ("lr", "diverged")."""

    # the vocabulary's verbs (bntui.training.commands.VOCABULARY; "lang" never reaches a
    # session)
    BN = "bn"
    NORM = "norm"
    BN_POSITION = "bn-position"
    ACTIVATION = "activation"
    DEPTH = "depth"
    WIDTH = "width"
    LR = "lr"
    OPTIMIZER = "optimizer"
    INIT = "init"
    WEIGHT_DECAY = "weight-decay"
    L1 = "l1"
    MAX_NORM = "max-norm"
    DROPOUT = "dropout"
    BATCH_SIZE = "batch-size"
    DATASET = "dataset"
    SEED = "seed"
    COMPARE = "compare"
    ICS_EVERY = "ics-every"
    SMOOTH_EVERY = "smooth-every"
    RESET = "reset"
    MARK = "mark"
    CAPTION = "caption"
    GOTO = "goto"
    # raised by the session itself (command "")
    DIVERGED = "diverged"
    EARLY_STOP = "early-stop"
    WARNING = "warning"
    BRANCH = "branch"  # a command at a past step started a new future
    ERROR = "error"  # a recorded command could not be replayed on a branch's twin


@dataclass(frozen=True)
class Event:
    """Something that changed the experiment (or a label), at a step boundary."""

    step: int
    command: str  # the command as given, e.g. "lr *2"; "" for events the session raises itself
    text: str  # what happened, for charts and the event log, e.g. "lr 0.1 → 0.2"
    kind: EventKind
    no_effect: bool = False  # the command was applied (and logged) but changed nothing
    # a caption filled from the screen (bntui.live.captions): the values it quoted, by name
    values: tuple[tuple[str, float | None], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", EventKind(self.kind))  # "lr" -> EventKind.LR

    def to_dict(self) -> dict[str, Any]:
        # (no_effect is left out: events.jsonl keeps its four fields)
        return {"step": self.step, "command": self.command, "text": self.text, "kind": self.kind}


@dataclass(frozen=True)
class NoEffect:
    """What a command handler returns when the command changed nothing: the event text
    (the session's ``Event`` gets ``no_effect=True``; the UI says so, no "what changed")."""

    text: str
