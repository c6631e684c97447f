"""Compare mode: two Sessions that differ in exactly one setting, trained in lockstep.

``Twins(config, Difference.parse("lr 0.5"))`` builds the primary from ``config`` and the
twin from ``config`` with that one setting changed (by default BN flipped). Both start
from ``SeedSequence(config.seed)`` and so share every random stream (data split, batch
order, init, dropout, new layers): they get the same initial Linear weights (for
``compare init``, the same N(0, 1) draws scaled by each init's std), the same batches in
the same order and the same dropout draws (the same uniforms; the masks are equal when
the dropout rates are). Each twin is therefore exactly the solo ``Session`` of its own
configuration: same records, bit for bit.

Which settings can differ (``COMPARE_KEYS``): those that leave every stream's
consumption alone: bn, norm, bn-position, activation, dropout, init, lr, optimizer,
weight-decay, l1, max-norm. Not supported (``UNSUPPORTED``): depth and width change how
many numbers the init stream gives each layer (the twins would not share weights),
batch-size changes the batches, dataset and seed change the data.

Commands apply to both twins, between steps, primary first. A command on the compared
setting itself is the one exception (documented choice):

* BN comparison (the twin is "BN flipped"): the command sets the primary's BN and the twin
  gets the opposite, so ``bn toggle`` swaps both and the twins still differ. ``norm X``
  likewise sets the primary's normalization only; the twin is then plain if the primary
  is normalized, and gets BN if the primary has none. Labels name each twin's real
  normalization ("ln" / "plain", "gn:4" / "plain").
* any other comparison (the twin has a fixed value): the command changes the primary
  only and the twin keeps its value (``lr *2`` doubles the primary's lr). If the primary
  lands on the twin's value, the twins no longer differ; ``differ`` says so.

Records get a ``"twin"`` field after ``"step"``: ``"bn"`` / ``"plain"`` for the BN
comparison (after a ``norm`` command the norm's name: ``"ln"``, ``"gn:4"`` …),
``"key=value"`` (e.g. ``"lr=0.5"``) otherwise, naming each twin's value at that step
(after ``lr *2`` the primary's records say ``"lr=0.2"``). The Sessions' own records and
histories are left without it, so each stays equal to its solo run.

``Twins.fork(session, diff)`` switches compare mode on mid-session (the twin is a copy of
the session with the one setting changed by a command); ``parse_compare`` parses the
``compare on|off|KEY VALUE`` argument. ICS / smoothness logging is Session's own
(``config.ics_every``, ``config.smooth_every``; ``bntui.training.measure.diagnostic_fields``).
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bntui.nn.norm_layers import parse_norm
from bntui.training.commands import Command, CommandError, parse, resolve_number
from bntui.training.config import Config, ConfigError
from bntui.training.events import Event
from bntui.training.measure import diagnostic_fields
from bntui.training.memory import check_memory
from bntui.training.session import Session

__all__ = [
    "COMPARE_KEYS",
    "Difference",
    "MeasuredSession",
    "Twins",
    "diagnostic_fields",
    "parse_compare",
]

# command verb -> Config field, for the settings a twin may differ in
COMPARE_KEYS = {
    "bn": "bn",
    "norm": "norm",
    "bn-position": "bn_position",
    "activation": "activation",
    "dropout": "dropout",
    "init": "init",
    "lr": "lr",
    "optimizer": "optimizer",
    "weight-decay": "weight_decay",
    "l1": "l1",
    "max-norm": "max_norm",
}
UNSUPPORTED = {
    "depth": "the twins would draw different initial weights",
    "width": "the twins would draw different initial weights",
    "batch-size": "the twins would see different batches",
    "dataset": "the twins would see different data",
    "seed": "the twins would not share their random streams",
}
_NUMERIC = ("lr", "weight-decay", "l1", "max-norm", "dropout")


def _fmt(value: Any) -> str:
    if value is None:
        return "off"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass(frozen=True)
class Difference:
    """The one setting the twin differs in: ``key`` a command verb, ``arg`` its argument
    as parsed (may be relative, "*5"); ``arg`` None means BN flipped."""

    key: str = "bn"
    arg: str | None = None

    @classmethod
    def parse(cls, text: str = "") -> Difference:
        """``""``, ``"bn"`` or ``"on"`` -> BN flipped; ``"lr 0.5"`` (or ``"lr=0.5"``, as
        ``--compare`` and ``config.compare`` write it), ``"init std:0.01"``, ...

        Raises CommandError naming the supported keys.
        """
        line = " ".join(str(text).replace("=", " ").split())
        if line.lower() in ("", "on", "bn", "bn toggle"):
            return cls()
        try:
            cmd = parse(line)
        except CommandError as exc:
            raise CommandError(f"compare: {exc}") from None
        if cmd.verb in UNSUPPORTED:
            raise CommandError(
                f"compare {cmd.verb}: not supported ({UNSUPPORTED[cmd.verb]}); "
                f"compare one of {', '.join(COMPARE_KEYS)}"
            )
        if cmd.verb not in COMPARE_KEYS:
            raise CommandError(
                f"compare: {cmd.verb!r} is not a setting; try {', '.join(COMPARE_KEYS)}"
            )
        if cmd.arg in ("next", "prev") or (cmd.verb == "bn-position" and cmd.arg == "toggle"):
            raise CommandError(f"compare {cmd.verb}: give the twin's value, not {cmd.arg!r}")
        if cmd.verb == "bn":
            return cls() if cmd.arg == "toggle" else cls("bn", cmd.arg)
        return cls(cmd.verb, cmd.arg)

    @property
    def field(self) -> str:
        return COMPARE_KEYS[self.key]

    @property
    def flips_bn(self) -> bool:
        return self.key == "bn" and self.arg is None

    def twin_value(self, primary: Config) -> Any:
        """The twin's value of the setting, given the primary's config."""
        if self.flips_bn:
            return not primary.bn
        arg = self.arg or ""
        if self.key == "bn":
            return arg == "on"
        if self.key == "max-norm" and arg == "off":
            return None
        if self.key in _NUMERIC:
            current = getattr(primary, self.field)
            return float(f"{resolve_number(arg, 1.0 if current is None else current):.6g}")
        return arg

    def value_of(self, config: Config) -> Any:
        """A config's value of the compared setting (for norm: the one in use, "gn" as
        "gn:4", "none" when BN is off)."""
        if self.key == "norm":
            kind, groups = parse_norm(config.normalization)
            return kind if groups is None else f"{kind}:{groups}"
        return getattr(config, self.field)

    def twin_config(self, primary: Config) -> Config:
        """The twin's config; CommandError if it would not differ from the primary's."""
        value = self.twin_value(primary)
        if self.key == "norm":  # "none" is BN off, as the norm command sets it
            kind, groups = parse_norm(value)
            value = kind if groups is None else f"{kind}:{groups}"
            changes = {"norm": value, "bn": value != "none"}
        else:
            changes = {self.field: value}
        if value == self.value_of(primary):
            raise CommandError(
                f"compare {self.key}: the twin would be identical ({self.key} is already "
                f"{_fmt(value)}); give another value"
            )
        try:
            return primary.replace(**changes)  # validates
        except ConfigError as exc:
            raise CommandError(f"compare {self.key}: {exc}") from None

    def label(self, config: Config) -> str:
        """A twin's name in records and on screen: for a BN comparison the normalization
        it really has ("bn", "ln", "gn:4", …) or "plain"; else "key=value"."""
        if self.key == "bn":
            kind, groups = parse_norm(config.normalization)
            if kind == "none":
                return "plain"
            return kind if groups is None else f"{kind}:{groups}"
        return f"{self.key}={_fmt(self.value_of(config))}"

    def __str__(self) -> str:
        return "bn" if self.flips_bn else f"{self.key} {self.arg}"


def parse_compare(text: str) -> Difference | None:
    """The argument of the ``compare`` command: ``off`` -> None (solo again), ``on`` or
    nothing -> BN flipped, ``KEY VALUE`` -> that difference. CommandError otherwise.

    For the runner: ``Twins.fork(session, diff)`` on a request, ``twins.primary`` on None.
    """
    if " ".join(str(text).split()).lower() == "off":
        return None
    return Difference.parse(text)


class MeasuredSession(Session):
    """A Session that logs ICS / smoothness every K steps: ``Session`` with
    ``config.ics_every`` / ``config.smooth_every`` set (``bntui.training.measure``)."""

    def __init__(
        self, config: Config, *, ics_every: int | None = None, smooth_every: int | None = None
    ) -> None:
        changes = {"ics_every": ics_every, "smooth_every": smooth_every}
        super().__init__(config.replace(**{k: v for k, v in changes.items() if v is not None}))
        self.ics_every, self.smooth_every = self.config.ics_every, self.config.smooth_every


class Twins:
    """Primary and twin in lockstep; see the module docstring."""

    def __init__(
        self,
        config: Config,
        difference: Difference | str = "",
        *,
        ics_every: int | None = None,
        smooth_every: int | None = None,
    ) -> None:
        diff = difference if isinstance(difference, Difference) else Difference.parse(difference)
        self.difference = diff
        twin_config = diff.twin_config(config)
        for c in (config, twin_config):  # two sessions side by side: each half the ceiling
            check_memory(c, sessions=2)
        kw = {"ics_every": ics_every, "smooth_every": smooth_every}
        self.primary: Session = MeasuredSession(config, **kw)
        self.twin: Session = MeasuredSession(twin_config, **kw)
        self.primary.memory_sessions = self.twin.memory_sessions = 2

    @classmethod
    def fork(cls, session: Session, difference: Difference | str = "") -> Twins:
        """Compare mode switched on mid-session: the twin is a copy of ``session`` (its
        weights, optimizer state, streams and log) with the one setting changed by a
        command, so it too is the solo replay of its own log. ``compare init X`` gives
        both twins fresh weights from the same draws (primary with its init)."""
        diff = difference if isinstance(difference, Difference) else Difference.parse(difference)
        value = diff.value_of(diff.twin_config(session.config))  # checks it differs
        try:  # a second session of the same size (the twin's own change is checked below)
            check_memory(session.config, data=session._data_size(), sessions=2)
        except ConfigError as exc:
            raise CommandError(f"compare: {exc}") from None
        memo = {id(session.data): session.data}  # the data is shared, never mutated
        twin = copy.deepcopy(session, memo)
        for p in twin.model.parameters():  # unshare the packed-buffer views deepcopy split
            p.data, p.grad = p.data.copy(), p.grad.copy()
        # optimizer state is keyed by Parameter in a WeakKeyDictionary, whose deepcopy keeps
        # the original keys: key the copy's state by the copy's parameters
        twin.optimizer.state = weakref.WeakKeyDictionary()
        pairs = zip(session.model.parameters(), twin.model.parameters(), strict=True)
        for mine, theirs in pairs:
            state = session.optimizer.state.get(mine)
            if state is not None:
                twin.optimizer.state[theirs] = copy.deepcopy(state)
        if diff.key == "init":
            session.apply(f"init {session.config.init}")
        twin.memory_sessions = 2
        twin.apply(f"{diff.key} {_fmt(value)}")
        session.memory_sessions = 2
        self = cls.__new__(cls)
        self.difference, self.primary, self.twin = diff, session, twin
        return self

    # ------------------------------------------------------------------ reading
    @property
    def sessions(self) -> tuple[Session, Session]:
        return self.primary, self.twin

    @property
    def labels(self) -> tuple[str, str]:
        return self.difference.label(self.primary.config), self.difference.label(self.twin.config)

    @property
    def differ(self) -> bool:
        d = self.difference
        return d.value_of(self.primary.config) != d.value_of(self.twin.config)

    @property
    def step_count(self) -> int:
        return max(self.primary.step_count, self.twin.step_count)

    @property
    def done(self) -> bool:
        return all(s.diverged or s.stopped_early for s in self.sessions)

    def status(self) -> str:
        """Both twins named, for the status line: "bn ▸ step 120 · plain ▸ diverged"."""
        parts = []
        for label, s in zip(self.labels, self.sessions, strict=True):
            state = (
                "diverged"
                if s.diverged
                else "stopped"
                if s.stopped_early
                else f"step {s.step_count}"
            )
            parts.append(f"{label} ▸ {state}")
        return " · ".join(parts)

    # ------------------------------------------------------------------ training
    def step(self) -> list[dict[str, Any]]:
        """One step of every twin still training; their records, each with ``"twin"``.

        A twin that diverged or stopped early stops (as ``Session.run`` would), the other
        goes on alone.
        """
        out = []
        for label, s in zip(self.labels, self.sessions, strict=True):
            if s.diverged or s.stopped_early:
                continue
            rec = s.step()
            out.append({"step": rec["step"], "twin": label, **rec})
        return out

    def run(self, steps: int) -> Iterator[dict[str, Any]]:
        """Up to ``steps`` lockstep steps; yields every labelled record."""
        for _ in range(steps):
            if self.done:
                return
            yield from self.step()

    # ------------------------------------------------------------------ commands
    def apply(self, command: Command | str) -> tuple[Event, Event | None]:
        """Apply a command to both twins (see the module docstring for the compared key).

        Returns the primary's event and the twin's (None if the twin was left alone).
        A command the primary refuses changes nothing (CommandError).
        """
        cmd = parse(command) if isinstance(command, str) else command
        diff = self.difference
        if cmd.verb == diff.key or (diff.flips_bn and cmd.verb == "norm"):
            event = self.primary.apply(cmd)
            if not diff.flips_bn:
                return event, None
            # BN flipped: the twin is normalized exactly when the primary is not
            want = self.primary.config.normalization == "none"
            if want == (self.twin.config.normalization != "none"):
                return event, None
            return event, self.twin.apply(Command("bn", "on" if want else "off"))
        event = self.primary.apply(cmd)
        try:
            return event, self.twin.apply(cmd)
        except CommandError as exc:  # (no known case: the twins differ in one setting)
            raise CommandError(f"{cmd}: the primary took it but the twin refused: {exc}") from None
