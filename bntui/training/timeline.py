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

``Timeline`` decides where checkpoints go: at every multiple of ``interval(step)``, which
grows with the step (about ``density`` per doubling of the step, never closer than
``base``), so going back to step k replays at most ~k/density steps from the checkpoint
before it. Checkpoint memory is bounded by ``budget`` bytes: when it is exceeded the
timeline thins itself like the metrics history (half the density, twice the base).
"""

from __future__ import annotations

import bisect
import copy
import sys
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from bntui.training.metrics import History

# the state of the last forward/backward pass, rewritten by the next step before it is read
TRANSIENT = ("x", "z", "act_in", "act_out", "mask", "_cache", "_eval_cache", "_brn_cache",
             "_fast", "_buf", "_dlogits")  # fmt: skip
DEFAULT_BUDGET = 64 * 2**20


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
    history: dict[str, Any]
    history_capacity: int


def _memo(sessions: list[Any]) -> dict[int, Any]:
    """What a deepcopy of these sessions shares (data, loaders) or leaves out (transients)."""
    memo: dict[int, Any] = {}
    for s in sessions:
        memo[id(s.data)] = s.data
        memo[id(s._load)] = s._load
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
    return [
        SessionState(type(s), attrs, params, opt, s.history.snapshot(), s.history.capacity)
        for s, (attrs, params, opt) in zip(sessions, copied, strict=True)
    ]


def restore(states: list[SessionState], into: list[Any | None]) -> list[Any]:
    """Sessions as captured; ``into[i]`` (if given) is updated in place, else a new object."""
    memo: dict[int, Any] = {}
    for st in states:
        memo[id(st.attrs["data"])] = st.attrs["data"]
        memo[id(st.attrs["_load"])] = st.attrs["_load"]
    raw = copy.deepcopy([(st.attrs, st.params, st.opt_states) for st in states], memo)
    out = []
    for st, target, (attrs, params, opt) in zip(states, into, raw, strict=True):
        s = target if target is not None else st.cls.__new__(st.cls)
        s.__dict__.clear()
        s.__dict__.update(attrs)
        s.optimizer.state = weakref.WeakKeyDictionary(
            {p: o for p, o in zip(params, opt, strict=True) if o is not None}
        )
        s.history = History.restored(st.history_capacity, st.history)
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
        total += sys.getsizeof(st.history)
        for snap in st.history.values():
            total += 200  # the snapshot itself
            if snap.n_chunks:
                total += snap.chunks[snap.n_chunks - 1].nbytes + 112
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


class Timeline:
    """Checkpoints at a bounded spacing and memory; see the module docstring."""

    def __init__(self, *, density: int = 64, base: int = 50, budget: int = DEFAULT_BUDGET) -> None:
        self.density, self.base, self.budget = density, base, budget
        self._steps: list[int] = []
        self._points: dict[int, Checkpoint] = {}

    @classmethod
    def start_only(cls) -> Timeline:
        """A timeline with only its first checkpoint: ``goto`` replays from there. What
        headless runs use (no cost while training); the live runner keeps the full one."""
        return cls(base=2**62)

    def interval(self, step: int) -> int:
        """The spacing of checkpoints around ``step``."""
        grow = 1 << max(0, (step // self.density).bit_length() - 1)
        return max(self.base, grow)

    def due(self, step: int) -> bool:
        return step % self.interval(step) == 0 and step not in self._points

    def add(self, point: Checkpoint) -> None:
        bisect.insort(self._steps, point.step)
        self._points[point.step] = point
        while self.nbytes > self.budget and len(self._steps) > 1:
            self.density = max(1, self.density // 2)
            self.base *= 2
            first = self._steps[0]  # always kept: every step after it stays reachable
            keep = [s for s in self._steps if s == first or s % self.interval(s) == 0]
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
