"""What every runner trains: one Session, or Twins in compare mode, with its timeline.

``Pair`` is the player's Playable (the live runner, ``bntui run``, headless replays and
sweeps' lessons all step one). It switches compare mode on and off (``compare …``), keeps
checkpoints of its whole state as it trains (``bntui.training.timeline``), travels
(``goto``) and, at a past step, turns a command into a ``Branch`` whose twin is the
recorded future (``bntui.training.branch``). Compare mode itself (one parse of
``compare``, twins in lockstep) is ``bntui.training.twins``.
"""

from __future__ import annotations

from typing import Any

from bntui.training.branch import Branch
from bntui.training.captioning import CaptionFiller, apply_captioned
from bntui.training.commands import Command, parse
from bntui.training.config import Config
from bntui.training.events import Event
from bntui.training.player import Schedule
from bntui.training.session import Session
from bntui.training.timeline import (
    Checkpoint,
    Timeline,
    Travel,
    capture,
    restore,
    state_bytes,
)
from bntui.training.twins import Difference, Twins, parse_compare

__all__ = ["Pair"]


class Pair:
    """What the runner, ``bntui run`` and headless replays train: one Session, or Twins
    in compare mode.

    ``Pair`` is the player's Playable either way. ``step()`` returns the step's records
    (one, or one per twin still training, each with ``"twin"``); every command applies to
    both twins (``Twins.apply``), and ``compare on|off|KEY VALUE`` switches the mode between
    steps: on forks a twin from the primary (``Twins.fork``: the twin is the primary with one
    setting changed, so both go on from the same weights), off keeps the primary alone. The
    ``compare`` command goes into the primary's log after the fork, so a recording replays it.

    Time travel (``bntui.training.timeline``): the Pair keeps checkpoints of its whole state as it
    trains. ``goto STEP`` restores the nearest checkpoint before STEP and replays the recorded
    commands up to it, so the state equals a fresh replay of the script to STEP (before the
    commands logged at STEP); the future stays recorded, and ``step()`` plays it again. A
    command at a past step starts a ``Branch``: the new future is the primary, the recorded
    one its twin. ``goto`` leaves a branch (the branch's own timeline stays). In compare mode
    a command at a past step replaces the recorded future (compare mode already shows two).
    """

    def __init__(
        self,
        source: Config | Session,
        *,
        timeline: Timeline | None = None,
        captions: CaptionFiller | None = None,
    ) -> None:
        """From a Config: Twins when ``config.compare`` is set, else a Session. From a
        Session: that session alone (whatever its config says; ``compare on`` forks).
        ``captions`` fills caption templates (``bntui.training.captioning``): every caption
        this Pair applies, replays included, goes through it (None: left as written)."""
        self.captions = captions
        self.twins: Twins | Branch | None = None
        self.roles: tuple[str, ...] = ("primary",)  # whose each record of step() is
        if isinstance(source, Session):
            self.session: Session = source
        elif source.compare:
            self.twins = Twins(source, Difference.parse(source.compare))
            self.session = self.twins.primary
        else:
            self.session = Session(source)
        # headless runs travel rarely: only the first checkpoint unless a timeline is given
        self.timeline = timeline if timeline is not None else Timeline.start_only()
        self.newest = self.session.step_count  # the furthest step of this timeline
        self.future: Schedule[str] = Schedule()  # recorded commands ahead (after a goto)
        self.recorded_history: Any = None  # at a past step: the history of the whole run
        self._checkpoint()

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

    @property
    def branch(self) -> Branch | None:
        return self.twins if isinstance(self.twins, Branch) else None

    @property
    def in_past(self) -> bool:
        """True at a past step: a recorded future lies ahead (``step()`` replays it)."""
        return bool(len(self.future)) or self.step_count < self.newest

    # ------------------------------------------------------------------ time travel
    def script(self) -> list[tuple[int, str]]:
        """The (step, command) log of this timeline, its recorded future included: what a
        save writes (on a branch: the branch's own script)."""
        return list(self.session.log) + list(self.future)

    def travel(self) -> Travel | None:
        """Where the session stands on its timeline (None: at the newest step, no branch)."""
        branch = self.branch
        if branch is None and not self.in_past:
            return None
        steps = {at for at, cmd in self.script() if cmd.split()[0] not in ("caption", "mark")}
        if branch is not None:
            steps |= {at for at, _cmd in branch.recorded} | {branch.at}
        newest = max(self.newest, self.step_count)
        at, text = (branch.at, branch.describe()) if branch is not None else (None, None)
        return Travel(self.session.step_count, newest, self.in_past, tuple(sorted(steps)), at, text)

    def record_future(self, entries: list[tuple[int, str]], until: int) -> None:
        """Take ``entries`` (steps >= now) and the steps up to ``until`` as the recorded
        future of this timeline, as if they had been played and rewound: the headless
        ``--branch-at`` runs the lesson's own future as the twin of its branch."""
        self.future = Schedule(entries)
        self.newest = max(self.newest, until)

    def _checkpoint(self) -> None:
        if self.branch is not None:  # a branch's checkpoints are its primary's
            sessions, mode = [self.session], None
        else:
            sessions = list(self.sessions)
            mode = self.twins.difference if isinstance(self.twins, Twins) else None
        states = capture(sessions)
        step, log = self.session.step_count, self.session.log
        after = bool(log) and log[-1][0] == step
        point = Checkpoint(step, states, mode, state_bytes(states), after)
        self.timeline.add(point)

    def _restore(self, point: Checkpoint) -> None:
        if point.mode is None:
            restore(point.states, [self.session])
            self.twins = None
            return
        primary, twin = restore(point.states, [self.session, None])
        twins = Twins.__new__(Twins)
        twins.difference, twins.primary, twins.twin = point.mode, primary, twin
        self.twins = twins

    def _play_recorded(self) -> None:
        for _at, cmd in self.future.due(self.session.step_count):
            self._apply_now(parse(cmd))

    def travel_target(self, where: str) -> int:
        """Where ``goto prev|next|start|end`` goes: the previous / next change (or a tenth
        of the timeline when there is none), step 0, the newest step."""
        step, newest = self.session.step_count, max(self.newest, self.step_count)
        travel = self.travel()
        marks = travel.marks if travel is not None else tuple(at for at, _c in self.script())
        tenth = max(1, newest // 10)
        if where in ("start", "end"):
            return 0 if where == "start" else newest
        if where == "prev":
            earlier = [m for m in marks if m < step]
            return earlier[-1] if earlier else max(0, step - tenth)
        later = [m for m in marks if step < m <= newest]
        return later[0] if later else min(newest, step + tenth)

    def goto(self, step: int, command: Command | None = None) -> Event:
        """Go to ``step`` (clamped to 0..newest): the state a fresh replay of this
        timeline's script reaches there, before the commands logged at that step."""
        if self.branch is not None:  # leave the branch: its primary's timeline goes on
            self.twins = None
        here = self.session.step_count
        script = list(self.session.log) + list(self.future)
        self.newest = newest = max(self.newest, here)
        target = max(0, min(step, newest))
        if here == newest and target < here:  # the charts keep showing the whole run
            self.recorded_history = self.session.history
        point = self.timeline.before(target, strictly=False)
        if point is not None and point.step == target and point.after_commands:
            point = self.timeline.before(target, strictly=True) or point
        if point is None:  # before the first checkpoint (a Pair made from a trained Session)
            point = self.timeline.first
            target = max(target, point.step)
        log = self.session.log
        applied_here = target == here and bool(log) and log[-1][0] == here
        if point is not None and (applied_here or not point.step <= here <= target):
            self._restore(point)  # (else: play on from here, the future unchanged)
            start = self.session.step_count
            self.future = Schedule(e for e in script if e[0] >= start)
        while self.session.step_count < target:
            self._play_recorded()
            if self.diverged or self.stopped_early:
                break
            self._train()
        where = self.session.step_count
        if not self.in_past:
            self.recorded_history = None
        text = f"⏪ step {where:,} of {newest:,} · the future is kept"
        if where >= newest and not len(self.future):
            text = f"step {where:,}: the newest step"
        return Event(where, str(command or f"goto {step}"), text, "goto")

    def _branch(self, cmd: Command) -> Event:
        """A command at a past step: the recorded future becomes the twin. A refused
        command changes nothing (the future stays recorded)."""
        s = self.session
        recorded = list(self.future)
        if self.twins is not None:  # compare mode: the recorded future is replaced
            event = self._apply_now(cmd)
            text = event.text + " · a new future (the recorded one is dropped)"
            twin = None
        else:
            (twin,) = restore(capture([s]), [None])
            event = s.apply(cmd)
            text = ""
        self.future = Schedule()
        self.newest = s.step_count
        self.recorded_history = None  # (the twin draws the recorded future)
        self.timeline.drop_after(s.step_count)
        if twin is None:
            return Event(event.step, event.command, text, event.kind)
        self.twins = branch = Branch(s, twin, recorded, command=str(cmd), captions=self.captions)
        # (the session's own events stay those of its script: the Pair names the branch)
        return Event(event.step, event.command, f"{event.text} · {branch.describe()}", "branch")

    # ------------------------------------------------------------------ training
    def step(self) -> list[dict[str, Any]]:
        """The step's records; ``roles`` says whose each is ("primary" / "twin").
        At a past step the recorded commands due now are applied first."""
        self._play_recorded()
        return self._train()

    def _train(self) -> list[dict[str, Any]]:
        records = self._train_once()
        step = self.session.step_count
        self.newest = max(self.newest, step)
        if self.recorded_history is not None and not self.in_past:
            self.recorded_history = None  # caught up: the session's history is the run's
        if self.timeline.due(step):
            self._checkpoint()
        return records

    def _train_once(self) -> list[dict[str, Any]]:
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
        """Apply a command to both twins; ``compare …`` switches the mode; ``goto`` travels;
        any other command at a past step starts a branch."""
        cmd = parse(command) if isinstance(command, str) else command
        if cmd.verb == "goto":
            arg = cmd.arg
            return self.goto(int(arg) if arg.isdigit() else self.travel_target(arg), cmd)
        if self.in_past and cmd.verb not in ("mark", "caption"):
            return self._branch(cmd)
        return self._apply_now(cmd)

    def _apply_now(self, cmd: Command) -> Event:
        if cmd.verb == "compare":
            return self._compare(cmd)
        return apply_captioned(
            self._apply_raw, cmd, self.sessions, self.captions, twin=self.twin, labels=self.labels
        )

    def _apply_raw(self, cmd: Command) -> Event:
        if self.twins is None:
            return self.session.apply(cmd)
        return self.twins.apply(cmd)[0]

    def _compare(self, cmd: Command) -> Event:
        s = self.session
        request = parse_compare(cmd.arg)
        if request is None:
            self.twins = None
            s.memory_sessions = 1
            text = "compare off: the primary goes on alone"
        else:
            self.twins = Twins.fork(s, request)
            a, b = self.twins.labels
            text = f"compare {a} vs {b}: same weights, same batches, in lockstep"
        s.log.append((s.step_count, str(cmd)))
        return s._event(str(cmd), text, "compare")
