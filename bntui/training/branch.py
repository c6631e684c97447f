"""A branch: a command given at a past step, trained beside the recorded future.

After ``goto`` the session stands at a past step with its recorded future still ahead.
A command there starts a branch: the primary takes the command and trains on as a new
future; the twin is an exact copy of the state at the branch step that follows the
recorded commands, so it retraces the recorded run bit for bit. Both train in lockstep,
as compare-mode twins do (same weights at the branch step, same batches after it).

``Branch`` has the reading and training side of ``Twins`` (``sessions``, ``labels``,
``step``, ``status``, ``apply``), so a ``Pair`` holds either one.
"""

from __future__ import annotations

from typing import Any

from bntui.training.captioning import CaptionFiller, apply_captioned
from bntui.training.commands import Command, CommandError, parse
from bntui.training.events import Event
from bntui.training.player import Schedule
from bntui.training.session import Session

LABELS = ("branch", "recorded")  # the "twin" field of each future's records


class Branch:
    """The new future (primary) and the recorded one (twin); see the module docstring."""

    def __init__(
        self,
        primary: Session,
        twin: Session,
        recorded: list[tuple[int, str]],
        *,
        command: str,
        captions: CaptionFiller | None = None,
    ) -> None:
        self.primary, self.twin = primary, twin
        self.captions = captions  # fills the recorded future's captions (as the Pair's)
        self.at = primary.step_count
        self.command = command
        self.schedule: Schedule[str] = Schedule(recorded)
        self.recorded = list(recorded)

    # ------------------------------------------------------------------ reading
    @property
    def sessions(self) -> tuple[Session, Session]:
        return self.primary, self.twin

    @property
    def labels(self) -> tuple[str, str]:
        return LABELS

    @property
    def step_count(self) -> int:
        return max(self.primary.step_count, self.twin.step_count)

    @property
    def done(self) -> bool:
        return all(s.diverged or s.stopped_early for s in self.sessions)

    def recorded_summary(self) -> str:
        """The recorded future's first changes: "bn on at 1500" (or "no changes")."""
        changes = [(at, c) for at, c in self.recorded if c.split()[0] not in ("caption", "mark")]
        items = [f"{cmd} at {at:,}" for at, cmd in changes[:2]]
        more = " …" if len(changes) > 2 else ""
        return ", ".join(items) + more if items else "no changes"

    def describe(self) -> str:
        """Which future is which, for the message line."""
        # (the glyphs are compare mode's: • the primary's curves, × the twin's)
        return f"• branch: {self.command} at {self.at:,} · × recorded: {self.recorded_summary()}"

    def status(self) -> str:
        parts = []
        for label, s in zip(self.labels, self.sessions, strict=True):
            state = "diverged" if s.diverged else "stopped" if s.stopped_early else "step"
            parts.append(f"{label} ▸ {state} {s.step_count}" if state == "step" else
                         f"{label} ▸ {state}")  # fmt: skip
        return " · ".join(parts)

    # ------------------------------------------------------------------ training
    def _follow_recording(self) -> None:
        for _at, cmd in self.schedule.due(self.twin.step_count):
            try:
                apply_captioned(self.twin.apply, parse(cmd), [self.twin], self.captions)
            except CommandError as exc:  # e.g. "compare on": a plain session refuses it
                self.twin._event(cmd, f"not replayed on the recorded future: {exc}", "error")

    def step(self) -> list[dict[str, Any]]:
        """One lockstep step of each future still training; records with ``"twin"``."""
        self._follow_recording()
        out = []
        for label, s in zip(self.labels, self.sessions, strict=True):
            if s.diverged or s.stopped_early:
                continue
            rec = s.step()
            out.append({"step": rec["step"], "twin": label, **rec})
        return out

    # ------------------------------------------------------------------ commands
    def apply(self, command: Command | str) -> tuple[Event, Event | None]:
        """A command now goes to the new future only; the recorded one keeps its script."""
        cmd = parse(command) if isinstance(command, str) else command
        return self.primary.apply(cmd), None
