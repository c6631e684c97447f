"""What the runner, ``bntui run`` and headless replays train: one Session, or Twins in
compare mode (``config.compare`` or the ``compare`` command).

``Pair`` is ``bntui.player``'s Playable either way. ``step()`` returns the step's records
(one, or one per twin still training, each with ``"twin"``); every command applies to
both twins (``Twins.apply``), and ``compare on|off|KEY VALUE`` switches the mode between
steps: on forks a twin from the primary (``Twins.fork``: the twin is the primary with one
setting changed, so both go on from the same weights), off keeps the primary alone. The
``compare`` command goes into the primary's log after the fork, so a recording replays it.
"""

from __future__ import annotations

from typing import Any

from bntui.commands import Command, CommandError, parse
from bntui.config import Config
from bntui.events import Event
from bntui.session import Session
from bntui.twins import Difference, Twins, compare_request


def difference_of(text: str) -> Difference:
    """``config.compare`` / ``--compare`` text: ``bn``, ``on``, ``lr=0.5``, ``lr 0.5``."""
    return Difference.parse(" ".join(str(text).replace("=", " ").split()))


class Pair:
    """A Session alone or a Twins; see the module docstring."""

    def __init__(self, source: Config | Session) -> None:
        """From a Config: Twins when ``config.compare`` is set, else a Session. From a
        Session: that session alone (whatever its config says; ``compare on`` forks)."""
        self.twins: Twins | None = None
        self.roles: tuple[str, ...] = ("primary",)  # whose each record of step() is
        if isinstance(source, Session):
            self.session: Session = source
        elif source.compare:
            self.twins = Twins(source, difference_of(source.compare))
            self.session = self.twins.primary
        else:
            self.session = Session(source)

    # ------------------------------------------------------------------ reading
    @property
    def sessions(self) -> tuple[Session, ...]:
        return self.twins.sessions if self.twins is not None else (self.session,)

    @property
    def twin(self) -> Session | None:
        return self.twins.twin if self.twins is not None else None

    @property
    def labels(self) -> tuple[str, str] | None:
        return self.twins.labels if self.twins is not None else None

    @property
    def step_count(self) -> int:
        return max(s.step_count for s in self.sessions)

    @property
    def diverged(self) -> bool:
        return all(s.diverged for s in self.sessions)

    @property
    def stopped_early(self) -> bool:
        return not self.diverged and all(s.diverged or s.stopped_early for s in self.sessions)

    def status(self) -> str | None:
        """Both twins named (None when alone)."""
        return self.twins.status() if self.twins is not None else None

    # ------------------------------------------------------------------ training
    def step(self) -> list[dict[str, Any]]:
        """The step's records; ``roles`` says whose each is ("primary" / "twin")."""
        if self.twins is None:
            self.roles = ("primary",)
            return [self.session.step()]
        going = ("primary", "twin")
        self.roles = tuple(
            r
            for r, s in zip(going, self.sessions, strict=True)
            if not (s.diverged or s.stopped_early)
        )
        return self.twins.step()

    # ------------------------------------------------------------------ commands
    def apply(self, command: Command | str) -> Event:
        """Apply a command to both twins; ``compare …`` switches the mode."""
        cmd = parse(command) if isinstance(command, str) else command
        if cmd.verb == "compare":
            return self._compare(cmd)
        if cmd.verb == "caption" and "{" in cmd.arg:
            return self._caption(cmd)
        if self.twins is None:
            return self.session.apply(cmd)
        return self.twins.apply(cmd)[0]

    def _caption(self, cmd: Command) -> Event:
        """A caption template (``bntui.captions``) filled from the Frame the screen draws
        now; each session's caption event carries the filled text and the values."""
        import dataclasses

        from bntui.captions import fill
        from bntui.frame import Needs, build_frame

        frame = build_frame(self.session, Needs(loss_points=8), twin=self.twin, labels=self.labels)
        try:
            text, values = fill(cmd.arg, frame)
        except ValueError as exc:
            raise CommandError(f"caption: {exc}") from None
        if self.twins is None:
            events = [self.session.apply(cmd)]
            sessions = [self.session]
        else:
            first, second = self.twins.apply(cmd)
            events, sessions = [first, second], list(self.twins.sessions)
        filled = []
        for s, event in zip(sessions, events, strict=False):
            if event is None:
                continue
            new = dataclasses.replace(event, text=text, values=values)
            s.events[:] = [new if e is event else e for e in s.events]
            filled.append(new)
        return filled[0]

    def _compare(self, cmd: Command) -> Event:
        s = self.session
        try:
            request = compare_request(cmd.arg)
        except CommandError as exc:
            raise CommandError(str(exc)) from None
        if request is None:
            self.twins = None
            text = "compare off: the primary goes on alone"
        else:
            self.twins = Twins.fork(s, request)
            a, b = self.twins.labels
            text = f"compare {a} vs {b}: same weights, same batches, in lockstep"
        s.log.append((s.step_count, str(cmd)))
        return s._event(str(cmd), text, "compare")
