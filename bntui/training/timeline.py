"""Checkpoints of a session's whole state, and the timeline that keeps them.

A checkpoint holds everything the next steps depend on or the screen shows: the network
(weights, BN running statistics, its structure after depth/width edits), the optimizer and
its per-parameter state, every random stream (``Generator.bit_generator`` state, copied
exactly), the config, the event list and command log, the position in the batch order,
early-stopping counters and the metrics history. Restoring one and training on gives the
same records, bit for bit, as the run that took it.

Not captured: the data (shared: a dataset is never changed in place) and the transient
arrays of the last forward pass (layer inputs, BN caches, taps, scratch buffers), which the
next training step rewrites before anything reads them. The history is captured cheaply:
its closed buckets only change when pairs merge, so a snapshot copies just the buckets
closed since the previous one (``bntui.training.metrics.Series.snapshot``).

Two things are shared with the live session rather than copied, because nothing writes
them in place: the batch order of the current epoch (a new epoch draws a new array; the
capture marks it read-only) and, within a generation, the history's bucket arrays. The
parameters' gradients are not kept at all: the next step's backward pass writes them before
anything reads them (a restore gives zeros of the right shape).

``Timeline`` decides where checkpoints go: the next one ``interval(c)`` steps after the
newest, ``c``, where the interval grows with the step (``c // density``, never less than
``base``), so checkpoints are ``1 + 1/density`` apart in ratio and going back to step k
replays at most k/density steps from the checkpoint before it (1 % at the default
density 100; every step of the first ~200). Checkpoint memory is bounded by ``budget``
bytes: when it is exceeded the timeline thins itself like the metrics history (half the
density, twice the base, keeping only checkpoints that are that far apart).
"""

from __future__ import annotations

import bisect
import copy
import sys
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from bntui.training.metrics import History, HistorySnapshot

# the state of the last forward/backward pass, rewritten by the next step before it is read
TRANSIENT = ("x", "z", "act_in", "act_out", "mask", "_cache", "_eval_cache", "_brn_cache",
             "_fast", "_buf", "_dlogits")  # fmt: skip
DEFAULT_BUDGET = 64 * 2**20
MODEL_STREAMS = ("_rng", "_dropout_rng", "_noise_rng")  # the streams an MLP keeps
_NO_GRAD = np.zeros(0)  # what a checkpoint keeps of a parameter's gradient (see above)


def _transients(model: Any) -> list[Any]:
    """The transient arrays (and buffer tuples) held by the model's layers."""
    out: list[Any] = [model._packed] if getattr(model, "_packed", None) is not None else []
    seen: set[int] = set()
    stack = [model]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or not hasattr(obj, "__dict__"):
            continue
        seen.add(id(obj))
        for name, value in vars(obj).items():
            if name in TRANSIENT and isinstance(value, np.ndarray | tuple):
                out.append(value)
            elif isinstance(value, list):
                stack.extend(value)
            elif hasattr(value, "__dict__") and not isinstance(value, np.random.Generator):
                stack.append(value)
    return out


@dataclass(frozen=True)
class SessionState:
    """One session, captured: see the module docstring."""

    cls: type
    attrs: dict[str, Any]  # the session's attributes, history excepted
    params: list[Any]  # model.parameters(), the keys of ...
    opt_states: list[Any]  # ... the optimizer's per-parameter state (None: none yet)
    history: HistorySnapshot
    streams: tuple[Stream, ...] = ()  # the random streams in ``attrs``, as their states


@dataclass(frozen=True)
class Stream:
    """A random stream in a checkpoint: its bit generator's exact state (a copy of a
    ``Generator`` made from it is ~4x cheaper than ``deepcopy``'s)."""

    cls: type
    state: dict[str, Any]

    def generator(self) -> np.random.Generator:
        bits = self.cls(0)
        bits.state = self.state
        return np.random.Generator(bits)


def _generators(s: Any) -> list[np.random.Generator]:
    """The session's random streams, and the ones its model keeps."""
    found = [*s._rng.values(), *(getattr(s.model, n, None) for n in MODEL_STREAMS)]
    return [g for g in found if isinstance(g, np.random.Generator)]


def _immutable(s: Any) -> list[Any]:
    """Frozen objects of a session: shared by a copy, not copied."""
    return [s.config, s.initial_config, s.model.spec, *s.events]


def _memo(sessions: list[Any]) -> dict[int, Any]:
    """What a deepcopy of these sessions shares (data, loaders, frozen objects), keeps as a
    state (random streams) or leaves out (transients, gradients)."""
    memo: dict[int, Any] = {}
    for s in sessions:
        for obj in _immutable(s):
            memo[id(obj)] = obj
        for g in _generators(s):
            if id(g) not in memo:
                memo[id(g)] = Stream(type(g.bit_generator), g.bit_generator.state)
        memo[id(s.data)] = s.data
        memo[id(s._load)] = s._load
        s._order.setflags(write=False)  # shared with checkpoints: nothing writes it
        memo[id(s._order)] = s._order
        for p in s.model.parameters():
            memo[id(p.grad)] = _NO_GRAD
        memo[id(s.history)] = None
        memo[id(s.optimizer.state)] = None  # keyed by the live parameters: rebuilt below
        if getattr(s.optimizer, "_pv", None) is not None:
            memo[id(s.optimizer._pv)] = None  # the packed-velocity cache, rebuilt on demand
        for obj in _transients(s.model):
            memo[id(obj)] = None
    return memo


def capture(sessions: list[Any]) -> list[SessionState]:
    """Capture sessions in one deepcopy (objects they share stay shared)."""
    memo = _memo(sessions)
    raw = []
    for s in sessions:
        params = s.model.parameters()
        attrs = {k: v for k, v in vars(s).items() if k != "history"}
        raw.append((attrs, params, [s.optimizer.state.get(p) for p in params]))
    copied = copy.deepcopy(raw, memo)
    streams = tuple(v for v in memo.values() if isinstance(v, Stream))
    return [
        SessionState(type(s), attrs, params, opt, s.history.snapshot(), streams)
        for s, (attrs, params, opt) in zip(sessions, copied, strict=True)
    ]


def restore(states: list[SessionState], into: list[Any | None]) -> list[Any]:
    """Sessions as captured; ``into[i]`` (if given) is updated in place, else a new object."""
    memo: dict[int, Any] = {id(_NO_GRAD): _NO_GRAD}
    for st in states:
        for shared in ("data", "_load", "_order", "config", "initial_config"):
            memo[id(st.attrs[shared])] = st.attrs[shared]
        spec = st.attrs["model"].spec
        memo[id(spec)] = spec
        for obj in st.attrs["events"]:
            memo[id(obj)] = obj
        for stream in st.streams:
            if id(stream) not in memo:
                memo[id(stream)] = stream.generator()
    raw = copy.deepcopy([(st.attrs, st.params, st.opt_states) for st in states], memo)
    out = []
    for st, target, (attrs, params, opt) in zip(states, into, raw, strict=True):
        s = target if target is not None else st.cls.__new__(st.cls)
        s.__dict__.clear()
        s.__dict__.update(attrs)
        for p in params:
            p.grad = np.zeros_like(p.data)  # (written by the next backward before it is read)
        s.optimizer.state = weakref.WeakKeyDictionary(
            {p: o for p, o in zip(params, opt, strict=True) if o is not None}
        )
        s.history = History.restored(st.history)
        out.append(s)
    return out


def reachable_bytes(roots: list[Any]) -> int:
    """Bytes of every array, container and object reachable from ``roots``, each counted
    once (the data set, shared with the live session, is left out)."""
    total = 0
    seen: set[int] = set()
    stack: list[Any] = list(roots)
    while stack:
        obj = stack.pop()
        if id(obj) in seen or obj is None or isinstance(obj, bool | int | float | str | type):
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            total += obj.nbytes + 112
            continue
        total += sys.getsizeof(obj)
        if isinstance(obj, dict):
            stack.extend(v for k, v in obj.items() if k not in ("data", "_load"))
        elif isinstance(obj, list | tuple | set):
            stack.extend(obj)
        elif hasattr(obj, "__dict__"):
            stack.append(vars(obj))
        elif hasattr(obj, "__slots__"):
            stack.extend(getattr(obj, k, None) for k in obj.__slots__)
    return total


def state_bytes(states: list[SessionState]) -> int:
    """The memory a checkpoint holds on its own: every array, container and object it
    reaches, counted once (not the data set, shared with the live session; history blocks
    where they are first captured: later snapshots share them)."""
    total = reachable_bytes([(st.attrs, st.params, st.opt_states) for st in states])
    for st in states:
        snap = st.history
        total += 200 + snap.meta.nbytes + sys.getsizeof(snap.buckets) + snap.fresh_bytes
    return total


@dataclass(frozen=True)
class Travel:
    """Where a session stands on its timeline, for the screen (``Pair.travel``)."""

    step: int
    newest: int  # the furthest step of the timeline (the recorded run's end)
    in_past: bool  # a recorded future lies ahead
    marks: tuple[int, ...]  # steps of the changes, recorded future included
    branch_at: int | None = None  # on a branch: its step
    branch: str | None = None  # on a branch: which future is which


@dataclass
class Checkpoint:
    """A captured Pair at a step boundary, before the commands logged at that step."""

    step: int
    states: list[SessionState]  # primary first
    mode: Any  # what the Pair needs besides the sessions (compare difference or None)
    nbytes: int
    after_commands: bool = False  # taken after commands logged at its step (a Pair's first)


class Timeline:
    """Checkpoints at a bounded spacing and memory; see the module docstring."""

    def __init__(self, *, density: int = 100, base: int = 1, budget: int = DEFAULT_BUDGET) -> None:
        self.density, self.base, self.budget = density, base, budget
        self._steps: list[int] = []
        self._points: dict[int, Checkpoint] = {}

    @classmethod
    def start_only(cls) -> Timeline:
        """A timeline with only its first checkpoint: ``goto`` replays from there. What
        headless runs use (no cost while training); the live runner keeps the full one."""
        return cls(base=2**62)

    def interval(self, step: int) -> int:
        """How far after a checkpoint at ``step`` the next one goes."""
        return max(self.base, step // self.density)

    def due(self, step: int) -> bool:
        """A checkpoint is due at ``step``: it is the interval past the newest one (behind
        the newest, the timeline has its checkpoints already)."""
        if not self._steps:
            return True
        newest = self._steps[-1]
        return step >= newest + self.interval(newest)

    def add(self, point: Checkpoint) -> None:
        bisect.insort(self._steps, point.step)
        self._points[point.step] = point
        while self.nbytes > self.budget and len(self._steps) > 1:
            self.density = max(1, self.density // 2)
            self.base *= 2
            keep = self._steps[:1]  # the first is always kept: every later step stays reachable
            for s in self._steps[1:]:
                if s >= keep[-1] + self.interval(keep[-1]):
                    keep.append(s)
            if len(keep) == len(self._steps):  # nothing left to thin: drop the second oldest
                keep = keep[:1] + keep[2:]
            self._points = {s: self._points[s] for s in keep}
            self._steps = keep

    def before(self, step: int, *, strictly: bool) -> Checkpoint | None:
        """The newest checkpoint at a step < ``step`` (or <= it, ``strictly`` False)."""
        i = (
            bisect.bisect_left(self._steps, step)
            if strictly
            else bisect.bisect_right(self._steps, step)
        )
        return self._points[self._steps[i - 1]] if i else None

    def drop_after(self, step: int) -> None:
        """Forget checkpoints past ``step`` (they belong to a future that was replaced)."""
        i = bisect.bisect_right(self._steps, step)
        for s in self._steps[i:]:
            del self._points[s]
        del self._steps[i:]

    @property
    def first(self) -> Checkpoint:
        """The oldest checkpoint (never thinned away)."""
        return self._points[self._steps[0]]

    @property
    def steps(self) -> list[int]:
        return list(self._steps)

    @property
    def nbytes(self) -> int:
        return sum(p.nbytes for p in self._points.values())

    def __len__(self) -> int:
        return len(self._steps)
