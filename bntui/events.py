"""Events: what changed the experiment (or a label), at a step boundary.

A neutral module: the session makes events, the frame carries them, the panels draw them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Event:
    """Something that changed the experiment (or a label), at a step boundary."""

    step: int
    command: str  # the command as given, e.g. "lr *2"; "" for events the session raises itself
    text: str  # what happened, for charts and the event log, e.g. "lr 0.1 → 0.2"
    kind: str  # the verb, or "diverged", "early-stop", "error"
    # a caption filled from the screen (bntui.captions): the values it quoted, by name
    values: tuple[tuple[str, float | None], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "command": self.command, "text": self.text, "kind": self.kind}
