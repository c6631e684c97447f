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

    # (read by the player before every step: a solo session answers without a generator)
    @property
    def step_count(self) -> int:
        if self.twins is None:
            return self.session.step_count
        return max(s.step_count for s in self.sessions)

    @property
    def diverged(self) -> bool:
        if self.twins is None:
            return self.session.diverged
        return all(s.diverged for s in self.sessions)

    @property
    def stopped_early(self) -> bool:
        if self.twins is None:
            return not self.session.diverged and self.session.stopped_early
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
        if self.twins is None:
            return self.session.apply(cmd)
        return self.twins.apply(cmd)[0]

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
