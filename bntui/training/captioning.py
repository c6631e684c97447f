"""A caption command applied with its template filled: the one place for every route.

A lesson's caption is a template (``{loss:.2f}``) filled from what the screen draws at the
caption's moment. The filling needs the Frame (``bntui.live.captions.from_frame``, a wing
above this one), so whoever trains a ``Pair`` hands it that filler; the Pair then applies
every caption through ``apply_captioned``: a command from a key, a lesson or ``bntui run``,
and the recorded commands it replays itself (``goto``, playing the recorded future again,
a branch's recorded twin). Each session's caption event carries the filled text and the
values it quoted; the command in the log keeps the template (it replays, and the Korean
caption is filled from the same values).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from bntui.training.commands import Command, CommandError
from bntui.training.events import Event, EventKind
from bntui.training.session import Session

# (the session, its twin or None, the twins' labels or None, the template)
#   -> (the filled text, the values it quoted by name); ValueError on a bad template
CaptionFiller = Callable[
    [Session, Session | None, tuple[str, str] | None, str],
    tuple[str, tuple[tuple[str, float | None], ...]],
]


def apply_captioned(
    apply: Callable[[Command], Event],
    cmd: Command,
    sessions: Sequence[Session],
    filler: CaptionFiller | None,
    *,
    twin: Session | None = None,
    labels: Any = None,
) -> Event:
    """``apply(cmd)``; for a caption template (and a filler), filled first from the frame of
    ``sessions[0]`` (and ``twin``): the caption events ``apply`` adds to ``sessions`` carry
    the filled text and its values. A bad template is a CommandError."""
    if filler is None or cmd.verb != "caption" or "{" not in cmd.arg:
        return apply(cmd)
    try:
        text, values = filler(sessions[0], twin, labels, cmd.arg)
    except ValueError as exc:
        raise CommandError(f"caption: {exc}") from None
    before = [len(s.events) for s in sessions]
    first = apply(cmd)
    filled: list[Event] = []
    for s, n in zip(sessions, before, strict=True):
        for i in range(n, len(s.events)):
            if s.events[i].kind == EventKind.CAPTION:
                s.events[i] = dataclasses.replace(s.events[i], text=text, values=values)
                filled.append(s.events[i])
    return filled[0] if filled else first
