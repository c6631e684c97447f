"""The one schedule player: (step, item) entries applied when the session reaches their step.

``bntui run --do``, the headless replay and the live runner all play a lesson through
``play``: at every step boundary the entries due there are applied first, then the session
trains one step, until the step ``until`` is reached. The entries due *at* ``until`` are
applied too, so a lesson's last event (its caption, its screenshot) is never lost. Pacing,
holds, skipping and taking over belong to the live layer (``bntui.live.runner``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from threadpoolctl import threadpool_limits

if TYPE_CHECKING:
    from bntui.training.config import Config

T = TypeVar("T")


class Ending(StrEnum):
    """Why ``play`` returned."""

    DONE = "done"  # at ``until``, its entries applied
    HELD = "held"  # ``on_due`` asked to stop after an entry (a live hold)
    DIVERGED = "diverged"
    STOPPED_EARLY = "stopped early"


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread while training: at these matrix sizes a second thread gains
    nothing and takes the core the UI needs. Also usable as a decorator."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@dataclass(frozen=True)
class Plan:
    """A lesson as the live runner plays it: what ``restart`` goes back to."""

    config: Config
    schedule: tuple[tuple[int, str], ...] = ()
    holds: dict[tuple[int, str], float] = field(default_factory=dict)
    steps_per_second: float | None = None
    max_steps: int | None = None


class Playable(Protocol):
    """What ``play`` needs of a session."""

    step_count: int
    diverged: bool
    stopped_early: bool

    def step(self) -> dict[str, Any]: ...

    def apply(self, command: str) -> Any: ...


class Schedule(Generic[T]):
    """Entries (step, item) still to come, in step order (ties keep their given order)."""

    def __init__(self, entries: Iterable[tuple[int, T]] = ()) -> None:
        self._entries: list[tuple[int, T]] = sorted(entries, key=lambda e: e[0])

    def due(self, step: int) -> list[tuple[int, T]]:
        """Take out every entry whose step is <= ``step``, in order."""
        entries = self._entries
        if not entries or entries[0][0] > step:
            return []  # the common case, every step: nothing due
        n = 1
        while n < len(entries) and entries[n][0] <= step:
            n += 1
        out, self._entries = entries[:n], entries[n:]
        return out

    def put_back(self, entries: list[tuple[int, T]]) -> None:
        """Return entries taken out by ``due`` but not applied (a hold stopped before them)."""
        self._entries[:0] = entries

    @property
    def next_step(self) -> int | None:
        """The step of the next entry (None: nothing left)."""
        return self._entries[0][0] if self._entries else None

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[tuple[int, T]]:
        return iter(list(self._entries))

    def __repr__(self) -> str:
        return f"Schedule({self._entries!r})"


def play(
    session: Playable,
    schedule: Schedule[T],
    *,
    until: int,
    on_due: Callable[[int, T], bool | None],
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> Ending:
    """Train ``session`` up to step ``until``, applying each entry at its step boundary.

    ``on_due(at, item)`` applies one entry; it returns True to stop right after it (a live
    hold). Returns why playing ended: ``done`` (at ``until``, its entries applied),
    ``held``, ``diverged`` or ``stopped early`` (the entries due at that step applied:
    a scripted ``reset`` rescues a diverged run).
    """
    while True:
        due = schedule.due(session.step_count)
        for i, (at, item) in enumerate(due):
            if on_due(at, item):
                schedule.put_back(due[i + 1 :])  # the rest of this step's entries: later
                return Ending.HELD
        if session.step_count >= until:
            return Ending.DONE
        if session.diverged:
            return Ending.DIVERGED
        if session.stopped_early:
            return Ending.STOPPED_EARLY
        record = session.step()
        if on_record is not None:
            on_record(record)


def play_commands(
    session: Playable,
    schedule: Iterable[tuple[int, str]] | Schedule[str],
    *,
    until: int,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> Ending:
    """``play`` a (step, command) schedule: each command goes to ``session.apply``."""
    plan = schedule if isinstance(schedule, Schedule) else Schedule(schedule)

    def apply(_at: int, command: str) -> None:
        session.apply(command)

    return play(session, plan, until=until, on_due=apply, on_record=on_record)
